//! The admin panel.

pub mod api;
pub mod audit;
pub mod chart;
pub mod input;
pub mod outbox;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;

//! The admin panel.

pub mod api;
pub mod audit;
pub mod input;
pub mod outbox;
pub mod pages;
pub mod service;
pub mod views;

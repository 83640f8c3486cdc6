//! The admin panel.

pub(crate) mod api;
pub mod audit;
pub(crate) mod chart;
pub(crate) mod input;
pub(crate) mod outbox;
pub(crate) mod pages;
pub(crate) mod repo;
pub(crate) mod service;
pub(crate) mod views;

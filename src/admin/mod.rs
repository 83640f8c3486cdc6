//! The admin panel.

pub mod pages;
pub mod service;
pub mod views;

//! Public member cards: what a member chooses to share by link, with their activity stats.

pub mod api;
pub mod chart;
pub mod input;
pub mod model;
pub mod pages;
pub mod repo;
pub mod service;
pub mod stats;
pub mod views;

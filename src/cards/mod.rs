//! Public member cards: what a member chooses to share by link, with their activity stats.

pub(crate) mod api;
pub(crate) mod chart;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod pages;
pub(crate) mod repo;
pub(crate) mod service;
pub(crate) mod stats;
pub(crate) mod views;

//! Public member cards: what a member chooses to share by link, with their activity stats.

pub mod api;
pub mod pages;

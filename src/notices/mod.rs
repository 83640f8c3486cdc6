//! Club notices: an admin writes once, each recipient gets a copy with its own read state, and
//! replies form a private thread between the member and the admins.

pub(crate) mod api;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod pages;
pub(crate) mod repo;
pub mod service;
pub(crate) mod views;

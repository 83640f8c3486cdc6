//! Club notices: an admin writes once, each recipient gets a copy with its own read state, and
//! replies form a private thread between the member and the admins.

pub mod api;
pub mod input;
pub mod model;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;

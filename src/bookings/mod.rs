//! Bookings: services the club offers, members' requests for them, admins' decisions, and each
//! member's private calendar feed of what is confirmed.

pub mod api;
pub mod ical;
pub mod input;
pub mod model;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;

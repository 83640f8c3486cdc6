//! Bookings: services the club offers, members' requests for them, admins' decisions, and each
//! member's private calendar feed of what is confirmed.

pub(crate) mod api;
pub(crate) mod ical;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod pages;
pub(crate) mod repo;
pub(crate) mod service;
pub(crate) mod views;

//! Bookings: services the club offers and members' requests for them.

pub mod api;
pub mod pages;

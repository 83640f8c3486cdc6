//! Members: the onboarding lifecycle (profile, agreement, review, activation), profiles with
//! club-defined fields, and the directory.
//!
//! `service` holds what members do for themselves and the lifecycle rules; `club_setup` the
//! fields and agreement admins set up for everyone. What an admin does to one member (the member
//! record, activating, disabling) lives in `people`.

pub mod api;
pub mod club_setup;
pub mod input;
pub mod model;
pub mod order_cache;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;

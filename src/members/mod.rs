//! Members: the onboarding lifecycle (profile, agreement, review, activation), profiles with
//! club-defined fields, and the directory.
//!
//! `service` holds what members do for themselves and the lifecycle rules; `club_setup` the
//! fields and agreement admins set up for everyone. What an admin does to one member (the member
//! record, activating, disabling) lives in `people`.

pub(crate) mod api;
pub(crate) mod club_setup;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod order_cache;
pub(crate) mod pages;
pub(crate) mod repo;
pub(crate) mod service;
pub(crate) mod views;

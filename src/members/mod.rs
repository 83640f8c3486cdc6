//! Members: the onboarding lifecycle (profile, agreement, review, activation), profiles with
//! club-defined fields, the directory, and the admin's member records.
//!
//! `service` holds what members do for themselves; `manage` what admins do.

pub mod api;
pub mod input;
pub mod manage;
pub mod model;
pub mod order_cache;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;

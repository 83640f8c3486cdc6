//! Invitations: personal invites and shareable join links, one object for both.

pub mod api;
pub mod input;
pub mod model;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;

//! Invitations: personal invites and shareable join links, one object for both.

pub(crate) mod api;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod pages;
pub(crate) mod repo;
pub(crate) mod service;
pub(crate) mod views;

//! The activity log: club-defined activity types, and what each member did (practice, lessons,
//! competitions, walks), recorded by themselves, their coach or an admin.

pub(crate) mod api;
pub(crate) mod export;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod pages;
pub(crate) mod repo;
pub(crate) mod service;
pub(crate) mod views;

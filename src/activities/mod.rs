//! The activity log: club-defined activity types, and what each member did (practice, lessons,
//! competitions, walks), recorded by themselves, their coach or an admin.

pub mod api;
pub mod export;
pub mod input;
pub mod model;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;

//! Gift exchanges (Secret Santa): exchanges with a registration link, participants (members or
//! guests who sign in by magic link), exclusions, a drawn gift cycle that respects them,
//! reminders and the purge of finished exchanges.

pub mod api;
pub mod input;
pub mod matching;
pub mod model;
pub mod notify;
pub mod pages;
pub mod prefs;
pub mod repo;
pub mod schedule;
pub mod service;
pub mod views;

//! Gift exchanges (Secret Santa): exchanges with a registration link, participants (members or
//! guests who sign in by magic link), exclusions, a drawn gift cycle that respects them,
//! reminders and the purge of finished exchanges.

pub(crate) mod api;
pub(crate) mod input;
pub mod matching;
pub(crate) mod model;
pub mod notify;
pub(crate) mod pages;
pub(crate) mod prefs;
pub(crate) mod repo;
pub mod schedule;
pub(crate) mod service;
pub(crate) mod views;

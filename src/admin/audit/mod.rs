//! The audit log screen: who did what to whom, filtered, exported, and kept for a set time.
//! There are deliberately no routes that edit or delete an entry; only the retention job
//! removes entries, and only by age.

pub(crate) mod api;
pub(crate) mod input;
pub(crate) mod pages;
pub(crate) mod repo;
pub mod service;
pub(crate) mod views;

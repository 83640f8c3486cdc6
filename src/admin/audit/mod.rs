//! The audit log screen: who did what to whom, filtered, exported, and kept for a set time.
//! There are deliberately no routes that edit or delete an entry; only the retention job
//! removes entries, and only by age.

pub mod api;
pub mod input;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;

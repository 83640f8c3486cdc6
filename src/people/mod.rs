//! People management: everything an admin does to one member or to the list of them. This slice
//! owns "an admin acts on a member": the searchable list, the member record and its status
//! changes (activate, disable, enable: `record`), roles, sessions, the second factor, access
//! emails, deletion (`service`), adding members by hand (`preregister`) and CSV import and
//! export (`import`).
//!
//! What a member does for themselves (onboarding, profile, directory) and the club's fields and
//! agreement live in `members`; signing in, whoever starts it, lives in `accounts`.

pub mod api;
pub mod import;
pub mod input;
pub mod pages;
pub mod preregister;
pub mod record;
pub mod repo;
pub mod service;
pub mod views;

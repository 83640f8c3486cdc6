//! People management: everything an admin does to one member or to the list of them. This slice
//! owns "an admin acts on a member": the searchable list, the member record and its status
//! changes (activate, disable, enable: `record`), roles, sessions, the second factor, access
//! emails, deletion (`service`), adding members by hand (`preregister`) and CSV import and
//! export (`import`).
//!
//! What a member does for themselves (onboarding, profile, directory) and the club's fields and
//! agreement live in `members`; signing in, whoever starts it, lives in `accounts`.

pub(crate) mod api;
pub(crate) mod import;
pub(crate) mod input;
pub(crate) mod pages;
pub(crate) mod preregister;
pub(crate) mod record;
pub(crate) mod repo;
pub(crate) mod service;
pub(crate) mod views;

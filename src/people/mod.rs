//! People management for club admins: the searchable member list, what an admin can do to an
//! account (roles, sessions, second factor, access emails, deletion), and CSV import and export
//! of members. The member record itself (profile, onboarding, status) lives in `members`.

pub mod api;
pub mod import;
pub mod input;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;

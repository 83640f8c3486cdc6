//! Accounts: who someone is and how they prove it. Roles and statuses, password login and
//! registration, sessions and API tokens, emailed codes and links (second factor, claim, sign-in
//! link, reset), first-run setup and set-password links. Whoever starts a sign-in (the person,
//! or an admin sending an access email from `people`), it completes here.

pub mod api;
pub mod codes;
pub mod common_passwords;
pub mod hash_threads;
pub mod input;
pub mod model;
pub mod pages;
pub mod password;
pub mod repo;
pub mod service;
pub mod session_cache;
pub mod sessions;
pub mod shared;
pub mod tokens;
pub mod views;

//! Accounts: who someone is and how they prove it. Roles and statuses, password login and
//! registration, sessions and API tokens, emailed codes and links (second factor, claim, sign-in
//! link, reset), passkeys, first-run setup and set-password links. Whoever starts a sign-in (the
//! person, or an admin sending an access email from `people`), it completes here.

pub(crate) mod api;
pub(crate) mod codes;
pub(crate) mod common_passwords;
pub(crate) mod factors;
pub(crate) mod hash_threads;
pub(crate) mod input;
pub(crate) mod known_devices;
pub mod model;
pub(crate) mod pages;
pub(crate) mod passkeys;
pub mod password;
pub mod repo;
pub(crate) mod second_step;
pub mod service;
pub(crate) mod session_cache;
pub mod sessions;
pub(crate) mod shared;
pub(crate) mod short_codes;
pub(crate) mod tokens;
pub(crate) mod views;

//! Accounts: people, roles, password login, sessions, first-run setup and set-password links.

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
pub mod shared;
pub mod tokens;
pub mod views;

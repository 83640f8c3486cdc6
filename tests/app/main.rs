//! Integration tests: one binary, one module per area.

mod support;

mod cli;
mod csrf;
mod docs;
mod email;
mod errors;
mod headers;
mod health;
mod login;
mod sessions;
mod setup;
mod templates;

//! Integration tests: one binary, one module per area.

mod live;
mod support;

mod acct_claim;
mod acct_codes;
mod acct_tokens;
mod activities;
mod admin_settings;
mod bookings;
mod cards;
mod chat;
mod chat_pages;
mod cli;
mod csrf;
mod docs;
mod email;
mod errors;
mod gifts;
mod gifts_matching;
mod gifts_pages;
mod gifts_schedule;
mod hardening;
mod headers;
mod health;
mod invites;
mod login;
mod members;
mod members_pages;
mod notices;
mod notices_pages;
mod realtime;
mod register;
mod sessions;
mod setup;
mod templates;

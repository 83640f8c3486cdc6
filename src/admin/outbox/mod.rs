//! The email outbox screen: every message with its delivery state, resending, the link inside
//! sign-in emails for admins helping a member, and a test email with a diagnosis.

pub mod api;
pub mod diagnose;
pub mod input;
pub mod links;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;

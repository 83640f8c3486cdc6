//! The email outbox screen: every message with its delivery state, resending, the link inside
//! invitations and admin-sent set-password and claim emails for admins helping a member, and a
//! test email with a diagnosis. What a person asked for to get in is never shown.

pub(crate) mod api;
pub(crate) mod diagnose;
pub(crate) mod input;
pub(crate) mod links;
pub(crate) mod pages;
pub(crate) mod repo;
pub(crate) mod service;
pub(crate) mod views;

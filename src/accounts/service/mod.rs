//! Account use cases. Permission and validity rules live here; no HTTP.
//!
//! - `login`: password sign-in (a session, API tokens or a second-factor challenge), logout.
//! - `setup`: first-run setup through the printed link, admins from the command line.
//! - `set_password`: one-time set-password links.
//! - `register`: self-registration, with an invitation or without.
//! - `devices`: a member's own security: password change, devices, ending sessions.
//! - `guests`: password-less guests, and the real accounts that take a guest's address over.
//!
//! Below this folder: `accounts::sessions` (sessions, and finishing any sign-in),
//! `accounts::codes` (emailed codes and links: second factor, claim, sign-in link, reset) and
//! `accounts::tokens` (API tokens). They never call up into it.

mod devices;
mod guests;
mod login;
mod register;
mod set_password;
mod setup;

pub(crate) use devices::*;
pub(crate) use guests::*;
pub(crate) use login::*;
pub use register::*;
pub(crate) use set_password::*;
pub(crate) use setup::*;

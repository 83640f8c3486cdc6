//! Request bodies of the admin panel.

use rocket::FromForm;
use serde::Deserialize;

/// `PUT /api/v1/admin/settings` and the settings form: only the fields given change.
#[derive(Debug, Default, Deserialize, FromForm)]
#[serde(default, deny_unknown_fields)]
pub struct SettingsInput {
    pub club_name: Option<String>,
    /// invite_only | open | closed
    pub registration_mode: Option<String>,
    /// off | admins | everyone
    pub two_factor_policy: Option<String>,
    /// Whether people may sign up as password-less guests.
    pub guest_accounts: Option<bool>,
    /// Whether an admin reviews members who finished onboarding before they become active.
    pub member_review: Option<bool>,
    /// Whether members may start one-to-one conversations.
    pub direct_chat: Option<bool>,
}

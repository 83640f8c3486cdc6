//! Request bodies for invitations.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

use super::service::CreateInvite;

/// `POST /api/v1/admin/invites` and the admin form. Leave `email` empty for a shareable link.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct InviteInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<String>,
    /// Empty or absent: 1 for personal invites, unlimited for links.
    pub max_uses: Option<i64>,
    /// Empty or absent: 7 days.
    pub expires_in_days: Option<i64>,
}

// ----- what each body becomes -----

impl From<InviteInput> for CreateInvite {
    fn from(i: InviteInput) -> Self {
        CreateInvite {
            name: i.name.unwrap_or_default(),
            email: i.email.unwrap_or_default(),
            roles: i.roles,
            max_uses: i.max_uses,
            expires_in_days: i.expires_in_days,
        }
    }
}

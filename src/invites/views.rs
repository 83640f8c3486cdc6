use schemars::JsonSchema;
use serde::Serialize;

use super::model::{Invite, InviteStatus};
use crate::accounts::model::Role;
use crate::clock::{from_unix, rfc3339};
use crate::error::FieldErrors;

/// `201` answer to creating (or resending) an invitation; the only place its link appears.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CreatedInvite {
    pub invite_id: i64,
    pub invite_url: String,
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Invite")]
pub(crate) struct InviteView {
    pub id: i64,
    #[schemars(extend("enum" = ["personal", "link"]))]
    pub kind: &'static str,
    pub name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub status: InviteStatus,
    pub uses: i64,
    pub max_uses: Option<i64>,
    pub uses_left: Option<i64>,
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub last_sent_at: Option<String>,
}

impl InviteView {
    pub(crate) fn of(i: &Invite, now: i64) -> Self {
        InviteView {
            id: i.id,
            kind: if i.is_personal() { "personal" } else { "link" },
            name: i.name.clone(),
            email: i.email.clone(),
            roles: i.roles.clone(),
            status: i.status(now),
            uses: i.uses,
            max_uses: i.max_uses,
            uses_left: i.uses_left(),
            expires_at: rfc3339(from_unix(i.expires_at)),
            created_at: rfc3339(from_unix(i.created_at)),
            last_sent_at: i.last_sent_at.map(|t| rfc3339(from_unix(t))),
        }
    }
}

/// `GET /api/v1/auth/invites/{token}`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct InvitePreflight {
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub name: Option<String>,
    pub roles: Vec<Role>,
}

/// The admin invitations page.
#[derive(Debug, Serialize)]
pub(crate) struct InvitesPage {
    pub invites: Vec<InviteView>,
    /// Set right after creating or resending: the link, shown once, with its QR code.
    pub created: Option<CreatedLink>,
    pub form: InviteForm,
    /// The "add a member" form, refilled after an error.
    pub member: NewMemberForm,
    /// Every role, for the roles an invitation grants.
    pub grantable_roles: &'static [Role],
    /// Which of the two forms was sent and refused (both ask for an email, so its errors and
    /// message are shown on that form only): `invite`, `member`, or empty.
    pub refused: &'static str,
    pub invite_errors: FieldErrors,
    pub member_errors: FieldErrors,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct NewMemberForm {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct CreatedLink {
    pub url: String,
    pub expires_at: String,
    /// An SVG image of the link as a QR code.
    pub qr_svg: String,
    pub emailed_to: Option<String>,
}

/// What the create form shows again after an error.
#[derive(Debug, Default, Serialize)]
pub(crate) struct InviteForm {
    pub name: String,
    pub email: String,
    pub roles: Vec<String>,
    pub max_uses: String,
    pub expires_in_days: String,
}

//! Request bodies and query strings of people management.

use rocket::fs::TempFile;
use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

use super::preregister::NewMember;

/// `?q=&role=&status=&sort=&page=` of the member list and export. Every value arrives as text
/// so that a bad one is a 422 naming it rather than silently ignored.
#[derive(Debug, Clone, Default, FromForm)]
pub(crate) struct ListQuery {
    pub q: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
}

/// `PUT /api/v1/admin/members/{id}/roles` and the role checkboxes of the member page.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RolesInput {
    pub roles: Vec<String>,
}

/// Which email gives a member a way in: `claim_code` (accounts waiting to be claimed) or
/// `set_password` (a one-time link to choose a new password).
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AccessInput {
    pub kind: String,
}

/// Deleting an account: the member's username, typed again.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[schemars(rename = "DeleteMemberInput")]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DeleteInput {
    /// The member's username, typed again.
    pub confirm: String,
}

/// Committing an import: whether to email claim codes to the new accounts.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CommitInput {
    pub send_invites: bool,
}

/// The import form: an uploaded file (multipart) or pasted text, whichever is given.
#[derive(Debug, FromForm)]
pub(crate) struct ImportForm<'r> {
    pub file: Option<TempFile<'r>>,
    pub text: Option<String>,
}

/// An admin's note on a status change (activate, disable, re-enable).
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct StatusNoteInput {
    pub note: Option<String>,
}

/// `POST /api/v1/admin/members`: pre-register a member who then claims the account.
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct NewMemberInput {
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub first_name: String,
    #[field(default = String::new())]
    pub last_name: String,
    pub phone: Option<String>,
    pub roles: Vec<String>,
}

impl From<NewMemberInput> for NewMember {
    fn from(input: NewMemberInput) -> Self {
        NewMember {
            email: input.email,
            first_name: input.first_name,
            last_name: input.last_name,
            phone: input.phone.unwrap_or_default(),
            roles: input.roles,
        }
    }
}

//! Queries and bodies of the audit log screen.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

/// `?actor=&target=&kind=&page=`. Text, so that a bad value is a 422 naming it.
#[derive(Debug, Default, Clone, FromForm)]
pub(crate) struct AuditQuery {
    /// A username or a user id.
    pub actor: Option<String>,
    /// Exactly as recorded, e.g. `user:12` or `invite:3`.
    pub target: Option<String>,
    pub kind: Option<String>,
    pub page: Option<String>,
}

/// `PUT /api/v1/admin/audit/retention`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetentionInput {
    pub days: i64,
}

/// The retention form: text, so that "abc" is answered with the field named.
#[derive(Debug, Default, FromForm)]
pub(crate) struct RetentionForm {
    #[field(default = String::new())]
    pub days: String,
}

//! Request bodies and queries of the outbox screen.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

/// `?status=&page=` of the list. Text, so that a bad value is a 422 naming it.
#[derive(Debug, Default, Clone, FromForm)]
pub(crate) struct OutboxQuery {
    /// queued | sent | failed; empty or absent: all.
    pub status: Option<String>,
    pub page: Option<String>,
}

/// `POST /api/v1/admin/outbox/test` and the test email form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestEmailInput {
    #[field(default = String::new())]
    pub to: String,
}

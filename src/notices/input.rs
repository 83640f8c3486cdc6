//! Request bodies for notices. Sending has two shapes: the JSON body says `to` as one value
//! (`"all"`, `{"role"}` or `{"member_ids"}`), while the HTML form has a radio button, a role
//! select and member checkboxes; both become the same `SendNotice` command.

use rocket::FromForm;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;

use super::model::Recipients;
use super::service::{ListQuery, SendNotice};

/// `POST /api/v1/admin/messages`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(extend("required" = ["to"]))]
pub(crate) struct NoticeInput {
    pub subject: Option<String>,
    pub body: Option<String>,
    /// `"all"`, `{"role": "coach"}` or `{"member_ids": [12, 15]}`; read by
    /// `Recipients::from_json` so that a wrong shape is a 422 naming `to`.
    #[schemars(
        schema_with = "recipients",
        description = "Who receives it: every active member, those with a role, or the members named."
    )]
    pub to: Option<serde_json::Value>,
    /// Absent: true.
    pub email: Option<bool>,
}

/// The shapes `Recipients::from_json` reads, since `to` itself is any JSON to serde.
fn recipients(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "oneOf": [
            { "type": "string", "const": "all" },
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["role"],
                "properties": { "role": { "type": "string" } },
            },
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["member_ids"],
                "properties": {
                    "member_ids": { "type": "array", "items": { "type": "integer", "format": "int64" } },
                },
            },
        ],
    })
}

/// The compose form on `/admin/messages`.
#[derive(Debug, Default, FromForm)]
pub(crate) struct ComposeInput {
    pub subject: Option<String>,
    pub body: Option<String>,
    /// all | role | members
    pub audience: Option<String>,
    pub role: Option<String>,
    pub member_ids: Vec<i64>,
    /// An unticked checkbox sends nothing: false.
    pub email: bool,
}

/// A reply in a notice thread: `POST /api/v1/messages/<id>/reply`, the admin's reply and
/// both reply forms.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ReplyInput {
    pub body: Option<String>,
}

/// `PUT /api/v1/messages/settings` and the inbox's settings form (where an unticked box sends
/// nothing, meaning off).
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[schemars(rename = "NoticeSettingsInput")]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SettingsInput {
    pub email_notices: Option<bool>,
}

/// `?page=&per_page=` of the lists. Text, so that a bad value is a 422 naming it.
#[derive(Debug, Default, Clone, FromForm)]
pub(crate) struct PageQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
}

// ----- what each body becomes -----

impl From<NoticeInput> for SendNotice {
    fn from(i: NoticeInput) -> Self {
        SendNotice {
            subject: i.subject,
            body: i.body,
            to: Recipients::from_json(i.to.as_ref()),
            email: i.email.unwrap_or(true),
        }
    }
}

impl From<PageQuery> for ListQuery {
    fn from(q: PageQuery) -> Self {
        ListQuery { page: q.page, per_page: q.per_page }
    }
}

//! Request bodies for conversations: each is a JSON body and an HTML form.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

/// `POST /api/v1/conversations` and the new-group form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GroupInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// The members besides the creator (who becomes the owner).
    pub member_ids: Vec<i64>,
}

/// `POST /api/v1/conversations/direct` and the start-a-chat form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DirectInput {
    pub member_id: Option<i64>,
}

/// `POST /api/v1/conversations/{id}/members` and the add form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MembersInput {
    pub member_ids: Vec<i64>,
}

/// `PATCH /api/v1/conversations/{id}` and the rename form: only the fields given change.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RenameInput {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// `POST /api/v1/conversations/{id}/messages` and the post form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MessageInput {
    pub content: Option<String>,
    /// When the sender's device sent it, RFC 3339.
    pub client_sent_at: Option<String>,
}

/// `PUT /api/v1/conversations/{id}/read`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReadInput {
    pub message_id: Option<i64>,
}

/// `?before=&limit=` of a history page. Taken as text so that a bad value is a 422 naming the
/// parameter rather than silently ignored.
#[derive(Debug, Default, FromForm)]
pub struct HistoryQuery {
    pub before: Option<String>,
    pub limit: Option<String>,
}

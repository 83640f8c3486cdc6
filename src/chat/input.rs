//! Request bodies for conversations: each is a JSON body and an HTML form.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

use super::service::{GroupCmd, PageQuery, PostCmd, RenameCmd};

/// `POST /api/v1/conversations` and the new-group form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct GroupInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// The members besides the creator (who becomes the owner).
    pub member_ids: Vec<i64>,
}

/// `POST /api/v1/conversations/direct` and the start-a-chat form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DirectInput {
    pub member_id: Option<i64>,
}

/// `POST /api/v1/conversations/{id}/members` and the add form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct MembersInput {
    pub member_ids: Vec<i64>,
}

/// `PATCH /api/v1/conversations/{id}` and the rename form: only the fields given change.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RenameInput {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// `POST /api/v1/conversations/{id}/messages` and the post form.
#[derive(Debug, Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct MessageInput {
    pub content: Option<String>,
    /// When the sender's device sent it, RFC 3339.
    pub client_sent_at: Option<String>,
}

/// `PUT /api/v1/conversations/{id}/read`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ReadInput {
    pub message_id: Option<i64>,
}

/// `?before=&limit=` of a history page. Taken as text so that a bad value is a 422 naming the
/// parameter rather than silently ignored.
#[derive(Debug, Default, FromForm)]
pub(crate) struct HistoryQuery {
    pub before: Option<String>,
    pub limit: Option<String>,
}

// ----- what each body becomes -----

impl From<GroupInput> for GroupCmd {
    fn from(i: GroupInput) -> Self {
        GroupCmd {
            name: i.name.unwrap_or_default(),
            description: i.description.unwrap_or_default(),
            member_ids: i.member_ids,
        }
    }
}

impl From<RenameInput> for RenameCmd {
    fn from(i: RenameInput) -> Self {
        RenameCmd { name: i.name, description: i.description }
    }
}

impl From<HistoryQuery> for PageQuery {
    fn from(q: HistoryQuery) -> Self {
        PageQuery { before: q.before, limit: q.limit }
    }
}

impl From<MessageInput> for PostCmd {
    fn from(i: MessageInput) -> Self {
        PostCmd { content: i.content.unwrap_or_default(), client_sent_at: i.client_sent_at }
    }
}

//! What the API answers, the real-time events carry and the pages render (the same structs).

use schemars::JsonSchema;
use serde::Serialize;

use super::model::{Kind, Member, MemberRole, Message, Summary};
use crate::clock::{format_in, rfc3339_at};

/// How long a message preview in a conversation list may be, in characters.
pub(crate) const PREVIEW_CHARS: usize = 120;

/// What a person who left no name behind is called.
pub(crate) const FORMER_MEMBER: &str = "Former member";

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ChatPerson")]
pub(crate) struct PersonView {
    pub id: i64,
    pub name: String,
}

/// A message, the same in the history, the post answer and the "message" event.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ChatMessage")]
pub(crate) struct MessageView {
    pub id: i64,
    pub conversation_id: i64,
    /// Null once the author's account is deleted.
    pub author: Option<PersonView>,
    pub content: String,
    /// Server time, RFC 3339: the order of record.
    #[schemars(extend("format" = "date-time"))]
    pub sent_at: String,
    /// What the sender's device said, as given.
    pub client_sent_at: Option<String>,
}

impl MessageView {
    pub(crate) fn of(m: &Message) -> Self {
        MessageView {
            id: m.id,
            conversation_id: m.conversation_id,
            author: author_of(m),
            content: m.content.clone(),
            sent_at: rfc3339_at(m.sent_at),
            client_sent_at: m.client_sent_at.clone(),
        }
    }
}

fn author_of(m: &Message) -> Option<PersonView> {
    match (m.author_id, &m.author_name) {
        (Some(id), Some(name)) => Some(PersonView { id, name: name.clone() }),
        _ => None,
    }
}

/// The data of a "message" event.
#[derive(Debug, Serialize)]
pub(crate) struct MessageEvent {
    pub conversation_id: i64,
    pub message: MessageView,
}

/// The data of a "conversation" event.
#[derive(Debug, Serialize)]
pub(crate) struct ChangeEvent {
    pub conversation_id: i64,
    /// added | removed | renamed | members
    pub change: &'static str,
}

/// The newest message of a conversation, as a list shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "LastMessage")]
pub(crate) struct LastMessageView {
    pub id: i64,
    pub author: Option<PersonView>,
    /// The start of the content on one line.
    pub preview: String,
    #[schemars(extend("format" = "date-time"))]
    pub sent_at: String,
}

/// The first `PREVIEW_CHARS` characters of `content` on one line, with an ellipsis when cut.
pub(crate) fn preview(content: &str) -> String {
    let line = content.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= PREVIEW_CHARS {
        line
    } else {
        let cut: String = line.chars().take(PREVIEW_CHARS - 1).collect();
        format!("{}\u{2026}", cut.trim_end())
    }
}

/// A line of `GET /api/v1/conversations`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ConversationSummary")]
pub(crate) struct SummaryView {
    pub id: i64,
    pub kind: Kind,
    /// The group's name; for a one-to-one conversation, the other person's.
    pub name: String,
    pub description: String,
    pub last_message: Option<LastMessageView>,
    /// Messages by others after your read marker (0 in groups you are not in).
    pub unread: i64,
    /// False for groups an admin sees without being in them.
    pub is_member: bool,
    /// The newest message's time, or the creation time.
    #[schemars(extend("format" = "date-time"))]
    pub last_activity_at: String,
}

impl SummaryView {
    pub(crate) fn of(s: &Summary) -> Self {
        let c = &s.conversation;
        SummaryView {
            id: c.id,
            kind: c.kind,
            name: title(c.kind, &c.name, s.other_name.as_deref()),
            description: c.description.clone(),
            last_message: s.last_message.as_ref().map(|m| LastMessageView {
                id: m.id,
                author: author_of(m),
                preview: preview(&m.content),
                sent_at: rfc3339_at(m.sent_at),
            }),
            unread: s.unread.unwrap_or(0),
            is_member: s.unread.is_some(),
            last_activity_at: rfc3339_at(s.activity_at()),
        }
    }
}

/// What a conversation is called: a group by its name, a one-to-one by the other person.
pub(crate) fn title(kind: Kind, name: &str, other: Option<&str>) -> String {
    match kind {
        Kind::Group => name.to_string(),
        Kind::Direct => other.unwrap_or(FORMER_MEMBER).to_string(),
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ConversationMember")]
pub(crate) struct MemberView {
    pub id: i64,
    pub name: String,
    pub role: MemberRole,
    #[schemars(extend("format" = "date-time"))]
    pub joined_at: String,
    /// False for an account that is disabled now (it receives nothing).
    pub active: bool,
}

impl MemberView {
    pub(crate) fn of(m: &Member) -> Self {
        MemberView {
            id: m.user_id,
            name: m.name.clone(),
            role: m.role,
            joined_at: rfc3339_at(m.joined_at),
            active: m.active,
        }
    }
}

/// `GET /api/v1/conversations/{id}` and the answer to every change.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Conversation")]
pub(crate) struct ConversationView {
    pub id: i64,
    pub kind: Kind,
    pub name: String,
    pub description: String,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    pub members: Vec<MemberView>,
    /// Your role, or null when you see the group as an admin without being in it.
    pub my_role: Option<MemberRole>,
    pub is_member: bool,
    /// You may rename the group and add or remove members (owners and admins).
    pub can_manage: bool,
    /// You may post (members; in one-to-one conversations only while the club allows them).
    pub can_post: bool,
    pub last_message_id: Option<i64>,
    pub unread: i64,
}

/// `GET /api/v1/conversations/{id}/messages`: one page, oldest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "History")]
pub(crate) struct HistoryView {
    pub conversation_id: i64,
    pub messages: Vec<MessageView>,
    /// Whether older messages exist beyond this page.
    pub has_more: bool,
    /// The `before` to ask for the next older page; null when there is none.
    pub next_before: Option<i64>,
}

/// The answer to `PUT /api/v1/conversations/{id}/read`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ReadMarker")]
pub(crate) struct ReadView {
    pub conversation_id: i64,
    pub last_read_id: i64,
    pub unread: i64,
}

/// The answer to leaving a group.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Left")]
pub(crate) struct LeftView {
    pub conversation_id: i64,
    pub left: bool,
}

// ----- pages -----

/// A conversation list line on the page, with its time in the viewer's zone.
#[derive(Debug, Serialize)]
pub(crate) struct SummaryRow {
    #[serde(flatten)]
    pub summary: SummaryView,
    /// "3 Mar, 18:30" in the viewer's zone.
    pub when: String,
}

/// The new-group form, refilled after an error.
#[derive(Debug, Default, Serialize)]
pub(crate) struct GroupForm {
    pub name: String,
    pub description: String,
    pub member_ids: Vec<i64>,
}

/// `/conversations`.
#[derive(Debug, Serialize)]
pub(crate) struct ListPage {
    pub conversations: Vec<SummaryRow>,
    /// Admins asked for every group.
    pub showing_all: bool,
    pub is_admin: bool,
    /// The club allows one-to-one conversations.
    pub direct_chat: bool,
    /// Who can be chatted with or put in a group (active members but the viewer).
    pub people: Vec<PersonView>,
    pub group_form: GroupForm,
    /// The person chosen in the start-a-chat form, after an error.
    pub direct_member_id: Option<i64>,
    pub time_zone: String,
}

/// A message on the room page, with its time in the viewer's zone.
#[derive(Debug, Serialize)]
pub(crate) struct MessageRow {
    #[serde(flatten)]
    pub message: MessageView,
    pub when: String,
    pub mine: bool,
}

impl MessageRow {
    pub(crate) fn of(m: &Message, zone: chrono_tz::Tz, viewer: i64) -> Self {
        MessageRow {
            message: MessageView::of(m),
            when: format_in(m.sent_at, zone, "%-d %b, %H:%M"),
            mine: m.author_id == Some(viewer),
        }
    }
}

/// The rename form, refilled after an error.
#[derive(Debug, Default, Serialize)]
pub(crate) struct RenameForm {
    pub name: String,
    pub description: String,
}

/// `/conversations/{id}`.
#[derive(Debug, Serialize)]
pub(crate) struct RoomPage {
    pub conversation: ConversationView,
    pub messages: Vec<MessageRow>,
    pub has_more: bool,
    /// The `before` of the "Older messages" link.
    pub older_before: Option<i64>,
    /// This page shows the newest messages (live updates append to it).
    pub newest_page: bool,
    /// The newest message id of the viewer's conversations: where live updates resume from.
    pub last_seen_id: i64,
    /// Active members not in the group, for the add form (owners and admins).
    pub candidates: Vec<PersonView>,
    /// The message typed, after an error.
    pub content: String,
    pub rename: RenameForm,
    pub time_zone: String,
    pub viewer_id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_line_and_cut_with_an_ellipsis() {
        assert_eq!(preview("Hello\n  there"), "Hello there");
        let long = "word ".repeat(100);
        let cut = preview(&long);
        assert!(cut.chars().count() <= PREVIEW_CHARS);
        assert!(cut.ends_with('\u{2026}'));
        assert_eq!(preview(&"x".repeat(PREVIEW_CHARS)).chars().count(), PREVIEW_CHARS);
    }

    #[test]
    fn a_one_to_one_conversation_is_named_after_the_other_person() {
        assert_eq!(title(Kind::Direct, "", Some("Kim Lee")), "Kim Lee");
        assert_eq!(title(Kind::Direct, "", None), FORMER_MEMBER);
        assert_eq!(title(Kind::Group, "Coaches", Some("Kim")), "Coaches");
    }
}

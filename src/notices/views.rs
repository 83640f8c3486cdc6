//! What the API answers and the pages render (the same structs). Times are RFC 3339; pages
//! show them in the viewer's zone (`time_zone`) with Tera's `date` filter.

use schemars::JsonSchema;
use serde::Serialize;

use super::model::{Copy, Person, Recipient, Reply, SentNotice};
use crate::clock::rfc3339_at;

/// How long the list's preview of a body is, in characters.
const PREVIEW_CHARS: usize = 140;

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Sender")]
pub(crate) struct PersonRef {
    pub id: i64,
    pub name: String,
}

impl From<&Person> for PersonRef {
    fn from(p: &Person) -> Self {
        PersonRef { id: p.id, name: p.name.clone() }
    }
}

/// The start of a body on one line, cut at a word when long.
fn preview(body: &str) -> String {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= PREVIEW_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(PREVIEW_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > PREVIEW_CHARS / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}\u{2026}", cut.trim_end())
}

/// A notice in the member's inbox (`GET /api/v1/messages`) and in the "notice" event.
/// `id` is the member's copy.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Notice")]
pub(crate) struct MessageItem {
    pub id: i64,
    pub notice_id: i64,
    pub subject: String,
    pub preview: String,
    /// Null once the sender's account is gone.
    pub sender: Option<PersonRef>,
    #[schemars(extend("format" = "date-time"))]
    pub sent_at: String,
    pub unread: bool,
    #[schemars(extend("format" = "date-time"))]
    pub read_at: Option<String>,
    /// Messages in the thread, the member's and the admins'.
    pub replies: i64,
}

impl From<&Copy> for MessageItem {
    fn from(c: &Copy) -> Self {
        MessageItem {
            id: c.id,
            notice_id: c.notice_id,
            subject: c.subject.clone(),
            preview: preview(&c.body),
            sender: c.sender.as_ref().map(PersonRef::from),
            sent_at: rfc3339_at(c.sent_at),
            unread: c.read_at.is_none(),
            read_at: c.read_at.map(rfc3339_at),
            replies: c.replies,
        }
    }
}

/// `GET /api/v1/messages`: one page of the inbox, newest first.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "NoticeList")]
pub(crate) struct MessageList {
    pub items: Vec<MessageItem>,
    pub page: i64,
    pub per_page: i64,
    /// Notices the member kept, on every page.
    pub total: i64,
    pub pages: i64,
    /// Unread ones among them.
    pub unread: i64,
}

/// One message of a thread.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Reply")]
pub(crate) struct ReplyView {
    pub id: i64,
    /// The member's copy the thread belongs to.
    pub message_id: i64,
    pub from_admin: bool,
    /// Null once the author's account is gone.
    pub author: Option<PersonRef>,
    pub body: String,
    #[schemars(extend("format" = "date-time"))]
    pub sent_at: String,
    /// Admins' views only: a member's reply no admin had read before this view.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    pub new: Option<bool>,
}

impl ReplyView {
    pub(crate) fn of(r: &Reply) -> Self {
        ReplyView {
            id: r.id,
            message_id: r.copy_id,
            from_admin: r.from_admin,
            author: r.author.as_ref().map(PersonRef::from),
            body: r.body.clone(),
            sent_at: rfc3339_at(r.created_at),
            new: None,
        }
    }

    pub(crate) fn for_admin(r: &Reply) -> Self {
        ReplyView { new: Some(!r.from_admin && r.admin_read_at.is_none()), ..Self::of(r) }
    }
}

/// `GET /api/v1/messages/<id>`: the notice in full with its thread.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "NoticeDetail")]
pub(crate) struct MessageDetail {
    #[serde(flatten)]
    pub message: MessageItem,
    pub body: String,
    pub thread: Vec<ReplyView>,
}

/// The "notice_reply" event.
#[derive(Debug, Serialize)]
pub(crate) struct ReplyEvent {
    pub message_id: i64,
    pub notice_id: i64,
    pub reply: ReplyView,
}

/// The "notice" event.
#[derive(Debug, Serialize)]
pub(crate) struct NoticeEvent {
    pub message: MessageItem,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "NoticeDeleted")]
pub(crate) struct DeletedView {
    pub id: i64,
    pub deleted: bool,
}

/// `GET`/`PUT /api/v1/messages/settings`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "NoticeSettings")]
pub(crate) struct SettingsView {
    /// An email arrives with each new notice.
    pub email_notices: bool,
}

/// A sent notice with its counts, for admins.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "SentNotice")]
pub(crate) struct SentNoticeView {
    pub id: i64,
    pub subject: String,
    pub body: String,
    /// `all`, `role:<name>` or `members`.
    pub audience: String,
    pub audience_label: String,
    /// An email went to recipients who have not turned notice emails off.
    pub email: bool,
    pub sender: Option<PersonRef>,
    #[schemars(extend("format" = "date-time"))]
    pub sent_at: String,
    pub recipients: i64,
    pub read: i64,
    /// Recipients who deleted their copy.
    pub deleted: i64,
    /// Replies from members.
    pub replies: i64,
    /// Members' replies no admin has read yet.
    pub unread_replies: i64,
}

impl From<&SentNotice> for SentNoticeView {
    fn from(n: &SentNotice) -> Self {
        SentNoticeView {
            id: n.id,
            subject: n.subject.clone(),
            body: n.body.clone(),
            audience: n.audience.stored(),
            audience_label: n.audience.label(),
            email: n.email,
            sender: n.sender.as_ref().map(PersonRef::from),
            sent_at: rfc3339_at(n.created_at),
            recipients: n.recipients,
            read: n.read,
            deleted: n.deleted,
            replies: n.replies,
            unread_replies: n.unread_replies,
        }
    }
}

/// `GET /api/v1/admin/messages`: one page of sent notices, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SentList {
    pub items: Vec<SentNoticeView>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub pages: i64,
    /// Members' replies no admin has read yet, over every notice.
    pub unread_replies: i64,
}

/// One recipient of a sent notice, with their copy's state and thread.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Recipient")]
pub(crate) struct RecipientView {
    pub user_id: i64,
    pub name: String,
    pub username: String,
    /// Their copy's id (the id they see).
    pub message_id: i64,
    pub read: bool,
    #[schemars(extend("format" = "date-time"))]
    pub read_at: Option<String>,
    /// They deleted their copy; it is kept for the admins.
    pub deleted: bool,
    #[schemars(extend("format" = "date-time"))]
    pub deleted_at: Option<String>,
    pub thread: Vec<ReplyView>,
}

impl RecipientView {
    pub(crate) fn of(r: &Recipient, thread: Vec<ReplyView>) -> Self {
        RecipientView {
            user_id: r.user_id,
            name: r.name.clone(),
            username: r.username.clone(),
            message_id: r.copy_id,
            read: r.read_at.is_some(),
            read_at: r.read_at.map(rfc3339_at),
            deleted: r.deleted_at.is_some(),
            deleted_at: r.deleted_at.map(rfc3339_at),
            thread,
        }
    }
}

/// `GET /api/v1/admin/messages/<id>`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SentNoticeDetail")]
pub(crate) struct NoticeDetail {
    pub notice: SentNoticeView,
    pub recipients: Vec<RecipientView>,
}

// ----- pages -----

/// `/messages`.
#[derive(Debug, Serialize)]
pub(crate) struct InboxPage {
    pub list: MessageList,
    pub email_notices: bool,
    pub time_zone: String,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

/// `/messages/<id>`.
#[derive(Debug, Serialize)]
pub(crate) struct ThreadPage {
    pub message: MessageDetail,
    /// The reply typed into a form that failed, shown again.
    pub reply: String,
    pub time_zone: String,
}

/// An active member on the compose form.
#[derive(Debug, Serialize)]
pub(crate) struct MemberChoice {
    pub id: i64,
    pub name: String,
    pub username: String,
}

/// The compose form, refilled after an error.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ComposeForm {
    pub subject: String,
    pub body: String,
    /// all | role | members
    pub audience: String,
    pub role: String,
    pub member_ids: Vec<i64>,
    pub email: bool,
}

impl Default for ComposeForm {
    fn default() -> Self {
        ComposeForm {
            subject: String::new(),
            body: String::new(),
            audience: "all".into(),
            role: "member".into(),
            member_ids: Vec::new(),
            email: true,
        }
    }
}

/// `/admin/messages`.
#[derive(Debug, Serialize)]
pub(crate) struct AdminNoticesPage {
    pub form: ComposeForm,
    pub roles: Vec<&'static str>,
    pub members: Vec<MemberChoice>,
    pub sent: SentList,
    pub time_zone: String,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

/// `/admin/messages/<id>`.
#[derive(Debug, Serialize)]
pub(crate) struct AdminNoticePage {
    pub detail: NoticeDetail,
    /// The recipient whose reply form failed, and what was typed.
    pub failed: Option<i64>,
    pub reply: String,
    pub time_zone: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_line_and_cut_at_a_word() {
        assert_eq!(preview("Ice time\n\nis  moved."), "Ice time is moved.");
        let long = "word ".repeat(60);
        let p = preview(&long);
        assert!(p.ends_with("word\u{2026}"), "{p}");
        assert!(p.chars().count() <= PREVIEW_CHARS + 1);
        let unbroken = "x".repeat(300);
        assert_eq!(preview(&unbroken).chars().count(), PREVIEW_CHARS + 1);
    }
}

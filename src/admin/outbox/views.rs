//! What the outbox screen and its API show.

use schemars::JsonSchema;
use serde::Serialize;

use super::diagnose::Diagnosis;
use super::links::Disclosure;
use super::repo::OutboxRow;
use crate::clock::rfc3339_at;

/// One message in the list.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct OutboxItem {
    pub id: i64,
    pub to: String,
    pub template: String,
    /// queued | sent | failed
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub sent_at: Option<String>,
    /// When the worker tries next (queued messages only).
    #[schemars(extend("format" = "date-time"))]
    pub next_attempt_at: Option<String>,
    /// Whether it carries a link an admin may copy: an invitation, or a set-password link or
    /// claim code an admin had sent.
    pub has_link: bool,
    /// For an email holding a way in meant for its recipient alone (a sign-in or reset link, a
    /// login code, a claim code they asked for): what it held, in words, as "A login code was
    /// sent.". Its link and code are never shown.
    pub withheld: Option<String>,
}

impl OutboxItem {
    pub(crate) fn of(row: OutboxRow) -> OutboxItem {
        let disclosure = Disclosure::of_template(&row.template);
        OutboxItem {
            has_link: matches!(disclosure, Disclosure::Link(_)),
            withheld: disclosure.withheld().map(str::to_string),
            next_attempt_at: (row.status == "queued").then(|| rfc3339_at(row.next_attempt_at)),
            created_at: rfc3339_at(row.created_at),
            sent_at: row.sent_at.map(rfc3339_at),
            id: row.id,
            to: row.to,
            template: row.template,
            status: row.status,
            attempts: row.attempts,
            last_error: row.last_error,
        }
    }
}

/// A page of the list, as `GET /api/v1/admin/outbox` returns it.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct OutboxList {
    pub items: Vec<OutboxItem>,
    /// The status filter ("" for all).
    pub status: String,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub pages: i64,
    /// How many messages there are of each status, whatever the filter.
    pub counts: Vec<StatusCount>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct StatusCount {
    pub status: String,
    pub count: i64,
}

/// The link of an invitation, or of a set-password or claim email an admin had sent, shown to
/// an admin.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CopiedLink {
    pub email_id: i64,
    pub to: String,
    pub template: String,
    pub url: String,
    /// The code to type with it (claim emails).
    pub code: Option<String>,
    /// Always true when shown: dead links are refused.
    pub live: bool,
    /// Whether the account's owner was emailed that an admin viewed it (set-password links
    /// and claim codes; an invitation has no account yet).
    pub told_member: bool,
    pub note: String,
}

/// What a test email did.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct TestEmailResult {
    pub to: String,
    /// smtp | console | memory
    pub mode: &'static str,
    pub sent: bool,
    pub message: String,
    /// Present when sending failed.
    pub diagnosis: Option<Diagnosis>,
    /// The mail server's own words, when sending failed.
    pub error: Option<String>,
}

/// The outbox page: the list, and what the last action showed.
#[derive(Debug, Serialize)]
pub(crate) struct OutboxPage {
    pub list: OutboxList,
    pub link: Option<CopiedLink>,
    pub test: Option<TestEmailResult>,
    pub test_to: String,
    pub mode: &'static str,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

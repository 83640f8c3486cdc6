//! What the audit log screen and its API show.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::repo::AuditRow;
use crate::clock::rfc3339_at;

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "AuditActor")]
pub(crate) struct ActorView {
    pub id: i64,
    /// Null when the account was deleted since.
    pub username: Option<String>,
}

/// One entry.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct AuditEntry {
    pub id: i64,
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
    /// Null for the system (scheduled jobs) and for people not signed in (a failed login).
    pub actor: Option<ActorView>,
    pub kind: String,
    pub target: Option<String>,
    /// Details as recorded (before and after, for changes).
    pub detail: Option<Value>,
    pub ip: Option<String>,
}

impl AuditEntry {
    pub(crate) fn of(row: AuditRow) -> AuditEntry {
        AuditEntry {
            id: row.id,
            at: rfc3339_at(row.at),
            actor: row.actor_id.map(|id| ActorView { id, username: row.actor_username }),
            kind: row.kind,
            target: row.target,
            detail: row.detail.map(|d| serde_json::from_str(&d).unwrap_or(Value::String(d))),
            ip: row.ip,
        }
    }
}

/// The filter as given, echoed back (and kept in the page's links).
#[derive(Debug, Default, Clone, Serialize, JsonSchema)]
#[schemars(rename = "AuditFilter")]
pub(crate) struct FilterView {
    pub actor: String,
    pub target: String,
    pub kind: String,
}

/// A page of the log, as `GET /api/v1/admin/audit` returns it.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct AuditList {
    pub items: Vec<AuditEntry>,
    pub filter: FilterView,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub pages: i64,
    /// Every kind in the log, for choosing a filter.
    pub kinds: Vec<String>,
    pub retention_days: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Retention")]
pub(crate) struct RetentionView {
    pub days: i64,
}

/// The audit page.
#[derive(Debug, Serialize)]
pub(crate) struct AuditPage {
    pub list: AuditList,
    /// The retention field as typed (shown again with its error).
    pub days: String,
    pub export_url: String,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

//! The audit log: security events and admin actions, written in the transaction of the change.

use rusqlite::{params, Connection};
use serde_json::Value;

use crate::accounts::model::Actor;
use crate::error::AppError;

/// One entry: who did what to whom, from where.
pub(crate) struct AuditEvent<'a> {
    pub kind: &'a str,
    pub actor_user_id: Option<i64>,
    pub target: Option<String>,
    pub detail: Option<Value>,
    pub ip: Option<&'a str>,
}

impl<'a> AuditEvent<'a> {
    pub(crate) fn new(kind: &'a str) -> Self {
        AuditEvent { kind, actor_user_id: None, target: None, detail: None, ip: None }
    }

    pub(crate) fn actor(mut self, user_id: i64) -> Self {
        self.actor_user_id = Some(user_id);
        self
    }

    pub(crate) fn actor_opt(mut self, user_id: Option<i64>) -> Self {
        self.actor_user_id = user_id;
        self
    }

    pub(crate) fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub(crate) fn detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }

    pub(crate) fn ip(mut self, ip: Option<&'a str>) -> Self {
        self.ip = ip;
        self
    }
}

/// Records that `actor` did `kind` to `target` (`user:7`, `service:3`...), at `now`.
pub(crate) fn record_action(
    conn: &Connection,
    actor: &Actor,
    kind: &str,
    target: impl Into<String>,
    now: i64,
) -> Result<(), AppError> {
    record(conn, AuditEvent::new(kind).actor_opt(actor.user_id()).target(target), now)
}

pub(crate) fn record(conn: &Connection, event: AuditEvent<'_>, now: i64) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO audit_log (at, actor_user_id, kind, target, detail, ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            now,
            event.actor_user_id,
            event.kind,
            event.target,
            event.detail.map(|d| d.to_string()),
            event.ip
        ],
    )?;
    Ok(())
}

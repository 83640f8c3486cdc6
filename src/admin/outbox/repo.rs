//! Queries on `email_outbox` for the admin screen (the worker's own queries live in
//! `email::outbox`).

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::AppError;

/// One message as the admin screen lists it; subject and bodies stay sealed.
#[derive(Debug, Clone)]
pub(crate) struct OutboxRow {
    pub id: i64,
    pub to: String,
    pub template: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, to_address, template, status, attempts, last_error, next_attempt_at,
                       created_at, sent_at";

fn row(r: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        to: r.get(1)?,
        template: r.get(2)?,
        status: r.get(3)?,
        attempts: r.get(4)?,
        last_error: r.get(5)?,
        next_attempt_at: r.get(6)?,
        created_at: r.get(7)?,
        sent_at: r.get(8)?,
    })
}

/// Newest first, optionally of one status.
pub(crate) fn list(
    conn: &Connection,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<OutboxRow>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM email_outbox WHERE ?1 IS NULL OR status = ?1
          ORDER BY id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![status, limit, offset], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn count(conn: &Connection, status: Option<&str>) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM email_outbox WHERE ?1 IS NULL OR status = ?1",
        params![status],
        |r| r.get(0),
    )?)
}

pub(crate) fn get(conn: &Connection, id: i64) -> Result<Option<OutboxRow>, AppError> {
    Ok(conn
        .query_row(&format!("SELECT {COLUMNS} FROM email_outbox WHERE id = ?1"), [id], row)
        .optional()?)
}

/// The sealed text body of a message.
pub(crate) fn sealed_text(conn: &Connection, id: i64) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row("SELECT body_text FROM email_outbox WHERE id = ?1", [id], |r| r.get(0))
        .optional()?)
}

/// The account a link in an email opens, as the outbox needs it.
#[derive(Debug, Clone)]
pub(crate) struct LinkAccount {
    pub username: String,
    pub email: String,
    /// Whether they ever signed in (by any way).
    pub signed_in: bool,
}

pub(crate) fn link_account(
    conn: &Connection,
    user_id: i64,
) -> Result<Option<LinkAccount>, AppError> {
    Ok(conn
        .query_row(
            "SELECT username, email, last_login_at IS NOT NULL FROM users WHERE id = ?1",
            [user_id],
            |r| Ok(LinkAccount { username: r.get(0)?, email: r.get(1)?, signed_in: r.get(2)? }),
        )
        .optional()?)
}

/// Puts a sent or failed message back in the queue with a fresh count of attempts, due now.
/// False when it is already queued (the worker may hold it right now).
pub(crate) fn requeue(conn: &Connection, id: i64, now: i64) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE email_outbox
            SET status = 'queued', attempts = 0, next_attempt_at = ?2, sent_at = NULL
          WHERE id = ?1 AND status <> 'queued'",
        params![id, now],
    )?;
    Ok(changed == 1)
}

//! SQL for invitations.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::{Invite, InviteEvent};
use crate::accounts::model::{parse_roles, Role};
use crate::error::AppError;

const COLUMNS: &str =
    "id, name, email, roles, max_uses, uses, expires_at, revoked_at, created_at, last_sent_at, lifetime_days";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Invite> {
    let roles: String = r.get(3)?;
    Ok(Invite {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        roles: parse_roles(Some(&roles)),
        max_uses: r.get(4)?,
        uses: r.get(5)?,
        expires_at: r.get(6)?,
        revoked_at: r.get(7)?,
        created_at: r.get(8)?,
        last_sent_at: r.get(9)?,
        lifetime_days: r.get(10)?,
    })
}

pub(crate) fn join_roles(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

pub(crate) struct NewInvite<'a> {
    pub token_hash: &'a [u8],
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub roles: &'a [Role],
    pub max_uses: Option<i64>,
    pub lifetime_days: i64,
    pub expires_at: i64,
    pub created_by: Option<i64>,
}

pub(crate) fn insert(conn: &Connection, invite: &NewInvite<'_>, now: i64) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO invites (token_hash, name, email, roles, max_uses, lifetime_days, expires_at,
                              created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            invite.token_hash,
            invite.name,
            invite.email,
            join_roles(invite.roles),
            invite.max_uses,
            invite.lifetime_days,
            invite.expires_at,
            invite.created_by,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Gives an existing invite a fresh token and terms, and makes it usable again.
pub(crate) fn reissue(
    conn: &Connection,
    id: i64,
    invite: &NewInvite<'_>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE invites SET token_hash = ?2, name = ?3, roles = ?4, max_uses = ?5, uses = 0,
                lifetime_days = ?6, expires_at = ?7, revoked_at = NULL, updated_at = ?8
          WHERE id = ?1",
        params![
            id,
            invite.token_hash,
            invite.name,
            join_roles(invite.roles),
            invite.max_uses,
            invite.lifetime_days,
            invite.expires_at,
            now
        ],
    )?;
    Ok(())
}

/// Only a new token and expiry (resending keeps the terms).
pub(crate) fn renew_token(
    conn: &Connection,
    id: i64,
    token_hash: &[u8],
    expires_at: i64,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE invites SET token_hash = ?2, expires_at = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, token_hash, expires_at, now],
    )?;
    Ok(())
}

pub(crate) fn get(conn: &Connection, id: i64) -> Result<Option<Invite>, AppError> {
    Ok(conn
        .query_row(&format!("SELECT {COLUMNS} FROM invites WHERE id = ?1"), [id], from_row)
        .optional()?)
}

pub(crate) fn find_by_token(
    conn: &Connection,
    token_hash: &[u8],
) -> Result<Option<Invite>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM invites WHERE token_hash = ?1"),
            [token_hash],
            from_row,
        )
        .optional()?)
}

pub(crate) fn find_by_email(conn: &Connection, email: &str) -> Result<Option<Invite>, AppError> {
    Ok(conn
        .query_row(&format!("SELECT {COLUMNS} FROM invites WHERE email = ?1"), [email], from_row)
        .optional()?)
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<Invite>, AppError> {
    let mut stmt =
        conn.prepare(&format!("SELECT {COLUMNS} FROM invites ORDER BY created_at DESC, id DESC"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Spends one use of a live invite; false when it is revoked, expired or used up. A single
/// statement, so two registrations can never both take the last use.
pub(crate) fn take_use(conn: &Connection, id: i64, now: i64) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE invites SET uses = uses + 1, updated_at = ?2
          WHERE id = ?1 AND revoked_at IS NULL AND expires_at > ?2
            AND (max_uses IS NULL OR uses < max_uses)",
        params![id, now],
    )?;
    Ok(changed == 1)
}

pub(crate) fn mark_sent(conn: &Connection, id: i64, now: i64) -> Result<(), AppError> {
    conn.execute("UPDATE invites SET last_sent_at = ?2 WHERE id = ?1", params![id, now])?;
    Ok(())
}

pub(crate) fn revoke(conn: &Connection, id: i64, now: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE invites SET revoked_at = ?2, updated_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now],
    )?;
    Ok(())
}

pub(crate) fn add_event(
    conn: &Connection,
    invite_id: i64,
    kind: InviteEvent,
    user_id: Option<i64>,
    actor: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO invite_events (invite_id, kind, user_id, actor_user_id, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![invite_id, kind.as_str(), user_id, actor, now],
    )?;
    Ok(())
}

pub(crate) fn count_pending(conn: &Connection, now: i64) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM invites WHERE revoked_at IS NULL AND expires_at > ?1
            AND (max_uses IS NULL OR uses < max_uses)",
        [now],
        |r| r.get(0),
    )?)
}

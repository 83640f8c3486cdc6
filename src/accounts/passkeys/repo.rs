//! SQL for passkeys, their ceremonies and the accounts' WebAuthn user handles.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::{Ceremony, CeremonyKind, PasskeyRow};
use crate::accounts::model::UserStatus;
use crate::error::AppError;

const COLUMNS: &str = "id, user_id, name, credential, created_at, last_used_at";

fn passkey(r: &Row<'_>) -> rusqlite::Result<PasskeyRow> {
    Ok(PasskeyRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        credential: r.get(3)?,
        created_at: r.get(4)?,
        last_used_at: r.get(5)?,
    })
}

/// The account's passkeys, oldest first.
pub(crate) fn list(conn: &Connection, user_id: i64) -> Result<Vec<PasskeyRow>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE user_id = ?1 ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([user_id], passkey)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub(crate) fn count(conn: &Connection, user_id: i64) -> Result<i64, AppError> {
    Ok(conn
        .query_row("SELECT count(*) FROM passkeys WHERE user_id = ?1", [user_id], |r| r.get(0))?)
}

/// Passkey `id` when it belongs to `user_id`.
pub(crate) fn find_own(
    conn: &Connection,
    user_id: i64,
    id: i64,
) -> Result<Option<PasskeyRow>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE id = ?1 AND user_id = ?2");
    Ok(conn.query_row(&sql, params![id, user_id], passkey).optional()?)
}

/// The passkey with this credential id, with its account's user handle and status.
pub(crate) fn find_by_credential(
    conn: &Connection,
    credential_id: &[u8],
) -> Result<Option<(PasskeyRow, Option<String>, UserStatus)>, AppError> {
    let sql = "SELECT p.id, p.user_id, p.name, p.credential, p.created_at, p.last_used_at,
                      u.webauthn_handle, u.status
                 FROM passkeys p JOIN users u ON u.id = p.user_id
                WHERE p.credential_id = ?1";
    let found = conn
        .query_row(sql, [credential_id], |r| {
            Ok((passkey(r)?, r.get::<_, Option<String>>(6)?, r.get::<_, String>(7)?))
        })
        .optional()?;
    found
        .map(|(row, handle, status)| {
            let status = status.parse::<UserStatus>().map_err(AppError::internal)?;
            Ok((row, handle, status))
        })
        .transpose()
}

pub(crate) fn credential_ids(conn: &Connection, user_id: i64) -> Result<Vec<Vec<u8>>, AppError> {
    let mut stmt = conn.prepare_cached("SELECT credential_id FROM passkeys WHERE user_id = ?1")?;
    let ids = stmt.query_map([user_id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(ids)
}

pub(crate) fn credential_taken(conn: &Connection, credential_id: &[u8]) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM passkeys WHERE credential_id = ?1)",
        [credential_id],
        |r| r.get(0),
    )?)
}

pub(crate) struct NewPasskey<'a> {
    pub user_id: i64,
    pub credential_id: &'a [u8],
    pub name: &'a str,
    pub credential: &'a str,
}

pub(crate) fn insert(conn: &Connection, new: &NewPasskey<'_>, now: i64) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO passkeys (user_id, credential_id, name, credential, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![new.user_id, new.credential_id, new.name, new.credential, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Stores the credential after a sign-in (its counter and flags move) and when it was used.
pub(crate) fn record_use(
    conn: &Connection,
    id: i64,
    credential: &str,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE passkeys SET credential = ?2, last_used_at = ?3 WHERE id = ?1",
        params![id, credential, now],
    )?;
    Ok(())
}

/// Renames passkey `id` of `user_id`; false when they have no such passkey.
pub(crate) fn rename(
    conn: &Connection,
    user_id: i64,
    id: i64,
    name: &str,
) -> Result<bool, AppError> {
    Ok(conn.execute(
        "UPDATE passkeys SET name = ?3 WHERE id = ?1 AND user_id = ?2",
        params![id, user_id, name],
    )? > 0)
}

/// Deletes passkey `id` of `user_id`; its name, or None when they have no such passkey.
pub(crate) fn delete(conn: &Connection, user_id: i64, id: i64) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row(
            "DELETE FROM passkeys WHERE id = ?1 AND user_id = ?2 RETURNING name",
            params![id, user_id],
            |r| r.get(0),
        )
        .optional()?)
}

pub(crate) fn delete_all(conn: &Connection, user_id: i64) -> Result<usize, AppError> {
    Ok(conn.execute("DELETE FROM passkeys WHERE user_id = ?1", [user_id])?)
}

pub(crate) fn user_handle(conn: &Connection, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(conn.query_row("SELECT webauthn_handle FROM users WHERE id = ?1", [user_id], |r| r.get(0))?)
}

pub(crate) fn set_user_handle(
    conn: &Connection,
    user_id: i64,
    handle: &str,
) -> Result<(), AppError> {
    conn.execute("UPDATE users SET webauthn_handle = ?2 WHERE id = ?1", params![user_id, handle])?;
    Ok(())
}

pub(crate) struct NewCeremony<'a> {
    pub token_hash: &'a [u8],
    pub user_id: Option<i64>,
    pub kind: CeremonyKind,
    pub state: &'a str,
    pub expires_at: i64,
}

pub(crate) fn insert_ceremony(
    conn: &Connection,
    new: &NewCeremony<'_>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO passkey_ceremonies (token_hash, user_id, kind, state, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![new.token_hash, new.user_id, new.kind.as_str(), new.state, now, new.expires_at],
    )?;
    Ok(())
}

/// Removes and returns the ceremony of this kind with this token hash (for a registration, only
/// if it is `user_id`'s), expired or not: a ceremony is finished at most once.
pub(crate) fn take_ceremony(
    conn: &Connection,
    token_hash: &[u8],
    kind: CeremonyKind,
    user_id: Option<i64>,
) -> Result<Option<Ceremony>, AppError> {
    Ok(conn
        .query_row(
            "DELETE FROM passkey_ceremonies
              WHERE token_hash = ?1 AND kind = ?2 AND user_id IS ?3
             RETURNING state, expires_at",
            params![token_hash, kind.as_str(), user_id],
            |r| Ok(Ceremony { state: r.get(0)?, expires_at: r.get(1)? }),
        )
        .optional()?)
}

/// Drops the account's unfinished ceremonies of this kind (one registration at a time).
pub(crate) fn delete_ceremonies(
    conn: &Connection,
    user_id: i64,
    kind: CeremonyKind,
) -> Result<usize, AppError> {
    Ok(conn.execute(
        "DELETE FROM passkey_ceremonies WHERE user_id = ?1 AND kind = ?2",
        params![user_id, kind.as_str()],
    )?)
}

pub(crate) fn purge_ceremonies(conn: &Connection, now: i64) -> Result<usize, AppError> {
    Ok(conn.execute("DELETE FROM passkey_ceremonies WHERE expires_at <= ?1", [now])?)
}

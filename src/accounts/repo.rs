//! SQL for users, roles, sessions and one-time tokens. One function per query; no decisions.

use rusqlite::{params, Connection, OptionalExtension};

use super::model::{parse_roles, AuthUser, Role, TokenPurpose, UserStatus};
use crate::db::unique_violation;
use crate::error::AppError;

pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub status: UserStatus,
}

/// Inserts a user; a taken username or email is a 409 naming the field.
pub fn insert_user(conn: &Connection, user: &NewUser<'_>, now: i64) -> Result<i64, AppError> {
    let result = conn.execute(
        "INSERT INTO users (username, email, display_name, password_hash, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![user.username, user.email, user.display_name, user.password_hash, user.status.as_str(), now],
    );
    match result {
        Ok(_) => Ok(conn.last_insert_rowid()),
        Err(err) => Err(match unique_violation(&err).as_deref() {
            Some("users.username") => {
                AppError::conflict_field("username", "This username is already taken.")
            }
            Some("users.email") => AppError::conflict_field(
                "email",
                "An account with this email address already exists.",
            ),
            _ => err.into(),
        }),
    }
}

pub fn add_roles(conn: &Connection, user_id: i64, roles: &[Role]) -> Result<(), AppError> {
    let mut stmt =
        conn.prepare_cached("INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?1, ?2)")?;
    for role in roles {
        stmt.execute(params![user_id, role.as_str()])?;
    }
    Ok(())
}

/// What a login needs: id, stored hash and status of the account named by username or email.
pub struct LoginRecord {
    pub user_id: i64,
    pub password_hash: Option<String>,
    pub status: UserStatus,
}

pub fn find_for_login(conn: &Connection, login: &str) -> Result<Option<LoginRecord>, AppError> {
    let row = conn
        .prepare_cached(
            "SELECT id, password_hash, status FROM users WHERE username = ?1 OR email = ?1 LIMIT 1",
        )?
        .query_row([login], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?))
        })
        .optional()?;
    row.map(|(user_id, password_hash, status)| {
        Ok(LoginRecord { user_id, password_hash, status: parse_status(&status)? })
    })
    .transpose()
}

pub fn find_id_by_username(conn: &Connection, username: &str) -> Result<Option<i64>, AppError> {
    Ok(conn
        .query_row("SELECT id FROM users WHERE username = ?1", [username], |r| r.get(0))
        .optional()?)
}

fn parse_status(s: &str) -> Result<UserStatus, AppError> {
    s.parse().map_err(AppError::internal)
}

pub fn set_phone(conn: &Connection, user_id: i64, phone: &str) -> Result<(), AppError> {
    conn.execute("UPDATE users SET phone = ?2 WHERE id = ?1", params![user_id, phone])?;
    Ok(())
}

pub fn set_invite(conn: &Connection, user_id: i64, invite_id: i64) -> Result<(), AppError> {
    conn.execute("UPDATE users SET invite_id = ?2 WHERE id = ?1", params![user_id, invite_id])?;
    Ok(())
}

pub fn set_password_hash(
    conn: &Connection,
    user_id: i64,
    hash: &str,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
        params![user_id, hash, now],
    )?;
    Ok(())
}

pub fn record_login(conn: &Connection, user_id: i64, now: i64) -> Result<(), AppError> {
    conn.execute("UPDATE users SET last_login_at = ?2 WHERE id = ?1", params![user_id, now])?;
    Ok(())
}

/// Active admins; setup stays open while there are none.
pub fn count_admins(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM user_roles r JOIN users u ON u.id = r.user_id
          WHERE r.role = 'admin' AND u.status <> 'disabled'",
        [],
        |r| r.get(0),
    )?)
}

/// Users per role, for the admin home.
pub fn count_by_role(conn: &Connection) -> Result<Vec<(String, i64)>, AppError> {
    let mut stmt =
        conn.prepare_cached("SELECT role, count(*) FROM user_roles GROUP BY role ORDER BY role")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn count_users(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
}

// ----- sessions -----

pub struct NewSession<'a> {
    pub token_hash: &'a [u8],
    pub user_id: i64,
    pub expires_at: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub fn insert_session(conn: &Connection, s: &NewSession<'_>, now: i64) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)",
        params![s.token_hash, s.user_id, now, s.expires_at, s.ip, s.user_agent],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A session row joined with its user, as every authenticated request needs it.
pub struct SessionRecord {
    pub user: AuthUser,
    pub last_seen_at: i64,
}

pub fn find_session(
    conn: &Connection,
    token_hash: &[u8],
) -> Result<Option<SessionRecord>, AppError> {
    let row = conn
        .prepare_cached(
            "SELECT s.id, s.last_seen_at, s.expires_at, u.id, u.username, u.email, u.display_name,
                    u.status, (SELECT group_concat(role) FROM user_roles WHERE user_id = u.id)
               FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token_hash = ?1",
        )?
        .query_row([token_hash], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })
        .optional()?;
    let Some((
        session_id,
        last_seen_at,
        expires_at,
        user_id,
        username,
        email,
        display_name,
        status,
        roles,
    )) = row
    else {
        return Ok(None);
    };
    Ok(Some(SessionRecord {
        user: AuthUser {
            user_id,
            username,
            email,
            display_name,
            roles: parse_roles(roles.as_deref()),
            status: parse_status(&status)?,
            session_id,
            session_expires_at: expires_at,
        },
        last_seen_at,
    }))
}

pub fn touch_session(conn: &Connection, session_id: i64, now: i64) -> Result<(), AppError> {
    conn.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1")?
        .execute(params![session_id, now])?;
    Ok(())
}

pub fn delete_session(conn: &Connection, session_id: i64) -> Result<(), AppError> {
    conn.execute("DELETE FROM sessions WHERE id = ?1", [session_id])?;
    Ok(())
}

pub fn delete_session_by_hash(conn: &Connection, token_hash: &[u8]) -> Result<(), AppError> {
    conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

/// Ends every session of a user except `keep` (password change, disable).
pub fn delete_user_sessions(
    conn: &Connection,
    user_id: i64,
    keep: Option<i64>,
) -> Result<usize, AppError> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND id IS NOT ?2",
        params![user_id, keep],
    )?)
}

/// Deletes sessions past their absolute end or idle for longer than allowed.
pub fn purge_sessions(conn: &Connection, now: i64, idle_cutoff: i64) -> Result<usize, AppError> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
        params![now, idle_cutoff],
    )?)
}

pub fn count_sessions(conn: &Connection, now: i64) -> Result<i64, AppError> {
    Ok(conn.query_row("SELECT count(*) FROM sessions WHERE expires_at > ?1", [now], |r| r.get(0))?)
}

// ----- one-time tokens -----

pub fn insert_token(
    conn: &Connection,
    purpose: TokenPurpose,
    token_hash: &[u8],
    user_id: Option<i64>,
    now: i64,
    expires_at: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO one_time_tokens (purpose, token_hash, user_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![purpose.as_str(), token_hash, user_id, now, expires_at],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A token that is unused and unexpired: (id, user_id).
pub fn find_live_token(
    conn: &Connection,
    purpose: TokenPurpose,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<(i64, Option<i64>)>, AppError> {
    Ok(conn
        .query_row(
            "SELECT id, user_id FROM one_time_tokens
              WHERE purpose = ?1 AND token_hash = ?2 AND used_at IS NULL AND expires_at > ?3",
            params![purpose.as_str(), token_hash, now],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Marks a live token used; false when it was already used or has expired (so a token can be
/// spent once even under concurrent requests).
pub fn consume_token(conn: &Connection, token_id: i64, now: i64) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE one_time_tokens SET used_at = ?2
          WHERE id = ?1 AND used_at IS NULL AND expires_at > ?2",
        params![token_id, now],
    )?;
    Ok(changed == 1)
}

/// Expires every unused token of `purpose` (for `user_id`, or the user-less ones when None).
pub fn revoke_tokens(
    conn: &Connection,
    purpose: TokenPurpose,
    user_id: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE one_time_tokens SET expires_at = min(expires_at, ?3)
          WHERE purpose = ?1 AND user_id IS ?2 AND used_at IS NULL",
        params![purpose.as_str(), user_id, now],
    )?;
    Ok(())
}

/// Deletes tokens that expired or were used more than a week ago.
pub fn purge_tokens(conn: &Connection, now: i64) -> Result<usize, AppError> {
    let cutoff = now - 7 * 24 * 3600;
    Ok(conn
        .execute("DELETE FROM one_time_tokens WHERE expires_at <= ?1 OR used_at <= ?1", [cutoff])?)
}

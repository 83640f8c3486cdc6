//! SQL for users, roles, sessions and one-time tokens. One function per query; no decisions.

use rusqlite::{params, Connection, OptionalExtension};

use super::model::{
    parse_roles, AuthUser, Credential, Role, TokenPurpose, UserStatus, GUEST_EMAIL_DOMAIN,
};
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
        Err(err) => Err(taken(err)),
    }
}

/// A unique violation on users as the 409 naming the field.
fn taken(err: rusqlite::Error) -> AppError {
    match unique_violation(&err).as_deref() {
        Some("users.username") => {
            AppError::conflict_field("username", "This username is already taken.")
        }
        Some("users.email") => {
            AppError::conflict_field("email", "An account with this email address already exists.")
        }
        _ => err.into(),
    }
}

/// The account holding an email address, with what tells whether it is a guest's.
#[derive(Debug, Clone)]
pub(crate) struct AddressHolder {
    pub user_id: i64,
    pub email: String,
    pub status: UserStatus,
    pub has_password: bool,
    pub roles: Vec<Role>,
}

impl AddressHolder {
    /// An account made for a guest who gave this address (registering for a gift exchange):
    /// only the guest role, no password, active. A real account for the address takes it over
    /// rather than being refused. A guest who signed up without an address holds a placeholder
    /// (`GUEST_EMAIL_DOMAIN`) that nobody can take over; a guest the club disabled stays so.
    pub(crate) fn is_guest(&self) -> bool {
        self.roles == [Role::Guest]
            && !self.has_password
            && self.status == UserStatus::Active
            && !self.email.ends_with(GUEST_EMAIL_DOMAIN)
    }
}

/// Who holds `email` (never a username), if anyone.
pub(crate) fn address_holder(
    conn: &Connection,
    email: &str,
) -> Result<Option<AddressHolder>, AppError> {
    let row: Option<(i64, String, String, bool, Option<String>)> = conn
        .prepare_cached(
            "SELECT id, email, status, password_hash IS NOT NULL,
                    (SELECT group_concat(role) FROM user_roles WHERE user_id = users.id)
               FROM users WHERE email = ?1",
        )?
        .query_row([email], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    row.map(|(user_id, email, status, has_password, roles)| {
        Ok(AddressHolder {
            user_id,
            email,
            status: parse_status(&status)?,
            has_password,
            roles: parse_roles(roles.as_deref()),
        })
    })
    .transpose()
}

/// Gives the account `user_id` the username, password and status of `user`, and its name when
/// `user` has one (a guest's own name stays otherwise); a taken username is a 409 naming it.
pub(crate) fn take_over_account(
    conn: &Connection,
    user_id: i64,
    user: &NewUser<'_>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET username = ?2, display_name = coalesce(nullif(?3, ''), display_name),
                          password_hash = ?4, status = ?5, updated_at = ?6
          WHERE id = ?1",
        params![
            user_id,
            user.username,
            user.display_name,
            user.password_hash,
            user.status.as_str(),
            now
        ],
    )
    .map_err(taken)?;
    Ok(())
}

/// Replaces every role of a user with `roles`.
pub(crate) fn replace_roles(
    conn: &Connection,
    user_id: i64,
    roles: &[Role],
) -> Result<(), AppError> {
    conn.execute("DELETE FROM user_roles WHERE user_id = ?1", [user_id])?;
    add_roles(conn, user_id, roles)
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
pub(crate) struct LoginRecord {
    pub user_id: i64,
    pub password_hash: Option<String>,
    pub status: UserStatus,
}

pub(crate) fn find_for_login(
    conn: &Connection,
    login: &str,
) -> Result<Option<LoginRecord>, AppError> {
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

/// (id, status, stored address) of the account with this email address (never a username).
pub(crate) fn find_by_email(
    conn: &Connection,
    email: &str,
) -> Result<Option<(i64, UserStatus, String)>, AppError> {
    let row: Option<(i64, String, String)> = conn
        .query_row("SELECT id, status, email FROM users WHERE email = ?1", [email], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    row.map(|(id, status, email)| Ok((id, parse_status(&status)?, email))).transpose()
}

pub(crate) fn find_status(conn: &Connection, user_id: i64) -> Result<Option<UserStatus>, AppError> {
    let status: Option<String> = conn
        .query_row("SELECT status FROM users WHERE id = ?1", [user_id], |r| r.get(0))
        .optional()?;
    status.map(|s| parse_status(&s)).transpose()
}

pub(crate) fn find_id_by_username(
    conn: &Connection,
    username: &str,
) -> Result<Option<i64>, AppError> {
    Ok(conn
        .query_row("SELECT id FROM users WHERE username = ?1", [username], |r| r.get(0))
        .optional()?)
}

fn parse_status(s: &str) -> Result<UserStatus, AppError> {
    s.parse().map_err(AppError::internal)
}

pub(crate) fn email_of(conn: &Connection, user_id: i64) -> Result<String, AppError> {
    Ok(conn.query_row("SELECT email FROM users WHERE id = ?1", [user_id], |r| r.get(0))?)
}

pub(crate) fn username_of(conn: &Connection, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row("SELECT username FROM users WHERE id = ?1", [user_id], |r| r.get(0))
        .optional()?)
}

pub(crate) fn has_password(conn: &Connection, user_id: i64) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT password_hash IS NOT NULL FROM users WHERE id = ?1",
        [user_id],
        |r| r.get(0),
    )?)
}

/// The stored password hash of an account (None without a password).
pub(crate) fn password_hash_of(
    conn: &Connection,
    user_id: i64,
) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row("SELECT password_hash FROM users WHERE id = ?1", [user_id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// (the member's own 2FA choice, whether they are an admin).
pub(crate) fn two_factor_info(conn: &Connection, user_id: i64) -> Result<(bool, bool), AppError> {
    Ok(conn.query_row(
        "SELECT two_factor_enabled,
                EXISTS (SELECT 1 FROM user_roles WHERE user_id = ?1 AND role = 'admin')
           FROM users WHERE id = ?1",
        [user_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

pub(crate) fn set_two_factor(
    conn: &Connection,
    user_id: i64,
    enabled: bool,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET two_factor_enabled = ?2 WHERE id = ?1",
        params![user_id, enabled],
    )?;
    Ok(())
}

pub(crate) fn set_profile_basics(
    conn: &Connection,
    user_id: i64,
    first: &str,
    last: &str,
    phone: &str,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET first_name = ?2, last_name = ?3, phone = ?4 WHERE id = ?1",
        params![user_id, first, last, phone],
    )?;
    Ok(())
}

/// A pre-registered account becomes the member's: claimed, and on to onboarding.
pub(crate) fn mark_claimed(conn: &Connection, user_id: i64, now: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET claimed_at = ?2, status = 'onboarding', updated_at = ?2 WHERE id = ?1",
        params![user_id, now],
    )?;
    Ok(())
}

pub(crate) fn set_phone(conn: &Connection, user_id: i64, phone: &str) -> Result<(), AppError> {
    conn.execute("UPDATE users SET phone = ?2 WHERE id = ?1", params![user_id, phone])?;
    Ok(())
}

pub(crate) fn set_invite(conn: &Connection, user_id: i64, invite_id: i64) -> Result<(), AppError> {
    conn.execute("UPDATE users SET invite_id = ?2 WHERE id = ?1", params![user_id, invite_id])?;
    Ok(())
}

pub(crate) fn set_password_hash(
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

/// Replaces `old`, the stored hash of `user_id`, by `new`, the same password hashed with the
/// current settings; does nothing when the password changed meanwhile. The account is not
/// edited by this, so `updated_at` stays.
pub(crate) fn upgrade_password_hash(
    conn: &Connection,
    user_id: i64,
    old: &str,
    new: &str,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE users SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2",
    )?
    .execute(params![user_id, old, new])?;
    Ok(())
}

/// The stored hash of one account with a password: the `pick`-th in id order, counted modulo
/// their number (`pick` must not be negative). None when no account has a password.
pub(crate) fn some_password_hash(conn: &Connection, pick: i64) -> Result<Option<String>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT password_hash FROM users WHERE password_hash IS NOT NULL ORDER BY id
             LIMIT 1 OFFSET ?1 % max(1, (SELECT count(*) FROM users WHERE password_hash IS NOT NULL))",
        )?
        .query_row([pick], |r| r.get(0))
        .optional()?)
}

pub(crate) fn record_login(conn: &Connection, user_id: i64, now: i64) -> Result<(), AppError> {
    conn.execute("UPDATE users SET last_login_at = ?2 WHERE id = ?1", params![user_id, now])?;
    Ok(())
}

/// Active admins; setup stays open while there are none.
pub(crate) fn count_admins(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM user_roles r JOIN users u ON u.id = r.user_id
          WHERE r.role = 'admin' AND u.status <> 'disabled'",
        [],
        |r| r.get(0),
    )?)
}

/// Users per role, for the admin home.
pub(crate) fn count_by_role(conn: &Connection) -> Result<Vec<(String, i64)>, AppError> {
    let mut stmt =
        conn.prepare_cached("SELECT role, count(*) FROM user_roles GROUP BY role ORDER BY role")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ----- sessions -----

pub(crate) struct NewSession<'a> {
    pub token_hash: &'a [u8],
    pub user_id: i64,
    pub expires_at: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub(crate) fn insert_session(
    conn: &Connection,
    s: &NewSession<'_>,
    now: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)",
        params![s.token_hash, s.user_id, now, s.expires_at, s.ip, s.user_agent],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A session row joined with its user, as every authenticated request needs it.
pub(crate) struct SessionRecord {
    pub user: AuthUser,
    pub last_seen_at: i64,
}

/// The user columns an authenticated request needs, selected after the credential's own.
const AUTH_USER_COLUMNS: &str = "u.id, u.username, u.email, u.display_name, u.status,
    (SELECT group_concat(role) FROM user_roles WHERE user_id = u.id)";

struct UserColumns {
    id: i64,
    username: String,
    email: String,
    display_name: String,
    status: String,
    roles: Option<String>,
}

/// Reads `AUTH_USER_COLUMNS` starting at column `at`.
fn user_columns(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<UserColumns> {
    Ok(UserColumns {
        id: r.get(at)?,
        username: r.get(at + 1)?,
        email: r.get(at + 2)?,
        display_name: r.get(at + 3)?,
        status: r.get(at + 4)?,
        roles: r.get(at + 5)?,
    })
}

impl UserColumns {
    fn into_auth_user(self, credential: Credential) -> Result<AuthUser, AppError> {
        Ok(AuthUser {
            user_id: self.id,
            username: self.username,
            email: self.email,
            display_name: self.display_name,
            roles: parse_roles(self.roles.as_deref()),
            status: parse_status(&self.status)?,
            credential,
        })
    }
}

pub(crate) fn find_session(
    conn: &Connection,
    token_hash: &[u8],
) -> Result<Option<SessionRecord>, AppError> {
    let sql = format!(
        "SELECT s.id, s.last_seen_at, s.expires_at, {AUTH_USER_COLUMNS}
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token_hash = ?1"
    );
    let row = conn
        .prepare_cached(&sql)?
        .query_row([token_hash], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, user_columns(r, 3)?))
        })
        .optional()?;
    let Some((id, last_seen_at, expires_at, user)) = row else { return Ok(None) };
    let user = user.into_auth_user(Credential::Session { id, expires_at })?;
    Ok(Some(SessionRecord { user, last_seen_at }))
}

pub(crate) fn touch_session(conn: &Connection, session_id: i64, now: i64) -> Result<(), AppError> {
    conn.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1")?
        .execute(params![session_id, now])?;
    Ok(())
}

pub(crate) fn delete_session(conn: &Connection, session_id: i64) -> Result<(), AppError> {
    conn.execute("DELETE FROM sessions WHERE id = ?1", [session_id])?;
    Ok(())
}

/// Ends the session with this token hash: its (id, user id), when there was one.
pub(crate) fn delete_session_by_hash(
    conn: &Connection,
    token_hash: &[u8],
) -> Result<Option<(i64, i64)>, AppError> {
    Ok(conn
        .query_row(
            "DELETE FROM sessions WHERE token_hash = ?1 RETURNING id, user_id",
            [token_hash],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Ends every session of a user except `keep` (password change, disable).
pub(crate) fn delete_user_sessions(
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
pub(crate) fn purge_sessions(
    conn: &Connection,
    now: i64,
    idle_cutoff: i64,
) -> Result<usize, AppError> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
        params![now, idle_cutoff],
    )?)
}

/// Ends sessions sooner when the absolute limit was shortened: none may outlive
/// `created_at + max_secs`.
pub(crate) fn cap_session_lifetimes(conn: &Connection, max_secs: i64) -> Result<usize, AppError> {
    Ok(conn.execute(
        "UPDATE sessions SET expires_at = created_at + ?1 WHERE expires_at > created_at + ?1",
        [max_secs],
    )?)
}

pub(crate) fn count_sessions(conn: &Connection, now: i64) -> Result<i64, AppError> {
    Ok(conn.query_row("SELECT count(*) FROM sessions WHERE expires_at > ?1", [now], |r| r.get(0))?)
}

// ----- one-time tokens -----

pub(crate) fn insert_token(
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

/// A live code-bearing token row.
pub(crate) struct CodeToken {
    pub id: i64,
    pub user_id: Option<i64>,
    pub code_hash: Option<Vec<u8>>,
}

pub(crate) struct NewCodeToken<'a> {
    pub purpose: TokenPurpose,
    pub token_hash: &'a [u8],
    pub code_hash: Option<&'a [u8]>,
    pub user_id: Option<i64>,
    pub expires_at: i64,
}

pub(crate) fn insert_code_token(
    conn: &Connection,
    t: &NewCodeToken<'_>,
    now: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO one_time_tokens (purpose, token_hash, code_hash, user_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![t.purpose.as_str(), t.token_hash, t.code_hash, t.user_id, now, t.expires_at],
    )?;
    Ok(conn.last_insert_rowid())
}

fn code_token(r: &rusqlite::Row<'_>) -> rusqlite::Result<CodeToken> {
    Ok(CodeToken { id: r.get(0)?, user_id: r.get(1)?, code_hash: r.get(2)? })
}

/// The live token of `purpose` with this hash.
pub(crate) fn find_code_token(
    conn: &Connection,
    purpose: TokenPurpose,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<CodeToken>, AppError> {
    Ok(conn
        .query_row(
            "SELECT id, user_id, code_hash FROM one_time_tokens
              WHERE purpose = ?1 AND token_hash = ?2 AND used_at IS NULL AND expires_at > ?3",
            params![purpose.as_str(), token_hash, now],
            code_token,
        )
        .optional()?)
}

/// The newest live token of `purpose` for a user (codes typed together with an email address).
pub(crate) fn find_user_code_token(
    conn: &Connection,
    purpose: TokenPurpose,
    user_id: i64,
    now: i64,
) -> Result<Option<CodeToken>, AppError> {
    Ok(conn
        .query_row(
            "SELECT id, user_id, code_hash FROM one_time_tokens
              WHERE purpose = ?1 AND user_id = ?2 AND used_at IS NULL AND expires_at > ?3
              ORDER BY id DESC LIMIT 1",
            params![purpose.as_str(), user_id, now],
            code_token,
        )
        .optional()?)
}

/// Counts a wrong code; at `max` wrong codes the token dies.
pub(crate) fn count_wrong_code(
    conn: &Connection,
    token_id: i64,
    max: i64,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE one_time_tokens SET attempts = attempts + 1,
                expires_at = CASE WHEN attempts + 1 >= ?2 THEN min(expires_at, ?3) ELSE expires_at END
          WHERE id = ?1",
        params![token_id, max, now],
    )?;
    Ok(())
}

/// A token that is unused and unexpired: (id, user_id).
pub(crate) fn find_live_token(
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
pub(crate) fn consume_token(conn: &Connection, token_id: i64, now: i64) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE one_time_tokens SET used_at = ?2
          WHERE id = ?1 AND used_at IS NULL AND expires_at > ?2",
        params![token_id, now],
    )?;
    Ok(changed == 1)
}

/// Expires every unused token of `purpose` (for `user_id`, or the user-less ones when None).
pub(crate) fn revoke_tokens(
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
pub(crate) fn purge_tokens(conn: &Connection, now: i64) -> Result<usize, AppError> {
    let cutoff = now - 7 * 24 * 3600;
    Ok(conn
        .execute("DELETE FROM one_time_tokens WHERE expires_at <= ?1 OR used_at <= ?1", [cutoff])?)
}

// ----- API tokens -----

pub(crate) struct NewApiToken<'a> {
    pub family: &'a str,
    pub user_id: i64,
    /// "access" or "refresh".
    pub kind: &'a str,
    pub token_hash: &'a [u8],
    pub expires_at: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub(crate) fn insert_api_token(
    conn: &Connection,
    t: &NewApiToken<'_>,
    now: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO api_tokens (family, user_id, kind, token_hash, created_at, expires_at, ip, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![t.family, t.user_id, t.kind, t.token_hash, now, t.expires_at, t.ip, t.user_agent],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A refresh token as rotation needs it.
pub(crate) struct RefreshRecord {
    pub id: i64,
    pub family: String,
    pub user_id: i64,
    pub expires_at: i64,
    pub rotated: bool,
    pub revoked: bool,
}

pub(crate) fn find_refresh_token(
    conn: &Connection,
    token_hash: &[u8],
) -> Result<Option<RefreshRecord>, AppError> {
    Ok(conn
        .query_row(
            "SELECT id, family, user_id, expires_at, rotated_at IS NOT NULL, revoked_at IS NOT NULL
               FROM api_tokens WHERE token_hash = ?1 AND kind = 'refresh'",
            [token_hash],
            |r| {
                Ok(RefreshRecord {
                    id: r.get(0)?,
                    family: r.get(1)?,
                    user_id: r.get(2)?,
                    expires_at: r.get(3)?,
                    rotated: r.get(4)?,
                    revoked: r.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Marks a refresh token used; false when it already was (or was revoked meanwhile).
pub(crate) fn rotate_refresh_token(conn: &Connection, id: i64, now: i64) -> Result<bool, AppError> {
    Ok(conn.execute(
        "UPDATE api_tokens SET rotated_at = ?2, last_used_at = ?2
          WHERE id = ?1 AND rotated_at IS NULL AND revoked_at IS NULL",
        params![id, now],
    )? == 1)
}

/// The user behind a live access token, as bearer authentication needs it, and when the token
/// was last used.
pub(crate) fn find_access_user(
    conn: &Connection,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<(AuthUser, Option<i64>)>, AppError> {
    let sql = format!(
        "SELECT t.id, t.family, t.expires_at, t.last_used_at, {AUTH_USER_COLUMNS}
           FROM api_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = ?1 AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > ?2"
    );
    let row = conn
        .prepare_cached(&sql)?
        .query_row(params![token_hash, now], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<i64>>(3)?,
                user_columns(r, 4)?,
            ))
        })
        .optional()?;
    let Some((id, family, expires_at, last_used, user)) = row else { return Ok(None) };
    Ok(Some((user.into_auth_user(Credential::Token { id, family, expires_at })?, last_used)))
}

pub(crate) fn touch_api_token(conn: &Connection, id: i64, now: i64) -> Result<(), AppError> {
    conn.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}

pub(crate) fn revoke_token_family(
    conn: &Connection,
    family: &str,
    now: i64,
) -> Result<usize, AppError> {
    Ok(conn.execute(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE family = ?1 AND revoked_at IS NULL",
        params![family, now],
    )?)
}

/// Whether a browser session is still live at `now` (not ended, not past its absolute or idle
/// limit) and its user may still use the member area.
pub(crate) fn session_alive(
    conn: &Connection,
    session_id: i64,
    now: i64,
    idle_secs: i64,
) -> Result<bool, AppError> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.id = ?1 AND s.expires_at > ?2 AND ?2 - s.last_seen_at < ?3 AND {})",
        crate::members::model::active_member_sql("u")
    );
    Ok(conn.prepare_cached(&sql)?.query_row(params![session_id, now, idle_secs], |r| r.get(0))?)
}

/// Whether an API login (a token family) still holds a live token and its user may still use
/// the member area.
pub(crate) fn token_family_alive(
    conn: &Connection,
    family: &str,
    now: i64,
) -> Result<bool, AppError> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM api_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.family = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2 AND {})",
        crate::members::model::active_member_sql("u")
    );
    Ok(conn.prepare_cached(&sql)?.query_row(params![family, now], |r| r.get(0))?)
}

/// Revokes every API token of a user except those of `keep_family`.
pub(crate) fn revoke_user_tokens(
    conn: &Connection,
    user_id: i64,
    keep_family: Option<&str>,
    now: i64,
) -> Result<usize, AppError> {
    Ok(conn.execute(
        "UPDATE api_tokens SET revoked_at = ?3
          WHERE user_id = ?1 AND revoked_at IS NULL AND family IS NOT ?2",
        params![user_id, keep_family, now],
    )?)
}

/// A signed-in device: a browser session or an API token family.
pub(crate) struct DeviceRow {
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Reads (id, created_at, last seen, ip, user agent), the columns both device lists select.
fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRow> {
    Ok(DeviceRow {
        id: r.get(0)?,
        created_at: r.get(1)?,
        last_seen_at: r.get(2)?,
        ip: r.get(3)?,
        user_agent: r.get(4)?,
    })
}

pub(crate) fn list_sessions(
    conn: &Connection,
    user_id: i64,
    now: i64,
) -> Result<Vec<DeviceRow>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT CAST(id AS TEXT), created_at, last_seen_at, ip, user_agent FROM sessions
          WHERE user_id = ?1 AND expires_at > ?2 ORDER BY last_seen_at DESC",
    )?;
    let rows = stmt.query_map(params![user_id, now], device_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Live API token families of a user (a family lives while its current refresh token does).
pub(crate) fn list_token_families(
    conn: &Connection,
    user_id: i64,
    now: i64,
) -> Result<Vec<DeviceRow>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT family, min(created_at), max(last_used_at), min(ip), min(user_agent) FROM api_tokens
          WHERE user_id = ?1 AND revoked_at IS NULL
          GROUP BY family
         HAVING max(kind = 'refresh' AND rotated_at IS NULL AND expires_at > ?2) = 1
          ORDER BY 2 DESC",
    )?;
    let rows = stmt.query_map(params![user_id, now], device_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn family_owner(conn: &Connection, family: &str) -> Result<Option<i64>, AppError> {
    Ok(conn
        .query_row("SELECT user_id FROM api_tokens WHERE family = ?1 LIMIT 1", [family], |r| {
            r.get(0)
        })
        .optional()?)
}

pub(crate) fn session_owner(conn: &Connection, session_id: i64) -> Result<Option<i64>, AppError> {
    Ok(conn
        .query_row("SELECT user_id FROM sessions WHERE id = ?1", [session_id], |r| r.get(0))
        .optional()?)
}

pub(crate) fn purge_api_tokens(conn: &Connection, now: i64) -> Result<usize, AppError> {
    Ok(conn.execute("DELETE FROM api_tokens WHERE expires_at <= ?1", [now - 24 * 3600])?)
}

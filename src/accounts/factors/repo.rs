//! Queries for authenticator apps, recovery codes and sign-in challenges.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::AppError;

/// A member's authenticator app: the sealed secret, whether it was confirmed, the newest step
/// a code was accepted for.
pub(crate) struct AppRow {
    pub secret: String,
    pub confirmed: bool,
    pub last_step: i64,
}

pub(crate) fn find_app(conn: &Connection, user_id: i64) -> Result<Option<AppRow>, AppError> {
    Ok(conn
        .query_row(
            "SELECT secret, confirmed_at IS NOT NULL, last_step FROM authenticator_apps
              WHERE user_id = ?1",
            [user_id],
            |r| Ok(AppRow { secret: r.get(0)?, confirmed: r.get(1)?, last_step: r.get(2)? }),
        )
        .optional()?)
}

/// Starts (or restarts) the set-up of an app with a new sealed secret, unconfirmed.
pub(crate) fn put_pending_app(
    conn: &Connection,
    user_id: i64,
    sealed: &str,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO authenticator_apps (user_id, secret, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id) DO UPDATE SET secret = ?2, created_at = ?3, confirmed_at = NULL,
                last_step = 0",
        params![user_id, sealed, now],
    )?;
    Ok(())
}

/// Records that a code of `step` was accepted (and confirms a pending app). False when a code
/// of that step or a later one was accepted before: the caller must refuse the code.
pub(crate) fn accept_step(
    conn: &Connection,
    user_id: i64,
    step: i64,
    now: i64,
) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE authenticator_apps SET last_step = ?2, confirmed_at = coalesce(confirmed_at, ?3)
          WHERE user_id = ?1 AND last_step < ?2",
        params![user_id, step, now],
    )?;
    Ok(changed == 1)
}

pub(crate) fn delete_app(conn: &Connection, user_id: i64) -> Result<bool, AppError> {
    Ok(conn.execute("DELETE FROM authenticator_apps WHERE user_id = ?1", [user_id])? == 1)
}

/// Replaces every recovery code of the account.
pub(crate) fn replace_recovery_codes(
    conn: &Connection,
    user_id: i64,
    hashes: &[Vec<u8>],
    now: i64,
) -> Result<(), AppError> {
    conn.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
    let mut insert = conn.prepare(
        "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?1, ?2, ?3)",
    )?;
    for hash in hashes {
        insert.execute(params![user_id, hash, now])?;
    }
    Ok(())
}

pub(crate) fn delete_recovery_codes(conn: &Connection, user_id: i64) -> Result<usize, AppError> {
    Ok(conn.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?)
}

pub(crate) fn unused_recovery_codes(conn: &Connection, user_id: i64) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
        [user_id],
        |r| r.get(0),
    )?)
}

/// Spends the unused recovery code with this hash; false when there is none.
pub(crate) fn spend_recovery_code(
    conn: &Connection,
    user_id: i64,
    hash: &[u8],
    now: i64,
) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE recovery_codes SET used_at = ?3
          WHERE id = (SELECT id FROM recovery_codes
                       WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL LIMIT 1)",
        params![user_id, hash, now],
    )?;
    Ok(changed == 1)
}

// ----- sign-in challenges -----

pub(crate) struct NewChallenge<'a> {
    pub token_hash: &'a [u8],
    pub user_id: i64,
    pub grant: &'a str,
    pub first_factor: &'a str,
    pub stage: &'a str,
    pub email_code_hash: Option<&'a [u8]>,
    pub expires_at: i64,
}

pub(crate) fn insert_challenge(
    conn: &Connection,
    c: &NewChallenge<'_>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO sign_in_challenges
                (token_hash, user_id, grant_kind, first_factor, stage, email_code_hash,
                 created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            c.token_hash,
            c.user_id,
            c.grant,
            c.first_factor,
            c.stage,
            c.email_code_hash,
            now,
            c.expires_at
        ],
    )?;
    Ok(())
}

/// A live challenge, as stored.
pub(crate) struct ChallengeRow {
    pub id: i64,
    pub user_id: i64,
    pub grant: String,
    pub first_factor: String,
    pub stage: String,
    pub email_code_hash: Option<Vec<u8>>,
    pub passkey_state: Option<String>,
}

pub(crate) fn find_challenge(
    conn: &Connection,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<ChallengeRow>, AppError> {
    Ok(conn
        .query_row(
            "SELECT id, user_id, grant_kind, first_factor, stage, email_code_hash, passkey_state
               FROM sign_in_challenges
              WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            params![token_hash, now],
            |r| {
                Ok(ChallengeRow {
                    id: r.get(0)?,
                    user_id: r.get(1)?,
                    grant: r.get(2)?,
                    first_factor: r.get(3)?,
                    stage: r.get(4)?,
                    email_code_hash: r.get(5)?,
                    passkey_state: r.get(6)?,
                })
            },
        )
        .optional()?)
}

/// Counts a wrong answer; the challenge dies at `max`.
pub(crate) fn count_wrong_answer(
    conn: &Connection,
    id: i64,
    max: i64,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE sign_in_challenges SET attempts = attempts + 1,
                expires_at = CASE WHEN attempts + 1 >= ?2 THEN min(expires_at, ?3) ELSE expires_at END
          WHERE id = ?1",
        params![id, max, now],
    )?;
    Ok(())
}

/// Moves a challenge on to `stage`, alive until `expires_at`.
pub(crate) fn set_stage(
    conn: &Connection,
    id: i64,
    stage: &str,
    expires_at: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE sign_in_challenges SET stage = ?2, expires_at = ?3 WHERE id = ?1",
        params![id, stage, expires_at],
    )?;
    Ok(())
}

pub(crate) fn set_passkey_state(
    conn: &Connection,
    id: i64,
    state: Option<&str>,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE sign_in_challenges SET passkey_state = ?2 WHERE id = ?1",
        params![id, state],
    )?;
    Ok(())
}

/// Marks a challenge used; false when it already was (a concurrent answer won).
pub(crate) fn use_challenge(conn: &Connection, id: i64, now: i64) -> Result<bool, AppError> {
    Ok(conn.execute(
        "UPDATE sign_in_challenges SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
        params![id, now],
    )? == 1)
}

/// Retires the account's open challenges: one sign-in at a time.
pub(crate) fn retire_challenges(conn: &Connection, user_id: i64, now: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE sign_in_challenges SET used_at = ?2 WHERE user_id = ?1 AND used_at IS NULL",
        params![user_id, now],
    )?;
    Ok(())
}

/// Deletes challenges that ended a week ago or more.
pub(crate) fn purge_challenges(conn: &Connection, now: i64) -> Result<usize, AppError> {
    let cutoff = now - 7 * 24 * 3600;
    Ok(conn.execute(
        "DELETE FROM sign_in_challenges WHERE expires_at <= ?1 OR used_at <= ?1",
        [cutoff],
    )?)
}

//! One-time set-password links an admin or the command line hands out.

use rusqlite::Connection;

use crate::accounts::model::ClientInfo;
use crate::accounts::model::TokenPurpose;
use crate::accounts::password::{check_confirmation, check_policy};
use crate::accounts::repo;
use crate::accounts::sessions::{start_session, StartedSession};
use crate::audit::{self, AuditEvent};
use crate::crypto::token_hash;
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::error::{AppError, Validator};

fn link_gone() -> AppError {
    AppError::gone("This link has expired or has already been used. Ask an admin for a new one.")
        .with_code("link_invalid")
}

/// The username a live set-password token belongs to; 410 otherwise.
pub(crate) fn check_set_password_token(
    conn: &Connection,
    ctx: &Ctx,
    token: &str,
) -> Result<String, AppError> {
    let live =
        repo::find_live_token(conn, TokenPurpose::SetPassword, &token_hash(token), ctx.now_unix())?;
    let Some((_, Some(user_id))) = live else {
        return Err(link_gone());
    };
    let username: Option<String> = conn
        .query_row("SELECT username FROM users WHERE id = ?1", [user_id], |r| r.get(0))
        .map(Some)
        .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })?;
    username.ok_or_else(link_gone)
}

pub(crate) struct SetPasswordCommand {
    pub token: String,
    pub password: String,
    pub password_confirm: Option<String>,
    pub client: ClientInfo,
}

/// Sets a password through a one-time link and ends every other session, API login and live
/// socket of the account. The person is signed in (`Some`) only when no second step is required
/// of them: the link proves their mailbox and the password they just chose came through it, so
/// where a second step is required they sign in with it like anyone else (`None`). 410 for a
/// dead link (single use, even under concurrent submissions), 422 for a password that breaks
/// the policy or does not match its confirmation. Needs a hashing permit.
pub(crate) fn set_password_with_token(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: SetPasswordCommand,
) -> Result<Option<StartedSession>, AppError> {
    let username = check_set_password_token(conn, ctx, &cmd.token)?;
    let mut v = Validator::new();
    v.result("password", check_policy(&cmd.password, &username, ""));
    v.result(
        "password_confirm",
        check_confirmation(&cmd.password, cmd.password_confirm.as_deref()),
    );
    v.finish()?;
    let hash = ctx.passwords.hash(&cmd.password)?;

    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let live =
            repo::find_live_token(tx, TokenPurpose::SetPassword, &token_hash(&cmd.token), now)?;
        let Some((token_id, Some(user_id))) = live else {
            return Err(link_gone());
        };
        if !repo::consume_token(tx, token_id, now)? {
            return Err(link_gone());
        }
        repo::set_password_hash(tx, user_id, &hash, now)?;
        repo::delete_user_sessions(tx, user_id, None)?;
        repo::revoke_user_tokens(tx, user_id, None, now)?;
        tx.disconnect(user_id);
        let event = AuditEvent::new("password_set").actor(user_id).ip(cmd.client.ip.as_deref());
        audit::record(tx, event, now)?;
        if crate::accounts::factors::requirement(tx, user_id)?.second_step {
            return Ok(None);
        }
        start_session(tx, ctx, user_id, &cmd.client, None).map(Some)
    })
}

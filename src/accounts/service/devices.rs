//! A member's own account security: password change, the devices they are signed in on,
//! and ending sessions.

use rusqlite::Connection;
use schemars::JsonSchema;

use crate::accounts::model::ClientInfo;
use crate::accounts::model::{AuthUser, SignIn};
use crate::accounts::password::check_policy;
use crate::accounts::repo;
use crate::accounts::sessions::account_limit_key;
use crate::audit::{self, AuditEvent};
use crate::clock::{from_unix, rfc3339};
use crate::ctx::Ctx;
use crate::db::{write_tx, Tx};
use crate::error::{AppError, Validator};

pub(crate) struct ChangePasswordCommand {
    pub current_password: String,
    pub new_password: String,
    pub client: ClientInfo,
}

/// Changes the signed-in member's password. A wrong current password is 401
/// `invalid_credentials` (and counts as a failed login); a new one against the policy is 422
/// on `new_password`. Success ends every other session and API token of the account (and closes
/// their live sockets), keeping only the credential this request came with. Needs a hashing
/// permit.
pub(crate) fn change_password(
    conn: &mut Connection,
    ctx: &Ctx,
    user: &AuthUser,
    cmd: ChangePasswordCommand,
) -> Result<(), AppError> {
    let mut v = Validator::new();
    v.check(!cmd.current_password.is_empty(), "current_password", "Enter your current password.");
    v.result("new_password", check_policy(&cmd.new_password, &user.username, &user.email));
    v.finish()?;
    let account_key = account_limit_key(user.user_id);
    ctx.limits.login_account.check(&account_key)?;
    let stored = repo::find_for_login(conn, &user.username)?.and_then(|r| r.password_hash);
    if !ctx.passwords.verify(&cmd.current_password, stored.as_deref()) {
        ctx.limits.login_account.record(&account_key);
        return Err(AppError::invalid_credentials().with_fields(
            [("current_password".to_string(), "This is not your current password.".to_string())]
                .into(),
        ));
    }
    let hash = ctx.passwords.hash(&cmd.new_password)?;
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        repo::set_password_hash(tx, user.user_id, &hash, now)?;
        repo::delete_user_sessions(tx, user.user_id, user.credential.session_id())?;
        repo::revoke_user_tokens(tx, user.user_id, user.credential.token_family(), now)?;
        tx.disconnect_all_but(user.user_id, user.credential.sign_in());
        let event =
            AuditEvent::new("password_changed").actor(user.user_id).ip(cmd.client.ip.as_deref());
        audit::record(tx, event, now)
    })
}

/// One signed-in device in `GET /api/v1/auth/sessions`.
#[derive(Debug, serde::Serialize, JsonSchema)]
#[schemars(rename = "Device")]
pub(crate) struct DeviceView {
    pub id: String,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub last_seen_at: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session or token family this request came with.
    pub current: bool,
}

#[derive(Debug, serde::Serialize, JsonSchema)]
#[schemars(rename = "Devices")]
pub(crate) struct DevicesView {
    pub sessions: Vec<DeviceView>,
    pub tokens: Vec<DeviceView>,
}

/// The member's own browser sessions and API token families.
pub(crate) fn list_devices(
    conn: &Connection,
    ctx: &Ctx,
    user: &AuthUser,
) -> Result<DevicesView, AppError> {
    let now = ctx.now_unix();
    let view = |row: repo::DeviceRow, current: bool| DeviceView {
        created_at: rfc3339(from_unix(row.created_at)),
        last_seen_at: row.last_seen_at.map(|t| rfc3339(from_unix(t))),
        id: row.id,
        ip: row.ip,
        user_agent: row.user_agent,
        current,
    };
    let current_session = user.credential.session_id().map(|id| id.to_string());
    let current_family = user.credential.token_family().map(str::to_string);
    Ok(DevicesView {
        sessions: repo::list_sessions(conn, user.user_id, now)?
            .into_iter()
            .map(|r| {
                let current = Some(&r.id) == current_session.as_ref();
                view(r, current)
            })
            .collect(),
        tokens: repo::list_token_families(conn, user.user_id, now)?
            .into_iter()
            .map(|r| {
                let current = Some(&r.id) == current_family.as_ref();
                view(r, current)
            })
            .collect(),
    })
}

/// Ends one of the member's own sessions, and closes the live sockets opened with it; 404 for
/// anyone else's (or an unknown id).
pub(crate) fn revoke_session(
    tx: &Tx,
    ctx: &Ctx,
    user: &AuthUser,
    session_id: i64,
) -> Result<(), AppError> {
    if repo::session_owner(tx, session_id)? != Some(user.user_id) {
        return Err(AppError::not_found("No such session."));
    }
    repo::delete_session(tx, session_id)?;
    tx.disconnect_sign_in(user.user_id, SignIn::Session(session_id));
    let event = AuditEvent::new("session_revoked")
        .actor(user.user_id)
        .target(format!("session:{session_id}"));
    audit::record(tx, event, ctx.now_unix())
}

/// Revokes one of the member's own API token families, and closes the live sockets opened with
/// its tokens; 404 for anyone else's.
pub(crate) fn revoke_token_family(
    tx: &Tx,
    ctx: &Ctx,
    user: &AuthUser,
    family: &str,
) -> Result<(), AppError> {
    if repo::family_owner(tx, family)? != Some(user.user_id) {
        return Err(AppError::not_found("No such token."));
    }
    let now = ctx.now_unix();
    repo::revoke_token_family(tx, family, now)?;
    tx.disconnect_sign_in(user.user_id, SignIn::Tokens(family.to_string()));
    let event = AuditEvent::new("session_revoked")
        .actor(user.user_id)
        .target(format!("token_family:{family}"));
    audit::record(tx, event, now)
}

/// "Log out everywhere": every session and API token of the member, this one included, and
/// every live socket of theirs.
pub(crate) fn revoke_everything(tx: &Tx, ctx: &Ctx, user: &AuthUser) -> Result<(), AppError> {
    let now = ctx.now_unix();
    repo::delete_user_sessions(tx, user.user_id, None)?;
    repo::revoke_user_tokens(tx, user.user_id, None, now)?;
    tx.disconnect(user.user_id);
    audit::record(tx, AuditEvent::new("logged_out_everywhere").actor(user.user_id), now)
}

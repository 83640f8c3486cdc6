//! API tokens for scripts and apps: short-lived access tokens sent as `Authorization: Bearer`,
//! and single-use refresh tokens that rotate. Tokens of one login form a family; presenting a
//! refresh token that was already used means it was copied, so the whole family is revoked.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;

use super::model::ClientInfo;
use super::model::{AuthUser, SignIn, UserStatus};
use super::repo::{self, NewApiToken};
use crate::audit::{self, AuditEvent};
use crate::crypto::{random_hex, random_token, token_hash};
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::error::AppError;
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};

/// `{"access_token", "refresh_token", "token_type": "Bearer", "expires_in"}`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    #[schemars(extend("const" = "Bearer"))]
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    pub expires_in: i64,
}

/// Issues an access and a refresh token for `user_id`, in `family` (a new one when None).
pub(crate) fn issue_pair(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    family: Option<&str>,
    client: &ClientInfo,
) -> Result<TokenPair, AppError> {
    let now = ctx.now_unix();
    let family = family.map_or_else(|| random_hex(16), str::to_string);
    let access_secs = ctx.config.access_token_minutes * 60;
    let (access, refresh) = (random_token(), random_token());
    for (kind, token, expires_at) in [
        ("access", &access, now + access_secs),
        ("refresh", &refresh, now + ctx.config.refresh_token_days * 86_400),
    ] {
        let row = NewApiToken {
            family: &family,
            user_id,
            kind,
            token_hash: &token_hash(token),
            expires_at,
            ip: client.ip.as_deref(),
            user_agent: client.user_agent.as_deref(),
        };
        repo::insert_api_token(conn, &row, now)?;
    }
    Ok(TokenPair {
        access_token: access,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: access_secs,
    })
}

/// The user behind a bearer access token; None when it is unknown, expired or revoked, or the
/// account is disabled. Records its use at most once a minute.
pub(crate) fn resolve_access(
    conn: &Connection,
    ctx: &Ctx,
    token: &str,
) -> Result<Option<AuthUser>, AppError> {
    let now = ctx.now_unix();
    let Some((user, last_used)) = repo::find_access_user(conn, &token_hash(token), now)? else {
        return Ok(None);
    };
    if user.status == UserStatus::Disabled {
        return Ok(None);
    }
    if last_used.is_none_or(|t| now - t >= 60) {
        if let super::model::Credential::Token { id, .. } = &user.credential {
            repo::touch_api_token(conn, *id, now)?;
        }
    }
    Ok(Some(user))
}

fn invalid_refresh() -> AppError {
    AppError::new(
        crate::error::ErrorKind::Unauthorized,
        "This refresh token is invalid or has expired. Log in again.",
    )
    .with_code("invalid_token")
}

/// A refresh token presented for a new pair.
pub(crate) struct RefreshCommand {
    pub refresh_token: String,
    pub client: ClientInfo,
}

impl Limited for RefreshCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.verify_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// Trades a refresh token for a new pair in the same family; the presented one stops working.
/// A refresh token used a second time revokes its whole family (and is audited): whoever holds
/// a copy, thief or owner, must log in again. 401 `invalid_token` for anything not live.
/// Admitted per client address (10 tries a minute).
pub(crate) fn refresh(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<RefreshCommand>,
) -> Result<TokenPair, AppError> {
    let RefreshCommand { refresh_token, client } = cmd.into_inner();
    let (token, client) = (refresh_token.as_str(), &client);
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let Some(record) = repo::find_refresh_token(tx, &token_hash(token))? else {
            return Ok(Err(invalid_refresh()));
        };
        if record.rotated && !record.revoked {
            repo::revoke_token_family(tx, &record.family, now)?;
            tx.disconnect_sign_in(record.user_id, SignIn::Tokens(record.family.clone()));
            let event = AuditEvent::new("token_reuse_detected")
                .actor(record.user_id)
                .target(format!("token_family:{}", record.family))
                .ip(client.ip.as_deref());
            audit::record(tx, event, now)?;
            return Ok(Err(invalid_refresh()));
        }
        let active = repo::find_status(tx, record.user_id)? != Some(UserStatus::Disabled);
        if record.revoked
            || record.expires_at <= now
            || !active
            || !repo::rotate_refresh_token(tx, record.id, now)?
        {
            return Ok(Err(invalid_refresh()));
        }
        Ok(Ok(issue_pair(tx, ctx, record.user_id, Some(&record.family), client)?))
    })?
}

/// Revokes every token of a family (logout of an API client, or theft).
pub(crate) fn revoke_family(conn: &Connection, family: &str, now: i64) -> Result<(), AppError> {
    repo::revoke_token_family(conn, family, now)?;
    Ok(())
}

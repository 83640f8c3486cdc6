//! Everything proven by an emailed secret: second-factor codes, claiming a pre-registered
//! account, sign-in links (with a code to type instead), and password resets.
//!
//! Every secret is random, stored only as a hash (codes as a keyed hash), expires, works once,
//! and a code dies after `code_max_attempts` wrong tries. Requests that send an email answer the
//! same whether or not the address is known; the handler runs them in the background.

use rusqlite::Connection;
use serde_json::json;

use super::model::ClientInfo;
use super::model::{Actor, TokenPurpose, UserStatus};
use super::password::check_policy;
use super::repo::{self, CodeToken, NewCodeToken};
use super::second_step::{after_first_factor, FirstFactor};
use super::sessions::{finish_login, Grant, LoginOutcome};
use crate::audit::{self, AuditEvent};
use crate::crypto::{constant_time_eq, random_code, random_token, token_hash};
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::email;
use crate::error::{AppError, Validator};
use crate::members::repo as members;
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};
use crate::settings;
use crate::values::Email;

pub(crate) use super::short_codes::{code_hash, invalid_code, normalize_code};

fn code_matches(ctx: &Ctx, purpose: TokenPurpose, token: &CodeToken, code: &str) -> bool {
    let Some(stored) = &token.code_hash else { return false };
    let given = code_hash(ctx, purpose, code);
    constant_time_eq(&hex::encode(stored), &hex::encode(given))
}

/// Checks `code` for a live token row: Ok when it matches (the row is then spent); otherwise
/// the wrong try is counted (the code dies at the limit) and the answer is `invalid_code`.
/// Returns the refusal as `Ok(Err(..))` so the caller's transaction commits the count.
fn spend_code(
    conn: &Connection,
    ctx: &Ctx,
    purpose: TokenPurpose,
    token: &CodeToken,
    code: &str,
) -> Result<Result<(), AppError>, AppError> {
    let now = ctx.now_unix();
    if !code_matches(ctx, purpose, token, code) {
        repo::count_wrong_code(conn, token.id, ctx.config.code_max_attempts, now)?;
        return Ok(Err(invalid_code()));
    }
    if !repo::consume_token(conn, token.id, now)? {
        return Ok(Err(invalid_code()));
    }
    Ok(Ok(()))
}

/// The account behind an email address, looked up by address only (never by username), with
/// the address as stored. Guests have no real address and count as none.
fn account_for(
    conn: &Connection,
    email: &str,
) -> Result<Option<(i64, UserStatus, String)>, AppError> {
    let email = Email::normalize(email);
    if email.ends_with(super::model::GUEST_EMAIL_DOMAIN) {
        return Ok(None);
    }
    repo::find_by_email(conn, &email)
}

/// Accounts that may sign in by email link or reset a password: not disabled, and not
/// pre-registered ones, which are claimed instead (that is where they get their password).
fn may_use_email_sign_in(status: UserStatus) -> bool {
    !matches!(status, UserStatus::Disabled | UserStatus::Invited)
}

/// The requests that email a link or a code.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EmailFlow {
    PasswordReset,
    MagicLink,
    Claim,
}

/// Admits a request to email `flow` to `email`: 422 for something that is not an email address
/// (checked before any limiter keeps it), then the client's allowance (10 a minute for all such
/// requests; 5 a minute for claim codes) and the address's (3 an hour for each kind: however
/// many clients ask, one mailbox gets no more), each a 429 when spent. Returns the normalized
/// address.
pub(crate) fn admit(
    ctx: &Ctx,
    flow: EmailFlow,
    email: &str,
    client: &ClientInfo,
) -> Result<String, AppError> {
    let email = Email::parse(email).map_err(|message| AppError::invalid_field("email", message))?;
    let email = email.into_string();
    let limits = &ctx.limits;
    limits.email_ip.hit(&client.limit_key())?;
    match flow {
        EmailFlow::PasswordReset => limits.forgot_email.hit(&email)?,
        EmailFlow::MagicLink => limits.magic_email.hit(&email)?,
        EmailFlow::Claim => {
            limits.claim_ip.hit(&client.limit_key())?;
            limits.claim_email.hit(&email)?;
        }
    }
    Ok(email)
}

// ----- second factor -----

/// Turns the member's own second factor on or off.
pub(crate) fn set_two_factor(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    enabled: bool,
) -> Result<(), AppError> {
    let Some(user_id) = actor.user_id() else {
        return Err(AppError::forbidden("Only people have a second factor."));
    };
    repo::set_two_factor(conn, user_id, enabled)?;
    let event = AuditEvent::new(if enabled { "two_factor_enabled" } else { "two_factor_disabled" })
        .actor(user_id);
    audit::record(conn, event, ctx.now_unix())
}

// ----- account claim -----

/// Who a claim code is sent for. The outbox tells the two apart by the email's template: an
/// admin may be shown a code an admin sent, never one the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimSender {
    /// The person asked for it at the claim page.
    Owner,
    /// An admin sent it (from the member's record or an import).
    Admin,
}

/// Emails a claim code (valid `claim_code_minutes`) when `email` belongs to an unclaimed
/// pre-registered account; does nothing otherwise. Earlier codes stop working.
pub(crate) fn request_claim(conn: &Connection, ctx: &Ctx, email: &str) -> Result<(), AppError> {
    send_claim_code(conn, ctx, email, ClaimSender::Owner)
}

/// `request_claim`, for whoever `sender` is.
pub(crate) fn send_claim_code(
    conn: &Connection,
    ctx: &Ctx,
    email: &str,
    sender: ClaimSender,
) -> Result<(), AppError> {
    let Some((user_id, UserStatus::Invited, to)) = account_for(conn, email)? else { return Ok(()) };
    if repo::has_password(conn, user_id)? {
        return Ok(());
    }
    let now = ctx.now_unix();
    repo::revoke_tokens(conn, TokenPurpose::Claim, Some(user_id), now)?;
    let code = random_code(6);
    let minutes = ctx.config.claim_code_minutes;
    repo::insert_code_token(
        conn,
        &NewCodeToken {
            purpose: TokenPurpose::Claim,
            token_hash: &token_hash(&random_token()),
            code_hash: Some(&code_hash(ctx, TokenPurpose::Claim, &code)),
            user_id: Some(user_id),
            expires_at: now + minutes * 60,
        },
        now,
    )?;
    let data = json!({ "club_name": settings::club_name(conn)?, "code": code, "minutes": minutes, "url": ctx.url("/claim") });
    let template = match sender {
        ClaimSender::Owner => "claim_code",
        ClaimSender::Admin => "member_claim_code",
    };
    email::queue(conn, ctx, &to, template, &data)?;
    Ok(())
}

pub(crate) struct ClaimCommand {
    pub email: String,
    pub code: String,
    pub password: String,
    pub client: ClientInfo,
}

impl Limited for ClaimCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.verify_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// Claims a pre-registered account: with the right code, sets the password, marks the account
/// claimed, moves it to `onboarding` and signs in. 422 for a password against the policy (the
/// code is not spent); 400 `invalid_code` for an unknown email, a wrong or expired code (wrong
/// codes count; the code dies at the limit). Wrong codes also count per address, whichever code
/// they were meant for: past 10 in an hour every try is 429, so asking for new codes buys no
/// more guesses. Admitted per client address (10 tries a minute). Needs a hashing permit.
pub(crate) fn complete_claim(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<ClaimCommand>,
) -> Result<LoginOutcome, AppError> {
    let cmd = cmd.into_inner();
    let email = Email::normalize(&cmd.email);
    let mut v = Validator::new();
    v.check(!email.is_empty(), "email", "Enter your email address.");
    v.check(!cmd.code.trim().is_empty(), "code", "Enter the code from the email.");
    v.result("password", check_policy(&cmd.password, "", &email));
    v.finish()?;
    // Counted per typed address, so that an address without an account answers alike.
    ctx.limits.claim_guesses.check(&email)?;
    let wrong = |refused: AppError| {
        ctx.limits.claim_guesses.record(&email);
        Ok(Err(refused))
    };
    let hash = ctx.passwords.hash(&cmd.password)?;
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let Some((user_id, UserStatus::Invited, _)) = account_for(tx, &email)? else {
            return wrong(invalid_code());
        };
        let Some(token) = repo::find_user_code_token(tx, TokenPurpose::Claim, user_id, now)? else {
            return wrong(invalid_code());
        };
        if let Err(refused) = spend_code(tx, ctx, TokenPurpose::Claim, &token, &cmd.code)? {
            return wrong(refused);
        }
        repo::set_password_hash(tx, user_id, &hash, now)?;
        repo::mark_claimed(tx, user_id, now)?;
        let (from, to) = (UserStatus::Invited, UserStatus::Onboarding);
        members::change_status(tx, user_id, from, to, Some(user_id), None, now)?;
        audit::record(
            tx,
            AuditEvent::new("account_claimed").actor(user_id).ip(cmd.client.ip.as_deref()),
            now,
        )?;
        Ok(finish_login(tx, ctx, user_id, Grant::Session, &cmd.client, None, "claim"))
    })?
}

// ----- sign-in links -----

/// Emails a sign-in link (and the same secret as a code to type) valid `magic_link_minutes`
/// when `email` belongs to an account that is neither disabled nor waiting to be claimed; does
/// nothing otherwise.
pub(crate) fn request_magic_link(
    conn: &Connection,
    ctx: &Ctx,
    email: &str,
) -> Result<(), AppError> {
    let Some((user_id, status, to)) = account_for(conn, email)? else { return Ok(()) };
    if !may_use_email_sign_in(status) {
        return Ok(());
    }
    let now = ctx.now_unix();
    let (token, code) = (random_token(), random_code(6));
    let minutes = ctx.config.magic_link_minutes;
    repo::insert_code_token(
        conn,
        &NewCodeToken {
            purpose: TokenPurpose::MagicLink,
            token_hash: &token_hash(&token),
            code_hash: Some(&code_hash(ctx, TokenPurpose::MagicLink, &code)),
            user_id: Some(user_id),
            expires_at: now + minutes * 60,
        },
        now,
    )?;
    let data = json!({
        "club_name": settings::club_name(conn)?,
        "url": ctx.url(&format!("/auth/magic/{token}")),
        "code": code,
        "code_url": ctx.url("/login/code"),
        "minutes": minutes,
    });
    email::queue(conn, ctx, &to, "magic_link", &data)?;
    Ok(())
}

/// The username a live sign-in link is for (the page asks to confirm before signing in, so
/// that mail scanners opening links do not spend them); 400 `invalid_code` otherwise.
pub(crate) fn magic_link_user(
    conn: &Connection,
    ctx: &Ctx,
    token: &str,
) -> Result<String, AppError> {
    let found =
        repo::find_code_token(conn, TokenPurpose::MagicLink, &token_hash(token), ctx.now_unix())?;
    let Some(user_id) = found.and_then(|t| t.user_id) else { return Err(invalid_code()) };
    repo::username_of(conn, user_id)?.ok_or_else(invalid_code)
}

pub(crate) enum MagicProof {
    /// The token from the link.
    Link(String),
    /// The email address and the code typed from the email.
    Code { email: String, code: String },
}

/// A sign-in with a link or its code, as the request gave them.
pub(crate) struct MagicCommand {
    pub token: Option<String>,
    pub email: Option<String>,
    pub code: Option<String>,
    pub client: ClientInfo,
    /// The session token the browser already had, ended on success.
    pub replaces: Option<String>,
}

impl MagicCommand {
    /// A sign-in with the token of a link.
    pub(crate) fn link(token: String, client: ClientInfo, replaces: Option<String>) -> Self {
        MagicCommand { token: Some(token), email: None, code: None, client, replaces }
    }

    /// The link's token, or the email address and the code; 422 `token` when neither is whole.
    fn proof(&self) -> Result<MagicProof, AppError> {
        match (&self.token, &self.email, &self.code) {
            (Some(token), _, _) => Ok(MagicProof::Link(token.clone())),
            (None, Some(email), Some(code)) => {
                Ok(MagicProof::Code { email: email.clone(), code: code.clone() })
            }
            _ => Err(AppError::invalid_field(
                "token",
                "Send the token from the link, or the email address and the code.",
            )),
        }
    }
}

impl Limited for MagicCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.verify_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// Signs in with a sign-in link or its code (single use; a wrong code counts toward the
/// limit): a session. 422 `token` when neither a token nor the email and code are given; 400
/// `invalid_code` otherwise; a disabled account cannot sign in this way either. Admitted per
/// client address (10 tries a minute).
pub(crate) fn complete_magic_link(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<MagicCommand>,
) -> Result<LoginOutcome, AppError> {
    let cmd = cmd.into_inner();
    let proof = cmd.proof()?;
    let (client, replaces) = (&cmd.client, cmd.replaces.as_deref());
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let user_id = match &proof {
            MagicProof::Link(token) => {
                let found =
                    repo::find_code_token(tx, TokenPurpose::MagicLink, &token_hash(token), now)?;
                let Some(token) = found else { return Ok(Err(invalid_code())) };
                if !repo::consume_token(tx, token.id, now)? {
                    return Ok(Err(invalid_code()));
                }
                token.user_id
            }
            MagicProof::Code { email, code } => {
                let Some((user_id, _, _)) = account_for(tx, email)? else {
                    return Ok(Err(invalid_code()));
                };
                let Some(token) =
                    repo::find_user_code_token(tx, TokenPurpose::MagicLink, user_id, now)?
                else {
                    return Ok(Err(invalid_code()));
                };
                if let Err(refused) = spend_code(tx, ctx, TokenPurpose::MagicLink, &token, code)? {
                    return Ok(Err(refused));
                }
                Some(user_id)
            }
        };
        let Some(user_id) = user_id else { return Ok(Err(invalid_code())) };
        if repo::find_status(tx, user_id)? == Some(UserStatus::Disabled) {
            return Ok(Err(invalid_code()));
        }
        let first = FirstFactor::Email;
        match after_first_factor(tx, ctx, user_id, first, Grant::Session, client, replaces) {
            // The refusal of a sign-in the link cannot finish still spends the link.
            Ok(outcome) => Ok(Ok(outcome)),
            Err(refused) if refused.code() == "second_step_unavailable" => Ok(Err(refused)),
            Err(err) => Err(err),
        }
    })?
}

// ----- password reset -----

/// Emails a reset link valid `reset_link_minutes` when `email` belongs to an account that is
/// neither disabled nor waiting to be claimed; does nothing otherwise.
pub(crate) fn request_reset(conn: &Connection, ctx: &Ctx, email: &str) -> Result<(), AppError> {
    let Some((user_id, status, to)) = account_for(conn, email)? else { return Ok(()) };
    if !may_use_email_sign_in(status) {
        return Ok(());
    }
    let now = ctx.now_unix();
    let token = random_token();
    let minutes = ctx.config.reset_link_minutes;
    repo::insert_token(
        conn,
        TokenPurpose::PasswordReset,
        &token_hash(&token),
        Some(user_id),
        now,
        now + minutes * 60,
    )?;
    let data = json!({
        "club_name": settings::club_name(conn)?,
        "url": ctx.url(&format!("/reset/{token}")),
        "minutes": minutes,
    });
    email::queue(conn, ctx, &to, "password_reset", &data)?;
    Ok(())
}

fn invalid_reset() -> AppError {
    AppError::bad_request(
        "This reset link is invalid, has expired or was already used. Ask for a new one.",
    )
    .with_code("invalid_token")
}

/// Ok when `token` is a live reset token.
pub(crate) fn check_reset_token(conn: &Connection, ctx: &Ctx, token: &str) -> Result<(), AppError> {
    match repo::find_live_token(
        conn,
        TokenPurpose::PasswordReset,
        &token_hash(token),
        ctx.now_unix(),
    )? {
        Some(_) => Ok(()),
        None => Err(invalid_reset()),
    }
}

/// A new password through a reset link.
pub(crate) struct ResetCommand {
    pub token: String,
    pub new_password: String,
    pub client: ClientInfo,
}

impl Limited for ResetCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.verify_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// Sets a new password with a reset token (single use) and ends every session, API token and
/// live socket of the account. 400 `invalid_token` for an invalid, expired or used token; 422 for a
/// password against the policy (the token is not spent). The confirmation is checked before,
/// by `ResetInput::into_command`. Admitted per client address (10 tries a minute). Needs a
/// hashing permit.
pub(crate) fn reset_password(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<ResetCommand>,
) -> Result<(), AppError> {
    let ResetCommand { token, new_password, client } = cmd.into_inner();
    let (token, password, client) = (token.as_str(), new_password.as_str(), &client);
    let live = repo::find_live_token(
        conn,
        TokenPurpose::PasswordReset,
        &token_hash(token),
        ctx.now_unix(),
    )?;
    let Some((_, Some(user_id))) = live else { return Err(invalid_reset()) };
    let username = repo::username_of(conn, user_id)?.unwrap_or_default();
    let email = repo::email_of(conn, user_id)?;
    let mut v = Validator::new();
    v.result("new_password", check_policy(password, &username, &email));
    v.finish()?;
    let hash = ctx.passwords.hash(password)?;
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let live = repo::find_live_token(tx, TokenPurpose::PasswordReset, &token_hash(token), now)?;
        let Some((token_id, Some(user_id))) = live else { return Err(invalid_reset()) };
        if !repo::consume_token(tx, token_id, now)? {
            return Err(invalid_reset());
        }
        repo::set_password_hash(tx, user_id, &hash, now)?;
        repo::delete_user_sessions(tx, user_id, None)?;
        repo::revoke_user_tokens(tx, user_id, None, now)?;
        tx.disconnect(user_id);
        repo::revoke_tokens(tx, TokenPurpose::PasswordReset, Some(user_id), now)?;
        audit::record(
            tx,
            AuditEvent::new("password_reset").actor(user_id).ip(client.ip.as_deref()),
            now,
        )
    })
}

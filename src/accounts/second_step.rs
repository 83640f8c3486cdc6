//! The second step of a sign-in: after a password or an email link, when the member or the club
//! requires it, a challenge that a second, different factor answers; and, where the club
//! requires admins to hold an authenticator app or a passkey, setting one up before the
//! session starts.
//!
//! A mailbox is one factor: an email link is never followed by an emailed code. A member who
//! holds an app or a passkey is always asked for it (or a recovery code); the password after
//! an email link, or an emailed code after a password, serve only members who hold neither.

use rusqlite::Connection;
use serde_json::json;

use super::factors::service::{self as factor_service, AppEnrolmentView, RecoveryCodesView};
use super::factors::{self, repo, Factors, Method};
use super::known_devices;
use super::model::{ClientInfo, TokenPurpose, UserStatus};
use super::repo as accounts;
use super::sessions::{account_limit_key, finish_login, Grant, LoginOutcome};
use super::short_codes::{code_hash, invalid_code};
use crate::audit::{self, AuditEvent};
use crate::crypto::{constant_time_eq, random_digits, random_token, token_hash};
use crate::ctx::Ctx;
use crate::db::{write_tx, Tx};
use crate::email;
use crate::error::AppError;
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};

crate::values::string_enum! {
    /// The factor a sign-in started with.
    pub(crate) enum FirstFactor {
        Password = "password",
        Email = "email",
    }
}

crate::values::string_enum! {
    /// What a challenge waits for.
    pub(crate) enum Stage {
        SecondFactor = "second_factor",
        /// The second step is done; the club requires an app or a passkey first.
        Enrol = "enrol",
    }
}

/// How long a member has to set up an app once the second step is done.
const ENROL_MINUTES: i64 = 15;

/// The second factors a challenge accepts after `first`.
fn methods(first: FirstFactor, factors: Factors, has_password: bool) -> Vec<Method> {
    let mut offered = Vec::new();
    if factors.app {
        offered.push(Method::AuthenticatorApp);
    }
    if factors.passkeys > 0 {
        offered.push(Method::Passkey);
    }
    // Whoever set up an app or a passkey is asked for it: the weaker other factor is offered
    // only to members who hold neither.
    match first {
        _ if factors.strong() => {}
        FirstFactor::Password => offered.push(Method::EmailCode),
        FirstFactor::Email if has_password => offered.push(Method::Password),
        FirstFactor::Email => {}
    }
    if factors.recovery_codes_left > 0 {
        offered.push(Method::RecoveryCode);
    }
    offered
}

/// Where a sign-in goes once `first` is proven for `user_id`: a session (or tokens) when no
/// second step is required; otherwise a challenge naming the accepted second factors (an
/// emailed code is sent when it is one of them). 403 `second_step_unavailable` when the
/// account has no second factor this way in can use (an email link for an account with
/// nothing but a mailbox, where the second step is required).
pub(crate) fn after_first_factor(
    conn: &Tx,
    ctx: &Ctx,
    user_id: i64,
    first: FirstFactor,
    grant: Grant,
    client: &ClientInfo,
    replaces: Option<&str>,
) -> Result<LoginOutcome, AppError> {
    let required = factors::requirement(conn, user_id)?;
    if !required.second_step {
        let how = match first {
            FirstFactor::Password => "password",
            FirstFactor::Email => "email_link",
        };
        return finish_login(conn, ctx, user_id, grant, client, replaces, how);
    }
    let offered = methods(first, required.factors, accounts::has_password(conn, user_id)?);
    if offered.is_empty() {
        return Err(AppError::forbidden(
            "This account needs a second step that an email link cannot give. Sign in with your password instead.",
        )
        .with_code("second_step_unavailable"));
    }
    let now = ctx.now_unix();
    // One sign-in at a time: a new one retires the challenges (and emailed codes) of earlier ones.
    repo::retire_challenges(conn, user_id, now)?;
    let challenge = random_token();
    let code = offered.contains(&Method::EmailCode).then(|| random_digits(6));
    let code_hash = code.as_deref().map(|c| code_hash(ctx, TokenPurpose::TwoFactor, c));
    let minutes = ctx.config.two_factor_code_minutes;
    repo::insert_challenge(
        conn,
        &repo::NewChallenge {
            token_hash: &token_hash(&challenge),
            user_id,
            grant: grant.as_str(),
            first_factor: first.as_str(),
            stage: Stage::SecondFactor.as_str(),
            email_code_hash: code_hash.as_deref(),
            expires_at: now + minutes * 60,
        },
        now,
    )?;
    if let Some(code) = code {
        let to = accounts::email_of(conn, user_id)?;
        let data = json!({ "club_name": crate::settings::club_name(conn)?, "code": code, "minutes": minutes });
        email::queue(conn, ctx, &to, "two_factor_code", &data)?;
    }
    let event = AuditEvent::new("two_factor_challenge")
        .actor(user_id)
        .ip(client.ip.as_deref())
        .detail(json!({ "first_factor": first.as_str() }));
    audit::record(conn, event, now)?;
    Ok(LoginOutcome::TwoFactor { challenge, methods: offered })
}

/// An answer to a challenge, as the request gave it.
pub(crate) enum Answer {
    /// A code: from the authenticator app when the account has one, else the emailed code.
    Code(String),
    RecoveryCode(String),
    /// The password, after an email link.
    Password(String),
    /// A passkey assertion.
    Passkey(serde_json::Value),
}

pub(crate) struct AnswerCommand {
    pub challenge: String,
    pub answer: Answer,
    pub client: ClientInfo,
    /// The session token the browser already had, ended on success.
    pub replaces: Option<String>,
    /// The browser's device cookie: the accounts it signed in to before.
    pub device: Option<String>,
    /// What the caller can hand out: pages only sessions, the API either.
    pub grants: Vec<Grant>,
}

impl AnswerCommand {
    /// Whether answering takes a password hash check (and so a hashing permit).
    pub(crate) fn needs_hashing(&self) -> bool {
        matches!(self.answer, Answer::Password(_))
    }
}

impl Limited for AnswerCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.verify_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// A live challenge at `stage` whose grant the caller can hand out.
fn live_challenge(
    conn: &Connection,
    ctx: &Ctx,
    challenge: &str,
    stage: Stage,
    grants: &[Grant],
) -> Result<Option<(repo::ChallengeRow, Grant)>, AppError> {
    let Some(row) = repo::find_challenge(conn, &token_hash(challenge), ctx.now_unix())? else {
        return Ok(None);
    };
    let grant = Grant::from_stored(Some(&row.grant));
    if row.stage != stage.as_str() || !grants.contains(&grant) {
        return Ok(None);
    }
    Ok(Some((row, grant)))
}

/// The password hash an answer to `challenge` must match: the account's, for a live challenge
/// that started with an email link (None otherwise).
fn password_to_match(
    conn: &Connection,
    ctx: &Ctx,
    challenge: &str,
) -> Result<Option<String>, AppError> {
    let found = repo::find_challenge(conn, &token_hash(challenge), ctx.now_unix())?;
    match found {
        Some(row) if row.first_factor == FirstFactor::Email.as_str() => {
            Ok(accounts::password_hash_of(conn, row.user_id)?)
        }
        _ => Ok(None),
    }
}

/// Answers a challenge. A right answer ends it with a session or tokens (as the sign-in asked
/// for), or, where the club requires this admin to hold an app or a passkey and they hold
/// neither, moves it on to setting one up (`LoginOutcome::Enrol`). 400 `invalid_code` for a
/// wrong answer, a method the challenge does not accept, or a dead challenge; after
/// `code_max_attempts` wrong answers the challenge dies and the sign-in starts again.
/// Wrong answers also count against the account, like wrong passwords. Admitted per client
/// address (10 tries a minute). A password answer needs a hashing permit.
pub(crate) fn answer(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<AnswerCommand>,
) -> Result<LoginOutcome, AppError> {
    let cmd = cmd.into_inner();
    // The hash check happens before the write transaction, which must not wait for it.
    let password_matched = match &cmd.answer {
        Answer::Password(password) => {
            let stored = password_to_match(conn, ctx, &cmd.challenge)?;
            ctx.passwords.verify(password, stored.as_deref())
        }
        _ => false,
    };
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let Some((row, grant)) =
            live_challenge(tx, ctx, &cmd.challenge, Stage::SecondFactor, &cmd.grants)?
        else {
            return Ok(Err(invalid_code()));
        };
        let user_id = row.user_id;
        // Wrong answers count against the account across challenges; whoever spends that
        // allowance must not lock the owner out on their known device.
        let account_key = account_limit_key(user_id);
        let device = known_devices::exempt(ctx, cmd.device.as_deref(), user_id);
        if device.is_none() {
            if let Err(limited) = ctx.limits.login_account.check(&account_key) {
                return Ok(Err(limited));
            }
        }
        let first: FirstFactor = row.first_factor.parse().map_err(AppError::internal)?;
        let required = factors::requirement(tx, user_id)?;
        let offered = methods(first, required.factors, accounts::has_password(tx, user_id)?);
        let (method, right) = match &cmd.answer {
            Answer::Code(code) if offered.contains(&Method::AuthenticatorApp) => {
                (Method::AuthenticatorApp, factors::check_app_code(tx, ctx, user_id, code, false)?)
            }
            Answer::Code(code) => {
                let given = code_hash(ctx, TokenPurpose::TwoFactor, code);
                let right = row.email_code_hash.as_ref().is_some_and(|stored| {
                    offered.contains(&Method::EmailCode)
                        && constant_time_eq(&hex::encode(stored), &hex::encode(&given))
                });
                (Method::EmailCode, right)
            }
            Answer::RecoveryCode(code) => {
                (Method::RecoveryCode, factors::spend_recovery_code(tx, ctx, user_id, code)?)
            }
            Answer::Password(_) => {
                (Method::Password, password_matched && offered.contains(&Method::Password))
            }
            Answer::Passkey(credential) => {
                let right = match (&row.passkey_state, offered.contains(&Method::Passkey)) {
                    (Some(state), true) => crate::accounts::passkeys::finish_second_factor(
                        tx, ctx, user_id, state, credential,
                    )?,
                    _ => false,
                };
                // One assertion per request for options, right or wrong: a replayed one finds
                // nothing to match.
                repo::set_passkey_state(tx, row.id, None)?;
                (Method::Passkey, right)
            }
        };
        if !right {
            ctx.limits.login_account.record(&account_key);
            if let Some(device) = &device {
                known_devices::record_failure(ctx, device);
            }
            repo::count_wrong_answer(tx, row.id, ctx.config.code_max_attempts, now)?;
            let event = AuditEvent::new("two_factor_failed")
                .actor(user_id)
                .ip(cmd.client.ip.as_deref())
                .detail(json!({ "method": method.as_str() }));
            audit::record(tx, event, now)?;
            return Ok(Err(invalid_code()));
        }
        if accounts::find_status(tx, user_id)? == Some(UserStatus::Disabled) {
            return Ok(Err(invalid_code()));
        }
        if method == Method::RecoveryCode {
            audit::record(tx, AuditEvent::new("recovery_code_used").actor(user_id), now)?;
        }
        if required.enrol {
            repo::set_stage(tx, row.id, Stage::Enrol.as_str(), now + ENROL_MINUTES * 60)?;
            return Ok(Ok(LoginOutcome::Enrol { challenge: cmd.challenge.clone() }));
        }
        if !repo::use_challenge(tx, row.id, now)? {
            return Ok(Err(invalid_code()));
        }
        let how = format!("{}+{}", first.as_str(), method.as_str());
        let replaces = cmd.replaces.as_deref();
        Ok(finish_login(tx, ctx, user_id, grant, &cmd.client, replaces, &how))
    })?
}

/// The answers a live challenge still accepts (none for a dead one): what its page shows
/// again after a wrong answer.
pub(crate) fn methods_of(
    conn: &Connection,
    ctx: &Ctx,
    challenge: &str,
) -> Result<Vec<Method>, AppError> {
    let Some(row) = repo::find_challenge(conn, &token_hash(challenge), ctx.now_unix())? else {
        return Ok(Vec::new());
    };
    let first: FirstFactor = row.first_factor.parse().map_err(AppError::internal)?;
    let mut offered =
        methods(first, factors::of(conn, row.user_id)?, accounts::has_password(conn, row.user_id)?);
    if row.email_code_hash.is_none() {
        offered.retain(|m| *m != Method::EmailCode);
    }
    Ok(offered)
}

/// A request about a challenge from a client (asking for its passkey options).
pub(crate) struct ChallengeCommand {
    pub challenge: String,
    pub client: ClientInfo,
}

impl Limited for ChallengeCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.verify_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// The passkey request for the second step of a challenge: the options for the browser, with
/// the expected answer kept on the challenge (a new request replaces it). 400 `invalid_code`
/// for a dead challenge or an account without passkeys. Admitted per client address.
pub(crate) fn passkey_options(
    conn: &Connection,
    ctx: &Ctx,
    cmd: Admitted<ChallengeCommand>,
) -> Result<serde_json::Value, AppError> {
    let challenge = &cmd.into_inner().challenge;
    let all = [Grant::Session, Grant::Tokens];
    let Some((row, _)) = live_challenge(conn, ctx, challenge, Stage::SecondFactor, &all)? else {
        return Err(invalid_code());
    };
    let Some((options, state)) =
        crate::accounts::passkeys::start_second_factor(conn, ctx, row.user_id)?
    else {
        return Err(invalid_code());
    };
    repo::set_passkey_state(conn, row.id, Some(&state))?;
    Ok(options)
}

/// The authenticator app set-up of a challenge at the enrolment stage: a new secret each call
/// (the last one shown is the one that counts). 400 `invalid_code` for any other challenge.
pub(crate) fn enrol_start(
    conn: &Connection,
    ctx: &Ctx,
    challenge: &str,
    grants: &[Grant],
) -> Result<AppEnrolmentView, AppError> {
    let Some((row, _)) = live_challenge(conn, ctx, challenge, Stage::Enrol, grants)? else {
        return Err(invalid_code());
    };
    factor_service::start_app_for(conn, ctx, row.user_id)
}

/// The app set-up a challenge at the enrolment stage waits for, shown again (after a wrong
/// code); None when the challenge is dead or no set-up waits.
pub(crate) fn enrol_start_again(
    conn: &Connection,
    ctx: &Ctx,
    challenge: &str,
    grants: &[Grant],
) -> Result<Option<AppEnrolmentView>, AppError> {
    let Some((row, _)) = live_challenge(conn, ctx, challenge, Stage::Enrol, grants)? else {
        return Ok(None);
    };
    match factors::pending_app_secret(conn, ctx, row.user_id)? {
        Some(secret) => Ok(Some(factor_service::enrolment(conn, row.user_id, &secret)?)),
        None => Ok(None),
    }
}

pub(crate) struct EnrolCommand {
    pub challenge: String,
    pub code: String,
    pub client: ClientInfo,
    pub replaces: Option<String>,
    pub grants: Vec<Grant>,
}

impl Limited for EnrolCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.verify_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// Confirms the app set up during a sign-in with its first code, then ends the sign-in: the
/// session or tokens, and the recovery codes to keep (shown once). 400 `invalid_code` for a
/// dead challenge; 422 `code` for a wrong code (counted like any wrong answer).
pub(crate) fn enrol_finish(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<EnrolCommand>,
) -> Result<(LoginOutcome, RecoveryCodesView), AppError> {
    let cmd = cmd.into_inner();
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let Some((row, grant)) =
            live_challenge(tx, ctx, &cmd.challenge, Stage::Enrol, &cmd.grants)?
        else {
            return Ok(Err(invalid_code()));
        };
        let codes = match factor_service::confirm_app_for(tx, ctx, row.user_id, &cmd.code) {
            Ok(codes) => codes,
            Err(refused) => {
                repo::count_wrong_answer(tx, row.id, ctx.config.code_max_attempts, now)?;
                return Ok(Err(refused));
            }
        };
        if !repo::use_challenge(tx, row.id, now)? {
            return Ok(Err(invalid_code()));
        }
        let how = format!("{}+second_step+authenticator_app_added", row.first_factor);
        let replaces = cmd.replaces.as_deref();
        let outcome = finish_login(tx, ctx, row.user_id, grant, &cmd.client, replaces, &how)?;
        Ok(Ok((outcome, codes)))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factors(app: bool, passkeys: i64, recovery: i64) -> Factors {
        Factors { app, passkeys, recovery_codes_left: recovery }
    }

    #[test]
    fn a_mailbox_never_answers_for_itself() {
        // After an email link, no emailed code; the password, an app, a passkey or a code.
        let after_link = methods(FirstFactor::Email, factors(false, 0, 0), true);
        assert_eq!(after_link, [Method::Password]);
        assert!(methods(FirstFactor::Email, factors(false, 0, 0), false).is_empty());
        let all = methods(FirstFactor::Email, factors(true, 1, 3), true);
        assert_eq!(all, [Method::AuthenticatorApp, Method::Passkey, Method::RecoveryCode]);
    }

    #[test]
    fn an_emailed_code_follows_a_password_only_without_a_strong_factor() {
        assert_eq!(methods(FirstFactor::Password, factors(false, 0, 0), true), [Method::EmailCode]);
        assert_eq!(
            methods(FirstFactor::Password, factors(true, 0, 10), true),
            [Method::AuthenticatorApp, Method::RecoveryCode]
        );
        assert_eq!(methods(FirstFactor::Password, factors(false, 2, 0), true), [Method::Passkey]);
    }
}

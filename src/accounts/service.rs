//! Account use cases: first-run setup, admins from the command line, password login, sessions
//! and set-password links. Permission and validity rules live here; no HTTP.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde_json::json;

use super::codes;
use super::model::{AuthUser, Credential, Role, TokenPurpose, UserStatus};
use super::password::check_policy;
use super::repo::{self, NewSession, NewUser};
use super::tokens::{self, TokenPair};
use crate::audit::{self, AuditEvent};
use crate::clock::{from_unix, rfc3339};
use crate::crypto::{random_token, token_hash};
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::email;
use crate::error::{AppError, Validator};
use crate::invites::service as invites;
use crate::members::repo as members;
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};
use crate::settings;
use crate::values::{ClubName, Email, PersonName, Phone, RoleSet, Username};

/// A session just created; `token` goes into the cookie and is not stored anywhere.
#[derive(Debug)]
pub struct StartedSession {
    pub token: String,
    pub user_id: i64,
    pub expires_at: i64,
}

/// Where a request comes from, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The key per-client rate limits count under: the IPv4 address, or the /64 network of an
    /// IPv6 address (one subscriber usually holds a whole /64).
    pub fn limit_key(&self) -> String {
        match self.ip.as_deref().map(str::parse::<std::net::IpAddr>) {
            Some(Ok(std::net::IpAddr::V6(v6))) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(Ok(ip)) => ip.to_string(),
            _ => "unknown".to_string(),
        }
    }
}

// ----- validation shared by every way of creating an account -----

// ----- sessions -----

/// Creates a session for `user_id`, optionally ending the one the browser had (so a login always
/// yields a fresh token), and records the login.
fn start_session(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    client: &ClientInfo,
    replaces: Option<&str>,
) -> Result<StartedSession, AppError> {
    let now = ctx.now_unix();
    if let Some(old) = replaces {
        repo::delete_session_by_hash(conn, &token_hash(old))?;
    }
    let token = random_token();
    let timeouts = crate::settings::session_timeouts(conn, &ctx.config)?;
    let expires_at = now + timeouts.absolute_secs();
    repo::insert_session(
        conn,
        &NewSession {
            token_hash: &token_hash(&token),
            user_id,
            expires_at,
            ip: client.ip.as_deref(),
            user_agent: client.user_agent.as_deref(),
        },
        now,
    )?;
    repo::record_login(conn, user_id, now)?;
    Ok(StartedSession { token, user_id, expires_at })
}

/// What a session cookie turned out to be.
#[derive(Debug)]
pub enum SessionState {
    Valid(Box<super::session_cache::Resolved>),
    /// Known but past its idle or absolute limit, or its account is disabled; now deleted.
    Expired,
    Unknown,
}

/// Resolves a session token. Enforces the idle and absolute timeouts and refuses disabled
/// accounts (deleting such sessions). Refreshes `last_seen_at` at most once a minute, so that
/// most requests stay reads.
pub fn resolve_session(
    conn: &Connection,
    ctx: &Ctx,
    token: &str,
) -> Result<SessionState, AppError> {
    let Some(record) = repo::find_session(conn, &token_hash(token))? else {
        return Ok(SessionState::Unknown);
    };
    let now = ctx.now_unix();
    let user = record.user;
    let Credential::Session { id, expires_at } = user.credential else {
        return Ok(SessionState::Unknown);
    };
    let idle_limit = crate::settings::session_timeouts(conn, &ctx.config)?.idle_secs();
    if now >= expires_at
        || now - record.last_seen_at >= idle_limit
        || user.status == UserStatus::Disabled
    {
        repo::delete_session(conn, id)?;
        return Ok(SessionState::Expired);
    }
    let mut last_seen_at = record.last_seen_at;
    if now - last_seen_at >= super::session_cache::TOUCH_EVERY_SECS {
        // Not an auth change: it decides nothing a cached answer holds.
        crate::db::quietly(|| repo::touch_session(conn, id, now))?;
        last_seen_at = now;
    }
    let resolved = super::session_cache::Resolved { user, last_seen_at, idle_secs: idle_limit };
    Ok(SessionState::Valid(Box::new(resolved)))
}

/// Whether the credential a long-lived connection (a WebSocket) was opened with still grants
/// the member area: the session was not ended and has not expired, or the API login was not
/// revoked and still holds an unexpired token; and the user is still an active member. Never
/// extends the session: an open socket alone does not keep a browser signed in.
pub fn credential_alive(
    conn: &Connection,
    ctx: &Ctx,
    credential: &Credential,
) -> Result<bool, AppError> {
    let now = ctx.now_unix();
    match credential {
        Credential::Session { id, .. } => {
            let idle = crate::settings::session_timeouts(conn, &ctx.config)?.idle_secs();
            repo::session_alive(conn, *id, now, idle)
        }
        Credential::Token { family, .. } => repo::token_family_alive(conn, family, now),
    }
}

/// The key an account's failed sign-ins (passwords and second-factor codes) count under.
pub fn account_limit_key(user_id: i64) -> String {
    format!("user:{user_id}")
}

crate::values::string_enum! {
    /// What a successful sign-in yields: a browser session, or API tokens.
    pub enum Grant("grant") {
        Session = "session",
        Tokens = "tokens",
    }
}

impl Grant {
    /// What a stored challenge grants; challenges from before grants were recorded give a session.
    pub fn from_stored(s: Option<&str>) -> Grant {
        s.and_then(|s| s.parse().ok()).unwrap_or(Grant::Session)
    }
}

/// The end of a sign-in step.
#[derive(Debug)]
pub enum LoginOutcome {
    Session(StartedSession),
    Tokens(TokenPair),
    /// The password was right; an emailed code must follow (`verify_two_factor`).
    TwoFactor {
        challenge: String,
    },
}

pub struct LoginCommand {
    pub login: String,
    pub password: String,
    pub client: ClientInfo,
    /// The session token the browser already had, ended on success.
    pub replaces: Option<String>,
    pub grant: Grant,
}

impl Limited for LoginCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.login_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// A password-less guest sign-up.
pub struct GuestCommand {
    pub display_name: String,
    pub client: ClientInfo,
}

impl Limited for GuestCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.register_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// Signs `user_id` in: a new session or a new token pair, audited as `how`.
pub fn finish_login(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    grant: Grant,
    client: &ClientInfo,
    replaces: Option<&str>,
    how: &str,
) -> Result<LoginOutcome, AppError> {
    // Only a completed sign-in clears the account's failures (a right password followed by
    // wrong second-factor codes does not).
    ctx.limits.login_account.clear(&account_limit_key(user_id));
    let now = ctx.now_unix();
    let event = AuditEvent::new("login_succeeded")
        .actor(user_id)
        .ip(client.ip.as_deref())
        .detail(json!({ "method": how, "grant": grant.as_str() }));
    audit::record(conn, event, now)?;
    match grant {
        Grant::Session => {
            Ok(LoginOutcome::Session(start_session(conn, ctx, user_id, client, replaces)?))
        }
        Grant::Tokens => {
            repo::record_login(conn, user_id, now)?;
            Ok(LoginOutcome::Tokens(tokens::issue_pair(conn, ctx, user_id, None, client)?))
        }
    }
}

/// Password login by username or email.
///
/// Unknown account, wrong password and an account without a password all fail the same way
/// (401 `invalid_credentials`, same body, one Argon2 verification each). After 5 failures in
/// 15 minutes an account (or a typed name) gets 429 until the window frees up. A disabled account
/// with the right password gets 403 `account_disabled`. Empty fields are 422. Every attempt is
/// audited. When the club policy or the member asks for a second factor, the answer is a
/// challenge and an emailed code instead of a session. Admitted per client address
/// (`login_attempts_per_minute`, else 429). The caller must hold a hashing permit.
pub fn login(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<LoginCommand>,
) -> Result<LoginOutcome, AppError> {
    let cmd = cmd.into_inner();
    let login = cmd.login.trim().to_lowercase();
    let mut v = Validator::new();
    v.check(!login.is_empty(), "login", "Enter your username or email address.");
    v.check(!cmd.password.is_empty(), "password", "Enter your password.");
    v.finish()?;

    let record = repo::find_for_login(conn, &login)?;
    // Failures count per account (or per typed name when there is no such account, so that
    // both behave alike); a success clears them.
    let account_key = match &record {
        Some(r) => account_limit_key(r.user_id),
        None => format!("login:{login}"),
    };
    ctx.limits.login_account.check(&account_key)?;
    let stored = record.as_ref().and_then(|r| r.password_hash.as_deref());
    let matches = ctx.passwords.verify(&cmd.password, stored);
    if !matches {
        ctx.limits.login_account.record(&account_key);
    }
    let ip = cmd.client.ip.as_deref();

    // The transaction commits the audit row of a refused attempt too, so the closure returns
    // the refusal as its Ok value.
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let user = match record {
            Some(user) if matches => user,
            other => {
                let event = AuditEvent::new("login_failed")
                    .target(login.chars().take(100).collect::<String>())
                    .ip(ip)
                    .detail(json!({ "known_account": other.is_some() }));
                audit::record(tx, event, now)?;
                return Ok(Err(AppError::invalid_credentials()));
            }
        };
        if user.status == UserStatus::Disabled {
            let event = AuditEvent::new("login_refused_disabled").actor(user.user_id).ip(ip);
            audit::record(tx, event, now)?;
            return Ok(Err(AppError::forbidden(
                "This account has been disabled. Please contact the club.",
            )
            .with_code("account_disabled")));
        }
        if codes::two_factor_required(tx, user.user_id)? {
            let challenge = codes::start_two_factor(tx, ctx, user.user_id, cmd.grant)?;
            return Ok(Ok(LoginOutcome::TwoFactor { challenge }));
        }
        let replaces = cmd.replaces.as_deref();
        Ok(finish_login(tx, ctx, user.user_id, cmd.grant, &cmd.client, replaces, "password"))
    })?
}

/// Ends one session (logout).
pub fn logout(
    conn: &mut Connection,
    ctx: &Ctx,
    user: &AuthUser,
    client: &ClientInfo,
) -> Result<(), AppError> {
    write_tx(conn, |tx| {
        match &user.credential {
            Credential::Session { id, .. } => repo::delete_session(tx, *id)?,
            Credential::Token { family, .. } => {
                super::tokens::revoke_family(tx, family, ctx.now_unix())?
            }
        }
        let event = AuditEvent::new("logout").actor(user.user_id).ip(client.ip.as_deref());
        audit::record(tx, event, ctx.now_unix())
    })
}

/// Deletes expired sessions and spent one-time and API tokens (a scheduled job). Returns
/// (sessions, tokens) deleted.
pub fn purge_expired(conn: &Connection, ctx: &Ctx) -> Result<(usize, usize), AppError> {
    let now = ctx.now_unix();
    let idle = crate::settings::session_timeouts(conn, &ctx.config)?.idle_secs();
    let sessions = repo::purge_sessions(conn, now, now - idle)?;
    let tokens = repo::purge_tokens(conn, now)? + repo::purge_api_tokens(conn, now)?;
    Ok((sessions, tokens))
}

// ----- first-run setup -----

/// True while no (enabled) admin exists.
pub fn setup_open(conn: &Connection) -> Result<bool, AppError> {
    Ok(repo::count_admins(conn)? == 0)
}

/// While setup is open, issues a fresh setup token (valid `setup_token_hours`) and revokes any
/// earlier one, so only the link printed last works. None once an admin exists.
pub fn issue_setup_token(conn: &mut Connection, ctx: &Ctx) -> Result<Option<String>, AppError> {
    write_tx(conn, |tx| {
        if !setup_open(tx)? {
            return Ok(None);
        }
        let now = ctx.now_unix();
        repo::revoke_tokens(tx, TokenPurpose::Setup, None, now)?;
        let token = random_token();
        let expires = now + ctx.config.setup_token_hours * 3600;
        repo::insert_token(tx, TokenPurpose::Setup, &token_hash(&token), None, now, expires)?;
        Ok(Some(token))
    })
}

fn setup_gone() -> AppError {
    AppError::gone("This setup link has expired or has already been used. Restart Clubroom to print a new one, or use `clubroom admin create`.")
        .with_code("setup_link_invalid")
}

/// Ok when `token` is a live setup token and no admin exists yet; else 410.
pub fn check_setup_token(conn: &Connection, ctx: &Ctx, token: &str) -> Result<(), AppError> {
    let live =
        repo::find_live_token(conn, TokenPurpose::Setup, &token_hash(token), ctx.now_unix())?;
    if live.is_none() || !setup_open(conn)? {
        return Err(setup_gone());
    }
    Ok(())
}

pub struct SetupCommand {
    pub token: String,
    pub club_name: String,
    pub username: String,
    pub email: String,
    pub password: String,
    pub client: ClientInfo,
}

/// The result of a completed setup.
pub struct SetupDone {
    pub session: StartedSession,
    pub club_name: String,
}

/// Creates the first admin from the setup form, names the club and logs the admin in.
///
/// 410 when the token is unknown, expired or used, or an admin already exists (checked again
/// inside the write transaction, so two concurrent submissions cannot both succeed); 422 per
/// field for invalid input. The caller must hold a hashing permit.
pub fn complete_setup(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: SetupCommand,
) -> Result<SetupDone, AppError> {
    check_setup_token(conn, ctx, &cmd.token)?;
    let mut v = Validator::new();
    let club_name = v.parsed("club_name", ClubName::parse(&cmd.club_name));
    let username = v.parsed("username", Username::parse(&cmd.username));
    let email = v.parsed("email", Email::parse(&cmd.email));
    let (typed_username, typed_email) =
        (Username::normalize(&cmd.username), Email::normalize(&cmd.email));
    v.result("password", check_policy(&cmd.password, &typed_username, &typed_email));
    let (club_name, username, email) = v.finish_with((club_name, username, email))?;
    let (club_name, username, email) = (club_name.as_str(), username.as_str(), email.as_str());
    let hash = ctx.passwords.hash(&cmd.password)?;

    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let live = repo::find_live_token(tx, TokenPurpose::Setup, &token_hash(&cmd.token), now)?;
        let Some((token_id, _)) = live else {
            return Err(setup_gone());
        };
        if !setup_open(tx)? || !repo::consume_token(tx, token_id, now)? {
            return Err(setup_gone());
        }
        let user_id =
            create_user(tx, username, email, Some(&hash), &[Role::Admin, Role::Member], now)?;
        settings::set(tx, settings::CLUB_NAME, club_name, now)?;
        tx.set_club_name(club_name);
        let session = start_session(tx, ctx, user_id, &cmd.client, None)?;
        let event = AuditEvent::new("setup_completed")
            .actor(user_id)
            .target(format!("user:{user_id}"))
            .ip(cmd.client.ip.as_deref())
            .detail(json!({ "club_name": club_name }));
        audit::record(tx, event, now)?;
        let mail = json!({
            "club_name": club_name,
            "username": username,
            "login_url": ctx.url("/login"),
            "admin_url": ctx.url("/admin"),
        });
        email::queue(tx, ctx, email, "welcome_admin", &mail)?;
        Ok(SetupDone { session, club_name: club_name.to_string() })
    })
}

fn create_user(
    conn: &Connection,
    username: &str,
    email: &str,
    password_hash: Option<&str>,
    roles: &[Role],
    now: i64,
) -> Result<i64, AppError> {
    let user =
        NewUser { username, email, display_name: "", password_hash, status: UserStatus::Active };
    let user_id = repo::insert_user(conn, &user, now)?;
    repo::add_roles(conn, user_id, roles)?;
    Ok(user_id)
}

// ----- admins from the command line -----

pub struct CreateAdminCommand {
    pub username: String,
    pub email: String,
    /// None: create the account without a password and issue a set-password link.
    pub password: Option<String>,
}

#[derive(Debug)]
pub struct CreatedAdmin {
    pub user_id: i64,
    pub set_password_url: Option<String>,
}

/// Creates an admin (`clubroom admin create`). Validates like setup (422 per field, 409 for a
/// taken username or email). Without a password, the account gets a one-time set-password link
/// valid `setup_token_hours`, which is returned and also emailed.
pub fn create_admin(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: CreateAdminCommand,
) -> Result<CreatedAdmin, AppError> {
    let mut v = Validator::new();
    let username = v.parsed("username", Username::parse(&cmd.username));
    let email = v.parsed("email", Email::parse(&cmd.email));
    if let Some(password) = &cmd.password {
        let (typed_username, typed_email) =
            (Username::normalize(&cmd.username), Email::normalize(&cmd.email));
        v.result("password", check_policy(password, &typed_username, &typed_email));
    }
    let (username, email) = v.finish_with((username, email))?;
    let (username, email) = (username.as_str(), email.as_str());
    let hash = cmd.password.as_deref().map(|p| ctx.passwords.hash(p)).transpose()?;

    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let user_id =
            create_user(tx, username, email, hash.as_deref(), &[Role::Admin, Role::Member], now)?;
        let event = AuditEvent::new("admin_created")
            .target(format!("user:{user_id}"))
            .detail(json!({ "username": username, "via": "command line" }));
        audit::record(tx, event, now)?;
        let set_password_url = if hash.is_none() {
            let token = random_token();
            let expires = now + ctx.config.setup_token_hours * 3600;
            repo::insert_token(
                tx,
                TokenPurpose::SetPassword,
                &token_hash(&token),
                Some(user_id),
                now,
                expires,
            )?;
            let url = ctx.url(&format!("/set-password/{token}"));
            let club_name = settings::get(tx, settings::CLUB_NAME)?
                .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string());
            let mail = json!({
                "club_name": club_name,
                "username": username,
                "url": url,
                "valid_hours": ctx.config.setup_token_hours,
            });
            email::queue(tx, ctx, email, "set_password", &mail)?;
            Some(url)
        } else {
            None
        };
        Ok(CreatedAdmin { user_id, set_password_url })
    })
}

// ----- set-password links -----

fn link_gone() -> AppError {
    AppError::gone("This link has expired or has already been used. Ask an admin for a new one.")
        .with_code("link_invalid")
}

/// The username a live set-password token belongs to; 410 otherwise.
pub fn check_set_password_token(
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

pub struct SetPasswordCommand {
    pub token: String,
    pub password: String,
    pub password_confirm: Option<String>,
    pub client: ClientInfo,
}

/// Sets a password through a one-time link, ends every other session of the account and logs
/// the person in. 410 for a dead link (single use, even under concurrent submissions), 422 for a
/// password that breaks the policy or does not match its confirmation. Needs a hashing permit.
pub fn set_password_with_token(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: SetPasswordCommand,
) -> Result<StartedSession, AppError> {
    let username = check_set_password_token(conn, ctx, &cmd.token)?;
    let mut v = Validator::new();
    v.result("password", check_policy(&cmd.password, &username, ""));
    if let Some(confirm) = &cmd.password_confirm {
        v.check(confirm == &cmd.password, "password_confirm", "The two passwords do not match.");
    }
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
        let event = AuditEvent::new("password_set").actor(user_id).ip(cmd.client.ip.as_deref());
        audit::record(tx, event, now)?;
        start_session(tx, ctx, user_id, &cmd.client, None)
    })
}

// ----- registration -----

pub struct RegisterCommand {
    pub username: String,
    pub email: String,
    pub password: String,
    pub invite_token: Option<String>,
    /// None: what the invite grants (member without one).
    pub roles: Option<Vec<String>>,
    pub phone: String,
    pub client: ClientInfo,
}

impl Limited for RegisterCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.register_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

fn chosen_roles(v: &mut Validator, requested: Option<&[String]>, granted: &[Role]) -> Vec<Role> {
    let Some(requested) = requested.filter(|r| !r.is_empty()) else {
        return granted.to_vec();
    };
    if requested.iter().any(|name| name.trim() == "minor") {
        v.check(
            false,
            "roles",
            "Minors cannot register themselves; a guardian or the club registers them.",
        );
        return Vec::new();
    }
    let Some(roles) = v.parsed("roles", RoleSet::parse(requested)) else { return Vec::new() };
    for &role in roles.as_slice() {
        if !Role::SELF_CHOSEN.contains(&role) {
            v.check(false, "roles", format!("You cannot choose the role {role} yourself."));
        } else if !granted.contains(&role) {
            v.check(false, "roles", format!("This invitation does not grant the role {role}."));
        }
    }
    roles.into_vec()
}

/// The result of a registration: the new account, signed in.
pub struct Registered {
    pub user_id: i64,
    pub username: String,
    pub session: StartedSession,
}

/// Self-registration, with an invitation or (when the club allows it) without.
///
/// 403 when registration is closed, when it is invite-only and no token is given, or when the
/// invitation is dead. 422 per field: username, email (a personal invitation's email must be
/// used), password policy, phone, and roles (only member, coach and guardian may be chosen, only
/// those the invitation grants; `minor` is refused). 409 naming the field for a taken username
/// or email. The invitation's use is spent in the same transaction that creates the account,
/// so it is spent only on success and never twice. The new account starts onboarding and is
/// signed in. Admitted per client address (10 an hour). Needs a hashing permit.
pub fn register(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<RegisterCommand>,
) -> Result<Registered, AppError> {
    let cmd = cmd.into_inner();
    let token =
        cmd.invite_token.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    let granted = invites::preflight(conn, ctx, token.as_deref())?;
    let mut v = Validator::new();
    let username = v.parsed("username", Username::parse(&cmd.username));
    let email = v.parsed("email", Email::parse(&cmd.email));
    let (typed_username, typed_email) =
        (Username::normalize(&cmd.username), Email::normalize(&cmd.email));
    if let Some(invited) = &granted.email {
        v.check(
            typed_email.eq_ignore_ascii_case(invited),
            "email",
            "This invitation is for a different email address.",
        );
    }
    v.result("password", check_policy(&cmd.password, &typed_username, &typed_email));
    let phone = v.parsed("phone", Phone::parse(&cmd.phone));
    let roles = chosen_roles(&mut v, cmd.roles.as_deref(), &granted.roles);
    let (username, email, phone) = v.finish_with((username, email, phone))?;
    let (username, email, phone) = (username.as_str(), email.as_str(), phone.as_str());
    let hash = ctx.passwords.hash(&cmd.password)?;

    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let user = NewUser {
            username,
            email,
            display_name: "",
            password_hash: Some(&hash),
            status: UserStatus::Onboarding,
        };
        let user_id = repo::insert_user(tx, &user, now)?;
        repo::add_roles(tx, user_id, &roles)?;
        repo::set_phone(tx, user_id, phone)?;
        members::record_initial_status(tx, user_id, user.status, Some(user_id), now)?;
        let invite_id = match &token {
            Some(token) => {
                let invite = invites::spend(tx, ctx, token, user_id)?;
                repo::set_invite(tx, user_id, invite.id)?;
                Some(invite.id)
            }
            None => None,
        };
        let event = AuditEvent::new("user_registered")
            .actor(user_id)
            .target(format!("user:{user_id}"))
            .ip(cmd.client.ip.as_deref())
            .detail(json!({ "invite_id": invite_id, "roles": roles }));
        audit::record(tx, event, now)?;
        let session = start_session(tx, ctx, user_id, &cmd.client, None)?;
        Ok(Registered { user_id, username: username.to_string(), session })
    })
}

// ----- password change, devices, guests -----

/// Guests have no email address; one in this reserved, undeliverable domain keeps the column
/// unique, and no email flow ever treats it as an address.
pub const GUEST_EMAIL_DOMAIN: &str = "@guests.invalid";

pub struct ChangePasswordCommand {
    pub current_password: String,
    pub new_password: String,
    pub client: ClientInfo,
}

/// Changes the signed-in member's password. A wrong current password is 401
/// `invalid_credentials` (and counts as a failed login); a new one against the policy is 422
/// on `new_password`. Success ends every other session and API token of the account, keeping
/// only the credential this request came with. Needs a hashing permit.
pub fn change_password(
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
        let event =
            AuditEvent::new("password_changed").actor(user.user_id).ip(cmd.client.ip.as_deref());
        audit::record(tx, event, now)
    })
}

/// One signed-in device in `GET /api/v1/auth/sessions`.
#[derive(Debug, serde::Serialize, JsonSchema)]
#[schemars(rename = "Device")]
pub struct DeviceView {
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
pub struct DevicesView {
    pub sessions: Vec<DeviceView>,
    pub tokens: Vec<DeviceView>,
}

/// The member's own browser sessions and API token families.
pub fn list_devices(
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

/// Ends one of the member's own sessions; 404 for anyone else's (or an unknown id).
pub fn revoke_session(
    conn: &Connection,
    ctx: &Ctx,
    user: &AuthUser,
    session_id: i64,
) -> Result<(), AppError> {
    if repo::session_owner(conn, session_id)? != Some(user.user_id) {
        return Err(AppError::not_found("No such session."));
    }
    repo::delete_session(conn, session_id)?;
    let event = AuditEvent::new("session_revoked")
        .actor(user.user_id)
        .target(format!("session:{session_id}"));
    audit::record(conn, event, ctx.now_unix())
}

/// Revokes one of the member's own API token families; 404 for anyone else's.
pub fn revoke_token_family(
    conn: &Connection,
    ctx: &Ctx,
    user: &AuthUser,
    family: &str,
) -> Result<(), AppError> {
    if repo::family_owner(conn, family)? != Some(user.user_id) {
        return Err(AppError::not_found("No such token."));
    }
    let now = ctx.now_unix();
    repo::revoke_token_family(conn, family, now)?;
    let event = AuditEvent::new("session_revoked")
        .actor(user.user_id)
        .target(format!("token_family:{family}"));
    audit::record(conn, event, now)
}

/// "Log out everywhere": every session and API token of the member, this one included.
pub fn revoke_everything(conn: &Connection, ctx: &Ctx, user: &AuthUser) -> Result<(), AppError> {
    let now = ctx.now_unix();
    repo::delete_user_sessions(conn, user.user_id, None)?;
    repo::revoke_user_tokens(conn, user.user_id, None, now)?;
    audit::record(conn, AuditEvent::new("logged_out_everywhere").actor(user.user_id), now)
}

/// Creates a password-less guest with a session, when the club allows guests (403 otherwise).
/// Guests hold only the `guest` role: they reach what is shared with them and nothing else.
/// Admitted as registrations are (10 an hour per client address).
pub fn create_guest(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<GuestCommand>,
) -> Result<StartedSession, AppError> {
    let GuestCommand { display_name, client } = cmd.into_inner();
    let client = &client;
    let mut v = Validator::new();
    let name = v.parsed("display_name", PersonName::parse(&display_name));
    let name = v.finish_with(name)?;
    let name = name.as_str();
    write_tx(conn, |tx| {
        if !settings::account_settings(tx)?.guest_accounts {
            return Err(AppError::forbidden("Guest access is turned off for this club.")
                .with_code("guests_disabled"));
        }
        let now = ctx.now_unix();
        let handle = format!("guest-{}", crate::crypto::random_code(10).to_lowercase());
        let email = format!("{handle}{GUEST_EMAIL_DOMAIN}");
        let user = NewUser {
            username: &handle,
            email: &email,
            display_name: name,
            password_hash: None,
            status: UserStatus::Active,
        };
        let user_id = repo::insert_user(tx, &user, now)?;
        repo::add_roles(tx, user_id, &[Role::Guest])?;
        let event = AuditEvent::new("guest_created").actor(user_id).ip(client.ip.as_deref());
        audit::record(tx, event, now)?;
        start_session(tx, ctx, user_id, client, None)
    })
}

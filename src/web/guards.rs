//! Request guards: the database, the signed-in user (resolved once per request), the admin,
//! and client details. A failing guard stashes its `AppError` so the catcher can answer with
//! the precise error, as JSON under /api and as a page elsewhere.

use std::sync::Mutex;

use rocket::http::{CookieJar, Method, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rusqlite::{Connection, Transaction};

use super::is_api_path;
use super::SecureCookies;
use crate::accounts::known_devices;
use crate::accounts::model::ClientInfo;
use crate::accounts::model::{Actor, AuthUser};
use crate::accounts::sessions::{SessionState, StartedSession};
use crate::ctx::Ctx;
use crate::db::{Db, Tx};
use crate::error::AppError;

pub(crate) const SESSION_COOKIE: &str = "clubroom_session";
/// The accounts this browser signed in to before (see `accounts::known_devices`).
pub(crate) const DEVICE_COOKIE: &str = "clubroom_device";

/// The error a guard failed with, for the catcher.
#[derive(Default)]
pub(crate) struct StashedError(Mutex<Option<AppError>>);

impl StashedError {
    pub(crate) fn take(req: &Request<'_>) -> Option<AppError> {
        req.local_cache(StashedError::default).0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Fails a guard with `err`, keeping it for the catcher.
pub(crate) fn fail<T>(req: &Request<'_>, err: AppError) -> Outcome<T, AppError> {
    Outcome::Error(stash(req, err))
}

/// Keeps `err` for the catcher and returns the pair a failing guard (request or data) returns.
pub(crate) fn stash(req: &Request<'_>, err: AppError) -> (Status, AppError) {
    let status = Status::from_code(err.status()).unwrap_or(Status::InternalServerError);
    let slot = req.local_cache(StashedError::default);
    let copy = err.public_copy();
    if let Some(cause) = err.cause() {
        log::error!("[{}] {}: {cause}", super::headers::request_id(req), err.code());
    }
    *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(copy);
    (status, err)
}

/// How the request's credentials resolved; computed once and cached for the request.
enum AuthState {
    User(Box<AuthUser>),
    Anonymous,
    /// A session cookie that is unknown or expired (and now removed).
    Expired,
    /// An `Authorization` header that is not a live bearer token: always a 401.
    InvalidToken,
    /// The database could not be asked.
    Unavailable,
}

fn invalid_token() -> AppError {
    AppError::new(
        crate::error::ErrorKind::Unauthorized,
        "The access token is invalid or has expired. Refresh it or log in again.",
    )
    .with_code("invalid_token")
}

/// The token of an `Authorization: Bearer ...` header. Other schemes (a proxy's Basic auth,
/// say) are not our credentials and are ignored.
fn bearer_token(req: &Request<'_>) -> Option<String> {
    let header = req.headers().get_one("Authorization")?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

/// Resolves a bearer access token.
async fn bearer_state(req: &Request<'_>, token: String) -> AuthState {
    let (Some(db), Some(ctx)) = (req.rocket().state::<Db>(), req.rocket().state::<Ctx>()) else {
        return AuthState::Unavailable;
    };
    let ctx = ctx.clone();
    match db.call(move |conn| crate::accounts::tokens::resolve_access(conn, &ctx, &token)).await {
        Ok(Some(user)) => AuthState::User(Box::new(user)),
        Ok(None) => AuthState::InvalidToken,
        Err(err) => {
            log::error!("[{}] token lookup failed: {err}", super::headers::request_id(req));
            AuthState::Unavailable
        }
    }
}

async fn auth_state<'r>(req: &'r Request<'_>) -> &'r AuthState {
    req.local_cache_async(async {
        if let Some(token) = bearer_token(req) {
            return bearer_state(req, token).await;
        }
        let Some(token) = req.cookies().get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return AuthState::Anonymous;
        };
        let (Some(db), Some(ctx)) = (req.rocket().state::<Db>(), req.rocket().state::<Ctx>())
        else {
            return AuthState::Unavailable;
        };
        let key = crate::crypto::token_hash(&token);
        // Read before the database is: a change landing meanwhile makes the answer stale.
        let generation = db.auth_changes().current();
        if let Some(user) = ctx.sessions.get(&key, generation, ctx.now_unix()) {
            return AuthState::User(Box::new(user));
        }
        let ctx = ctx.clone();
        let resolving = ctx.clone();
        match db
            .call(move |conn| crate::accounts::sessions::resolve_session(conn, &resolving, &token))
            .await
        {
            Ok(SessionState::Valid(resolved)) => {
                let user = Box::new(resolved.user.clone());
                ctx.sessions.put(key, *resolved, generation);
                AuthState::User(user)
            }
            Ok(SessionState::Expired | SessionState::Unknown) => {
                req.cookies().remove(SESSION_COOKIE);
                AuthState::Expired
            }
            Err(err) => {
                log::error!("[{}] session lookup failed: {err}", super::headers::request_id(req));
                AuthState::Unavailable
            }
        }
    })
    .await
}

/// The signed-in user, if resolution already happened in this request (for synchronous code
/// such as error rendering). Never triggers a lookup.
pub(crate) fn peek_user(req: &Request<'_>) -> Option<AuthUser> {
    match req.local_cache(|| AuthState::Anonymous) {
        AuthState::User(user) => Some((**user).clone()),
        _ => None,
    }
}

/// Cookie-authenticated writes to the JSON API must say `Content-Type: application/json`: a
/// cross-site HTML form cannot, so this closes CSRF for the API.
fn json_required(req: &Request<'_>) -> Option<AppError> {
    let unsafe_method = !matches!(req.method(), Method::Get | Method::Head | Method::Options);
    let is_json = req.content_type().is_some_and(|ct| ct.is_json());
    (unsafe_method && is_api_path(req.uri().path().as_str()) && !is_json).then(|| {
        AppError::new(
            crate::error::ErrorKind::UnsupportedMediaType,
            "Send this request with Content-Type: application/json.",
        )
        .with_code("json_required")
    })
}

/// A signed-in user. 401 without a session (`unauthenticated`) or with an expired one
/// (`session_expired`); pages turn 401 into a redirect to the login page.
pub(crate) struct CurrentUser(pub AuthUser);

impl CurrentUser {
    pub(crate) fn actor(&self) -> Actor {
        Actor::User(self.0.clone())
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, AppError> {
        match auth_state(req).await {
            AuthState::User(user) => {
                match user.credential.session_id().and_then(|_| json_required(req)) {
                    Some(err) => fail(req, err),
                    None => Outcome::Success(CurrentUser((**user).clone())),
                }
            }
            AuthState::InvalidToken => fail(req, invalid_token()),
            AuthState::Anonymous => fail(req, AppError::unauthenticated()),
            AuthState::Expired => fail(
                req,
                AppError::new(
                    crate::error::ErrorKind::Unauthorized,
                    "Your session has expired. Please log in again.",
                )
                .with_code("session_expired"),
            ),
            AuthState::Unavailable => {
                fail(req, AppError::unavailable("The database is unavailable."))
            }
        }
    }
}

/// The signed-in user or nobody. An expired or unknown session cookie is removed and the
/// request continues anonymously (the login page must stay reachable with a stale cookie).
pub(crate) struct MaybeUser(pub Option<AuthUser>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MaybeUser {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, AppError> {
        match auth_state(req).await {
            AuthState::User(user) => Outcome::Success(MaybeUser(Some((**user).clone()))),
            AuthState::Anonymous | AuthState::Expired => Outcome::Success(MaybeUser(None)),
            AuthState::InvalidToken => fail(req, invalid_token()),
            AuthState::Unavailable => {
                fail(req, AppError::unavailable("The database is unavailable."))
            }
        }
    }
}

/// The signed-in user wrapped as `T` when `allowed` lets them in; its error (kept for the
/// catcher) when not; the `CurrentUser` failure without a session.
async fn signed_in_and<T>(
    req: &Request<'_>,
    wrap: fn(AuthUser) -> T,
    allowed: impl FnOnce(&AuthUser) -> Result<(), AppError>,
) -> Outcome<T, AppError> {
    match req.guard::<CurrentUser>().await {
        Outcome::Success(CurrentUser(user)) => match allowed(&user) {
            Ok(()) => Outcome::Success(wrap(user)),
            Err(err) => fail(req, err),
        },
        Outcome::Error(e) => Outcome::Error(e),
        Outcome::Forward(s) => Outcome::Forward(s),
    }
}

/// A signed-in admin: 401 without a session, 403 for anyone else.
pub(crate) struct AdminUser(pub AuthUser);

impl AdminUser {
    pub(crate) fn actor(&self) -> Actor {
        Actor::User(self.0.clone())
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AdminUser {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, AppError> {
        signed_in_and(req, AdminUser, |user| {
            if user.is_admin() {
                Ok(())
            } else {
                Err(AppError::forbidden("This part of Clubroom is for club admins."))
            }
        })
        .await
    }
}

/// A signed-in admin or organizer (who runs gift exchanges): 401 without a session, 403 for
/// anyone else.
pub(crate) struct OrganizerUser(pub AuthUser);

impl OrganizerUser {
    pub(crate) fn actor(&self) -> Actor {
        Actor::User(self.0.clone())
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for OrganizerUser {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, AppError> {
        signed_in_and(req, OrganizerUser, |user| {
            if user.is_organizer() {
                Ok(())
            } else {
                Err(AppError::forbidden("This part of Clubroom is for club admins and organizers."))
            }
        })
        .await
    }
}

/// A signed-in member of the club who may use the member area: status `active` and more than
/// a guest. 401 without a session; 403 `onboarding_incomplete` for a member still joining
/// (pages send them to /onboarding); 403 `members_only` for guests.
pub(crate) struct ActiveMember(pub AuthUser);

impl ActiveMember {
    pub(crate) fn actor(&self) -> Actor {
        Actor::User(self.0.clone())
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ActiveMember {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, AppError> {
        signed_in_and(req, ActiveMember, |user| {
            if user.is_active_member() {
                Ok(())
            } else if user.is_guest_only() {
                Err(AppError::forbidden("This part of Clubroom is for club members.")
                    .with_code("members_only"))
            } else {
                Err(AppError::onboarding_incomplete())
            }
        })
        .await
    }
}

/// The client's IP address and user agent, for sessions, the audit log and rate limits. The
/// address is canonical: an IPv4 client on a dual-stack listener (or named so by the proxy's
/// header) is recorded as `a.b.c.d`, not `::ffff:a.b.c.d`.
pub(crate) struct Client(pub ClientInfo);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Client {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let user_agent =
            req.headers().get_one("User-Agent").map(|ua| ua.chars().take(300).collect::<String>());
        Outcome::Success(Client(ClientInfo {
            ip: req.client_ip().map(|ip| ip.to_canonical().to_string()),
            user_agent,
        }))
    }
}

/// The database handle alone, for handlers that need no service context.
#[rocket::async_trait]
impl<'r> FromRequest<'r> for Db {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, AppError> {
        match req.rocket().state::<Db>() {
            Some(db) => Outcome::Success(db.clone()),
            None => fail(req, AppError::internal("database not managed")),
        }
    }
}

/// The database and the service context, which nearly every handler needs together:
/// `app.read(|tx, ctx| service::thing(tx, ctx, ...))`. Each call is one hop to a blocking thread,
/// and what a write committed (mail queued, live events) happens after it without a word from
/// the handler (see `db::Tx`).
pub(crate) struct App {
    pub db: Db,
    pub ctx: Ctx,
    background: super::Background,
}

impl App {
    /// A read-only snapshot (see `Db::read`).
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction, &Ctx) -> Result<T, AppError> + Send + 'static,
    {
        let ctx = self.ctx.clone();
        self.db.read(move |tx| f(tx, &ctx)).await
    }

    /// One `BEGIN IMMEDIATE` transaction (see `Db::write`).
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx, &Ctx) -> Result<T, AppError> + Send + 'static,
    {
        let ctx = self.ctx.clone();
        self.db.write(move |tx| f(tx, &ctx)).await
    }

    /// A connection of its own, for services that manage their transactions themselves.
    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Ctx) -> Result<T, AppError> + Send + 'static,
    {
        let ctx = self.ctx.clone();
        self.db.call(move |conn| f(conn, &ctx)).await
    }

    /// Runs a write after the response: for requests that must answer alike whether or not
    /// they had anything to do. 503 when too much background work is already waiting.
    pub(crate) fn write_later<F>(&self, what: &'static str, f: F) -> Result<(), AppError>
    where
        F: FnOnce(&Tx, &Ctx) -> Result<(), AppError> + Send + 'static,
    {
        let (db, ctx) = (self.db.clone(), self.ctx.clone());
        self.background.spawn(what, async move { db.write(move |tx| f(tx, &ctx)).await })
    }

    /// The real-time hub, for the socket endpoint.
    pub(crate) fn hub(&self) -> &crate::realtime::Hub {
        self.db.outlets().hub()
    }

    /// Like `call`, after waiting for a password-hashing slot, and on a hashing thread (below
    /// the priority of the rest of the server): for the service calls that hash or verify a
    /// password (503 `busy` when too many are waiting).
    pub(crate) async fn hashing<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Ctx) -> Result<T, AppError> + Send + 'static,
    {
        let _permit = self.ctx.passwords.permit().await?;
        let (db, ctx) = (self.db.clone(), self.ctx.clone());
        self.ctx.passwords.run(move || db.call_here(|conn| f(conn, &ctx))).await?
    }
}

/// A query parameter given more than once. Rocket reads a repeated optional parameter as
/// absent, which would quietly drop a filter the client asked for, so the API refuses it.
/// Every API request passes here, so the names are borrowed, not copied.
fn repeated_parameter<'r>(req: &'r Request<'_>) -> Option<&'r str> {
    let mut seen: Vec<&str> = Vec::new();
    req.query_fields().map(|field| field.name.source().as_str()).find(|name| {
        let again = seen.contains(name);
        seen.push(name);
        again
    })
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for App {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, AppError> {
        if is_api_path(req.uri().path().as_str()) {
            if let Some(name) = repeated_parameter(req) {
                return fail(req, AppError::invalid_field(name, "Give this parameter once."));
            }
        }
        let rocket = req.rocket();
        match (rocket.state::<Db>(), rocket.state::<Ctx>(), rocket.state::<super::Background>()) {
            (Some(db), Some(ctx), Some(background)) => Outcome::Success(App {
                db: db.clone(),
                ctx: ctx.clone(),
                background: background.clone(),
            }),
            _ => fail(req, AppError::internal("application state not managed")),
        }
    }
}

/// The browser's sign-in cookies: the session (what it holds now, setting or clearing it) and
/// the device cookie, which outlives sessions and logouts.
pub(crate) struct SessionCookie<'r> {
    jar: &'r CookieJar<'r>,
    lifetime_minutes: i64,
    secure: bool,
}

impl SessionCookie<'_> {
    /// The token the browser sent, if any (a login replaces that session).
    pub(crate) fn current(&self) -> Option<String> {
        self.jar.get(SESSION_COOKIE).map(|c| c.value().to_string())
    }

    /// Hands the browser a new session token; the cookie lives as long as the session may.
    pub(crate) fn set(&self, token: String) {
        let mut c = super::cookie(SESSION_COOKIE, token, self.secure);
        c.set_max_age(rocket::time::Duration::minutes(self.lifetime_minutes));
        self.jar.add(c);
    }

    pub(crate) fn clear(&self) {
        self.jar.remove(SESSION_COOKIE);
    }

    /// The device cookie the browser sent, if any.
    pub(crate) fn device(&self) -> Option<String> {
        self.jar.get(DEVICE_COOKIE).map(|c| c.value().to_string())
    }

    /// Hands the browser the session of a sign-in, and adds the sign-in's note to its device
    /// cookie, which lives for a year from the newest sign-in.
    pub(crate) fn sign_in(&self, session: StartedSession) {
        if let Some(note) = session.device {
            let value = known_devices::remember(self.device().as_deref(), &note);
            let mut c = super::cookie(DEVICE_COOKIE, value, self.secure);
            c.set_max_age(rocket::time::Duration::days(known_devices::LIFETIME_DAYS));
            self.jar.add(c);
        }
        self.set(session.token);
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SessionCookie<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let secure = req.rocket().state::<SecureCookies>().is_some_and(|s| s.0);
        // The absolute limit an admin set (kept in memory), else the configured one.
        let lifetime_minutes = match req.rocket().state::<crate::settings::SiteInfo>() {
            Some(site) => site.public().session_absolute_minutes,
            None => req.rocket().state::<Ctx>().map_or(60, |c| c.config.session_absolute_minutes),
        };
        Outcome::Success(SessionCookie { jar: req.cookies(), lifetime_minutes, secure })
    }
}

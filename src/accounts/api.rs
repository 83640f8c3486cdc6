//! JSON API for accounts: `/api/v1/auth/*` and the admin's pre-registration of members.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Route};
use schemars::JsonSchema;
use serde::Serialize;

use super::codes::{self, EmailFlow};
use super::factors::service::AppEnrolmentView;
use super::factors::Method;
use super::input::*;
use super::model::ClientInfo;
use super::second_step;
use super::service::{self, DevicesView};
use super::sessions::{Grant, LoginOutcome};
use super::shared;
use super::tokens::{self, TokenPair};
use super::views::{
    invitation_sent, LoggedOutView, MessageView, RegisteredView, SessionView, CLAIM_SENT,
    MAGIC_SENT, RESET_SENT,
};
use crate::error::AppError;
use crate::ratelimit::Admitted;
use crate::web::guards::{App, Client, CurrentUser, MaybeUser, SessionCookie};
use crate::web::json::JsonBody;

/// What a sign-in step answers: done, a second-factor challenge, or API tokens.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "LoginAnswer")]
#[serde(untagged)]
pub(crate) enum LoginResponse {
    Done(MessageView),
    #[schemars(title = "TwoFactorChallenge")]
    Challenge {
        two_factor_required: bool,
        challenge: String,
        /// What answers the challenge (`POST /api/v1/auth/login/verify`): `authenticator_app`
        /// and `email_code` take `code`, `recovery_code` takes `recovery_code`, `password`
        /// takes `password`, `passkey` takes `credential`.
        methods: Vec<Method>,
    },
    /// Both steps were right, but the club requires this admin to set up an authenticator app
    /// first: `POST /api/v1/auth/login/enrol`, then `.../enrol/confirm`.
    #[schemars(title = "EnrolmentRequired")]
    Enrol {
        enrolment_required: bool,
        challenge: String,
    },
    Tokens(TokenPair),
}

/// Turns an outcome into the answer, setting the session cookie for a session.
pub(crate) fn answer(
    outcome: LoginOutcome,
    cookie: &SessionCookie<'_>,
    message: &str,
) -> Json<LoginResponse> {
    Json(match outcome {
        LoginOutcome::Session(session) => {
            cookie.sign_in(session);
            LoginResponse::Done(MessageView::new(message))
        }
        LoginOutcome::Tokens(pair) => LoginResponse::Tokens(pair),
        LoginOutcome::TwoFactor { challenge, methods } => {
            LoginResponse::Challenge { two_factor_required: true, challenge, methods }
        }
        LoginOutcome::Enrol { challenge } => {
            LoginResponse::Enrol { enrolment_required: true, challenge }
        }
    })
}

async fn password_login(
    input: LoginInput,
    grant: Grant,
    client: ClientInfo,
    cookie: &SessionCookie<'_>,
    app: &App,
) -> Result<Json<LoginResponse>, AppError> {
    let replaces = if grant == Grant::Session { cookie.current() } else { None };
    let cmd = input.into_command(client, replaces, cookie.device(), grant);
    let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
    let outcome = app.hashing(move |conn, ctx| service::login(conn, ctx, cmd)).await?;
    Ok(answer(outcome, cookie, "Login successful"))
}

/// `POST /api/v1/auth/login` `{"login", "password"}`: 200 and a session cookie (and the device
/// cookie that makes this client known to the account), a second-factor challenge, or 401
/// `invalid_credentials` whatever was wrong. A device cookie sent along spares a known device
/// the slowdown of a name others failed with.
#[post("/auth/login", data = "<input>")]
async fn login(
    input: JsonBody<LoginInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<Json<LoginResponse>, AppError> {
    password_login(input.into_inner(), Grant::Session, client.0, &cookie, &app).await
}

/// `POST /api/v1/auth/token`: the same check, answered with API tokens.
#[post("/auth/token", data = "<input>")]
async fn token(
    input: JsonBody<LoginInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<Json<LoginResponse>, AppError> {
    password_login(input.into_inner(), Grant::Tokens, client.0, &cookie, &app).await
}

/// `POST /api/v1/auth/login/verify` `{"challenge", "code" | "recovery_code" | "password"}`:
/// the second step of a sign-in.
#[post("/auth/login/verify", data = "<input>")]
async fn verify(
    input: JsonBody<VerifyInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<Json<LoginResponse>, AppError> {
    let grants = vec![Grant::Session, Grant::Tokens];
    let device = cookie.device();
    let cmd = input.into_inner().into_command(client.0, cookie.current(), device, grants)?;
    let outcome = shared::answer_challenge(&app, cmd).await?;
    Ok(answer(outcome, &cookie, "Login successful"))
}

/// `POST /api/v1/auth/login/passkey` `{"challenge"}`: the options for
/// `navigator.credentials.get` when a challenge accepts a passkey; the assertion goes to
/// `POST /api/v1/auth/login/verify` as `credential`.
#[post("/auth/login/passkey", data = "<input>")]
async fn passkey_options(
    input: JsonBody<ChallengeInput>,
    client: Client,
    app: App,
) -> Result<Json<serde_json::Value>, AppError> {
    let cmd = Admitted::admit(&app.ctx.limits, input.into_inner().into_command(client.0))?;
    let options = app.write(move |tx, ctx| second_step::passkey_options(tx, ctx, cmd)).await?;
    Ok(Json(options))
}

/// `POST /api/v1/auth/login/enrol` `{"challenge"}`: the authenticator app to set up before a
/// sign-in the club holds back ends (a new secret each call).
#[post("/auth/login/enrol", data = "<input>")]
async fn enrol_start(
    input: JsonBody<ChallengeInput>,
    app: App,
) -> Result<Json<AppEnrolmentView>, AppError> {
    let challenge = input.into_inner().challenge;
    let all = [Grant::Session, Grant::Tokens];
    let view =
        app.write(move |tx, ctx| second_step::enrol_start(tx, ctx, &challenge, &all)).await?;
    Ok(Json(view))
}

/// What ends a sign-in that set up an authenticator app: the recovery codes (shown once), and
/// the tokens when the sign-in asked for tokens (else the session cookie is set).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct EnrolledView {
    pub message: String,
    pub recovery_codes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenPair>,
}

/// `POST /api/v1/auth/login/enrol/confirm` `{"challenge", "code"}`: the app's first code ends
/// the sign-in.
#[post("/auth/login/enrol/confirm", data = "<input>")]
async fn enrol_confirm(
    input: JsonBody<EnrolInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<Json<EnrolledView>, AppError> {
    let grants = vec![Grant::Session, Grant::Tokens];
    let cmd = input.into_inner().into_command(client.0, cookie.current(), grants);
    let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
    let (outcome, codes) =
        app.call(move |conn, ctx| second_step::enrol_finish(conn, ctx, cmd)).await?;
    let tokens = match outcome {
        LoginOutcome::Session(session) => {
            cookie.sign_in(session);
            None
        }
        LoginOutcome::Tokens(pair) => Some(pair),
        _ => return Err(AppError::internal("an enrolment ended without a sign-in")),
    };
    let message = "Authenticator app set up; you are signed in".to_string();
    Ok(Json(EnrolledView { message, recovery_codes: codes.recovery_codes, tokens }))
}

/// `POST /api/v1/auth/refresh` `{"refresh_token"}`: a new pair; the old refresh token dies.
#[post("/auth/refresh", data = "<input>")]
async fn refresh(
    input: JsonBody<RefreshInput>,
    client: Client,
    app: App,
) -> Result<Json<TokenPair>, AppError> {
    let cmd = Admitted::admit(&app.ctx.limits, input.into_inner().into_command(client.0))?;
    Ok(Json(app.call(move |conn, ctx| tokens::refresh(conn, ctx, cmd)).await?))
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Check")]
pub(crate) struct CheckView {
    authenticated: bool,
    user: SessionView,
}

/// `GET /api/v1/auth/check`: who the credential (cookie or bearer token) belongs to, or 401.
#[get("/auth/check")]
fn check(user: CurrentUser) -> Json<CheckView> {
    Json(CheckView { authenticated: true, user: SessionView::of(&user.0) })
}

/// `GET /api/v1/auth/session`: who is signed in, or 401 `{"logged_in": false}`.
#[get("/auth/session")]
fn session(user: MaybeUser) -> Result<Json<SessionView>, (Status, Json<LoggedOutView>)> {
    match user.0 {
        Some(user) => Ok(Json(SessionView::of(&user))),
        None => Err((Status::Unauthorized, Json(LoggedOutView { logged_in: false }))),
    }
}

/// `POST /api/v1/auth/logout`: ends this session (or this API token family) server-side.
#[post("/auth/logout")]
async fn logout(
    user: CurrentUser,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    app.call(move |conn, ctx| service::logout(conn, ctx, &user.0, &client.0)).await?;
    cookie.clear();
    Ok(Json(MessageView::new("Logged out")))
}

/// What a registration answers: the new account, or where to finish.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum RegisterResponse {
    Registered(RegisteredView),
    InvitationSent(MessageView),
}

/// `POST /api/v1/auth/register`: 201 and a session cookie, or 202 when an invitation was
/// emailed to the address instead (a gift exchange guest holds it).
#[post("/auth/register", data = "<input>")]
async fn register(
    input: JsonBody<RegisterInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<(Status, Json<RegisterResponse>), AppError> {
    let cmd = Admitted::admit(&app.ctx.limits, input.into_inner().into_command(None, client.0))?;
    let done = match shared::register_when_free(&app, cmd).await? {
        service::Registration::Registered(done) => done,
        service::Registration::InvitationSent { email } => {
            let view = MessageView { message: invitation_sent(&email) };
            return Ok((Status::Accepted, Json(RegisterResponse::InvitationSent(view))));
        }
    };
    cookie.set(done.session.token);
    let view = RegisteredView {
        message: "Registration successful",
        user_id: done.user_id,
        username: done.username,
    };
    Ok((Status::Created, Json(RegisterResponse::Registered(view))))
}

/// `POST /api/v1/auth/claim/request` `{"email"}`: always the same answer.
#[post("/auth/claim/request", data = "<input>")]
async fn claim_request(
    input: JsonBody<EmailInput>,
    client: Client,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    let email = codes::admit(&app.ctx, EmailFlow::Claim, &input.into_inner().email, &client.0)?;
    app.write_later("claim code", move |tx, ctx| codes::request_claim(tx, ctx, &email))?;
    Ok(Json(MessageView::new(CLAIM_SENT)))
}

/// `POST /api/v1/auth/claim/complete` `{"email", "code", "password"}`: sets the password and
/// signs in.
#[post("/auth/claim/complete", data = "<input>")]
async fn claim_complete(
    input: JsonBody<ClaimInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<Json<LoginResponse>, AppError> {
    let cmd = Admitted::admit(&app.ctx.limits, input.into_inner().into_command(client.0))?;
    let outcome = app.hashing(move |conn, ctx| codes::complete_claim(conn, ctx, cmd)).await?;
    Ok(answer(outcome, &cookie, "Account claimed"))
}

/// `POST /api/v1/auth/magic-link` `{"email"}`: always the same answer.
#[post("/auth/magic-link", data = "<input>")]
async fn magic_request(
    input: JsonBody<EmailInput>,
    client: Client,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    let email = codes::admit(&app.ctx, EmailFlow::MagicLink, &input.into_inner().email, &client.0)?;
    app.write_later("sign-in link", move |tx, ctx| codes::request_magic_link(tx, ctx, &email))?;
    Ok(Json(MessageView::new(MAGIC_SENT)))
}

/// `POST /api/v1/auth/magic-link/verify` `{"token"}` or `{"email", "code"}`: signs in.
#[post("/auth/magic-link/verify", data = "<input>")]
async fn magic_verify(
    input: JsonBody<MagicInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<Json<LoginResponse>, AppError> {
    let cmd = input.into_inner().into_command(client.0, cookie.current());
    let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
    let outcome = app.call(move |conn, ctx| codes::complete_magic_link(conn, ctx, cmd)).await?;
    Ok(answer(outcome, &cookie, "Login successful"))
}

/// `POST /api/v1/auth/password/forgot` `{"email"}`: always the same answer.
#[post("/auth/password/forgot", data = "<input>")]
async fn forgot(
    input: JsonBody<EmailInput>,
    client: Client,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    let email =
        codes::admit(&app.ctx, EmailFlow::PasswordReset, &input.into_inner().email, &client.0)?;
    app.write_later("reset link", move |tx, ctx| codes::request_reset(tx, ctx, &email))?;
    Ok(Json(MessageView::new(RESET_SENT)))
}

/// `POST /api/v1/auth/password/reset` `{"token", "new_password"}`: ends every session.
#[post("/auth/password/reset", data = "<input>")]
async fn reset(
    input: JsonBody<ResetInput>,
    client: Client,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    let cmd = input.into_inner().into_command(None, client.0)?;
    let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
    app.hashing(move |conn, ctx| codes::reset_password(conn, ctx, cmd)).await?;
    Ok(Json(MessageView::new("Your password has been reset. Please log in.")))
}

/// `POST /api/v1/auth/password/change` `{"current_password", "new_password"}`.
#[post("/auth/password/change", data = "<input>")]
async fn change_password(
    user: CurrentUser,
    input: JsonBody<ChangePasswordInput>,
    client: Client,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    let cmd = input.into_inner().into_command(client.0);
    app.hashing(move |conn, ctx| service::change_password(conn, ctx, &user.0, cmd)).await?;
    Ok(Json(MessageView::new("Password changed. Your other sessions have been ended.")))
}

/// `GET /api/v1/auth/sessions`: this member's sessions and API tokens.
#[get("/auth/sessions")]
async fn devices(user: CurrentUser, app: App) -> Result<Json<DevicesView>, AppError> {
    Ok(Json(app.read(move |tx, ctx| service::list_devices(tx, ctx, &user.0)).await?))
}

#[delete("/auth/sessions/<id>")]
async fn revoke_session(
    user: CurrentUser,
    id: i64,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    app.write(move |tx, ctx| service::revoke_session(tx, ctx, &user.0, id)).await?;
    Ok(Json(MessageView::new("Session ended")))
}

#[delete("/auth/tokens/<family>")]
async fn revoke_tokens(
    user: CurrentUser,
    family: String,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    app.write(move |tx, ctx| service::revoke_token_family(tx, ctx, &user.0, &family)).await?;
    Ok(Json(MessageView::new("Token revoked")))
}

/// `POST /api/v1/auth/sessions/revoke-all`: log out everywhere, here included.
#[post("/auth/sessions/revoke-all")]
async fn revoke_all(
    user: CurrentUser,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    app.write(move |tx, ctx| service::revoke_everything(tx, ctx, &user.0)).await?;
    cookie.clear();
    Ok(Json(MessageView::new("Logged out everywhere")))
}

/// `PUT /api/v1/auth/two-factor` `{"enabled"}`: the member's own second factor.
#[put("/auth/two-factor", data = "<input>")]
async fn two_factor(
    user: CurrentUser,
    input: JsonBody<TwoFactorInput>,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    let (actor, enabled) = (user.actor(), input.into_inner().enabled);
    app.write(move |tx, ctx| codes::set_two_factor(tx, ctx, &actor, enabled)).await?;
    Ok(Json(MessageView::new(if enabled { "Login codes are on" } else { "Login codes are off" })))
}

/// `POST /api/v1/auth/guest` `{"display_name"}`: a password-less guest with a session.
#[post("/auth/guest", data = "<input>")]
async fn guest(
    input: JsonBody<GuestInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<(Status, Json<MessageView>), AppError> {
    let cmd = Admitted::admit(&app.ctx.limits, input.into_inner().into_command(client.0))?;
    let session = app.call(move |conn, ctx| service::create_guest(conn, ctx, cmd)).await?;
    cookie.set(session.token);
    Ok((Status::Created, Json(MessageView::new("Welcome, guest"))))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        login,
        token,
        verify,
        passkey_options,
        enrol_start,
        enrol_confirm,
        refresh,
        check,
        session,
        logout,
        register,
        claim_request,
        claim_complete,
        magic_request,
        magic_verify,
        forgot,
        reset,
        change_password,
        devices,
        revoke_session,
        revoke_tokens,
        revoke_all,
        two_factor,
        guest
    ]
}

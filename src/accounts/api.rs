//! JSON API for signing in and out: `/api/v1/auth/*`.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};

use super::input::{LoginInput, RegisterInput};
use super::service::{self, LoginCommand, RegisterCommand};
use super::views::{LoggedOutView, MessageView, RegisteredView, SessionView};
use crate::error::AppError;
use crate::web::guards::{App, Client, CurrentUser, MaybeUser, SessionCookie};
use crate::web::json::JsonBody;

/// `POST /api/v1/auth/login` `{"login", "password"}`: 200 and a session cookie, or 401
/// `invalid_credentials` whatever was wrong.
#[post("/auth/login", data = "<input>")]
async fn login(
    input: JsonBody<LoginInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    app.ctx.limits.login_ip.hit(client.0.limit_key())?;
    let input = input.into_inner();
    let cmd = LoginCommand {
        login: input.login,
        password: input.password,
        client: client.0,
        replaces: cookie.current(),
    };
    let session = app.hashing(move |conn, ctx| service::login(conn, ctx, cmd)).await?;
    cookie.set(session.token);
    Ok(Json(MessageView::new("Login successful")))
}

/// `GET /api/v1/auth/session`: who is signed in, or 401 `{"logged_in": false}`.
#[get("/auth/session")]
fn session(user: MaybeUser) -> Result<Json<SessionView>, (Status, Json<LoggedOutView>)> {
    match user.0 {
        Some(user) => Ok(Json(SessionView::of(&user))),
        None => Err((Status::Unauthorized, Json(LoggedOutView { logged_in: false }))),
    }
}

/// `POST /api/v1/auth/logout`: ends the session server-side.
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

impl RegisterInput {
    pub fn into_command(
        self,
        token: Option<String>,
        client: super::service::ClientInfo,
    ) -> RegisterCommand {
        RegisterCommand {
            username: self.username,
            email: self.email,
            password: self.password,
            invite_token: token.or(self.invite_token),
            roles: self.roles,
            phone: self.phone.unwrap_or_default(),
            client,
        }
    }
}

/// `POST /api/v1/auth/register`: 201 and a session cookie.
#[post("/auth/register", data = "<input>")]
async fn register(
    input: JsonBody<RegisterInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<(Status, Json<RegisteredView>), AppError> {
    app.ctx.limits.register_ip.hit(client.0.limit_key())?;
    let cmd = input.into_inner().into_command(None, client.0);
    let done = app.hashing(move |conn, ctx| service::register(conn, ctx, cmd)).await?;
    cookie.set(done.session.token);
    let view = RegisteredView {
        message: "Registration successful",
        user_id: done.user_id,
        username: done.username,
    };
    Ok((Status::Created, Json(view)))
}

pub fn routes() -> Vec<Route> {
    routes![login, session, logout, register]
}

//! JSON API for signing in and out: `/api/v1/auth/*`.

use rocket::http::{CookieJar, Status};
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route, State};

use super::input::LoginInput;
use super::service::{self, LoginCommand};
use super::views::{LoggedOutView, MessageView, SessionView};
use crate::ctx::Ctx;
use crate::db::Db;
use crate::error::AppError;
use crate::web::csrf::SecureCookies;
use crate::web::guards::{Client, CurrentUser, MaybeUser, SESSION_COOKIE};
use crate::web::json::JsonBody;
use crate::web::ratelimit::LoginAttempt;
use crate::web::set_session_cookie;

/// `POST /api/v1/auth/login` `{"login", "password"}`: 200 and a session cookie, or 401
/// `invalid_credentials` whatever was wrong.
#[post("/auth/login", data = "<input>")]
async fn login(
    _attempt: LoginAttempt,
    input: JsonBody<LoginInput>,
    client: Client,
    jar: &CookieJar<'_>,
    db: &State<Db>,
    ctx: &State<Ctx>,
    secure: &State<SecureCookies>,
) -> Result<Json<MessageView>, AppError> {
    let input = input.into_inner();
    let cmd = LoginCommand {
        login: input.login,
        password: input.password,
        client: client.0,
        replaces: jar.get(SESSION_COOKIE).map(|c| c.value().to_string()),
    };
    let _permit = ctx.passwords.permit().await?;
    let ctx2 = ctx.inner().clone();
    let session = db
        .call(move |conn| service::login(conn, &ctx2, cmd))
        .await?;
    set_session_cookie(
        jar,
        session.token,
        ctx.config.session_absolute_minutes,
        secure.0,
    );
    Ok(Json(MessageView::new("Login successful")))
}

/// `GET /api/v1/auth/session`: who is signed in, or 401 `{"logged_in": false}`.
#[get("/auth/session")]
fn session(user: MaybeUser) -> Result<Json<SessionView>, (Status, Json<LoggedOutView>)> {
    match user.0 {
        Some(user) => Ok(Json(SessionView::of(&user))),
        None => Err((
            Status::Unauthorized,
            Json(LoggedOutView { logged_in: false }),
        )),
    }
}

/// `POST /api/v1/auth/logout`: ends the session server-side.
#[post("/auth/logout")]
async fn logout(
    user: CurrentUser,
    client: Client,
    jar: &CookieJar<'_>,
    db: &State<Db>,
    ctx: &State<Ctx>,
) -> Result<Json<MessageView>, AppError> {
    let ctx = ctx.inner().clone();
    db.call(move |conn| service::logout(conn, &ctx, &user.0, &client.0))
        .await?;
    jar.remove(SESSION_COOKIE);
    Ok(Json(MessageView::new("Logged out")))
}

pub fn routes() -> Vec<Route> {
    routes![login, session, logout]
}

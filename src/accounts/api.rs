//! JSON API for signing in and out: `/api/v1/auth/*`.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};

use super::input::LoginInput;
use super::service::{self, LoginCommand};
use super::views::{LoggedOutView, MessageView, SessionView};
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

pub fn routes() -> Vec<Route> {
    routes![login, session, logout]
}

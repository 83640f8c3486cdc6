//! JSON API for passkeys: a member's own under `/api/v1/auth/passkeys`, and the passkey-only
//! sign-in under `/api/v1/auth/passkey-login`.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, routes, Route};

use super::input::{NewPasskeyInput, PasskeyLoginInput, PasskeyNameInput};
use super::service::{self, StartSignIn};
use super::views::{CeremonyView, PasskeyList, PasskeyView};
use crate::accounts::api::{answer, LoginResponse};
use crate::accounts::views::MessageView;
use crate::error::AppError;
use crate::ratelimit::Admitted;
use crate::web::guards::{App, Client, CurrentUser, SessionCookie};
use crate::web::json::JsonBody;

/// `POST /api/v1/auth/passkeys/registration`: the options for the browser and a ceremony token.
#[post("/auth/passkeys/registration")]
async fn start_registration(user: CurrentUser, app: App) -> Result<Json<CeremonyView>, AppError> {
    Ok(Json(app.write(move |tx, ctx| service::start_registration(tx, ctx, &user.0)).await?))
}

/// `POST /api/v1/auth/passkeys` `{"ceremony", "name", "credential"}`: 201 and the passkey.
#[post("/auth/passkeys", data = "<input>")]
async fn finish_registration(
    user: CurrentUser,
    input: JsonBody<NewPasskeyInput>,
    client: Client,
    app: App,
) -> Result<(Status, Json<PasskeyView>), AppError> {
    let cmd = input.into_inner().into_command(client.0);
    let added =
        app.call(move |conn, ctx| service::finish_registration(conn, ctx, &user.0, cmd)).await?;
    Ok((Status::Created, Json(added)))
}

#[get("/auth/passkeys")]
async fn list(user: CurrentUser, app: App) -> Result<Json<PasskeyList>, AppError> {
    Ok(Json(app.read(move |tx, _| service::list(tx, &user.0)).await?))
}

/// `PATCH /api/v1/auth/passkeys/<id>` `{"name"}`.
#[patch("/auth/passkeys/<id>", data = "<input>")]
async fn rename(
    user: CurrentUser,
    id: i64,
    input: JsonBody<PasskeyNameInput>,
    app: App,
) -> Result<Json<PasskeyView>, AppError> {
    let name = input.into_inner().name;
    Ok(Json(app.write(move |tx, _| service::rename(tx, &user.0, id, &name)).await?))
}

#[delete("/auth/passkeys/<id>")]
async fn remove(
    user: CurrentUser,
    id: i64,
    client: Client,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    app.write(move |tx, ctx| service::remove(tx, ctx, &user.0, id, &client.0)).await?;
    Ok(Json(MessageView::new("Passkey removed")))
}

/// `POST /api/v1/auth/passkey-login/start`: options that name no account, and a ceremony token.
#[post("/auth/passkey-login/start")]
async fn start_sign_in(client: Client, app: App) -> Result<Json<CeremonyView>, AppError> {
    let cmd = Admitted::admit(&app.ctx.limits, StartSignIn { client: client.0 })?;
    Ok(Json(app.write(move |tx, ctx| service::start_sign_in(tx, ctx, cmd)).await?))
}

/// `POST /api/v1/auth/passkey-login` `{"ceremony", "credential", "grant"}`: signed in (a
/// session cookie, or tokens).
#[post("/auth/passkey-login", data = "<input>")]
async fn finish_sign_in(
    input: JsonBody<PasskeyLoginInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<Json<LoginResponse>, AppError> {
    let cmd = input.into_inner().into_command(client.0, cookie.current());
    let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
    let outcome = app.call(move |conn, ctx| service::finish_sign_in(conn, ctx, cmd)).await?;
    Ok(answer(outcome, &cookie, "Login successful"))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        start_registration,
        finish_registration,
        list,
        rename,
        remove,
        start_sign_in,
        finish_sign_in
    ]
}

//! JSON API for a member's own second factors: `/api/v1/auth/factors`, the authenticator app
//! and recovery codes.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, routes, Route};

use super::service::{self, AppEnrolmentView, FactorsView, RecoveryCodesView};
use crate::accounts::input::CodeInput;
use crate::error::AppError;
use crate::web::guards::{App, CurrentUser};
use crate::web::json::JsonBody;

/// `GET /api/v1/auth/factors`: how the member can sign in.
#[get("/auth/factors")]
async fn factors(user: CurrentUser, app: App) -> Result<Json<FactorsView>, AppError> {
    let actor = user.actor();
    Ok(Json(app.read(move |tx, _| service::status(tx, &actor)).await?))
}

/// `POST /api/v1/auth/authenticator`: 201 and the secret of a new app set-up (409 when an app
/// is already set up).
#[post("/auth/authenticator")]
async fn start_app(
    user: CurrentUser,
    app: App,
) -> Result<(Status, Json<AppEnrolmentView>), AppError> {
    let actor = user.actor();
    let view = app.write(move |tx, ctx| service::start_app(tx, ctx, &actor)).await?;
    Ok((Status::Created, Json(view)))
}

/// `POST /api/v1/auth/authenticator/confirm` `{"code"}`: the app's first code confirms it; the
/// first strong factor comes with recovery codes.
#[post("/auth/authenticator/confirm", data = "<input>")]
async fn confirm_app(
    user: CurrentUser,
    input: JsonBody<CodeInput>,
    app: App,
) -> Result<Json<RecoveryCodesView>, AppError> {
    let (actor, code) = (user.actor(), input.into_inner().code);
    Ok(Json(app.write(move |tx, ctx| service::confirm_app(tx, ctx, &actor, &code)).await?))
}

/// `DELETE /api/v1/auth/authenticator`: 204.
#[delete("/auth/authenticator")]
async fn remove_app(user: CurrentUser, app: App) -> Result<Status, AppError> {
    let actor = user.actor();
    app.write(move |tx, ctx| service::remove_app(tx, ctx, &actor)).await?;
    Ok(Status::NoContent)
}

/// `POST /api/v1/auth/recovery-codes`: ten new codes; the old ones stop working.
#[post("/auth/recovery-codes")]
async fn renew_recovery_codes(
    user: CurrentUser,
    app: App,
) -> Result<Json<RecoveryCodesView>, AppError> {
    let actor = user.actor();
    Ok(Json(app.write(move |tx, ctx| service::renew_recovery_codes(tx, ctx, &actor)).await?))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![factors, start_app, confirm_app, remove_app, renew_recovery_codes]
}

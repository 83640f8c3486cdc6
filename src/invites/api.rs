//! JSON API for invitations: the admin side under `/api/v1/admin/invites`, the preflight under
//! `/api/v1/auth/invites`.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};

use super::input::InviteInput;
use super::service::{self, CreateInvite};
use super::views::{CreatedInvite, InvitePreflight, InviteView};
use crate::error::AppError;
use crate::web::guards::{AdminUser, App};
use crate::web::json::JsonBody;

#[post("/admin/invites", data = "<input>")]
async fn create(
    admin: AdminUser,
    input: JsonBody<InviteInput>,
    app: App,
) -> Result<(Status, Json<CreatedInvite>), AppError> {
    let (actor, cmd) = (admin.actor(), CreateInvite::from(input.into_inner()));
    let created = app.write(move |tx, ctx| service::create(tx, ctx, &actor, cmd)).await?;
    Ok((Status::Created, Json(created)))
}

#[get("/admin/invites")]
async fn list(admin: AdminUser, app: App) -> Result<Json<Vec<InviteView>>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, ctx| service::list(tx, ctx, &actor)).await?))
}

/// A fresh link (and email, for personal invites); the previous link stops working.
#[post("/admin/invites/<id>/resend")]
async fn resend(admin: AdminUser, id: i64, app: App) -> Result<Json<CreatedInvite>, AppError> {
    let actor = admin.actor();
    let created = app.write(move |tx, ctx| service::resend(tx, ctx, &actor, id)).await?;
    Ok(Json(created))
}

#[post("/admin/invites/<id>/revoke")]
async fn revoke(admin: AdminUser, id: i64, app: App) -> Result<Json<InviteView>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.write(move |tx, ctx| service::revoke(tx, ctx, &actor, id)).await?))
}

/// Can someone register with this invite, and what does it grant?
#[get("/auth/invites/<token>")]
async fn preflight(token: String, app: App) -> Result<Json<InvitePreflight>, AppError> {
    Ok(Json(app.read(move |tx, ctx| service::preflight(tx, ctx, Some(&token))).await?))
}

/// The same without a token: allowed only while registration is open.
#[get("/auth/invites")]
async fn preflight_without_token(app: App) -> Result<Json<InvitePreflight>, AppError> {
    Ok(Json(app.read(move |tx, ctx| service::preflight(tx, ctx, None)).await?))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![create, list, resend, revoke, preflight, preflight_without_token]
}

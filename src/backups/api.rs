//! JSON API for backups: list, back up now, download.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};

use super::views::{BackupView, BackupsView};
use super::{service, shared};
use crate::error::AppError;
use crate::web::download::BackupDownload;
use crate::web::guards::{AdminUser, App, Client};

#[get("/admin/backups")]
async fn list(admin: AdminUser, app: App) -> Result<Json<BackupsView>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, ctx| service::list(tx, ctx, &actor)).await?))
}

#[post("/admin/backups")]
async fn create(
    admin: AdminUser,
    app: App,
    client: Client,
) -> Result<(Status, Json<BackupView>), AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip);
    let view =
        app.call(move |conn, ctx| service::back_up_now(conn, ctx, &actor, ip.as_deref())).await?;
    Ok((Status::Created, Json(view)))
}

#[get("/admin/backups/<name>")]
async fn download(
    admin: AdminUser,
    app: App,
    client: Client,
    name: &str,
) -> Result<BackupDownload, AppError> {
    shared::send(&admin, &app, &client, name.to_string()).await
}

pub(crate) fn routes() -> Vec<Route> {
    routes![list, create, download]
}

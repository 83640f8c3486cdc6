//! JSON API for backups: list, back up now, download.

use rocket::fs::NamedFile;
use rocket::http::{Header, Status};
use rocket::serde::json::Json;
use rocket::{get, post, routes, Responder, Route};

use super::service;
use super::views::{BackupView, BackupsView};
use crate::error::AppError;
use crate::web::guards::{AdminUser, App, Client};

/// A backup file sent as an attachment.
#[derive(Responder)]
#[response(content_type = "application/vnd.sqlite3")]
pub struct BackupDownload {
    file: NamedFile,
    disposition: Header<'static>,
}

/// Checks the name and the right (through the service, which audits the download), then opens
/// the file.
pub async fn send(
    admin: &AdminUser,
    app: &App,
    client: &Client,
    name: String,
) -> Result<BackupDownload, AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip.clone());
    let file_name = name.clone();
    let path = app
        .call(move |conn, ctx| service::download(conn, ctx, &actor, &name, ip.as_deref()))
        .await?;
    let file = NamedFile::open(&path).await.map_err(|_| AppError::not_found("No such backup."))?;
    let disposition =
        Header::new("Content-Disposition", format!("attachment; filename=\"{file_name}\""));
    Ok(BackupDownload { file, disposition })
}

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
    send(&admin, &app, &client, name.to_string()).await
}

pub fn routes() -> Vec<Route> {
    routes![list, create, download]
}

//! JSON API of the audit log, under `/api/v1/admin/audit`. Read-only but for the retention
//! period: entries cannot be changed or removed through the app.

use rocket::serde::json::Json;
use rocket::{get, put, routes, Route};

use super::input::{AuditQuery, RetentionInput};
use super::service;
use super::views::{AuditList, RetentionView};
use crate::error::AppError;
use crate::web::download::CsvDownload;
use crate::web::guards::{AdminUser, App, Client};
use crate::web::json::JsonBody;

#[get("/admin/audit?<q..>")]
async fn list(admin: AdminUser, q: AuditQuery, app: App) -> Result<Json<AuditList>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, _| service::list(tx, &actor, &q)).await?))
}

/// Also linked from the audit page (the session cookie works here too).
#[get("/admin/audit/export.csv?<q..>")]
async fn export(
    admin: AdminUser,
    q: AuditQuery,
    client: Client,
    app: App,
) -> Result<CsvDownload, AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip);
    let file =
        app.write(move |tx, ctx| service::export(tx, ctx, &actor, &q, ip.as_deref())).await?;
    Ok(file.into())
}

#[get("/admin/audit/retention")]
async fn retention(admin: AdminUser, app: App) -> Result<Json<RetentionView>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, _| service::get_retention(tx, &actor)).await?))
}

#[put("/admin/audit/retention", data = "<input>")]
async fn set_retention(
    admin: AdminUser,
    input: JsonBody<RetentionInput>,
    client: Client,
    app: App,
) -> Result<Json<RetentionView>, AppError> {
    let (actor, ip, days) = (admin.actor(), client.0.ip, input.into_inner().days);
    let view = app
        .write(move |tx, ctx| service::set_retention(tx, ctx, &actor, Some(days), ip.as_deref()))
        .await?;
    Ok(Json(view))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![list, export, retention, set_retention]
}

//! JSON API of the admin panel.

use std::sync::Arc;

use rocket::serde::json::Json;
use rocket::{get, put, routes, Route, State};

use super::input::SettingsInput;
use super::service;
use super::views::{Dashboard, SettingsView};
use crate::email::Transport;
use crate::error::AppError;
use crate::jobs::Scheduler;
use crate::web::guards::{AdminUser, App, Client, OrganizerUser};
use crate::web::json::JsonBody;

/// The dashboard's figures; organizers get their part of them.
#[get("/admin/dashboard")]
async fn dashboard(
    org: OrganizerUser,
    app: App,
    scheduler: &State<Arc<Scheduler>>,
    transport: &State<Arc<Transport>>,
) -> Result<Json<Dashboard>, AppError> {
    let actor = org.actor();
    let view = app.read(move |tx, ctx| service::dashboard(tx, ctx, &actor)).await?;
    Ok(Json(view.with_runtime(transport.mode(), scheduler.statuses())))
}

#[get("/admin/settings")]
async fn settings(admin: AdminUser, app: App) -> Result<Json<SettingsView>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, ctx| service::get_settings(tx, ctx, &actor)).await?))
}

#[put("/admin/settings", data = "<input>")]
async fn update(
    admin: AdminUser,
    input: JsonBody<SettingsInput>,
    app: App,
    client: Client,
) -> Result<Json<SettingsView>, AppError> {
    let (actor, input, ip) = (admin.actor(), input.into_inner(), client.0.ip);
    let view = app
        .write(move |tx, ctx| service::update_settings(tx, ctx, &actor, input, ip.as_deref()))
        .await?;
    Ok(Json(view))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![dashboard, settings, update]
}

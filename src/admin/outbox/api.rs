//! JSON API of the outbox screen, under `/api/v1/admin/outbox`.

use std::sync::Arc;

use rocket::serde::json::Json;
use rocket::{get, post, routes, Route, State};

use super::input::{OutboxQuery, TestEmailInput};
use super::service;
use super::views::{CopiedLink, OutboxItem, OutboxList, TestEmailResult};
use crate::email::Transport;
use crate::error::AppError;
use crate::web::guards::{AdminUser, App, Client};
use crate::web::json::JsonBody;

#[get("/admin/outbox?<q..>")]
async fn list(admin: AdminUser, q: OutboxQuery, app: App) -> Result<Json<OutboxList>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, _| service::list(tx, &actor, &q)).await?))
}

#[post("/admin/outbox/<id>/resend")]
async fn resend(
    admin: AdminUser,
    id: i64,
    client: Client,
    app: App,
) -> Result<Json<OutboxItem>, AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip);
    let item =
        app.write(move |tx, ctx| service::resend(tx, ctx, &actor, id, ip.as_deref())).await?;
    Ok(Json(item))
}

/// A POST although it changes nothing but the audit log: reading a secret is an action.
#[post("/admin/outbox/<id>/link")]
async fn link(
    admin: AdminUser,
    id: i64,
    client: Client,
    app: App,
) -> Result<Json<CopiedLink>, AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip);
    Ok(Json(
        app.write(move |tx, ctx| service::copy_link(tx, ctx, &actor, id, ip.as_deref())).await?,
    ))
}

#[post("/admin/outbox/test", data = "<input>")]
async fn test_email(
    admin: AdminUser,
    input: JsonBody<TestEmailInput>,
    client: Client,
    app: App,
    transport: &State<Arc<Transport>>,
) -> Result<Json<TestEmailResult>, AppError> {
    let (actor, ip, input) = (admin.actor(), client.0.ip, input.into_inner());
    let transport = transport.inner().clone();
    let result = app
        .call(move |conn, ctx| {
            service::send_test(conn, ctx, &actor, &transport, input, ip.as_deref())
        })
        .await?;
    Ok(Json(result))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![list, resend, link, test_email]
}

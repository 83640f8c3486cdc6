//! JSON API for notices: the member's inbox under `/api/v1/messages`, the admins' side under
//! `/api/v1/admin/messages`. What a write sends to the sockets goes once it is committed.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Route};

use super::input::{NoticeInput, PageQuery, ReplyInput, SettingsInput};
use super::service::{self, ListQuery, SendNotice};
use super::views::{
    DeletedView, MessageDetail, MessageItem, MessageList, NoticeDetail, ReplyView, SentList,
    SentNoticeView, SettingsView,
};
use crate::error::AppError;
use crate::web::guards::{ActiveMember, AdminUser, App};
use crate::web::json::JsonBody;

// ----- members -----

#[get("/messages?<query..>")]
async fn inbox(
    member: ActiveMember,
    query: PageQuery,
    app: App,
) -> Result<Json<MessageList>, AppError> {
    let (actor, query) = (member.actor(), ListQuery::from(query));
    Ok(Json(app.read(move |tx, _| service::inbox(tx, &actor, &query)).await?))
}

#[get("/messages/settings")]
async fn settings(member: ActiveMember, app: App) -> Result<Json<SettingsView>, AppError> {
    let actor = member.actor();
    Ok(Json(app.read(move |tx, _| service::settings(tx, &actor)).await?))
}

#[put("/messages/settings", data = "<input>")]
async fn update_settings(
    member: ActiveMember,
    input: JsonBody<SettingsInput>,
    app: App,
) -> Result<Json<SettingsView>, AppError> {
    let (actor, on) = (member.actor(), input.into_inner().email_notices);
    Ok(Json(app.write(move |tx, _| service::update_settings(tx, &actor, on)).await?))
}

#[get("/messages/<id>")]
async fn one(member: ActiveMember, id: i64, app: App) -> Result<Json<MessageDetail>, AppError> {
    let actor = member.actor();
    Ok(Json(app.read(move |tx, _| service::message(tx, &actor, id)).await?))
}

#[put("/messages/<id>/read")]
async fn read(member: ActiveMember, id: i64, app: App) -> Result<Json<MessageItem>, AppError> {
    let actor = member.actor();
    Ok(Json(app.write(move |tx, ctx| service::mark_read(tx, ctx, &actor, id)).await?))
}

#[delete("/messages/<id>")]
async fn remove(member: ActiveMember, id: i64, app: App) -> Result<Json<DeletedView>, AppError> {
    let actor = member.actor();
    Ok(Json(app.write(move |tx, ctx| service::delete(tx, ctx, &actor, id)).await?))
}

#[post("/messages/<id>/reply", data = "<input>")]
async fn reply(
    member: ActiveMember,
    id: i64,
    input: JsonBody<ReplyInput>,
    app: App,
) -> Result<(Status, Json<ReplyView>), AppError> {
    let (actor, body) = (member.actor(), input.into_inner().body);
    let view = app.write(move |tx, ctx| service::reply(tx, ctx, &actor, id, body)).await?;
    Ok((Status::Created, Json(view)))
}

// ----- admins -----

#[post("/admin/messages", data = "<input>")]
async fn send(
    admin: AdminUser,
    input: JsonBody<NoticeInput>,
    app: App,
) -> Result<(Status, Json<SentNoticeView>), AppError> {
    let (actor, cmd) = (admin.actor(), SendNotice::from(input.into_inner()));
    let view = app.write(move |tx, ctx| service::send(tx, ctx, &actor, cmd)).await?;
    Ok((Status::Created, Json(view)))
}

#[get("/admin/messages?<query..>")]
async fn sent(admin: AdminUser, query: PageQuery, app: App) -> Result<Json<SentList>, AppError> {
    let (actor, query) = (admin.actor(), ListQuery::from(query));
    Ok(Json(app.read(move |tx, _| service::sent(tx, &actor, &query)).await?))
}

/// Marks the members' replies it shows as read by the admins, hence a write.
#[get("/admin/messages/<id>")]
async fn sent_one(admin: AdminUser, id: i64, app: App) -> Result<Json<NoticeDetail>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.write(move |tx, ctx| service::sent_notice(tx, ctx, &actor, id)).await?))
}

#[post("/admin/messages/<id>/recipients/<user_id>/reply", data = "<input>")]
async fn admin_reply(
    admin: AdminUser,
    id: i64,
    user_id: i64,
    input: JsonBody<ReplyInput>,
    app: App,
) -> Result<(Status, Json<ReplyView>), AppError> {
    let (actor, body) = (admin.actor(), input.into_inner().body);
    let view =
        app.write(move |tx, ctx| service::admin_reply(tx, ctx, &actor, id, user_id, body)).await?;
    Ok((Status::Created, Json(view)))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        inbox,
        settings,
        update_settings,
        one,
        read,
        remove,
        reply,
        send,
        sent,
        sent_one,
        admin_reply
    ]
}

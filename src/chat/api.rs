//! JSON API for conversations (`/api/v1/conversations`): groups, one-to-one chats, members,
//! messages and read markers. What a write sends to the sockets goes once it is committed.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, put, routes, Route};

use super::input::{
    DirectInput, GroupInput, HistoryQuery, MembersInput, MessageInput, ReadInput, RenameInput,
};
use super::service::{self, GroupCmd, PageQuery, PostCmd, RenameCmd};
use super::views::{ConversationView, HistoryView, LeftView, MessageView, ReadView, SummaryView};
use crate::error::AppError;
use crate::web::guards::{ActiveMember, App};
use crate::web::json::JsonBody;

/// `?all=true`: admins also list the groups they are not in. Read here rather than as an
/// `Option<bool>`, which Rocket would quietly turn into "no" for a value it cannot read.
#[get("/conversations?<all>")]
async fn list(
    member: ActiveMember,
    all: Option<&str>,
    app: App,
) -> Result<Json<Vec<SummaryView>>, AppError> {
    let actor = member.actor();
    let all = match all.map(str::trim) {
        None | Some("" | "false" | "0" | "no" | "off") => false,
        Some("true" | "1" | "yes" | "on") => true,
        Some(_) => return Err(AppError::invalid_field("all", "Say true or false.")),
    };
    Ok(Json(app.read(move |tx, _| service::list(tx, &actor, all)).await?))
}

#[post("/conversations", data = "<input>")]
async fn create(
    member: ActiveMember,
    input: JsonBody<GroupInput>,
    app: App,
) -> Result<(Status, Json<ConversationView>), AppError> {
    let (actor, cmd) = (member.actor(), GroupCmd::from(input.into_inner()));
    let view = app.write(move |tx, ctx| service::create_group(tx, ctx, &actor, cmd)).await?;
    Ok((Status::Created, Json(view)))
}

/// 201 with a new one-to-one conversation, 200 with the one the pair already has.
#[post("/conversations/direct", data = "<input>")]
async fn direct(
    member: ActiveMember,
    input: JsonBody<DirectInput>,
    app: App,
) -> Result<(Status, Json<ConversationView>), AppError> {
    let (actor, other) = (member.actor(), input.into_inner().member_id);
    let (view, created) =
        app.write(move |tx, ctx| service::start_direct(tx, ctx, &actor, other)).await?;
    Ok((if created { Status::Created } else { Status::Ok }, Json(view)))
}

#[get("/conversations/<id>")]
async fn one(member: ActiveMember, id: i64, app: App) -> Result<Json<ConversationView>, AppError> {
    let actor = member.actor();
    Ok(Json(app.read(move |tx, _| service::get(tx, &actor, id)).await?))
}

#[patch("/conversations/<id>", data = "<input>")]
async fn rename(
    member: ActiveMember,
    id: i64,
    input: JsonBody<RenameInput>,
    app: App,
) -> Result<Json<ConversationView>, AppError> {
    let (actor, cmd) = (member.actor(), RenameCmd::from(input.into_inner()));
    let view = app.write(move |tx, ctx| service::rename(tx, ctx, &actor, id, cmd)).await?;
    Ok(Json(view))
}

#[post("/conversations/<id>/members", data = "<input>")]
async fn add_members(
    member: ActiveMember,
    id: i64,
    input: JsonBody<MembersInput>,
    app: App,
) -> Result<Json<ConversationView>, AppError> {
    let (actor, ids) = (member.actor(), input.into_inner().member_ids);
    let view = app.write(move |tx, ctx| service::add_members(tx, ctx, &actor, id, ids)).await?;
    Ok(Json(view))
}

#[delete("/conversations/<id>/members/<user_id>")]
async fn remove_member(
    member: ActiveMember,
    id: i64,
    user_id: i64,
    app: App,
) -> Result<Json<ConversationView>, AppError> {
    let actor = member.actor();
    let view =
        app.write(move |tx, ctx| service::remove_member(tx, ctx, &actor, id, user_id)).await?;
    Ok(Json(view))
}

#[post("/conversations/<id>/leave")]
async fn leave(member: ActiveMember, id: i64, app: App) -> Result<Json<LeftView>, AppError> {
    let actor = member.actor();
    let view = app.write(move |tx, _| service::leave(tx, &actor, id)).await?;
    Ok(Json(view))
}

/// Reading the newest page moves the caller's read marker, hence a write.
#[get("/conversations/<id>/messages?<query..>")]
async fn history(
    member: ActiveMember,
    id: i64,
    query: HistoryQuery,
    app: App,
) -> Result<Json<HistoryView>, AppError> {
    let (actor, query) = (member.actor(), PageQuery::from(query));
    Ok(Json(app.write(move |tx, _| service::history(tx, &actor, id, &query)).await?))
}

#[post("/conversations/<id>/messages", data = "<input>")]
async fn post_message(
    member: ActiveMember,
    id: i64,
    input: JsonBody<MessageInput>,
    app: App,
) -> Result<(Status, Json<MessageView>), AppError> {
    let (actor, cmd) = (member.actor(), PostCmd::from(input.into_inner()));
    let view = app.write(move |tx, ctx| service::post(tx, ctx, &actor, id, cmd)).await?;
    Ok((Status::Created, Json(view)))
}

#[put("/conversations/<id>/read", data = "<input>")]
async fn mark_read(
    member: ActiveMember,
    id: i64,
    input: JsonBody<ReadInput>,
    app: App,
) -> Result<Json<ReadView>, AppError> {
    let (actor, message_id) = (member.actor(), input.into_inner().message_id);
    Ok(Json(app.write(move |tx, _| service::mark_read(tx, &actor, id, message_id)).await?))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        direct,
        one,
        rename,
        add_members,
        remove_member,
        leave,
        history,
        post_message,
        mark_read
    ]
}

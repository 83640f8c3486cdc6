//! JSON API of the activity log: `/api/v1/activities`, `/api/v1/activity-types`,
//! `/api/v1/coach/members` and the admin's `/api/v1/admin/activity-types` and export.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Route};
use schemars::JsonSchema;
use serde::Serialize;

use super::input::ActivityCommand;
use super::input::{ActivityInput, ListQuery, NewTypeInput, TypeChangeInput};
use super::service;
use super::views::{
    ActivityList, ActivityView, AdminTypeView, CoachedMembers, TypeRemoval, TypeView,
};
use crate::error::AppError;
use crate::web::download::CsvDownload;
use crate::web::guards::{ActiveMember, AdminUser, App, OrganizerUser};
use crate::web::json::JsonBody;

#[derive(Serialize, JsonSchema)]
pub(crate) struct Deleted {
    deleted: bool,
}

#[post("/activities", data = "<input>")]
async fn create(
    member: ActiveMember,
    input: JsonBody<ActivityInput>,
    app: App,
) -> Result<(Status, Json<ActivityView>), AppError> {
    let (actor, cmd) = (member.actor(), ActivityCommand::from(input.into_inner()));
    let view = app.write(move |tx, ctx| service::record(tx, ctx, &actor, cmd)).await?;
    Ok((Status::Created, Json(view)))
}

#[get("/activities?<q..>")]
async fn list(
    member: ActiveMember,
    q: ListQuery,
    app: App,
) -> Result<Json<ActivityList>, AppError> {
    let actor = member.actor();
    Ok(Json(app.read(move |tx, _| service::list(tx, &actor, &q)).await?))
}

#[get("/activities/export.csv?<q..>")]
async fn export(member: ActiveMember, q: ListQuery, app: App) -> Result<CsvDownload, AppError> {
    let actor = member.actor();
    Ok(app.read(move |tx, ctx| service::export(tx, ctx, &actor, &q)).await?.into())
}

#[get("/activities/<id>")]
async fn get(member: ActiveMember, id: i64, app: App) -> Result<Json<ActivityView>, AppError> {
    let actor = member.actor();
    Ok(Json(app.read(move |tx, _| service::get(tx, &actor, id)).await?))
}

#[put("/activities/<id>", data = "<input>")]
async fn update(
    member: ActiveMember,
    id: i64,
    input: JsonBody<ActivityInput>,
    app: App,
) -> Result<Json<ActivityView>, AppError> {
    let (actor, cmd) = (member.actor(), ActivityCommand::from(input.into_inner()));
    Ok(Json(app.write(move |tx, ctx| service::update(tx, ctx, &actor, id, cmd)).await?))
}

#[delete("/activities/<id>")]
async fn remove(member: ActiveMember, id: i64, app: App) -> Result<Json<Deleted>, AppError> {
    let actor = member.actor();
    app.write(move |tx, ctx| service::delete(tx, ctx, &actor, id)).await?;
    Ok(Json(Deleted { deleted: true }))
}

/// The types a member can choose when recording.
#[get("/activity-types")]
async fn types(_member: ActiveMember, app: App) -> Result<Json<Vec<TypeView>>, AppError> {
    Ok(Json(app.read(|tx, _| service::choosable_types(tx)).await?))
}

#[get("/coach/members")]
async fn coached(member: ActiveMember, app: App) -> Result<Json<CoachedMembers>, AppError> {
    let actor = member.actor();
    Ok(Json(app.read(move |tx, _| service::coached_members(tx, &actor)).await?))
}

#[get("/admin/activities/export.csv?<q..>")]
async fn export_all(admin: AdminUser, q: ListQuery, app: App) -> Result<CsvDownload, AppError> {
    let actor = admin.actor();
    Ok(app.read(move |tx, ctx| service::export_all(tx, ctx, &actor, &q)).await?.into())
}

#[get("/admin/activity-types")]
async fn admin_types(org: OrganizerUser, app: App) -> Result<Json<Vec<AdminTypeView>>, AppError> {
    let actor = org.actor();
    Ok(Json(app.read(move |tx, _| service::admin_types(tx, &actor)).await?))
}

#[post("/admin/activity-types", data = "<input>")]
async fn create_type(
    org: OrganizerUser,
    input: JsonBody<NewTypeInput>,
    app: App,
) -> Result<(Status, Json<AdminTypeView>), AppError> {
    let (actor, input) = (org.actor(), input.into_inner());
    let view = app.write(move |tx, ctx| service::create_type(tx, ctx, &actor, input)).await?;
    Ok((Status::Created, Json(view)))
}

#[put("/admin/activity-types/<id>", data = "<input>")]
async fn update_type(
    org: OrganizerUser,
    id: i64,
    input: JsonBody<TypeChangeInput>,
    app: App,
) -> Result<Json<AdminTypeView>, AppError> {
    let (actor, input) = (org.actor(), input.into_inner());
    Ok(Json(app.write(move |tx, ctx| service::update_type(tx, ctx, &actor, id, input)).await?))
}

#[delete("/admin/activity-types/<id>")]
async fn remove_type(org: OrganizerUser, id: i64, app: App) -> Result<Json<TypeRemoval>, AppError> {
    let actor = org.actor();
    Ok(Json(app.write(move |tx, ctx| service::remove_type(tx, ctx, &actor, id)).await?))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        create,
        list,
        export,
        get,
        update,
        remove,
        types,
        coached,
        export_all,
        admin_types,
        create_type,
        update_type,
        remove_type
    ]
}

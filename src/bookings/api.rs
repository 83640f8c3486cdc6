//! JSON API for bookings: services (`/api/v1/services`, `/api/v1/admin/services`), members'
//! bookings (`/api/v1/bookings`), admins' decisions (`/api/v1/admin/bookings`) and the calendar
//! feed address (`/api/v1/calendar-feed`).

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Route};

use super::input::{BookingInput, CompleteInput, DecisionInput, ListQuery, ServiceInput};
use super::service::{self, AdminFilter, CompleteCmd, RequestBooking, ServiceCmd, StartInput};
use super::views::{BookingView, FeedView, RemovedService, ServiceView};
use crate::error::AppError;
use crate::web::guards::{ActiveMember, AdminUser, App};
use crate::web::json::JsonBody;

/// The API reads `requested_start` as RFC 3339.
fn api_request(i: BookingInput) -> RequestBooking {
    RequestBooking {
        service_id: i.service_id,
        start: StartInput::Rfc3339(i.requested_start.unwrap_or_default()),
        notes: i.notes.unwrap_or_default(),
    }
}

// ----- services -----

#[get("/services")]
async fn bookable(_member: ActiveMember, app: App) -> Result<Json<Vec<ServiceView>>, AppError> {
    Ok(Json(app.read(|tx, _| service::bookable_services(tx)).await?))
}

#[get("/admin/services")]
async fn services(admin: AdminUser, app: App) -> Result<Json<Vec<ServiceView>>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, _| service::admin_services(tx, &actor)).await?))
}

#[post("/admin/services", data = "<input>")]
async fn create_service(
    admin: AdminUser,
    input: JsonBody<ServiceInput>,
    app: App,
) -> Result<(Status, Json<ServiceView>), AppError> {
    let (actor, cmd) = (admin.actor(), ServiceCmd::from(input.into_inner()));
    let view = app.write(move |tx, ctx| service::create_service(tx, ctx, &actor, cmd)).await?;
    Ok((Status::Created, Json(view)))
}

#[put("/admin/services/<id>", data = "<input>")]
async fn update_service(
    admin: AdminUser,
    id: i64,
    input: JsonBody<ServiceInput>,
    app: App,
) -> Result<Json<ServiceView>, AppError> {
    let (actor, cmd) = (admin.actor(), ServiceCmd::from(input.into_inner()));
    Ok(Json(app.write(move |tx, ctx| service::update_service(tx, ctx, &actor, id, cmd)).await?))
}

/// Deletes a never-booked service, archives a booked one; `result` says which.
#[delete("/admin/services/<id>")]
async fn remove_service(
    admin: AdminUser,
    id: i64,
    app: App,
) -> Result<Json<RemovedService>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.write(move |tx, ctx| service::remove_service(tx, ctx, &actor, id)).await?))
}

// ----- members' bookings -----

#[post("/bookings", data = "<input>")]
async fn request(
    member: ActiveMember,
    input: JsonBody<BookingInput>,
    app: App,
) -> Result<(Status, Json<BookingView>), AppError> {
    let (actor, cmd) = (member.actor(), api_request(input.into_inner()));
    let view = app.write(move |tx, ctx| service::request(tx, ctx, &actor, cmd)).await?;
    Ok((Status::Created, Json(view)))
}

#[get("/bookings?<status>")]
async fn own(
    member: ActiveMember,
    status: Option<String>,
    app: App,
) -> Result<Json<Vec<BookingView>>, AppError> {
    let actor = member.actor();
    let list = app.read(move |tx, ctx| service::list_own(tx, ctx, &actor, status.as_deref()));
    Ok(Json(list.await?))
}

#[get("/bookings/<id>")]
async fn one(member: ActiveMember, id: i64, app: App) -> Result<Json<BookingView>, AppError> {
    let actor = member.actor();
    Ok(Json(app.read(move |tx, ctx| service::get_own(tx, ctx, &actor, id)).await?))
}

#[post("/bookings/<id>/cancel")]
async fn cancel(member: ActiveMember, id: i64, app: App) -> Result<Json<BookingView>, AppError> {
    let actor = member.actor();
    Ok(Json(app.write(move |tx, ctx| service::cancel(tx, ctx, &actor, id)).await?))
}

// ----- admins' decisions -----

#[get("/admin/bookings?<query..>")]
async fn all(
    admin: AdminUser,
    query: ListQuery,
    app: App,
) -> Result<Json<Vec<BookingView>>, AppError> {
    let (actor, filter) = (admin.actor(), AdminFilter::from(query));
    Ok(Json(app.read(move |tx, ctx| service::admin_list(tx, ctx, &actor, &filter)).await?))
}

#[post("/admin/bookings/<id>/confirm", data = "<input>")]
async fn confirm(
    admin: AdminUser,
    id: i64,
    input: JsonBody<DecisionInput>,
    app: App,
) -> Result<Json<BookingView>, AppError> {
    let (actor, message) = (admin.actor(), input.into_inner().message);
    let view = app.write(move |tx, ctx| service::confirm(tx, ctx, &actor, id, message)).await?;
    Ok(Json(view))
}

#[post("/admin/bookings/<id>/decline", data = "<input>")]
async fn decline(
    admin: AdminUser,
    id: i64,
    input: JsonBody<DecisionInput>,
    app: App,
) -> Result<Json<BookingView>, AppError> {
    let (actor, message) = (admin.actor(), input.into_inner().message);
    let view = app.write(move |tx, ctx| service::decline(tx, ctx, &actor, id, message)).await?;
    Ok(Json(view))
}

#[post("/admin/bookings/<id>/complete", data = "<input>")]
async fn complete(
    admin: AdminUser,
    id: i64,
    input: JsonBody<CompleteInput>,
    app: App,
) -> Result<Json<BookingView>, AppError> {
    let (actor, cmd) = (admin.actor(), CompleteCmd::from(input.into_inner()));
    Ok(Json(app.write(move |tx, ctx| service::complete(tx, ctx, &actor, id, cmd)).await?))
}

// ----- the calendar feed -----

#[get("/calendar-feed")]
async fn feed(member: ActiveMember, app: App) -> Result<Json<FeedView>, AppError> {
    let actor = member.actor();
    Ok(Json(app.read(move |tx, ctx| service::feed(tx, ctx, &actor)).await?))
}

/// 201 with a new address, or 200 with the one the member already has.
#[post("/calendar-feed")]
async fn create_feed(member: ActiveMember, app: App) -> Result<(Status, Json<FeedView>), AppError> {
    let actor = member.actor();
    let (view, created) = app.write(move |tx, ctx| service::create_feed(tx, ctx, &actor)).await?;
    Ok((if created { Status::Created } else { Status::Ok }, Json(view)))
}

#[delete("/calendar-feed")]
async fn revoke_feed(member: ActiveMember, app: App) -> Result<Json<FeedView>, AppError> {
    let actor = member.actor();
    Ok(Json(app.write(move |tx, ctx| service::revoke_feed(tx, ctx, &actor)).await?))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        bookable,
        services,
        create_service,
        update_service,
        remove_service,
        request,
        own,
        one,
        cancel,
        all,
        confirm,
        decline,
        complete,
        feed,
        create_feed,
        revoke_feed
    ]
}

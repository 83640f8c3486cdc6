//! JSON endpoints of the schedule settings: `/api/v1/exchanges/notifications` (club-wide) and
//! `/api/v1/exchanges/{id}/schedule` (per exchange).

use rocket::serde::json::Json;
use rocket::{get, put, routes, Route};

use super::input::{NotificationsInput, ScheduleInput};
use super::service::{self, DaysInput, ScheduleChange};
use super::views::ScheduleView;
use crate::error::AppError;
use crate::gifts::notify::NotifyPrefs;
use crate::web::guards::{App, OrganizerUser};
use crate::web::json::JsonBody;

#[get("/exchanges/notifications")]
async fn notifications(org: OrganizerUser, app: App) -> Result<Json<NotifyPrefs>, AppError> {
    let actor = org.actor();
    Ok(Json(app.read(move |tx, _| service::notifications(tx, &actor)).await?))
}

#[put("/exchanges/notifications", data = "<input>")]
async fn update_notifications(
    org: OrganizerUser,
    input: JsonBody<NotificationsInput>,
    app: App,
) -> Result<Json<NotifyPrefs>, AppError> {
    let (actor, input) = (org.actor(), input.into_inner());
    let prefs =
        app.write(move |tx, ctx| service::update_notifications(tx, ctx, &actor, input)).await?;
    Ok(Json(prefs))
}

#[get("/exchanges/<id>/schedule")]
async fn schedule(org: OrganizerUser, id: i64, app: App) -> Result<Json<ScheduleView>, AppError> {
    let actor = org.actor();
    Ok(Json(app.read(move |tx, ctx| service::schedule(tx, ctx, &actor, id)).await?))
}

#[put("/exchanges/<id>/schedule", data = "<input>")]
async fn update_schedule(
    org: OrganizerUser,
    id: i64,
    input: JsonBody<ScheduleInput>,
    app: App,
) -> Result<Json<ScheduleView>, AppError> {
    let input = input.into_inner();
    let change = ScheduleChange {
        reminder_days: input.reminder_days.map(DaysInput::Json),
        notify: ScheduleChange::notify_from_json(input.notify),
    };
    let actor = org.actor();
    let view =
        app.write(move |tx, ctx| service::update_schedule(tx, ctx, &actor, id, change)).await?;
    Ok(Json(view))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![notifications, update_notifications, schedule, update_schedule]
}

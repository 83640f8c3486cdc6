//! Admin pages of the schedule settings: `/admin/exchanges/notifications` (club-wide) and
//! `/admin/exchanges/{id}/schedule` (per exchange).

use rocket::{get, post, routes, Route};

use super::input::{NotificationsInput, ScheduleForm};
use super::service::{self, Choice, DaysInput, ScheduleChange};
use super::views::{ScheduleFormView, SchedulePage};
use crate::error::AppError;
use crate::gifts::notify::{NoticeKind, NotifyPrefs};
use crate::web::csrf::CsrfForm;
use crate::web::guards::{App, OrganizerUser};
use crate::web::page::{PageResponse, Shell};

const NOTIFICATIONS: &str = "gifts/prefs_notifications.html";
const SCHEDULE: &str = "gifts/prefs_schedule.html";

#[get("/admin/exchanges/notifications")]
async fn notifications(
    org: OrganizerUser,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = org.actor();
    let prefs = app.read(move |tx, _| service::notifications(tx, &actor)).await?;
    Ok(PageResponse::page(shell.render(NOTIFICATIONS, &prefs)))
}

#[post("/admin/exchanges/notifications", data = "<form>")]
async fn save_notifications(
    org: OrganizerUser,
    form: CsrfForm<NotificationsInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let form = form.into_inner();
    // An unticked checkbox is simply absent from the form.
    let input = NotificationsInput {
        registration: Some(form.registration.unwrap_or(false)),
        withdrawal: Some(form.withdrawal.unwrap_or(false)),
        matched: Some(form.matched.unwrap_or(false)),
    };
    let echo = NotifyPrefs {
        registration: input.registration == Some(true),
        withdrawal: input.withdrawal == Some(true),
        matched: input.matched == Some(true),
    };
    let actor = org.actor();
    match app.write(move |tx, ctx| service::update_notifications(tx, ctx, &actor, input)).await {
        Ok(_) => Ok(PageResponse::done(
            "/admin/exchanges/notifications",
            "Notification preferences saved.",
        )),
        Err(err) => shell.form_error(NOTIFICATIONS, &echo, err).map(PageResponse::from),
    }
}

#[get("/admin/exchanges/<id>/schedule")]
async fn schedule(
    org: OrganizerUser,
    id: i64,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = org.actor();
    let schedule = app.read(move |tx, ctx| service::schedule(tx, ctx, &actor, id)).await?;
    let page = SchedulePage { form: ScheduleFormView::of(&schedule), schedule };
    Ok(PageResponse::page(shell.render(SCHEDULE, &page)))
}

#[post("/admin/exchanges/<id>/schedule", data = "<form>")]
async fn save_schedule(
    org: OrganizerUser,
    id: i64,
    form: CsrfForm<ScheduleForm>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let form = form.into_inner();
    let choices = [
        (NoticeKind::Registration, &form.notify_registration),
        (NoticeKind::Withdrawal, &form.notify_withdrawal),
        (NoticeKind::Matched, &form.notify_matched),
    ];
    let change = ScheduleChange {
        reminder_days: form.reminder_days.clone().map(DaysInput::Text),
        notify: choices
            .into_iter()
            .filter_map(|(kind, v)| v.as_deref().map(|v| (kind, Choice::from_form(v))))
            .collect(),
    };
    let actor = org.actor();
    let saved = app.write(move |tx, ctx| service::update_schedule(tx, ctx, &actor, id, change));
    match saved.await {
        Ok(_) => Ok(PageResponse::done(
            format!("/admin/exchanges/{id}/schedule"),
            "The schedule was saved.",
        )),
        Err(err) => {
            let actor = org.actor();
            let schedule = app.read(move |tx, ctx| service::schedule(tx, ctx, &actor, id)).await?;
            let stored = ScheduleFormView::of(&schedule);
            let typed = |v: Option<String>, stored: String| v.unwrap_or(stored);
            let form = ScheduleFormView {
                reminder_days: typed(form.reminder_days, stored.reminder_days),
                notify_registration: typed(form.notify_registration, stored.notify_registration),
                notify_withdrawal: typed(form.notify_withdrawal, stored.notify_withdrawal),
                notify_matched: typed(form.notify_matched, stored.notify_matched),
            };
            shell
                .form_error(SCHEDULE, &SchedulePage { schedule, form }, err)
                .map(PageResponse::from)
        }
    }
}

pub(crate) fn routes() -> Vec<Route> {
    routes![notifications, save_notifications, schedule, save_schedule]
}

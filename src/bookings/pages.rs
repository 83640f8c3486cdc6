//! Booking pages: the member's `/bookings` (request, cancel, calendar feed), the admin's
//! `/admin/bookings` and `/admin/services`, and the public calendar feed itself.

use rocket::http::{ContentType, Header};
use rocket::{get, post, routes, Responder, Route};

use super::input::{BookingInput, CompleteInput, DecisionInput, ListQuery, ServiceInput};
use super::service::{self, AdminFilter, CompleteCmd, RequestBooking, ServiceCmd, StartInput};
use super::views::{AdminBookingsPage, BookingForm, FilterForm, ServiceForm};
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{ActiveMember, AdminUser, App};
use crate::web::page::{PageResponse, Shell};

const MEMBER: &str = "bookings/index.html";
const ADMIN: &str = "admin/bookings.html";
const SERVICES: &str = "admin/services.html";

// ----- the member's page -----

async fn member_page(
    app: &App,
    member: &ActiveMember,
    shell: &Shell,
    form: BookingForm,
    err: Option<AppError>,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    let view = app.read(move |tx, ctx| service::member_page(tx, ctx, &actor, form)).await?;
    match err {
        None => Ok(PageResponse::page(shell.render(MEMBER, &view))),
        Some(err) => shell.form_error(MEMBER, &view, err).map(PageResponse::from),
    }
}

#[get("/bookings")]
async fn index(member: ActiveMember, shell: Shell, app: App) -> Result<PageResponse, AppError> {
    member_page(&app, &member, &shell, BookingForm::default(), None).await
}

/// The form's time is a `datetime-local` value in the member's zone.
#[post("/bookings", data = "<form>")]
async fn request(
    member: ActiveMember,
    form: CsrfForm<BookingInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let echo = BookingForm {
        service_id: input.service_id,
        requested_start: input.requested_start.clone().unwrap_or_default(),
        notes: input.notes.clone().unwrap_or_default(),
    };
    let cmd = RequestBooking {
        service_id: input.service_id,
        start: StartInput::Local(input.requested_start.unwrap_or_default()),
        notes: input.notes.unwrap_or_default(),
    };
    let actor = member.actor();
    match app.write(move |tx, ctx| service::request(tx, ctx, &actor, cmd)).await {
        Ok(_) => Ok(PageResponse::done(
            "/bookings",
            "Your request was sent. You will get an email when the club confirms it.",
        )),
        Err(err) => member_page(&app, &member, &shell, echo, Some(err)).await,
    }
}

#[post("/bookings/<id>/cancel", data = "<_form>")]
async fn cancel(
    member: ActiveMember,
    id: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    match app.write(move |tx, ctx| service::cancel(tx, ctx, &actor, id)).await {
        Ok(_) => Ok(PageResponse::done("/bookings", "The booking was cancelled.")),
        Err(err) => member_page(&app, &member, &shell, BookingForm::default(), Some(err)).await,
    }
}

#[post("/bookings/calendar-feed", data = "<_form>")]
async fn create_feed(
    member: ActiveMember,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    app.write(move |tx, ctx| service::create_feed(tx, ctx, &actor)).await?;
    Ok(PageResponse::done(
        "/bookings#calendar",
        "Your calendar link is ready: add it to your phone's calendar as a subscription.",
    ))
}

#[post("/bookings/calendar-feed/revoke", data = "<_form>")]
async fn revoke_feed(
    member: ActiveMember,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    app.write(move |tx, ctx| service::revoke_feed(tx, ctx, &actor)).await?;
    Ok(PageResponse::done(
        "/bookings#calendar",
        "Your calendar link was turned off; calendars subscribed to it stop updating.",
    ))
}

// ----- the feed itself -----

/// An iCalendar document, never cached on the way (it is private to its token).
#[derive(Responder)]
struct IcsFeed {
    body: String,
    content_type: ContentType,
    cache: Header<'static>,
}

/// `/calendar/<token>.ics`: no session, the token is the credential.
#[get("/calendar/<file>")]
async fn calendar(file: &str, app: App) -> Result<IcsFeed, AppError> {
    let token = file
        .strip_suffix(".ics")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::not_found("No such calendar."))?
        .to_string();
    let body = app.write(move |tx, ctx| service::calendar(tx, ctx, &token)).await?;
    Ok(IcsFeed {
        body,
        content_type: ContentType::new("text", "calendar").with_params(("charset", "utf-8")),
        cache: Header::new("Cache-Control", "no-store"),
    })
}

// ----- admin: bookings -----

/// A decision form that failed: which booking, the message typed, and why.
struct Failed(i64, String, AppError);

async fn admin_page(
    app: &App,
    admin: &AdminUser,
    shell: &Shell,
    filter: AdminFilter,
    failed: Option<Failed>,
) -> Result<PageResponse, AppError> {
    let (actor, wanted) = (admin.actor(), filter.clone());
    match app.read(move |tx, ctx| service::admin_page(tx, ctx, &actor, &wanted)).await {
        Ok(view) => match failed {
            None => Ok(PageResponse::page(shell.render(ADMIN, &view))),
            Some(Failed(id, message, err)) => {
                let view = AdminBookingsPage { failed: Some(id), message, ..view };
                shell.form_error(ADMIN, &view, err).map(PageResponse::from)
            }
        },
        // An unreadable filter: every booking, with the filter shown again and its errors.
        Err(err) if err.is_form_error() => {
            let actor = admin.actor();
            let all = AdminFilter::default();
            let view = app.read(move |tx, ctx| service::admin_page(tx, ctx, &actor, &all)).await?;
            let echo = FilterForm {
                status: filter.status.unwrap_or_default(),
                from: filter.from.unwrap_or_default(),
                to: filter.to.unwrap_or_default(),
            };
            let view = AdminBookingsPage { filter: echo, ..view };
            shell.form_error(ADMIN, &view, err).map(PageResponse::from)
        }
        Err(err) => Err(err),
    }
}

#[get("/admin/bookings?<query..>")]
async fn admin_index(
    admin: AdminUser,
    query: ListQuery,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    admin_page(&app, &admin, &shell, AdminFilter::from(query), None).await
}

/// After a decision: back to the list with a note, or the list again with the form's error.
async fn after_decision(
    (app, admin, shell): (&App, &AdminUser, &Shell),
    result: Result<(), AppError>,
    id: i64,
    message: String,
    note: &str,
) -> Result<PageResponse, AppError> {
    match result {
        Ok(()) => Ok(PageResponse::done("/admin/bookings", note)),
        Err(err) => {
            let failed = Failed(id, message, err);
            admin_page(app, admin, shell, AdminFilter::default(), Some(failed)).await
        }
    }
}

/// `service::confirm` or `service::decline`.
type Decision = fn(
    &rusqlite::Connection,
    &crate::ctx::Ctx,
    &crate::accounts::model::Actor,
    i64,
    Option<String>,
) -> Result<super::views::BookingView, AppError>;

/// Confirms or declines from the admin list; the member is emailed either way.
async fn decide_from_list(
    (admin, id, form, shell, app): (AdminUser, i64, CsrfForm<DecisionInput>, Shell, App),
    decide: Decision,
    note: &str,
) -> Result<PageResponse, AppError> {
    let (actor, message) = (admin.actor(), form.into_inner().message);
    let echo = message.clone().unwrap_or_default();
    let result = app.write(move |tx, ctx| decide(tx, ctx, &actor, id, message)).await;
    after_decision((&app, &admin, &shell), result.map(drop), id, echo, note).await
}

#[post("/admin/bookings/<id>/confirm", data = "<form>")]
async fn admin_confirm(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<DecisionInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let note = "The booking was confirmed and the member was emailed.";
    decide_from_list((admin, id, form, shell, app), service::confirm, note).await
}

#[post("/admin/bookings/<id>/decline", data = "<form>")]
async fn admin_decline(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<DecisionInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let note = "The booking was declined and the member was emailed.";
    decide_from_list((admin, id, form, shell, app), service::decline, note).await
}

#[post("/admin/bookings/<id>/complete", data = "<form>")]
async fn admin_complete(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<CompleteInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, cmd) = (admin.actor(), CompleteCmd::from(form.into_inner()));
    let result = app.write(move |tx, ctx| service::complete(tx, ctx, &actor, id, cmd)).await;
    let note = "The booking was marked completed and added to the member's activities.";
    after_decision((&app, &admin, &shell), result.map(drop), id, String::new(), note).await
}

// ----- admin: services -----

async fn services_page(
    app: &App,
    admin: &AdminUser,
    shell: &Shell,
    form: ServiceForm,
    err: Option<AppError>,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    let view = app.read(move |tx, _| service::services_page(tx, &actor, form)).await?;
    match err {
        None => Ok(PageResponse::page(shell.render(SERVICES, &view))),
        Some(err) => shell.form_error(SERVICES, &view, err).map(PageResponse::from),
    }
}

fn service_echo(id: Option<i64>, input: &ServiceInput) -> ServiceForm {
    ServiceForm {
        id,
        name: input.name.clone().unwrap_or_default(),
        duration_minutes: input.duration_minutes.map(|d| d.to_string()).unwrap_or_default(),
        notes: input.notes.clone().unwrap_or_default(),
    }
}

#[get("/admin/services")]
async fn services(admin: AdminUser, shell: Shell, app: App) -> Result<PageResponse, AppError> {
    services_page(&app, &admin, &shell, ServiceForm::default(), None).await
}

#[get("/admin/services/<id>/edit")]
async fn edit_service(
    admin: AdminUser,
    id: i64,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    let s = app.read(move |tx, _| service::admin_service(tx, &actor, id)).await?;
    let form = ServiceForm {
        id: Some(s.id),
        name: s.name,
        duration_minutes: s.duration_minutes.to_string(),
        notes: s.notes,
    };
    services_page(&app, &admin, &shell, form, None).await
}

#[post("/admin/services", data = "<form>")]
async fn create_service(
    admin: AdminUser,
    form: CsrfForm<ServiceInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let echo = service_echo(None, &input);
    let (actor, cmd) = (admin.actor(), ServiceCmd { archived: None, ..ServiceCmd::from(input) });
    match app.write(move |tx, ctx| service::create_service(tx, ctx, &actor, cmd)).await {
        Ok(s) => Ok(PageResponse::done("/admin/services", &format!("{} was added.", s.name))),
        Err(err) => services_page(&app, &admin, &shell, echo, Some(err)).await,
    }
}

#[post("/admin/services/<id>", data = "<form>")]
async fn update_service(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<ServiceInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let echo = service_echo(Some(id), &input);
    let (actor, cmd) = (admin.actor(), ServiceCmd { archived: None, ..ServiceCmd::from(input) });
    match app.write(move |tx, ctx| service::update_service(tx, ctx, &actor, id, cmd)).await {
        Ok(s) => Ok(PageResponse::done("/admin/services", &format!("{} was saved.", s.name))),
        Err(err) => services_page(&app, &admin, &shell, echo, Some(err)).await,
    }
}

async fn archive_or_restore(
    admin: AdminUser,
    id: i64,
    archived: bool,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    match app.write(move |tx, ctx| service::set_archived(tx, ctx, &actor, id, archived)).await {
        Ok(s) if archived => Ok(PageResponse::done(
            "/admin/services",
            &format!("{} was archived: members can no longer book it.", s.name),
        )),
        Ok(s) => {
            Ok(PageResponse::done("/admin/services", &format!("{} can be booked again.", s.name)))
        }
        Err(err) => services_page(&app, &admin, &shell, ServiceForm::default(), Some(err)).await,
    }
}

#[post("/admin/services/<id>/archive", data = "<_form>")]
async fn archive_service(
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    archive_or_restore(admin, id, true, shell, app).await
}

#[post("/admin/services/<id>/restore", data = "<_form>")]
async fn restore_service(
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    archive_or_restore(admin, id, false, shell, app).await
}

#[post("/admin/services/<id>/delete", data = "<_form>")]
async fn delete_service(
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    let removed = app.write(move |tx, ctx| service::remove_service(tx, ctx, &actor, id)).await?;
    Ok(PageResponse::done("/admin/services", &removed.message))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        index,
        request,
        cancel,
        create_feed,
        revoke_feed,
        calendar,
        admin_index,
        admin_confirm,
        admin_decline,
        admin_complete,
        services,
        edit_service,
        create_service,
        update_service,
        archive_service,
        restore_service,
        delete_service
    ]
}

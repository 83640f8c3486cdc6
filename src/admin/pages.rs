//! Admin pages.

use std::sync::Arc;

use rocket::{get, post, routes, Route, State};
use rocket_dyn_templates::Template;

use super::input::{Number, SettingsInput};
use super::service;
use super::views::{SettingsForm, SettingsPage};
use crate::email::Transport;
use crate::error::AppError;
use crate::jobs::Scheduler;
use crate::web::csrf::CsrfForm;
use crate::web::guards::{AdminUser, App, Client, OrganizerUser};
use crate::web::page::PageResponse;
use crate::web::page::Shell;

/// The dashboard; organizers get their part of it.
#[get("/admin")]
async fn home(
    org: OrganizerUser,
    shell: Shell,
    app: App,
    scheduler: &State<Arc<Scheduler>>,
    transport: &State<Arc<Transport>>,
) -> Result<Template, AppError> {
    let actor = org.actor();
    let view = app.read(move |tx, ctx| service::dashboard(tx, ctx, &actor)).await?;
    let view = view.with_runtime(transport.mode(), scheduler.statuses()).with_drawings();
    Ok(shell.render("admin/home.html", &view))
}

#[get("/admin/settings")]
async fn settings_page(admin: AdminUser, shell: Shell, app: App) -> Result<Template, AppError> {
    let actor = admin.actor();
    let view = app.read(move |tx, ctx| service::get_settings(tx, ctx, &actor)).await?;
    Ok(shell.render("admin/settings.html", &SettingsPage::new(view.into())))
}

#[post("/admin/settings", data = "<form>")]
async fn settings_submit(
    admin: AdminUser,
    form: CsrfForm<SettingsInput>,
    shell: Shell,
    app: App,
    client: Client,
) -> Result<PageResponse, AppError> {
    let mut input = form.into_inner();
    // An unticked checkbox is simply absent from the form.
    input.guest_accounts = Some(input.guest_accounts.unwrap_or(false));
    input.member_review = Some(input.member_review.unwrap_or(false));
    input.direct_chat = Some(input.direct_chat.unwrap_or(false));
    let echo = echo_of(&input);
    let (actor, ip) = (admin.actor(), client.0.ip);
    let saved = app
        .write(move |tx, ctx| service::update_settings(tx, ctx, &actor, input, ip.as_deref()))
        .await;
    match saved {
        Ok(_) => Ok(PageResponse::done("/admin/settings", "Settings saved.")),
        Err(err) => shell
            .form_error("admin/settings.html", &SettingsPage::new(echo), err)
            .map(PageResponse::from),
    }
}

/// The form as it was sent, to show it back with its errors.
fn echo_of(input: &SettingsInput) -> SettingsForm {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let number = |v: &Option<Number>| v.as_ref().map(|n| n.0.clone()).unwrap_or_default();
    SettingsForm {
        club_name: text(&input.club_name),
        club_description: text(&input.club_description),
        contact_email: text(&input.contact_email),
        club_timezone: text(&input.club_timezone),
        registration_mode: text(&input.registration_mode),
        two_factor_policy: text(&input.two_factor_policy),
        guest_accounts: input.guest_accounts.unwrap_or(false),
        member_review: input.member_review.unwrap_or(false),
        direct_chat: input.direct_chat.unwrap_or(false),
        session_idle_minutes: number(&input.session_idle_minutes),
        session_absolute_minutes: number(&input.session_absolute_minutes),
        backup_interval_hours: number(&input.backup_interval_hours),
        backup_keep: number(&input.backup_keep),
    }
}

pub(crate) fn routes() -> Vec<Route> {
    routes![home, settings_page, settings_submit]
}

//! Admin pages.

use std::sync::Arc;

use rocket::{get, post, routes, Route, State};
use rocket_dyn_templates::Template;

use super::input::SettingsInput;
use super::service;
use super::views::SettingsView;
use crate::email::Transport;
use crate::error::AppError;
use crate::jobs::Scheduler;
use crate::settings::SiteInfo;
use crate::web::csrf::CsrfForm;
use crate::web::guards::{AdminUser, App, OrganizerUser};
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
    let view = app.read(move |tx, _| service::get_settings(tx, &actor)).await?;
    Ok(shell.render("admin/settings.html", &view))
}

#[post("/admin/settings", data = "<form>")]
async fn settings_submit(
    admin: AdminUser,
    form: CsrfForm<SettingsInput>,
    shell: Shell,
    app: App,
    site: &State<SiteInfo>,
) -> Result<PageResponse, AppError> {
    let mut input = form.into_inner();
    // An unticked checkbox is simply absent from the form.
    input.guest_accounts = Some(input.guest_accounts.unwrap_or(false));
    input.member_review = Some(input.member_review.unwrap_or(false));
    input.direct_chat = Some(input.direct_chat.unwrap_or(false));
    let echo = SettingsView {
        club_name: input.club_name.clone().unwrap_or_default(),
        registration_mode: "",
        two_factor_policy: "",
        guest_accounts: input.guest_accounts.unwrap_or(false),
        member_review: input.member_review.unwrap_or(false),
        direct_chat: input.direct_chat.unwrap_or(false),
    };
    let actor = admin.actor();
    match app.write(move |tx, ctx| service::update_settings(tx, ctx, &actor, input)).await {
        Ok(view) => {
            site.set_club_name(&view.club_name);
            Ok(PageResponse::done("/admin/settings", "Settings saved."))
        }
        Err(err) => shell.form_error("admin/settings.html", &echo, err).map(PageResponse::from),
    }
}

pub fn routes() -> Vec<Route> {
    routes![home, settings_page, settings_submit]
}

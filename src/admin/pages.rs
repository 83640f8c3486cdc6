//! Admin pages.

use std::sync::Arc;

use rocket::{get, routes, Route, State};
use rocket_dyn_templates::Template;

use super::service;
use crate::email::Transport;
use crate::error::AppError;
use crate::jobs::Scheduler;
use crate::web::guards::{AdminUser, App};
use crate::web::page::Shell;

#[get("/admin")]
async fn home(
    admin: AdminUser,
    shell: Shell,
    app: App,
    scheduler: &State<Arc<Scheduler>>,
    transport: &State<Arc<Transport>>,
) -> Result<Template, AppError> {
    let actor = admin.actor();
    let mut view = app.read(move |tx, ctx| service::home(tx, ctx, &actor)).await?;
    view.mail_mode = transport.mode().to_string();
    view.jobs = scheduler.statuses().into_iter().map(Into::into).collect();
    Ok(shell.render("admin/home.html", &view))
}

pub fn routes() -> Vec<Route> {
    routes![home]
}

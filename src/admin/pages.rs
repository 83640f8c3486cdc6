//! Admin pages.

use std::sync::Arc;

use rocket::{get, routes, Route, State};
use rocket_dyn_templates::Template;

use super::service;
use crate::ctx::Ctx;
use crate::db::Db;
use crate::email::Transport;
use crate::error::AppError;
use crate::jobs::Scheduler;
use crate::web::guards::AdminUser;
use crate::web::page::Shell;

#[get("/admin")]
async fn home(
    admin: AdminUser,
    shell: Shell,
    db: &State<Db>,
    ctx: &State<Ctx>,
    scheduler: &State<Arc<Scheduler>>,
    transport: &State<Arc<Transport>>,
) -> Result<Template, AppError> {
    let actor = admin.actor();
    let ctx = ctx.inner().clone();
    let mut view = db.read(move |tx| service::home(tx, &ctx, &actor)).await?;
    view.mail_mode = transport.mode().to_string();
    view.jobs = scheduler.statuses().into_iter().map(Into::into).collect();
    Ok(shell.render("admin/home.html", &view))
}

pub fn routes() -> Vec<Route> {
    routes![home]
}

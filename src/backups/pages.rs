//! The backups page: the list, downloads and "back up now".

use rocket::{get, post, routes, Route};
use rocket_dyn_templates::Template;

use super::{service, shared};
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::download::BackupDownload;
use crate::web::guards::{AdminUser, App, Client};
use crate::web::page::{PageResponse, Shell};

#[get("/admin/backups")]
async fn page(admin: AdminUser, shell: Shell, app: App) -> Result<Template, AppError> {
    let actor = admin.actor();
    let view = app.read(move |tx, ctx| service::list(tx, ctx, &actor)).await?;
    Ok(shell.render("admin/backups.html", &view))
}

#[post("/admin/backups", data = "<_form>")]
async fn back_up_now(
    admin: AdminUser,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
    client: Client,
) -> Result<PageResponse, AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip);
    let made =
        app.call(move |conn, ctx| service::back_up_now(conn, ctx, &actor, ip.as_deref())).await;
    match made {
        Ok(backup) => Ok(PageResponse::done(
            "/admin/backups",
            &format!("Backup {} written and verified.", backup.name),
        )),
        Err(err) => {
            let actor = admin.actor();
            let view = app.read(move |tx, ctx| service::list(tx, ctx, &actor)).await?;
            shell.form_error("admin/backups.html", &view, err).map(PageResponse::from)
        }
    }
}

#[get("/admin/backups/<name>")]
async fn download(
    admin: AdminUser,
    app: App,
    client: Client,
    name: &str,
) -> Result<BackupDownload, AppError> {
    shared::send(&admin, &app, &client, name.to_string()).await
}

pub(crate) fn routes() -> Vec<Route> {
    routes![page, back_up_now, download]
}

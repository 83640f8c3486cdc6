//! HTML pages for renaming and removing one of the member's passkeys. The list and adding one
//! are on the account page; adding needs the browser's WebAuthn, so that form calls the JSON
//! API from `passkeys.js`, as the login page's passkey button does.

use rocket::{get, post, routes, Route};
use rocket_dyn_templates::Template;

use super::input::PasskeyNameInput;
use super::service;
use super::views::PasskeyPage;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{App, Client, CurrentUser};
use crate::web::page::{PageResponse, Shell};

async fn passkey_page(app: &App, user: &CurrentUser, id: i64) -> Result<PasskeyPage, AppError> {
    let u = user.0.clone();
    let passkey = app.read(move |tx, _| service::find(tx, &u, id)).await?;
    Ok(PasskeyPage { name: passkey.name.clone(), passkey })
}

#[get("/account/passkeys/<id>/rename")]
async fn rename_form(
    user: CurrentUser,
    id: i64,
    shell: Shell,
    app: App,
) -> Result<Template, AppError> {
    Ok(shell.render("accounts/passkey_rename.html", &passkey_page(&app, &user, id).await?))
}

#[post("/account/passkeys/<id>/rename", data = "<form>")]
async fn rename_submit(
    user: CurrentUser,
    id: i64,
    form: CsrfForm<PasskeyNameInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let mut page = passkey_page(&app, &user, id).await?;
    let name = form.into_inner().name;
    page.name.clone_from(&name);
    match app.write(move |tx, _| service::rename(tx, &user.0, id, &name)).await {
        Ok(_) => Ok(PageResponse::done("/account", "The passkey has been renamed.")),
        Err(err) => {
            shell.form_error("accounts/passkey_rename.html", &page, err).map(PageResponse::from)
        }
    }
}

/// Removing asks first, on a page that names the passkey.
#[get("/account/passkeys/<id>/remove")]
async fn remove_form(
    user: CurrentUser,
    id: i64,
    shell: Shell,
    app: App,
) -> Result<Template, AppError> {
    Ok(shell.render("accounts/passkey_remove.html", &passkey_page(&app, &user, id).await?))
}

#[post("/account/passkeys/<id>/remove", data = "<_form>")]
async fn remove_submit(
    user: CurrentUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    client: Client,
    app: App,
) -> Result<PageResponse, AppError> {
    app.write(move |tx, ctx| service::remove(tx, ctx, &user.0, id, &client.0)).await?;
    Ok(PageResponse::done("/account", "The passkey has been removed."))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![rename_form, rename_submit, remove_form, remove_submit]
}

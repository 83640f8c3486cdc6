//! The account pages for a member's own second factors: setting up and removing an
//! authenticator app, and renewing recovery codes.

use rocket::{get, post, routes, Route};
use rocket_dyn_templates::Template;

use super::service::{self, AppEnrolmentView};
use crate::accounts::input::CodeInput;
use crate::accounts::views::{AppSetupPage, ConfirmPage, RecoveryCodesPage};
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{App, CurrentUser};
use crate::web::page::{PageResponse, Shell};
use crate::web::qr;

fn setup_page(setup: AppEnrolmentView) -> AppSetupPage {
    AppSetupPage {
        qr_svg: qr::svg(&setup.otpauth_url),
        otpauth_url: setup.otpauth_url,
        secret: setup.secret,
        ..AppSetupPage::default()
    }
}

fn codes_page(codes: Vec<String>) -> RecoveryCodesPage {
    RecoveryCodesPage { recovery_codes: codes, continue_to: "/account".into() }
}

/// Starts an app set-up and shows it.
#[post("/account/authenticator", data = "<_form>")]
async fn start(
    user: CurrentUser,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    match app.write(move |tx, ctx| service::start_app(tx, ctx, &actor)).await {
        Ok(setup) => {
            Ok(PageResponse::page(shell.render("accounts/app_setup.html", &setup_page(setup))))
        }
        Err(err) if err.code() == "conflict" => Ok(PageResponse::done("/account", err.message())),
        Err(err) => Err(err),
    }
}

/// The set-up waiting for its first code (a reload); the account page when none waits.
#[get("/account/authenticator")]
async fn pending(user: CurrentUser, shell: Shell, app: App) -> Result<PageResponse, AppError> {
    let user_id = user.0.user_id;
    match app.read(move |tx, ctx| service::pending_app(tx, ctx, user_id)).await {
        Ok(setup) => {
            Ok(PageResponse::page(shell.render("accounts/app_setup.html", &setup_page(setup))))
        }
        Err(err) if err.code() == "not_found" => Ok(PageResponse::redirect("/account")),
        Err(err) => Err(err),
    }
}

/// The first code confirms the app; the recovery codes are shown once.
#[post("/account/authenticator/confirm", data = "<form>")]
async fn confirm(
    user: CurrentUser,
    form: CsrfForm<CodeInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, user_id, code) = (user.actor(), user.0.user_id, form.into_inner().code);
    match app.write(move |tx, ctx| service::confirm_app(tx, ctx, &actor, &code)).await {
        Ok(codes) => Ok(PageResponse::page(
            shell.render("accounts/recovery_codes.html", &codes_page(codes.recovery_codes)),
        )),
        Err(err) if err.code() == "conflict" => Ok(PageResponse::done("/account", err.message())),
        Err(err) => {
            let setup = app.read(move |tx, ctx| service::pending_app(tx, ctx, user_id)).await?;
            shell
                .form_error("accounts/app_setup.html", &setup_page(setup), err)
                .map(PageResponse::from)
        }
    }
}

const REMOVE_APP: ConfirmPage = ConfirmPage {
    title: "Remove the authenticator app",
    what: "Its codes will no longer sign you in. If it is your only app or passkey, your recovery codes still work, and you can set up an app again at any time.",
    action: "/account/authenticator/remove",
    button: "Remove the app",
};

const RENEW_CODES: ConfirmPage = ConfirmPage {
    title: "Make new recovery codes",
    what:
        "Your current recovery codes will stop working, used or not. The new ones are shown once.",
    action: "/account/recovery-codes",
    button: "Make new codes",
};

#[get("/account/authenticator/remove")]
fn remove_form(_user: CurrentUser, shell: Shell) -> Template {
    shell.render("accounts/confirm_factor.html", &REMOVE_APP)
}

#[post("/account/authenticator/remove", data = "<_form>")]
async fn remove(
    user: CurrentUser,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    app.write(move |tx, ctx| service::remove_app(tx, ctx, &actor)).await?;
    Ok(PageResponse::done("/account", "The authenticator app was removed."))
}

#[get("/account/recovery-codes/new")]
fn renew_form(_user: CurrentUser, shell: Shell) -> Template {
    shell.render("accounts/confirm_factor.html", &RENEW_CODES)
}

#[post("/account/recovery-codes", data = "<_form>")]
async fn renew(
    user: CurrentUser,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    match app.write(move |tx, ctx| service::renew_recovery_codes(tx, ctx, &actor)).await {
        Ok(codes) => Ok(PageResponse::page(
            shell.render("accounts/recovery_codes.html", &codes_page(codes.recovery_codes)),
        )),
        Err(err) if err.code() == "conflict" => Ok(PageResponse::done("/account", err.message())),
        Err(err) => Err(err),
    }
}

pub(crate) fn routes() -> Vec<Route> {
    routes![start, pending, confirm, remove_form, remove, renew_form, renew]
}

//! HTML pages for signing in and out, first-run setup and set-password links.

use rocket::{get, post, routes, Route};
use rocket_dyn_templates::Template;

use super::codes::{self, EmailFlow, MagicCommand};
use super::factors::service::AppEnrolmentView;
use super::input::*;
use super::model::Role;
use super::passkeys;
use super::second_step;
use super::service;
use super::sessions::{Grant, LoginOutcome};
use super::shared;
use super::views::*;
use crate::error::AppError;
use crate::invites::service as invites;
use crate::ratelimit::Admitted;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{App, Client, CurrentUser, MaybeUser, SessionCookie};
use crate::web::page::{safe_next, PageResponse, Shell};
use crate::web::qr;

#[get("/login?<next>")]
fn login_form(shell: Shell, next: Option<String>, app: App) -> PageResponse {
    let next = safe_next(next.as_deref());
    if shell.site.user.is_some() {
        return PageResponse::redirect(next.unwrap_or_else(|| "/home".into()));
    }
    let passkeys = app.ctx.webauthn.is_some();
    let page = LoginPage { login: String::new(), next: next.unwrap_or_default(), passkeys };
    PageResponse::page(shell.render("accounts/login.html", &page))
}

/// After a sign-in step: a session goes to `next` with a greeting; a second-factor challenge
/// shows its forms; a sign-in held back for an app set-up shows the set-up.
async fn signed_in(
    outcome: LoginOutcome,
    shell: &Shell,
    cookie: &SessionCookie<'_>,
    app: &App,
    next: Option<String>,
) -> Result<PageResponse, AppError> {
    let next = next.unwrap_or_default();
    match outcome {
        LoginOutcome::Session(session) => {
            cookie.sign_in(session);
            Ok(PageResponse::done(landing(&next), "Welcome back!"))
        }
        LoginOutcome::TwoFactor { challenge, methods } => {
            let page = TwoFactorPage { challenge, next, methods };
            Ok(PageResponse::page(shell.render("accounts/two_factor.html", &page)))
        }
        LoginOutcome::Enrol { challenge } => {
            let c = challenge.clone();
            let all = [Grant::Session];
            let setup =
                app.write(move |tx, ctx| second_step::enrol_start(tx, ctx, &c, &all)).await?;
            let page = app_setup_page(setup, challenge, next);
            Ok(PageResponse::page(shell.render("accounts/app_setup.html", &page)))
        }
        LoginOutcome::Tokens(_) => Err(AppError::internal("a page sign-in produced API tokens")),
    }
}

/// Where a finished sign-in goes: `next`, else home.
fn landing(next: &str) -> String {
    if next.is_empty() {
        "/home".into()
    } else {
        next.to_string()
    }
}

fn app_setup_page(setup: AppEnrolmentView, challenge: String, next: String) -> AppSetupPage {
    AppSetupPage {
        challenge,
        next,
        qr_svg: qr::svg(&setup.otpauth_url),
        otpauth_url: setup.otpauth_url,
        secret: setup.secret,
    }
}

/// The login form; a refusal (the rate limit's included) shows the form again with the reason.
#[post("/login", data = "<form>")]
async fn login_submit(
    form: CsrfForm<LoginInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let next = safe_next(input.next.as_deref());
    let page = LoginPage {
        login: input.login.clone(),
        next: next.clone().unwrap_or_default(),
        passkeys: app.ctx.webauthn.is_some(),
    };
    let cmd = input.into_command(client.0, cookie.current(), cookie.device(), Grant::Session);
    let result = async {
        let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
        app.hashing(move |conn, ctx| service::login(conn, ctx, cmd)).await
    };
    match result.await {
        Ok(outcome) => signed_in(outcome, &shell, &cookie, &app, next).await,
        Err(err) => shell.form_error("accounts/login.html", &page, err).map(PageResponse::from),
    }
}

/// The second step of a sign-in: a code, a recovery code or the password. A wrong answer shows
/// the forms again with the reason.
#[post("/login/verify", data = "<form>")]
async fn login_verify(
    form: CsrfForm<VerifyInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let next = safe_next(input.next.as_deref());
    let challenge = input.challenge.clone();
    let result = async {
        let (replaces, device) = (cookie.current(), cookie.device());
        let cmd = input.into_command(client.0, replaces, device, vec![Grant::Session])?;
        shared::answer_challenge(&app, cmd).await
    };
    match result.await {
        Ok(outcome) => signed_in(outcome, &shell, &cookie, &app, next).await,
        Err(err) => {
            let c = challenge.clone();
            let methods = app.read(move |tx, ctx| second_step::methods_of(tx, ctx, &c)).await?;
            let page = TwoFactorPage { challenge, next: next.unwrap_or_default(), methods };
            shell.form_error("accounts/two_factor.html", &page, err).map(PageResponse::from)
        }
    }
}

/// The first code of the app set up during a sign-in: the session starts, and the recovery
/// codes are shown once.
#[post("/login/enrol", data = "<form>")]
async fn login_enrol(
    form: CsrfForm<EnrolInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let next = safe_next(input.next.as_deref()).unwrap_or_default();
    let challenge = input.challenge.clone();
    let cmd = input.into_command(client.0, cookie.current(), vec![Grant::Session]);
    let result = async {
        let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
        app.call(move |conn, ctx| second_step::enrol_finish(conn, ctx, cmd)).await
    };
    match result.await {
        Ok((LoginOutcome::Session(session), codes)) => {
            cookie.sign_in(session);
            let page = RecoveryCodesPage {
                recovery_codes: codes.recovery_codes,
                continue_to: landing(&next),
            };
            Ok(PageResponse::page(shell.render("accounts/recovery_codes.html", &page)))
        }
        Ok(_) => Err(AppError::internal("a page sign-in produced API tokens")),
        Err(err) => {
            // The set-up shown stays the one to confirm; a dead challenge starts over.
            let c = challenge.clone();
            let all = [Grant::Session];
            let setup =
                app.read(move |tx, ctx| second_step::enrol_start_again(tx, ctx, &c, &all)).await?;
            let Some(setup) = setup else { return Err(err) };
            let page = app_setup_page(setup, challenge, next);
            shell.form_error("accounts/app_setup.html", &page, err).map(PageResponse::from)
        }
    }
}

// ----- forgotten passwords -----

#[get("/forgot")]
fn forgot_form(shell: Shell) -> Template {
    shell.render("accounts/forgot.html", &EmailPage::default())
}

#[post("/forgot", data = "<form>")]
async fn forgot_submit(
    form: CsrfForm<EmailInput>,
    shell: Shell,
    client: Client,
    app: App,
) -> Result<PageResponse, AppError> {
    let typed = form.into_inner().email;
    let queued =
        codes::admit(&app.ctx, EmailFlow::PasswordReset, &typed, &client.0).and_then(|email| {
            app.write_later("reset link", move |tx, ctx| codes::request_reset(tx, ctx, &email))
        });
    match queued {
        Ok(()) => Ok(PageResponse::done("/login", RESET_SENT)),
        Err(err) => {
            let page = EmailPage { email: typed.trim().to_string() };
            shell.form_error("accounts/forgot.html", &page, err).map(PageResponse::from)
        }
    }
}

#[get("/reset/<token>")]
async fn reset_form(token: String, shell: Shell, app: App) -> Result<Template, AppError> {
    let t = token.clone();
    app.read(move |tx, ctx| codes::check_reset_token(tx, ctx, &t)).await?;
    Ok(shell.render("accounts/reset.html", &TokenPage { token }))
}

#[post("/reset/<token>", data = "<form>")]
async fn reset_submit(
    token: String,
    form: CsrfForm<ResetInput>,
    shell: Shell,
    client: Client,
    app: App,
) -> Result<PageResponse, AppError> {
    let page = TokenPage { token: token.clone() };
    let result = async {
        let cmd = form.into_inner().into_command(Some(token), client.0)?;
        let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
        app.hashing(move |conn, ctx| codes::reset_password(conn, ctx, cmd)).await
    };
    match result.await {
        Ok(()) => Ok(PageResponse::done(
            "/login",
            "Your password has been reset. Log in with the new one.",
        )),
        Err(err) => shell.form_error("accounts/reset.html", &page, err).map(PageResponse::from),
    }
}

// ----- sign-in links -----

#[get("/login/email")]
fn email_login_form(shell: Shell) -> Template {
    shell.render("accounts/email_login.html", &EmailPage::default())
}

#[post("/login/email", data = "<form>")]
async fn email_login_submit(
    form: CsrfForm<EmailInput>,
    shell: Shell,
    client: Client,
    app: App,
) -> Result<PageResponse, AppError> {
    let typed = form.into_inner().email;
    let page = EmailPage { email: typed.trim().to_lowercase() };
    let queued =
        codes::admit(&app.ctx, EmailFlow::MagicLink, &typed, &client.0).and_then(|email| {
            app.write_later("sign-in link", move |tx, ctx| {
                codes::request_magic_link(tx, ctx, &email)
            })
        });
    match queued {
        Ok(()) => Ok(PageResponse::page(shell.render("accounts/email_code.html", &page))),
        Err(err) => {
            shell.form_error("accounts/email_login.html", &page, err).map(PageResponse::from)
        }
    }
}

/// The code typed from a sign-in email.
#[post("/login/code", data = "<form>")]
async fn email_code_submit(
    form: CsrfForm<MagicInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let page = EmailPage { email: input.email.clone().unwrap_or_default() };
    let result = async {
        let cmd = input.into_command(client.0, cookie.current());
        let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
        app.call(move |conn, ctx| codes::complete_magic_link(conn, ctx, cmd)).await
    };
    match result.await {
        Ok(outcome) => signed_in(outcome, &shell, &cookie, &app, None).await,
        Err(err) => {
            shell.form_error("accounts/email_code.html", &page, err).map(PageResponse::from)
        }
    }
}

/// Opening a sign-in link asks to confirm, so that mail scanners following links spend nothing.
#[get("/auth/magic/<token>")]
async fn magic_form(token: String, shell: Shell, app: App) -> Result<Template, AppError> {
    let t = token.clone();
    let username = app.read(move |tx, ctx| codes::magic_link_user(tx, ctx, &t)).await?;
    Ok(shell.render("accounts/magic.html", &SetPasswordPage { token, username }))
}

#[post("/auth/magic/<token>", data = "<_form>")]
async fn magic_submit(
    token: String,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let cmd = MagicCommand::link(token, client.0, cookie.current());
    let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
    let outcome = app.call(move |conn, ctx| codes::complete_magic_link(conn, ctx, cmd)).await?;
    signed_in(outcome, &shell, &cookie, &app, None).await
}

// ----- claiming a pre-registered account -----

#[get("/claim")]
fn claim_form(shell: Shell) -> Template {
    shell.render("accounts/claim.html", &ClaimPage::default())
}

#[post("/claim/request", data = "<form>")]
async fn claim_request(
    form: CsrfForm<EmailInput>,
    shell: Shell,
    client: Client,
    app: App,
) -> Result<PageResponse, AppError> {
    let typed = form.into_inner().email;
    let mut page = ClaimPage { email: typed.trim().to_lowercase(), code_sent: true };
    let queued = codes::admit(&app.ctx, EmailFlow::Claim, &typed, &client.0).and_then(|email| {
        app.write_later("claim code", move |tx, ctx| codes::request_claim(tx, ctx, &email))
    });
    match queued {
        Ok(()) => Ok(PageResponse::page(shell.render("accounts/claim.html", &page))),
        Err(err) => {
            page.code_sent = err.code() == "rate_limited";
            shell.form_error("accounts/claim.html", &page, err).map(PageResponse::from)
        }
    }
}

#[post("/claim", data = "<form>")]
async fn claim_submit(
    form: CsrfForm<ClaimInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let page = ClaimPage { email: input.email.clone(), code_sent: true };
    let cmd = input.into_command(client.0);
    let result = async {
        let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
        app.hashing(move |conn, ctx| codes::complete_claim(conn, ctx, cmd)).await
    };
    match result.await {
        Ok(outcome) => signed_in(outcome, &shell, &cookie, &app, Some("/home".into())).await,
        Err(err) => shell.form_error("accounts/claim.html", &page, err).map(PageResponse::from),
    }
}

// ----- guests -----

#[get("/guest")]
fn guest_form(shell: Shell) -> Template {
    shell.render("accounts/guest.html", &GuestPage::default())
}

#[post("/guest", data = "<form>")]
async fn guest_submit(
    form: CsrfForm<GuestInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let page = GuestPage { display_name: input.display_name.clone() };
    let result = async {
        let cmd = Admitted::admit(&app.ctx.limits, input.into_command(client.0))?;
        app.call(move |conn, ctx| service::create_guest(conn, ctx, cmd)).await
    };
    match result.await {
        Ok(session) => {
            cookie.set(session.token);
            Ok(PageResponse::done("/home", "Welcome! You are signed in as a guest."))
        }
        Err(err) => shell.form_error("accounts/guest.html", &page, err).map(PageResponse::from),
    }
}

// ----- the member's own account security -----

async fn account_page(app: &App, user: &CurrentUser) -> Result<AccountPage, AppError> {
    let (u, user_id) = (user.0.clone(), user.0.user_id);
    let devices = app.read(move |tx, ctx| service::list_devices(tx, ctx, &u)).await?;
    let actor = user.actor();
    let (chosen, factors) = app
        .read(move |tx, _| {
            let chosen = super::repo::two_factor_info(tx, user_id)?.0;
            Ok((chosen, super::factors::service::status(tx, &actor)?))
        })
        .await?;
    let u = user.0.clone();
    let passkeys = app.read(move |tx, ctx| passkeys::service::section(tx, ctx, &u)).await?;
    Ok(AccountPage {
        devices,
        two_factor_enabled: chosen,
        two_factor_required: factors.club_requires_second_step,
        factors,
        passkeys,
    })
}

#[get("/account")]
async fn account(user: CurrentUser, shell: Shell, app: App) -> Result<Template, AppError> {
    Ok(shell.render("accounts/account.html", &account_page(&app, &user).await?))
}

#[post("/account/password", data = "<form>")]
async fn account_password(
    user: CurrentUser,
    form: CsrfForm<ChangePasswordInput>,
    shell: Shell,
    client: Client,
    app: App,
) -> Result<PageResponse, AppError> {
    let page = account_page(&app, &user).await?;
    let cmd = form.into_inner().into_command(client.0);
    let u = user.0.clone();
    match app.hashing(move |conn, ctx| service::change_password(conn, ctx, &u, cmd)).await {
        Ok(()) => Ok(PageResponse::done(
            "/account",
            "Password changed. Your other sessions have been ended.",
        )),
        Err(err) => shell.form_error("accounts/account.html", &page, err).map(PageResponse::from),
    }
}

#[post("/account/two-factor", data = "<form>")]
async fn account_two_factor(
    user: CurrentUser,
    form: CsrfForm<TwoFactorInput>,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, enabled) = (user.actor(), form.into_inner().enabled);
    app.write(move |tx, ctx| codes::set_two_factor(tx, ctx, &actor, enabled)).await?;
    Ok(PageResponse::done(
        "/account",
        if enabled { "Login codes are on." } else { "Login codes are off." },
    ))
}

#[post("/account/sessions/<id>/revoke", data = "<_form>")]
async fn account_revoke_session(
    user: CurrentUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    app.write(move |tx, ctx| service::revoke_session(tx, ctx, &user.0, id)).await?;
    Ok(PageResponse::done("/account", "That session has been ended."))
}

#[post("/account/tokens/<family>/revoke", data = "<_form>")]
async fn account_revoke_tokens(
    user: CurrentUser,
    family: String,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    app.write(move |tx, ctx| service::revoke_token_family(tx, ctx, &user.0, &family)).await?;
    Ok(PageResponse::done("/account", "That app's access has been revoked."))
}

#[post("/account/logout-everywhere", data = "<_form>")]
async fn account_logout_everywhere(
    user: CurrentUser,
    _form: CsrfForm<NoFields>,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    app.write(move |tx, ctx| service::revoke_everything(tx, ctx, &user.0)).await?;
    cookie.clear();
    Ok(PageResponse::done("/login", "You have been logged out everywhere."))
}

#[post("/logout", data = "<_form>")]
async fn logout(
    _form: CsrfForm<NoFields>,
    user: MaybeUser,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    if let Some(user) = user.0 {
        app.call(move |conn, ctx| service::logout(conn, ctx, &user, &client.0)).await?;
    }
    cookie.clear();
    Ok(PageResponse::done("/", "You have been logged out."))
}

#[get("/setup/<token>")]
async fn setup_form(token: String, shell: Shell, app: App) -> Result<Template, AppError> {
    let t = token.clone();
    app.read(move |tx, ctx| service::check_setup_token(tx, ctx, &t)).await?;
    Ok(shell.render("accounts/setup.html", &SetupPage { token, ..Default::default() }))
}

#[post("/setup/<token>", data = "<form>")]
async fn setup_submit(
    token: String,
    form: CsrfForm<SetupInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let page = SetupPage {
        token: token.clone(),
        club_name: input.club_name.clone(),
        username: input.username.clone(),
        email: input.email.clone(),
    };
    let cmd = input.into_command(token, client.0);
    match app.hashing(move |conn, ctx| service::complete_setup(conn, ctx, cmd)).await {
        Ok(done) => {
            cookie.set(done.session.token);
            Ok(PageResponse::done("/admin", "Your club is ready. Welcome to Clubroom!"))
        }
        Err(err) => shell.form_error("accounts/setup.html", &page, err).map(PageResponse::from),
    }
}

#[get("/set-password/<token>")]
async fn set_password_form(token: String, shell: Shell, app: App) -> Result<Template, AppError> {
    let t = token.clone();
    let username = app.read(move |tx, ctx| service::check_set_password_token(tx, ctx, &t)).await?;
    Ok(shell.render("accounts/set_password.html", &SetPasswordPage { token, username }))
}

#[post("/set-password/<token>", data = "<form>")]
async fn set_password_submit(
    token: String,
    form: CsrfForm<SetPasswordInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let page = SetPasswordPage { token: token.clone(), username: String::new() };
    let cmd = form.into_inner().into_command(token, client.0);
    match app.hashing(move |conn, ctx| service::set_password_with_token(conn, ctx, cmd)).await {
        Ok(Some(session)) => {
            cookie.set(session.token);
            Ok(PageResponse::done("/home", "Your password is set. You are now logged in."))
        }
        Ok(None) => Ok(PageResponse::done(
            "/login",
            "Your password is set. Sign in with it to take the second step.",
        )),
        Err(err) => {
            shell.form_error("accounts/set_password.html", &page, err).map(PageResponse::from)
        }
    }
}

/// The join form for `token` (None: open registration), or the reason it cannot be used.
async fn join_page(app: &App, token: Option<String>) -> Result<JoinPage, AppError> {
    let t = token.clone();
    let offer = app.read(move |tx, ctx| invites::preflight(tx, ctx, t.as_deref())).await?;
    let choosable_roles: Vec<Role> =
        offer.roles.iter().copied().filter(|r| Role::SELF_CHOSEN.contains(r)).collect();
    Ok(JoinPage {
        token: token.unwrap_or_default(),
        email: offer.email.clone().unwrap_or_default(),
        invited_email: offer.email,
        invited_name: offer.name,
        roles: choosable_roles.iter().map(|r| r.as_str().to_string()).collect(),
        choosable_roles,
        ..Default::default()
    })
}

#[get("/join/<token>")]
async fn join_form(token: String, shell: Shell, app: App) -> Result<Template, AppError> {
    Ok(shell.render("accounts/join.html", &join_page(&app, Some(token)).await?))
}

#[get("/join", rank = 2)]
async fn join_open_form(shell: Shell, app: App) -> Result<Template, AppError> {
    Ok(shell.render("accounts/join.html", &join_page(&app, None).await?))
}

async fn join(
    token: Option<String>,
    input: RegisterInput,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let mut page = join_page(&app, token.clone()).await?;
    page.username = input.username.clone();
    page.email = input.email.clone();
    page.phone = input.phone.clone().unwrap_or_default();
    page.roles = input.roles.clone().unwrap_or_default();
    // A form with every box unticked means "what the invitation grants".
    let cmd = input.into_command(token, client.0);
    let result = async {
        let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
        shared::register_when_free(&app, cmd).await
    };
    match result.await {
        Ok(service::Registration::Registered(done)) => {
            cookie.set(done.session.token);
            // A new account starts by joining: the profile, the agreement, review.
            Ok(PageResponse::done("/onboarding", "Welcome! Your account is ready."))
        }
        Ok(service::Registration::InvitationSent { email }) => {
            Ok(PageResponse::done("/login", &invitation_sent(&email)))
        }
        Err(err) => shell.form_error("accounts/join.html", &page, err).map(PageResponse::from),
    }
}

#[post("/join/<token>", data = "<form>")]
async fn join_submit(
    token: String,
    form: CsrfForm<RegisterInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    join(Some(token), form.into_inner(), shell, client, cookie, app).await
}

#[post("/join", data = "<form>", rank = 2)]
async fn join_open_submit(
    form: CsrfForm<RegisterInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    join(None, form.into_inner(), shell, client, cookie, app).await
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        login_verify,
        login_enrol,
        forgot_form,
        forgot_submit,
        reset_form,
        reset_submit,
        email_login_form,
        email_login_submit,
        email_code_submit,
        magic_form,
        magic_submit,
        claim_form,
        claim_request,
        claim_submit,
        guest_form,
        guest_submit,
        account,
        account_password,
        account_two_factor,
        account_revoke_session,
        account_revoke_tokens,
        account_logout_everywhere,
        join_form,
        join_open_form,
        join_submit,
        join_open_submit,
        login_form,
        login_submit,
        logout,
        setup_form,
        setup_submit,
        set_password_form,
        set_password_submit
    ]
}

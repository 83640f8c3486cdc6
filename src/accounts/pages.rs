//! HTML pages for signing in and out, first-run setup and set-password links.

use rocket::{get, post, routes, Route, State};
use rocket_dyn_templates::Template;

use super::input::{LoginInput, RegisterInput, SetPasswordInput, SetupInput};
use super::model::Role;
use super::service::{self, LoginCommand, SetPasswordCommand, SetupCommand};
use super::views::{JoinPage, LoginPage, SetPasswordPage, SetupPage};
use crate::error::AppError;
use crate::invites::service as invites;
use crate::settings::SiteInfo;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{App, Client, MaybeUser, SessionCookie};
use crate::web::page::{safe_next, PageResponse, Shell};
use crate::web::OutboxSignal;

#[get("/login?<next>")]
fn login_form(shell: Shell, next: Option<String>) -> PageResponse {
    let next = safe_next(next.as_deref());
    if shell.site.user.is_some() {
        return PageResponse::redirect(next.unwrap_or_else(|| "/home".into()));
    }
    let page = LoginPage { login: String::new(), next: next.unwrap_or_default() };
    PageResponse::page(shell.render("accounts/login.html", &page))
}

/// The login form. Rate limiting happens here rather than in a guard so that the form is shown
/// again with the reason.
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
    let page = LoginPage { login: input.login.clone(), next: next.clone().unwrap_or_default() };
    let allowed = app.ctx.limits.login_ip.hit(client.0.limit_key());
    let cmd = LoginCommand {
        login: input.login,
        password: input.password,
        client: client.0,
        replaces: cookie.current(),
    };
    let result = match allowed {
        Ok(()) => app.hashing(move |conn, ctx| service::login(conn, ctx, cmd)).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(session) => {
            cookie.set(session.token);
            Ok(PageResponse::done(next.unwrap_or_else(|| "/home".into()), "Welcome back!"))
        }
        Err(err) => shell.form_error("accounts/login.html", &page, err).map(PageResponse::from),
    }
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

#[allow(clippy::too_many_arguments)]
#[post("/setup/<token>", data = "<form>")]
async fn setup_submit(
    token: String,
    form: CsrfForm<SetupInput>,
    shell: Shell,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
    site: &State<SiteInfo>,
    outbox: &State<OutboxSignal>,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let page = SetupPage {
        token: token.clone(),
        club_name: input.club_name.clone(),
        username: input.username.clone(),
        email: input.email.clone(),
    };
    let cmd = SetupCommand {
        token,
        club_name: input.club_name,
        username: input.username,
        email: input.email,
        password: input.password,
        client: client.0,
    };
    match app.hashing(move |conn, ctx| service::complete_setup(conn, ctx, cmd)).await {
        Ok(done) => {
            site.set_club_name(&done.club_name);
            outbox.wake();
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
    let input = form.into_inner();
    let page = SetPasswordPage { token: token.clone(), username: String::new() };
    let cmd = SetPasswordCommand {
        token,
        password: input.password,
        password_confirm: input.password_confirm,
        client: client.0,
    };
    match app.hashing(move |conn, ctx| service::set_password_with_token(conn, ctx, cmd)).await {
        Ok(session) => {
            cookie.set(session.token);
            Ok(PageResponse::done("/home", "Your password is set. You are now logged in."))
        }
        Err(err) => {
            shell.form_error("accounts/set_password.html", &page, err).map(PageResponse::from)
        }
    }
}

/// The join form for `token` (None: open registration), or the reason it cannot be used.
async fn join_page(app: &App, token: Option<String>) -> Result<JoinPage, AppError> {
    let t = token.clone();
    let offer = app.read(move |tx, ctx| invites::preflight(tx, ctx, t.as_deref())).await?;
    let choosable_roles: Vec<Role> = offer
        .roles
        .iter()
        .copied()
        .filter(|r| matches!(r, Role::Member | Role::Coach | Role::Guardian))
        .collect();
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
    let allowed = app.ctx.limits.register_ip.hit(client.0.limit_key());
    // A form with every box unticked means "what the invitation grants".
    let cmd = input.into_command(token, client.0);
    let result = match allowed {
        Ok(()) => app.hashing(move |conn, ctx| service::register(conn, ctx, cmd)).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(done) => {
            cookie.set(done.session.token);
            Ok(PageResponse::done("/home", "Welcome! Your account is ready."))
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

pub fn routes() -> Vec<Route> {
    routes![
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

//! HTML pages: the organizers' screens (`/admin/exchanges`), the public registration page
//! (`/exchange/{slug}/register`), the sign-in link behind emails (`/exchange/access`) and the
//! participant's dashboard (`/exchanges`). Every form works without JavaScript.

use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, Route};

use super::input::{
    AccessInput, AccessRequestInput, ActionInput, DeleteInput, ExchangeInput, ExclusionInput,
    MeInput, OrganizerInput, RegisterInput,
};
use super::service::{self, ExchangeCmd, ExclusionCmd, JoinCmd, MeCmd};
use super::views::{
    AccessPage, DonePage, ExchangeForm, MatchOutcome, MatchProblem, MeForm, RegisterForm,
};
use crate::accounts::codes::{self, EmailFlow, MagicCommand};
use crate::accounts::sessions::LoginOutcome;
use crate::error::AppError;
use crate::ratelimit::Admitted;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{
    AdminUser, App, Client, CurrentUser, MaybeUser, OrganizerUser, SessionCookie,
};
use crate::web::page::{PageResponse, Shell};
use crate::web::qr;

const LIST: &str = "gifts/admin_list.html";
const DETAIL: &str = "gifts/admin_detail.html";
const DASHBOARD: &str = "gifts/dashboard.html";
const REGISTER: &str = "gifts/register.html";
const DONE: &str = "gifts/done.html";
const ACCESS: &str = "gifts/access.html";

fn echo(input: &ExchangeInput) -> ExchangeForm {
    ExchangeForm {
        name: input.name.clone().unwrap_or_default(),
        description: input.description.clone().unwrap_or_default(),
        budget: input.budget.clone().unwrap_or_default(),
        max_participants: input.max_participants.map(|n| n.to_string()).unwrap_or_default(),
        registration_close_date: input.registration_close_date.clone().unwrap_or_default(),
        exchange_date: input.exchange_date.clone().unwrap_or_default(),
        timezone: input.timezone.clone().unwrap_or_default(),
    }
}

fn detail_url(id: i64) -> String {
    format!("/admin/exchanges/{id}")
}

// ----- organizers: the dashboard -----

async fn list_page(
    app: &App,
    user: &OrganizerUser,
    shell: &Shell,
    form: ExchangeForm,
    err: Option<AppError>,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    let view = app.read(move |tx, ctx| service::admin_list_page(tx, ctx, &actor, form)).await?;
    match err {
        None => Ok(PageResponse::page(shell.render(LIST, &view))),
        Some(err) => shell.form_error(LIST, &view, err).map(PageResponse::from),
    }
}

#[get("/admin/exchanges")]
async fn index(user: OrganizerUser, shell: Shell, app: App) -> Result<PageResponse, AppError> {
    // An empty time zone is filled with the club's own.
    let form = ExchangeForm::default();
    list_page(&app, &user, &shell, form, None).await
}

#[post("/admin/exchanges", data = "<form>")]
async fn create(
    user: OrganizerUser,
    form: CsrfForm<ExchangeInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let typed = echo(&input);
    let (actor, cmd) = (user.actor(), ExchangeCmd::from(input));
    match app.write(move |tx, ctx| service::create(tx, ctx, &actor, cmd)).await {
        Ok(e) => Ok(PageResponse::done(
            detail_url(e.id),
            "The exchange was created as a draft. Open registration when you are ready.",
        )),
        Err(err) => list_page(&app, &user, &shell, typed, Some(err)).await,
    }
}

// ----- organizers: one exchange -----

/// The detail page, with a form shown again with its errors, or a matching problem explained.
async fn detail_page(
    (app, user, shell): (&App, &OrganizerUser, &Shell),
    id: i64,
    form: Option<ExchangeForm>,
    problem: Option<MatchProblem>,
    err: Option<AppError>,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    let conflict = problem.is_some();
    let mut view = app
        .read(move |tx, ctx| service::admin_detail_page(tx, ctx, &actor, id, form, problem))
        .await?;
    view.qr_svg = qr::svg(&view.exchange.registration_url);
    match err {
        Some(err) => shell.form_error(DETAIL, &view, err).map(PageResponse::from),
        None if conflict => Ok(PageResponse::from((Status::Conflict, shell.render(DETAIL, &view)))),
        None => Ok(PageResponse::page(shell.render(DETAIL, &view))),
    }
}

/// Back to the detail page with `note`, or the page again with the error.
async fn after(
    parts: (&App, &OrganizerUser, &Shell),
    id: i64,
    result: Result<(), AppError>,
    note: &str,
) -> Result<PageResponse, AppError> {
    match result {
        Ok(()) => Ok(PageResponse::done(detail_url(id), note)),
        Err(err) => detail_page(parts, id, None, None, Some(err)).await,
    }
}

#[get("/admin/exchanges/<id>")]
async fn detail(
    user: OrganizerUser,
    id: i64,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    detail_page((&app, &user, &shell), id, None, None, None).await
}

#[post("/admin/exchanges/<id>", data = "<form>")]
async fn update(
    user: OrganizerUser,
    id: i64,
    form: CsrfForm<ExchangeInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let typed = echo(&input);
    let (actor, cmd) = (user.actor(), ExchangeCmd::from(input));
    match app.write(move |tx, ctx| service::update(tx, ctx, &actor, id, cmd)).await {
        Ok(_) => Ok(PageResponse::done(detail_url(id), "The exchange was saved.")),
        Err(err) => detail_page((&app, &user, &shell), id, Some(typed), None, Some(err)).await,
    }
}

#[post("/admin/exchanges/<id>/open", data = "<_form>")]
async fn open(
    user: OrganizerUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    let result = app.write(move |tx, ctx| service::open(tx, ctx, &actor, id)).await.map(drop);
    let note = "Registration is open: share the link.";
    after((&app, &user, &shell), id, result, note).await
}

#[post("/admin/exchanges/<id>/close", data = "<_form>")]
async fn close(
    user: OrganizerUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    let result = app.write(move |tx, ctx| service::close(tx, ctx, &actor, id)).await.map(drop);
    let note = "Registration is closed. Add exclusions if needed, then draw the names.";
    after((&app, &user, &shell), id, result, note).await
}

#[post("/admin/exchanges/<id>/reopen", data = "<form>")]
async fn reopen(
    user: OrganizerUser,
    id: i64,
    form: CsrfForm<ActionInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, confirm) = (user.actor(), form.into_inner().confirm.unwrap_or(false));
    let result =
        app.write(move |tx, ctx| service::reopen(tx, ctx, &actor, id, confirm)).await.map(drop);
    let note = "Registration is open again.";
    after((&app, &user, &shell), id, result, note).await
}

#[post("/admin/exchanges/<id>/complete", data = "<_form>")]
async fn complete(
    user: OrganizerUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    let result = app.write(move |tx, ctx| service::complete(tx, ctx, &actor, id)).await.map(drop);
    let note = "The exchange is completed.";
    after((&app, &user, &shell), id, result, note).await
}

/// After a draw: back with a note, the page explaining why no cycle exists, or the error.
async fn after_draw(
    parts: (&App, &OrganizerUser, &Shell),
    id: i64,
    outcome: Result<MatchOutcome, AppError>,
) -> Result<PageResponse, AppError> {
    match outcome {
        Ok(MatchOutcome::Matched(_)) => {
            let note = "The names are drawn and every participant was emailed their recipient.";
            Ok(PageResponse::done(detail_url(id), note))
        }
        Ok(MatchOutcome::Impossible(problem)) => {
            detail_page(parts, id, None, Some(*problem), None).await
        }
        Err(err) => detail_page(parts, id, None, None, Some(err)).await,
    }
}

#[post("/admin/exchanges/<id>/match", data = "<_form>")]
async fn draw(
    user: OrganizerUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    let outcome =
        app.write(move |tx, ctx| service::match_exchange(tx, ctx, &actor, id, None)).await;
    after_draw((&app, &user, &shell), id, outcome).await
}

#[post("/admin/exchanges/<id>/rematch", data = "<form>")]
async fn redraw(
    user: OrganizerUser,
    id: i64,
    form: CsrfForm<ActionInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, confirm) = (user.actor(), form.into_inner().confirm.unwrap_or(false));
    let outcome =
        app.write(move |tx, ctx| service::rematch(tx, ctx, &actor, id, confirm, None)).await;
    after_draw((&app, &user, &shell), id, outcome).await
}

#[post("/admin/exchanges/<id>/delete", data = "<form>")]
async fn delete(
    user: OrganizerUser,
    id: i64,
    form: CsrfForm<DeleteInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, confirm) = (user.actor(), form.into_inner().confirm);
    let confirm = confirm.map(|c| c.trim().to_string());
    match app.write(move |tx, ctx| service::delete(tx, ctx, &actor, id, confirm.as_deref())).await {
        Ok(done) => Ok(PageResponse::done("/admin/exchanges", &done.message)),
        Err(err) => detail_page((&app, &user, &shell), id, None, None, Some(err)).await,
    }
}

#[post("/admin/exchanges/<id>/participants/<pid>/remove", data = "<_form>")]
async fn remove_participant(
    user: OrganizerUser,
    id: i64,
    pid: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    match app.write(move |tx, ctx| service::remove_participant(tx, ctx, &actor, id, pid)).await {
        Ok(removed) => Ok(PageResponse::done(detail_url(id), &removed.message)),
        Err(err) => detail_page((&app, &user, &shell), id, None, None, Some(err)).await,
    }
}

#[post("/admin/exchanges/<id>/exclusions", data = "<form>")]
async fn add_exclusion(
    user: OrganizerUser,
    id: i64,
    form: CsrfForm<ExclusionInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, cmd) = (user.actor(), ExclusionCmd::from(form.into_inner()));
    let result =
        app.write(move |tx, ctx| service::add_exclusion(tx, ctx, &actor, id, cmd)).await.map(drop);
    let note = "They will not draw each other.";
    after((&app, &user, &shell), id, result, note).await
}

#[post("/admin/exchanges/<id>/exclusions/<xid>/delete", data = "<_form>")]
async fn remove_exclusion(
    user: OrganizerUser,
    id: i64,
    xid: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    let result = app
        .write(move |tx, ctx| service::remove_exclusion(tx, ctx, &actor, id, xid))
        .await
        .map(drop);
    after((&app, &user, &shell), id, result, "The exclusion was removed.").await
}

// ----- the organizer right, from the member page -----

#[post("/admin/members/<id>/organizer", data = "<form>")]
async fn organizer(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<OrganizerInput>,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, on) = (admin.actor(), form.into_inner().organizer);
    let to = format!("/admin/members/{id}");
    match app.write(move |tx, ctx| service::set_organizer(tx, ctx, &actor, id, on)).await {
        Ok(v) if v.organizer => Ok(PageResponse::done(to, "They can now organize gift exchanges.")),
        Ok(_) => Ok(PageResponse::done(to, "They no longer organize gift exchanges.")),
        Err(err) if err.status() == 409 => {
            Ok(PageResponse::Done(Box::new(Flash::error(Redirect::to(to), err.message()))))
        }
        Err(err) => Err(err),
    }
}

// ----- the public registration page -----

async fn register_page(
    app: &App,
    shell: &Shell,
    slug: String,
    viewer: MaybeUser,
    form: Option<RegisterForm>,
    err: Option<AppError>,
) -> Result<PageResponse, AppError> {
    let view = app
        .read(move |tx, ctx| service::registration_page(tx, ctx, &slug, viewer.0.as_ref(), form))
        .await?;
    match err {
        None => Ok(PageResponse::page(shell.render(REGISTER, &view))),
        Some(err) => shell.form_error(REGISTER, &view, err).map(PageResponse::from),
    }
}

#[get("/exchange/<slug>/register")]
async fn register_form(
    slug: String,
    viewer: MaybeUser,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    register_page(&app, &shell, slug, viewer, None, None).await
}

/// The form sends `reminders` only when ticked.
#[post("/exchange/<slug>/register", data = "<form>")]
async fn register_submit(
    slug: String,
    form: CsrfForm<RegisterInput>,
    viewer: MaybeUser,
    client: Client,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let cmd = form.into_inner().into_command(client.0, false);
    let typed = RegisterForm {
        name: cmd.name.clone(),
        email: cmd.email.clone(),
        gift_ideas: cmd.gift_ideas.clone(),
        reminders: cmd.reminders,
    };
    let target = slug.clone();
    let result = async {
        let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
        app.write(move |tx, ctx| service::register(tx, ctx, &target, cmd)).await
    };
    match result.await {
        Ok(_) => Ok(PageResponse::redirect(format!("/exchange/{slug}/registered"))),
        Err(err) => register_page(&app, &shell, slug, viewer, Some(typed), Some(err)).await,
    }
}

#[get("/exchange/<slug>/registered")]
async fn registered(slug: String, shell: Shell, app: App) -> Result<PageResponse, AppError> {
    let e = app.read(move |tx, ctx| service::public(tx, ctx, &slug)).await?;
    let page = DonePage {
        exchange_name: Some(e.name),
        message: "You are registered. We emailed you a link to your exchange page: open it to \
                  see who is taking part, and later whom you give a present to."
            .into(),
    };
    Ok(PageResponse::page(shell.render(DONE, &page)))
}

#[post("/exchange/<slug>/join", data = "<_form>")]
async fn join(
    user: CurrentUser,
    slug: String,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    let target = slug.clone();
    let cmd = JoinCmd { gift_ideas: String::new(), reminders: true };
    match app.write(move |tx, ctx| service::join(tx, ctx, &actor, &target, cmd)).await {
        Ok(done) => Ok(PageResponse::done(
            "/exchanges",
            &format!("{} Add your gift ideas below.", done.message),
        )),
        Err(err) => {
            register_page(&app, &shell, slug, MaybeUser(Some(user.0)), None, Some(err)).await
        }
    }
}

/// Always the same page, whether or not the exchange or the address exist.
#[post("/exchange/<slug>/request-access", data = "<form>")]
async fn request_access(
    slug: String,
    form: CsrfForm<AccessRequestInput>,
    client: Client,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let typed = form.into_inner().email;
    let queued =
        codes::admit(&app.ctx, EmailFlow::MagicLink, &typed, &client.0).and_then(|email| {
            app.write_later("exchange access link", move |tx, ctx| {
                service::request_access(tx, ctx, &slug, &email)
            })
        });
    let page = DonePage { exchange_name: None, message: super::views::ACCESS_SENT.into() };
    match queued {
        Ok(()) => Ok(PageResponse::page(shell.render(DONE, &page))),
        Err(err) => {
            let page = DonePage { message: "No link was sent.".into(), ..page };
            shell.form_error(DONE, &page, err).map(PageResponse::from)
        }
    }
}

// ----- the emailed sign-in link -----

/// Asks to confirm first, so that mail scanners opening links do not spend them.
#[get("/exchange/access?<token>")]
async fn access_form(
    token: Option<String>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let token = token.unwrap_or_default();
    let t = token.clone();
    let username = app.read(move |tx, ctx| codes::magic_link_user(tx, ctx, &t)).await?;
    Ok(PageResponse::page(shell.render(ACCESS, &AccessPage { token, username })))
}

#[post("/exchange/access", data = "<form>")]
async fn access_submit(
    form: CsrfForm<AccessInput>,
    client: Client,
    cookie: SessionCookie<'_>,
    app: App,
) -> Result<PageResponse, AppError> {
    let cmd = MagicCommand::link(form.into_inner().token, client.0, cookie.current());
    let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
    let outcome = app.call(move |conn, ctx| codes::complete_magic_link(conn, ctx, cmd)).await?;
    match outcome {
        LoginOutcome::Session(session) => {
            cookie.sign_in(session);
            Ok(PageResponse::done("/exchanges", "Welcome! Here are your gift exchanges."))
        }
        _ => Err(AppError::internal("a sign-in link gave something other than a session")),
    }
}

// ----- the participant's dashboard -----

async fn dashboard_page(
    app: &App,
    user: &CurrentUser,
    shell: &Shell,
    failed: Option<(i64, MeForm)>,
    err: Option<AppError>,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    let (id, form) = match failed {
        Some((id, form)) => (Some(id), form),
        None => (None, MeForm::default()),
    };
    let view = app.read(move |tx, _| service::dashboard(tx, &actor, id, form)).await?;
    match err {
        None => Ok(PageResponse::page(shell.render(DASHBOARD, &view))),
        Some(err) => shell.form_error(DASHBOARD, &view, err).map(PageResponse::from),
    }
}

#[get("/exchanges")]
async fn dashboard(user: CurrentUser, shell: Shell, app: App) -> Result<PageResponse, AppError> {
    dashboard_page(&app, &user, &shell, None, None).await
}

/// The form sends `reminders` only when ticked, and `name` only while it can change.
#[post("/exchanges/<id>/me", data = "<form>")]
async fn update_me(
    user: CurrentUser,
    id: i64,
    form: CsrfForm<MeInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let typed = MeForm {
        name: input.name.clone().unwrap_or_default(),
        gift_ideas: input.gift_ideas.clone().unwrap_or_default(),
    };
    let cmd = MeCmd {
        name: input.name,
        gift_ideas: input.gift_ideas,
        reminders: Some(input.reminders.unwrap_or(false)),
    };
    let actor = user.actor();
    match app.write(move |tx, ctx| service::update_me(tx, ctx, &actor, id, cmd)).await {
        Ok(_) => Ok(PageResponse::done(format!("/exchanges#exchange-{id}"), "Saved.")),
        Err(err) => dashboard_page(&app, &user, &shell, Some((id, typed)), Some(err)).await,
    }
}

#[post("/exchanges/<id>/withdraw", data = "<_form>")]
async fn withdraw(
    user: CurrentUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = user.actor();
    match app.write(move |tx, ctx| service::withdraw(tx, ctx, &actor, id)).await {
        Ok(done) => Ok(PageResponse::done("/exchanges", &done.message)),
        Err(err) => dashboard_page(&app, &user, &shell, None, Some(err)).await,
    }
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        index,
        create,
        detail,
        update,
        open,
        close,
        reopen,
        complete,
        draw,
        redraw,
        delete,
        remove_participant,
        add_exclusion,
        remove_exclusion,
        organizer,
        register_form,
        register_submit,
        registered,
        join,
        request_access,
        access_form,
        access_submit,
        dashboard,
        update_me,
        withdraw
    ]
}

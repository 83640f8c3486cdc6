//! The admin invitations page: create personal invites and shareable links, see their status,
//! send a fresh link, revoke.

use rocket::http::Status;
use rocket::{get, post, routes, Route};

use super::input::InviteInput;
use super::service::{self, CreateInvite};
use super::views::{CreatedInvite, CreatedLink, InviteForm, InvitesPage, NewMemberForm};
use crate::accounts::model::Role;
use crate::error::{AppError, FieldErrors};
use crate::people::input::NewMemberInput;
use crate::people::preregister::{self, NewMember};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{AdminUser, App};
use crate::web::page::{PageResponse, Shell};
use crate::web::qr;

const TEMPLATE: &str = "admin/invites.html";

async fn page(
    app: &App,
    admin: &AdminUser,
    created: Option<CreatedLink>,
    form: InviteForm,
) -> Result<InvitesPage, AppError> {
    let actor = admin.actor();
    let invites = app.read(move |tx, ctx| service::list(tx, ctx, &actor)).await?;
    let member = NewMemberForm::default();
    Ok(InvitesPage {
        invites,
        created,
        form,
        member,
        grantable_roles: &Role::ALL,
        refused: "",
        invite_errors: FieldErrors::new(),
        member_errors: FieldErrors::new(),
    })
}

fn shown_once(created: CreatedInvite, emailed_to: Option<String>) -> CreatedLink {
    CreatedLink {
        qr_svg: qr::svg(&created.invite_url),
        url: created.invite_url,
        expires_at: created.expires_at,
        emailed_to,
    }
}

#[get("/admin/invites")]
async fn index(admin: AdminUser, shell: Shell, app: App) -> Result<PageResponse, AppError> {
    let view = page(&app, &admin, None, InviteForm::default()).await?;
    Ok(PageResponse::page(shell.render(TEMPLATE, &view)))
}

#[post("/admin/invites", data = "<form>")]
async fn create(
    admin: AdminUser,
    form: CsrfForm<InviteInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let echo = InviteForm {
        name: input.name.clone().unwrap_or_default(),
        email: input.email.clone().unwrap_or_default(),
        roles: input.roles.clone(),
        max_uses: input.max_uses.map(|n| n.to_string()).unwrap_or_default(),
        expires_in_days: input.expires_in_days.map(|n| n.to_string()).unwrap_or_default(),
    };
    let (actor, cmd) = (admin.actor(), CreateInvite::from(input));
    let emailed_to = Some(echo.email.trim().to_lowercase()).filter(|e| !e.is_empty());
    match app.write(move |tx, ctx| service::create(tx, ctx, &actor, cmd)).await {
        Ok(created) => {
            let view =
                page(&app, &admin, Some(shown_once(created, emailed_to)), InviteForm::default())
                    .await?;
            Ok(PageResponse::from((Status::Created, shell.render(TEMPLATE, &view))))
        }
        Err(err) => {
            let mut view = page(&app, &admin, None, echo).await?;
            view.refused = "invite";
            view.invite_errors = err.fields().clone();
            shell.form_error(TEMPLATE, &view, err).map(PageResponse::from)
        }
    }
}

#[post("/admin/invites/<id>/resend", data = "<_form>")]
async fn resend(
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    let created = app.write(move |tx, ctx| service::resend(tx, ctx, &actor, id)).await?;
    let emailed =
        app.read(move |tx, _| Ok(super::repo::get(tx, id)?.and_then(|i| i.email))).await?;
    let view =
        page(&app, &admin, Some(shown_once(created, emailed)), InviteForm::default()).await?;
    Ok(PageResponse::page(shell.render(TEMPLATE, &view)))
}

#[post("/admin/invites/<id>/revoke", data = "<_form>")]
async fn revoke(
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    app.write(move |tx, ctx| service::revoke(tx, ctx, &actor, id)).await?;
    Ok(PageResponse::done(
        "/admin/invites",
        "The invitation was revoked; its link no longer works.",
    ))
}

/// Adds a member who then claims the account with an emailed code (see `/claim`).
#[post("/admin/members", data = "<form>")]
async fn add_member(
    admin: AdminUser,
    form: CsrfForm<NewMemberInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let member = NewMemberForm {
        email: input.email.clone(),
        first_name: input.first_name.clone(),
        last_name: input.last_name.clone(),
        phone: input.phone.clone().unwrap_or_default(),
    };
    let (actor, cmd) = (admin.actor(), NewMember::from(input));
    match app.write(move |tx, ctx| preregister::create_member(tx, ctx, &actor, cmd)).await {
        Ok(created) => {
            let note = format!(
                "{} was added. They can claim the account at {} with the address {}.",
                created.username,
                app.ctx.url("/claim"),
                created.email
            );
            Ok(PageResponse::done("/admin/invites", &note))
        }
        Err(err) => {
            let mut view = page(&app, &admin, None, InviteForm::default()).await?;
            view.member = member;
            view.refused = "member";
            view.member_errors = err.fields().clone();
            shell.form_error(TEMPLATE, &view, err).map(PageResponse::from)
        }
    }
}

pub(crate) fn routes() -> Vec<Route> {
    routes![index, create, resend, revoke, add_member]
}

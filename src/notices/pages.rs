//! Notice pages: the member's inbox `/messages` and each notice's thread `/messages/<id>`, the
//! admins' `/admin/messages` (compose and the sent list) and `/admin/messages/<id>` (who read
//! it, and each member's thread).

use rocket::{get, post, routes, Route};

use super::input::{ComposeInput, PageQuery, ReplyInput, SettingsInput};
use super::model::Recipients;
use super::service::{self, ListQuery, SendNotice};
use super::views::ComposeForm;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{ActiveMember, AdminUser, App};
use crate::web::page::{PageResponse, Shell};

const INBOX: &str = "messages/index.html";
const THREAD: &str = "messages/show.html";
const ADMIN: &str = "admin/messages.html";
const ADMIN_ONE: &str = "admin/message.html";

// ----- members -----

#[get("/messages?<query..>")]
async fn inbox(
    member: ActiveMember,
    query: PageQuery,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, query) = (member.actor(), ListQuery::from(query));
    let view = app.read(move |tx, _| service::inbox_page(tx, &actor, &query)).await?;
    Ok(PageResponse::page(shell.render(INBOX, &view)))
}

/// The checkbox sends nothing when unticked: that means off.
#[post("/messages/settings", data = "<form>")]
async fn settings(
    member: ActiveMember,
    form: CsrfForm<SettingsInput>,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, on) = (member.actor(), form.into_inner().email_notices.unwrap_or(false));
    let saved = app.write(move |tx, _| service::update_settings(tx, &actor, Some(on))).await?;
    let note = if saved.email_notices {
        "You will get an email when a notice arrives."
    } else {
        "You will no longer get emails about notices; they still arrive here."
    };
    Ok(PageResponse::done("/messages#settings", note))
}

async fn thread(
    app: &App,
    member: &ActiveMember,
    shell: &Shell,
    id: i64,
    failed: Option<(String, AppError)>,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    let typed = failed.as_ref().map(|(text, _)| text.clone()).unwrap_or_default();
    let view = app.write(move |tx, ctx| service::thread_page(tx, ctx, &actor, id, typed)).await?;
    match failed {
        None => Ok(PageResponse::page(shell.render(THREAD, &view))),
        Some((_, err)) => shell.form_error(THREAD, &view, err).map(PageResponse::from),
    }
}

/// Opening a notice marks it read.
#[get("/messages/<id>")]
async fn show(
    member: ActiveMember,
    id: i64,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    thread(&app, &member, &shell, id, None).await
}

#[post("/messages/<id>/reply", data = "<form>")]
async fn reply(
    member: ActiveMember,
    id: i64,
    form: CsrfForm<ReplyInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let body = form.into_inner().body;
    let (actor, typed) = (member.actor(), body.clone().unwrap_or_default());
    match app.write(move |tx, ctx| service::reply(tx, ctx, &actor, id, body)).await {
        Ok(view) => {
            let to = format!("/messages/{id}#reply-{}", view.id);
            Ok(PageResponse::done(to, "Your reply was sent to the club's admins."))
        }
        Err(err) => thread(&app, &member, &shell, id, Some((typed, err))).await,
    }
}

#[post("/messages/<id>/delete", data = "<_form>")]
async fn delete(
    member: ActiveMember,
    id: i64,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    app.write(move |tx, ctx| service::delete(tx, ctx, &actor, id)).await?;
    Ok(PageResponse::done("/messages", "The notice was deleted."))
}

// ----- admins -----

async fn admin_page(
    app: &App,
    admin: &AdminUser,
    shell: &Shell,
    query: ListQuery,
    failed: Option<(ComposeForm, AppError)>,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    let form = failed.as_ref().map(|(form, _)| form.clone()).unwrap_or_default();
    let view = app.read(move |tx, _| service::admin_page(tx, &actor, &query, form)).await?;
    match failed {
        None => Ok(PageResponse::page(shell.render(ADMIN, &view))),
        Some((_, err)) => shell.form_error(ADMIN, &view, err).map(PageResponse::from),
    }
}

#[get("/admin/messages?<query..>")]
async fn admin_index(
    admin: AdminUser,
    query: PageQuery,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    admin_page(&app, &admin, &shell, ListQuery::from(query), None).await
}

/// The form's radio button says which of its audience fields counts.
fn compose(input: ComposeInput) -> (SendNotice, ComposeForm) {
    let form = ComposeForm {
        subject: input.subject.clone().unwrap_or_default(),
        body: input.body.clone().unwrap_or_default(),
        audience: input.audience.unwrap_or_default(),
        role: input.role.unwrap_or_default(),
        member_ids: input.member_ids,
        email: input.email,
    };
    let to = match form.audience.as_str() {
        "all" => Recipients::All,
        "role" => Recipients::Role(form.role.clone()),
        "members" => Recipients::Members(form.member_ids.clone()),
        _ => Recipients::Unreadable("Choose who receives the notice.".into()),
    };
    let cmd = SendNotice { subject: input.subject, body: input.body, to, email: input.email };
    (cmd, form)
}

#[post("/admin/messages", data = "<form>")]
async fn send(
    admin: AdminUser,
    form: CsrfForm<ComposeInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (cmd, echo) = compose(form.into_inner());
    let actor = admin.actor();
    match app.write(move |tx, ctx| service::send(tx, ctx, &actor, cmd)).await {
        Ok(view) => {
            let s = if view.recipients == 1 { "" } else { "s" };
            let note = format!("Your notice was sent to {} member{s}.", view.recipients);
            Ok(PageResponse::done("/admin/messages", &note))
        }
        Err(err) => admin_page(&app, &admin, &shell, ListQuery::default(), Some((echo, err))).await,
    }
}

async fn admin_notice(
    app: &App,
    admin: &AdminUser,
    shell: &Shell,
    id: i64,
    failed: Option<(i64, String, AppError)>,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    let typed = failed.as_ref().map(|(user_id, text, _)| (*user_id, text.clone()));
    let view =
        app.write(move |tx, ctx| service::admin_notice_page(tx, ctx, &actor, id, typed)).await?;
    match failed {
        None => Ok(PageResponse::page(shell.render(ADMIN_ONE, &view))),
        Some((_, _, err)) => shell.form_error(ADMIN_ONE, &view, err).map(PageResponse::from),
    }
}

/// Opening it marks the members' replies read by the admins.
#[get("/admin/messages/<id>")]
async fn admin_show(
    admin: AdminUser,
    id: i64,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    admin_notice(&app, &admin, &shell, id, None).await
}

#[post("/admin/messages/<id>/recipients/<user_id>/reply", data = "<form>")]
async fn admin_reply(
    admin: AdminUser,
    id: i64,
    user_id: i64,
    form: CsrfForm<ReplyInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let body = form.into_inner().body;
    let (actor, typed) = (admin.actor(), body.clone().unwrap_or_default());
    let result =
        app.write(move |tx, ctx| service::admin_reply(tx, ctx, &actor, id, user_id, body)).await;
    match result {
        Ok(_) => {
            let to = format!("/admin/messages/{id}#member-{user_id}");
            Ok(PageResponse::done(to, "Your reply was sent; the notice shows as unread to them."))
        }
        Err(err) => admin_notice(&app, &admin, &shell, id, Some((user_id, typed, err))).await,
    }
}

pub(crate) fn routes() -> Vec<Route> {
    routes![inbox, settings, show, reply, delete, admin_index, send, admin_show, admin_reply]
}

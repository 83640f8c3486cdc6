//! People management pages: the member list, the import screens, the export download, and
//! the account actions of a member's record.

use rocket::tokio::io::AsyncReadExt;
use rocket::{get, post, routes, Route};
use rocket_dyn_templates::Template;

use super::import::{self, COLUMNS, MAX_ROWS};
use super::input::{
    AccessInput, CommitInput, DeleteInput, ImportForm, ListQuery, RolesInput, StatusNoteInput,
};
use super::views::{
    DeletionPage, ImportPage, ImportPreviewPage, ListFilter, MemberList, MemberPage, MembersPage,
};
use super::{record, service};
use crate::accounts::model::Actor;
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::download::CsvDownload;
use crate::web::guards::{AdminUser, App, Client};
use crate::web::page::{PageResponse, Shell};

#[get("/admin/members?<query..>")]
async fn members(
    admin: AdminUser,
    query: ListQuery,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    let echo = ListFilter {
        q: query.q.clone().unwrap_or_default(),
        role: query.role.clone().unwrap_or_default(),
        status: query.status.clone().unwrap_or_default(),
        sort: query.sort.clone().unwrap_or_default(),
    };
    match app.read(move |tx, _| service::list(tx, &actor, &query)).await {
        Ok(list) => {
            Ok(PageResponse::page(shell.render("admin/members.html", &MembersPage::of(list))))
        }
        Err(err) => {
            // The filter is shown as typed, with nobody listed, so it can be corrected.
            let empty = MemberList {
                members: Vec::new(),
                total: 0,
                page: 1,
                pages: 1,
                per_page: service::PER_PAGE,
                filter: echo,
            };
            shell
                .form_error("admin/members.html", &MembersPage::of(empty), err)
                .map(PageResponse::from)
        }
    }
}

#[get("/admin/members/export.csv?<query..>")]
async fn export(admin: AdminUser, query: ListQuery, app: App) -> Result<CsvDownload, AppError> {
    let actor = admin.actor();
    Ok(app.read(move |tx, _| import::export(tx, &actor, &query)).await?.into())
}

// ----- import -----

fn import_page(text: String) -> ImportPage {
    ImportPage { text, columns: COLUMNS.to_vec(), max_rows: MAX_ROWS }
}

#[get("/admin/members/import")]
async fn import_form(admin: AdminUser, shell: Shell) -> Result<Template, AppError> {
    service::admin_only(&admin.actor())?;
    Ok(shell.render("admin/member_import.html", &import_page(String::new())))
}

/// The text of the form: the uploaded file when one was chosen, else the pasted text.
async fn form_text(form: ImportForm<'_>) -> Result<String, AppError> {
    if let Some(file) = form.file.filter(|f| f.len() > 0) {
        let mut bytes = Vec::new();
        let mut reader = file.open().await.map_err(|e| AppError::internal(e.to_string()))?;
        reader.read_to_end(&mut bytes).await.map_err(|e| AppError::internal(e.to_string()))?;
        return String::from_utf8(bytes)
            .map_err(|_| AppError::invalid_field("csv", "Save the file as UTF-8 text."));
    }
    Ok(form.text.unwrap_or_default())
}

#[post("/admin/members/import", data = "<form>")]
async fn import_submit(
    admin: AdminUser,
    form: CsrfForm<ImportForm<'_>>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let pasted = form.0.text.clone().unwrap_or_default();
    let actor = admin.actor();
    let outcome = match form_text(form.into_inner()).await {
        Ok(text) => app.write(move |tx, ctx| import::preview(tx, ctx, &actor, &text)).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(preview) => Ok(PageResponse::redirect(format!("/admin/members/import/{}", preview.id))),
        Err(err) => shell
            .form_error("admin/member_import.html", &import_page(pasted), err)
            .map(PageResponse::from),
    }
}

#[get("/admin/members/import/<id>", rank = 3)]
async fn import_preview(
    admin: AdminUser,
    id: String,
    shell: Shell,
    app: App,
) -> Result<Template, AppError> {
    let actor = admin.actor();
    let preview = app.read(move |tx, ctx| import::get(tx, ctx, &actor, &id)).await?;
    Ok(shell.render("admin/member_import_preview.html", &ImportPreviewPage { preview }))
}

#[post("/admin/members/import/<id>/commit", data = "<form>", rank = 3)]
async fn import_commit(
    admin: AdminUser,
    id: String,
    form: CsrfForm<CommitInput>,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, send) = (admin.actor(), form.into_inner().send_invites);
    let to = format!("/admin/members/import/{id}");
    let result = app.write(move |tx, ctx| import::commit(tx, ctx, &actor, &id, send)).await?;
    let message = if result.already_committed {
        "This import was already done: nobody new was added.".to_string()
    } else {
        format!("{} members added.", result.created.len())
    };
    Ok(PageResponse::done(to, &message))
}

// ----- a member's account -----

type Action = Box<dyn FnOnce(&Tx, &Ctx, &Actor) -> Result<String, AppError> + Send>;

/// Runs an account action from the member page: back to the record with a message, or the
/// record again with the error when it is one the admin can act on.
async fn act(
    admin: AdminUser,
    id: i64,
    shell: Shell,
    app: App,
    action: Action,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    match app.write(move |tx, ctx| action(tx, ctx, &actor)).await {
        Ok(message) => Ok(PageResponse::done(format!("/admin/members/{id}"), &message)),
        Err(err) if err.is_form_error() => record_with_error(&admin, &shell, &app, id, err).await,
        Err(err) => Err(err),
    }
}

#[post("/admin/members/<id>/roles", data = "<form>")]
async fn roles(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<RolesInput>,
    client: Client,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (roles, ip) = (form.into_inner().roles, client.0.ip);
    act(
        admin,
        id,
        shell,
        app,
        Box::new(move |tx, ctx, actor| {
            service::set_roles(tx, ctx, actor, id, &roles, ip.as_deref())?;
            Ok("Roles saved.".into())
        }),
    )
    .await
}

#[post("/admin/members/<id>/sessions/revoke", data = "<_form>")]
async fn end_sessions(
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    client: Client,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let ip = client.0.ip;
    act(
        admin,
        id,
        shell,
        app,
        Box::new(move |tx, ctx, actor| {
            let ended = service::end_sessions(tx, ctx, actor, id, ip.as_deref())?;
            Ok(format!(
                "Signed out everywhere: {} sessions and {} API logins ended.",
                ended.sessions_ended, ended.api_logins_ended
            ))
        }),
    )
    .await
}

#[post("/admin/members/<id>/two-factor/reset", data = "<_form>")]
async fn reset_two_factor(
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    client: Client,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let ip = client.0.ip;
    act(
        admin,
        id,
        shell,
        app,
        Box::new(move |tx, ctx, actor| {
            service::reset_two_factor(tx, ctx, actor, id, ip.as_deref())?;
            Ok("Two-step sign-in turned off for this account.".into())
        }),
    )
    .await
}

#[post("/admin/members/<id>/access", data = "<form>")]
async fn send_access(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<AccessInput>,
    client: Client,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (kind, ip) = (form.into_inner().kind, client.0.ip);
    act(
        admin,
        id,
        shell,
        app,
        Box::new(move |tx, ctx, actor| {
            let sent = service::send_access(tx, ctx, actor, id, &kind, ip.as_deref())?;
            let what =
                if sent.kind == "claim_code" { "A claim code" } else { "A set-password link" };
            Ok(format!("{what} was sent to {}.", sent.to))
        }),
    )
    .await
}

#[get("/admin/members/<id>/delete")]
async fn delete_page(
    admin: AdminUser,
    id: i64,
    shell: Shell,
    app: App,
) -> Result<Template, AppError> {
    let actor = admin.actor();
    let deletion = app.read(move |tx, _| service::deletion(tx, &actor, id)).await?;
    Ok(shell.render("admin/member_delete.html", &DeletionPage { deletion, confirm: String::new() }))
}

#[post("/admin/members/<id>/delete", data = "<form>")]
async fn delete_submit(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<DeleteInput>,
    client: Client,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, confirm, ip) = (admin.actor(), form.into_inner().confirm, client.0.ip);
    let typed = confirm.clone();
    match app
        .write(move |tx, ctx| service::delete(tx, ctx, &actor, id, &confirm, ip.as_deref()))
        .await
    {
        Ok(deleted) => Ok(PageResponse::done(
            "/admin/members",
            &format!("The account {} was deleted.", deleted.username),
        )),
        Err(err) if err.is_form_error() => {
            let actor = admin.actor();
            let deletion = app.read(move |tx, _| service::deletion(tx, &actor, id)).await?;
            let page = DeletionPage { deletion, confirm: typed };
            shell.form_error("admin/member_delete.html", &page, err).map(PageResponse::from)
        }
        Err(err) => Err(err),
    }
}

// ----- the member record and its status -----

#[get("/admin/members/<id>")]
async fn member(admin: AdminUser, id: i64, shell: Shell, app: App) -> Result<Template, AppError> {
    let actor = admin.actor();
    let member = app.read(move |tx, ctx| record::detail(tx, ctx, &actor, id)).await?;
    Ok(shell.render("admin/member.html", &MemberPage { member }))
}

/// Runs a status change from the member page and shows the result there.
async fn change_status(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<StatusNoteInput>,
    shell: Shell,
    app: App,
    change: record::StatusChange,
    done: &str,
) -> Result<PageResponse, AppError> {
    let (actor, note) = (admin.actor(), form.into_inner().note);
    match app.write(move |tx, ctx| change(tx, ctx, &actor, id, note.as_deref())).await {
        Ok(_) => Ok(PageResponse::done(format!("/admin/members/{id}"), done)),
        Err(err) if err.status() == 409 => record_with_error(&admin, &shell, &app, id, err).await,
        Err(err) => Err(err),
    }
}

/// The member's admin record again, showing why an action on it was refused.
async fn record_with_error(
    admin: &AdminUser,
    shell: &Shell,
    app: &App,
    id: i64,
    err: AppError,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    let member = app.read(move |tx, ctx| record::detail(tx, ctx, &actor, id)).await?;
    shell.form_error("admin/member.html", &MemberPage { member }, err).map(PageResponse::from)
}

#[post("/admin/members/<id>/activate", data = "<form>")]
async fn activate(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<StatusNoteInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    change_status(admin, id, form, shell, app, record::activate, "Member activated.").await
}

#[post("/admin/members/<id>/disable", data = "<form>")]
async fn disable(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<StatusNoteInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    change_status(admin, id, form, shell, app, record::disable, "Account disabled.").await
}

#[post("/admin/members/<id>/enable", data = "<form>")]
async fn enable(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<StatusNoteInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    change_status(admin, id, form, shell, app, record::enable, "Account enabled again.").await
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        members,
        export,
        import_form,
        import_submit,
        import_preview,
        import_commit,
        roles,
        end_sessions,
        reset_two_factor,
        send_access,
        delete_page,
        delete_submit,
        member,
        activate,
        disable,
        enable
    ]
}

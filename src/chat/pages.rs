//! Conversation pages: the list at `/conversations` (start a chat, admins create groups) and
//! the chat room at `/conversations/{id}`. Every form posts and redirects back, so the pages
//! work without JavaScript; `assets/js/chat.js` adds live updates on top.

use rocket::{get, post, routes, Route};

use super::input::{DirectInput, GroupInput, MembersInput, MessageInput, RenameInput};
use super::service::{self, GroupCmd, PostCmd, RenameCmd};
use super::views::{GroupForm, RenameForm};
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{ActiveMember, App};
use crate::web::page::{PageResponse, Shell};

const LIST: &str = "chat/list.html";
const ROOM: &str = "chat/room.html";

fn room_path(id: i64) -> String {
    format!("/conversations/{id}")
}

// ----- the list -----

async fn list_page(
    (app, member, shell): (&App, &ActiveMember, &Shell),
    all: bool,
    form: GroupForm,
    direct_member_id: Option<i64>,
    err: Option<AppError>,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    let view =
        app.read(move |tx, _| service::list_page(tx, &actor, all, form, direct_member_id)).await?;
    match err {
        None => Ok(PageResponse::page(shell.render(LIST, &view))),
        Some(err) => shell.form_error(LIST, &view, err).map(PageResponse::from),
    }
}

/// `?all=true` shows admins every group.
#[get("/conversations?<all>")]
async fn index(
    member: ActiveMember,
    all: Option<bool>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let all = all.unwrap_or(false);
    list_page((&app, &member, &shell), all, GroupForm::default(), None, None).await
}

#[post("/conversations", data = "<form>")]
async fn create(
    member: ActiveMember,
    form: CsrfForm<GroupInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let echo = GroupForm {
        name: input.name.clone().unwrap_or_default(),
        description: input.description.clone().unwrap_or_default(),
        member_ids: input.member_ids.clone(),
    };
    let (actor, cmd) = (member.actor(), GroupCmd::from(input));
    match app.write(move |tx, ctx| service::create_group(tx, ctx, &actor, cmd)).await {
        Ok(view) => Ok(PageResponse::done(room_path(view.id), "The group was created.")),
        Err(err) => list_page((&app, &member, &shell), false, echo, None, Some(err)).await,
    }
}

#[post("/conversations/direct", data = "<form>")]
async fn direct(
    member: ActiveMember,
    form: CsrfForm<DirectInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, other) = (member.actor(), form.into_inner().member_id);
    match app.write(move |tx, ctx| service::start_direct(tx, ctx, &actor, other)).await {
        Ok((view, _)) => Ok(PageResponse::redirect(room_path(view.id))),
        Err(err) => {
            let echo = GroupForm::default();
            list_page((&app, &member, &shell), false, echo, other, Some(err)).await
        }
    }
}

// ----- the room -----

/// What a failed room form typed, shown again with its error.
#[derive(Default)]
struct Echo {
    content: String,
    rename: Option<RenameForm>,
}

async fn room_page(
    (app, member, shell): (&App, &ActiveMember, &Shell),
    id: i64,
    before: Option<String>,
    echo: Echo,
    err: Option<AppError>,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    let Echo { content, rename } = echo;
    let view =
        app.write(move |tx, _| service::room_page(tx, &actor, id, before, content, rename)).await?;
    match err {
        None => Ok(PageResponse::page(shell.render(ROOM, &view))),
        Some(err) => shell.form_error(ROOM, &view, err).map(PageResponse::from),
    }
}

/// Viewing the newest messages marks them read.
#[get("/conversations/<id>?<before>")]
async fn room(
    member: ActiveMember,
    id: i64,
    before: Option<String>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    room_page((&app, &member, &shell), id, before, Echo::default(), None).await
}

/// Back to the room after a change, or the room with the form's error.
async fn after(
    parts: (&App, &ActiveMember, &Shell),
    id: i64,
    result: Result<(), AppError>,
    note: Option<&str>,
    echo: Echo,
) -> Result<PageResponse, AppError> {
    match result {
        Ok(()) => Ok(match note {
            Some(note) => PageResponse::done(room_path(id), note),
            None => PageResponse::redirect(room_path(id)),
        }),
        Err(err) => room_page(parts, id, None, echo, Some(err)).await,
    }
}

#[post("/conversations/<id>/messages", data = "<form>")]
async fn post_message(
    member: ActiveMember,
    id: i64,
    form: CsrfForm<MessageInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let cmd = PostCmd::from(form.into_inner());
    let echo = Echo { content: cmd.content.clone(), rename: None };
    let actor = member.actor();
    let result = app.write(move |tx, ctx| service::post(tx, ctx, &actor, id, cmd)).await;
    after((&app, &member, &shell), id, result.map(drop), None, echo).await
}

#[post("/conversations/<id>/rename", data = "<form>")]
async fn rename(
    member: ActiveMember,
    id: i64,
    form: CsrfForm<RenameInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let rename = RenameForm {
        name: input.name.clone().unwrap_or_default(),
        description: input.description.clone().unwrap_or_default(),
    };
    let (actor, cmd) = (member.actor(), RenameCmd::from(input));
    let result = app.write(move |tx, ctx| service::rename(tx, ctx, &actor, id, cmd)).await;
    let echo = Echo { content: String::new(), rename: Some(rename) };
    after((&app, &member, &shell), id, result.map(drop), Some("Saved."), echo).await
}

#[post("/conversations/<id>/members", data = "<form>")]
async fn add_members(
    member: ActiveMember,
    id: i64,
    form: CsrfForm<MembersInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, ids) = (member.actor(), form.into_inner().member_ids);
    let result = app.write(move |tx, ctx| service::add_members(tx, ctx, &actor, id, ids)).await;
    let note = Some("The members were added.");
    after((&app, &member, &shell), id, result.map(drop), note, Echo::default()).await
}

#[post("/conversations/<id>/members/<user_id>/remove", data = "<_form>")]
async fn remove_member(
    member: ActiveMember,
    id: i64,
    user_id: i64,
    _form: CsrfForm<NoFields>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    let result =
        app.write(move |tx, ctx| service::remove_member(tx, ctx, &actor, id, user_id)).await;
    let note = Some("They were removed from the group.");
    after((&app, &member, &shell), id, result.map(drop), note, Echo::default()).await
}

#[post("/conversations/<id>/leave", data = "<_form>")]
async fn leave(
    member: ActiveMember,
    id: i64,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    app.write(move |tx, _| service::leave(tx, &actor, id)).await?;
    Ok(PageResponse::done("/conversations", "You left the group."))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![index, create, direct, room, post_message, rename, add_members, remove_member, leave]
}

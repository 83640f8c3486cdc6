//! JSON API of people management under `/api/v1/admin/members`.

use rocket::data::{Data, ToByteUnit};
use rocket::http::{ContentType, Header, Status};
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Responder, Route};
use schemars::JsonSchema;

use super::import::{self, MAX_BYTES};
use super::input::{
    AccessInput, CommitInput, DeleteInput, ListQuery, NewMemberInput, RolesInput, StatusNoteInput,
};
use super::preregister::{self, CreatedMember, NewMember};
use super::views::{
    AccessSent, Deleted, DeletionView, ImportPreview, ImportResult, MemberDetail, PersonSummary,
    SessionsEnded,
};
use super::{record, service};
use crate::error::{AppError, ErrorKind};
use crate::web::download::CsvDownload;
use crate::web::guards::{AdminUser, App, Client};
use crate::web::json::{JsonBody, MaybeJson};

/// A page of people, with the total and the page links in headers so the body stays the
/// plain list it always was.
#[derive(Responder)]
struct PeoplePage {
    body: Json<Vec<PersonSummary>>,
    total: Header<'static>,
    pages: Header<'static>,
    link: Header<'static>,
}

/// `GET /api/v1/admin/members?q=&role=&status=&sort=&page=`: 50 a page; `X-Total-Count`,
/// `X-Page-Count` and `Link` (first, prev, next, last) tell the rest.
#[get("/admin/members?<query..>")]
async fn list(admin: AdminUser, query: ListQuery, app: App) -> Result<PeoplePage, AppError> {
    let actor = admin.actor();
    let list = app.read(move |tx, _| service::list(tx, &actor, &query)).await?;
    let base = "/api/v1/admin/members";
    let mut links = vec![
        format!("<{}>; rel=\"first\"", list.filter.url(base, 1)),
        format!("<{}>; rel=\"last\"", list.filter.url(base, list.pages)),
    ];
    if list.page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", list.filter.url(base, list.page - 1)));
    }
    if list.page < list.pages {
        links.push(format!("<{}>; rel=\"next\"", list.filter.url(base, list.page + 1)));
    }
    Ok(PeoplePage {
        total: Header::new("X-Total-Count", list.total.to_string()),
        pages: Header::new("X-Page-Count", list.pages.to_string()),
        link: Header::new("Link", links.join(", ")),
        body: Json(list.members),
    })
}

/// `GET /api/v1/admin/members/export.csv` with the list's filter and order, without paging.
#[get("/admin/members/export.csv?<query..>")]
async fn export(admin: AdminUser, query: ListQuery, app: App) -> Result<CsvDownload, AppError> {
    let actor = admin.actor();
    Ok(app.read(move |tx, _| import::export(tx, &actor, &query)).await?.into())
}

fn flag(name: &str, value: Option<&str>, default: bool) -> Result<bool, AppError> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(_) => Err(AppError::invalid_field(name, "Use true or false.")),
    }
}

/// `{"csv": "..."}`: the JSON form of an import, for clients signed in with a cookie (whose
/// writes must be JSON) and for anyone who prefers it.
#[derive(serde::Deserialize, JsonSchema)]
#[schemars(rename = "CsvInput")]
#[serde(deny_unknown_fields)]
pub(crate) struct CsvBody {
    csv: String,
}

/// Reads the CSV of an import request: a `text/csv` (or plain text) body, or JSON
/// `{"csv": "..."}`. 415 for other types, 413 past the size limit, 422 `csv` for bytes that
/// are not UTF-8 and for JSON of another shape.
pub(super) async fn read_csv(
    content_type: Option<&ContentType>,
    data: Data<'_>,
) -> Result<String, AppError> {
    let json = content_type.is_some_and(|c| c.is_json());
    let csv_like =
        content_type.is_some_and(|c| c.top() == "text" && (c.sub() == "csv" || c.sub() == "plain"));
    if !json && !csv_like {
        return Err(AppError::new(
            ErrorKind::UnsupportedMediaType,
            "Send the file as text/csv, or as JSON {\"csv\": \"...\"}.",
        ));
    }
    // JSON escapes make the same file a little longer.
    let limit = if json { MAX_BYTES * 2 } else { MAX_BYTES };
    let bytes = data
        .open((limit as u64).bytes())
        .into_bytes()
        .await
        .map_err(|e| AppError::bad_request(format!("The upload failed: {e}")))?;
    if !bytes.is_complete() {
        return Err(AppError::new(ErrorKind::PayloadTooLarge, "The file is larger than 1 MiB."));
    }
    if json {
        return serde_json::from_slice::<CsvBody>(&bytes).map(|b| b.csv).map_err(|_| {
            AppError::invalid_field("csv", "Send {\"csv\": \"...\"} with the file's text.")
        });
    }
    String::from_utf8(bytes.into_inner())
        .map_err(|_| AppError::invalid_field("csv", "Save the file as UTF-8 text."))
}

/// The answer of an import: the dry run (200), or the commit's result (201).
#[derive(Responder)]
enum ImportAnswer {
    Preview(Json<ImportPreview>),
    Committed((Status, Json<ImportResult>)),
}

/// `POST /api/v1/admin/members/import?dry_run=true|false&send_invites=false` with a
/// `text/csv` body (bearer tokens) or JSON `{"csv": "..."}` (any client). A dry run (the default) stores the import and answers its preview with the
/// id to commit; `dry_run=false` commits the valid new rows at once.
#[post("/admin/members/import?<dry_run>&<send_invites>", data = "<data>")]
async fn import_csv(
    admin: AdminUser,
    dry_run: Option<String>,
    send_invites: Option<String>,
    content_type: Option<&ContentType>,
    data: Data<'_>,
    app: App,
) -> Result<ImportAnswer, AppError> {
    let dry_run = flag("dry_run", dry_run.as_deref(), true)?;
    let send_invites = flag("send_invites", send_invites.as_deref(), false)?;
    let text = read_csv(content_type, data).await?;
    let actor = admin.actor();
    if dry_run {
        let preview = app.write(move |tx, ctx| import::preview(tx, ctx, &actor, &text)).await?;
        return Ok(ImportAnswer::Preview(Json(preview)));
    }
    let result = app
        .write(move |tx, ctx| {
            let preview = import::preview(tx, ctx, &actor, &text)?;
            import::commit(tx, ctx, &actor, &preview.id, send_invites)
        })
        .await?;
    Ok(ImportAnswer::Committed((Status::Created, Json(result))))
}

/// `GET /api/v1/admin/members/import/{id}`: a stored import checked again, with its result
/// once committed.
#[get("/admin/members/import/<id>", rank = 3)]
async fn import_get(
    admin: AdminUser,
    id: String,
    app: App,
) -> Result<Json<ImportPreview>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, ctx| import::get(tx, ctx, &actor, &id)).await?))
}

/// `POST /api/v1/admin/members/import/{id}/commit` `{"send_invites"?}`: creates the valid new
/// rows; the same answer again, with `already_committed`, for a second commit.
#[post("/admin/members/import/<id>/commit", data = "<input>", rank = 3)]
async fn import_commit(
    admin: AdminUser,
    id: String,
    input: MaybeJson<CommitInput>,
    app: App,
) -> Result<Json<ImportResult>, AppError> {
    let actor = admin.actor();
    let send = input.into_inner().is_some_and(|i| i.send_invites);
    let result = app.write(move |tx, ctx| import::commit(tx, ctx, &actor, &id, send)).await?;
    Ok(Json(result))
}

/// `PUT /api/v1/admin/members/{id}/roles` `{"roles": [..]}`: the member's record after.
#[put("/admin/members/<id>/roles", data = "<input>")]
async fn roles(
    admin: AdminUser,
    id: i64,
    input: JsonBody<RolesInput>,
    client: Client,
    app: App,
) -> Result<Json<MemberDetail>, AppError> {
    let (actor, roles, ip) = (admin.actor(), input.into_inner().roles, client.0.ip);
    let detail = app
        .write(move |tx, ctx| {
            service::set_roles(tx, ctx, &actor, id, &roles, ip.as_deref())?;
            record::detail(tx, ctx, &actor, id)
        })
        .await?;
    Ok(Json(detail))
}

/// `DELETE /api/v1/admin/members/{id}/sessions`: signs the member out everywhere.
#[delete("/admin/members/<id>/sessions")]
async fn end_sessions(
    admin: AdminUser,
    id: i64,
    client: Client,
    app: App,
) -> Result<Json<SessionsEnded>, AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip);
    let ended =
        app.write(move |tx, ctx| service::end_sessions(tx, ctx, &actor, id, ip.as_deref())).await?;
    Ok(Json(ended))
}

/// `POST /api/v1/admin/members/{id}/two-factor/reset`: the member's record after.
#[post("/admin/members/<id>/two-factor/reset")]
async fn reset_two_factor(
    admin: AdminUser,
    id: i64,
    client: Client,
    app: App,
) -> Result<Json<MemberDetail>, AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip);
    let detail = app
        .write(move |tx, ctx| {
            service::reset_two_factor(tx, ctx, &actor, id, ip.as_deref())?;
            record::detail(tx, ctx, &actor, id)
        })
        .await?;
    Ok(Json(detail))
}

/// `POST /api/v1/admin/members/{id}/access` `{"kind": "claim_code" | "set_password"}`: 202.
#[post("/admin/members/<id>/access", data = "<input>")]
async fn send_access(
    admin: AdminUser,
    id: i64,
    input: JsonBody<AccessInput>,
    client: Client,
    app: App,
) -> Result<(Status, Json<AccessSent>), AppError> {
    let (actor, kind, ip) = (admin.actor(), input.into_inner().kind, client.0.ip);
    let sent = app
        .write(move |tx, ctx| service::send_access(tx, ctx, &actor, id, &kind, ip.as_deref()))
        .await?;
    Ok((Status::Accepted, Json(sent)))
}

/// `GET /api/v1/admin/members/{id}/deletion`: what deleting the account removes and keeps.
#[get("/admin/members/<id>/deletion")]
async fn deletion(admin: AdminUser, id: i64, app: App) -> Result<Json<DeletionView>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, _| service::deletion(tx, &actor, id)).await?))
}

/// `DELETE /api/v1/admin/members/{id}` `{"confirm": "<username>"}`.
#[delete("/admin/members/<id>", data = "<input>")]
async fn delete_member(
    admin: AdminUser,
    id: i64,
    input: JsonBody<DeleteInput>,
    client: Client,
    app: App,
) -> Result<Json<Deleted>, AppError> {
    let (actor, confirm, ip) = (admin.actor(), input.into_inner().confirm, client.0.ip);
    let deleted = app
        .write(move |tx, ctx| service::delete(tx, ctx, &actor, id, &confirm, ip.as_deref()))
        .await?;
    Ok(Json(deleted))
}

/// `POST /api/v1/admin/members`: pre-registers a member (status `invited`, no password).
#[post("/admin/members", data = "<input>")]
async fn create_member(
    admin: AdminUser,
    input: JsonBody<NewMemberInput>,
    app: App,
) -> Result<(Status, Json<CreatedMember>), AppError> {
    let (actor, cmd) = (admin.actor(), NewMember::from(input.into_inner()));
    let created =
        app.write(move |tx, ctx| preregister::create_member(tx, ctx, &actor, cmd)).await?;
    Ok((Status::Created, Json(created)))
}

// ----- the member record and its status -----

#[get("/admin/members/<id>")]
async fn member(admin: AdminUser, id: i64, app: App) -> Result<Json<MemberDetail>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, ctx| record::detail(tx, ctx, &actor, id)).await?))
}

/// Runs `change` on member `id`; the body is optional: `{"note"?}` or nothing.
async fn change_status(
    admin: AdminUser,
    id: i64,
    input: MaybeJson<StatusNoteInput>,
    app: App,
    change: record::StatusChange,
) -> Result<Json<MemberDetail>, AppError> {
    let (actor, note) = (admin.actor(), input.into_inner().and_then(|i| i.note));
    let detail = app.write(move |tx, ctx| change(tx, ctx, &actor, id, note.as_deref())).await?;
    Ok(Json(detail))
}

#[post("/admin/members/<id>/activate", data = "<input>")]
async fn activate(
    admin: AdminUser,
    id: i64,
    input: MaybeJson<StatusNoteInput>,
    app: App,
) -> Result<Json<MemberDetail>, AppError> {
    change_status(admin, id, input, app, record::activate).await
}

#[post("/admin/members/<id>/disable", data = "<input>")]
async fn disable(
    admin: AdminUser,
    id: i64,
    input: MaybeJson<StatusNoteInput>,
    app: App,
) -> Result<Json<MemberDetail>, AppError> {
    change_status(admin, id, input, app, record::disable).await
}

#[post("/admin/members/<id>/enable", data = "<input>")]
async fn enable(
    admin: AdminUser,
    id: i64,
    input: MaybeJson<StatusNoteInput>,
    app: App,
) -> Result<Json<MemberDetail>, AppError> {
    change_status(admin, id, input, app, record::enable).await
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        list,
        export,
        import_csv,
        import_get,
        import_commit,
        roles,
        end_sessions,
        reset_two_factor,
        send_access,
        deletion,
        delete_member,
        member,
        activate,
        disable,
        enable,
        create_member
    ]
}

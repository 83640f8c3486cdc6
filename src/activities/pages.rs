//! Activity pages: the member's log (`/activities`), recording and editing entries, the coach's
//! members (`/coach`) and the admin's activity types (`/admin/activity-types`).

use rocket::{get, post, routes, Route};

use super::input::{id_of, ActivityCommand};
use super::input::{ActivityForm, ListQuery, NewTypeInput, TypeChangeInput};
use super::service;
use super::views::{
    blank_form, FilterEcho, FormPage, FormValues, ListPage, NewTypeEcho, TypesPage,
};
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{ActiveMember, App, OrganizerUser};
use crate::web::page::{encode_query_value, PageResponse, Shell};

const LIST: &str = "activities/list.html";
const FORM: &str = "activities/form.html";
const COACH: &str = "activities/coach.html";
const TYPES: &str = "admin/activity_types.html";

impl From<&ActivityForm> for FormValues {
    fn from(f: &ActivityForm) -> Self {
        FormValues {
            member_id: f.member_id.clone(),
            started_local: f.started_local.clone(),
            duration_minutes: f.duration_minutes.clone(),
            type_key: f.type_key.clone(),
            format: f.format.clone(),
            venue: f.venue.clone(),
            coach_id: f.coach_id.clone(),
            notes: f.notes.clone(),
        }
    }
}

/// `path?k=v&...` with the non-empty pairs, values encoded.
fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// The log of `member_id` (another member's) or one's own.
fn log_url(own_id: i64, member_id: i64) -> String {
    if member_id == own_id {
        "/activities".to_string()
    } else {
        format!("/activities?member_id={member_id}")
    }
}

fn list_page(q: &ListQuery, own: bool, list: Option<super::views::ActivityList>) -> ListPage {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let filter = FilterEcho {
        from: text(&q.from),
        to: text(&q.to),
        type_key: text(&q.type_key),
        member_id: if own { String::new() } else { text(&q.member_id) },
    };
    let per_page = text(&q.per_page);
    let pairs = |page: String| {
        with_query(
            "/activities",
            &[
                ("from", &filter.from),
                ("to", &filter.to),
                ("type", &filter.type_key),
                ("member_id", &filter.member_id),
                ("per_page", &per_page),
                ("page", &page),
            ],
        )
    };
    let (prev_url, next_url) = match &list {
        Some(l) => (
            (l.page > 1).then(|| pairs((l.page - 1).to_string())),
            (l.page < l.pages).then(|| pairs((l.page + 1).to_string())),
        ),
        None => (None, None),
    };
    let filters = [
        ("from", filter.from.as_str()),
        ("to", filter.to.as_str()),
        ("type", filter.type_key.as_str()),
        ("member_id", filter.member_id.as_str()),
    ];
    ListPage {
        export_url: with_query("/api/v1/activities/export.csv", &filters),
        new_url: with_query("/activities/new", &[("member_id", &filter.member_id)]),
        prev_url,
        next_url,
        filter,
        types: Vec::new(),
        own,
        coach: false,
        list,
    }
}

#[get("/activities?<q..>")]
async fn index(
    member: ActiveMember,
    q: ListQuery,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, query) = (member.actor(), q.clone());
    let (list, types) = app
        .read(move |tx, _| Ok((service::list(tx, &actor, &query), service::all_types(tx)?)))
        .await?;
    let (list, err) = match list {
        Ok(list) => (Some(list), None),
        Err(err) => (None, Some(err)),
    };
    let me = member.0.user_id;
    let own = match &list {
        Some(l) => l.member.id == me,
        None => q
            .member_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .is_none_or(|s| s == me.to_string()),
    };
    let mut page = list_page(&q, own, list);
    page.types = types;
    page.coach = member.0.is_coach();
    match err {
        None => Ok(PageResponse::page(shell.render(LIST, &page))),
        Some(err) => shell.form_error(LIST, &page, err).map(PageResponse::from),
    }
}

#[get("/activities/new?<member_id>")]
async fn new(
    member: ActiveMember,
    member_id: Option<i64>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, own_id) = (member.actor(), member.0.user_id);
    let page = app
        .read(move |tx, ctx| {
            let who = service::form_member(tx, &actor, member_id)?;
            let own = who.person.id == own_id;
            Ok(FormPage {
                editing: None,
                member_name: None,
                action: "/activities".into(),
                cancel_url: log_url(own_id, who.person.id),
                form: blank_form(&who, own, ctx.now_unix()),
                options: service::form_options(tx, &actor, Some(who.person.id), None)?,
            })
        })
        .await?;
    Ok(PageResponse::page(shell.render(FORM, &page)))
}

#[post("/activities", data = "<form>")]
async fn create(
    member: ActiveMember,
    form: CsrfForm<ActivityForm>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, own_id, form) = (member.actor(), member.0.user_id, form.into_inner());
    let cmd = ActivityCommand::from(&form);
    match app.write(move |tx, ctx| service::record(tx, ctx, &actor, cmd)).await {
        Ok(view) => Ok(PageResponse::done(log_url(own_id, view.member.id), "Activity recorded.")),
        Err(err) => {
            let (actor, member_id) = (member.actor(), id_of(&form.member_id));
            let options =
                app.read(move |tx, _| service::form_options(tx, &actor, member_id, None)).await?;
            let page = FormPage {
                editing: None,
                member_name: None,
                action: "/activities".into(),
                cancel_url: log_url(own_id, member_id.unwrap_or(own_id)),
                form: FormValues::from(&form),
                options,
            };
            shell.form_error(FORM, &page, err).map(PageResponse::from)
        }
    }
}

/// The edit page of entry `id` showing `values` (the entry's own when None).
async fn edit_page(
    app: &App,
    member: &ActiveMember,
    id: i64,
    values: Option<FormValues>,
) -> Result<FormPage, AppError> {
    let (actor, own_id) = (member.actor(), member.0.user_id);
    app.read(move |tx, _| {
        let a = service::get_for_edit(tx, &actor, id)?;
        let owner = a.member.id;
        Ok(FormPage {
            editing: Some(id),
            member_name: (owner != own_id).then(|| a.member.name.clone()),
            action: format!("/activities/{id}/edit"),
            cancel_url: log_url(own_id, owner),
            form: values.unwrap_or_else(|| FormValues::of(&a)),
            options: service::form_options(tx, &actor, Some(owner), Some(&a))?,
        })
    })
    .await
}

#[get("/activities/<id>/edit")]
async fn edit(
    member: ActiveMember,
    id: i64,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let page = edit_page(&app, &member, id, None).await?;
    Ok(PageResponse::page(shell.render(FORM, &page)))
}

#[post("/activities/<id>/edit", data = "<form>")]
async fn update(
    member: ActiveMember,
    id: i64,
    form: CsrfForm<ActivityForm>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, own_id, form) = (member.actor(), member.0.user_id, form.into_inner());
    let cmd = ActivityCommand::from(&form);
    match app.write(move |tx, ctx| service::update(tx, ctx, &actor, id, cmd)).await {
        Ok(view) => Ok(PageResponse::done(log_url(own_id, view.member.id), "Activity updated.")),
        Err(err) => {
            let page = edit_page(&app, &member, id, Some(FormValues::from(&form))).await?;
            shell.form_error(FORM, &page, err).map(PageResponse::from)
        }
    }
}

#[post("/activities/<id>/delete", data = "<_form>")]
async fn delete(
    member: ActiveMember,
    id: i64,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, own_id) = (member.actor(), member.0.user_id);
    let owner = app.write(move |tx, ctx| service::delete(tx, ctx, &actor, id)).await?;
    Ok(PageResponse::done(log_url(own_id, owner), "Activity deleted."))
}

#[get("/coach")]
async fn coach(member: ActiveMember, shell: Shell, app: App) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    let view = app.read(move |tx, _| service::coached_members(tx, &actor)).await?;
    Ok(PageResponse::page(shell.render(COACH, &view)))
}

async fn types_page(
    app: &App,
    org: &OrganizerUser,
    form: NewTypeEcho,
    editing: Option<i64>,
) -> Result<TypesPage, AppError> {
    let actor = org.actor();
    let types = app.read(move |tx, _| service::admin_types(tx, &actor)).await?;
    Ok(TypesPage { types, form, editing, no_errors: Default::default() })
}

#[get("/admin/activity-types")]
async fn types(org: OrganizerUser, shell: Shell, app: App) -> Result<PageResponse, AppError> {
    let page = types_page(&app, &org, NewTypeEcho::default(), None).await?;
    Ok(PageResponse::page(shell.render(TYPES, &page)))
}

#[post("/admin/activity-types", data = "<form>")]
async fn add_type(
    org: OrganizerUser,
    form: CsrfForm<NewTypeInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let echo = NewTypeEcho {
        key: input.key.clone(),
        label: input.label.clone(),
        position: input.position.map(|p| p.to_string()).unwrap_or_default(),
    };
    let actor = org.actor();
    match app.write(move |tx, ctx| service::create_type(tx, ctx, &actor, input)).await {
        Ok(t) => Ok(PageResponse::done(
            "/admin/activity-types",
            &format!("The type “{}” was added.", t.label),
        )),
        Err(err) => {
            let page = types_page(&app, &org, echo, None).await?;
            shell.form_error(TYPES, &page, err).map(PageResponse::from)
        }
    }
}

#[post("/admin/activity-types/<id>", data = "<form>")]
async fn rename_type(
    org: OrganizerUser,
    id: i64,
    form: CsrfForm<TypeChangeInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let mut input = form.into_inner();
    input.archived = None;
    let actor = org.actor();
    match app.write(move |tx, ctx| service::update_type(tx, ctx, &actor, id, input)).await {
        Ok(t) => Ok(PageResponse::done(
            "/admin/activity-types",
            &format!("The type “{}” was saved.", t.label),
        )),
        Err(err) => {
            let page = types_page(&app, &org, NewTypeEcho::default(), Some(id)).await?;
            shell.form_error(TYPES, &page, err).map(PageResponse::from)
        }
    }
}

async fn set_archived(
    org: OrganizerUser,
    id: i64,
    archived: bool,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = org.actor();
    let input = TypeChangeInput { archived: Some(archived), ..TypeChangeInput::default() };
    let t = app.write(move |tx, ctx| service::update_type(tx, ctx, &actor, id, input)).await?;
    let note = if archived {
        format!(
            "The type “{}” was archived: old entries keep it, new ones cannot choose it.",
            t.label
        )
    } else {
        format!("The type “{}” can be chosen again.", t.label)
    };
    Ok(PageResponse::done("/admin/activity-types", &note))
}

#[post("/admin/activity-types/<id>/archive", data = "<_form>")]
async fn archive_type(
    org: OrganizerUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    set_archived(org, id, true, app).await
}

#[post("/admin/activity-types/<id>/restore", data = "<_form>")]
async fn restore_type(
    org: OrganizerUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    set_archived(org, id, false, app).await
}

#[post("/admin/activity-types/<id>/delete", data = "<_form>")]
async fn delete_type(
    org: OrganizerUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = org.actor();
    let removal = app.write(move |tx, ctx| service::remove_type(tx, ctx, &actor, id)).await?;
    Ok(PageResponse::done("/admin/activity-types", &removal.message))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        index,
        new,
        create,
        edit,
        update,
        delete,
        coach,
        types,
        add_type,
        rename_type,
        archive_type,
        restore_type,
        delete_type
    ]
}

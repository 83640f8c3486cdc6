//! The club's side of membership, as admins set it up: the profile fields members fill in and
//! the agreement they sign. Every function here is for admins only. (What an admin does to one
//! member's account lives in `people`.)

use rusqlite::Connection;
use serde_json::json;

use super::input::{AgreementInput, FieldInput};
use super::model::{FieldKind, ProfileField, Visibility};
use super::repo;
use super::views::{AgreementAdminView, AgreementVersion};
use crate::accounts::model::{Actor, UserStatus};
use crate::audit::{self, AuditEvent};
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};

fn admin_only(actor: &Actor) -> Result<(), AppError> {
    actor.require_admin("This part of Clubroom is for club admins.")
}

// ----- club fields -----

/// The club's profile fields, in order.
pub(crate) fn fields(conn: &Connection, actor: &Actor) -> Result<Vec<ProfileField>, AppError> {
    admin_only(actor)?;
    repo::list_fields(conn)
}

fn check_key(key: &str) -> Result<(), String> {
    let ok = (1..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err("Use 1 to 40 of a-z, 0-9 and _, starting with a letter.".into())
    }
}

/// Adds a club field (`id` None) or changes one. Key: a-z, 0-9 and _, unique (409 `key`);
/// label 1..=80; a choice field needs 1..=50 distinct choices. A field's type cannot change
/// once members answered it (422 `kind`), since their answers were checked against it.
pub(crate) fn save_field(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: Option<i64>,
    input: FieldInput,
) -> Result<ProfileField, AppError> {
    admin_only(actor)?;
    let mut field = match id {
        Some(id) => repo::find_field(conn, id)?
            .ok_or_else(|| AppError::not_found("There is no such field."))?,
        None => ProfileField {
            id: 0,
            key: String::new(),
            label: String::new(),
            kind: FieldKind::Text,
            required: false,
            visibility: Visibility::Private,
            choices: Vec::new(),
            position: repo::next_field_position(conn)?,
        },
    };
    let answered = id.is_some() && field_has_answers(conn, field.id)?;
    let mut v = Validator::new();
    if let Some(key) = input.key.map(|k| k.trim().to_string()) {
        v.result("key", check_key(&key));
        field.key = key;
    }
    if id.is_none() {
        v.result("key", check_key(&field.key));
    }
    if let Some(label) = input.label.map(|l| l.trim().to_string()) {
        field.label = label;
    }
    v.check(
        !field.label.is_empty()
            && field.label.chars().count() <= 80
            && !field.label.chars().any(char::is_control),
        "label",
        "Use 1 to 80 characters.",
    );
    if let Some(kind) = input.kind {
        match kind.trim().parse::<FieldKind>() {
            Ok(kind) if answered && kind != field.kind => {
                v.check(false, "kind", "Members have answered this field: its type cannot change.");
            }
            Ok(kind) => field.kind = kind,
            Err(message) => {
                v.check(false, "kind", message);
            }
        }
    }
    if let Some(visibility) = input.visibility {
        match visibility.trim().parse::<Visibility>() {
            Ok(visibility) => field.visibility = visibility,
            Err(message) => {
                v.check(false, "visibility", message);
            }
        }
    }
    if let Some(required) = input.required {
        field.required = required;
    }
    if let Some(position) = input.position {
        v.check((0..=10_000).contains(&position), "position", "Use 0 to 10000.");
        field.position = position;
    }
    if let Some(choices) = input.choices {
        let mut clean: Vec<String> = Vec::new();
        for c in choices.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            if !clean.iter().any(|x| x == c) {
                clean.push(c.to_string());
            }
        }
        v.check(
            clean.iter().all(|c| c.chars().count() <= 80 && !c.chars().any(char::is_control)),
            "choices",
            "Each choice may have at most 80 characters.",
        );
        field.choices = clean;
    }
    if field.kind == FieldKind::Choice {
        v.check(
            (1..=50).contains(&field.choices.len()),
            "choices",
            "Give between 1 and 50 choices.",
        );
    } else {
        field.choices.clear();
    }
    v.finish()?;
    if repo::key_taken(conn, &field.key, field.id)? {
        return Err(AppError::conflict_field("key", "Another field already uses this key."));
    }
    let now = ctx.now_unix();
    let saved = repo::save_field(conn, &field, now)?;
    let kind = if id.is_some() { "profile_field_changed" } else { "profile_field_added" };
    audit::record_action(
        conn,
        actor,
        kind,
        format!("profile_field:{}", field.key),
        ctx.now_unix(),
    )?;
    repo::find_field(conn, saved)?.ok_or_else(|| AppError::internal("field vanished"))
}

fn field_has_answers(conn: &Connection, field_id: i64) -> Result<bool, AppError> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM profile_values WHERE field_id = ?1",
        [field_id],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// Removes a club field and every member's answer to it. 404 for an unknown id.
pub(crate) fn delete_field(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<(), AppError> {
    admin_only(actor)?;
    let field = repo::find_field(conn, id)?
        .ok_or_else(|| AppError::not_found("There is no such field."))?;
    repo::delete_field(conn, id)?;
    audit::record_action(
        conn,
        actor,
        "profile_field_deleted",
        format!("profile_field:{}", field.key),
        ctx.now_unix(),
    )
}

// ----- the agreement -----

/// The current agreement and every version with how many members signed it.
pub(crate) fn agreement(conn: &Connection, actor: &Actor) -> Result<AgreementAdminView, AppError> {
    admin_only(actor)?;
    let counts = repo::signature_counts(conn)?;
    let count = |id: i64| counts.iter().find(|(a, _)| *a == id).map_or(0, |(_, n)| *n);
    let current = repo::current_agreement(conn)?.map(|a| {
        let n = count(a.id);
        AgreementVersion::of(a, n)
    });
    let versions = repo::agreements(conn)?
        .into_iter()
        .map(|a| {
            let n = count(a.id);
            AgreementVersion::of(a, n)
        })
        .collect();
    Ok(AgreementAdminView { current, versions })
}

/// Publishes a new version of the club agreement (title 1..=120, text 1..=50000 characters).
/// Members who signed an older version are asked to sign again; members still joining must
/// sign it before they can be activated.
pub(crate) fn publish_agreement(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    input: AgreementInput,
) -> Result<AgreementAdminView, AppError> {
    admin_only(actor)?;
    let (title, body) = (input.title.trim(), input.body.trim().replace("\r\n", "\n"));
    let mut v = Validator::new();
    v.check(
        !title.is_empty() && title.chars().count() <= 120 && !title.chars().any(char::is_control),
        "title",
        "Use 1 to 120 characters.",
    );
    v.check(
        !body.is_empty() && body.chars().count() <= 50_000,
        "body",
        "Write the agreement (at most 50000 characters).",
    );
    v.finish()?;
    let now = ctx.now_unix();
    let version = repo::insert_agreement(conn, title, &body, actor.user_id(), now)?;
    let event = AuditEvent::new("agreement_published")
        .actor_opt(actor.user_id())
        .target(format!("agreement:{version}"))
        .detail(json!({ "title": title }));
    audit::record(conn, event, now)?;
    move_everyone_on(conn, ctx, actor)?;
    agreement(conn, actor)
}

/// Stops asking for an agreement. Members who were waiting only for it move on. 409 when there
/// is no agreement.
pub(crate) fn retire_agreement(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
) -> Result<AgreementAdminView, AppError> {
    admin_only(actor)?;
    let current = repo::current_agreement(conn)?
        .ok_or_else(|| AppError::conflict("The club has no agreement in force."))?;
    repo::retire_agreement(conn, current.id, ctx.now_unix())?;
    audit::record_action(
        conn,
        actor,
        "agreement_retired",
        format!("agreement:{}", current.version),
        ctx.now_unix(),
    )?;
    move_everyone_on(conn, ctx, actor)?;
    agreement(conn, actor)
}

/// Re-checks everyone who is joining after the requirements changed.
fn move_everyone_on(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<(), AppError> {
    for status in [UserStatus::PendingContract, UserStatus::PendingReview] {
        for id in repo::ids_with_status(conn, status)? {
            super::service::advance(conn, ctx, id, actor.user_id())?;
        }
    }
    Ok(())
}

//! The club's activity types, as admins and organizers curate them.

use rusqlite::Connection;
use serde_json::json;

use super::{MAX_KEY, MAX_LABEL, MAX_POSITION};
use crate::accounts::model::Actor;
use crate::activities::model::ActivityType;
use crate::activities::repo;
use crate::activities::views::{AdminTypeView, TypeRemoval};
use crate::audit::{self, AuditEvent};
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};

/// Activity types are the club's programme, not its people: organizers manage them too.
fn organizer_only(actor: &Actor) -> Result<(), AppError> {
    if actor.is_organizer() {
        Ok(())
    } else {
        Err(AppError::forbidden("Only organizers and admins can manage activity types."))
    }
}

fn check_label(v: &mut Validator, label: &str) {
    v.check(
        !label.is_empty() && label.chars().count() <= MAX_LABEL,
        "label",
        format!("Use 1 to {MAX_LABEL} characters."),
    )
    .check(!label.chars().any(char::is_control), "label", "Use a single line.");
}

fn check_position(v: &mut Validator, position: Option<i64>) {
    if let Some(p) = position {
        v.check(
            (0..=MAX_POSITION).contains(&p),
            "position",
            format!("Use a number from 0 to {MAX_POSITION}."),
        );
    }
}

/// A key is a lowercase slug: letters and digits, words joined by single `-` or `_`.
fn is_slug(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY
        && key.split(['-', '_']).all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn type_or_404(conn: &Connection, id: i64) -> Result<ActivityType, AppError> {
    repo::get_type(conn, id)?.ok_or_else(|| AppError::not_found("No such activity type."))
}

fn admin_view(conn: &Connection, id: i64) -> Result<AdminTypeView, AppError> {
    let t = type_or_404(conn, id)?;
    Ok(AdminTypeView::of(&t, repo::count_using_type(conn, id)?))
}

fn audit_type(
    conn: &Connection,
    actor: &Actor,
    kind: &str,
    t: &ActivityType,
    now: i64,
) -> Result<(), AppError> {
    let event = AuditEvent::new(kind)
        .actor_opt(actor.user_id())
        .target(format!("activity_type:{}", t.id))
        .detail(json!({ "key": t.key }));
    audit::record(conn, event, now)
}

/// Every type, archived ones too, with how many entries use each. Organizers and admins only (403).
pub(crate) fn admin_types(
    conn: &Connection,
    actor: &Actor,
) -> Result<Vec<AdminTypeView>, AppError> {
    organizer_only(actor)?;
    let usage: std::collections::HashMap<i64, i64> = repo::type_usage(conn)?.into_iter().collect();
    Ok(repo::list_types(conn, true)?
        .iter()
        .map(|t| AdminTypeView::of(t, usage.get(&t.id).copied().unwrap_or(0)))
        .collect())
}

/// Adds a type (organizers and admins only, 403). 422 for a key that is not a lowercase slug of at most 40
/// characters, a label not 1 to 60 characters, a position outside 0..=10000; 409 naming `key`
/// when the key is taken (archived types keep theirs).
pub(crate) fn create_type(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    input: crate::activities::input::NewTypeInput,
) -> Result<AdminTypeView, AppError> {
    organizer_only(actor)?;
    let key = input.key.trim();
    let label = input.label.trim();
    let mut v = Validator::new();
    v.check(
        is_slug(key),
        "key",
        format!(
            "Use lowercase letters and digits, words joined by - or _ (at most {MAX_KEY}), e.g. open-water."
        ),
    );
    check_label(&mut v, label);
    check_position(&mut v, input.position);
    v.finish()?;
    if repo::find_type_by_key(conn, key)?.is_some() {
        return Err(AppError::conflict_field(
            "key",
            "Another activity type already uses this key.",
        ));
    }
    let position = match input.position {
        Some(p) => p,
        None => repo::next_type_position(conn)?,
    };
    let now = ctx.now_unix();
    let id = repo::insert_type(conn, key, label, position, now)?;
    let t = type_or_404(conn, id)?;
    audit_type(conn, actor, "activity_type_created", &t, now)?;
    Ok(AdminTypeView::of(&t, 0))
}

/// Renames, reorders, archives (`archived: true`) or restores a type; only the fields given
/// change. Organizers and admins only (403); 404 for an unknown id; 422 as in `create_type`.
pub(crate) fn update_type(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    input: crate::activities::input::TypeChangeInput,
) -> Result<AdminTypeView, AppError> {
    organizer_only(actor)?;
    let t = type_or_404(conn, id)?;
    let label = input.label.as_deref().map(str::trim).unwrap_or(&t.label).to_string();
    let mut v = Validator::new();
    check_label(&mut v, &label);
    check_position(&mut v, input.position);
    v.finish()?;
    let now = ctx.now_unix();
    let archived_at = match input.archived {
        Some(true) => t.archived_at.or(Some(now)),
        Some(false) => None,
        None => t.archived_at,
    };
    repo::update_type(conn, id, &label, input.position.unwrap_or(t.position), archived_at)?;
    let kind = match (t.archived_at.is_some(), archived_at.is_some()) {
        (false, true) => "activity_type_archived",
        (true, false) => "activity_type_restored",
        _ => "activity_type_changed",
    };
    audit_type(conn, actor, kind, &t, now)?;
    admin_view(conn, id)
}

/// Deletes a type no entry uses. One that entries use is archived instead, so their history
/// keeps its type; the answer says which happened. Organizers and admins only (403); 404 for an unknown id.
pub(crate) fn remove_type(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<TypeRemoval, AppError> {
    organizer_only(actor)?;
    let t = type_or_404(conn, id)?;
    let used = repo::count_using_type(conn, id)?;
    let now = ctx.now_unix();
    if used == 0 {
        repo::delete_type(conn, id)?;
        audit_type(conn, actor, "activity_type_deleted", &t, now)?;
        return Ok(TypeRemoval {
            deleted: true,
            archived: false,
            message: format!("The type “{}” was deleted.", t.label),
            activity_type: None,
        });
    }
    if t.is_active() {
        repo::update_type(conn, id, &t.label, t.position, Some(now))?;
        audit_type(conn, actor, "activity_type_archived", &t, now)?;
    }
    let entries = if used == 1 { "1 activity uses" } else { "activities use" };
    let count = if used == 1 { String::new() } else { format!("{used} ") };
    Ok(TypeRemoval {
        deleted: false,
        archived: true,
        message: format!(
            "{count}{entries} the type “{}”, so it was archived instead: old entries keep it, new ones cannot choose it.",
            t.label
        ),
        activity_type: Some(admin_view(conn, id)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lowercase_slugs() {
        for good in ["walk", "open-water", "u12_match", "5k"] {
            assert!(is_slug(good), "{good}");
        }
        for bad in ["", "Walk", "open water", "-walk", "walk-", "a--b", "ü", &"a".repeat(41)] {
            assert!(!is_slug(bad), "{bad}");
        }
    }
}

//! The services admins define (lessons, a dog walk...), and what members may book.

use rusqlite::Connection;

use super::{admin_only, too_long, DURATION_MAX, DURATION_MIN, NAME_MAX, NOTES_MAX};
use crate::accounts::model::Actor;
use crate::audit;
use crate::bookings::repo;
use crate::bookings::views::{AdminServicesPage, RemovedService, ServiceForm, ServiceView};
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::values::text;

/// A service as an admin defines it.
pub(crate) struct ServiceCmd {
    pub name: String,
    pub duration_minutes: Option<i64>,
    pub notes: String,
    /// Updates only: archive (true) or make bookable again (false).
    pub archived: Option<bool>,
}

fn check_service(conn: &Connection, cmd: &ServiceCmd, id: Option<i64>) -> Result<i64, AppError> {
    let mut v = Validator::new();
    let name = cmd.name.trim();
    v.check(!name.is_empty(), "name", "Give the service a name.");
    v.check(
        !too_long(name, NAME_MAX) && !name.chars().any(char::is_control),
        "name",
        format!("Use at most {NAME_MAX} characters on one line."),
    );
    let duration = cmd.duration_minutes.unwrap_or(0);
    v.check(
        (DURATION_MIN..=DURATION_MAX).contains(&duration),
        "duration_minutes",
        format!("Give the length in minutes, from {DURATION_MIN} to {DURATION_MAX}."),
    );
    v.check(
        !too_long(&cmd.notes, NOTES_MAX),
        "notes",
        format!("Use at most {NOTES_MAX} characters."),
    );
    v.check(text::is_plain(&cmd.notes), "notes", text::CONTROL_CHARACTERS);
    v.finish()?;
    let archived_now = match id {
        Some(id) => repo::get_service(conn, id)?.is_some_and(|s| s.archived_at.is_some()),
        None => false,
    };
    let bookable = !cmd.archived.unwrap_or(archived_now);
    if bookable && repo::bookable_name_taken(conn, name, id)? {
        return Err(AppError::conflict_field("name", "A bookable service already has this name."));
    }
    Ok(duration)
}

fn service_view(conn: &Connection, id: i64) -> Result<ServiceView, AppError> {
    let service =
        repo::get_service(conn, id)?.ok_or_else(|| AppError::not_found("No such service."))?;
    Ok(ServiceView::of(&service, Some(repo::count_bookings_of_service(conn, id)?)))
}

fn audit_service(
    conn: &Connection,
    actor: &Actor,
    kind: &str,
    id: i64,
    now: i64,
) -> Result<(), AppError> {
    audit::record_action(conn, actor, kind, format!("service:{id}"), now)
}

/// Every service, archived ones last, with how often each was booked. Admins only (403).
pub(crate) fn admin_services(
    conn: &Connection,
    actor: &Actor,
) -> Result<Vec<ServiceView>, AppError> {
    admin_only(actor)?;
    let counts: std::collections::HashMap<i64, i64> =
        repo::booking_counts(conn)?.into_iter().collect();
    Ok(repo::list_services(conn, true)?
        .iter()
        .map(|s| ServiceView::of(s, Some(counts.get(&s.id).copied().unwrap_or(0))))
        .collect())
}

/// One service, for editing. Admins only (403); 404 for an unknown id.
pub(crate) fn admin_service(
    conn: &Connection,
    actor: &Actor,
    id: i64,
) -> Result<ServiceView, AppError> {
    admin_only(actor)?;
    service_view(conn, id)
}

/// The services members can book now (not archived), by name.
pub(crate) fn bookable_services(conn: &Connection) -> Result<Vec<ServiceView>, AppError> {
    Ok(repo::list_services(conn, false)?.iter().map(|s| ServiceView::of(s, None)).collect())
}

/// Defines a new bookable service. Admins only (403). 422 for a name outside 1..=80 characters,
/// a duration outside 5..=1440 minutes or notes over 1000 characters or with control characters
/// other than line breaks and tabs; 409 when a bookable
/// service already has the name.
pub(crate) fn create_service(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    cmd: ServiceCmd,
) -> Result<ServiceView, AppError> {
    admin_only(actor)?;
    if cmd.archived == Some(true) {
        return Err(AppError::invalid_field("archived", "A new service cannot start archived."));
    }
    let duration = check_service(conn, &cmd, None)?;
    let now = ctx.now_unix();
    let id = repo::insert_service(conn, cmd.name.trim(), duration, cmd.notes.trim(), now)?;
    audit_service(conn, actor, "service_created", id, now)?;
    service_view(conn, id)
}

/// Replaces a service's name, duration and notes, and archives or restores it when `archived`
/// is given. Bookings already made keep the duration they were made with. Admins only (403);
/// 404 for an unknown id; 422 and 409 as for creating.
pub(crate) fn update_service(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    cmd: ServiceCmd,
) -> Result<ServiceView, AppError> {
    admin_only(actor)?;
    let before =
        repo::get_service(conn, id)?.ok_or_else(|| AppError::not_found("No such service."))?;
    let duration = check_service(conn, &cmd, Some(id))?;
    let now = ctx.now_unix();
    repo::update_service(conn, id, cmd.name.trim(), duration, cmd.notes.trim(), now)?;
    match (cmd.archived, before.archived_at) {
        (Some(true), None) => repo::set_service_archived(conn, id, Some(now), now)?,
        (Some(false), Some(_)) => repo::set_service_archived(conn, id, None, now)?,
        _ => {}
    }
    audit_service(conn, actor, "service_updated", id, now)?;
    service_view(conn, id)
}

/// Archives a service (it stays on its bookings but cannot be booked) or makes it bookable
/// again. Admins only (403); 404 for an unknown id; 409 when restoring it would give two
/// bookable services the same name.
pub(crate) fn set_archived(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    archived: bool,
) -> Result<ServiceView, AppError> {
    admin_only(actor)?;
    let service =
        repo::get_service(conn, id)?.ok_or_else(|| AppError::not_found("No such service."))?;
    let now = ctx.now_unix();
    if archived && service.archived_at.is_none() {
        repo::set_service_archived(conn, id, Some(now), now)?;
        audit_service(conn, actor, "service_archived", id, now)?;
    } else if !archived && service.archived_at.is_some() {
        if repo::bookable_name_taken(conn, &service.name, Some(id))? {
            return Err(AppError::conflict_field(
                "name",
                "A bookable service already has this name; rename one of them first.",
            ));
        }
        repo::set_service_archived(conn, id, None, now)?;
        audit_service(conn, actor, "service_restored", id, now)?;
    }
    service_view(conn, id)
}

/// Deletes a service that was never booked; one with bookings is archived instead, so the
/// bookings keep their service. The answer says which. Admins only (403); 404 for an unknown id.
pub(crate) fn remove_service(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<RemovedService, AppError> {
    admin_only(actor)?;
    let service =
        repo::get_service(conn, id)?.ok_or_else(|| AppError::not_found("No such service."))?;
    let now = ctx.now_unix();
    if repo::count_bookings_of_service(conn, id)? == 0 {
        repo::delete_service(conn, id)?;
        audit_service(conn, actor, "service_deleted", id, now)?;
        return Ok(RemovedService {
            id,
            result: "deleted",
            message: format!("{} was deleted.", service.name),
        });
    }
    if service.archived_at.is_none() {
        repo::set_service_archived(conn, id, Some(now), now)?;
        audit_service(conn, actor, "service_archived", id, now)?;
    }
    Ok(RemovedService {
        id,
        result: "archived",
        message: format!(
            "{} has bookings, so it was archived instead of deleted: members can no longer book it.",
            service.name
        ),
    })
}

/// The admin services page with `form` (new, or editing a service). Admins only (403).
pub(crate) fn services_page(
    conn: &Connection,
    actor: &Actor,
    form: ServiceForm,
) -> Result<AdminServicesPage, AppError> {
    Ok(AdminServicesPage { services: admin_services(conn, actor)?, form })
}

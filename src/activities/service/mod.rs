//! The rules of the activity log: who may record, read, change and export which entries, what
//! a valid entry is, and how admins curate the activity types.
//!
//! Access in one place: a member reads and changes their own entries; the coach named as a
//! member's coach (users.coach_id, holding the coach role) reads that member's entries, records
//! for them, and changes the entries they recorded; admins read, record and change anyone's.
//! Everyone else is told the entry does not exist. That rule lives here, in `Viewer` and the
//! functions below it; the parts use it:
//!
//! - `entries`: recording, reading, changing and deleting an entry.
//! - `listing`: lists and CSV exports.
//! - `forms`: what the forms offer (the coach's members, the types).
//! - `types`: the club's activity types.

mod entries;
mod forms;
mod listing;
mod types;

pub(crate) use entries::*;
pub(crate) use forms::*;
pub(crate) use listing::*;
pub(crate) use types::*;

use rusqlite::Connection;
use serde_json::json;

use super::model::{Activity, Member};
use super::repo;
use crate::accounts::model::{Actor, Role};
use crate::audit::{self, AuditEvent};
use crate::error::AppError;

pub(crate) const MAX_MINUTES: i64 = 1440;
pub(crate) const MAX_VENUE: usize = 120;
pub(crate) const MAX_NOTES: usize = 2000;
pub(crate) const DEFAULT_PER_PAGE: i64 = 20;
pub(crate) const MAX_PER_PAGE: i64 = 100;
const MAX_KEY: usize = 40;
const MAX_LABEL: usize = 60;
const MAX_POSITION: i64 = 10_000;
/// How far ahead an entry may start: a member planning tonight's session from another time
/// zone is fine, next week is a typo.
const FUTURE_SLACK_SECS: i64 = 86_400;

/// The signed-in person as the activity log sees them.
#[derive(Debug, Clone, Copy)]
struct Viewer {
    id: i64,
    admin: bool,
    coach: bool,
}

impl Viewer {
    fn of(actor: &Actor) -> Result<Viewer, AppError> {
        match actor {
            Actor::User(u) => {
                Ok(Viewer { id: u.user_id, admin: u.is_admin(), coach: u.has_role(Role::Coach) })
            }
        }
    }

    /// Whether they coach the member whose coach is `coach_id`.
    fn coaches(self, coach_id: Option<i64>) -> bool {
        self.coach && coach_id == Some(self.id)
    }

    fn may_read(self, a: &Activity) -> bool {
        a.member.id == self.id || self.admin || self.coaches(a.member_coach_id)
    }

    fn may_change(self, a: &Activity) -> bool {
        a.member.id == self.id
            || self.admin
            || (self.coaches(a.member_coach_id)
                && a.recorded_by.as_ref().is_some_and(|r| r.id == self.id))
    }
}

fn not_found() -> AppError {
    AppError::not_found("No such activity.")
}

fn own_member(conn: &Connection, viewer: Viewer) -> Result<Member, AppError> {
    repo::member(conn, viewer.id)?.ok_or_else(|| AppError::internal("signed-in user vanished"))
}

/// Whose log an entry goes into. Plain members record only for themselves (403 otherwise);
/// coaches for the active members they coach (403 for anyone else, known or not); admins for
/// any active member (422 `member_id` for no such member).
fn member_to_record_for(
    conn: &Connection,
    viewer: Viewer,
    member_id: Option<i64>,
) -> Result<Member, AppError> {
    let Some(id) = member_id.filter(|id| *id != viewer.id) else {
        return own_member(conn, viewer);
    };
    if !viewer.admin && !viewer.coach {
        return Err(AppError::forbidden("You can record activities only for yourself."));
    }
    let member = repo::member(conn, id)?;
    if !viewer.admin && !member.as_ref().is_some_and(|m| viewer.coaches(m.coach_id)) {
        return Err(AppError::forbidden(
            "You can record activities only for yourself and the members you coach.",
        ));
    }
    match member {
        Some(m) if m.is_active() => Ok(m),
        _ => Err(AppError::invalid_field("member_id", "Choose an active member of the club.")),
    }
}

/// Whose log a list or export shows: one's own, a coached member's, or (admins) anyone's.
/// 404 for anyone else, so member ids reveal nothing.
fn member_to_list(
    conn: &Connection,
    viewer: Viewer,
    member_id: Option<i64>,
) -> Result<Member, AppError> {
    let Some(id) = member_id.filter(|id| *id != viewer.id) else {
        return own_member(conn, viewer);
    };
    match repo::member(conn, id)? {
        Some(m) if viewer.admin || viewer.coaches(m.coach_id) => Ok(m),
        _ => Err(AppError::not_found("No such member.")),
    }
}

fn readable(conn: &Connection, viewer: Viewer, id: i64) -> Result<Activity, AppError> {
    match repo::get(conn, id)? {
        Some(a) if viewer.may_read(&a) => Ok(a),
        _ => Err(not_found()),
    }
}

/// An entry the viewer may change: 404 when they may not even read it, 403 when they may read
/// but not change it (a coach and an entry the member recorded).
fn changeable(conn: &Connection, viewer: Viewer, id: i64) -> Result<Activity, AppError> {
    let a = readable(conn, viewer, id)?;
    if viewer.may_change(&a) {
        Ok(a)
    } else {
        Err(AppError::forbidden(
            "Only the member, an admin or the coach who recorded it can change this entry.",
        ))
    }
}

fn audit_for_other(
    conn: &Connection,
    viewer: Viewer,
    kind: &str,
    a: &Activity,
    now: i64,
) -> Result<(), AppError> {
    if a.member.id == viewer.id {
        return Ok(());
    }
    let event = AuditEvent::new(kind)
        .actor(viewer.id)
        .target(format!("activity:{}", a.id))
        .detail(json!({ "member_id": a.member.id }));
    audit::record(conn, event, now)
}

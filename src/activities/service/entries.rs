//! Recording, reading, changing and deleting entries of the log.

use rusqlite::Connection;

use super::{
    audit_for_other, changeable, member_to_record_for, not_found, readable, Viewer,
    FUTURE_SLACK_SECS, MAX_MINUTES, MAX_NOTES, MAX_VENUE,
};
use crate::accounts::model::{Actor, Role};
use crate::activities::input::{ActivityCommand, Start};
use crate::activities::model::{Activity, Format, Member, NewActivity};
use crate::activities::repo;
use crate::activities::views::ActivityView;
use crate::clock::{self, zone};
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::values::text;

/// A command that passed validation.
struct Checked {
    started_at: i64,
    duration_minutes: i64,
    type_id: i64,
    format: Format,
    venue: String,
    coach_id: Option<i64>,
    notes: String,
}

impl Checked {
    fn as_new(&self, user_id: i64, recorded_by: i64) -> NewActivity<'_> {
        NewActivity {
            user_id,
            started_at: self.started_at,
            duration_minutes: self.duration_minutes,
            type_id: self.type_id,
            format: self.format,
            venue: &self.venue,
            coach_id: self.coach_id,
            notes: &self.notes,
            recorded_by: Some(recorded_by),
        }
    }
}

fn read_start(start: &Start, tz: chrono_tz::Tz) -> Result<i64, &'static str> {
    let (text, parsed, bad) = match start {
        Start::Instant(s) => (
            s,
            clock::parse_rfc3339(s),
            "Use an RFC 3339 time with an offset, such as 2026-03-01T18:30:00Z.",
        ),
        Start::Local(s) => (s, clock::parse_local(s, tz), "Enter a valid date and time."),
    };
    if text.trim().is_empty() {
        return Err("Enter when the activity started.");
    }
    parsed.ok_or(bad)
}

/// Checks every field of `cmd` for `member`, naming each bad one. `keep_type` is the type an
/// edited entry already has: it stays allowed even if archived since.
fn check(
    conn: &Connection,
    ctx: &Ctx,
    cmd: &ActivityCommand,
    member: &Member,
    keep_type: Option<i64>,
) -> Result<Checked, AppError> {
    let mut v = Validator::new();
    let started_at = match read_start(&cmd.started_at, zone(&member.timezone)) {
        Ok(t) if t > ctx.now_unix() + FUTURE_SLACK_SECS => {
            v.check(false, "started_at", "That is more than a day in the future.");
            t
        }
        Ok(t) if t < 0 => {
            v.check(false, "started_at", "Enter a date after 1970.");
            t
        }
        Ok(t) => t,
        Err(message) => {
            v.check(false, "started_at", message);
            0
        }
    };
    let duration_minutes = cmd.duration_minutes.unwrap_or(0);
    v.check(
        (1..=MAX_MINUTES).contains(&duration_minutes),
        "duration_minutes",
        format!("Enter the duration in whole minutes, from 1 to {MAX_MINUTES}."),
    );
    let key = cmd.type_key.trim();
    let kind = if key.is_empty() { None } else { repo::find_type_by_key(conn, key)? };
    match &kind {
        None if key.is_empty() => {
            v.check(false, "type", "Choose the type of activity.");
        }
        None => {
            v.check(false, "type", "There is no activity type with this key.");
        }
        Some(t) if !t.is_active() && keep_type != Some(t.id) => {
            v.check(false, "type", "This type is archived; choose another one.");
        }
        Some(_) => {}
    }
    let format = cmd.format.trim().parse::<Format>();
    if let Err(message) = &format {
        v.check(false, "format", message.clone());
    }
    let venue = cmd.venue.trim().to_string();
    v.check(
        venue.chars().count() <= MAX_VENUE,
        "venue",
        format!("Use at most {MAX_VENUE} characters."),
    )
    .check(!venue.chars().any(char::is_control), "venue", "Use a single line.");
    let notes = cmd.notes.trim().to_string();
    v.check(
        notes.chars().count() <= MAX_NOTES,
        "notes",
        format!("Use at most {MAX_NOTES} characters."),
    )
    .check(text::is_plain(&notes), "notes", text::CONTROL_CHARACTERS);
    if let Some(coach) = cmd.coach_id {
        v.check(
            repo::has_role(conn, coach, Role::Coach.as_str())?,
            "coach_id",
            "Choose one of the club's coaches.",
        );
    }
    v.finish()?;
    let (Some(kind), Ok(format)) = (kind, format) else {
        return Err(AppError::internal("validated activity lost its type or format"));
    };
    Ok(Checked {
        started_at,
        duration_minutes,
        type_id: kind.id,
        format,
        venue,
        coach_id: cmd.coach_id,
        notes,
    })
}

/// Records an activity for oneself, or (coaches, admins) for a member: see
/// `member_to_record_for` for who may record for whom (403, or 422 `member_id`). 422 naming
/// each invalid field: `started_at` (missing, unreadable, more than a day ahead), `duration_minutes`
/// (1 to 1440), `type` (unknown or archived), `format`, `venue` (120), `notes` (2000, no control
/// characters but line breaks and tabs),
/// `coach_id` (not a coach). The recorder is kept as `recorded_by`.
pub(crate) fn record(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    cmd: ActivityCommand,
) -> Result<ActivityView, AppError> {
    let viewer = Viewer::of(actor)?;
    let member = member_to_record_for(conn, viewer, cmd.member_id)?;
    let checked = check(conn, ctx, &cmd, &member, None)?;
    let now = ctx.now_unix();
    let id = repo::insert(conn, &checked.as_new(member.person.id, viewer.id), now)?;
    let a = repo::get(conn, id)?.ok_or_else(not_found)?;
    audit_for_other(conn, viewer, "activity_recorded", &a, now)?;
    Ok(ActivityView::of(&a, viewer.may_change(&a)))
}

/// One entry, for its member, their coach or an admin; 404 for anyone else.
pub(crate) fn get(conn: &Connection, actor: &Actor, id: i64) -> Result<ActivityView, AppError> {
    let viewer = Viewer::of(actor)?;
    let a = readable(conn, viewer, id)?;
    Ok(ActivityView::of(&a, viewer.may_change(&a)))
}

/// The raw entry for an edit form, under the rules of `update` (404, 403).
pub(crate) fn get_for_edit(
    conn: &Connection,
    actor: &Actor,
    id: i64,
) -> Result<Activity, AppError> {
    changeable(conn, Viewer::of(actor)?, id)
}

/// Replaces what an entry says. Its member, or an admin, or the coach who recorded it for a
/// member they coach; 404 for whoever may not read it, 403 for a coach who may read but did
/// not record it. The entry stays with its member (422 `member_id` for another one); the fields
/// are checked as in `record`, except that an entry keeps a type archived since.
pub(crate) fn update(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    cmd: ActivityCommand,
) -> Result<ActivityView, AppError> {
    let viewer = Viewer::of(actor)?;
    let a = changeable(conn, viewer, id)?;
    if cmd.member_id.is_some_and(|m| m != a.member.id) {
        return Err(AppError::invalid_field(
            "member_id",
            "An entry stays with its member; record a new one for someone else.",
        ));
    }
    let member = repo::member(conn, a.member.id)?.ok_or_else(not_found)?;
    let checked = check(conn, ctx, &cmd, &member, Some(a.type_id))?;
    let now = ctx.now_unix();
    let recorder = a.recorded_by.as_ref().map_or(viewer.id, |r| r.id);
    repo::update(conn, id, &checked.as_new(a.member.id, recorder), now)?;
    audit_for_other(conn, viewer, "activity_changed", &a, now)?;
    let a = repo::get(conn, id)?.ok_or_else(not_found)?;
    Ok(ActivityView::of(&a, viewer.may_change(&a)))
}

/// Deletes an entry, under the rules of `update` (404, 403). Returns whose log it was in.
pub(crate) fn delete(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<i64, AppError> {
    let viewer = Viewer::of(actor)?;
    let a = changeable(conn, viewer, id)?;
    repo::delete(conn, id)?;
    audit_for_other(conn, viewer, "activity_deleted", &a, ctx.now_unix())?;
    Ok(a.member.id)
}

//! The rules of the activity log: who may record, read, change and export which entries, what
//! a valid entry is, and how admins curate the activity types.
//!
//! Access in one place: a member reads and changes their own entries; the coach named as a
//! member's coach (users.coach_id, holding the coach role) reads that member's entries, records
//! for them, and changes the entries they recorded; admins read, record and change anyone's.
//! Everyone else is told the entry does not exist.

use chrono::{NaiveDate, TimeZone};
use rusqlite::Connection;
use serde_json::json;

use super::export;
use super::model::{Activity, ActivityType, Filter, Format, Member, NewActivity};
use super::repo;
use super::views::{
    ActivityList, ActivityView, AdminTypeView, CoachedMemberView, CoachedMembers, FormOptions,
    PersonView, TypeRemoval, TypeView,
};
use crate::accounts::model::{Actor, Role};
use crate::audit::{self, AuditEvent};
use crate::clock::{self, zone};
use crate::csv_file::CsvFile;
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::paging::{Paging, Sizes};

pub const MAX_MINUTES: i64 = 1440;
pub const MAX_VENUE: usize = 120;
pub const MAX_NOTES: usize = 2000;
pub const DEFAULT_PER_PAGE: i64 = 20;
pub const MAX_PER_PAGE: i64 = 100;
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
            Actor::System => Err(AppError::forbidden("The activity log is kept by members.")),
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

/// When an activity started, as the API or the form gave it.
#[derive(Debug, Clone)]
pub enum Start {
    /// RFC 3339 with an offset.
    Instant(String),
    /// A `datetime-local` value, read in the member's time zone.
    Local(String),
}

/// An activity to record or the new contents of one.
#[derive(Debug, Clone)]
pub struct ActivityCommand {
    /// Whom it is for; None for oneself.
    pub member_id: Option<i64>,
    pub started_at: Start,
    /// None when missing or not a number.
    pub duration_minutes: Option<i64>,
    pub type_key: String,
    pub format: String,
    pub venue: String,
    pub coach_id: Option<i64>,
    pub notes: String,
}

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
    );
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

/// Records an activity for oneself, or (coaches, admins) for a member: see
/// `member_to_record_for` for who may record for whom (403, or 422 `member_id`). 422 naming
/// each invalid field: `started_at` (missing, unreadable, more than a day ahead), `duration_minutes`
/// (1 to 1440), `type` (unknown or archived), `format`, `venue` (120), `notes` (2000),
/// `coach_id` (not a coach). The recorder is kept as `recorded_by`.
pub fn record(
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
pub fn get(conn: &Connection, actor: &Actor, id: i64) -> Result<ActivityView, AppError> {
    let viewer = Viewer::of(actor)?;
    let a = readable(conn, viewer, id)?;
    Ok(ActivityView::of(&a, viewer.may_change(&a)))
}

/// The raw entry for an edit form, under the rules of `update` (404, 403).
pub fn get_for_edit(conn: &Connection, actor: &Actor, id: i64) -> Result<Activity, AppError> {
    changeable(conn, Viewer::of(actor)?, id)
}

/// Replaces what an entry says. Its member, or an admin, or the coach who recorded it for a
/// member they coach; 404 for whoever may not read it, 403 for a coach who may read but did
/// not record it. The entry stays with its member (422 `member_id` for another one); the fields
/// are checked as in `record`, except that an entry keeps a type archived since.
pub fn update(
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
pub fn delete(conn: &Connection, ctx: &Ctx, actor: &Actor, id: i64) -> Result<i64, AppError> {
    let viewer = Viewer::of(actor)?;
    let a = changeable(conn, viewer, id)?;
    repo::delete(conn, id)?;
    audit_for_other(conn, viewer, "activity_deleted", &a, ctx.now_unix())?;
    Ok(a.member.id)
}

/// A list query once read: whose log, which entries, which page.
struct Listing {
    member: Member,
    filter: Filter,
    paging: Paging,
}

/// Midnight at the start of `date` in `tz`; on the rare days a clock change skips midnight,
/// the first minute that exists.
fn start_of_day(date: NaiveDate, tz: chrono_tz::Tz) -> Option<i64> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    (0..=180).step_by(15).find_map(|minutes| {
        let t = midnight + chrono::Duration::minutes(minutes);
        tz.from_local_datetime(&t).earliest().map(|t| t.timestamp())
    })
}

/// A range bound: a date (the whole day, in `tz`) or an RFC 3339 instant, both inclusive.
/// Returns the bound as a half-open range edge: `from` as is, `to` just past the end.
fn read_bound(text: &str, tz: chrono_tz::Tz, end: bool) -> Option<i64> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let date = if end { date.succ_opt()? } else { date };
        return start_of_day(date, tz);
    }
    clock::parse_rfc3339(text).map(|t| if end { t + 1 } else { t })
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn read_number(v: &mut Validator, field: &str, value: &Option<String>) -> Option<i64> {
    let text = non_empty(value)?;
    let n = text.parse::<i64>().ok();
    v.check(n.is_some(), field, "Use a whole number.");
    n
}

/// Reads a list query against the log it asks for. 404 for a member the viewer may not list;
/// 422 naming `from`, `to` (unreadable, or before `from`), `type` (unknown key), `page`,
/// `per_page` (1 to 100) or `member_id`.
fn read_listing(
    conn: &Connection,
    viewer: Viewer,
    q: &super::input::ListQuery,
) -> Result<Listing, AppError> {
    let mut v = Validator::new();
    let member_id = read_number(&mut v, "member_id", &q.member_id);
    let sizes = Sizes { default: DEFAULT_PER_PAGE, max: MAX_PER_PAGE };
    let paging = Paging::check(&mut v, q.page.as_deref(), q.per_page.as_deref(), sizes);
    v.finish()?;
    let member = match member_id {
        Some(id) => member_to_list(conn, viewer, Some(id))?,
        None => own_member(conn, viewer)?,
    };
    let mut filter = read_filter(conn, q, &member.timezone)?;
    filter.user_id = Some(member.person.id);
    Ok(Listing { member, filter, paging })
}

/// The date range and type of a query, dates read in the zone named `timezone`.
fn read_filter(
    conn: &Connection,
    q: &super::input::ListQuery,
    timezone: &str,
) -> Result<Filter, AppError> {
    let tz = zone(timezone);
    let mut v = Validator::new();
    let bad_date = "Use a date (YYYY-MM-DD) or an RFC 3339 time.";
    let from = non_empty(&q.from).map(|t| read_bound(t, tz, false));
    let to = non_empty(&q.to).map(|t| read_bound(t, tz, true));
    v.check(!matches!(from, Some(None)), "from", bad_date).check(
        !matches!(to, Some(None)),
        "to",
        bad_date,
    );
    let (from, to) = (from.flatten(), to.flatten());
    if let (Some(f), Some(t)) = (from, to) {
        v.check(f < t, "to", "The end of the range is before its start.");
    }
    let kind = match non_empty(&q.type_key) {
        Some(key) => {
            let found = repo::find_type_by_key(conn, key)?;
            v.check(found.is_some(), "type", "There is no activity type with this key.");
            found
        }
        None => None,
    };
    v.finish()?;
    Ok(Filter { user_id: None, from, to, type_id: kind.map(|k| k.id) })
}

/// One page of a log, newest first, with the number of entries and minutes the filters cover.
/// One's own log, or with `member_id` a coached member's (coaches) or anyone's (admins); see
/// `read_listing` for the errors.
pub fn list(
    conn: &Connection,
    actor: &Actor,
    q: &super::input::ListQuery,
) -> Result<ActivityList, AppError> {
    let viewer = Viewer::of(actor)?;
    let l = read_listing(conn, viewer, q)?;
    let (total, total_minutes) = repo::totals(conn, &l.filter)?;
    let rows = repo::list(conn, &l.filter, Some(l.paging.per_page), l.paging.offset())?;
    Ok(ActivityList {
        items: rows.iter().map(|a| ActivityView::of(a, viewer.may_change(a))).collect(),
        page: l.paging.page,
        per_page: l.paging.per_page,
        total,
        total_minutes,
        pages: l.paging.pages(total),
        member: PersonView::from(&l.member.person),
        time_zone: super::views::zone_name(&l.member.timezone),
    })
}

/// Every entry of a log the viewer may list (as `list`, without paging) as a CSV file.
pub fn export(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    q: &super::input::ListQuery,
) -> Result<CsvFile, AppError> {
    let viewer = Viewer::of(actor)?;
    let l = read_listing(conn, viewer, q)?;
    let rows = repo::list(conn, &l.filter, None, 0)?;
    export::member_csv(&rows, &l.member.person.username, ctx.now_unix())
}

/// Every member's entries as a CSV file with member columns: admins only (403). Filters as
/// `list`, `member_id` narrowing to one member; dates are read in that member's time zone, or
/// else in the admin's own.
pub fn export_all(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    q: &super::input::ListQuery,
) -> Result<CsvFile, AppError> {
    if !actor.is_admin() {
        return Err(AppError::forbidden("Only club admins can export every member's activities."));
    }
    let viewer = Viewer::of(actor)?;
    let mut v = Validator::new();
    let member_id = read_number(&mut v, "member_id", &q.member_id);
    v.finish()?;
    let member = match member_id {
        Some(id) => Some(
            repo::member(conn, id)?
                .ok_or_else(|| AppError::invalid_field("member_id", "No such member."))?,
        ),
        None => None,
    };
    let timezone = match &member {
        Some(m) => m.timezone.clone(),
        None => own_member(conn, viewer)?.timezone,
    };
    let mut filter = read_filter(conn, q, &timezone)?;
    filter.user_id = member.map(|m| m.person.id);
    let rows = repo::list(conn, &filter, None, 0)?;
    export::club_csv(&rows, ctx.now_unix())
}

/// The active members whose coach is the signed-in coach (or admin), with their totals. 403
/// for anyone else.
pub fn coached_members(conn: &Connection, actor: &Actor) -> Result<CoachedMembers, AppError> {
    let viewer = Viewer::of(actor)?;
    if !viewer.coach && !viewer.admin {
        return Err(AppError::forbidden("This page is for the club's coaches."));
    }
    let members = repo::coached_members(conn, viewer.id)?;
    Ok(CoachedMembers { members: members.iter().map(CoachedMemberView::from).collect() })
}

/// The types members can choose now, in the club's order.
pub fn choosable_types(conn: &Connection) -> Result<Vec<TypeView>, AppError> {
    Ok(repo::list_types(conn, false)?.iter().map(TypeView::from).collect())
}

/// Every type, archived ones too (for filtering old entries).
pub fn all_types(conn: &Connection) -> Result<Vec<TypeView>, AppError> {
    Ok(repo::list_types(conn, true)?.iter().map(TypeView::from).collect())
}

/// What the record or edit form offers the viewer: the choosable types, the coaches, and the
/// members they may record for (everyone active for admins, their own members for coaches,
/// none for others). An edited entry (`keep`) keeps its type and coach on offer even if the
/// type was archived or the coach's account disabled since, so saving it loses nothing. Times
/// are read in the zone of `member_id`'s member when the viewer may see that member, else their
/// own.
pub fn form_options(
    conn: &Connection,
    actor: &Actor,
    member_id: Option<i64>,
    keep: Option<&Activity>,
) -> Result<FormOptions, AppError> {
    let viewer = Viewer::of(actor)?;
    let mut types = repo::list_types(conn, true)?;
    types.retain(|t| t.is_active() || keep.is_some_and(|a| a.type_id == t.id));
    let mut coaches: Vec<PersonView> = repo::coaches(conn)?.iter().map(PersonView::from).collect();
    if let Some(coach) = keep.and_then(|a| a.coach.as_ref()) {
        if !coaches.iter().any(|c| c.id == coach.id) {
            coaches.push(PersonView::from(coach));
        }
    }
    let members = if viewer.admin {
        repo::active_members(conn, None)?
    } else if viewer.coach {
        repo::active_members(conn, Some(viewer.id))?
    } else {
        Vec::new()
    };
    let visible = match member_id {
        Some(id) => repo::member(conn, id)?
            .filter(|m| m.person.id == viewer.id || viewer.admin || viewer.coaches(m.coach_id)),
        None => None,
    };
    let shown = match visible {
        Some(m) => m,
        None => own_member(conn, viewer)?,
    };
    Ok(FormOptions {
        types: types.iter().map(TypeView::from).collect(),
        coaches,
        members: members
            .iter()
            .filter(|m| m.person.id != viewer.id)
            .map(|m| PersonView::from(&m.person))
            .collect(),
        time_zone: super::views::zone_name(&shown.timezone),
    })
}

/// The member a new-entry form is for: oneself, or one the viewer may record for (else 403 or
/// 422 as in `record`).
pub fn form_member(
    conn: &Connection,
    actor: &Actor,
    member_id: Option<i64>,
) -> Result<Member, AppError> {
    member_to_record_for(conn, Viewer::of(actor)?, member_id)
}

// ----- activity types (admin) -----

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
pub fn admin_types(conn: &Connection, actor: &Actor) -> Result<Vec<AdminTypeView>, AppError> {
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
pub fn create_type(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    input: super::input::NewTypeInput,
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
pub fn update_type(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    input: super::input::TypeChangeInput,
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
pub fn remove_type(
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

    #[test]
    fn date_bounds_cover_whole_local_days() {
        let oslo = zone("Europe/Oslo");
        // 10 January in Oslo starts at 23:00 UTC the day before and ends 24 hours later.
        let from = read_bound("2026-01-10", oslo, false).unwrap();
        let to = read_bound("2026-01-10", oslo, true).unwrap();
        assert_eq!(clock::rfc3339_at(from), "2026-01-09T23:00:00Z");
        assert_eq!(to - from, 86_400);
        // An instant is inclusive at both ends.
        let t = read_bound("2026-01-10T12:00:00Z", oslo, true).unwrap();
        assert_eq!(clock::rfc3339_at(t - 1), "2026-01-10T12:00:00Z");
        assert_eq!(read_bound("10/01/2026", oslo, false), None);
        // The spring-forward day is 23 hours long.
        let day = read_bound("2026-03-29", oslo, true).unwrap()
            - read_bound("2026-03-29", oslo, false).unwrap();
        assert_eq!(day, 23 * 3600);
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_the_first_minute_that_exists() {
        // Santiago skipped from 00:00 to 01:00 on 2022-09-11.
        let santiago = zone("America/Santiago");
        let date = NaiveDate::from_ymd_opt(2022, 9, 11).unwrap();
        let t = start_of_day(date, santiago).unwrap();
        assert_eq!(clock::format_in(t, santiago, "%H:%M"), "01:00");
    }
}

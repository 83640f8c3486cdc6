//! Booking use cases: the services admins define, members' requests and cancellations, admins'
//! decisions (emailed to the member) and completion (recorded as an activity), and each
//! member's private calendar feed.

use chrono::{NaiveDate, TimeZone};
use rusqlite::Connection;
use serde_json::json;

use super::ical::{self, Calendar, Event};
use super::model::{Booking, BookingStatus, Member};
use super::repo::{self, BookingFilter, NewBooking};
use super::views::{
    AdminBookingsPage, AdminServicesPage, BookingForm, BookingRow, BookingView, FeedView,
    FilterForm, MemberBookingsPage, RemovedService, ServiceForm, ServiceView,
};
use crate::accounts::model::Actor;
use crate::activities::model::{Format, NewActivity};
use crate::audit::{self, AuditEvent};
use crate::clock::{format_in, parse_local, parse_rfc3339, rfc3339_at, zone};
use crate::ctx::Ctx;
use crate::email;
use crate::error::{AppError, Validator};
use crate::personal_link::{LinkRecord, PersonalLink};
use crate::settings;

pub const NAME_MAX: usize = 80;
pub const DURATION_MIN: i64 = 5;
pub const DURATION_MAX: i64 = 1440;
pub const NOTES_MAX: usize = 1000;
/// How far ahead a member may ask for a time.
pub const MAX_DAYS_AHEAD: i64 = 730;
/// How far back the calendar feed reaches.
const FEED_DAYS_BACK: i64 = 365;

fn admin_only(actor: &Actor) -> Result<(), AppError> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden("Only club admins can do this."))
    }
}

fn member_id(actor: &Actor) -> Result<i64, AppError> {
    actor.user_id().ok_or_else(|| AppError::forbidden("Bookings belong to members."))
}

fn club_name(conn: &Connection) -> Result<String, AppError> {
    Ok(settings::get(conn, settings::CLUB_NAME)?
        .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.into()))
}

/// The zone name as people read it ('' is UTC).
pub fn zone_label(name: &str) -> String {
    zone(name).name().to_string()
}

/// The time zone the user sees and enters times in.
pub fn viewer_zone(conn: &Connection, actor: &Actor) -> Result<String, AppError> {
    match actor.user_id() {
        Some(id) => Ok(zone_label(&repo::timezone_of(conn, id)?)),
        None => Ok("UTC".into()),
    }
}

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

// ----- services -----

/// A service as an admin defines it.
pub struct ServiceCmd {
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
    let event = AuditEvent::new(kind).actor_opt(actor.user_id()).target(format!("service:{id}"));
    audit::record(conn, event, now)
}

/// Every service, archived ones last, with how often each was booked. Admins only (403).
pub fn admin_services(conn: &Connection, actor: &Actor) -> Result<Vec<ServiceView>, AppError> {
    admin_only(actor)?;
    let counts: std::collections::HashMap<i64, i64> =
        repo::booking_counts(conn)?.into_iter().collect();
    Ok(repo::list_services(conn, true)?
        .iter()
        .map(|s| ServiceView::of(s, Some(counts.get(&s.id).copied().unwrap_or(0))))
        .collect())
}

/// One service, for editing. Admins only (403); 404 for an unknown id.
pub fn admin_service(conn: &Connection, actor: &Actor, id: i64) -> Result<ServiceView, AppError> {
    admin_only(actor)?;
    service_view(conn, id)
}

/// The services members can book now (not archived), by name.
pub fn bookable_services(conn: &Connection) -> Result<Vec<ServiceView>, AppError> {
    Ok(repo::list_services(conn, false)?.iter().map(|s| ServiceView::of(s, None)).collect())
}

/// Defines a new bookable service. Admins only (403). 422 for a name outside 1..=80 characters,
/// a duration outside 5..=1440 minutes or notes over 1000 characters; 409 when a bookable
/// service already has the name.
pub fn create_service(
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
pub fn update_service(
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
pub fn set_archived(
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
pub fn remove_service(
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

// ----- bookings: members -----

/// A requested start as the API (RFC 3339) or a form (`datetime-local` in the member's zone)
/// gives it.
pub enum StartInput {
    Rfc3339(String),
    Local(String),
}

pub struct RequestBooking {
    pub service_id: Option<i64>,
    pub start: StartInput,
    pub notes: String,
}

fn get_booking(conn: &Connection, id: i64) -> Result<Booking, AppError> {
    repo::get_booking(conn, id)?.ok_or_else(|| AppError::not_found("No such booking."))
}

/// The member's own booking; someone else's answers 404 like a missing one, so ids reveal
/// nothing.
fn own_booking(conn: &Connection, actor: &Actor, id: i64) -> Result<Booking, AppError> {
    let user_id = member_id(actor)?;
    match repo::get_booking(conn, id)? {
        Some(b) if b.user_id == user_id => Ok(b),
        _ => Err(AppError::not_found("No such booking.")),
    }
}

/// Asks for a service at a time; the booking starts pending until an admin decides. 422 naming
/// the field for an unknown or archived `service_id`, a `requested_start` that is not a valid
/// time, not in the future or more than two years ahead, and notes over 1000 characters.
pub fn request(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    cmd: RequestBooking,
) -> Result<BookingView, AppError> {
    let user_id = member_id(actor)?;
    let now = ctx.now_unix();
    let mut v = Validator::new();
    let service = match cmd.service_id {
        Some(id) => repo::get_service(conn, id)?,
        None => None,
    };
    match &service {
        None if cmd.service_id.is_none() => {
            v.check(false, "service_id", "Choose a service.");
        }
        None => {
            v.check(false, "service_id", "There is no such service.");
        }
        Some(s) if s.archived_at.is_some() => {
            v.check(false, "service_id", "This service can no longer be booked.");
        }
        Some(_) => {}
    }
    let start = match &cmd.start {
        StartInput::Rfc3339(s) if s.trim().is_empty() => None,
        StartInput::Local(s) if s.trim().is_empty() => None,
        StartInput::Rfc3339(s) => Some(parse_rfc3339(s).ok_or(
            "Give the time in RFC 3339 form with an offset, like 2026-03-01T18:30:00+01:00.",
        )),
        StartInput::Local(s) => {
            let tz = zone(&repo::timezone_of(conn, user_id)?);
            Some(parse_local(s, tz).ok_or("Enter a date and time (this one does not exist here)."))
        }
    };
    match start {
        None => {
            v.check(false, "requested_start", "Choose when you would like it.");
        }
        Some(Err(why)) => {
            v.check(false, "requested_start", why);
        }
        Some(Ok(t)) => {
            v.check(t > now, "requested_start", "Choose a time in the future.");
            v.check(
                t <= now + MAX_DAYS_AHEAD * 86_400,
                "requested_start",
                "Choose a time within the next two years.",
            );
        }
    }
    let notes = cmd.notes.trim();
    v.check(!too_long(notes, NOTES_MAX), "notes", format!("Use at most {NOTES_MAX} characters."));
    v.finish()?;
    let (Some(service), Some(Ok(start))) = (service, start) else {
        return Err(AppError::internal("validated booking lost its parts"));
    };
    let id = repo::insert_booking(
        conn,
        &NewBooking {
            user_id,
            service_id: service.id,
            requested_start: start,
            duration_minutes: service.duration_minutes,
            notes,
        },
        now,
    )?;
    Ok(BookingView::of(&get_booking(conn, id)?, now))
}

fn parse_statuses(raw: Option<&str>) -> Result<Vec<BookingStatus>, AppError> {
    let mut statuses = Vec::new();
    for part in raw.unwrap_or_default().split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let status =
            part.parse::<BookingStatus>().map_err(|why| AppError::invalid_field("status", why))?;
        if !statuses.contains(&status) {
            statuses.push(status);
        }
    }
    Ok(statuses)
}

/// The member's own bookings, latest requested start first, optionally of some statuses
/// (`pending` or `pending,confirmed`; 422 `status` for an unknown one).
pub fn list_own(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    status: Option<&str>,
) -> Result<Vec<BookingView>, AppError> {
    let filter = BookingFilter {
        user_id: Some(member_id(actor)?),
        statuses: parse_statuses(status)?,
        ..BookingFilter::default()
    };
    let now = ctx.now_unix();
    Ok(repo::list_bookings(conn, &filter)?.iter().map(|b| BookingView::of(b, now)).collect())
}

/// The member's bookings page: what they can book, their bookings with times in their zone,
/// and their calendar feed. `form` is the request form to show (refilled after an error).
pub fn member_page(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    form: BookingForm,
) -> Result<MemberBookingsPage, AppError> {
    let user_id = member_id(actor)?;
    let time_zone = viewer_zone(conn, actor)?;
    let tz = zone(&time_zone);
    let now = ctx.now_unix();
    let filter = BookingFilter { user_id: Some(user_id), ..BookingFilter::default() };
    let bookings = repo::list_bookings(conn, &filter)?
        .iter()
        .map(|b| BookingRow::of(b, BookingView::of(b, now), tz, now))
        .collect();
    Ok(MemberBookingsPage {
        services: bookable_services(conn)?,
        bookings,
        form,
        feed_last_read: PersonalLink::CalendarFeed
            .current(conn, &ctx.secret, user_id)?
            .and_then(|link| link.last_used_at)
            .map(|t| format_in(t, tz, "%a %-d %b %Y, %H:%M")),
        feed: feed(conn, ctx, actor)?,
        min_start: format_in(now, tz, "%Y-%m-%dT%H:%M"),
        time_zone,
    })
}

/// One of the member's own bookings; 404 for a missing one and for anyone else's.
pub fn get_own(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<BookingView, AppError> {
    Ok(BookingView::of(&own_booking(conn, actor, id)?, ctx.now_unix()))
}

/// Cancels the member's own booking while it is pending, or confirmed and not yet started.
/// 404 for a missing booking or someone else's; 409 saying why otherwise (already started,
/// declined, cancelled or completed).
pub fn cancel(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<BookingView, AppError> {
    let booking = own_booking(conn, actor, id)?;
    let now = ctx.now_unix();
    if let Some(why) = booking.cancel_refusal(now) {
        return Err(AppError::conflict(why));
    }
    if !repo::cancel(conn, id, now)? {
        return Err(AppError::conflict("This booking changed meanwhile; reload and try again."));
    }
    Ok(BookingView::of(&get_booking(conn, id)?, now))
}

// ----- bookings: admins -----

/// The admin list's filter as given: a status list and a date range.
#[derive(Debug, Default, Clone)]
pub struct AdminFilter {
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A bound of a date filter: an RFC 3339 time, or a date in `tz` (`from` = its start, `to` =
/// the end of that day, so the range includes it).
fn date_bound(raw: &str, tz: chrono_tz::Tz, end_of_day: bool) -> Option<i64> {
    if let Some(t) = parse_rfc3339(raw) {
        return Some(t);
    }
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()?;
    let date = if end_of_day { date.succ_opt()? } else { date };
    let midnight = date.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight).earliest().map(|t| t.timestamp())
}

fn admin_bookings(
    conn: &Connection,
    actor: &Actor,
    filter: &AdminFilter,
) -> Result<Vec<Booking>, AppError> {
    admin_only(actor)?;
    let tz = zone(&viewer_zone(conn, actor)?);
    let statuses = parse_statuses(filter.status.as_deref())?;
    let mut v = Validator::new();
    let mut bound = |field: &str, raw: &Option<String>, end: bool| {
        let raw = raw.as_deref().map(str::trim).filter(|r| !r.is_empty())?;
        let t = date_bound(raw, tz, end);
        v.check(t.is_some(), field, "Give a date like 2026-03-01 (or an RFC 3339 time).");
        t
    };
    let from = bound("from", &filter.from, false);
    let until = bound("to", &filter.to, true);
    if let (Some(f), Some(u)) = (from, until) {
        v.check(u > f, "to", "The end of the range must come after its start.");
    }
    v.finish()?;
    repo::list_bookings(conn, &BookingFilter { user_id: None, statuses, from, until })
}

/// Every member's bookings, latest first, with the member named; filtered by status and by the
/// start's date range (dates in the admin's time zone). Admins only (403); 422 naming `status`,
/// `from` or `to` when unreadable or when `to` is before `from`.
pub fn admin_list(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    filter: &AdminFilter,
) -> Result<Vec<BookingView>, AppError> {
    let now = ctx.now_unix();
    Ok(admin_bookings(conn, actor, filter)?
        .iter()
        .map(|b| BookingView::for_admin(b, now))
        .collect())
}

/// The admin bookings page for `filter`, with the choices its forms offer. Errors as for
/// `admin_list`.
pub fn admin_page(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    filter: &AdminFilter,
) -> Result<AdminBookingsPage, AppError> {
    let bookings = admin_bookings(conn, actor, filter)?;
    let time_zone = viewer_zone(conn, actor)?;
    let (tz, now) = (zone(&time_zone), ctx.now_unix());
    Ok(AdminBookingsPage {
        bookings: bookings
            .iter()
            .map(|b| BookingRow::of(b, BookingView::for_admin(b, now), tz, now))
            .collect(),
        filter: FilterForm {
            status: filter.status.clone().unwrap_or_default(),
            from: filter.from.clone().unwrap_or_default(),
            to: filter.to.clone().unwrap_or_default(),
        },
        statuses: BookingStatus::ALL.iter().map(|s| s.as_str()).collect(),
        activity_types: repo::active_activity_types(conn)?,
        formats: Format::ALL.iter().map(|f| f.as_str()).collect(),
        time_zone,
        failed: None,
        message: String::new(),
    })
}

fn email_member(
    conn: &Connection,
    ctx: &Ctx,
    booking: &Booking,
    template: &str,
) -> Result<(), AppError> {
    let Some(member) = repo::member(conn, booking.user_id)? else { return Ok(()) };
    let Member { email: to, name, timezone, .. } = member;
    let tz = zone(&timezone);
    let data = json!({
        "club_name": club_name(conn)?,
        "name": name,
        "service": booking.service_name,
        "when": format_in(booking.requested_start, tz, "%A %-d %B %Y at %H:%M"),
        "time_zone": tz.name(),
        "duration_minutes": booking.duration_minutes,
        "message": booking.admin_message,
        "url": ctx.url("/bookings"),
    });
    email::queue(conn, ctx, &to, template, &data)?;
    Ok(())
}

fn decide(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    message: Option<String>,
    status: BookingStatus,
) -> Result<BookingView, AppError> {
    admin_only(actor)?;
    let booking = get_booking(conn, id)?;
    if booking.status != BookingStatus::Pending {
        return Err(AppError::conflict(format!(
            "Only pending bookings can be confirmed or declined; this one is {}.",
            booking.status.as_str()
        )));
    }
    let message = message.unwrap_or_default().trim().to_string();
    if too_long(&message, NOTES_MAX) {
        return Err(AppError::invalid_field(
            "message",
            format!("Use at most {NOTES_MAX} characters."),
        ));
    }
    let now = ctx.now_unix();
    if !repo::decide(conn, id, status, &message, actor.user_id(), now)? {
        return Err(AppError::conflict("This booking changed meanwhile; reload and try again."));
    }
    let booking = get_booking(conn, id)?;
    // The email template and the audit entry share the name.
    let kind = match status {
        BookingStatus::Confirmed => "booking_confirmed",
        _ => "booking_declined",
    };
    email_member(conn, ctx, &booking, kind)?;
    let event = AuditEvent::new(kind)
        .actor_opt(actor.user_id())
        .target(format!("booking:{id}"))
        .detail(json!({ "user_id": booking.user_id, "service_id": booking.service_id }));
    audit::record(conn, event, now)?;
    Ok(BookingView::for_admin(&booking, now))
}

/// Confirms a pending booking and emails the member, with the admin's message if any. Admins
/// only (403); 404 for an unknown id; 409 unless it is pending; 422 `message` over 1000
/// characters. Audited.
pub fn confirm(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    message: Option<String>,
) -> Result<BookingView, AppError> {
    decide(conn, ctx, actor, id, message, BookingStatus::Confirmed)
}

/// Declines a pending booking and emails the member, with the admin's message if any. Errors
/// as for `confirm`. Audited.
pub fn decline(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    message: Option<String>,
) -> Result<BookingView, AppError> {
    decide(conn, ctx, actor, id, message, BookingStatus::Declined)
}

/// How to record a completed booking.
#[derive(Debug, Default)]
pub struct CompleteCmd {
    pub activity_type: Option<String>,
    pub format: Option<String>,
}

/// Marks a confirmed booking whose start has passed as completed and records it in the
/// member's activity log (starting at the booked time, for the booked duration, of the given
/// activity type or the club's first one, coached unless told otherwise, noted with the service
/// name). Admins only (403); 404 for an unknown id; 409 unless confirmed and started, or when
/// the club has no activity types; 422 `type` for an unknown or retired type, `format` for an
/// unknown format. Audited.
pub fn complete(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    cmd: CompleteCmd,
) -> Result<BookingView, AppError> {
    admin_only(actor)?;
    let booking = get_booking(conn, id)?;
    let now = ctx.now_unix();
    if booking.status != BookingStatus::Confirmed {
        return Err(AppError::conflict(format!(
            "Only confirmed bookings can be marked completed; this one is {}.",
            booking.status.as_str()
        )));
    }
    if booking.requested_start > now {
        return Err(AppError::conflict(
            "This booking has not started yet; mark it completed once it has taken place.",
        ));
    }
    let types = repo::active_activity_types(conn)?;
    let mut v = Validator::new();
    let wanted = cmd.activity_type.as_deref().map(str::trim).filter(|k| !k.is_empty());
    let activity_type = match wanted {
        Some(key) => {
            let found = types.iter().find(|t| t.key == key);
            let keys: Vec<&str> = types.iter().map(|t| t.key.as_str()).collect();
            v.check(found.is_some(), "type", format!("Choose one of: {}.", keys.join(", ")));
            found
        }
        None => types.first(),
    };
    let format = match cmd.format.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => Some(Format::Coached),
        Some(f) => match f.parse::<Format>() {
            Ok(format) => Some(format),
            Err(why) => {
                v.check(false, "format", why);
                None
            }
        },
    };
    v.finish()?;
    let Some(activity_type) = activity_type else {
        return Err(AppError::conflict(
            "The club has no activity types to record this as; add one first.",
        ));
    };
    let format = format.ok_or_else(|| AppError::internal("validated format lost"))?;
    let activity = NewActivity {
        user_id: booking.user_id,
        started_at: booking.requested_start,
        duration_minutes: booking.duration_minutes,
        type_id: activity_type.id,
        format,
        venue: "",
        coach_id: None,
        notes: &booking.service_name,
        recorded_by: actor.user_id(),
    };
    let activity_id = crate::activities::repo::insert(conn, &activity, now)?;
    if !repo::complete(conn, id, activity_id, now)? {
        return Err(AppError::conflict("This booking changed meanwhile; reload and try again."));
    }
    let event = AuditEvent::new("booking_completed")
        .actor_opt(actor.user_id())
        .target(format!("booking:{id}"))
        .detail(json!({ "user_id": booking.user_id, "activity_id": activity_id }));
    audit::record(conn, event, now)?;
    Ok(BookingView::for_admin(&get_booking(conn, id)?, now))
}

// ----- calendar feeds -----

fn feed_url(ctx: &Ctx, token: &str) -> String {
    ctx.url(&format!("/calendar/{token}.ics"))
}

fn feed_view(ctx: &Ctx, link: Option<LinkRecord>) -> FeedView {
    match link {
        Some(link) => FeedView {
            url: Some(feed_url(ctx, &link.token)),
            created_at: Some(rfc3339_at(link.created_at)),
            last_used_at: link.last_used_at.map(rfc3339_at),
        },
        None => FeedView { url: None, created_at: None, last_used_at: None },
    }
}

/// The member's calendar feed address, or none (also when the one they had no longer opens,
/// after the server's secret key was replaced).
pub fn feed(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<FeedView, AppError> {
    let user_id = member_id(actor)?;
    Ok(feed_view(ctx, PersonalLink::CalendarFeed.current(conn, &ctx.secret, user_id)?))
}

/// Gives the member a private calendar feed address (a `PersonalLink`), or returns the one they
/// have. The bool says whether it was created now.
pub fn create_feed(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
) -> Result<(FeedView, bool), AppError> {
    let user_id = member_id(actor)?;
    let (link, created) =
        PersonalLink::CalendarFeed.ensure(conn, &ctx.secret, user_id, ctx.now_unix())?;
    Ok((feed_view(ctx, Some(link)), created))
}

/// Revokes the member's feed: its address answers 404 from now on. Doing it twice is harmless.
pub fn revoke_feed(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<FeedView, AppError> {
    let user_id = member_id(actor)?;
    if PersonalLink::CalendarFeed.revoke(conn, user_id)? {
        let event = AuditEvent::new("calendar_feed_revoked")
            .actor(user_id)
            .target(format!("user:{user_id}"));
        audit::record(conn, event, ctx.now_unix())?;
    }
    Ok(FeedView { url: None, created_at: None, last_used_at: None })
}

/// The iCalendar text behind a feed token: the owner's confirmed and completed bookings from
/// the last year on. 404 for an unknown or revoked token and for a member who is no longer
/// active. Records when the feed was read.
pub fn calendar(conn: &Connection, ctx: &Ctx, token: &str) -> Result<String, AppError> {
    let not_found = || AppError::not_found("No such calendar.");
    let feed = PersonalLink::CalendarFeed;
    let token = feed.read_token(token)?;
    let user_id = feed.owner(conn, &ctx.secret, &token)?.ok_or_else(not_found)?;
    let member = repo::member(conn, user_id)?.ok_or_else(not_found)?;
    if !member.active {
        return Err(not_found());
    }
    let now = ctx.now_unix();
    feed.touch(conn, user_id, now)?;
    let filter = BookingFilter {
        user_id: Some(user_id),
        statuses: vec![BookingStatus::Confirmed, BookingStatus::Completed],
        from: Some(now - FEED_DAYS_BACK * 86_400),
        until: None,
    };
    let host = ical::host_of(&ctx.config.public_url());
    let mut bookings = repo::list_bookings(conn, &filter)?;
    bookings.reverse();
    let events = bookings
        .iter()
        .map(|b| Event {
            uid: format!("booking-{}@{host}", b.id),
            stamp: b.updated_at,
            start: b.requested_start,
            end: b.ends_at(),
            summary: b.service_name.clone(),
            description: describe(b),
            status: "CONFIRMED",
        })
        .collect();
    let name = format!("{} bookings", club_name(conn)?);
    Ok(Calendar { name, events }.render())
}

/// The event text: the member's notes and the club's message, each when present.
fn describe(b: &Booking) -> String {
    let mut parts = Vec::new();
    if !b.notes.is_empty() {
        parts.push(b.notes.clone());
    }
    if !b.admin_message.is_empty() {
        parts.push(format!("From the club: {}", b.admin_message));
    }
    parts.join("\n\n")
}

/// The admin services page with `form` (new, or editing a service). Admins only (403).
pub fn services_page(
    conn: &Connection,
    actor: &Actor,
    form: ServiceForm,
) -> Result<AdminServicesPage, AppError> {
    Ok(AdminServicesPage { services: admin_services(conn, actor)?, form })
}

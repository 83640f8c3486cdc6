//! The admins' side of bookings: the list, confirming and declining (the member is emailed),
//! and completing (recorded as an activity).

use chrono::{NaiveDate, TimeZone};
use rusqlite::Connection;
use serde_json::json;

use super::{admin_only, club_name, get_booking, parse_statuses, too_long, viewer_zone, NOTES_MAX};
use crate::accounts::model::Actor;
use crate::activities::model::{Format, NewActivity};
use crate::audit::{self, AuditEvent};
use crate::bookings::model::{Booking, BookingStatus, Member};
use crate::bookings::repo::{self, BookingFilter};
use crate::bookings::views::{AdminBookingsPage, BookingRow, BookingView, FilterForm};
use crate::clock::{format_in, parse_rfc3339, zone};
use crate::ctx::Ctx;
use crate::email;
use crate::error::{AppError, Validator};
use crate::values::text;

/// The admin list's filter as given: a status list and a date range.
#[derive(Debug, Default, Clone)]
pub(crate) struct AdminFilter {
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
pub(crate) fn admin_list(
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
pub(crate) fn admin_page(
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
    if !text::is_plain(&message) {
        return Err(AppError::invalid_field("message", text::CONTROL_CHARACTERS));
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
/// characters or with control characters other than line breaks and tabs. Audited.
pub(crate) fn confirm(
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
pub(crate) fn decline(
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
pub(crate) struct CompleteCmd {
    pub activity_type: Option<String>,
    pub format: Option<String>,
}

/// Marks a confirmed booking whose start has passed as completed and records it in the
/// member's activity log (starting at the booked time, for the booked duration, of the given
/// activity type or the club's first one, coached unless told otherwise, noted with the service
/// name). Admins only (403); 404 for an unknown id; 409 unless confirmed and started, or when
/// the club has no activity types; 422 `type` for an unknown or retired type, `format` for an
/// unknown format. Audited.
pub(crate) fn complete(
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

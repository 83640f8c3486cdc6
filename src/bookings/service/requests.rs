//! A member's own bookings: requesting, listing, cancelling.

use rusqlite::Connection;

use super::{bookable_services, feed, member_id, too_long, viewer_zone, MAX_DAYS_AHEAD, NOTES_MAX};
use crate::accounts::model::Actor;
use crate::bookings::model::{Booking, BookingStatus};
use crate::bookings::repo::{self, BookingFilter, NewBooking};
use crate::bookings::views::{BookingForm, BookingRow, BookingView, MemberBookingsPage};
use crate::clock::{format_in, parse_local, parse_rfc3339, zone};
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::personal_link::PersonalLink;
use crate::values::text;

/// A requested start as the API (RFC 3339) or a form (`datetime-local` in the member's zone)
/// gives it.
pub(crate) enum StartInput {
    Rfc3339(String),
    Local(String),
}

pub(crate) struct RequestBooking {
    pub service_id: Option<i64>,
    pub start: StartInput,
    pub notes: String,
}

pub(super) fn get_booking(conn: &Connection, id: i64) -> Result<Booking, AppError> {
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
/// time, not in the future or more than two years ahead, and notes over 1000 characters or with
/// control characters other than line breaks and tabs.
pub(crate) fn request(
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
    v.check(text::is_plain(notes), "notes", text::CONTROL_CHARACTERS);
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

pub(super) fn parse_statuses(raw: Option<&str>) -> Result<Vec<BookingStatus>, AppError> {
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
pub(crate) fn list_own(
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
pub(crate) fn member_page(
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
pub(crate) fn get_own(
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
pub(crate) fn cancel(
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

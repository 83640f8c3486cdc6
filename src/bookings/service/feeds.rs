//! Each member's private calendar feed of their bookings.

use rusqlite::Connection;

use super::{club_name, member_id, FEED_DAYS_BACK};
use crate::accounts::model::Actor;
use crate::audit::{self, AuditEvent};
use crate::bookings::ical::{self, Calendar, Event};
use crate::bookings::model::{Booking, BookingStatus};
use crate::bookings::repo::{self, BookingFilter};
use crate::bookings::views::FeedView;
use crate::clock::rfc3339_at;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::personal_link::{LinkRecord, PersonalLink};

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
pub(crate) fn feed(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<FeedView, AppError> {
    let user_id = member_id(actor)?;
    Ok(feed_view(ctx, PersonalLink::CalendarFeed.current(conn, &ctx.secret, user_id)?))
}

/// Gives the member a private calendar feed address (a `PersonalLink`), or returns the one they
/// have. The bool says whether it was created now.
pub(crate) fn create_feed(
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
pub(crate) fn revoke_feed(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
) -> Result<FeedView, AppError> {
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
pub(crate) fn calendar(conn: &Connection, ctx: &Ctx, token: &str) -> Result<String, AppError> {
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

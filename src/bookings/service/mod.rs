//! Booking use cases: the services admins define, members' requests and cancellations, admins'
//! decisions (emailed to the member) and completion (recorded as an activity), and each
//! member's private calendar feed.
//!
//! - `services`: the services admins define and what members may book.
//! - `requests`: a member's own bookings.
//! - `decisions`: the admins' list, decisions and completion.
//! - `feeds`: the private calendar feed.

mod decisions;
mod feeds;
mod requests;
mod services;

pub(crate) use decisions::*;
pub(crate) use feeds::*;
pub(crate) use requests::*;
pub(crate) use services::*;

use rusqlite::Connection;

use super::repo;
use crate::accounts::model::Actor;
use crate::clock::zone;
use crate::error::AppError;
use crate::settings;

pub(crate) const NAME_MAX: usize = 80;
pub(crate) const DURATION_MIN: i64 = 5;
pub(crate) const DURATION_MAX: i64 = 1440;
pub(crate) const NOTES_MAX: usize = 1000;
/// How far ahead a member may ask for a time.
pub(crate) const MAX_DAYS_AHEAD: i64 = 730;
/// How far back the calendar feed reaches.
const FEED_DAYS_BACK: i64 = 365;

fn admin_only(actor: &Actor) -> Result<(), AppError> {
    actor.require_admin("Only club admins can do this.")
}

fn member_id(actor: &Actor) -> Result<i64, AppError> {
    actor.user_id().ok_or_else(|| AppError::forbidden("Bookings belong to members."))
}

fn club_name(conn: &Connection) -> Result<String, AppError> {
    Ok(settings::get(conn, settings::CLUB_NAME)?
        .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.into()))
}

/// The zone name as people read it ('' is UTC).
pub(crate) fn zone_label(name: &str) -> String {
    zone(name).name().to_string()
}

/// The time zone the user sees and enters times in.
pub(crate) fn viewer_zone(conn: &Connection, actor: &Actor) -> Result<String, AppError> {
    match actor.user_id() {
        Some(id) => Ok(zone_label(&repo::timezone_of(conn, id)?)),
        None => Ok("UTC".into()),
    }
}

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

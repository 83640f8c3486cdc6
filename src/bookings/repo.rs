//! SQL for services, bookings and calendar feeds.

use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::{ActivityType, Booking, BookingStatus, Member, Service};
use crate::error::AppError;
use crate::members::model::display_name;

// ----- services -----

const SERVICE_COLUMNS: &str = "id, name, duration_minutes, notes, archived_at";

fn service_row(r: &Row<'_>) -> rusqlite::Result<Service> {
    Ok(Service {
        id: r.get(0)?,
        name: r.get(1)?,
        duration_minutes: r.get(2)?,
        notes: r.get(3)?,
        archived_at: r.get(4)?,
    })
}

pub(crate) fn insert_service(
    conn: &Connection,
    name: &str,
    duration_minutes: i64,
    notes: &str,
    now: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO services (name, duration_minutes, notes, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![name, duration_minutes, notes, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn update_service(
    conn: &Connection,
    id: i64,
    name: &str,
    duration_minutes: i64,
    notes: &str,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE services SET name = ?2, duration_minutes = ?3, notes = ?4, updated_at = ?5
          WHERE id = ?1",
        params![id, name, duration_minutes, notes, now],
    )?;
    Ok(())
}

/// Archives (`Some(now)`) or restores (`None`) a service.
pub(crate) fn set_service_archived(
    conn: &Connection,
    id: i64,
    archived_at: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE services SET archived_at = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, archived_at, now],
    )?;
    Ok(())
}

pub(crate) fn delete_service(conn: &Connection, id: i64) -> Result<(), AppError> {
    conn.execute("DELETE FROM services WHERE id = ?1", [id])?;
    Ok(())
}

pub(crate) fn get_service(conn: &Connection, id: i64) -> Result<Option<Service>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {SERVICE_COLUMNS} FROM services WHERE id = ?1"),
            [id],
            service_row,
        )
        .optional()?)
}

/// Services by name; archived ones only when asked for (after the others).
pub(crate) fn list_services(
    conn: &Connection,
    with_archived: bool,
) -> Result<Vec<Service>, AppError> {
    let sql = format!(
        "SELECT {SERVICE_COLUMNS} FROM services {}
          ORDER BY archived_at IS NOT NULL, name COLLATE NOCASE, id",
        if with_archived { "" } else { "WHERE archived_at IS NULL" }
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], service_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Bookings per service id, for every service that has any.
pub(crate) fn booking_counts(conn: &Connection) -> Result<Vec<(i64, i64)>, AppError> {
    let mut stmt = conn.prepare("SELECT service_id, count(*) FROM bookings GROUP BY service_id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn count_bookings_of_service(
    conn: &Connection,
    service_id: i64,
) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM bookings WHERE service_id = ?1",
        [service_id],
        |r| r.get(0),
    )?)
}

/// Whether another bookable service already has this name (ignoring case).
pub(crate) fn bookable_name_taken(
    conn: &Connection,
    name: &str,
    except_id: Option<i64>,
) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM services
                         WHERE archived_at IS NULL AND lower(name) = lower(?1)
                           AND id IS NOT ?2)",
        params![name, except_id],
        |r| r.get(0),
    )?)
}

// ----- bookings -----

const BOOKING_COLUMNS: &str = "b.id, b.user_id, b.service_id, s.name, b.requested_start,
    b.duration_minutes, b.notes, b.status, b.admin_message, b.decided_at, b.completed_at,
    b.activity_id, b.created_at, b.updated_at,
    u.display_name, u.first_name, u.last_name, u.username";

const BOOKING_FROM: &str =
    "FROM bookings b JOIN services s ON s.id = b.service_id JOIN users u ON u.id = b.user_id";

fn booking_row(r: &Row<'_>) -> rusqlite::Result<Booking> {
    let status: String = r.get(7)?;
    let status = status.parse::<BookingStatus>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(7, Type::Text, format!("status: {e}").into())
    })?;
    let (display, first, last, username): (String, String, String, String) =
        (r.get(14)?, r.get(15)?, r.get(16)?, r.get(17)?);
    Ok(Booking {
        id: r.get(0)?,
        user_id: r.get(1)?,
        service_id: r.get(2)?,
        service_name: r.get(3)?,
        requested_start: r.get(4)?,
        duration_minutes: r.get(5)?,
        notes: r.get(6)?,
        status,
        admin_message: r.get(8)?,
        decided_at: r.get(9)?,
        completed_at: r.get(10)?,
        activity_id: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
        member_name: display_name(&first, &last, &display, &username),
        member_username: username,
    })
}

pub(crate) struct NewBooking<'a> {
    pub user_id: i64,
    pub service_id: i64,
    pub requested_start: i64,
    pub duration_minutes: i64,
    pub notes: &'a str,
}

pub(crate) fn insert_booking(
    conn: &Connection,
    b: &NewBooking<'_>,
    now: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO bookings (user_id, service_id, requested_start, duration_minutes, notes,
                               status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6)",
        params![b.user_id, b.service_id, b.requested_start, b.duration_minutes, b.notes, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn get_booking(conn: &Connection, id: i64) -> Result<Option<Booking>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {BOOKING_COLUMNS} {BOOKING_FROM} WHERE b.id = ?1"),
            [id],
            booking_row,
        )
        .optional()?)
}

/// Which bookings a list shows; every part is optional.
#[derive(Debug, Default, Clone)]
pub(crate) struct BookingFilter {
    pub user_id: Option<i64>,
    pub statuses: Vec<BookingStatus>,
    /// Starting at or after.
    pub from: Option<i64>,
    /// Starting before.
    pub until: Option<i64>,
}

/// Bookings matching `filter`, latest requested start first.
pub(crate) fn list_bookings(
    conn: &Connection,
    filter: &BookingFilter,
) -> Result<Vec<Booking>, AppError> {
    let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
    let statuses = serde_json::to_string(&statuses).map_err(AppError::internal)?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {BOOKING_COLUMNS} {BOOKING_FROM}
          WHERE (?1 IS NULL OR b.user_id = ?1)
            AND (?2 = '[]' OR b.status IN (SELECT value FROM json_each(?2)))
            AND (?3 IS NULL OR b.requested_start >= ?3)
            AND (?4 IS NULL OR b.requested_start < ?4)
          ORDER BY b.requested_start DESC, b.id DESC"
    ))?;
    let rows =
        stmt.query_map(params![filter.user_id, statuses, filter.from, filter.until], booking_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records an admin's decision on a pending booking; false when it is no longer pending (so
/// two admins deciding at once cannot both win).
pub(crate) fn decide(
    conn: &Connection,
    id: i64,
    status: BookingStatus,
    message: &str,
    decided_by: Option<i64>,
    now: i64,
) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE bookings SET status = ?2, admin_message = ?3, decided_by = ?4, decided_at = ?5,
                updated_at = ?5
          WHERE id = ?1 AND status = 'pending'",
        params![id, status.as_str(), message, decided_by, now],
    )?;
    Ok(changed == 1)
}

/// Cancels a booking that is pending, or confirmed and not yet started; false otherwise.
pub(crate) fn cancel(conn: &Connection, id: i64, now: i64) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE bookings SET status = 'cancelled', updated_at = ?2
          WHERE id = ?1
            AND (status = 'pending' OR (status = 'confirmed' AND requested_start > ?2))",
        params![id, now],
    )?;
    Ok(changed == 1)
}

/// Marks a confirmed, started booking completed with its activity; false otherwise.
pub(crate) fn complete(
    conn: &Connection,
    id: i64,
    activity_id: i64,
    now: i64,
) -> Result<bool, AppError> {
    let changed = conn.execute(
        "UPDATE bookings SET status = 'completed', completed_at = ?2, activity_id = ?3,
                updated_at = ?2
          WHERE id = ?1 AND status = 'confirmed' AND requested_start <= ?2",
        params![id, now, activity_id],
    )?;
    Ok(changed == 1)
}

// ----- people and activity types -----

pub(crate) fn member(conn: &Connection, user_id: i64) -> Result<Option<Member>, AppError> {
    Ok(conn
        .query_row(
            "SELECT email, display_name, first_name, last_name, username, timezone, status
               FROM users WHERE id = ?1",
            [user_id],
            |r| {
                let (display, first, last, username): (String, String, String, String) =
                    (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                let status: String = r.get(6)?;
                Ok(Member {
                    email: r.get(0)?,
                    name: display_name(&first, &last, &display, &username),
                    timezone: r.get(5)?,
                    active: status == "active",
                })
            },
        )
        .optional()?)
}

/// The member's IANA time zone name ('' = UTC).
pub(crate) fn timezone_of(conn: &Connection, user_id: i64) -> Result<String, AppError> {
    Ok(conn
        .query_row("SELECT timezone FROM users WHERE id = ?1", [user_id], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

/// Activity types that can be chosen for new activities, in the club's order.
pub(crate) fn active_activity_types(conn: &Connection) -> Result<Vec<ActivityType>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT id, key, label FROM activity_types WHERE archived_at IS NULL
          ORDER BY position, id",
    )?;
    let rows = stmt
        .query_map([], |r| Ok(ActivityType { id: r.get(0)?, key: r.get(1)?, label: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

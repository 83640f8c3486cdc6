//! The dashboard's queries: counts and the timestamps its charts are built from.

use rusqlite::{params, Connection};

use crate::error::AppError;

fn pairs(conn: &Connection, sql: &str) -> Result<Vec<(String, i64)>, AppError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn count(conn: &Connection, sql: &str) -> Result<i64, AppError> {
    Ok(conn.query_row(sql, [], |r| r.get(0))?)
}

/// Accounts per status, leaving out guest-only accounts (they are not members).
pub(crate) fn members_by_status(conn: &Connection) -> Result<Vec<(String, i64)>, AppError> {
    pairs(
        conn,
        "SELECT status, count(*) FROM users u
          WHERE EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role <> 'guest')
          GROUP BY status",
    )
}

pub(crate) fn pending_bookings(conn: &Connection) -> Result<i64, AppError> {
    count(conn, "SELECT count(*) FROM bookings WHERE status = 'pending'")
}

/// Members' replies to notices that no admin has read yet.
pub(crate) fn unread_replies(conn: &Connection) -> Result<i64, AppError> {
    count(
        conn,
        "SELECT count(*) FROM notice_replies WHERE from_admin = 0 AND admin_read_at IS NULL",
    )
}

pub(crate) fn failed_emails(conn: &Connection) -> Result<i64, AppError> {
    count(conn, "SELECT count(*) FROM email_outbox WHERE status = 'failed'")
}

pub(crate) fn exchanges_by_state(conn: &Connection) -> Result<Vec<(String, i64)>, AppError> {
    pairs(conn, "SELECT state, count(*) FROM exchanges GROUP BY state")
}

fn times(conn: &Connection, sql: &str, from: i64, to: i64) -> Result<Vec<(i64, i64)>, AppError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// When each member who joined in `[from, to)` became a member: `activated_at`, or for an
/// account created active (which has none) its creation. Guests are not members.
pub(crate) fn joins(conn: &Connection, from: i64, to: i64) -> Result<Vec<(i64, i64)>, AppError> {
    times(
        conn,
        "SELECT t, 1 FROM (
            SELECT COALESCE(activated_at, CASE WHEN status = 'active' THEN created_at END) AS t
              FROM users u
             WHERE EXISTS (SELECT 1 FROM user_roles r
                            WHERE r.user_id = u.id AND r.role <> 'guest'))
          WHERE t >= ?1 AND t < ?2",
        from,
        to,
    )
}

/// Start and minutes of every activity started in `[from, to)`.
pub(crate) fn activity_minutes(
    conn: &Connection,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64)>, AppError> {
    times(
        conn,
        "SELECT started_at, duration_minutes FROM activities WHERE started_at >= ?1 AND started_at < ?2",
        from,
        to,
    )
}

/// Start of every booked session in `[from, to)` that still stands (neither declined nor
/// cancelled).
pub(crate) fn bookings(conn: &Connection, from: i64, to: i64) -> Result<Vec<(i64, i64)>, AppError> {
    times(
        conn,
        "SELECT requested_start, 1 FROM bookings
          WHERE requested_start >= ?1 AND requested_start < ?2
            AND status NOT IN ('declined', 'cancelled')",
        from,
        to,
    )
}

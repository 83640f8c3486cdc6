//! Activity queries.

use rusqlite::{params, Connection};

use super::model::NewActivity;
use crate::error::AppError;

/// Records an activity; returns its id.
pub fn insert(conn: &Connection, a: &NewActivity<'_>, now: i64) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO activities (user_id, started_at, duration_minutes, type_id, format, venue,
                                 coach_id, notes, recorded_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            a.user_id,
            a.started_at,
            a.duration_minutes,
            a.type_id,
            a.format.as_str(),
            a.venue,
            a.coach_id,
            a.notes,
            a.recorded_by,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

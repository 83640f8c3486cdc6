//! Activity queries.

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::model::{Activity, ActivityType, CoachedMember, Filter, Member, NewActivity, Person};
use crate::error::AppError;

use crate::members::model::{active_member_sql, name_sql as name_of};

/// Records an activity; returns its id.
pub(crate) fn insert(conn: &Connection, a: &NewActivity<'_>, now: i64) -> Result<i64, AppError> {
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

/// Changes what an entry says; who it belongs to and who recorded it stay.
pub(crate) fn update(
    conn: &Connection,
    id: i64,
    a: &NewActivity<'_>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE activities SET started_at = ?2, duration_minutes = ?3, type_id = ?4, format = ?5,
                venue = ?6, coach_id = ?7, notes = ?8, updated_at = ?9
          WHERE id = ?1",
        params![
            id,
            a.started_at,
            a.duration_minutes,
            a.type_id,
            a.format.as_str(),
            a.venue,
            a.coach_id,
            a.notes,
            now
        ],
    )?;
    Ok(())
}

pub(crate) fn delete(conn: &Connection, id: i64) -> Result<(), AppError> {
    conn.execute("DELETE FROM activities WHERE id = ?1", [id])?;
    Ok(())
}

fn select_activities() -> String {
    format!(
        "SELECT a.id, a.user_id, u.username, {member}, u.timezone, u.coach_id,
                a.started_at, a.duration_minutes, a.type_id, t.key, t.label, a.format, a.venue,
                a.coach_id, c.username, {coach}, a.notes,
                a.recorded_by, r.username, {recorder}, a.created_at, a.updated_at
           FROM activities a
           JOIN users u ON u.id = a.user_id
           JOIN activity_types t ON t.id = a.type_id
           LEFT JOIN users c ON c.id = a.coach_id
           LEFT JOIN users r ON r.id = a.recorded_by",
        member = name_of("u"),
        coach = name_of("c"),
        recorder = name_of("r"),
    )
}

fn person_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Option<Person>> {
    let id: Option<i64> = r.get(at)?;
    let username: Option<String> = r.get(at + 1)?;
    let name: Option<String> = r.get(at + 2)?;
    Ok(match (id, username, name) {
        (Some(id), Some(username), Some(name)) => Some(Person { id, username, name }),
        _ => None,
    })
}

fn activity_row(r: &Row<'_>) -> rusqlite::Result<Activity> {
    Ok(Activity {
        id: r.get(0)?,
        member: Person { id: r.get(1)?, username: r.get(2)?, name: r.get(3)? },
        member_timezone: r.get(4)?,
        member_coach_id: r.get(5)?,
        started_at: r.get(6)?,
        duration_minutes: r.get(7)?,
        type_id: r.get(8)?,
        type_key: r.get(9)?,
        type_label: r.get(10)?,
        format: r.get(11)?,
        venue: r.get(12)?,
        coach: person_at(r, 13)?,
        notes: r.get(16)?,
        recorded_by: person_at(r, 17)?,
        created_at: r.get(20)?,
        updated_at: r.get(21)?,
    })
}

pub(crate) fn get(conn: &Connection, id: i64) -> Result<Option<Activity>, AppError> {
    let sql = format!("{} WHERE a.id = ?1", select_activities());
    Ok(conn.prepare_cached(&sql)?.query_row([id], activity_row).optional()?)
}

/// The WHERE clause of a filter and its parameters.
fn where_clause(f: &Filter) -> (String, Vec<i64>) {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    let mut add = |condition: &str, value: Option<i64>| {
        if let Some(v) = value {
            values.push(v);
            conditions.push(format!("{condition} ?{}", values.len()));
        }
    };
    add("a.user_id =", f.user_id);
    add("a.started_at >=", f.from);
    add("a.started_at <", f.to);
    add("a.type_id =", f.type_id);
    let clause = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    (clause, values)
}

/// The activities a filter covers, newest first; `limit` None for all of them.
pub(crate) fn list(
    conn: &Connection,
    f: &Filter,
    limit: Option<i64>,
    offset: i64,
) -> Result<Vec<Activity>, AppError> {
    let (clause, mut values) = where_clause(f);
    values.push(limit.unwrap_or(-1));
    values.push(offset);
    let n = values.len();
    let sql = format!(
        "{}{clause} ORDER BY a.started_at DESC, a.id DESC LIMIT ?{} OFFSET ?{n}",
        select_activities(),
        n - 1
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), activity_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many activities a filter covers and their minutes.
pub(crate) fn totals(conn: &Connection, f: &Filter) -> Result<(i64, i64), AppError> {
    let (clause, values) = where_clause(f);
    let sql =
        format!("SELECT count(*), COALESCE(sum(a.duration_minutes), 0) FROM activities a{clause}");
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(stmt.query_row(params_from_iter(values), |r| Ok((r.get(0)?, r.get(1)?)))?)
}

// ----- activity types -----

const TYPE_COLUMNS: &str = "id, key, label, position, archived_at, created_at";

fn type_row(r: &Row<'_>) -> rusqlite::Result<ActivityType> {
    Ok(ActivityType {
        id: r.get(0)?,
        key: r.get(1)?,
        label: r.get(2)?,
        position: r.get(3)?,
        archived_at: r.get(4)?,
        created_at: r.get(5)?,
    })
}

/// Every type in display order; archived ones only when asked for.
pub(crate) fn list_types(
    conn: &Connection,
    with_archived: bool,
) -> Result<Vec<ActivityType>, AppError> {
    let filter = if with_archived { "" } else { "WHERE archived_at IS NULL" };
    let sql = format!(
        "SELECT {TYPE_COLUMNS} FROM activity_types {filter} ORDER BY position, label COLLATE NOCASE, id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], type_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn get_type(conn: &Connection, id: i64) -> Result<Option<ActivityType>, AppError> {
    let sql = format!("SELECT {TYPE_COLUMNS} FROM activity_types WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], type_row).optional()?)
}

pub(crate) fn find_type_by_key(
    conn: &Connection,
    key: &str,
) -> Result<Option<ActivityType>, AppError> {
    let sql = format!("SELECT {TYPE_COLUMNS} FROM activity_types WHERE key = ?1");
    Ok(conn.query_row(&sql, [key], type_row).optional()?)
}

/// The position after the last type, for a type added without one.
pub(crate) fn next_type_position(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn
        .query_row("SELECT COALESCE(max(position), 0) + 1 FROM activity_types", [], |r| r.get(0))?)
}

/// Adds a type; 409 naming `key` when the key is taken.
pub(crate) fn insert_type(
    conn: &Connection,
    key: &str,
    label: &str,
    position: i64,
    now: i64,
) -> Result<i64, AppError> {
    let done = conn.execute(
        "INSERT INTO activity_types (key, label, position, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![key, label, position, now],
    );
    match done {
        Ok(_) => Ok(conn.last_insert_rowid()),
        Err(e) if crate::db::unique_violation(&e).is_some() => {
            Err(AppError::conflict_field("key", "Another activity type already uses this key."))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn update_type(
    conn: &Connection,
    id: i64,
    label: &str,
    position: i64,
    archived_at: Option<i64>,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE activity_types SET label = ?2, position = ?3, archived_at = ?4 WHERE id = ?1",
        params![id, label, position, archived_at],
    )?;
    Ok(())
}

pub(crate) fn delete_type(conn: &Connection, id: i64) -> Result<(), AppError> {
    conn.execute("DELETE FROM activity_types WHERE id = ?1", [id])?;
    Ok(())
}

/// How many activities use each type that has any: (type id, count).
pub(crate) fn type_usage(conn: &Connection) -> Result<Vec<(i64, i64)>, AppError> {
    let mut stmt = conn.prepare("SELECT type_id, count(*) FROM activities GROUP BY type_id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn count_using_type(conn: &Connection, type_id: i64) -> Result<i64, AppError> {
    Ok(conn
        .query_row("SELECT count(*) FROM activities WHERE type_id = ?1", [type_id], |r| r.get(0))?)
}

// ----- the people around an activity -----

fn member_row(r: &Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        person: Person { id: r.get(0)?, username: r.get(1)?, name: r.get(2)? },
        timezone: r.get(3)?,
        coach_id: r.get(4)?,
        status: r.get(5)?,
    })
}

pub(crate) fn member(conn: &Connection, user_id: i64) -> Result<Option<Member>, AppError> {
    let sql = format!(
        "SELECT u.id, u.username, {}, u.timezone, u.coach_id, u.status FROM users u WHERE u.id = ?1",
        name_of("u")
    );
    Ok(conn.prepare_cached(&sql)?.query_row([user_id], member_row).optional()?)
}

pub(crate) fn has_role(conn: &Connection, user_id: i64, role: &str) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM user_roles WHERE user_id = ?1 AND role = ?2)",
        params![user_id, role],
        |r| r.get(0),
    )?)
}

/// People holding the coach role whose account is not disabled, by name.
pub(crate) fn coaches(conn: &Connection) -> Result<Vec<Person>, AppError> {
    let sql = format!(
        "SELECT u.id, u.username, {} AS name FROM users u
           JOIN user_roles ur ON ur.user_id = u.id AND ur.role = 'coach'
          WHERE u.status <> 'disabled'
          ORDER BY name COLLATE NOCASE, u.id",
        name_of("u")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows =
        stmt.query_map([], |r| Ok(Person { id: r.get(0)?, username: r.get(1)?, name: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Active members, by name: all of them, or those whose coach is `coach_id`.
pub(crate) fn active_members(
    conn: &Connection,
    coach_id: Option<i64>,
) -> Result<Vec<Member>, AppError> {
    let by_coach = if coach_id.is_some() { "AND u.coach_id = ?1" } else { "AND ?1 IS NULL" };
    let sql = format!(
        "SELECT u.id, u.username, {} AS name, u.timezone, u.coach_id, u.status FROM users u
          WHERE {} {by_coach}
          ORDER BY name COLLATE NOCASE, u.id",
        name_of("u"),
        active_member_sql("u")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([coach_id], member_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The active members `coach_id` coaches, with their totals.
pub(crate) fn coached_members(
    conn: &Connection,
    coach_id: i64,
) -> Result<Vec<CoachedMember>, AppError> {
    let sql = format!(
        "SELECT u.id, u.username, {} AS name, u.timezone, count(a.id),
                COALESCE(sum(a.duration_minutes), 0), max(a.started_at)
           FROM users u LEFT JOIN activities a ON a.user_id = u.id
          WHERE u.coach_id = ?1 AND {}
          GROUP BY u.id
          ORDER BY name COLLATE NOCASE, u.id",
        name_of("u"),
        active_member_sql("u")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([coach_id], |r| {
        Ok(CoachedMember {
            person: Person { id: r.get(0)?, username: r.get(1)?, name: r.get(2)? },
            timezone: r.get(3)?,
            activity_count: r.get(4)?,
            total_minutes: r.get(5)?,
            last_started_at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

//! SQL for cards: the member's card columns, their public answers, activities and the share.
//! Nothing here reads an email address or a phone number.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::{Member, PublicAnswer};
use super::stats::Session;
use crate::accounts::model::{parse_roles, Role};
use crate::error::AppError;

const MEMBER_COLUMNS: &str = "id, username, display_name, first_name, last_name, city, state, \
     timezone, coach_id, status, activated_at, created_at, contact_preference";

fn member_from_row(r: &Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        first_name: r.get(3)?,
        last_name: r.get(4)?,
        city: r.get(5)?,
        state: r.get(6)?,
        timezone: r.get(7)?,
        coach_id: r.get(8)?,
        status: r.get(9)?,
        activated_at: r.get(10)?,
        created_at: r.get(11)?,
        contact_preference: r.get(12)?,
    })
}

pub(crate) fn member(conn: &Connection, user_id: i64) -> Result<Option<Member>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {MEMBER_COLUMNS} FROM users WHERE id = ?1"),
            [user_id],
            member_from_row,
        )
        .optional()?)
}

pub(crate) fn roles(conn: &Connection, user_id: i64) -> Result<Vec<Role>, AppError> {
    let joined: Option<String> = conn.query_row(
        "SELECT group_concat(role) FROM user_roles WHERE user_id = ?1",
        [user_id],
        |r| r.get(0),
    )?;
    Ok(parse_roles(joined.as_deref()))
}

/// The member behind the coach id, while their account is active.
pub(crate) fn active_coach(conn: &Connection, coach_id: i64) -> Result<Option<Member>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {MEMBER_COLUMNS} FROM users WHERE id = ?1 AND status = 'active'"),
            [coach_id],
            member_from_row,
        )
        .optional()?)
}

/// The member's non-empty answers to the questions the club made public, in the club's order.
pub(crate) fn public_answers(
    conn: &Connection,
    user_id: i64,
) -> Result<Vec<PublicAnswer>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT f.label, f.kind, v.value
           FROM profile_values v JOIN profile_fields f ON f.id = v.field_id
          WHERE v.user_id = ?1 AND f.visibility = 'public' AND trim(v.value) <> ''
          ORDER BY f.position, f.id",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok(PublicAnswer { label: r.get(0)?, kind: r.get(1)?, value: r.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every activity of the member that started before `before`, oldest first.
pub(crate) fn sessions(
    conn: &Connection,
    user_id: i64,
    before: i64,
) -> Result<Vec<Session>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT started_at, duration_minutes, format FROM activities
          WHERE user_id = ?1 AND started_at < ?2 ORDER BY started_at",
    )?;
    let rows = stmt.query_map(params![user_id, before], |r| {
        let format: String = r.get(2)?;
        Ok(Session { started_at: r.get(0)?, minutes: r.get(1)?, format: format.parse().ok() })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn set_contact_preference(
    conn: &Connection,
    user_id: i64,
    preference: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET contact_preference = ?2, updated_at = ?3 WHERE id = ?1",
        params![user_id, preference, now],
    )?;
    Ok(())
}

//! SQL for exchanges, participants, exclusions and the drawn cycle.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::{Exchange, ExchangeState, Exclusion, Participant, RemovedHow};
use crate::accounts::model::{parse_roles, Role};
use crate::db::unique_violation;
use crate::error::AppError;
use crate::members::model::name_sql;

// ----- exchanges -----

const EXCHANGE_COLUMNS: &str = "id, slug, name, description, budget, max_participants,
    registration_close_date, exchange_date, timezone, state, created_at, updated_at, matched_at,
    completed_at";

fn exchange_from_row(r: &Row<'_>) -> rusqlite::Result<Exchange> {
    let state: String = r.get(9)?;
    Ok(Exchange {
        id: r.get(0)?,
        slug: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        budget: r.get(4)?,
        max_participants: r.get(5)?,
        registration_close_date: r.get(6)?,
        exchange_date: r.get(7)?,
        timezone: r.get(8)?,
        state: state.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(9, rusqlite::types::Type::Text, e.into())
        })?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        matched_at: r.get(12)?,
        completed_at: r.get(13)?,
    })
}

/// The fields an organizer sets.
pub(crate) struct ExchangeFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub budget: &'a str,
    pub max_participants: Option<i64>,
    pub registration_close_date: &'a str,
    pub exchange_date: &'a str,
    pub timezone: &'a str,
}

pub(crate) fn insert_exchange(
    conn: &Connection,
    slug: &str,
    f: &ExchangeFields<'_>,
    created_by: Option<i64>,
    now: i64,
) -> Result<i64, AppError> {
    conn.execute(
        "INSERT INTO exchanges (slug, name, description, budget, max_participants,
                                registration_close_date, exchange_date, timezone, created_by,
                                created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            slug,
            f.name,
            f.description,
            f.budget,
            f.max_participants,
            f.registration_close_date,
            f.exchange_date,
            f.timezone,
            created_by,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn update_exchange(
    conn: &Connection,
    id: i64,
    f: &ExchangeFields<'_>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE exchanges SET name = ?2, description = ?3, budget = ?4, max_participants = ?5,
                registration_close_date = ?6, exchange_date = ?7, timezone = ?8, updated_at = ?9
          WHERE id = ?1",
        params![
            id,
            f.name,
            f.description,
            f.budget,
            f.max_participants,
            f.registration_close_date,
            f.exchange_date,
            f.timezone,
            now
        ],
    )?;
    Ok(())
}

pub(crate) fn get_exchange(conn: &Connection, id: i64) -> Result<Option<Exchange>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {EXCHANGE_COLUMNS} FROM exchanges WHERE id = ?1"),
            [id],
            exchange_from_row,
        )
        .optional()?)
}

pub(crate) fn find_by_slug(conn: &Connection, slug: &str) -> Result<Option<Exchange>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {EXCHANGE_COLUMNS} FROM exchanges WHERE slug = ?1"),
            [slug],
            exchange_from_row,
        )
        .optional()?)
}

/// Every exchange, soonest exchange date first.
pub(crate) fn list_exchanges(conn: &Connection) -> Result<Vec<Exchange>, AppError> {
    let mut stmt = conn
        .prepare(&format!("SELECT {EXCHANGE_COLUMNS} FROM exchanges ORDER BY exchange_date, id"))?;
    let rows = stmt.query_map([], exchange_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Moves an exchange to `state`; `matched_at` and `completed_at` follow it (set on entering
/// matched or completed, cleared when registration opens again).
pub(crate) fn set_state(
    conn: &Connection,
    id: i64,
    state: ExchangeState,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE exchanges SET state = ?2, updated_at = ?3,
                matched_at = CASE WHEN ?2 = 'matched' THEN ?3
                                  WHEN ?2 IN ('draft', 'registration_open', 'registration_closed')
                                  THEN NULL ELSE matched_at END,
                completed_at = CASE WHEN ?2 = 'completed' THEN ?3 ELSE NULL END
          WHERE id = ?1",
        params![id, state.as_str(), now],
    )?;
    Ok(())
}

pub(crate) fn delete_exchange(conn: &Connection, id: i64) -> Result<(), AppError> {
    conn.execute("DELETE FROM exchanges WHERE id = ?1", [id])?;
    Ok(())
}

// ----- participants -----

const PARTICIPANT_COLUMNS: &str = "id, exchange_id, user_id, name, email, gift_ideas, reminders,
    created_at, removed_at, removed_how";

fn participant_from_row(r: &Row<'_>) -> rusqlite::Result<Participant> {
    let how: Option<String> = r.get(9)?;
    Ok(Participant {
        id: r.get(0)?,
        exchange_id: r.get(1)?,
        user_id: r.get(2)?,
        name: r.get(3)?,
        email: r.get(4)?,
        gift_ideas: r.get(5)?,
        reminders: r.get(6)?,
        created_at: r.get(7)?,
        removed_at: r.get(8)?,
        removed_how: how.and_then(|how| how.parse().ok()),
    })
}

pub(crate) struct NewParticipant<'a> {
    pub exchange_id: i64,
    pub user_id: i64,
    pub name: &'a str,
    pub email: &'a str,
    pub gift_ideas: &'a str,
    pub reminders: bool,
}

/// Adds a participant; an email already in the exchange is a 409 naming `email`.
pub(crate) fn insert_participant(
    conn: &Connection,
    p: &NewParticipant<'_>,
    now: i64,
) -> Result<i64, AppError> {
    let result = conn.execute(
        "INSERT INTO exchange_participants (exchange_id, user_id, name, email, gift_ideas,
                                            reminders, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![p.exchange_id, p.user_id, p.name, p.email, p.gift_ideas, p.reminders, now],
    );
    match result {
        Ok(_) => Ok(conn.last_insert_rowid()),
        Err(err) if unique_violation(&err).is_some() => Err(already_registered()),
        Err(err) => Err(err.into()),
    }
}

pub(crate) fn already_registered() -> AppError {
    AppError::conflict_field("email", "This email address is already registered for this exchange.")
        .with_code("already_registered")
}

/// A participant of this exchange (still in or not).
pub(crate) fn get_participant(
    conn: &Connection,
    exchange_id: i64,
    id: i64,
) -> Result<Option<Participant>, AppError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {PARTICIPANT_COLUMNS} FROM exchange_participants
                  WHERE id = ?1 AND exchange_id = ?2"
            ),
            [id, exchange_id],
            participant_from_row,
        )
        .optional()?)
}

/// Everyone who registered, those still in first, each group by id.
pub(crate) fn all_participants(
    conn: &Connection,
    exchange_id: i64,
) -> Result<Vec<Participant>, AppError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM exchange_participants WHERE exchange_id = ?1
          ORDER BY removed_at IS NOT NULL, id"
    ))?;
    let rows = stmt.query_map([exchange_id], participant_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Those still in, by id (the stable order matching works in).
pub(crate) fn active_participants(
    conn: &Connection,
    exchange_id: i64,
) -> Result<Vec<Participant>, AppError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM exchange_participants
          WHERE exchange_id = ?1 AND removed_at IS NULL ORDER BY id"
    ))?;
    let rows = stmt.query_map([exchange_id], participant_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn count_active(conn: &Connection, exchange_id: i64) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM exchange_participants WHERE exchange_id = ?1 AND removed_at IS NULL",
        [exchange_id],
        |r| r.get(0),
    )?)
}

/// Exchange id -> participants still in, for every exchange that has any.
pub(crate) fn active_counts(conn: &Connection) -> Result<HashMap<i64, i64>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT exchange_id, count(*) FROM exchange_participants WHERE removed_at IS NULL
          GROUP BY exchange_id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The user's place in an exchange, while they are in it.
pub(crate) fn participation(
    conn: &Connection,
    exchange_id: i64,
    user_id: i64,
) -> Result<Option<Participant>, AppError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {PARTICIPANT_COLUMNS} FROM exchange_participants
                  WHERE exchange_id = ?1 AND user_id = ?2 AND removed_at IS NULL
                  ORDER BY id LIMIT 1"
            ),
            [exchange_id, user_id],
            participant_from_row,
        )
        .optional()?)
}

/// The name the user goes by everywhere in the club (first and last name, else display name,
/// else username): a member joining with one click appears under it.
pub(crate) fn member_name(conn: &Connection, user_id: i64) -> Result<String, AppError> {
    let sql = format!("SELECT {} FROM users u WHERE u.id = ?1", name_sql("u"));
    Ok(conn.query_row(&sql, [user_id], |r| r.get(0))?)
}

/// Every exchange place the user holds, soonest exchange first.
pub(crate) fn participations_of(
    conn: &Connection,
    user_id: i64,
) -> Result<Vec<Participant>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT p.id, p.exchange_id, p.user_id, p.name, p.email, p.gift_ideas, p.reminders,
                p.created_at, p.removed_at, p.removed_how
           FROM exchange_participants p JOIN exchanges e ON e.id = p.exchange_id
          WHERE p.user_id = ?1 AND p.removed_at IS NULL
          ORDER BY e.exchange_date, e.id",
    )?;
    let rows = stmt.query_map([user_id], participant_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The participant still in with this (normalised) email.
pub(crate) fn active_by_email(
    conn: &Connection,
    exchange_id: i64,
    email: &str,
) -> Result<Option<Participant>, AppError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {PARTICIPANT_COLUMNS} FROM exchange_participants
                  WHERE exchange_id = ?1 AND email = ?2 AND removed_at IS NULL"
            ),
            params![exchange_id, email],
            participant_from_row,
        )
        .optional()?)
}

pub(crate) fn update_participant(
    conn: &Connection,
    id: i64,
    name: &str,
    gift_ideas: &str,
    reminders: bool,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE exchange_participants SET name = ?2, gift_ideas = ?3, reminders = ?4,
                updated_at = ?5 WHERE id = ?1",
        params![id, name, gift_ideas, reminders, now],
    )?;
    Ok(())
}

/// Soft-deletes a participant and drops the exclusions that name them.
pub(crate) fn remove_participant(
    conn: &Connection,
    id: i64,
    how: RemovedHow,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE exchange_participants SET removed_at = ?2, removed_how = ?3, updated_at = ?2
          WHERE id = ?1 AND removed_at IS NULL",
        params![id, now, how.as_str()],
    )?;
    conn.execute(
        "DELETE FROM exchange_exclusions WHERE participant_a = ?1 OR participant_b = ?1",
        [id],
    )?;
    Ok(())
}

// ----- exclusions -----

fn exclusion_from_row(r: &Row<'_>) -> rusqlite::Result<Exclusion> {
    Ok(Exclusion { id: r.get(0)?, participant_a: r.get(1)?, participant_b: r.get(2)? })
}

/// Stores the pair (lower id first); the same pair again is a 409.
pub(crate) fn insert_exclusion(
    conn: &Connection,
    exchange_id: i64,
    a: i64,
    b: i64,
    now: i64,
) -> Result<i64, AppError> {
    let (low, high) = (a.min(b), a.max(b));
    let result = conn.execute(
        "INSERT INTO exchange_exclusions (exchange_id, participant_a, participant_b, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![exchange_id, low, high, now],
    );
    match result {
        Ok(_) => Ok(conn.last_insert_rowid()),
        Err(err) if unique_violation(&err).is_some() => Err(AppError::conflict_field(
            "participant_b",
            "These two are already kept from drawing each other.",
        )
        .with_code("duplicate_exclusion")),
        Err(err) => Err(err.into()),
    }
}

pub(crate) fn list_exclusions(
    conn: &Connection,
    exchange_id: i64,
) -> Result<Vec<Exclusion>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT id, participant_a, participant_b
           FROM exchange_exclusions WHERE exchange_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([exchange_id], exclusion_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn get_exclusion(
    conn: &Connection,
    exchange_id: i64,
    id: i64,
) -> Result<Option<Exclusion>, AppError> {
    Ok(conn
        .query_row(
            "SELECT id, participant_a, participant_b
               FROM exchange_exclusions WHERE id = ?1 AND exchange_id = ?2",
            [id, exchange_id],
            exclusion_from_row,
        )
        .optional()?)
}

pub(crate) fn delete_exclusion(conn: &Connection, id: i64) -> Result<(), AppError> {
    conn.execute("DELETE FROM exchange_exclusions WHERE id = ?1", [id])?;
    Ok(())
}

// ----- the drawn cycle -----

pub(crate) fn insert_match(
    conn: &Connection,
    exchange_id: i64,
    giver_id: i64,
    receiver_id: i64,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO exchange_matches (exchange_id, giver_id, receiver_id, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![exchange_id, giver_id, receiver_id, now],
    )?;
    Ok(())
}

/// Deletes the drawn cycle; how many pairs there were.
pub(crate) fn delete_matches(conn: &Connection, exchange_id: i64) -> Result<usize, AppError> {
    Ok(conn.execute("DELETE FROM exchange_matches WHERE exchange_id = ?1", [exchange_id])?)
}

/// (giver, receiver) pairs, by giver id.
pub(crate) fn matches(conn: &Connection, exchange_id: i64) -> Result<Vec<(i64, i64)>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT giver_id, receiver_id FROM exchange_matches WHERE exchange_id = ?1
          ORDER BY giver_id",
    )?;
    let rows = stmt.query_map([exchange_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whom this giver gives to, once drawn.
pub(crate) fn receiver_of(conn: &Connection, giver_id: i64) -> Result<Option<i64>, AppError> {
    Ok(conn
        .query_row(
            "SELECT receiver_id FROM exchange_matches WHERE giver_id = ?1",
            [giver_id],
            |r| r.get(0),
        )
        .optional()?)
}

// ----- the organizer right -----

/// The roles of an account, or None when there is no such account.
pub(crate) fn account_roles(
    conn: &Connection,
    user_id: i64,
) -> Result<Option<Vec<Role>>, AppError> {
    let row: Option<Option<String>> = conn
        .query_row(
            "SELECT (SELECT group_concat(role) FROM user_roles WHERE user_id = u.id)
               FROM users u WHERE u.id = ?1",
            [user_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(row.map(|joined| parse_roles(joined.as_deref())))
}

pub(crate) fn remove_role(conn: &Connection, user_id: i64, role: Role) -> Result<(), AppError> {
    conn.execute(
        "DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2",
        params![user_id, role.as_str()],
    )?;
    Ok(())
}

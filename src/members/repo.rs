//! Member queries: profiles, club fields and answers, the agreement, status history, lists.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::{
    active_member_sql, name_sql, Agreement, FieldKind, ProfileField, Signature, Visibility,
};
use crate::accounts::model::{parse_roles, Role, UserStatus};
use crate::error::AppError;

/// A member's own profile, as stored.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub user_id: i64,
    pub username: String,
    pub email: String,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub zip: String,
    pub timezone: String,
    pub coach_id: Option<i64>,
    pub coach_name: Option<String>,
    pub venue: String,
    pub address: String,
    pub emergency_contact_name: String,
    pub emergency_contact_phone: String,
    pub show_email: bool,
    pub show_phone: bool,
    pub status: UserStatus,
    pub roles: Vec<Role>,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub onboarding_completed_at: Option<i64>,
}

fn status_of(s: &str) -> rusqlite::Result<UserStatus> {
    s.parse()
        .map_err(|e: String| rusqlite::Error::InvalidColumnType(0, e, rusqlite::types::Type::Text))
}

pub(crate) fn find_profile(conn: &Connection, user_id: i64) -> Result<Option<Profile>, AppError> {
    let sql = format!(
        "SELECT u.id, u.username, u.email, {name}, u.first_name, u.last_name, u.phone, u.city,
                u.state, u.country, u.zip, u.timezone, u.coach_id,
                (SELECT {coach} FROM users c WHERE c.id = u.coach_id),
                u.venue, u.address, u.emergency_contact_name, u.emergency_contact_phone,
                u.show_email, u.show_phone, u.status,
                (SELECT group_concat(role) FROM user_roles WHERE user_id = u.id),
                u.created_at, u.activated_at, u.onboarding_completed_at
         FROM users u WHERE u.id = ?1",
        name = name_sql("u"),
        coach = name_sql("c")
    );
    Ok(conn
        .query_row(&sql, [user_id], |r| {
            Ok(Profile {
                user_id: r.get(0)?,
                username: r.get(1)?,
                email: r.get(2)?,
                name: r.get(3)?,
                first_name: r.get(4)?,
                last_name: r.get(5)?,
                phone: r.get(6)?,
                city: r.get(7)?,
                state: r.get(8)?,
                country: r.get(9)?,
                zip: r.get(10)?,
                timezone: r.get(11)?,
                coach_id: r.get(12)?,
                coach_name: r.get(13)?,
                venue: r.get(14)?,
                address: r.get(15)?,
                emergency_contact_name: r.get(16)?,
                emergency_contact_phone: r.get(17)?,
                show_email: r.get(18)?,
                show_phone: r.get(19)?,
                status: status_of(&r.get::<_, String>(20)?)?,
                roles: parse_roles(r.get::<_, Option<String>>(21)?.as_deref()),
                created_at: r.get(22)?,
                activated_at: r.get(23)?,
                onboarding_completed_at: r.get(24)?,
            })
        })
        .optional()?)
}

/// Writes every editable column of a profile.
pub(crate) fn save_profile(conn: &Connection, p: &Profile, now: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET first_name = ?2, last_name = ?3, phone = ?4, city = ?5, state = ?6,
                country = ?7, zip = ?8, timezone = ?9, coach_id = ?10, venue = ?11, address = ?12,
                emergency_contact_name = ?13, emergency_contact_phone = ?14, show_email = ?15,
                show_phone = ?16, updated_at = ?17
         WHERE id = ?1",
        params![
            p.user_id,
            p.first_name,
            p.last_name,
            p.phone,
            p.city,
            p.state,
            p.country,
            p.zip,
            p.timezone,
            p.coach_id,
            p.venue,
            p.address,
            p.emergency_contact_name,
            p.emergency_contact_phone,
            p.show_email,
            p.show_phone,
            now
        ],
    )?;
    Ok(())
}

pub(crate) fn mark_onboarding_complete(
    conn: &Connection,
    user_id: i64,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET onboarding_completed_at = ?2, updated_at = ?2 WHERE id = ?1",
        params![user_id, now],
    )?;
    Ok(())
}

/// Whether `user_id` is an active user with the coach role (someone a member can name).
pub(crate) fn is_coach(conn: &Connection, user_id: i64) -> Result<bool, AppError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'coach'
             WHERE u.id = ?1 AND u.status = 'active'",
            [user_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// (id, name) of every active coach, by name.
pub(crate) fn coaches(conn: &Connection) -> Result<Vec<(i64, String)>, AppError> {
    let name = name_sql("u");
    let sql = format!(
        "SELECT u.id, {name} AS name FROM users u
         JOIN user_roles r ON r.user_id = u.id AND r.role = 'coach'
         WHERE u.status = 'active' ORDER BY name COLLATE NOCASE"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ----- club fields -----

const FIELD_COLUMNS: &str = "id, key, label, kind, required, visibility, choices, position";

fn field_row(r: &Row<'_>) -> rusqlite::Result<ProfileField> {
    let bad = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let kind: String = r.get(3)?;
    let visibility: String = r.get(5)?;
    let choices: String = r.get(6)?;
    Ok(ProfileField {
        id: r.get(0)?,
        key: r.get(1)?,
        label: r.get(2)?,
        kind: kind.parse::<FieldKind>().map_err(|e| bad(3, e))?,
        required: r.get(4)?,
        visibility: visibility.parse::<Visibility>().map_err(|e| bad(5, e))?,
        choices: serde_json::from_str(&choices).map_err(|e| bad(6, e.to_string()))?,
        position: r.get(7)?,
    })
}

/// Every club field in the order the club chose.
pub(crate) fn list_fields(conn: &Connection) -> Result<Vec<ProfileField>, AppError> {
    let sql = format!("SELECT {FIELD_COLUMNS} FROM profile_fields ORDER BY position, id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], field_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn find_field(conn: &Connection, id: i64) -> Result<Option<ProfileField>, AppError> {
    let sql = format!("SELECT {FIELD_COLUMNS} FROM profile_fields WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], field_row).optional()?)
}

/// Inserts or updates (when `f.id` is non-zero) a club field; returns its id.
pub(crate) fn save_field(conn: &Connection, f: &ProfileField, now: i64) -> Result<i64, AppError> {
    let choices = serde_json::to_string(&f.choices).map_err(AppError::internal)?;
    let args = params![
        f.key,
        f.label,
        f.kind.as_str(),
        f.required,
        f.visibility.as_str(),
        choices,
        f.position,
        now,
        f.id
    ];
    if f.id == 0 {
        conn.execute(
            "INSERT INTO profile_fields
                 (key, label, kind, required, visibility, choices, position, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            rusqlite::params_from_iter(args.iter().take(8)),
        )?;
        Ok(conn.last_insert_rowid())
    } else {
        conn.execute(
            "UPDATE profile_fields SET key = ?1, label = ?2, kind = ?3, required = ?4,
                    visibility = ?5, choices = ?6, position = ?7, updated_at = ?8
             WHERE id = ?9",
            args,
        )?;
        Ok(f.id)
    }
}

/// Whether a field other than `id` already has `key`.
pub(crate) fn key_taken(conn: &Connection, key: &str, id: i64) -> Result<bool, AppError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM profile_fields WHERE key = ?1 AND id <> ?2",
            params![key, id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(crate) fn delete_field(conn: &Connection, id: i64) -> Result<bool, AppError> {
    Ok(conn.execute("DELETE FROM profile_fields WHERE id = ?1", [id])? > 0)
}

pub(crate) fn next_field_position(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn
        .query_row("SELECT coalesce(max(position), 0) + 1 FROM profile_fields", [], |r| r.get(0))?)
}

/// A member's answers: (field id, value).
pub(crate) fn answers(conn: &Connection, user_id: i64) -> Result<Vec<(i64, String)>, AppError> {
    let mut stmt = conn.prepare("SELECT field_id, value FROM profile_values WHERE user_id = ?1")?;
    let rows = stmt.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Sets (or with `None`, clears) one answer.
pub(crate) fn set_answer(
    conn: &Connection,
    user_id: i64,
    field_id: i64,
    value: Option<&str>,
) -> Result<(), AppError> {
    match value {
        Some(value) => conn.execute(
            "INSERT INTO profile_values (user_id, field_id, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (user_id, field_id) DO UPDATE SET value = excluded.value",
            params![user_id, field_id, value],
        )?,
        None => conn.execute(
            "DELETE FROM profile_values WHERE user_id = ?1 AND field_id = ?2",
            params![user_id, field_id],
        )?,
    };
    Ok(())
}

// ----- the agreement -----

fn agreement_row(r: &Row<'_>) -> rusqlite::Result<Agreement> {
    Ok(Agreement {
        id: r.get(0)?,
        version: r.get(1)?,
        title: r.get(2)?,
        body: r.get(3)?,
        created_at: r.get(4)?,
        retired_at: r.get(5)?,
    })
}

const AGREEMENT_COLUMNS: &str = "id, version, title, body, created_at, retired_at";

/// The newest version, unless it was retired (then the club asks for no agreement).
pub(crate) fn current_agreement(conn: &Connection) -> Result<Option<Agreement>, AppError> {
    let sql = format!(
        "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE retired_at IS NULL
           AND version = (SELECT max(version) FROM agreements)"
    );
    Ok(conn.query_row(&sql, [], agreement_row).optional()?)
}

/// Every version, newest first.
pub(crate) fn agreements(conn: &Connection) -> Result<Vec<Agreement>, AppError> {
    let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements ORDER BY version DESC");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], agreement_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Saves a new version; returns its number.
pub(crate) fn insert_agreement(
    conn: &Connection,
    title: &str,
    body: &str,
    by: Option<i64>,
    now: i64,
) -> Result<i64, AppError> {
    let version: i64 =
        conn.query_row("SELECT coalesce(max(version), 0) + 1 FROM agreements", [], |r| r.get(0))?;
    conn.execute(
        "INSERT INTO agreements (version, title, body, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![version, title, body, by, now],
    )?;
    Ok(version)
}

pub(crate) fn retire_agreement(conn: &Connection, id: i64, now: i64) -> Result<(), AppError> {
    conn.execute("UPDATE agreements SET retired_at = ?2 WHERE id = ?1", params![id, now])?;
    Ok(())
}

pub(crate) fn insert_signature(
    conn: &Connection,
    user_id: i64,
    agreement_id: i64,
    full_name: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO agreement_signatures (user_id, agreement_id, full_name, ip, signed_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![user_id, agreement_id, full_name, ip, now],
    )?;
    Ok(())
}

/// A member's signatures, newest version first.
pub(crate) fn signatures(conn: &Connection, user_id: i64) -> Result<Vec<Signature>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT a.version, s.full_name, s.ip, s.signed_at FROM agreement_signatures s
         JOIN agreements a ON a.id = s.agreement_id
         WHERE s.user_id = ?1 ORDER BY a.version DESC",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok(Signature {
            version: r.get(0)?,
            full_name: r.get(1)?,
            ip: r.get(2)?,
            signed_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ----- status -----

/// One status change of a member.
#[derive(Debug, Clone)]
pub(crate) struct StatusChange {
    pub from: Option<String>,
    pub to: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub note: Option<String>,
    pub at: i64,
}

/// Moves a member to `to` and records the change (from what, by whom, why).
pub(crate) fn change_status(
    conn: &Connection,
    user_id: i64,
    from: UserStatus,
    to: UserStatus,
    actor_id: Option<i64>,
    note: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET status = ?2, updated_at = ?3,
                activated_at = CASE WHEN ?2 = 'active' THEN coalesce(activated_at, ?3)
                                    ELSE activated_at END
         WHERE id = ?1",
        params![user_id, to.as_str(), now],
    )?;
    conn.execute(
        "INSERT INTO status_events (user_id, from_status, to_status, actor_user_id, note, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![user_id, from.as_str(), to.as_str(), actor_id, note, now],
    )?;
    Ok(())
}

/// Records the status an account was created with, as the first entry of its timeline.
pub(crate) fn record_initial_status(
    conn: &Connection,
    user_id: i64,
    status: UserStatus,
    actor_id: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO status_events (user_id, from_status, to_status, actor_user_id, at)
         VALUES (?1, NULL, ?2, ?3, ?4)",
        params![user_id, status.as_str(), actor_id, now],
    )?;
    Ok(())
}

/// A member's status changes, oldest first.
pub(crate) fn timeline(conn: &Connection, user_id: i64) -> Result<Vec<StatusChange>, AppError> {
    let sql = format!(
        "SELECT e.from_status, e.to_status, e.actor_user_id,
                (SELECT {name} FROM users a WHERE a.id = e.actor_user_id), e.note, e.at
         FROM status_events e WHERE e.user_id = ?1 ORDER BY e.at, e.id",
        name = name_sql("a")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([user_id], |r| {
        Ok(StatusChange {
            from: r.get(0)?,
            to: r.get(1)?,
            actor_id: r.get(2)?,
            actor_name: r.get(3)?,
            note: r.get(4)?,
            at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The status a member had before they were last disabled.
pub(crate) fn status_before_disable(
    conn: &Connection,
    user_id: i64,
) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row(
            "SELECT from_status FROM status_events WHERE user_id = ?1 AND to_status = 'disabled'
             ORDER BY at DESC, id DESC LIMIT 1",
            [user_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

/// Ids of members waiting in `status`.
pub(crate) fn ids_with_status(conn: &Connection, status: UserStatus) -> Result<Vec<i64>, AppError> {
    let mut stmt = conn.prepare("SELECT id FROM users WHERE status = ?1")?;
    let rows = stmt.query_map([status.as_str()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ----- lists -----

/// Turns a search into a LIKE pattern that matches it anywhere, with `\` escaping.
pub(crate) fn like_pattern(q: &str) -> String {
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// One entry of the member directory, before club fields are added.
#[derive(Debug, Clone)]
pub(crate) struct DirectoryRow {
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// Only when the member chose to show it.
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The directory's filter over `users u`: active members (guests excluded) whose name or
/// username contains the pattern `?1` (NULL: everybody).
fn directory_filter(name: &str) -> String {
    let active = active_member_sql("u");
    format!(
        "{active}
         AND (?1 IS NULL OR {name} LIKE ?1 ESCAPE '\\' OR u.username LIKE ?1 ESCAPE '\\')"
    )
}

/// What the directory shows of each member of `users u`, in the order `directory_row` reads.
fn directory_columns() -> String {
    let name = name_sql("u");
    format!(
        "u.id, u.username, {name} AS name,
         (SELECT group_concat(role) FROM user_roles WHERE user_id = u.id) AS roles,
         CASE WHEN u.show_email THEN u.email END,
         CASE WHEN u.show_phone AND u.phone <> '' THEN u.phone END"
    )
}

fn directory_row(r: &Row<'_>) -> rusqlite::Result<DirectoryRow> {
    Ok(DirectoryRow {
        user_id: r.get(0)?,
        username: r.get(1)?,
        name: r.get(2)?,
        roles: parse_roles(r.get::<_, Option<String>>(3)?.as_deref()),
        email: r.get(4)?,
        phone: r.get(5)?,
    })
}

/// The directory's order: by name without regard to case, then id, so that pages never
/// overlap. The `users_directory` index holds it.
fn directory_order_sql() -> String {
    format!("ORDER BY {} COLLATE NOCASE, u.id", name_sql("u"))
}

/// The directory query: one page (`?2` rows after `?3`) of the members `directory_filter`
/// keeps, in directory order.
fn directory_sql() -> String {
    let (columns, order) = (directory_columns(), directory_order_sql());
    let filter = directory_filter(&name_sql("u"));
    format!("SELECT {columns} FROM users u WHERE {filter} {order} LIMIT ?2 OFFSET ?3")
}

/// How many active members (guests excluded) have a name or username containing `q`.
pub(crate) fn count_directory(conn: &Connection, q: Option<&str>) -> Result<i64, AppError> {
    let filter = directory_filter(&name_sql("u"));
    let sql = format!("SELECT count(*) FROM users u WHERE {filter}");
    Ok(conn.prepare_cached(&sql)?.query_row([q.map(like_pattern)], |r| r.get(0))?)
}

/// `limit` active members (guests excluded) whose name or username contains `q`, after
/// `offset` of them, in directory order.
pub(crate) fn directory(
    conn: &Connection,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<DirectoryRow>, AppError> {
    let mut stmt = conn.prepare_cached(&directory_sql())?;
    let rows = stmt.query_map(params![q.map(like_pattern), limit, offset], directory_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The query of `directory_ids`.
fn directory_ids_sql() -> String {
    let (active, order) = (active_member_sql("u"), directory_order_sql());
    format!("SELECT u.id FROM users u WHERE {active} {order}")
}

/// The ids of every active member (guests excluded), in directory order.
pub(crate) fn directory_ids(conn: &Connection) -> Result<Vec<i64>, AppError> {
    let mut stmt = conn.prepare_cached(&directory_ids_sql())?;
    let ids = stmt.query_map([], |r| r.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// The directory entries of the members `user_ids`, in that order. Anyone no longer an active
/// member is left out.
pub(crate) fn directory_rows(
    conn: &Connection,
    user_ids: &[i64],
) -> Result<Vec<DirectoryRow>, AppError> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (columns, active) = (directory_columns(), active_member_sql("u"));
    let sql = format!(
        "SELECT {columns} FROM users u
         WHERE u.id IN (SELECT value FROM json_each(?1)) AND {active}"
    );
    let ids = serde_json::to_string(user_ids).map_err(AppError::internal)?;
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<DirectoryRow> =
        stmt.query_map([ids], directory_row)?.collect::<Result<_, _>>()?;
    rows.sort_by_key(|row| user_ids.iter().position(|id| *id == row.user_id));
    Ok(rows)
}

/// The query of `shared_answers`: `?1` is a JSON array of user ids.
const SHARED_ANSWERS_SQL: &str = "SELECT v.user_id, v.field_id, v.value FROM profile_values v
     JOIN profile_fields f ON f.id = v.field_id AND f.visibility IN ('members', 'public')
     WHERE v.user_id IN (SELECT value FROM json_each(?1))";

/// The answers of the members `user_ids` to fields visible to members (or the public):
/// (user id, field id, value). One query for a page of the directory; the ids go in as one
/// JSON array, so every page size shares one compiled statement.
pub(crate) fn shared_answers(
    conn: &Connection,
    user_ids: &[i64],
) -> Result<Vec<(i64, i64, String)>, AppError> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(user_ids).map_err(AppError::internal)?;
    let mut stmt = conn.prepare_cached(SHARED_ANSWERS_SQL)?;
    let rows = stmt.query_map([ids], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many members signed each version: (agreement id, count).
pub(crate) fn signature_counts(conn: &Connection) -> Result<Vec<(i64, i64)>, AppError> {
    let mut stmt = conn
        .prepare("SELECT agreement_id, count(*) FROM agreement_signatures GROUP BY agreement_id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let values = params![Some("%a%"), 50, 100];
        let rows = stmt
            .query_map(&values[..stmt.parameter_count()], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows.join("\n")
    }

    fn migrated() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate(&mut conn).unwrap();
        conn
    }

    #[test]
    fn a_directory_page_is_read_in_index_order_without_sorting_every_member() {
        let conn = migrated();
        let fresh = plan(&conn, &directory_sql());
        assert!(fresh.contains("USING INDEX users_directory"), "{fresh}");
        assert!(!fresh.contains("TEMP B-TREE"), "{fresh}");

        // The same once SQLite has statistics of a club with many members.
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
             INSERT INTO users (username, email, first_name, last_name, status, created_at,
                                updated_at)
             SELECT 'u' || i, 'u' || i || '@example.org', 'First' || (i * 7 % 500), 'Last',
                    CASE WHEN i % 10 = 0 THEN 'disabled' ELSE 'active' END, 0, 0 FROM n;
             INSERT INTO user_roles (user_id, role) SELECT id, 'member' FROM users;
             ANALYZE;",
        )
        .unwrap();
        let known = plan(&conn, &directory_sql());
        assert!(known.contains("USING INDEX users_directory"), "{known}");
        assert!(!known.contains("TEMP B-TREE"), "{known}");
        // So is the whole order the directory keeps between page views.
        let all = plan(&conn, &directory_ids_sql());
        assert!(all.contains("INDEX users_directory") && !all.contains("TEMP B-TREE"), "{all}");

        conn.execute_batch("DROP INDEX users_directory").unwrap();
        let without = plan(&conn, &directory_sql());
        assert!(without.contains("USE TEMP B-TREE FOR ORDER BY"), "without it: {without}");
    }

    #[test]
    fn directory_ids_and_rows_give_the_active_members_in_order() {
        let conn = migrated();
        conn.execute_batch(
            "INSERT INTO users (id, username, email, first_name, status, created_at, updated_at)
             VALUES (1, 'a', 'a@x.org', 'cat', 'active', 0, 0),
                    (2, 'b', 'b@x.org', 'Bee', 'active', 0, 0),
                    (3, 'c', 'c@x.org', 'ant', 'active', 0, 0),
                    (4, 'd', 'd@x.org', 'Ape', 'disabled', 0, 0),
                    (5, 'e', 'e@x.org', 'Aal', 'active', 0, 0),
                    (6, 'f', 'f@x.org', 'bee', 'active', 0, 0);
             INSERT INTO user_roles (user_id, role)
             VALUES (1, 'member'), (2, 'member'), (3, 'member'), (3, 'coach'), (4, 'member'),
                    (5, 'guest'), (6, 'member');",
        )
        .unwrap();
        assert_eq!(directory_ids(&conn).unwrap(), [3, 2, 6, 1], "by name, any case, then id");

        // Rows come in the order asked for; someone no longer active is left out.
        let rows = directory_rows(&conn, &[1, 4, 3, 5]).unwrap();
        let found: Vec<(i64, &str)> = rows.iter().map(|r| (r.user_id, r.name.as_str())).collect();
        assert_eq!(found, [(1, "cat"), (3, "ant")]);
        assert_eq!(rows[1].roles.len(), 2);
        assert!(directory_rows(&conn, &[]).unwrap().is_empty());
    }

    #[test]
    fn shared_answers_are_those_of_the_members_asked_for_and_shared_with_members() {
        let conn = migrated();
        conn.execute_batch(
            "INSERT INTO users (id, username, email, created_at, updated_at)
             VALUES (1, 'a', 'a@x.org', 0, 0), (2, 'b', 'b@x.org', 0, 0), (3, 'c', 'c@x.org', 0, 0);
             INSERT INTO profile_fields (id, key, label, kind, visibility, created_at, updated_at)
             VALUES (1, 'level', 'Level', 'text', 'members', 0, 0),
                    (2, 'club', 'Club', 'text', 'public', 0, 0),
                    (3, 'vet', 'Vet', 'text', 'private', 0, 0);
             INSERT INTO profile_values (user_id, field_id, value)
             SELECT u.id, f.id, f.key || u.id FROM users u, profile_fields f;",
        )
        .unwrap();
        let mut found = shared_answers(&conn, &[1, 3]).unwrap();
        found.sort();
        let expected = [(1, 1, "level1"), (1, 2, "club1"), (3, 1, "level3"), (3, 2, "club3")];
        assert_eq!(found, expected.map(|(u, f, v)| (u, f, v.to_string())));
        assert!(shared_answers(&conn, &[]).unwrap().is_empty());
    }

    #[test]
    fn shared_answers_of_a_page_use_the_primary_key_of_the_answers() {
        let conn = migrated();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {SHARED_ANSWERS_SQL}")).unwrap();
        let found = stmt
            .query_map(["[1, 2, 3]"], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .join("\n");
        assert!(found.contains("SEARCH v USING PRIMARY KEY (user_id=?)"), "{found}");
    }
}

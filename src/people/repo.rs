//! Queries of people management.

use rusqlite::{params, Connection, OptionalExtension};

use crate::accounts::model::{parse_roles, Role, UserStatus};
use crate::error::AppError;
use crate::members::model::name_sql;
use crate::members::repo::like_pattern;

crate::values::string_enum! {
    /// The order of the member list, always ending with the id so pages never overlap.
    pub(crate) enum SortKey {
        Name = "name",
        Email = "email",
        Status = "status",
        Joined = "joined",
        MemberSince = "member_since",
        LastLogin = "last_login",
    }
}

impl SortKey {
    /// The SQL ordering term; people who never logged in come last either way.
    fn sql(self, descending: bool) -> String {
        let dir = if descending { "DESC" } else { "ASC" };
        match self {
            SortKey::Name => format!("name COLLATE NOCASE {dir}"),
            SortKey::Email => format!("u.email COLLATE NOCASE {dir}"),
            SortKey::Status => format!("u.status {dir}, name COLLATE NOCASE"),
            SortKey::Joined => format!("u.created_at {dir}"),
            SortKey::MemberSince => format!("coalesce(u.activated_at, u.created_at) {dir}"),
            SortKey::LastLogin => format!("u.last_login_at IS NULL, u.last_login_at {dir}"),
        }
    }
}

/// A checked filter of the member list.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

/// One line of the member list and of the export.
#[derive(Debug, Clone)]
pub(crate) struct PersonRow {
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub status: UserStatus,
    pub roles: Vec<Role>,
    pub created_at: i64,
    pub member_since: i64,
    pub last_login_at: Option<i64>,
    pub onboarding_completed_at: Option<i64>,
    pub signed_version: Option<i64>,
}

const WHERE: &str = "WHERE (?1 IS NULL OR u.status = ?1)
   AND (?2 IS NULL OR EXISTS (SELECT 1 FROM user_roles fr WHERE fr.user_id = u.id AND fr.role = ?2))
   AND (?3 IS NULL OR {name} LIKE ?3 ESCAPE '\\' OR u.username LIKE ?3 ESCAPE '\\'
        OR u.email LIKE ?3 ESCAPE '\\')";

fn where_clause() -> String {
    WHERE.replace("{name}", &name_sql("u"))
}

/// How many people match `filter`.
pub(crate) fn count_people(conn: &Connection, filter: &Filter) -> Result<i64, AppError> {
    let sql = format!("SELECT count(*) FROM users u {}", where_clause());
    let pattern = filter.q.as_deref().map(like_pattern);
    Ok(conn.query_row(
        &sql,
        params![filter.status.map(|s| s.as_str()), filter.role.map(|r| r.as_str()), pattern],
        |r| r.get(0),
    )?)
}

/// People matching `filter` in the order asked, `limit` of them from `offset` (all when
/// `limit` is None).
pub(crate) fn list_people(
    conn: &Connection,
    filter: &Filter,
    sort: SortKey,
    descending: bool,
    limit: Option<i64>,
    offset: i64,
) -> Result<Vec<PersonRow>, AppError> {
    let sql = format!(
        "SELECT u.id, u.username, {name} AS name, u.first_name, u.last_name, u.email, u.phone,
                u.status, (SELECT group_concat(role) FROM user_roles WHERE user_id = u.id),
                u.created_at, coalesce(u.activated_at, u.created_at), u.last_login_at,
                u.onboarding_completed_at,
                (SELECT max(a.version) FROM agreement_signatures s
                 JOIN agreements a ON a.id = s.agreement_id WHERE s.user_id = u.id)
         FROM users u {filter}
         ORDER BY {order}, u.id
         LIMIT ?4 OFFSET ?5",
        name = name_sql("u"),
        filter = where_clause(),
        order = sort.sql(descending),
    );
    let pattern = filter.q.as_deref().map(like_pattern);
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(
        params![
            filter.status.map(|s| s.as_str()),
            filter.role.map(|r| r.as_str()),
            pattern,
            limit.unwrap_or(-1),
            offset
        ],
        |r| {
            let status: String = r.get(7)?;
            Ok(PersonRow {
                user_id: r.get(0)?,
                username: r.get(1)?,
                name: r.get(2)?,
                first_name: r.get(3)?,
                last_name: r.get(4)?,
                email: r.get(5)?,
                phone: r.get(6)?,
                status: status.parse().map_err(|_| {
                    rusqlite::Error::FromSqlConversionFailure(
                        7,
                        rusqlite::types::Type::Text,
                        format!("unknown status {status}").into(),
                    )
                })?,
                roles: parse_roles(r.get::<_, Option<String>>(8)?.as_deref()),
                created_at: r.get(9)?,
                member_since: r.get(10)?,
                last_login_at: r.get(11)?,
                onboarding_completed_at: r.get(12)?,
                signed_version: r.get(13)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The account facts an admin sees next to the profile.
#[derive(Debug, Clone)]
pub(crate) struct AccountRow {
    pub username: String,
    pub email: String,
    pub status: UserStatus,
    pub roles: Vec<Role>,
    pub has_password: bool,
    pub two_factor_enabled: bool,
    pub claimed_at: Option<i64>,
    pub member_since: i64,
    pub last_login_at: Option<i64>,
}

pub(crate) fn find_account(
    conn: &Connection,
    user_id: i64,
) -> Result<Option<AccountRow>, AppError> {
    Ok(conn
        .query_row(
            "SELECT username, email, status,
                    (SELECT group_concat(role) FROM user_roles WHERE user_id = u.id),
                    password_hash IS NOT NULL, two_factor_enabled, claimed_at,
                    coalesce(activated_at, created_at), last_login_at
             FROM users u WHERE id = ?1",
            [user_id],
            |r| {
                let status: String = r.get(2)?;
                Ok(AccountRow {
                    username: r.get(0)?,
                    email: r.get(1)?,
                    status: status.parse().unwrap_or(UserStatus::Disabled),
                    roles: parse_roles(r.get::<_, Option<String>>(3)?.as_deref()),
                    has_password: r.get(4)?,
                    two_factor_enabled: r.get(5)?,
                    claimed_at: r.get(6)?,
                    member_since: r.get(7)?,
                    last_login_at: r.get(8)?,
                })
            },
        )
        .optional()?)
}

/// Sessions of the user that have not reached their absolute end.
pub(crate) fn count_live_sessions(
    conn: &Connection,
    user_id: i64,
    now: i64,
) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM sessions WHERE user_id = ?1 AND expires_at > ?2",
        params![user_id, now],
        |r| r.get(0),
    )?)
}

/// API logins (token families) of the user with a token still usable.
pub(crate) fn count_live_api_logins(
    conn: &Connection,
    user_id: i64,
    now: i64,
) -> Result<i64, AppError> {
    Ok(conn.query_row(
        "SELECT count(DISTINCT family) FROM api_tokens
          WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2",
        params![user_id, now],
        |r| r.get(0),
    )?)
}

/// Replaces the user's roles.
pub(crate) fn set_roles(conn: &Connection, user_id: i64, roles: &[Role]) -> Result<(), AppError> {
    conn.execute("DELETE FROM user_roles WHERE user_id = ?1", [user_id])?;
    crate::accounts::repo::add_roles(conn, user_id, roles)
}

pub(crate) fn set_two_factor_off(
    conn: &Connection,
    user_id: i64,
    now: i64,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE users SET two_factor_enabled = 0, updated_at = ?2 WHERE id = ?1",
        params![user_id, now],
    )?;
    Ok(())
}

/// One entry of the audit log about a user.
#[derive(Debug, Clone)]
pub(crate) struct AuditRow {
    pub kind: String,
    pub actor_name: Option<String>,
    pub detail: Option<String>,
    pub at: i64,
}

/// The newest `limit` audit entries whose target is `target`.
pub(crate) fn audit_about(
    conn: &Connection,
    target: &str,
    limit: i64,
) -> Result<Vec<AuditRow>, AppError> {
    let sql = format!(
        "SELECT l.kind, (SELECT {name} FROM users a WHERE a.id = l.actor_user_id), l.detail, l.at
         FROM audit_log l WHERE l.target = ?1 ORDER BY l.at DESC, l.id DESC LIMIT ?2",
        name = name_sql("a")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![target, limit], |r| {
        Ok(AuditRow { kind: r.get(0)?, actor_name: r.get(1)?, detail: r.get(2)?, at: r.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A column of some table that points at `users`, and what deleting the user does to it.
#[derive(Debug, Clone)]
pub(crate) struct UserReference {
    pub table: String,
    pub column: String,
    /// `CASCADE`, `SET NULL`, or anything else (which blocks the deletion).
    pub on_delete: String,
    /// Rows of `table` pointing at the user.
    pub rows: i64,
}

/// Every row anywhere in the database that points at the user, grouped by table and column,
/// read from the schema's own foreign keys so that a table added later is counted too.
pub(crate) fn references_to(
    conn: &Connection,
    user_id: i64,
) -> Result<Vec<UserReference>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT m.name, p.\"from\", p.on_delete
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) p
         WHERE m.type = 'table' AND p.\"table\" = 'users'
         ORDER BY m.name, p.\"from\"",
    )?;
    let keys = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?)))?
        .collect::<Result<Vec<(String, String, String)>, _>>()?;
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = Vec::new();
    for (table, column, on_delete) in keys {
        let sql = format!("SELECT count(*) FROM {} WHERE {} = ?1", quote(&table), quote(&column));
        let rows: i64 = conn.query_row(&sql, [user_id], |r| r.get(0))?;
        out.push(UserReference { table, column, on_delete: on_delete.to_uppercase(), rows });
    }
    Ok(out)
}

pub(crate) fn delete_user(conn: &Connection, user_id: i64) -> Result<bool, AppError> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?1", [user_id])? > 0)
}

// ----- imports -----

/// A stored import.
#[derive(Debug, Clone)]
pub(crate) struct ImportRecord {
    pub id: String,
    pub rows: String,
    pub expires_at: i64,
    pub committed_at: Option<i64>,
    pub result: Option<String>,
}

pub(crate) fn insert_import(
    conn: &Connection,
    id: &str,
    created_by: Option<i64>,
    rows: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO member_imports (id, created_by, rows, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, created_by, rows, now, expires_at],
    )?;
    Ok(())
}

pub(crate) fn find_import(conn: &Connection, id: &str) -> Result<Option<ImportRecord>, AppError> {
    Ok(conn
        .query_row(
            "SELECT id, rows, expires_at, committed_at, result
             FROM member_imports WHERE id = ?1",
            [id],
            |r| {
                Ok(ImportRecord {
                    id: r.get(0)?,
                    rows: r.get(1)?,
                    expires_at: r.get(2)?,
                    committed_at: r.get(3)?,
                    result: r.get(4)?,
                })
            },
        )
        .optional()?)
}

/// Marks an import committed with its outcome; false when it already was.
pub(crate) fn mark_import_committed(
    conn: &Connection,
    id: &str,
    result: &str,
    now: i64,
) -> Result<bool, AppError> {
    Ok(conn.execute(
        "UPDATE member_imports SET committed_at = ?2, result = ?3
          WHERE id = ?1 AND committed_at IS NULL",
        params![id, now, result],
    )? > 0)
}

/// Forgets imports past their end.
pub(crate) fn purge_imports(conn: &Connection, now: i64) -> Result<usize, AppError> {
    Ok(conn.execute("DELETE FROM member_imports WHERE expires_at <= ?1", [now])?)
}

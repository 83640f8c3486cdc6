//! Queries on `audit_log` for the admin screen (entries are written by `crate::audit`).

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::AppError;

/// The filter of a listing; `None` matches everything. An actor that matched no account is
/// `Some(-1)`, which matches nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub actor_id: Option<i64>,
    pub target: Option<String>,
    pub kind: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_username: Option<String>,
    pub kind: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

fn row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: r.get(0)?,
        at: r.get(1)?,
        actor_id: r.get(2)?,
        actor_username: r.get(3)?,
        kind: r.get(4)?,
        target: r.get(5)?,
        detail: r.get(6)?,
        ip: r.get(7)?,
    })
}

const WHERE: &str = "WHERE (?1 IS NULL OR a.actor_user_id = ?1)
                       AND (?2 IS NULL OR a.target = ?2)
                       AND (?3 IS NULL OR a.kind = ?3)";

/// Newest first.
pub(crate) fn list(
    conn: &Connection,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditRow>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT a.id, a.at, a.actor_user_id, u.username, a.kind, a.target, a.detail, a.ip
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
           {WHERE}
          ORDER BY a.id DESC LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = stmt.query_map(params![f.actor_id, f.target, f.kind, limit, offset], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn count(conn: &Connection, f: &Filter) -> Result<i64, AppError> {
    Ok(conn.query_row(
        &format!("SELECT count(*) FROM audit_log a {WHERE}"),
        params![f.actor_id, f.target, f.kind],
        |r| r.get(0),
    )?)
}

/// Every kind present, for the filter's choices.
pub(crate) fn kinds(conn: &Connection) -> Result<Vec<String>, AppError> {
    let mut stmt = conn.prepare_cached("SELECT DISTINCT kind FROM audit_log ORDER BY kind")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The account an actor filter names: a username (any case) or a numeric id.
pub(crate) fn find_actor(conn: &Connection, actor: &str) -> Result<Option<i64>, AppError> {
    Ok(conn
        .query_row(
            "SELECT id FROM users WHERE username = ?1 COLLATE NOCASE OR CAST(id AS TEXT) = ?1",
            [actor],
            |r| r.get(0),
        )
        .optional()?)
}

/// Deletes entries older than `cutoff`; returns how many.
pub(crate) fn delete_before(conn: &Connection, cutoff: i64) -> Result<usize, AppError> {
    Ok(conn.execute("DELETE FROM audit_log WHERE at < ?1", [cutoff])?)
}

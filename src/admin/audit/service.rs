//! Audit log use cases: listing, CSV export, and the retention period with its purge.

use rusqlite::Connection;
use serde_json::json;

use super::input::AuditQuery;
use super::repo::{self, Filter};
use super::views::{AuditEntry, AuditList, FilterView, RetentionView};
use crate::accounts::model::Actor;
use crate::audit::{self, AuditEvent};
use crate::clock::{format_in, rfc3339_at};
use crate::csv_file::CsvFile;
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::settings;

pub(crate) const PER_PAGE: i64 = 50;
/// The settings key of the retention period, in days.
pub(crate) const RETENTION_KEY: &str = "audit_retention_days";
pub(crate) const DEFAULT_RETENTION_DAYS: i64 = 365;
/// A week at least, so that a slip of the keyboard cannot wipe the recent history; ten years
/// at most.
pub(crate) const RETENTION_RANGE: std::ops::RangeInclusive<i64> = 7..=3650;
/// The most rows one export holds.
const EXPORT_LIMIT: i64 = 100_000;

fn admin_only(actor: &Actor) -> Result<(), AppError> {
    actor.require_admin("The audit log is for club admins.")
}

fn given(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// The filter and page of a query: 422 naming `kind` (not a kind's shape), `actor`, `target`
/// (too long) or `page` (not a whole number from 1).
fn parse_query(conn: &Connection, q: &AuditQuery) -> Result<(Filter, FilterView, i64), AppError> {
    let (actor, target, kind) = (given(&q.actor), given(&q.target), given(&q.kind));
    let mut v = Validator::new();
    v.check(
        kind.as_deref()
            .is_none_or(|k| k.len() <= 64 && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')),
        "kind",
        "Use a kind from the list, like login_failed.",
    );
    v.check(actor.as_deref().is_none_or(|a| a.len() <= 100), "actor", "Too long.");
    v.check(target.as_deref().is_none_or(|t| t.len() <= 200), "target", "Too long.");
    let page = match given(&q.page) {
        None => Some(1),
        Some(p) => p.parse::<i64>().ok().filter(|n| (1..=1_000_000).contains(n)),
    };
    v.check(page.is_some(), "page", "Use a page number from 1.");
    v.finish()?;
    let actor_id = match &actor {
        Some(name) => Some(repo::find_actor(conn, name)?.unwrap_or(-1)),
        None => None,
    };
    let view = FilterView {
        actor: actor.unwrap_or_default(),
        target: target.clone().unwrap_or_default(),
        kind: kind.clone().unwrap_or_default(),
    };
    Ok((Filter { actor_id, target, kind }, view, page.unwrap_or(1)))
}

/// The retention period in days (365 unless an admin changed it).
pub(crate) fn retention_days(conn: &Connection) -> Result<i64, AppError> {
    Ok(settings::get(conn, RETENTION_KEY)?
        .and_then(|v| v.parse().ok())
        .filter(|d| RETENTION_RANGE.contains(d))
        .unwrap_or(DEFAULT_RETENTION_DAYS))
}

/// Entries newest first, 50 a page, filtered by actor (username or id), target and kind.
/// Admins only (403); 422 for a malformed filter.
pub(crate) fn list(
    conn: &Connection,
    actor: &Actor,
    q: &AuditQuery,
) -> Result<AuditList, AppError> {
    admin_only(actor)?;
    let (filter, view, page) = parse_query(conn, q)?;
    let total = repo::count(conn, &filter)?;
    let rows = repo::list(conn, &filter, PER_PAGE, (page - 1) * PER_PAGE)?;
    Ok(AuditList {
        items: rows.into_iter().map(AuditEntry::of).collect(),
        filter: view,
        page,
        per_page: PER_PAGE,
        total,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        kinds: repo::kinds(conn)?,
        retention_days: retention_days(conn)?,
    })
}

/// The entries matching the filter as CSV (newest first, at most 100,000), with cells a
/// spreadsheet would run as formulas made inert. The export itself is audited
/// (`audit_exported`). Admins only; 422 for a malformed filter.
pub(crate) fn export(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    q: &AuditQuery,
    ip: Option<&str>,
) -> Result<CsvFile, AppError> {
    admin_only(actor)?;
    let (filter, view, _) = parse_query(conn, q)?;
    let rows = repo::list(conn, &filter, EXPORT_LIMIT, 0)?;
    let header = ["id", "at_utc", "actor_id", "actor", "kind", "target", "detail", "ip"];
    let records = rows.iter().map(|r| {
        [
            r.id.to_string(),
            rfc3339_at(r.at),
            r.actor_id.map(|id| id.to_string()).unwrap_or_default(),
            r.actor_username.clone().unwrap_or_default(),
            r.kind.clone(),
            r.target.clone().unwrap_or_default(),
            r.detail.clone().unwrap_or_default(),
            r.ip.clone().unwrap_or_default(),
        ]
    });
    let now = ctx.now_unix();
    let filename = format!("audit-{}.csv", format_in(now, chrono_tz::UTC, "%Y-%m-%d"));
    let file = CsvFile::write(filename, &header, records)?;
    let event = AuditEvent::new("audit_exported")
        .actor_opt(actor.user_id())
        .detail(json!({
            "actor": view.actor, "target": view.target, "kind": view.kind, "rows": rows.len()
        }))
        .ip(ip);
    audit::record(conn, event, now)?;
    Ok(file)
}

/// Sets how many days entries are kept (7 to 3650; 422 `days` otherwise, or when `days` is
/// not a number, given as None). A change is audited as `setting_changed` with before and
/// after. Admins only.
pub(crate) fn set_retention(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    days: Option<i64>,
    ip: Option<&str>,
) -> Result<RetentionView, AppError> {
    admin_only(actor)?;
    let Some(days) = days.filter(|d| RETENTION_RANGE.contains(d)) else {
        return Err(AppError::invalid_field("days", "Keep entries from 7 to 3650 days."));
    };
    let before = retention_days(conn)?;
    if days != before {
        let now = ctx.now_unix();
        settings::set(conn, RETENTION_KEY, &days.to_string(), now)?;
        let event = AuditEvent::new("setting_changed")
            .actor_opt(actor.user_id())
            .target(RETENTION_KEY)
            .detail(json!({ "before": before, "after": days }))
            .ip(ip);
        audit::record(conn, event, now)?;
    }
    Ok(RetentionView { days })
}

/// The retention period. Admins only.
pub(crate) fn get_retention(conn: &Connection, actor: &Actor) -> Result<RetentionView, AppError> {
    admin_only(actor)?;
    Ok(RetentionView { days: retention_days(conn)? })
}

/// Deletes entries older than the retention period (the scheduler's `audit_retention` job)
/// and notes how many went, as an entry of its own. Returns that number.
pub fn purge(conn: &Connection, ctx: &Ctx) -> Result<usize, AppError> {
    let now = ctx.now_unix();
    let days = retention_days(conn)?;
    let deleted = repo::delete_before(conn, now - days * 86_400)?;
    if deleted > 0 {
        let event = AuditEvent::new("audit_purged")
            .detail(json!({ "deleted": deleted, "retention_days": days }));
        audit::record(conn, event, now)?;
    }
    Ok(deleted)
}

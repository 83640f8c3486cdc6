//! Use cases of the schedule settings: read and change the club-wide notification preferences
//! and an exchange's reminder days and overrides.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::input::{NotificationsInput, NotifyInput};
use super::views::{ScheduleView, SentView};
use crate::accounts::model::Actor;
use crate::audit::{self, AuditEvent};
use crate::clock::{format_in, rfc3339_at, zone};
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::gifts::notify::{self, NoticeKind, NotifyOverrides, NotifyPrefs};
use crate::gifts::schedule::{self, parse_reminder_days, purge_days_left};
use crate::settings;

/// Reminder days are whole days from 1 to this many before the exchange.
pub(crate) const MAX_REMINDER_DAY: i64 = 60;
/// At most this many reminders per exchange.
pub(crate) const MAX_REMINDERS: usize = 5;

/// Reminder days as the API (a JSON value, meant to be an array) or the form (text such as
/// "7, 1") gives them.
#[derive(Debug, Clone)]
pub(crate) enum DaysInput {
    Json(Value),
    Text(String),
}

/// One override as given: a value (None follows the club default) or something unreadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    Set(Option<bool>),
    Invalid,
}

impl Choice {
    /// Reads a select's value: `default`, `always` or `never`.
    pub(crate) fn from_form(value: &str) -> Self {
        match value.trim() {
            "default" => Choice::Set(None),
            "always" => Choice::Set(Some(true)),
            "never" => Choice::Set(Some(false)),
            _ => Choice::Invalid,
        }
    }
}

/// A change to an exchange's schedule; what is absent stays as it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScheduleChange {
    pub reminder_days: Option<DaysInput>,
    pub notify: Vec<(NoticeKind, Choice)>,
}

impl ScheduleChange {
    /// The overrides of a JSON body, keeping only the keys it has.
    pub(crate) fn notify_from_json(input: Option<NotifyInput>) -> Vec<(NoticeKind, Choice)> {
        let Some(n) = input else { return Vec::new() };
        [
            (NoticeKind::Registration, n.registration),
            (NoticeKind::Withdrawal, n.withdrawal),
            (NoticeKind::Matched, n.matched),
        ]
        .into_iter()
        .filter_map(|(kind, value)| value.map(|v| (kind, Choice::Set(v))))
        .collect()
    }
}

/// Exchanges are run by admins and organizers.
fn require_organizer(actor: &Actor) -> Result<(), AppError> {
    match actor {
        Actor::User(u) if u.is_organizer() => Ok(()),
        Actor::User(_) => {
            Err(AppError::forbidden("This part of Clubroom is for the club's organizers."))
        }
    }
}

/// The club-wide notification preferences (each on unless turned off).
///
/// Errors: 403 for anyone but admins and organizers.
pub(crate) fn notifications(conn: &Connection, actor: &Actor) -> Result<NotifyPrefs, AppError> {
    require_organizer(actor)?;
    notify::global_prefs(conn)
}

/// Changes the club-wide preferences given in `input`, leaving the others, and records each
/// change in the audit log.
///
/// Errors: 403 for anyone but admins and organizers.
pub(crate) fn update_notifications(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    input: NotificationsInput,
) -> Result<NotifyPrefs, AppError> {
    let before = notifications(conn, actor)?;
    let now = ctx.now_unix();
    let on_off = |on: bool| if on { "on" } else { "off" };
    let given = [
        (NoticeKind::Registration, input.registration),
        (NoticeKind::Withdrawal, input.withdrawal),
        (NoticeKind::Matched, input.matched),
    ];
    for (kind, value) in given {
        let Some(on) = value.filter(|on| *on != before.get(kind)) else { continue };
        settings::set(conn, kind.setting_key(), on_off(on), now)?;
        let event = AuditEvent::new("setting_changed")
            .actor_opt(actor.user_id())
            .target(kind.setting_key())
            .detail(json!({ "before": on_off(!on), "after": on_off(on) }));
        audit::record(conn, event, now)?;
    }
    notify::global_prefs(conn)
}

struct ExchangeRow {
    id: i64,
    name: String,
    state: String,
    exchange_date: String,
    timezone: String,
    reminder_days: Vec<i64>,
    completed_at: Option<i64>,
    updated_at: i64,
}

fn load(conn: &Connection, id: i64) -> Result<ExchangeRow, AppError> {
    conn.query_row(
        "SELECT id, name, state, exchange_date, timezone, reminder_days, completed_at, updated_at
           FROM exchanges WHERE id = ?1",
        [id],
        |r| {
            Ok(ExchangeRow {
                id: r.get(0)?,
                name: r.get(1)?,
                state: r.get(2)?,
                exchange_date: r.get(3)?,
                timezone: r.get(4)?,
                reminder_days: parse_reminder_days(&r.get::<_, String>(5)?),
                completed_at: r.get(6)?,
                updated_at: r.get(7)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| AppError::not_found("There is no such exchange."))
}

fn build_view(conn: &Connection, ctx: &Ctx, row: ExchangeRow) -> Result<ScheduleView, AppError> {
    let notify = notify::exchange_overrides(conn, row.id)?.unwrap_or_default();
    let tz = zone(&row.timezone);
    let reminders_sent = schedule::sent_reminders(conn, row.id)?
        .into_iter()
        .map(|s| SentView {
            days_before: s.days_before,
            sent_at: rfc3339_at(s.sent_at),
            sent_local: format_in(s.sent_at, tz, "%a %-d %b %Y, %H:%M"),
        })
        .collect();
    let completed = row.state == "completed";
    let done_at = completed.then(|| row.completed_at.unwrap_or(row.updated_at));
    Ok(ScheduleView {
        exchange_id: row.id,
        name: row.name,
        editable: !completed,
        state: row.state,
        exchange_date: row.exchange_date,
        timezone: row.timezone,
        reminder_days: row.reminder_days,
        notify,
        club_default: notify::global_prefs(conn)?,
        reminders_sent,
        completed_at: done_at.map(rfc3339_at),
        purge_in_days: done_at.map(|at| purge_days_left(at, ctx.now_unix())),
    })
}

/// An exchange's reminder days, notification overrides, the reminders already done and, once
/// completed, the days until it is purged.
///
/// Errors: 403 for anyone but admins and organizers; 404 for an unknown exchange.
pub(crate) fn schedule(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    exchange_id: i64,
) -> Result<ScheduleView, AppError> {
    require_organizer(actor)?;
    let row = load(conn, exchange_id)?;
    build_view(conn, ctx, row)
}

/// Reads reminder days: distinct whole numbers from 1 to `MAX_REMINDER_DAY`, at most
/// `MAX_REMINDERS` of them (none is fine). Returns them furthest first, or what is wrong.
pub(crate) fn read_reminder_days(input: &DaysInput) -> Result<Vec<i64>, String> {
    let whole = "Reminder days are whole numbers of days, like 7 and 1.";
    let raw: Vec<Option<i64>> = match input {
        DaysInput::Json(Value::Array(items)) => items.iter().map(Value::as_i64).collect(),
        DaysInput::Json(_) => return Err("Give a list of days, like [7, 1].".into()),
        DaysInput::Text(text) => text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(|part| part.parse::<i64>().ok())
            .collect(),
    };
    let mut days = raw.into_iter().collect::<Option<Vec<i64>>>().ok_or(whole)?;
    if days.iter().any(|d| !(1..=MAX_REMINDER_DAY).contains(d)) {
        return Err(format!("Each reminder is 1 to {MAX_REMINDER_DAY} days before the exchange."));
    }
    days.sort_unstable_by(|a, b| b.cmp(a));
    if days.windows(2).any(|w| w[0] == w[1]) {
        return Err("Give each reminder day once.".into());
    }
    if days.len() > MAX_REMINDERS {
        return Err(format!("At most {MAX_REMINDERS} reminders per exchange."));
    }
    Ok(days)
}

/// Changes an exchange's reminder days and notification overrides (only the parts given) and
/// records the change in the audit log. Reminders already done stay done.
///
/// Errors: 403 for anyone but admins and organizers; 404 for an unknown exchange; 409
/// `exchange_completed` once the exchange is completed; 422 naming `reminder_days` (see
/// `read_reminder_days`) or an override that is not `default`, `always` or `never`.
pub(crate) fn update_schedule(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    exchange_id: i64,
    change: ScheduleChange,
) -> Result<ScheduleView, AppError> {
    require_organizer(actor)?;
    let row = load(conn, exchange_id)?;
    if row.state == "completed" {
        return Err(AppError::conflict(
            "This exchange is completed, so its schedule can no longer change.",
        )
        .with_code("exchange_completed"));
    }
    let mut v = Validator::new();
    let mut days = row.reminder_days.clone();
    if let Some(input) = &change.reminder_days {
        match read_reminder_days(input) {
            Ok(read) => days = read,
            Err(message) => {
                v.check(false, "reminder_days", message);
            }
        }
    }
    let before = notify::exchange_overrides(conn, exchange_id)?.unwrap_or_default();
    let mut after = before;
    for (kind, choice) in &change.notify {
        match choice {
            Choice::Set(value) => after.set(*kind, *value),
            Choice::Invalid => {
                v.check(
                    false,
                    &format!("notify_{}", kind.as_str()),
                    "Choose the club default, always or never.",
                );
            }
        }
    }
    v.finish()?;
    if days != row.reminder_days || after != before {
        let now = ctx.now_unix();
        let flag = |v: Option<bool>| v.map(i64::from);
        conn.execute(
            "UPDATE exchanges SET reminder_days = ?2, notify_registration = ?3,
                    notify_withdrawal = ?4, notify_matched = ?5, updated_at = ?6
              WHERE id = ?1",
            params![
                exchange_id,
                serde_json::to_string(&days).map_err(AppError::internal)?,
                flag(after.registration),
                flag(after.withdrawal),
                flag(after.matched),
                now
            ],
        )?;
        let snapshot =
            |days: &[i64], n: &NotifyOverrides| json!({"reminder_days": days, "notify": n});
        let event = AuditEvent::new("gift_schedule_changed")
            .actor_opt(actor.user_id())
            .target(format!("exchange:{exchange_id}"))
            .detail(json!({
                "before": snapshot(&row.reminder_days, &before),
                "after": snapshot(&days, &after),
            }));
        audit::record(conn, event, now)?;
    }
    build_view(conn, ctx, load(conn, exchange_id)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_days(v: Value) -> Result<Vec<i64>, String> {
        read_reminder_days(&DaysInput::Json(v))
    }

    fn text_days(s: &str) -> Result<Vec<i64>, String> {
        read_reminder_days(&DaysInput::Text(s.into()))
    }

    #[test]
    fn reminder_days_are_distinct_whole_days_within_range() {
        assert_eq!(json_days(json!([1, 7])), Ok(vec![7, 1]));
        assert_eq!(json_days(json!([])), Ok(vec![]));
        assert_eq!(json_days(json!([60, 1, 2, 3, 4])), Ok(vec![60, 4, 3, 2, 1]));
        for bad in [
            json!([0]),
            json!([61]),
            json!([-1]),
            json!([7, 7]),
            json!([1, 2, 3, 4, 5, 6]),
            json!([1.5]),
            json!(["7"]),
            json!("7,1"),
            json!(null),
            json!({"7": true}),
        ] {
            assert!(json_days(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_form_takes_days_separated_by_commas_or_spaces() {
        assert_eq!(text_days("7, 1"), Ok(vec![7, 1]));
        assert_eq!(text_days(" 14 ,3 1 "), Ok(vec![14, 3, 1]));
        assert_eq!(text_days(""), Ok(vec![]));
        assert!(text_days("7, one").is_err());
        assert!(text_days("7.5").is_err());
        assert!(text_days("3, 3").is_err());
    }

    #[test]
    fn select_values_read_as_overrides() {
        assert_eq!(Choice::from_form("default"), Choice::Set(None));
        assert_eq!(Choice::from_form("always"), Choice::Set(Some(true)));
        assert_eq!(Choice::from_form("never"), Choice::Set(Some(false)));
        assert_eq!(Choice::from_form("sometimes"), Choice::Invalid);
    }
}

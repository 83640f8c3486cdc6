//! The exchange schedule: reminders before the exchange date and the purge of finished
//! exchanges.
//!
//! Both run from the `gift_schedule` job, which the scheduler also runs once at start-up, so a
//! server that was down catches up as soon as it is back.

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, AuditEvent};
use crate::clock::zone;
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::email;
use crate::error::AppError;
use crate::settings;

/// Days after completion before an exchange and its participants are purged.
pub(crate) const PURGE_AFTER_DAYS: i64 = 30;

const DAY_SECS: i64 = 86_400;

/// The states in which an exchange is still ahead of its participants.
const UPCOMING_STATES: &str = "'registration_open', 'registration_closed', 'matched'";

/// Runs the whole schedule once: due reminders, then the purge. Returns how many emails were
/// queued. A failure in one part does not stop the other; the first error is returned after
/// both have run.
pub(crate) fn run(conn: &mut Connection, ctx: &Ctx) -> Result<usize, AppError> {
    let reminders = send_due_reminders(conn, ctx);
    let purged = purge_completed(conn, ctx);
    let queued = reminders?;
    purged?;
    Ok(queued)
}

/// Reads a stored `reminder_days` value. Anything unreadable counts as no reminders rather than
/// stopping the job for every other exchange.
pub(crate) fn parse_reminder_days(stored: &str) -> Vec<i64> {
    let mut days: Vec<i64> = serde_json::from_str(stored).unwrap_or_default();
    days.retain(|d| *d >= 1);
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    days
}

/// The day it is now in time zone `tz` (UTC when unknown).
pub fn today_in(ctx: &Ctx, tz: &str) -> NaiveDate {
    ctx.now().with_timezone(&zone(tz)).date_naive()
}

/// Sends the reminders that are due: for each exchange in `registration_open`,
/// `registration_closed` or `matched` whose date is still ahead in its own time zone, and each
/// of its reminder days `d` that has been reached (today >= exchange date - d) and not sent yet.
/// Each participant still in with reminders on gets one email.
///
/// Each exchange is handled in one transaction that both records the reminder and queues its
/// emails, so a crash can neither send one twice nor lose one. When several reminder days are
/// due at once (the server was down), only the nearest one is emailed and the others are
/// recorded as sent, so nobody gets "7 days left" and "1 day left" together. For the same
/// reason a day that was added after a nearer reminder went out is recorded without an email.
///
/// Returns the number of emails queued. A failing exchange is logged and skipped; the first
/// such error is returned once every other exchange has been handled.
pub fn send_due_reminders(conn: &mut Connection, ctx: &Ctx) -> Result<usize, AppError> {
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare(&format!(
            "SELECT id FROM exchanges WHERE state IN ({UPCOMING_STATES}) ORDER BY id"
        ))?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut queued = 0;
    let mut first_error = None;
    for id in ids {
        match write_tx(conn, |tx| remind_exchange(tx, ctx, id)) {
            Ok(n) => queued += n,
            Err(err) => {
                log::error!("gift reminders for exchange {id} failed: {err}");
                first_error.get_or_insert(err);
            }
        }
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(queued),
    }
}

struct Upcoming {
    name: String,
    budget: String,
    exchange_date: String,
    timezone: String,
    state: String,
    reminder_days: String,
}

struct Recipient {
    email: String,
    name: String,
    /// The person they give to and that person's ideas, once matched.
    gives_to: Option<(String, String)>,
}

/// Handles one exchange inside its own transaction; returns the emails queued.
fn remind_exchange(tx: &Transaction, ctx: &Ctx, id: i64) -> Result<usize, AppError> {
    // Read again inside the transaction: the exchange may have moved on since it was listed.
    let exchange = tx
        .query_row(
            &format!(
                "SELECT name, budget, exchange_date, timezone, state, reminder_days
                   FROM exchanges WHERE id = ?1 AND state IN ({UPCOMING_STATES})"
            ),
            [id],
            |r| {
                Ok(Upcoming {
                    name: r.get(0)?,
                    budget: r.get(1)?,
                    exchange_date: r.get(2)?,
                    timezone: r.get(3)?,
                    state: r.get(4)?,
                    reminder_days: r.get(5)?,
                })
            },
        )
        .optional()?;
    let Some(exchange) = exchange else { return Ok(0) };
    let date = NaiveDate::parse_from_str(&exchange.exchange_date, "%Y-%m-%d")
        .map_err(|e| AppError::internal(format!("exchange {id} has an unreadable date: {e}")))?;
    let today = today_in(ctx, &exchange.timezone);
    if today >= date {
        return Ok(0);
    }
    let days_left = (date - today).num_days();
    let sent = sent_days(tx, id)?;
    let due: Vec<i64> = parse_reminder_days(&exchange.reminder_days)
        .into_iter()
        .filter(|d| days_left <= *d && !sent.contains(d))
        .collect();
    let Some(&nearest) = due.iter().min() else { return Ok(0) };
    let now = ctx.now_unix();
    for d in &due {
        tx.execute(
            "INSERT INTO exchange_reminders (exchange_id, days_before, sent_at) VALUES (?1, ?2, ?3)",
            params![id, d, now],
        )?;
    }
    // A day added after a nearer reminder already went out is past: recorded, never sent.
    if sent.iter().any(|s| *s < nearest) {
        return Ok(0);
    }
    if due.len() > 1 {
        log::info!("exchange {id}: sending only the {nearest}-day reminder of {due:?} (missed)");
    }
    let club_name = settings::get(tx, settings::CLUB_NAME)?
        .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string());
    let matched = exchange.state == "matched";
    let url = ctx.url("/exchanges");
    let when = date.format("%A %-d %B %Y").to_string();
    let recipients = reminder_recipients(tx, id)?;
    for person in &recipients {
        let gives_to = person
            .gives_to
            .as_ref()
            .filter(|_| matched)
            .map(|(name, ideas)| json!({"name": name, "gift_ideas": ideas}));
        let data = json!({
            "club_name": club_name,
            "name": person.name,
            "exchange_name": exchange.name,
            "exchange_date": when,
            "budget": exchange.budget,
            "days_left": days_left,
            "recipient": gives_to,
            "url": url,
        });
        email::queue(tx, ctx, &person.email, "gift_reminder", &data)?;
    }
    Ok(recipients.len())
}

fn sent_days(conn: &Connection, exchange_id: i64) -> Result<Vec<i64>, AppError> {
    let mut stmt =
        conn.prepare("SELECT days_before FROM exchange_reminders WHERE exchange_id = ?1")?;
    let rows = stmt.query_map([exchange_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Participants still in the exchange who want reminders, with whom they give to.
fn reminder_recipients(conn: &Connection, exchange_id: i64) -> Result<Vec<Recipient>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT p.email, p.name, r.name, r.gift_ideas
           FROM exchange_participants p
           LEFT JOIN exchange_matches m ON m.giver_id = p.id AND m.exchange_id = p.exchange_id
           LEFT JOIN exchange_participants r ON r.id = m.receiver_id AND r.removed_at IS NULL
          WHERE p.exchange_id = ?1 AND p.removed_at IS NULL AND p.reminders = 1
          ORDER BY p.id",
    )?;
    let rows = stmt.query_map([exchange_id], |r| {
        let receiver: Option<String> = r.get(2)?;
        let ideas: Option<String> = r.get(3)?;
        Ok(Recipient {
            email: r.get(0)?,
            name: r.get(1)?,
            gives_to: receiver.map(|name| (name, ideas.unwrap_or_default())),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A reminder already recorded for an exchange, for the admin pages.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SentReminder {
    pub days_before: i64,
    pub sent_at: i64,
}

/// The reminders recorded for `exchange_id`, furthest from the date first.
pub(crate) fn sent_reminders(
    conn: &Connection,
    exchange_id: i64,
) -> Result<Vec<SentReminder>, AppError> {
    let mut stmt = conn.prepare(
        "SELECT days_before, sent_at FROM exchange_reminders WHERE exchange_id = ?1
          ORDER BY days_before DESC",
    )?;
    let rows = stmt.query_map([exchange_id], |r| {
        Ok(SentReminder { days_before: r.get(0)?, sent_at: r.get(1)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes every exchange completed at least `PURGE_AFTER_DAYS` days ago, with its participants,
/// exclusions, matches and reminder records (the schema cascades), and records one audit event
/// per exchange naming only its id and name. Accounts made for guests are left alone: they may
/// be in other exchanges, and accounts have their own life cycle.
///
/// Returns how many exchanges were purged.
pub fn purge_completed(conn: &mut Connection, ctx: &Ctx) -> Result<usize, AppError> {
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let cutoff = now - PURGE_AFTER_DAYS * DAY_SECS;
        let due: Vec<(i64, String)> = {
            let mut stmt = tx.prepare(
                "SELECT id, name FROM exchanges
                  WHERE state = 'completed' AND COALESCE(completed_at, updated_at) <= ?1
                  ORDER BY id",
            )?;
            let rows = stmt.query_map([cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, name) in &due {
            tx.execute("DELETE FROM exchanges WHERE id = ?1", [id])?;
            let event = AuditEvent::new("gift_exchange_purged")
                .target(format!("exchange:{id}"))
                .detail(json!({ "name": name, "after_days": PURGE_AFTER_DAYS }));
            audit::record(tx, event, now)?;
        }
        Ok(due.len())
    })
}

/// Whole days until a completed exchange is purged (rounded up, never negative): 30 right after
/// completion, 0 once the purge is due.
pub(crate) fn purge_days_left(completed_at: i64, now: i64) -> i64 {
    let remaining = completed_at + PURGE_AFTER_DAYS * DAY_SECS - now;
    if remaining <= 0 {
        0
    } else {
        (remaining + DAY_SECS - 1) / DAY_SECS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_left_count_down_from_thirty_and_stop_at_zero() {
        let done = 1_700_000_000;
        assert_eq!(purge_days_left(done, done), 30);
        assert_eq!(purge_days_left(done, done + 1), 30);
        assert_eq!(purge_days_left(done, done + DAY_SECS), 29);
        assert_eq!(purge_days_left(done, done + 29 * DAY_SECS + DAY_SECS / 2), 1);
        assert_eq!(purge_days_left(done, done + 30 * DAY_SECS - 1), 1);
        assert_eq!(purge_days_left(done, done + 30 * DAY_SECS), 0);
        assert_eq!(purge_days_left(done, done + 90 * DAY_SECS), 0);
        assert_eq!(purge_days_left(done, done - DAY_SECS), 31, "a clock that went back");
    }

    #[test]
    fn stored_reminder_days_are_read_nearest_last_and_garbage_means_none() {
        assert_eq!(parse_reminder_days("[1,7]"), vec![7, 1]);
        assert_eq!(parse_reminder_days("[7,7,0,-3,2]"), vec![7, 2]);
        assert_eq!(parse_reminder_days("[]"), Vec::<i64>::new());
        assert_eq!(parse_reminder_days("seven"), Vec::<i64>::new());
    }
}

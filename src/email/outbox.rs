//! The outbox: every email is a row first. Queueing happens inside the transaction that caused
//! the email; delivery happens later, with retries, so an SMTP outage loses nothing.

use std::sync::Arc;

use rusqlite::{params, Connection};
use serde::Serialize;

use super::seal::Sealer;
use super::transport::{SentEmail, Transport};
use crate::clock::unix;
use crate::ctx::Ctx;
use crate::db::Db;
use crate::error::AppError;

crate::values::string_enum! {
    /// Where a message of the outbox stands.
    pub(crate) enum Status {
        /// Waiting for its (next) attempt.
        Queued = "queued",
        Sent = "sent",
        /// Given up on after `mail_max_attempts`.
        Failed = "failed",
    }
}

/// How long a claimed message is reserved for the worker that claimed it. If that worker dies
/// mid-send, the message becomes due again after this and is retried.
const LEASE_SECS: i64 = 300;
/// Messages claimed per pass.
const BATCH: i64 = 20;

/// Renders template `name` with `data` and queues it for `to`. Call inside the transaction of
/// the change that causes the email. Returns the outbox id.
///
/// Subject and bodies are stored sealed (see `seal`): they carry sign-in links and codes.
pub fn queue(
    conn: &Connection,
    ctx: &Ctx,
    to: &str,
    name: &str,
    data: &impl Serialize,
) -> Result<i64, AppError> {
    let email = ctx.emails.render(name, data)?;
    let sealer = Sealer::new(&ctx.secret);
    conn.execute(
        "INSERT INTO email_outbox (to_address, template, subject, body_text, body_html,
                                   next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            to,
            name,
            sealer.seal(&email.subject),
            sealer.seal(&email.text),
            sealer.seal(&email.html),
            ctx.now_unix()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Opens a stored message (for the worker, and for admins helping a member).
pub(crate) fn open(
    sealer: &Sealer,
    to: String,
    subject: &str,
    text: &str,
    html: &str,
) -> Result<SentEmail, AppError> {
    Ok(SentEmail {
        to,
        subject: sealer.open(subject)?,
        text: sealer.open(text)?,
        html: sealer.open(html)?,
    })
}

struct Claimed {
    id: i64,
    attempts: i64,
    to: String,
    sealed: [String; 3],
}

/// Reserves up to `BATCH` due messages by pushing their next attempt past the lease, in one
/// statement, so two workers never take the same message.
fn claim_due(conn: &Connection, now: i64) -> Result<Vec<Claimed>, AppError> {
    let mut stmt = conn.prepare(
        "UPDATE email_outbox
            SET attempts = attempts + 1, next_attempt_at = ?2
          WHERE id IN (SELECT id FROM email_outbox
                        WHERE status = 'queued' AND next_attempt_at <= ?1
                        ORDER BY next_attempt_at, id LIMIT ?3)
         RETURNING id, attempts, to_address, subject, body_text, body_html",
    )?;
    let rows = stmt.query_map(params![now, now + LEASE_SECS, BATCH], |r| {
        Ok(Claimed {
            id: r.get(0)?,
            attempts: r.get(1)?,
            to: r.get(2)?,
            sealed: [r.get(3)?, r.get(4)?, r.get(5)?],
        })
    })?;
    let mut claimed = rows.collect::<Result<Vec<_>, _>>()?;
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// Seconds to wait before retrying after the `attempts`-th failure: 30 s doubling to 1 h.
pub(crate) fn backoff_secs(attempts: i64) -> i64 {
    let exp = (attempts.max(1) - 1).min(10) as u32;
    (30i64 << exp).min(3600)
}

fn record_result(
    conn: &Connection,
    claimed: &Claimed,
    result: &Result<(), String>,
    now: i64,
    max_attempts: u32,
) -> Result<(), AppError> {
    match result {
        Ok(()) => {
            conn.execute(
                "UPDATE email_outbox SET status = 'sent', sent_at = ?2, last_error = NULL WHERE id = ?1",
                params![claimed.id, now],
            )?;
        }
        Err(reason) => {
            let give_up = claimed.attempts >= i64::from(max_attempts);
            conn.execute(
                "UPDATE email_outbox SET status = ?2, last_error = ?3, next_attempt_at = ?4 WHERE id = ?1",
                params![
                    claimed.id,
                    if give_up { Status::Failed } else { Status::Queued }.as_str(),
                    reason,
                    now + backoff_secs(claimed.attempts)
                ],
            )?;
        }
    }
    Ok(())
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub failed: usize,
}

/// Delivers every message that is due, until none is left or a pass fails entirely (then the
/// backoff decides when to try again). Safe to run from several places at once.
pub async fn deliver_due(
    db: &Db,
    transport: Arc<Transport>,
    ctx: Ctx,
) -> Result<DeliveryReport, AppError> {
    let (clock, max_attempts) = (ctx.clock.clone(), ctx.config.mail_max_attempts);
    let sealer = Sealer::new(&ctx.secret);
    db.call(move |conn| {
        let mut report = DeliveryReport::default();
        loop {
            let claimed = claim_due(conn, unix(clock.now()))?;
            if claimed.is_empty() {
                return Ok(report);
            }
            let mut any_sent = false;
            for message in &claimed {
                let [subject, text, html] = &message.sealed;
                let result = open(&sealer, message.to.clone(), subject, text, html)
                    .map_err(|e| e.to_string())
                    .and_then(|email| transport.send(&email));
                if result.is_ok() {
                    report.sent += 1;
                    any_sent = true;
                } else {
                    report.failed += 1;
                }
                if let Err(e) = &result {
                    log::warn!("email {} to {} failed: {e}", message.id, message.to);
                }
                record_result(conn, message, &result, unix(clock.now()), max_attempts)?;
            }
            if !any_sent {
                return Ok(report);
            }
        }
    })
    .await
}

/// Messages per status (queued, sent, failed), for the admin home.
pub(crate) fn status_counts(conn: &Connection) -> Result<Vec<(String, i64)>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*) FROM email_outbox GROUP BY status ORDER BY status",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::backoff_secs;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_secs(1), 30);
        assert_eq!(backoff_secs(2), 60);
        assert_eq!(backoff_secs(3), 120);
        assert_eq!(backoff_secs(8), 3600);
        assert_eq!(backoff_secs(50), 3600);
    }
}

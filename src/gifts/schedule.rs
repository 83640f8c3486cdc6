//! The exchange schedule: reminders before the exchange date and the purge of finished
//! exchanges.

/// Days after completion before an exchange and its participants are purged.
pub const PURGE_AFTER_DAYS: i64 = 30;

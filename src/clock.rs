//! Time comes from a `Clock` so that expiry rules can be tested without sleeping.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The wall clock shifted by an offset that tests move forward.
#[derive(Default)]
pub struct ManualClock {
    offset: Mutex<Duration>,
}

impl ManualClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Seconds since the epoch, the form every `*_at` column stores.
pub(crate) fn unix(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// The inverse of `unix`, for turning columns back into times for views.
pub(crate) fn from_unix(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// RFC 3339 in UTC with second precision, the format of every time in the JSON API.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `rfc3339` of a stored `*_at` column.
pub(crate) fn rfc3339_at(secs: i64) -> String {
    rfc3339(from_unix(secs))
}

/// Reads a time the API was given: RFC 3339 with an offset (`2026-03-01T18:30:00Z`,
/// `2026-03-01T18:30:00+01:00`). None when it is anything else.
pub(crate) fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| t.timestamp())
}

/// Whether `name` is an IANA time zone name (`Europe/Oslo`, `America/New_York`, `UTC`).
pub(crate) fn is_time_zone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}

/// The zone a member's times are shown in: their own, or UTC when unset or unknown.
pub(crate) fn zone(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// Reads a local date and time as a form's `datetime-local` input sends it
/// (`2026-03-01T18:30`, seconds optional) in `zone`. For a time a clock change skips, None;
/// for one it repeats, the earlier instant.
pub(crate) fn parse_local(s: &str, zone: chrono_tz::Tz) -> Option<i64> {
    use chrono::TimeZone;
    let s = s.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    zone.from_local_datetime(&naive).earliest().map(|t| t.timestamp())
}

/// A stored time in `zone`, formatted with chrono's `fmt` (`%Y-%m-%d %H:%M`).
pub(crate) fn format_in(secs: i64, zone: chrono_tz::Tz, fmt: &str) -> String {
    from_unix(secs).with_timezone(&zone).format(fmt).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_iana_names_and_local_times_read_in_them() {
        assert!(is_time_zone("Europe/Oslo") && is_time_zone("UTC"));
        assert!(!is_time_zone("Mars/Olympus") && !is_time_zone(""));
        let oslo = zone("Europe/Oslo");
        // 18:30 in Oslo in winter is 17:30 UTC.
        let t = parse_local("2026-01-10T18:30", oslo).unwrap();
        assert_eq!(rfc3339_at(t), "2026-01-10T17:30:00Z");
        assert_eq!(format_in(t, oslo, "%H:%M"), "18:30");
        // 02:30 on the spring-forward night does not exist there.
        assert_eq!(parse_local("2026-03-29T02:30", oslo), None);
        assert_eq!(parse_rfc3339("2026-01-10T18:30:00+01:00"), Some(t));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}

//! The numbers on a card, computed from a member's activities without touching the database,
//! so every rule (window boundaries, time zones, empty histories) is tested right here.
//!
//! Times are unix seconds; calendar questions (which day, which month, which week) are asked in
//! the member's own time zone.

use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::Serialize;

use crate::activities::model::Format;
use crate::clock::from_unix;

const WEEK_SECS: f64 = 7.0 * 86_400.0;

/// How many whole months before the current one the recent window reaches back.
pub(crate) const RECENT_MONTHS: i32 = 3;

/// One activity as the stats see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Session {
    pub started_at: i64,
    pub minutes: i64,
    /// None for a format this build does not know: counted, but in no share.
    pub format: Option<Format>,
}

/// Percent of sessions per format, summing to 100 (or all zero without sessions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "FormatShare")]
pub(crate) struct Share {
    pub coached: i64,
    pub group: i64,
    pub solo: i64,
}

/// The numbers shared by the lifetime and recent stats.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub(crate) struct Summary {
    pub total_sessions: i64,
    /// One decimal.
    pub total_hours: f64,
    /// One decimal; the period counts as at least one week.
    pub sessions_per_week: f64,
    /// Rounded to whole minutes.
    pub average_minutes: i64,
    pub share: Share,
}

/// A member's activities since the first one.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub(crate) struct LifetimeStats {
    /// The local date of the first activity; null without any.
    pub active_since: Option<NaiveDate>,
    #[serde(flatten)]
    pub summary: Summary,
}

/// A member's activities in the recent window: this month and the three before it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub(crate) struct RecentStats {
    /// The first day of the window (local date).
    pub since: NaiveDate,
    #[serde(flatten)]
    pub summary: Summary,
}

/// Minutes in one week (Monday to Sunday, local time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) struct WeekMinutes {
    pub week_start: NaiveDate,
    pub minutes: i64,
}

/// The date of instant `t` in `zone`.
pub(crate) fn local_date(t: i64, zone: Tz) -> NaiveDate {
    from_unix(t).with_timezone(&zone).date_naive()
}

/// The first instant of `date` in `zone`. Where a clock change skips midnight, the day starts
/// at the first local time that exists.
pub(crate) fn start_of_day(date: NaiveDate, zone: Tz) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=24)
        .map(|quarter| midnight + Duration::minutes(15 * quarter))
        .find_map(|local| zone.from_local_datetime(&local).earliest())
        .map(|t| t.timestamp())
        .unwrap_or_else(|| midnight.and_utc().timestamp())
}

/// The start of the recent window: 00:00 local time on the 1st of the month three months
/// before the current one (on 21 November, 1 August).
pub(crate) fn window_start(now: i64, zone: Tz) -> i64 {
    let today = local_date(now, zone);
    let months = today.year() * 12 + today.month0() as i32 - RECENT_MONTHS;
    let first = NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(today);
    start_of_day(first, zone)
}

/// The Monday of the week `date` falls in.
pub(crate) fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Whole percentages of `counts` that sum to 100: each gets its rounded-down share and the
/// points left go to the largest remainders (earlier entries win ties).
pub(crate) fn percentages<const N: usize>(counts: [i64; N]) -> [i64; N] {
    let total: i64 = counts.iter().sum();
    let mut out = [0; N];
    if total <= 0 {
        return out;
    }
    let mut remainders = [(0i64, 0usize); N];
    for (i, &c) in counts.iter().enumerate() {
        out[i] = c * 100 / total;
        remainders[i] = (c * 100 % total, i);
    }
    let left = 100 - out.iter().sum::<i64>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(left as usize) {
        out[i] += 1;
    }
    out
}

/// The summary of `sessions` over a period from `span_start` to `now`.
fn summarize<'a>(
    sessions: impl Iterator<Item = &'a Session>,
    span_start: i64,
    now: i64,
) -> Summary {
    let (mut count, mut minutes, mut formats) = (0i64, 0i64, [0i64; 3]);
    for s in sessions {
        count += 1;
        minutes += s.minutes.max(0);
        match s.format {
            Some(Format::Coached) => formats[0] += 1,
            Some(Format::Group) => formats[1] += 1,
            Some(Format::Solo) => formats[2] += 1,
            None => {}
        }
    }
    if count == 0 {
        return Summary {
            total_sessions: 0,
            total_hours: 0.0,
            sessions_per_week: 0.0,
            average_minutes: 0,
            share: Share::default(),
        };
    }
    let weeks = ((now - span_start) as f64 / WEEK_SECS).max(1.0);
    let [coached, group, solo] = percentages(formats);
    Summary {
        total_sessions: count,
        total_hours: round1(minutes as f64 / 60.0),
        sessions_per_week: round1(count as f64 / weeks),
        average_minutes: (minutes as f64 / count as f64).round() as i64,
        share: Share { coached, group, solo },
    }
}

fn before_now(sessions: &[Session], now: i64) -> impl Iterator<Item = &Session> {
    sessions.iter().filter(move |s| s.started_at < now)
}

/// Everything before `now`, per week since the first activity.
pub(crate) fn lifetime(sessions: &[Session], now: i64, zone: Tz) -> LifetimeStats {
    let first = before_now(sessions, now).map(|s| s.started_at).min();
    LifetimeStats {
        active_since: first.map(|t| local_date(t, zone)),
        summary: summarize(before_now(sessions, now), first.unwrap_or(now), now),
    }
}

/// The activities in `[window_start, now)`. Per week counts from the window start, or from
/// the first activity ever when that is later, so a new member is not averaged over weeks
/// before they began.
pub(crate) fn recent(sessions: &[Session], now: i64, zone: Tz) -> RecentStats {
    let start = window_start(now, zone);
    let first = before_now(sessions, now).map(|s| s.started_at).min();
    let span_start = first.map_or(start, |f| f.max(start));
    let inside = before_now(sessions, now).filter(|s| s.started_at >= start);
    RecentStats { since: local_date(start, zone), summary: summarize(inside, span_start, now) }
}

/// Minutes per week over the recent window, one entry per week (zeros included) from the week
/// holding the window's first day to the current week. The first week may begin before the
/// window; only activities inside the window count.
pub(crate) fn weekly_minutes(sessions: &[Session], now: i64, zone: Tz) -> Vec<WeekMinutes> {
    let start = window_start(now, zone);
    let first = monday_of(local_date(start, zone));
    let last = monday_of(local_date(now, zone));
    let weeks = ((last - first).num_days() / 7 + 1).max(1) as usize;
    let mut out: Vec<WeekMinutes> = (0..weeks)
        .map(|i| WeekMinutes { week_start: first + Duration::weeks(i as i64), minutes: 0 })
        .collect();
    for s in before_now(sessions, now).filter(|s| s.started_at >= start) {
        let index = (monday_of(local_date(s.started_at, zone)) - first).num_days() / 7;
        if let Some(week) = usize::try_from(index).ok().and_then(|i| out.get_mut(i)) {
            week.minutes += s.minutes.max(0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{parse_rfc3339, zone};

    fn at(s: &str) -> i64 {
        parse_rfc3339(s).unwrap_or_else(|| panic!("bad time {s}"))
    }

    fn session(t: &str, minutes: i64, format: Format) -> Session {
        Session { started_at: at(t), minutes, format: Some(format) }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_window_starts_on_the_first_of_the_month_three_months_back() {
        let utc = zone("UTC");
        assert_eq!(window_start(at("2026-11-21T12:00:00Z"), utc), at("2026-08-01T00:00:00Z"));
        assert_eq!(window_start(at("2026-11-01T00:00:00Z"), utc), at("2026-08-01T00:00:00Z"));
        assert_eq!(window_start(at("2026-01-15T08:00:00Z"), utc), at("2025-10-01T00:00:00Z"));
        assert_eq!(window_start(at("2026-03-31T23:59:59Z"), utc), at("2025-12-01T00:00:00Z"));
    }

    #[test]
    fn the_member_time_zone_moves_the_window() {
        // 02:00 UTC on 1 November is still 31 October in Los Angeles: the window begins
        // on 1 July there, at local midnight (07:00 UTC in summer time).
        let now = at("2026-11-01T02:00:00Z");
        assert_eq!(window_start(now, zone("UTC")), at("2026-08-01T00:00:00Z"));
        assert_eq!(window_start(now, zone("America/Los_Angeles")), at("2026-07-01T07:00:00Z"));
        // Auckland is 12 hours ahead in its winter: 1 August starts on 31 July UTC.
        let now = at("2026-11-21T12:00:00Z");
        assert_eq!(window_start(now, zone("Pacific/Auckland")), at("2026-07-31T12:00:00Z"));
        assert_eq!(recent(&[], now, zone("Pacific/Auckland")).since, date("2026-08-01"));
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_at_its_first_real_minute() {
        // Santiago springs forward at midnight: 6 September 2026 begins at 01:00 local.
        let santiago = zone("America/Santiago");
        let start = start_of_day(date("2026-09-06"), santiago);
        assert_eq!(crate::clock::format_in(start, santiago, "%Y-%m-%d %H:%M"), "2026-09-06 01:00");
    }

    #[test]
    fn an_activity_one_second_before_the_window_is_left_out() {
        let utc = zone("UTC");
        let now = at("2026-11-21T12:00:00Z");
        let sessions = [
            session("2026-07-31T23:59:59Z", 60, Format::Solo),
            session("2026-08-01T00:00:00Z", 30, Format::Coached),
        ];
        let r = recent(&sessions, now, utc);
        assert_eq!(r.summary.total_sessions, 1);
        assert_eq!(r.summary.average_minutes, 30);
        assert_eq!(r.summary.share, Share { coached: 100, group: 0, solo: 0 });
        let weeks = weekly_minutes(&sessions, now, utc);
        assert_eq!(weeks.iter().map(|w| w.minutes).sum::<i64>(), 30);
        assert_eq!(lifetime(&sessions, now, utc).summary.total_sessions, 2);
    }

    #[test]
    fn the_time_zone_decides_whether_an_activity_is_recent() {
        let now = at("2026-11-21T12:00:00Z");
        // 1 August 03:00 UTC is still 31 July in Los Angeles: outside the window there.
        let sessions = [session("2026-08-01T03:00:00Z", 45, Format::Group)];
        assert_eq!(recent(&sessions, now, zone("UTC")).summary.total_sessions, 1);
        assert_eq!(recent(&sessions, now, zone("America/Los_Angeles")).summary.total_sessions, 0);
    }

    #[test]
    fn activities_from_now_on_are_not_counted() {
        let now = at("2026-11-21T12:00:00Z");
        let sessions = [session("2026-11-21T12:00:00Z", 45, Format::Group)];
        assert_eq!(lifetime(&sessions, now, zone("UTC")).summary.total_sessions, 0);
        assert_eq!(recent(&sessions, now, zone("UTC")).summary.total_sessions, 0);
    }

    #[test]
    fn an_empty_history_gives_zeros_not_nan() {
        let now = at("2026-11-21T12:00:00Z");
        let l = lifetime(&[], now, zone("UTC"));
        assert_eq!(l.active_since, None);
        assert_eq!(l.summary.total_sessions, 0);
        assert_eq!(l.summary.total_hours, 0.0);
        assert_eq!(l.summary.sessions_per_week, 0.0);
        assert_eq!(l.summary.average_minutes, 0);
        assert_eq!(l.summary.share, Share::default());
        // serde_json would write a NaN as null: the numbers must be real zeros.
        let json = serde_json::to_string(&recent(&[], now, zone("UTC"))).unwrap();
        assert!(json.contains("\"sessions_per_week\":0.0") && !json.contains("null"), "{json}");
        assert!(weekly_minutes(&[], now, zone("UTC")).iter().all(|w| w.minutes == 0));
    }

    #[test]
    fn lifetime_numbers_are_rounded_and_counted_per_week_since_the_first_activity() {
        let now = at("2026-11-21T12:00:00Z");
        let sessions = [
            session("2026-10-24T12:00:00Z", 60, Format::Coached),
            session("2026-11-01T10:00:00Z", 45, Format::Group),
            session("2026-11-10T10:00:00Z", 50, Format::Solo),
        ];
        let l = lifetime(&sessions, now, zone("UTC"));
        assert_eq!(l.active_since, Some(date("2026-10-24")));
        assert_eq!(l.summary.total_sessions, 3);
        assert_eq!(l.summary.total_hours, 2.6, "155 minutes");
        assert_eq!(l.summary.sessions_per_week, 0.8, "3 sessions in 4 weeks");
        assert_eq!(l.summary.average_minutes, 52, "155 / 3 = 51.67");
        assert_eq!(l.summary.share, Share { coached: 34, group: 33, solo: 33 });
    }

    #[test]
    fn a_short_history_counts_as_one_week() {
        let now = at("2026-11-21T12:00:00Z");
        let sessions = [
            session("2026-11-20T12:00:00Z", 30, Format::Solo),
            session("2026-11-21T08:00:00Z", 30, Format::Solo),
        ];
        assert_eq!(lifetime(&sessions, now, zone("UTC")).summary.sessions_per_week, 2.0);
        let r = recent(&sessions, now, zone("UTC"));
        assert_eq!(r.summary.sessions_per_week, 2.0, "not averaged over the whole window");
    }

    #[test]
    fn recent_sessions_per_week_cover_the_whole_window_for_long_time_members() {
        let now = at("2026-11-21T12:00:00Z");
        let mut sessions = vec![session("2025-01-01T12:00:00Z", 30, Format::Solo)];
        // 16 sessions since 1 August (16 weeks and a day before now).
        for day in 0..16 {
            let t = at("2026-08-02T10:00:00Z") + day * 7 * 86_400;
            sessions.push(Session { started_at: t, minutes: 60, format: Some(Format::Group) });
        }
        let r = recent(&sessions, now, zone("UTC"));
        assert_eq!(r.summary.total_sessions, 16);
        assert_eq!(r.summary.total_hours, 16.0);
        assert_eq!(r.summary.sessions_per_week, 1.0, "16 sessions over 16.1 weeks");
    }

    #[test]
    fn percentages_always_sum_to_one_hundred() {
        assert_eq!(percentages([1, 1, 1]), [34, 33, 33]);
        assert_eq!(percentages([2, 1, 0]), [67, 33, 0]);
        assert_eq!(percentages([1, 1, 4]), [17, 17, 66]);
        assert_eq!(percentages([0, 0, 0]), [0, 0, 0]);
        assert_eq!(percentages([1, 2, 3]).iter().sum::<i64>(), 100);
        let mut s = Session { started_at: 0, minutes: 10, format: None };
        let unknown = summarize([s].iter(), 0, 1);
        assert_eq!((unknown.total_sessions, unknown.share), (1, Share::default()));
        s.format = Some(Format::Solo);
        assert_eq!(summarize([s, s].iter(), 0, 1).share.solo, 100);
    }

    #[test]
    fn weeks_start_on_monday_in_the_member_time_zone() {
        let now = at("2026-11-21T12:00:00Z"); // a Saturday
        let utc = zone("UTC");
        let weeks = weekly_minutes(&[], now, utc);
        // 1 August 2026 is a Saturday: the first week starts Monday 27 July.
        assert_eq!(weeks[0].week_start, date("2026-07-27"));
        assert_eq!(weeks.last().unwrap().week_start, date("2026-11-16"));
        assert_eq!(weeks.len(), 17);
        assert!(weeks.iter().all(|w| w.week_start.weekday() == chrono::Weekday::Mon));

        // 23:30 on Sunday 9 August in Oslo (21:30 UTC) ends the week of 3 August; 00:30 on
        // Monday there (22:30 UTC, still Sunday in UTC) begins the next one.
        let sessions = [
            session("2026-08-09T21:30:00Z", 20, Format::Solo),
            session("2026-08-09T22:30:00Z", 40, Format::Solo),
        ];
        let oslo = weekly_minutes(&sessions, now, zone("Europe/Oslo"));
        let find = |ws: &[WeekMinutes], d: &str| {
            ws.iter().find(|w| w.week_start == date(d)).unwrap().minutes
        };
        assert_eq!(find(&oslo, "2026-08-03"), 20);
        assert_eq!(find(&oslo, "2026-08-10"), 40);
        let utc_weeks = weekly_minutes(&sessions, now, utc);
        assert_eq!(find(&utc_weeks, "2026-08-03"), 60);
        assert_eq!(find(&utc_weeks, "2026-08-10"), 0);
    }
}

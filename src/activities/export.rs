//! CSV exports of the activity log.

use super::model::{Activity, Person};
use super::views::LOCAL_FORMAT;
use crate::clock::{format_in, rfc3339_at, zone};
use crate::csv_file::{safe_filename_part, CsvFile};
use crate::error::AppError;

const ACTIVITY_COLUMNS: [&str; 12] = [
    "id",
    "started_at_utc",
    "started_local",
    "time_zone",
    "duration_minutes",
    "type",
    "type_label",
    "format",
    "venue",
    "coach",
    "notes",
    "recorded_by",
];

fn name(p: &Option<Person>) -> String {
    p.as_ref().map(|p| p.name.clone()).unwrap_or_default()
}

fn activity_cells(a: &Activity) -> Vec<String> {
    let tz = zone(&a.member_timezone);
    vec![
        a.id.to_string(),
        rfc3339_at(a.started_at),
        format_in(a.started_at, tz, LOCAL_FORMAT),
        tz.name().to_string(),
        a.duration_minutes.to_string(),
        a.type_key.clone(),
        a.type_label.clone(),
        a.format.clone(),
        a.venue.clone(),
        name(&a.coach),
        a.notes.clone(),
        name(&a.recorded_by),
    ]
}

fn today(now: i64) -> String {
    format_in(now, chrono_tz::UTC, "%Y-%m-%d")
}

/// One member's entries: `activities-<username>-<date>.csv`.
pub(crate) fn member_csv(rows: &[Activity], username: &str, now: i64) -> Result<CsvFile, AppError> {
    let filename = format!("activities-{}-{}.csv", safe_filename_part(username), today(now));
    CsvFile::write(filename, &ACTIVITY_COLUMNS, rows.iter().map(activity_cells))
}

/// Entries of any members, each row naming its member: `activities-all-<date>.csv`.
pub(crate) fn club_csv(rows: &[Activity], now: i64) -> Result<CsvFile, AppError> {
    let mut header = vec!["id", "member_id", "username", "member_name"];
    header.extend_from_slice(&ACTIVITY_COLUMNS[1..]);
    let cells = rows.iter().map(|a| {
        let mut row = activity_cells(a);
        let id = row.remove(0);
        let mut out =
            vec![id, a.member.id.to_string(), a.member.username.clone(), a.member.name.clone()];
        out.append(&mut row);
        out
    });
    CsvFile::write(format!("activities-all-{}.csv", today(now)), &header, cells)
}

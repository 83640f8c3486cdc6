//! CSV exports of the activity log.
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (and some also after a tab or
//! carriage return) as a formula, so a note like `=HYPERLINK(...)` typed by a member could act
//! on whoever opens the export. Such cells get a leading apostrophe, which spreadsheets show as
//! text.

use super::model::{Activity, Person};
use super::views::LOCAL_FORMAT;
use crate::clock::{format_in, rfc3339_at, zone};
use crate::error::AppError;

/// A finished CSV file and the name to save it under.
#[derive(Debug, Clone)]
pub struct CsvFile {
    pub filename: String,
    pub body: Vec<u8>,
}

/// `value`, made inert for spreadsheets.
pub fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

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

fn write(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(AppError::internal)?;
    for row in rows {
        w.write_record(row.iter().map(|v| cell(v))).map_err(AppError::internal)?;
    }
    w.into_inner().map_err(|e| AppError::internal(e.to_string()))
}

/// Keeps a filename part to letters, digits, `-` and `_`, whatever a username holds.
fn safe_filename_part(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

fn today(now: i64) -> String {
    format_in(now, chrono_tz::UTC, "%Y-%m-%d")
}

/// One member's entries: `activities-<username>-<date>.csv`.
pub fn member_csv(rows: &[Activity], username: &str, now: i64) -> Result<CsvFile, AppError> {
    Ok(CsvFile {
        filename: format!("activities-{}-{}.csv", safe_filename_part(username), today(now)),
        body: write(&ACTIVITY_COLUMNS, rows.iter().map(activity_cells))?,
    })
}

/// Entries of any members, each row naming its member: `activities-all-<date>.csv`.
pub fn club_csv(rows: &[Activity], now: i64) -> Result<CsvFile, AppError> {
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
    Ok(CsvFile {
        filename: format!("activities-all-{}.csv", today(now)),
        body: write(&header, cells)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_other_text_is_kept() {
        for risky in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(risky), format!("'{risky}"));
        }
        for plain in ["Practice", "1 = 1", "", "ice rink, hall 2", "'quoted"] {
            assert_eq!(cell(plain), plain);
        }
    }

    #[test]
    fn filenames_hold_only_safe_characters() {
        assert_eq!(safe_filename_part("ann.b\"; x"), "ann_b___x");
    }
}

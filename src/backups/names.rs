//! How backups are named: after the UTC second they were made (`clubroom-20260301-030000.db`),
//! so the name alone says when and orders the files.

use chrono::{DateTime, NaiveDateTime, Utc};

pub(crate) const PREFIX: &str = "clubroom-";
const SUFFIX: &str = ".db";
const STAMP: &str = "%Y%m%d-%H%M%S";

/// The time a backup's file name stands for; None for any other name. Only names of exactly
/// this shape are ever opened, so no path can leave the backups folder.
pub fn parse_name(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let shaped = stamp.len() == 15
        && stamp
            .bytes()
            .enumerate()
            .all(|(i, b)| if i == 8 { b == b'-' } else { b.is_ascii_digit() });
    if !shaped {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, STAMP).ok().map(|t| t.and_utc())
}

pub fn file_name(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.format(STAMP))
}

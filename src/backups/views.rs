use schemars::JsonSchema;
use serde::Serialize;

/// One backup file as the list shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Backup")]
pub(crate) struct BackupView {
    pub name: String,
    /// When it was made (UTC, RFC 3339).
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    pub size_bytes: u64,
    /// The size in words ("2.4 MB").
    pub size: String,
    /// The copy passed `PRAGMA integrity_check` when it was written.
    pub verified: bool,
    /// The time it was verified, when it was.
    #[schemars(extend("format" = "date-time"))]
    pub verified_at: Option<String>,
}

/// The backups page and `GET /api/v1/admin/backups`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Backups")]
pub(crate) struct BackupsView {
    pub backups: Vec<BackupView>,
    pub interval_hours: i64,
    pub keep: i64,
    /// Seconds since the newest backup, if there is one.
    pub last_backup_age_secs: Option<i64>,
    /// The same in words ("3 hours").
    pub last_backup_age: Option<String>,
    /// Where the files are, for the admin who copies them elsewhere.
    pub directory: String,
}

/// A byte count as people read it.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A duration in seconds as people read it, in its largest whole unit.
pub(crate) fn human_age(secs: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match secs {
        s if s < 60 => "less than a minute".to_string(),
        s if s < 3600 => plural(s / 60, "minute"),
        s if s < 2 * 86400 => plural(s / 3600, "hour"),
        s => plural(s / 86400, "day"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ages_read_naturally() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(2_400_000), "2.4 MB");
        assert_eq!(human_age(30), "less than a minute");
        assert_eq!(human_age(3600), "1 hour");
        assert_eq!(human_age(30 * 3600), "30 hours");
        assert_eq!(human_age(3 * 86400), "3 days");
    }
}

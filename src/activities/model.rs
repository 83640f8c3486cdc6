//! Activities and how they were done.

use std::str::FromStr;

use serde::Serialize;

/// How an activity was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Coached,
    Group,
    Solo,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Coached, Format::Group, Format::Solo];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Coached => "coached",
            Format::Group => "group",
            Format::Solo => "solo",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| "Choose coached, group or solo.".to_string())
    }
}

/// An activity to record.
#[derive(Debug, Clone)]
pub struct NewActivity<'a> {
    pub user_id: i64,
    pub started_at: i64,
    pub duration_minutes: i64,
    pub type_id: i64,
    pub format: Format,
    pub venue: &'a str,
    pub coach_id: Option<i64>,
    pub notes: &'a str,
    pub recorded_by: Option<i64>,
}

//! Member profiles, the questions a club adds to them, and the steps of joining.

use schemars::JsonSchema;
use serde::Serialize;

crate::values::string_enum! {
    /// The type of a club-defined profile field, which decides how answers are checked.
    pub(crate) enum FieldKind {
        Text = "text",
        LongText = "long_text",
        Number = "number",
        Date = "date",
        YesNo = "yes_no",
        Choice = "choice",
    }
}

impl FieldKind {
    /// The longest answer accepted, in characters.
    pub(crate) fn max_len(self) -> usize {
        match self {
            FieldKind::LongText => 4000,
            _ => 200,
        }
    }
}

crate::values::string_enum! {
    /// Who may see a member's answer to a field (the member and admins always can).
    #[derive(PartialOrd, Ord)]
    pub(crate) enum Visibility {
        /// The member and admins.
        Private = "private",
        /// Also other active members, in the directory.
        Members = "members",
        /// Also anyone with the member's card link.
        Public = "public",
    }
}

/// A question the club asks its members.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct ProfileField {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    pub visibility: Visibility,
    pub choices: Vec<String>,
    pub position: i64,
}

impl ProfileField {
    /// Checks one answer and returns it as stored: trimmed text, a canonical number, an ISO
    /// date, `yes`/`no`, or one of the choices. An empty answer is `None`.
    pub(crate) fn normalize(&self, raw: &str) -> Result<Option<String>, String> {
        let value = raw.trim().replace("\r\n", "\n");
        let value = value.as_str();
        if value.is_empty() {
            return Ok(None);
        }
        if value.chars().count() > self.kind.max_len() {
            return Err(format!("Use at most {} characters.", self.kind.max_len()));
        }
        let control = |c: char| c.is_control() && !(self.kind == FieldKind::LongText && c == '\n');
        if value.chars().any(control) {
            return Err("Use letters, digits and punctuation only.".into());
        }
        let normalized = match self.kind {
            FieldKind::Text | FieldKind::LongText => value.to_string(),
            FieldKind::Number => match value.parse::<f64>() {
                Ok(n) if n.is_finite() => format_number(n),
                _ => return Err("Enter a number.".into()),
            },
            FieldKind::Date => match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                Ok(d) => d.format("%Y-%m-%d").to_string(),
                Err(_) => return Err("Enter a date as YYYY-MM-DD.".into()),
            },
            FieldKind::YesNo => match value.to_ascii_lowercase().as_str() {
                "yes" | "true" | "on" | "1" => "yes".into(),
                "no" | "false" | "off" | "0" => "no".into(),
                _ => return Err("Answer yes or no.".into()),
            },
            FieldKind::Choice => match self.choices.iter().find(|c| c.as_str() == value) {
                Some(choice) => choice.clone(),
                None => return Err(format!("Choose one of: {}.", self.choices.join(", "))),
            },
        };
        Ok(Some(normalized))
    }
}

/// `12` rather than `12.0`; other numbers as Rust prints them.
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The name a member goes by everywhere (directory, cards, activities, bookings): their first
/// and last name when given, else the display name, else the username.
pub(crate) fn display_name(first: &str, last: &str, display: &str, username: &str) -> String {
    let full = format!("{} {}", first.trim(), last.trim());
    if !full.trim().is_empty() {
        full.trim().to_string()
    } else if !display.trim().is_empty() {
        display.trim().to_string()
    } else {
        username.to_string()
    }
}

/// `display_name` in SQL, over the `users` row aliased `alias`. NULL when a LEFT JOIN found
/// nobody. The directory's index (migration V007, `users_directory`) spells this expression
/// too: a change here needs a new index there, or the directory sorts every member again (a
/// test of its query plan says so).
pub(crate) fn name_sql(alias: &str) -> String {
    format!(
        "COALESCE(NULLIF(TRIM(TRIM({alias}.first_name) || ' ' || TRIM({alias}.last_name)), ''),
                  NULLIF(TRIM({alias}.display_name), ''), {alias}.username)"
    )
}

/// Whether the `users` row aliased `alias` may use the member area (status active, a role
/// beyond guest), as an SQL condition: the rule of `AuthUser::is_active_member`.
pub(crate) fn active_member_sql(alias: &str) -> String {
    format!(
        "({alias}.status = 'active' AND EXISTS (SELECT 1 FROM user_roles active_role
           WHERE active_role.user_id = {alias}.id AND active_role.role <> 'guest'))"
    )
}

crate::values::string_enum! {
    /// What still stands between a member and the member area.
    pub(crate) enum Step {
        /// The profile (names and required club fields) is not saved yet.
        Profile = "profile",
        /// The current club agreement is not signed.
        Agreement = "agreement",
        /// An admin has not reviewed them yet.
        Review = "review",
    }
}

/// A version of the club agreement.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Agreement {
    pub id: i64,
    pub version: i64,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// A member's signature of one version.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Signature {
    pub version: i64,
    pub full_name: String,
    pub ip: Option<String>,
    pub signed_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind) -> ProfileField {
        ProfileField {
            id: 1,
            key: "k".into(),
            label: "K".into(),
            kind,
            required: false,
            visibility: Visibility::Private,
            choices: vec!["Small".into(), "Large".into()],
            position: 0,
        }
    }

    #[test]
    fn a_member_goes_by_their_full_name_then_display_name_then_username() {
        assert_eq!(display_name(" Ann ", "Lee", "Annie", "ann"), "Ann Lee");
        assert_eq!(display_name("", "", " Kim ", "k"), "Kim");
        assert_eq!(display_name("", "", "", "k"), "k");
        assert_eq!(display_name("Bo", "", "", "bo"), "Bo");
    }

    #[test]
    fn answers_are_checked_and_stored_in_one_form_per_type() {
        assert_eq!(field(FieldKind::Number).normalize(" 12.0 "), Ok(Some("12".into())));
        assert_eq!(field(FieldKind::Number).normalize("2.5"), Ok(Some("2.5".into())));
        assert!(field(FieldKind::Number).normalize("twelve").is_err());
        assert!(field(FieldKind::Number).normalize("NaN").is_err());
        assert_eq!(field(FieldKind::Date).normalize("2026-02-28"), Ok(Some("2026-02-28".into())));
        assert!(field(FieldKind::Date).normalize("2026-02-30").is_err());
        assert_eq!(field(FieldKind::YesNo).normalize("TRUE"), Ok(Some("yes".into())));
        assert_eq!(field(FieldKind::YesNo).normalize("no"), Ok(Some("no".into())));
        assert!(field(FieldKind::YesNo).normalize("maybe").is_err());
        assert_eq!(field(FieldKind::Choice).normalize("Large"), Ok(Some("Large".into())));
        assert!(field(FieldKind::Choice).normalize("large").is_err());
        assert_eq!(field(FieldKind::Text).normalize("   "), Ok(None));
        assert!(field(FieldKind::Text).normalize("a\nb").is_err());
        assert_eq!(field(FieldKind::LongText).normalize("a\r\nb"), Ok(Some("a\nb".into())));
        assert!(field(FieldKind::Text).normalize(&"x".repeat(201)).is_err());
    }
}

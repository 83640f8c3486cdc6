//! The club's name.

use std::fmt;

/// The club's name, shown on every page and in every email: 1 to 80 characters after trimming,
/// on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClubName(String);

impl ClubName {
    pub(crate) const MAX_CHARS: usize = 80;

    /// What an admin typed, read as the club's name; the error is the sentence to show by the
    /// field.
    pub(crate) fn parse(raw: &str) -> Result<ClubName, String> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > ClubName::MAX_CHARS {
            return Err(format!("Use 1 to {} characters.", ClubName::MAX_CHARS));
        }
        if name.chars().any(char::is_control) {
            return Err("Use letters, digits and punctuation only.".into());
        }
        Ok(ClubName(name.to_string()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ClubName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_club_name_is_one_to_eighty_characters_on_one_line() {
        assert_eq!(ClubName::parse(" Riverside Skating ").unwrap().as_str(), "Riverside Skating");
        assert_eq!(ClubName::parse(" ").unwrap_err(), "Use 1 to 80 characters.");
        assert!(ClubName::parse(&"a".repeat(81)).is_err());
        assert!(ClubName::parse(&"a".repeat(80)).is_ok());
        assert!(ClubName::parse("Club\nName").is_err());
    }
}

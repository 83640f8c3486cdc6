//! Usernames.

use std::fmt;

/// A username: 3 to 32 of a-z, 0-9, `.`, `_` and `-`, starting with a letter or digit, kept
/// lowercased. It never holds `@`, so a username can never equal someone's email address at
/// login, where either is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Username(String);

impl Username {
    /// What a person typed, read as a username; the error is the sentence to show by the field.
    pub(crate) fn parse(raw: &str) -> Result<Username, String> {
        let username = Username::normalize(raw);
        if username.is_empty() {
            return Err("Username is required.".into());
        }
        if !(3..=32).contains(&username.chars().count()) {
            return Err("Use 3 to 32 characters.".into());
        }
        if !username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        {
            return Err("Use only letters, digits, dots, dashes and underscores.".into());
        }
        if !username.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err("Start with a letter or a digit.".into());
        }
        Ok(Username(username))
    }

    /// `raw` in the form usernames are stored and compared in (they are compared without case).
    pub(crate) fn normalize(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        assert!(Username::parse("alice").is_ok());
        assert!(Username::parse("a.b-c_d9").is_ok());
        assert_eq!(Username::parse("  Alice ").unwrap().as_str(), "alice");
        assert!(Username::parse("al").is_err());
        assert!(Username::parse("-alice").is_err());
        assert!(Username::parse("alice@club").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert_eq!(Username::parse("").unwrap_err(), "Username is required.");
    }
}

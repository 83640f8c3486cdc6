//! People's names.

use std::fmt;

/// A person's name as members give it (a first or last name, a guest's display name): 1 to 60
/// characters after trimming, on one line, without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PersonName(String);

impl PersonName {
    pub(crate) const MAX_CHARS: usize = 60;

    /// What a person typed, read as a name; the error is the sentence to show by the field.
    pub(crate) fn parse(raw: &str) -> Result<PersonName, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Enter a name.".into());
        }
        if name.chars().count() > PersonName::MAX_CHARS {
            return Err(format!("Use at most {} characters.", PersonName::MAX_CHARS));
        }
        if name.chars().any(char::is_control) {
            return Err("Use letters, digits and punctuation only.".into());
        }
        Ok(PersonName(name.to_string()))
    }

    /// `raw` read as a name, or nothing when it is empty: for names a person may leave blank
    /// until a later step asks for them.
    pub(crate) fn parse_optional(raw: &str) -> Result<Option<PersonName>, String> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            PersonName::parse(raw).map(Some)
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_one_to_sixty_characters_on_one_line() {
        assert_eq!(PersonName::parse("  Ann  ").unwrap().as_str(), "Ann");
        assert_eq!(PersonName::parse(&"é".repeat(60)).unwrap().as_str().chars().count(), 60);
        assert_eq!(PersonName::parse(" ").unwrap_err(), "Enter a name.");
        assert_eq!(PersonName::parse(&"a".repeat(61)).unwrap_err(), "Use at most 60 characters.");
        assert!(PersonName::parse("Ann\nLee").is_err());
        assert!(PersonName::parse("Ann\u{7}").is_err());
    }

    #[test]
    fn an_optional_name_may_be_blank_but_not_wrong() {
        assert_eq!(PersonName::parse_optional("  "), Ok(None));
        assert!(PersonName::parse_optional(&"a".repeat(61)).is_err());
    }
}

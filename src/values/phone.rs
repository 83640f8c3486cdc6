//! Phone numbers.

use std::fmt;

/// A phone number as members type it, or none (empty): at most 30 characters of digits,
/// spaces and `+ - ( ) .`. Numbers are not reformatted: clubs write them as their country does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Phone(String);

impl Phone {
    pub(crate) const MAX_CHARS: usize = 30;

    /// What a person typed, trimmed; the error is the sentence to show by the field.
    pub(crate) fn parse(raw: &str) -> Result<Phone, String> {
        let phone = raw.trim();
        if phone.chars().count() > Phone::MAX_CHARS
            || !phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            return Err("Enter a phone number using digits, spaces and + - ( ) only.".into());
        }
        Ok(Phone(phone.to_string()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_is_digits_and_a_few_signs_or_nothing() {
        assert_eq!(Phone::parse(" +44 (0)20 7946-0958 ").unwrap().as_str(), "+44 (0)20 7946-0958");
        assert_eq!(Phone::parse("").unwrap().as_str(), "");
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse(&"1".repeat(31)).is_err());
    }
}

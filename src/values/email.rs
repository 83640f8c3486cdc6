//! Email addresses.

use std::fmt;

/// An email address as Clubroom keeps it: trimmed and lowercased (addresses are compared
/// without case), at most 254 bytes, and one that mail can be sent to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Email(String);

impl Email {
    /// The longest address SMTP carries.
    pub(crate) const MAX_BYTES: usize = 254;

    /// What a person typed, read as an address; the error is the sentence to show by the field.
    pub(crate) fn parse(raw: &str) -> Result<Email, String> {
        let email = Email::normalize(raw);
        if email.is_empty() {
            return Err("Email address is required.".into());
        }
        if email.len() > Email::MAX_BYTES || email.parse::<lettre::Address>().is_err() {
            return Err("Enter a valid email address, like name@example.org.".into());
        }
        Ok(Email(email))
    }

    /// `raw` in the form addresses are stored and compared in, without judging it: a lookup by
    /// a typed address that is not one simply finds nobody.
    pub(crate) fn normalize(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_kept_trimmed_and_lowercased() {
        assert_eq!(Email::parse(" A@Example.ORG ").unwrap().as_str(), "a@example.org");
        assert_eq!(Email::normalize(" A@Example.ORG "), "a@example.org");
    }

    #[test]
    fn empty_invalid_and_overlong_addresses_are_refused() {
        assert_eq!(Email::parse("  ").unwrap_err(), "Email address is required.");
        assert!(Email::parse("not-an-email").is_err());
        assert!(Email::parse(&format!("{}@example.org", "a".repeat(250))).is_err());
        assert!(Email::parse("a@example.org").is_ok());
    }
}

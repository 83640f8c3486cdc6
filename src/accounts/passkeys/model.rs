//! Passkeys as stored, and the ceremonies between a start and its finish.

crate::values::string_enum! {
    /// What a pending ceremony is for.
    pub(crate) enum CeremonyKind {
        /// A member adding a passkey to their account.
        Registration = "registration",
        /// Someone signing in with a passkey alone, not yet known.
        SignIn = "sign_in",
    }
}

/// One of a member's passkeys, with the credential as stored (JSON).
pub(crate) struct PasskeyRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub credential: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A ceremony taken out of the table to be finished.
pub(crate) struct Ceremony {
    pub state: String,
    pub expires_at: i64,
}

/// How long a started ceremony can be finished: the time browsers are asked to wait for the
/// authenticator (webauthn-rs's default of five minutes), and a minute for the round trips.
pub(crate) const CEREMONY_SECS: i64 = 6 * 60;

/// A member's name for one of their passkeys: 1 to 60 characters after trimming, on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PasskeyName(String);

impl PasskeyName {
    pub(crate) const MAX_CHARS: usize = 60;

    /// What the member typed, read as a passkey's name; the error is the sentence to show by
    /// the field.
    pub(crate) fn parse(raw: &str) -> Result<PasskeyName, String> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > PasskeyName::MAX_CHARS {
            return Err(format!(
                "Give the passkey a name of 1 to {} characters, such as “Phone”.",
                PasskeyName::MAX_CHARS
            ));
        }
        if name.chars().any(char::is_control) {
            return Err("Use letters, digits and punctuation only.".into());
        }
        Ok(PasskeyName(name.to_string()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passkey_name_is_one_to_sixty_characters_on_one_line() {
        assert_eq!(PasskeyName::parse("  Work laptop ").unwrap().as_str(), "Work laptop");
        assert!(PasskeyName::parse(" ").is_err());
        assert!(PasskeyName::parse(&"é".repeat(60)).is_ok());
        assert!(PasskeyName::parse(&"é".repeat(61)).is_err());
        assert!(PasskeyName::parse("Phone\u{0}").is_err());
        assert!(PasskeyName::parse("Pho\tne").is_err());
    }
}

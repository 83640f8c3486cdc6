//! What a card is made of: the member's own columns, and how they like to be contacted.

crate::values::string_enum! {
    /// How a member likes to be contacted. The public card shows only its label, never an
    /// address or number.
    #[schemars(rename = "ContactPreferenceKind")]
    pub(crate) enum ContactPreference {
        Email = "email",
        Text = "text",
        Phone = "phone",
        Social = "social",
    }
}

impl ContactPreference {
    /// The words the card shows.
    pub(crate) fn label(self) -> &'static str {
        match self {
            ContactPreference::Email => "Prefers email",
            ContactPreference::Text => "Prefers text messages",
            ContactPreference::Phone => "Prefers a phone call",
            ContactPreference::Social => "Prefers social media",
        }
    }
}

/// The columns of `users` a card is built from. Email and phone are deliberately absent: no
/// query of this module reads them, so no card can show them.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub city: String,
    pub state: String,
    pub timezone: String,
    pub coach_id: Option<i64>,
    pub status: String,
    pub activated_at: Option<i64>,
    pub created_at: i64,
    /// As stored; a value this build does not know is shown as no preference.
    pub contact_preference: Option<String>,
}

impl Member {
    /// The name a card shows: first and last name when given, else the display name, else the
    /// username.
    pub(crate) fn card_name(&self) -> String {
        crate::members::model::display_name(
            &self.first_name,
            &self.last_name,
            &self.display_name,
            &self.username,
        )
    }

    pub(crate) fn contact_preference(&self) -> Option<ContactPreference> {
        self.contact_preference.as_deref().and_then(|p| p.parse().ok())
    }

    /// "Member since": when they became active, or when the account was made for accounts
    /// created active.
    pub(crate) fn member_since(&self) -> i64 {
        self.activated_at.unwrap_or(self.created_at)
    }
}

/// One answered club question that the club made public.
#[derive(Debug, Clone)]
pub(crate) struct PublicAnswer {
    pub label: String,
    pub kind: String,
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member() -> Member {
        Member {
            id: 1,
            username: "kim".into(),
            display_name: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            city: String::new(),
            state: String::new(),
            timezone: String::new(),
            coach_id: None,
            status: "active".into(),
            activated_at: None,
            created_at: 100,
            contact_preference: None,
        }
    }

    #[test]
    fn the_card_name_prefers_the_full_name_then_the_display_name_then_the_username() {
        let mut m = member();
        assert_eq!(m.card_name(), "kim");
        m.display_name = " Kimmy ".into();
        assert_eq!(m.card_name(), "Kimmy");
        m.last_name = "Lee".into();
        assert_eq!(m.card_name(), "Lee");
        m.first_name = "Kim".into();
        assert_eq!(m.card_name(), "Kim Lee");
    }

    #[test]
    fn member_since_falls_back_to_the_account_creation() {
        let mut m = member();
        assert_eq!(m.member_since(), 100);
        m.activated_at = Some(500);
        assert_eq!(m.member_since(), 500);
    }

    #[test]
    fn contact_preferences_round_trip_and_unknown_values_count_as_none() {
        for p in ContactPreference::ALL {
            assert_eq!(p.as_str().parse::<ContactPreference>().unwrap(), p);
        }
        assert!("fax".parse::<ContactPreference>().is_err());
        let mut m = member();
        m.contact_preference = Some("pigeon".into());
        assert_eq!(m.contact_preference(), None);
        m.contact_preference = Some("text".into());
        assert_eq!(m.contact_preference(), Some(ContactPreference::Text));
    }
}

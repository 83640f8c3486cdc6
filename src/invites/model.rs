//! An invitation and its state.

use crate::accounts::model::Role;

#[derive(Debug, Clone)]
pub(crate) struct Invite {
    pub id: i64,
    pub name: String,
    /// Set for personal invites; None for shareable links.
    pub email: Option<String>,
    pub roles: Vec<Role>,
    /// None: unlimited.
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
    pub last_sent_at: Option<i64>,
    /// How long each link issued for it lives.
    pub lifetime_days: i64,
}

crate::values::string_enum! {
    /// Where an invitation stands.
    pub(crate) enum InviteStatus {
        Pending = "pending",
        Used = "used",
        Expired = "expired",
        Revoked = "revoked",
    }
}

impl Invite {
    pub(crate) fn status(&self, now: i64) -> InviteStatus {
        if self.revoked_at.is_some() {
            InviteStatus::Revoked
        } else if self.uses_left() == Some(0) {
            InviteStatus::Used
        } else if self.expires_at <= now {
            InviteStatus::Expired
        } else {
            InviteStatus::Pending
        }
    }

    /// Registrations left; None when unlimited.
    pub(crate) fn uses_left(&self) -> Option<i64> {
        self.max_uses.map(|max| (max - self.uses).max(0))
    }

    pub(crate) fn is_personal(&self) -> bool {
        self.email.is_some()
    }
}

crate::values::string_enum! {
    /// What an invite's history records.
    pub(crate) enum InviteEvent {
        Created = "created",
        Reissued = "reissued",
        Sent = "sent",
        Used = "used",
        Revoked = "revoked",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite() -> Invite {
        Invite {
            id: 1,
            name: String::new(),
            email: None,
            roles: vec![Role::Member],
            max_uses: Some(2),
            uses: 0,
            expires_at: 100,
            revoked_at: None,
            created_at: 0,
            last_sent_at: None,
            lifetime_days: 7,
        }
    }

    #[test]
    fn status_follows_revocation_uses_and_expiry() {
        let mut i = invite();
        assert_eq!(i.status(50), InviteStatus::Pending);
        assert_eq!(i.status(100), InviteStatus::Expired);
        i.uses = 2;
        assert_eq!(i.status(50), InviteStatus::Used);
        assert_eq!(i.uses_left(), Some(0));
        i.revoked_at = Some(10);
        assert_eq!(i.status(50), InviteStatus::Revoked);
        i.max_uses = None;
        assert_eq!(i.uses_left(), None);
    }
}

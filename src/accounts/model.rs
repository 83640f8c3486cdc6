//! People and their standing: roles, statuses, and the signed-in user a request acts as.

use crate::error::AppError;
use serde::Serialize;

crate::values::string_enum! {
    #[derive(PartialOrd, Ord)]
    pub enum Role {
        Admin = "admin",
        Coach = "coach",
        Member = "member",
        Guardian = "guardian",
        Guest = "guest",
        /// Runs gift exchanges (and, later, activities) without seeing people management.
        Organizer = "organizer",
    }
}

impl Role {
    /// The roles a person may choose for themselves when registering.
    pub(crate) const SELF_CHOSEN: [Role; 3] = [Role::Member, Role::Coach, Role::Guardian];
}

crate::values::string_enum! {
    pub enum UserStatus {
        Invited = "invited",
        Onboarding = "onboarding",
        PendingContract = "pending_contract",
        PendingReview = "pending_review",
        Active = "active",
        Disabled = "disabled",
    }
}

/// Parses the comma-separated roles of a `group_concat`, skipping names this build does not know.
pub(crate) fn parse_roles(joined: Option<&str>) -> Vec<Role> {
    let mut roles: Vec<Role> =
        joined.unwrap_or("").split(',').filter_map(|r| r.parse().ok()).collect();
    roles.sort();
    roles.dedup();
    roles
}

/// The person a request is made by, as established by their session.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuthUser {
    pub user_id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub status: UserStatus,
    /// How this request proved who it is.
    #[serde(skip)]
    pub credential: Credential,
}

/// The credential behind a signed-in request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// A browser session (cookie).
    Session { id: i64, expires_at: i64 },
    /// An API access token (`Authorization: Bearer`), one of a login's token family.
    Token { id: i64, family: String, expires_at: i64 },
}

impl Credential {
    pub(crate) fn expires_at(&self) -> i64 {
        match self {
            Credential::Session { expires_at, .. } | Credential::Token { expires_at, .. } => {
                *expires_at
            }
        }
    }

    pub(crate) fn session_id(&self) -> Option<i64> {
        match self {
            Credential::Session { id, .. } => Some(*id),
            Credential::Token { .. } => None,
        }
    }

    pub(crate) fn token_family(&self) -> Option<&str> {
        match self {
            Credential::Token { family, .. } => Some(family),
            Credential::Session { .. } => None,
        }
    }

    /// The sign-in this credential belongs to: what ends when it is logged out or revoked.
    pub(crate) fn sign_in(&self) -> SignIn {
        match self {
            Credential::Session { id, .. } => SignIn::Session(*id),
            Credential::Token { family, .. } => SignIn::Tokens(family.clone()),
        }
    }
}

/// One sign-in of a user, as it ends: a browser session, or an API login (every token of its
/// family). A live socket remembers the one it was opened with, so that ending it closes
/// exactly its sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignIn {
    Session(i64),
    Tokens(String),
}

impl AuthUser {
    pub(crate) fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }

    /// A guest holds the guest role and nothing else.
    pub(crate) fn is_guest_only(&self) -> bool {
        !self.roles.is_empty() && self.roles.iter().all(|r| *r == Role::Guest)
    }

    /// Whether they may use the member area: active, and more than a guest.
    pub(crate) fn is_active_member(&self) -> bool {
        self.status == UserStatus::Active && !self.is_guest_only()
    }

    /// Whether they have any standing on a coach's side (coaches and admins).
    pub(crate) fn is_coach(&self) -> bool {
        self.has_role(Role::Coach) || self.is_admin()
    }

    /// Whether they may run gift exchanges: admins, and active members with the organizer
    /// right.
    pub(crate) fn is_organizer(&self) -> bool {
        self.is_admin() || (self.has_role(Role::Organizer) && self.status == UserStatus::Active)
    }

    /// The name to greet them by.
    pub(crate) fn name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.username
        } else {
            &self.display_name
        }
    }
}

/// Who performs a service call: the signed-in user.
#[derive(Debug, Clone)]
pub(crate) enum Actor {
    User(AuthUser),
}

impl Actor {
    pub(crate) fn user_id(&self) -> Option<i64> {
        match self {
            Actor::User(u) => Some(u.user_id),
        }
    }

    pub(crate) fn is_admin(&self) -> bool {
        match self {
            Actor::User(u) => u.is_admin(),
        }
    }

    /// Nothing for an admin; 403 with `refusal` (which says what is for admins) for anyone else.
    pub(crate) fn require_admin(&self, refusal: &'static str) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::forbidden(refusal))
        }
    }

    /// Admins, active organizers and the system may run gift exchanges and activity types.
    pub(crate) fn is_organizer(&self) -> bool {
        match self {
            Actor::User(u) => u.is_organizer(),
        }
    }
}

crate::values::string_enum! {
    /// Purposes of rows in `one_time_tokens`.
    pub(crate) enum TokenPurpose {
        Setup = "setup",
        SetPassword = "set_password",
        /// A code that lets a pre-registered member set their password.
        Claim = "claim",
        /// A sign-in link with its code.
        MagicLink = "magic_link",
        /// A second-factor challenge with its emailed code.
        TwoFactor = "two_factor",
        PasswordReset = "password_reset",
    }
}

/// Where a request comes from, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The key per-client rate limits count under: the IPv4 address, or the /64 network of an
    /// IPv6 address (one subscriber usually holds a whole /64). An IPv4 client written in IPv6
    /// form (`::ffff:a.b.c.d`, as a dual-stack listener or a proxy may report it) counts as its
    /// IPv4 address: taken as IPv6, every IPv4 client would fall in one /64 and share a limit.
    pub(crate) fn limit_key(&self) -> String {
        let ip = self.ip.as_deref().map(str::parse::<std::net::IpAddr>);
        match ip.map(|parsed| parsed.map(|ip| ip.to_canonical())) {
            Some(Ok(std::net::IpAddr::V6(v6))) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(Ok(ip)) => ip.to_string(),
            _ => "unknown".to_string(),
        }
    }
}

/// Guests have no email address; one in this reserved, undeliverable domain keeps the column
/// unique, and no email flow ever treats it as an address.
pub(crate) const GUEST_EMAIL_DOMAIN: &str = "@guests.invalid";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_statuses_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        for status in UserStatus::ALL {
            assert_eq!(status.as_str().parse::<UserStatus>().unwrap(), status);
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn parse_roles_sorts_dedups_and_skips_unknown() {
        assert_eq!(
            parse_roles(Some("member,admin,member,wizard")),
            vec![Role::Admin, Role::Member]
        );
        assert!(parse_roles(None).is_empty());
    }

    fn key(ip: &str) -> String {
        ClientInfo { ip: Some(ip.to_string()), user_agent: None }.limit_key()
    }

    #[test]
    fn an_ipv4_client_on_a_dual_stack_listener_keeps_a_limit_key_of_its_own() {
        assert_eq!(key("::ffff:127.0.0.1"), "127.0.0.1");
        assert_ne!(key("::ffff:192.0.2.1"), key("::ffff:192.0.2.2"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64_network() {
        assert_eq!(key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2::9"), key("2001:db8:1:2:ffff::1"));
        assert_eq!(key("not an address"), "unknown");
    }
}

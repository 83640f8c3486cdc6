//! Self-registration, with an invitation or without.

use rusqlite::Connection;
use serde_json::json;

use super::guests::create_account;
use crate::accounts::model::ClientInfo;
use crate::accounts::model::{Role, UserStatus};
use crate::accounts::password::check_policy;
use crate::accounts::repo::{self, NewUser};
use crate::accounts::sessions::{start_session, StartedSession};
use crate::audit::{self, AuditEvent};
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::error::{AppError, Validator};
use crate::invites::service as invites;
use crate::members::repo as members;
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};
use crate::values::{Email, Phone, RoleSet, Username};

pub struct RegisterCommand {
    pub username: String,
    pub email: String,
    pub password: String,
    pub invite_token: Option<String>,
    /// None: what the invite grants (member without one).
    pub roles: Option<Vec<String>>,
    pub phone: String,
    pub client: ClientInfo,
}

impl Limited for RegisterCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.register_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

fn chosen_roles(v: &mut Validator, requested: Option<&[String]>, granted: &[Role]) -> Vec<Role> {
    let Some(requested) = requested.filter(|r| !r.is_empty()) else {
        return granted.to_vec();
    };
    if requested.iter().any(|name| name.trim() == "minor") {
        v.check(
            false,
            "roles",
            "Minors cannot register themselves; a guardian or the club registers them.",
        );
        return Vec::new();
    }
    let parsed = RoleSet::parse_offering(requested, &Role::SELF_CHOSEN);
    let Some(roles) = v.parsed("roles", parsed) else { return Vec::new() };
    if roles.as_slice().is_empty() {
        // Only blank names: as if none were given.
        return granted.to_vec();
    }
    for &role in roles.as_slice() {
        if !Role::SELF_CHOSEN.contains(&role) {
            v.check(false, "roles", format!("You cannot choose the role {role} yourself."));
        } else if !granted.contains(&role) {
            v.check(false, "roles", format!("This invitation does not grant the role {role}."));
        }
    }
    roles.into_vec()
}

/// The new account, signed in.
pub struct Registered {
    pub user_id: i64,
    pub username: String,
    pub session: StartedSession,
}

/// What a registration did.
pub enum Registration {
    Registered(Registered),
    /// The address is a guest's (of a gift exchange) and nothing showed it is the registrant's:
    /// a personal invitation was emailed to it instead, to finish registering with.
    InvitationSent {
        email: String,
    },
}

/// Self-registration, with an invitation or (when the club allows it) without.
///
/// 403 when registration is closed, when it is invite-only and no token is given, or when the
/// invitation is dead. 422 per field: username, email (a personal invitation's email must be
/// used), password policy, phone, and roles (only member, coach and guardian may be chosen, only
/// those the invitation grants; `minor` is refused). 409 naming the field for a taken username
/// or email. The invitation's use is spent in the same transaction that creates the account,
/// so it is spent only on success and never twice. The new account starts onboarding and is
/// signed in. Admitted per client address (10 an hour). Needs a hashing permit.
///
/// An address held by a guest's account (someone registered it for a gift exchange) does not
/// block registering: with a personal invitation for it, the guest's account becomes the new
/// one, keeping its id and exchange entries. Without one (open registration, a shareable link)
/// anyone could have typed it, so nothing is created and the address is emailed a personal
/// invitation granting the roles asked for (`InvitationSent`).
pub fn register(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<RegisterCommand>,
) -> Result<Registration, AppError> {
    let cmd = cmd.into_inner();
    let token =
        cmd.invite_token.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    let granted = invites::preflight(conn, ctx, token.as_deref())?;
    let mut v = Validator::new();
    let username = v.parsed("username", Username::parse(&cmd.username));
    let email = v.parsed("email", Email::parse(&cmd.email));
    let (typed_username, typed_email) =
        (Username::normalize(&cmd.username), Email::normalize(&cmd.email));
    if let Some(invited) = &granted.email {
        v.check(
            typed_email.eq_ignore_ascii_case(invited),
            "email",
            "This invitation is for a different email address.",
        );
    }
    v.result("password", check_policy(&cmd.password, &typed_username, &typed_email));
    let phone = v.parsed("phone", Phone::parse(&cmd.phone));
    let roles = chosen_roles(&mut v, cmd.roles.as_deref(), &granted.roles);
    let (username, email, phone) = v.finish_with((username, email, phone))?;
    let (username, email, phone) = (username.as_str(), email.as_str(), phone.as_str());
    let hash = ctx.passwords.hash(&cmd.password)?;

    // A personal invitation reached this address, so it is the registrant's.
    let address_proven = granted.email.is_some();
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let guest = repo::address_holder(tx, email)?.is_some_and(|h| h.is_guest());
        if guest && !address_proven {
            invites::invite_guest_address(tx, ctx, email, &roles)?;
            return Ok(Registration::InvitationSent { email: email.to_string() });
        }
        let user = NewUser {
            username,
            email,
            display_name: "",
            password_hash: Some(&hash),
            status: UserStatus::Onboarding,
        };
        let user_id = create_account(tx, ctx, &user, &roles, "registration")?;
        repo::set_phone(tx, user_id, phone)?;
        members::record_initial_status(tx, user_id, user.status, Some(user_id), now)?;
        let invite_id = match &token {
            Some(token) => {
                let invite = invites::spend(tx, ctx, token, user_id)?;
                repo::set_invite(tx, user_id, invite.id)?;
                Some(invite.id)
            }
            None => None,
        };
        let event = AuditEvent::new("user_registered")
            .actor(user_id)
            .target(format!("user:{user_id}"))
            .ip(cmd.client.ip.as_deref())
            .detail(json!({ "invite_id": invite_id, "roles": roles }));
        audit::record(tx, event, now)?;
        let session = start_session(tx, ctx, user_id, &cmd.client, None)?;
        Ok(Registration::Registered(Registered {
            user_id,
            username: username.to_string(),
            session,
        }))
    })
}

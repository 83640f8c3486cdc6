//! Password-less guests, when the club allows them, and the real accounts they give way to.

use rusqlite::Connection;
use serde_json::json;

use crate::accounts::model::ClientInfo;
use crate::accounts::model::{Role, TokenPurpose, UserStatus, GUEST_EMAIL_DOMAIN};
use crate::accounts::repo::{self, NewUser};
use crate::accounts::sessions::{start_session, StartedSession};
use crate::audit::{self, AuditEvent};
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::error::{AppError, Validator};
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};
use crate::settings;
use crate::values::PersonName;

/// A password-less guest sign-up.
pub(crate) struct GuestCommand {
    pub display_name: String,
    pub client: ClientInfo,
}

impl Limited for GuestCommand {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.register_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// Creates a password-less guest with a session, when the club allows guests (403 otherwise).
/// Guests hold only the `guest` role: they reach what is shared with them and nothing else.
/// Admitted as registrations are (10 an hour per client address).
pub(crate) fn create_guest(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<GuestCommand>,
) -> Result<StartedSession, AppError> {
    let GuestCommand { display_name, client } = cmd.into_inner();
    let client = &client;
    let mut v = Validator::new();
    let name = v.parsed("display_name", PersonName::parse(&display_name));
    let name = v.finish_with(name)?;
    let name = name.as_str();
    write_tx(conn, |tx| {
        if !settings::account_settings(tx)?.guest_accounts {
            return Err(AppError::forbidden("Guest access is turned off for this club.")
                .with_code("guests_disabled"));
        }
        let now = ctx.now_unix();
        let handle = format!("guest-{}", crate::crypto::random_code(10).to_lowercase());
        let email = format!("{handle}{GUEST_EMAIL_DOMAIN}");
        let user = NewUser {
            username: &handle,
            email: &email,
            display_name: name,
            password_hash: None,
            status: UserStatus::Active,
        };
        let user_id = repo::insert_user(tx, &user, now)?;
        repo::add_roles(tx, user_id, &[Role::Guest])?;
        let event = AuditEvent::new("guest_created").actor(user_id).ip(client.ip.as_deref());
        audit::record(tx, event, now)?;
        start_session(tx, ctx, user_id, client, None)
    })
}

/// Makes the account `user` with `roles` and returns its id or, when a guest's account holds its address (see
/// `AddressHolder::is_guest`), turns that guest into it: the same id, so the guest's gift
/// exchange entries stay theirs, with the new username, password, status and roles (the
/// guest's name stays unless `user` names one). The guest's sessions, API tokens and unused
/// sign-in links end, as when a password is set. Audited (`guest_upgraded`, with `via`).
/// 409 naming the field for a taken username, or for an address a real account holds.
///
/// Callers make sure the address is the new owner's (an invitation sent to it, an admin, the
/// server's operator): a guest's account must not go to whoever types its address.
pub(crate) fn create_account(
    conn: &Connection,
    ctx: &Ctx,
    user: &NewUser<'_>,
    roles: &[Role],
    via: &str,
) -> Result<i64, AppError> {
    let now = ctx.now_unix();
    let guest = repo::address_holder(conn, user.email)?.filter(|h| h.is_guest());
    let Some(guest) = guest else {
        let user_id = repo::insert_user(conn, user, now)?;
        repo::add_roles(conn, user_id, roles)?;
        return Ok(user_id);
    };
    let user_id = guest.user_id;
    repo::take_over_account(conn, user_id, user, now)?;
    repo::replace_roles(conn, user_id, roles)?;
    repo::delete_user_sessions(conn, user_id, None)?;
    repo::revoke_user_tokens(conn, user_id, None, now)?;
    repo::revoke_tokens(conn, TokenPurpose::MagicLink, Some(user_id), now)?;
    let event = AuditEvent::new("guest_upgraded")
        .target(format!("user:{user_id}"))
        .detail(json!({ "via": via, "roles": roles, "status": user.status }));
    audit::record(conn, event, now)?;
    Ok(user_id)
}

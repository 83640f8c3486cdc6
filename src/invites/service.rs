//! Invitation use cases: create (or re-invite), list, resend, revoke, preflight, and spending a
//! use at registration.

use rusqlite::Connection;
use serde_json::json;

use super::model::{Invite, InviteEvent, InviteStatus};
use super::repo::{self, NewInvite};
use super::views::{CreatedInvite, InvitePreflight, InviteView};
use crate::accounts::model::{Actor, Role};
use crate::accounts::repo as accounts;
use crate::audit::{self, AuditEvent};
use crate::clock::{from_unix, rfc3339};
use crate::crypto::{random_token, token_hash};
use crate::ctx::Ctx;
use crate::email;
use crate::error::{AppError, Validator};
use crate::settings::{self, RegistrationMode};
use crate::values::{Email, RoleSet};

pub(crate) const MAX_DAYS: i64 = 90;
pub(crate) const MAX_USES: i64 = 10_000;

pub(crate) struct CreateInvite {
    pub name: String,
    /// Empty for a shareable link.
    pub email: String,
    pub roles: Vec<String>,
    /// Personal invites default to 1, links to unlimited.
    pub max_uses: Option<i64>,
    pub expires_in_days: Option<i64>,
}

fn admin_only(actor: &Actor) -> Result<(), AppError> {
    actor.require_admin("Only club admins can manage invitations.")
}

fn invite_url(ctx: &Ctx, token: &str) -> String {
    ctx.url(&format!("/join/{token}"))
}

fn club_name(conn: &Connection) -> Result<String, AppError> {
    Ok(settings::get(conn, settings::CLUB_NAME)?
        .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.into()))
}

fn send_email(
    conn: &Connection,
    ctx: &Ctx,
    invite: &Invite,
    url: &str,
    actor: Option<i64>,
) -> Result<(), AppError> {
    let Some(to) = &invite.email else { return Ok(()) };
    let now = ctx.now_unix();
    let data = json!({
        "club_name": club_name(conn)?,
        "name": invite.name,
        "url": url,
        "expires_on": from_unix(invite.expires_at).format("%e %B %Y").to_string().trim().to_string(),
    });
    email::queue(conn, ctx, to, "invite", &data)?;
    repo::mark_sent(conn, invite.id, now)?;
    repo::add_event(conn, invite.id, InviteEvent::Sent, None, actor, now)
}

/// Creates an invitation (admins only, 403 otherwise). With an email it is personal and
/// emailed; inviting an email again gives its existing record a fresh token and terms (the old
/// link stops working, the history stays). Without an email it is a shareable link. 409 when the
/// email already belongs to an account, unless that is a guest's (registering with the
/// invitation turns the guest into the member); 422 per field for bad input. The token exists
/// only in the returned URL.
pub(crate) fn create(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    cmd: CreateInvite,
) -> Result<CreatedInvite, AppError> {
    admin_only(actor)?;
    let email = Email::normalize(&cmd.email);
    let name = cmd.name.trim().to_string();
    let mut v = Validator::new();
    if !email.is_empty() {
        v.result("email", Email::parse(&email).map(drop));
    }
    v.check(name.chars().count() <= 100, "name", "Use at most 100 characters.");
    let roles = v.parsed("roles", RoleSet::parse(&cmd.roles)).unwrap_or_default().or(Role::Member);
    let roles = roles.as_slice();
    let max_uses = match cmd.max_uses {
        Some(n) => {
            v.check(
                (1..=MAX_USES).contains(&n),
                "max_uses",
                format!("Use a number from 1 to {MAX_USES}, or leave it empty."),
            );
            Some(n)
        }
        None if !email.is_empty() => Some(1),
        None => None,
    };
    let days = cmd.expires_in_days.unwrap_or(ctx.config.invite_days);
    v.check(
        (1..=MAX_DAYS).contains(&days),
        "expires_in_days",
        format!("Use 1 to {MAX_DAYS} days."),
    );
    v.finish()?;
    let email = (!email.is_empty()).then_some(email);
    if let Some(e) = &email {
        if accounts::address_holder(conn, e)?.is_some_and(|holder| !holder.is_guest()) {
            return Err(AppError::conflict_field(
                "email",
                "A member with this email address already exists.",
            ));
        }
    }

    let now = ctx.now_unix();
    let token = random_token();
    let hash = token_hash(&token);
    let new = NewInvite {
        token_hash: &hash,
        name: &name,
        email: email.as_deref(),
        roles,
        max_uses,
        lifetime_days: days,
        expires_at: now + days * 86_400,
        created_by: actor.user_id(),
    };
    let existing = match &email {
        Some(e) => repo::find_by_email(conn, e)?,
        None => None,
    };
    let (id, event) = match existing {
        Some(old) => {
            repo::reissue(conn, old.id, &new, now)?;
            (old.id, InviteEvent::Reissued)
        }
        None => (repo::insert(conn, &new, now)?, InviteEvent::Created),
    };
    repo::add_event(conn, id, event, None, actor.user_id(), now)?;
    let invite = repo::get(conn, id)?.ok_or_else(|| AppError::internal("invite vanished"))?;
    let url = invite_url(ctx, &token);
    send_email(conn, ctx, &invite, &url, actor.user_id())?;
    let audit_event = AuditEvent::new("invite_created").target(format!("invite:{id}")).detail(
        json!({ "email": invite.email, "roles": repo::join_roles(roles), "max_uses": max_uses }),
    );
    audit::record(conn, audit_event.actor_opt(actor.user_id()), now)?;
    Ok(CreatedInvite {
        invite_id: id,
        invite_url: url,
        expires_at: rfc3339(from_unix(invite.expires_at)),
    })
}

/// Emails `email`, an address a guest's account holds, a personal invitation granting `roles`,
/// for someone who registered with the address without an invitation sent to it: the guest's
/// account becomes theirs only through the link in that mailbox. An invitation still pending
/// for the address is sent again with a fresh link and its own terms (so an admin's invitation
/// keeps its roles); otherwise the address's invitation gets these roles, one use and the usual
/// lifetime. Audited (`invite_created` or `invite_reissued`, with no actor).
pub(crate) fn invite_guest_address(
    conn: &Connection,
    ctx: &Ctx,
    email: &str,
    roles: &[Role],
) -> Result<(), AppError> {
    let now = ctx.now_unix();
    let token = random_token();
    let hash = token_hash(&token);
    let existing = repo::find_by_email(conn, email)?;
    let (id, event) = match existing {
        Some(old) if old.status(now) == InviteStatus::Pending => {
            let expires_at = now + old.lifetime_days * 86_400;
            repo::renew_token(conn, old.id, &hash, expires_at, now)?;
            (old.id, InviteEvent::Reissued)
        }
        existing => {
            let days = ctx.config.invite_days;
            let name = existing.as_ref().map(|old| old.name.clone()).unwrap_or_default();
            let new = NewInvite {
                token_hash: &hash,
                name: &name,
                email: Some(email),
                roles,
                max_uses: Some(1),
                lifetime_days: days,
                expires_at: now + days * 86_400,
                created_by: None,
            };
            match existing {
                Some(old) => {
                    repo::reissue(conn, old.id, &new, now)?;
                    (old.id, InviteEvent::Reissued)
                }
                None => (repo::insert(conn, &new, now)?, InviteEvent::Created),
            }
        }
    };
    repo::add_event(conn, id, event, None, None, now)?;
    let invite = get_or_404(conn, id)?;
    send_email(conn, ctx, &invite, &invite_url(ctx, &token), None)?;
    let kind = if event == InviteEvent::Created { "invite_created" } else { "invite_reissued" };
    let detail = json!({
        "email": invite.email,
        "roles": repo::join_roles(&invite.roles),
        "reason": "registration_for_guest_address",
    });
    audit::record(conn, AuditEvent::new(kind).target(format!("invite:{id}")).detail(detail), now)
}

/// Every invitation with its status, newest first. Admins only.
pub(crate) fn list(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
) -> Result<Vec<InviteView>, AppError> {
    admin_only(actor)?;
    let now = ctx.now_unix();
    Ok(repo::list(conn)?.iter().map(|i| InviteView::of(i, now)).collect())
}

fn get_or_404(conn: &Connection, id: i64) -> Result<Invite, AppError> {
    repo::get(conn, id)?.ok_or_else(|| AppError::not_found("No such invitation."))
}

/// Issues a fresh link for an invitation, valid for the invitation's lifetime from now (the old
/// link stops working; a token is never stored, so it cannot be shown twice), and emails it for
/// personal invites. Admins only; 404 for an unknown id; 409 when it is revoked or used up
/// (revoking is final: create a new invitation instead).
pub(crate) fn resend(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<CreatedInvite, AppError> {
    admin_only(actor)?;
    let invite = get_or_404(conn, id)?;
    if invite.revoked_at.is_some() {
        return Err(AppError::conflict("This invitation was revoked; create a new one."));
    }
    if invite.uses_left() == Some(0) {
        return Err(AppError::conflict("This invitation has been used up; create a new one."));
    }
    let now = ctx.now_unix();
    let token = random_token();
    repo::renew_token(conn, id, &token_hash(&token), now + invite.lifetime_days * 86_400, now)?;
    repo::add_event(conn, id, InviteEvent::Reissued, None, actor.user_id(), now)?;
    let event = AuditEvent::new("invite_reissued")
        .target(format!("invite:{id}"))
        .actor_opt(actor.user_id());
    audit::record(conn, event, now)?;
    let invite = get_or_404(conn, id)?;
    let url = invite_url(ctx, &token);
    send_email(conn, ctx, &invite, &url, actor.user_id())?;
    Ok(CreatedInvite {
        invite_id: id,
        invite_url: url,
        expires_at: rfc3339(from_unix(invite.expires_at)),
    })
}

/// Revokes an invitation so its link stops working. Admins only; 404 for an unknown id.
pub(crate) fn revoke(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<InviteView, AppError> {
    admin_only(actor)?;
    get_or_404(conn, id)?;
    let now = ctx.now_unix();
    repo::revoke(conn, id, now)?;
    repo::add_event(conn, id, InviteEvent::Revoked, None, actor.user_id(), now)?;
    audit::record(
        conn,
        AuditEvent::new("invite_revoked").target(format!("invite:{id}")).actor_opt(actor.user_id()),
        now,
    )?;
    Ok(InviteView::of(&get_or_404(conn, id)?, now))
}

pub(crate) fn invite_only_error() -> AppError {
    AppError::forbidden("Registration is currently invite-only.").with_code("invite_required")
}

pub(crate) fn closed_error() -> AppError {
    AppError::forbidden("Registration is currently closed.").with_code("registration_closed")
}

pub(crate) fn dead_invite_error() -> AppError {
    AppError::forbidden("This invite has expired or has already been used.")
        .with_code("invite_invalid")
}

/// The live invitation behind `token`, or 403 `invite_invalid`.
pub(crate) fn live(conn: &Connection, ctx: &Ctx, token: &str) -> Result<Invite, AppError> {
    match repo::find_by_token(conn, &token_hash(token))? {
        Some(invite) if invite.status(ctx.now_unix()) == InviteStatus::Pending => Ok(invite),
        _ => Err(dead_invite_error()),
    }
}

/// Whether registration can proceed with `token` (or without one), and what it grants.
/// 403 with a readable reason otherwise: invite-only without a token, closed, or a dead invite.
pub(crate) fn preflight(
    conn: &Connection,
    ctx: &Ctx,
    token: Option<&str>,
) -> Result<InvitePreflight, AppError> {
    let mode = settings::account_settings(conn)?.registration_mode;
    if mode == RegistrationMode::Closed {
        return Err(closed_error());
    }
    match token.filter(|t| !t.is_empty()) {
        Some(token) => {
            let invite = live(conn, ctx, token)?;
            Ok(InvitePreflight {
                valid: true,
                email: invite.email.clone(),
                name: (!invite.name.is_empty()).then(|| invite.name.clone()),
                roles: invite.roles.clone(),
            })
        }
        None if mode == RegistrationMode::Open => {
            Ok(InvitePreflight { valid: true, email: None, name: None, roles: vec![Role::Member] })
        }
        None => Err(invite_only_error()),
    }
}

/// Spends one use of the invite behind `token` for `user_id`; call inside the registration's
/// write transaction, so the use is taken only if the account is created, and never twice.
pub(crate) fn spend(
    conn: &Connection,
    ctx: &Ctx,
    token: &str,
    user_id: i64,
) -> Result<Invite, AppError> {
    let invite = live(conn, ctx, token)?;
    let now = ctx.now_unix();
    if !repo::take_use(conn, invite.id, now)? {
        return Err(dead_invite_error());
    }
    repo::add_event(conn, invite.id, InviteEvent::Used, Some(user_id), None, now)?;
    let event =
        AuditEvent::new("invite_used").actor(user_id).target(format!("invite:{}", invite.id));
    audit::record(conn, event, now)?;
    Ok(invite)
}

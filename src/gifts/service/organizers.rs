//! The organizer right: admins give or take it.

use rusqlite::Connection;

use crate::accounts::model::{Actor, Role};
use crate::accounts::repo::{self as accounts};
use crate::audit;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::gifts::repo;
use crate::gifts::views::OrganizerView;

/// Grants or takes away the organizer right (runs gift exchanges). Admins only (403); 404 for
/// an unknown account; 409 when granting it to a guest (it would make them more than a guest).
/// Audited.
pub(crate) fn set_organizer(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
    organizer: bool,
) -> Result<OrganizerView, AppError> {
    actor.require_admin("Only club admins can grant the organizer right.")?;
    let roles = repo::account_roles(conn, user_id)?
        .ok_or_else(|| AppError::not_found("No such member."))?;
    let guest_only = roles.iter().all(|r| *r == Role::Guest || *r == Role::Organizer);
    if organizer && guest_only {
        return Err(AppError::conflict(
            "Guests cannot organize gift exchanges: make them a member first.",
        ));
    }
    if organizer {
        accounts::add_roles(conn, user_id, &[Role::Organizer])?;
    } else {
        repo::remove_role(conn, user_id, Role::Organizer)?;
    }
    let kind = if organizer { "organizer_granted" } else { "organizer_revoked" };
    audit::record_action(conn, actor, kind, format!("user:{user_id}"), ctx.now_unix())?;
    let roles = repo::account_roles(conn, user_id)?.unwrap_or_default();
    Ok(OrganizerView { user_id, organizer: roles.contains(&Role::Organizer), roles })
}

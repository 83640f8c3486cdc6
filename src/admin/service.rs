//! Admin use cases.

use rusqlite::Connection;

use super::views::{AdminHome, Count};
use crate::accounts::model::Actor;
use crate::accounts::repo as accounts;
use crate::ctx::Ctx;
use crate::email::outbox;
use crate::error::AppError;

/// The figures on the admin home. Admins only (403 otherwise). Jobs and mail mode are filled
/// in by the caller, which knows the running scheduler and transport.
pub fn home(conn: &Connection, ctx: &Ctx, actor: &Actor) -> Result<AdminHome, AppError> {
    if !actor.is_admin() {
        return Err(AppError::forbidden("This part of Clubroom is for club admins."));
    }
    let counts = |rows: Vec<(String, i64)>| {
        rows.into_iter().map(|(label, count)| Count { label, count }).collect::<Vec<_>>()
    };
    Ok(AdminHome {
        users: accounts::count_users(conn)?,
        roles: counts(accounts::count_by_role(conn)?),
        active_sessions: accounts::count_sessions(conn, ctx.now_unix())?,
        outbox: counts(outbox::status_counts(conn)?),
        mail_mode: String::new(),
        base_url: ctx.config.public_url(),
        jobs: Vec::new(),
    })
}

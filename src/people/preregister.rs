//! An admin adds a member by hand (or many, by import): an account waiting to be claimed, with
//! no password, which the member takes over with an emailed code (`accounts::codes`).

use rusqlite::Connection;

use crate::accounts::model::{Actor, Role, UserStatus};
use crate::accounts::repo::{self, NewUser};
use crate::accounts::service::{check_email, check_phone, normalize_email};
use crate::audit::{self, AuditEvent};
use crate::crypto::random_code;
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::members::repo as members;

pub struct NewMember {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub roles: Vec<String>,
}

/// A pre-registered member.
#[derive(Debug, serde::Serialize)]
pub struct CreatedMember {
    pub user_id: i64,
    pub username: String,
    pub email: String,
    pub status: UserStatus,
}

/// A username from a person's name: `kim.lee`, then `kim.lee2`, ... when taken.
fn username_for(conn: &Connection, first: &str, last: &str) -> Result<String, AppError> {
    let base: String = format!("{first}.{last}")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
        .collect::<String>()
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(28)
        .collect();
    let base = if base.len() < 3 { "member".to_string() } else { base };
    for n in 1..1000 {
        let candidate = if n == 1 { base.clone() } else { format!("{base}{n}") };
        if repo::find_id_by_username(conn, &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Ok(format!("member-{}", random_code(8).to_lowercase()))
}

/// An admin pre-registers a member (admins only): an account in status `invited` without a
/// password, which the member claims with an emailed code. 422 per field; 409 for an email
/// that already has an account.
pub fn create_member(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    cmd: NewMember,
) -> Result<CreatedMember, AppError> {
    if !actor.is_admin() {
        return Err(AppError::forbidden("Only club admins can add members."));
    }
    let email = normalize_email(&cmd.email);
    let (first, last, phone) = (cmd.first_name.trim(), cmd.last_name.trim(), cmd.phone.trim());
    let mut v = Validator::new();
    v.result("email", check_email(&email));
    v.check(
        !first.is_empty() && first.chars().count() <= 60,
        "first_name",
        "Enter a first name (at most 60 characters).",
    );
    v.check(
        !last.is_empty() && last.chars().count() <= 60,
        "last_name",
        "Enter a last name (at most 60 characters).",
    );
    v.result("phone", check_phone(phone));
    let mut roles = Vec::new();
    for name in &cmd.roles {
        match name.parse::<Role>() {
            Ok(role) if !roles.contains(&role) => roles.push(role),
            Ok(_) => {}
            Err(_) => {
                v.check(false, "roles", format!("Unknown role {name:?}."));
            }
        }
    }
    v.finish()?;
    if roles.is_empty() {
        roles.push(Role::Member);
    }
    let now = ctx.now_unix();
    let username = username_for(conn, first, last)?;
    let display_name = format!("{first} {last}");
    let user = NewUser {
        username: &username,
        email: &email,
        display_name: &display_name,
        password_hash: None,
        status: UserStatus::Invited,
    };
    let user_id = repo::insert_user(conn, &user, now)?;
    repo::add_roles(conn, user_id, &roles)?;
    repo::set_profile_basics(conn, user_id, first, last, phone)?;
    members::record_initial_status(conn, user_id, UserStatus::Invited, actor.user_id(), now)?;
    let event = AuditEvent::new("member_preregistered")
        .actor_opt(actor.user_id())
        .target(format!("user:{user_id}"));
    audit::record(conn, event, now)?;
    Ok(CreatedMember { user_id, username, email, status: UserStatus::Invited })
}

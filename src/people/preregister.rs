//! An admin adds a member by hand (or many, by import): an account waiting to be claimed, with
//! no password, which the member takes over with an emailed code (`accounts::codes`).

use rusqlite::Connection;

use crate::accounts::model::{Actor, Role, UserStatus};
use crate::accounts::repo::{self, NewUser};
use crate::accounts::service::create_account;
use crate::audit::{self, AuditEvent};
use crate::crypto::random_code;
use crate::ctx::Ctx;
use crate::error::{AppError, FieldErrors, Validator};
use crate::members::repo as members;
use crate::values::{Email, PersonName, Phone, RoleSet};

/// A member as an admin adds them, by hand or as a line of an import.
pub(crate) struct NewMember {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub roles: Vec<String>,
}

/// A `NewMember` whose every field passed.
pub(crate) struct CheckedMember {
    pub email: Email,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub phone: Phone,
    /// Member when none was named.
    pub roles: RoleSet,
}

impl NewMember {
    /// The one check of a member added by an admin, for the form, the API and each line of an
    /// import: the field errors, named, when anything is wrong.
    pub(crate) fn check(&self) -> Result<CheckedMember, FieldErrors> {
        let mut v = Validator::new();
        let email = v.parsed("email", Email::parse(&self.email));
        let first_name = v.parsed("first_name", PersonName::parse(&self.first_name));
        let last_name = v.parsed("last_name", PersonName::parse(&self.last_name));
        let phone = v.parsed("phone", Phone::parse(&self.phone));
        let roles = v.parsed("roles", RoleSet::parse(&self.roles));
        match v.finish_with((email, first_name, last_name, phone, roles)) {
            Ok((email, first_name, last_name, phone, roles)) => Ok(CheckedMember {
                email,
                first_name,
                last_name,
                phone,
                roles: roles.or(Role::Member),
            }),
            Err(err) => Err(err.fields().clone()),
        }
    }
}

/// A pre-registered member.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct CreatedMember {
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
/// that already has an account. A guest's account for the address (from a gift exchange)
/// becomes the member's, keeping its id and exchange entries; they claim it like any other.
pub(crate) fn create_member(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    cmd: NewMember,
) -> Result<CreatedMember, AppError> {
    actor.require_admin("Only club admins can add members.")?;
    let m = cmd.check().map_err(AppError::validation)?;
    let (email, first, last) = (m.email.as_str(), m.first_name.as_str(), m.last_name.as_str());
    let (phone, roles) = (m.phone.as_str(), m.roles.as_slice());
    let now = ctx.now_unix();
    let username = username_for(conn, first, last)?;
    let display_name = format!("{first} {last}");
    let user = NewUser {
        username: &username,
        email,
        display_name: &display_name,
        password_hash: None,
        status: UserStatus::Invited,
    };
    let user_id = create_account(conn, ctx, &user, roles, "admin")?;
    repo::set_profile_basics(conn, user_id, first, last, phone)?;
    members::record_initial_status(conn, user_id, UserStatus::Invited, actor.user_id(), now)?;
    let event = AuditEvent::new("member_preregistered")
        .actor_opt(actor.user_id())
        .target(format!("user:{user_id}"));
    audit::record(conn, event, now)?;
    Ok(CreatedMember {
        user_id,
        username,
        email: m.email.into_string(),
        status: UserStatus::Invited,
    })
}

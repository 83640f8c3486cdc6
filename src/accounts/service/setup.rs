//! First-run setup through the printed link, and admins created from the command line.

use rusqlite::Connection;
use serde_json::json;

use super::guests::create_account;
use crate::accounts::model::ClientInfo;
use crate::accounts::model::{Role, TokenPurpose, UserStatus};
use crate::accounts::password::check_policy;
use crate::accounts::repo::{self, NewUser};
use crate::accounts::sessions::{start_session, StartedSession};
use crate::audit::{self, AuditEvent};
use crate::crypto::{random_token, token_hash};
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::email;
use crate::error::{AppError, Validator};
use crate::settings;
use crate::values::{ClubName, Email, Username};

/// True while no (enabled) admin exists.
pub(crate) fn setup_open(conn: &Connection) -> Result<bool, AppError> {
    Ok(repo::count_admins(conn)? == 0)
}

/// While setup is open, issues a fresh setup token (valid `setup_token_hours`) and revokes any
/// earlier one, so only the link printed last works. None once an admin exists.
pub(crate) fn issue_setup_token(
    conn: &mut Connection,
    ctx: &Ctx,
) -> Result<Option<String>, AppError> {
    write_tx(conn, |tx| {
        if !setup_open(tx)? {
            return Ok(None);
        }
        let now = ctx.now_unix();
        repo::revoke_tokens(tx, TokenPurpose::Setup, None, now)?;
        let token = random_token();
        let expires = now + ctx.config.setup_token_hours * 3600;
        repo::insert_token(tx, TokenPurpose::Setup, &token_hash(&token), None, now, expires)?;
        Ok(Some(token))
    })
}

fn setup_gone() -> AppError {
    AppError::gone("This setup link has expired or has already been used. Restart Clubroom to print a new one, or use `clubroom admin create`.")
        .with_code("setup_link_invalid")
}

/// Ok when `token` is a live setup token and no admin exists yet; else 410.
pub(crate) fn check_setup_token(conn: &Connection, ctx: &Ctx, token: &str) -> Result<(), AppError> {
    let live =
        repo::find_live_token(conn, TokenPurpose::Setup, &token_hash(token), ctx.now_unix())?;
    if live.is_none() || !setup_open(conn)? {
        return Err(setup_gone());
    }
    Ok(())
}

pub(crate) struct SetupCommand {
    pub token: String,
    pub club_name: String,
    pub username: String,
    pub email: String,
    pub password: String,
    pub client: ClientInfo,
}

/// The result of a completed setup.
pub(crate) struct SetupDone {
    pub session: StartedSession,
}

/// Creates the first admin from the setup form, names the club and logs the admin in.
///
/// 410 when the token is unknown, expired or used, or an admin already exists (checked again
/// inside the write transaction, so two concurrent submissions cannot both succeed); 422 per
/// field for invalid input. The caller must hold a hashing permit.
pub(crate) fn complete_setup(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: SetupCommand,
) -> Result<SetupDone, AppError> {
    check_setup_token(conn, ctx, &cmd.token)?;
    let mut v = Validator::new();
    let club_name = v.parsed("club_name", ClubName::parse(&cmd.club_name));
    let username = v.parsed("username", Username::parse(&cmd.username));
    let email = v.parsed("email", Email::parse(&cmd.email));
    let (typed_username, typed_email) =
        (Username::normalize(&cmd.username), Email::normalize(&cmd.email));
    v.result("password", check_policy(&cmd.password, &typed_username, &typed_email));
    let (club_name, username, email) = v.finish_with((club_name, username, email))?;
    let (club_name, username, email) = (club_name.as_str(), username.as_str(), email.as_str());
    let hash = ctx.passwords.hash(&cmd.password)?;

    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let live = repo::find_live_token(tx, TokenPurpose::Setup, &token_hash(&cmd.token), now)?;
        let Some((token_id, _)) = live else {
            return Err(setup_gone());
        };
        if !setup_open(tx)? || !repo::consume_token(tx, token_id, now)? {
            return Err(setup_gone());
        }
        let user_id = create_admin_account(tx, ctx, username, email, Some(&hash), "setup")?;
        settings::set(tx, settings::CLUB_NAME, club_name, now)?;
        tx.set_club_name(club_name);
        let session = start_session(tx, ctx, user_id, &cmd.client, None)?;
        let event = AuditEvent::new("setup_completed")
            .actor(user_id)
            .target(format!("user:{user_id}"))
            .ip(cmd.client.ip.as_deref())
            .detail(json!({ "club_name": club_name }));
        audit::record(tx, event, now)?;
        let mail = json!({
            "club_name": club_name,
            "username": username,
            "login_url": ctx.url("/login"),
            "admin_url": ctx.url("/admin"),
        });
        email::queue(tx, ctx, email, "welcome_admin", &mail)?;
        Ok(SetupDone { session })
    })
}

/// An active admin; a guest's account for the address becomes theirs (whoever runs setup or
/// the command holds the server, and with it every address).
fn create_admin_account(
    conn: &Connection,
    ctx: &Ctx,
    username: &str,
    email: &str,
    password_hash: Option<&str>,
    via: &str,
) -> Result<i64, AppError> {
    let user =
        NewUser { username, email, display_name: "", password_hash, status: UserStatus::Active };
    create_account(conn, ctx, &user, &[Role::Admin, Role::Member], via)
}

// ----- admins from the command line -----

pub(crate) struct CreateAdminCommand {
    pub username: String,
    pub email: String,
    /// None: create the account without a password and issue a set-password link.
    pub password: Option<String>,
}

#[derive(Debug)]
pub(crate) struct CreatedAdmin {
    pub user_id: i64,
    pub set_password_url: Option<String>,
}

/// Creates an admin (`clubroom admin create`). Validates like setup (422 per field, 409 for a
/// taken username or email). Without a password, the account gets a one-time set-password link
/// valid `setup_token_hours`, which is returned and also emailed.
pub(crate) fn create_admin(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: CreateAdminCommand,
) -> Result<CreatedAdmin, AppError> {
    let mut v = Validator::new();
    let username = v.parsed("username", Username::parse(&cmd.username));
    let email = v.parsed("email", Email::parse(&cmd.email));
    if let Some(password) = &cmd.password {
        let (typed_username, typed_email) =
            (Username::normalize(&cmd.username), Email::normalize(&cmd.email));
        v.result("password", check_policy(password, &typed_username, &typed_email));
    }
    let (username, email) = v.finish_with((username, email))?;
    let (username, email) = (username.as_str(), email.as_str());
    let hash = cmd.password.as_deref().map(|p| ctx.passwords.hash(p)).transpose()?;

    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let user_id =
            create_admin_account(tx, ctx, username, email, hash.as_deref(), "command line")?;
        let event = AuditEvent::new("admin_created")
            .target(format!("user:{user_id}"))
            .detail(json!({ "username": username, "via": "command line" }));
        audit::record(tx, event, now)?;
        let set_password_url = if hash.is_none() {
            let token = random_token();
            let expires = now + ctx.config.setup_token_hours * 3600;
            repo::insert_token(
                tx,
                TokenPurpose::SetPassword,
                &token_hash(&token),
                Some(user_id),
                now,
                expires,
            )?;
            let url = ctx.url(&format!("/set-password/{token}"));
            let club_name = settings::get(tx, settings::CLUB_NAME)?
                .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string());
            let mail = json!({
                "club_name": club_name,
                "username": username,
                "url": url,
                "valid_hours": ctx.config.setup_token_hours,
            });
            email::queue(tx, ctx, email, "set_password", &mail)?;
            Some(url)
        } else {
            None
        };
        Ok(CreatedAdmin { user_id, set_password_url })
    })
}

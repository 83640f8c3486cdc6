//! People management use cases. Every function is for club admins only (403 otherwise);
//! an unknown member id is a 404.

use rusqlite::Connection;
use serde_json::json;

use super::input::ListQuery;
use super::repo::{self, AccountRow, Filter, SortKey};
use super::views::{
    AccessSent, AccountView, DataItem, Deleted, DeletionView, HistoryEntry, ListFilter, MemberList,
    PersonSummary, SessionsEnded,
};
use crate::accounts::codes::{send_claim_code, ClaimSender};
use crate::accounts::model::GUEST_EMAIL_DOMAIN;
use crate::accounts::model::{Actor, Role, TokenPurpose, UserStatus};
use crate::accounts::repo as accounts;
use crate::audit::{self, AuditEvent};
use crate::clock::rfc3339_at;
use crate::crypto::{random_token, token_hash};
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::email;
use crate::error::{AppError, Validator};
use crate::settings;
use crate::values::RoleSet;

/// People per page of the member list.
pub(crate) const PER_PAGE: i64 = 50;

pub(crate) fn admin_only(actor: &Actor) -> Result<(), AppError> {
    actor.require_admin("This part of Clubroom is for club admins.")
}

fn account_of(conn: &Connection, user_id: i64) -> Result<AccountRow, AppError> {
    repo::find_account(conn, user_id)?
        .ok_or_else(|| AppError::not_found("There is no such member."))
}

fn record(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    kind: &str,
    user_id: i64,
    detail: serde_json::Value,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let event = AuditEvent::new(kind)
        .actor_opt(actor.user_id())
        .target(format!("user:{user_id}"))
        .detail(detail)
        .ip(ip);
    audit::record(conn, event, ctx.now_unix())
}

/// A checked list query: the filter, the order, the page, and the filter as echoed back.
pub(crate) struct Query {
    pub filter: Filter,
    pub sort: SortKey,
    pub descending: bool,
    pub page: i64,
    pub echo: ListFilter,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Checks the query of the member list and export: 422 naming `status`, `role`, `sort` or
/// `page` for a value that means nothing; a search longer than 100 characters or holding a
/// control character is a 422 `q`.
pub(crate) fn parse_query(query: &ListQuery) -> Result<Query, AppError> {
    let mut v = Validator::new();
    let q = given(&query.q).map(str::to_string);
    v.check(
        q.as_ref().is_none_or(|q| q.chars().count() <= 100),
        "q",
        "Search with at most 100 characters.",
    );
    v.check(
        q.as_deref().is_none_or(crate::members::service::searchable),
        "q",
        crate::members::service::SEARCH_CONTROL_CHARACTERS,
    );
    let status = given(&query.status).and_then(|s| v.parsed("status", s.parse::<UserStatus>()));
    let role = given(&query.role).and_then(|r| {
        let parsed = r.parse::<Role>();
        v.parsed("role", parsed.map_err(|_| RoleSet::unknown(r, &Role::ALL)))
    });
    let sort_text = given(&query.sort).unwrap_or("name");
    let (descending, key) = match sort_text.strip_prefix('-') {
        Some(key) => (true, key),
        None => (false, sort_text),
    };
    let sort = key.parse::<SortKey>().ok();
    v.check(
        sort.is_some(),
        "sort",
        "Sort by name, email, status, joined, member_since or last_login (with a leading - to reverse).",
    );
    let page = match given(&query.page) {
        None => 1,
        Some(p) => match p.parse::<i64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => n,
            _ => {
                v.check(false, "page", "Give a page number from 1.");
                1
            }
        },
    };
    v.finish()?;
    let sort = sort.unwrap_or(SortKey::Name);
    let echo = ListFilter {
        q: q.clone().unwrap_or_default(),
        role: role.map(|r| r.as_str().to_string()).unwrap_or_default(),
        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        sort: if descending { format!("-{}", sort.as_str()) } else { sort.as_str().to_string() },
    };
    Ok(Query { filter: Filter { q, role, status }, sort, descending, page, echo })
}

/// One page (50 people) of the member list: search in name, username and email, filter by
/// role and status, sort by name, email, status, joined, member since or last login. 422 for
/// a bad parameter (see `parse_query`); a page past the end is empty.
pub(crate) fn list(
    conn: &Connection,
    actor: &Actor,
    query: &ListQuery,
) -> Result<MemberList, AppError> {
    admin_only(actor)?;
    let query = parse_query(query)?;
    let total = repo::count_people(conn, &query.filter)?;
    let rows = repo::list_people(
        conn,
        &query.filter,
        query.sort,
        query.descending,
        Some(PER_PAGE),
        (query.page - 1) * PER_PAGE,
    )?;
    Ok(MemberList {
        members: rows.into_iter().map(PersonSummary::from).collect(),
        total,
        page: query.page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        per_page: PER_PAGE,
        filter: query.echo,
    })
}

fn is_last_admin(conn: &Connection, a: &AccountRow) -> Result<bool, AppError> {
    Ok(a.roles.contains(&Role::Admin)
        && a.status != UserStatus::Disabled
        && accounts::count_admins(conn)? <= 1)
}

/// The account side of a member's record (sessions, second factor, last login, admin
/// history). The caller has checked that the actor is an admin. 404 for an unknown id.
pub(crate) fn account(conn: &Connection, ctx: &Ctx, user_id: i64) -> Result<AccountView, AppError> {
    let a = account_of(conn, user_id)?;
    let now = ctx.now_unix();
    let history = repo::audit_about(conn, &format!("user:{user_id}"), 50)?
        .into_iter()
        .map(|r| HistoryEntry {
            kind: r.kind,
            actor_name: r.actor_name,
            detail: r.detail.and_then(|d| serde_json::from_str(&d).ok()),
            at: rfc3339_at(r.at),
        })
        .collect();
    let factors = crate::accounts::factors::of(conn, user_id)?;
    Ok(AccountView {
        sessions: repo::count_live_sessions(conn, user_id, now)?,
        api_logins: repo::count_live_api_logins(conn, user_id, now)?,
        has_password: a.has_password,
        two_factor_enabled: a.two_factor_enabled,
        authenticator_app: factors.app,
        passkeys: factors.passkeys,
        recovery_codes_left: factors.recovery_codes_left,
        claimed_at: a.claimed_at.map(rfc3339_at),
        last_login_at: a.last_login_at.map(rfc3339_at),
        member_since: rfc3339_at(a.member_since),
        last_admin: is_last_admin(conn, &a)?,
        can_send_claim_code: a.status == UserStatus::Invited && !a.has_password,
        all_roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        history,
    })
}

/// Replaces a member's roles. 422 `roles` for an unknown role or none at all; 409 `roles` when
/// it would take the admin role from the last admin who can sign in. Audited with the roles
/// before and after; nothing is recorded when nothing changes.
pub(crate) fn set_roles(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
    roles: &[String],
    ip: Option<&str>,
) -> Result<(), AppError> {
    admin_only(actor)?;
    let a = account_of(conn, user_id)?;
    let wanted =
        RoleSet::parse(roles).map_err(|why| AppError::invalid_field("roles", why))?.into_vec();
    if wanted.is_empty() {
        return Err(AppError::invalid_field("roles", "Give at least one role."));
    }
    if wanted == a.roles {
        return Ok(());
    }
    if !wanted.contains(&Role::Admin) && is_last_admin(conn, &a)? {
        return Err(AppError::conflict_field(
            "roles",
            "This is the club's only admin: make someone else an admin first.",
        ));
    }
    repo::set_roles(conn, user_id, &wanted)?;
    let names = |roles: &[Role]| roles.iter().map(|r| r.as_str()).collect::<Vec<_>>();
    let detail = json!({ "before": names(&a.roles), "after": names(&wanted) });
    record(conn, ctx, actor, "member_roles_changed", user_id, detail, ip)
}

/// Ends every browser session and API login of a member: they must sign in again everywhere.
/// Audited with how many ended.
pub(crate) fn end_sessions(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
    ip: Option<&str>,
) -> Result<SessionsEnded, AppError> {
    admin_only(actor)?;
    account_of(tx, user_id)?;
    let now = ctx.now_unix();
    let api_logins_ended = repo::count_live_api_logins(tx, user_id, now)? as usize;
    let sessions_ended = accounts::delete_user_sessions(tx, user_id, None)?;
    accounts::revoke_user_tokens(tx, user_id, None, now)?;
    tx.disconnect(user_id);
    let detail = json!({ "sessions": sessions_ended, "api_logins": api_logins_ended });
    record(tx, ctx, actor, "member_sessions_revoked", user_id, detail, ip)?;
    Ok(SessionsEnded { sessions_ended, api_logins_ended })
}

/// Resets a member's two-step sign-in (when they lost their phone or passkey): turns their own
/// emailed codes off, removes their authenticator app, passkeys and recovery codes, and ends
/// open sign-ins. The club policy, when it requires the second step, still applies (an admin
/// who must hold a strong factor sets one up at the next sign-in). 409 when there was nothing
/// to reset. Audited; the member is emailed.
pub(crate) fn reset_two_factor(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
    ip: Option<&str>,
) -> Result<(), AppError> {
    admin_only(actor)?;
    let a = account_of(conn, user_id)?;
    let removed = crate::accounts::factors::service::remove_all(conn, ctx, user_id)?;
    if !a.two_factor_enabled && !removed {
        return Err(AppError::conflict(
            "This account has no two-step sign-in to reset: no login codes, app, passkey or recovery codes.",
        ));
    }
    let now = ctx.now_unix();
    repo::set_two_factor_off(conn, user_id, now)?;
    crate::accounts::factors::service::notify(conn, ctx, user_id, "reset_by_admin")?;
    record(conn, ctx, actor, "member_two_factor_reset", user_id, json!({}), ip)
}

/// Emails a member a way in. `claim_code`: for an account waiting to be claimed (409
/// otherwise). `set_password`: a one-time link (valid `setup_token_hours`) to choose a new
/// password, for accounts that are neither disabled, nor waiting to be claimed, nor guests
/// (409 for those); earlier links stop working. 422 `kind` for anything else. Audited.
pub(crate) fn send_access(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
    kind: &str,
    ip: Option<&str>,
) -> Result<AccessSent, AppError> {
    admin_only(actor)?;
    let a = account_of(conn, user_id)?;
    let waiting = a.status == UserStatus::Invited && !a.has_password;
    let kind = match kind.trim() {
        "claim_code" => {
            if !waiting {
                return Err(AppError::conflict(
                    "This account is not waiting to be claimed: send a set-password link instead.",
                ));
            }
            send_claim_code(conn, ctx, &a.email, ClaimSender::Admin)?;
            "claim_code"
        }
        "set_password" => {
            if waiting {
                return Err(AppError::conflict(
                    "This account is waiting to be claimed: send a claim code instead.",
                ));
            }
            if a.status == UserStatus::Disabled {
                return Err(AppError::conflict("This account is disabled: enable it first."));
            }
            if a.email.ends_with(GUEST_EMAIL_DOMAIN) {
                return Err(AppError::conflict("This guest account has no email address."));
            }
            send_set_password_link(conn, ctx, user_id, &a)?;
            "set_password"
        }
        _ => {
            return Err(AppError::invalid_field("kind", "Choose claim_code or set_password."));
        }
    };
    let event =
        if kind == "claim_code" { "member_claim_code_sent" } else { "member_set_password_sent" };
    record(conn, ctx, actor, event, user_id, json!({ "to": a.email }), ip)?;
    Ok(AccessSent { kind, to: a.email })
}

fn send_set_password_link(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    a: &AccountRow,
) -> Result<(), AppError> {
    let now = ctx.now_unix();
    accounts::revoke_tokens(conn, TokenPurpose::SetPassword, Some(user_id), now)?;
    let token = random_token();
    let hours = ctx.config.setup_token_hours;
    accounts::insert_token(
        conn,
        TokenPurpose::SetPassword,
        &token_hash(&token),
        Some(user_id),
        now,
        now + hours * 3600,
    )?;
    let club_name = settings::get(conn, settings::CLUB_NAME)?
        .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string());
    let data = json!({
        "club_name": club_name,
        "username": a.username,
        "url": ctx.url(&format!("/set-password/{token}")),
        "valid_hours": hours,
    });
    email::queue(conn, ctx, &a.email, "member_set_password", &data)?;
    Ok(())
}

/// What a table's rows are, in words, for the deletion summary.
fn label(table: &str, column: &str) -> String {
    let known = match (table, column) {
        ("user_roles", _) => "roles",
        ("sessions", _) => "browser sessions",
        ("one_time_tokens", _) => "unused codes and links",
        ("api_tokens", _) => "API tokens",
        ("passkeys", _) => "passkeys",
        ("passkey_ceremonies", _) => "passkeys being added",
        ("profile_values", _) => "answers to the club's profile questions",
        ("agreement_signatures", _) => "agreement signatures",
        ("status_events", "user_id") => "entries of their status timeline",
        ("status_events", _) => {
            "status changes they made to other members (kept without their name)"
        }
        ("card_shares", _) => "public card link",
        ("calendar_feeds", _) => "calendar feed link",
        ("activities", "user_id") => "activities in their log",
        ("activities", "coach_id") => "activities of others they coached (kept without a coach)",
        ("activities", _) => "activities they recorded for others (kept without their name)",
        ("bookings", "user_id") => "bookings",
        ("bookings", _) => "bookings they decided (kept without their name)",
        ("notice_copies", _) => "notices they received",
        ("notices", _) => "notices they sent (kept without a sender)",
        ("notice_replies", _) => "replies they wrote to notices (kept without an author)",
        ("conversation_members", _) => "chat memberships",
        ("conversations", _) => "conversations they started (kept)",
        ("conversation_messages", _) => "chat messages they wrote (kept without an author)",
        ("exchanges", _) => "gift exchanges they created (kept)",
        ("exchange_participants", _) => "gift exchange places (kept without their account)",
        ("invites", _) => "invitations they created (kept)",
        ("invite_events", _) => "invitation history entries (kept without their name)",
        ("agreements", _) => "agreement versions they published (kept)",
        ("audit_log", _) => "audit log entries of their actions (kept without their name)",
        ("users", "coach_id") => "members they coach (who keep their accounts, without a coach)",
        ("member_imports", _) => "member imports they started",
        _ => "",
    };
    if known.is_empty() {
        format!("{} ({})", table.replace('_', " "), column.replace('_', " "))
    } else {
        known.to_string()
    }
}

/// What deleting a member's account removes (their account and every row that belongs only
/// to them) and what it keeps (what they did for others, without their name, and the audit
/// log about them), with counts, and why it may not be done: an admin's own account, the last
/// admin, or data that would block it.
pub(crate) fn deletion(
    conn: &Connection,
    actor: &Actor,
    user_id: i64,
) -> Result<DeletionView, AppError> {
    admin_only(actor)?;
    let a = account_of(conn, user_id)?;
    let name: String = conn.query_row(
        &format!("SELECT {} FROM users u WHERE u.id = ?1", crate::members::model::name_sql("u")),
        [user_id],
        |r| r.get(0),
    )?;
    let (mut deleted, mut kept, mut blocking) = (Vec::new(), Vec::new(), Vec::new());
    for r in repo::references_to(conn, user_id)?.into_iter().filter(|r| r.rows > 0) {
        let item = DataItem { label: label(&r.table, &r.column), rows: r.rows };
        match r.on_delete.as_str() {
            "CASCADE" => deleted.push(item),
            "SET NULL" => kept.push(item),
            _ => blocking.push(item.label),
        }
    }
    let about: i64 = conn.query_row(
        "SELECT count(*) FROM audit_log WHERE target = ?1",
        [format!("user:{user_id}")],
        |r| r.get(0),
    )?;
    if about > 0 {
        kept.push(DataItem {
            label: "audit log entries about this account (with its id)".into(),
            rows: about,
        });
    }
    let refusal = if actor.user_id() == Some(user_id) {
        Some("You cannot delete your own account.".to_string())
    } else if is_last_admin(conn, &a)? {
        Some("This is the club's only admin: make someone else an admin first.".to_string())
    } else if !blocking.is_empty() {
        Some(format!("Remove these first: {}.", blocking.join(", ")))
    } else {
        None
    };
    Ok(DeletionView {
        id: user_id,
        username: a.username,
        name,
        email: a.email,
        deleted,
        kept,
        refusal,
    })
}

/// Deletes a member's account for good, once `confirm` is their username (422 `confirm`
/// otherwise; compared without case). 409 when `deletion` gives a refusal (own account, last
/// admin). The audit log keeps the username, email and roles of the deleted account.
pub(crate) fn delete(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    user_id: i64,
    confirm: &str,
    ip: Option<&str>,
) -> Result<Deleted, AppError> {
    let view = deletion(tx, actor, user_id)?;
    if let Some(refusal) = view.refusal {
        return Err(AppError::conflict(refusal));
    }
    if !confirm.trim().eq_ignore_ascii_case(&view.username) {
        return Err(AppError::invalid_field(
            "confirm",
            format!("Type the username {} to confirm.", view.username),
        ));
    }
    let roles = account_of(tx, user_id)?.roles;
    let detail = json!({
        "username": view.username,
        "email": view.email,
        "roles": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
    });
    repo::delete_user(tx, user_id)?;
    tx.disconnect(user_id);
    record(tx, ctx, actor, "member_deleted", user_id, detail, ip)?;
    Ok(Deleted { deleted: true, id: user_id, username: view.username })
}

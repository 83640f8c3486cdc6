//! Passkey use cases: a member adds, lists, renames and removes their passkeys, and anyone
//! signs in with a passkey alone. No HTTP here.
//!
//! Every ceremony is two requests: the start stores the challenge server-side under a random
//! token (only its hash is kept) and hands the browser its options; the finish takes the
//! stored state out (once, whatever the outcome) and checks the browser's answer against it.

use rusqlite::Connection;
use serde_json::{json, Value};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid,
};
use webauthn_rs::Webauthn;

use super::model::{CeremonyKind, PasskeyName, PasskeyRow, CEREMONY_SECS};
use super::repo::{self, NewCeremony, NewPasskey};
use super::views::{CeremonyView, PasskeyList, PasskeyView, PasskeysSection};
use crate::accounts::model::{AuthUser, ClientInfo, UserStatus};
use crate::accounts::sessions::{finish_login, Grant, LoginOutcome};
use crate::audit::{self, AuditEvent};
use crate::crypto::{random_token, token_hash};
use crate::ctx::Ctx;
use crate::db::write_tx;
use crate::error::{AppError, ErrorKind};
use crate::ratelimit::{Admitted, Limited, Limits, RateLimiter};
use crate::settings;

/// The relying party, or the refusal that says why this server offers no passkeys.
pub(crate) fn relying_party(ctx: &Ctx) -> Result<&Webauthn, AppError> {
    ctx.webauthn.as_deref().ok_or_else(|| {
        AppError::forbidden(
            "Passkeys are not available here: they need the portal's address (base_url) to be \
             a domain name on HTTPS, or localhost.",
        )
        .with_code("passkeys_unavailable")
    })
}

/// A ceremony token that is unknown, expired, someone else's or already finished.
fn ceremony_expired() -> AppError {
    AppError::bad_request("This passkey request has expired or was already used. Start again.")
        .with_code("ceremony_expired")
}

/// A passkey sign-in whose answer does not hold up, whatever the reason.
fn sign_in_refused() -> AppError {
    AppError::new(
        ErrorKind::Unauthorized,
        "This passkey was not accepted. Try again, or log in another way.",
    )
    .with_code("passkey_refused")
}

/// Reads the browser's answer into `T`; anything else is a 422 on `credential`.
fn parse_credential<T: serde::de::DeserializeOwned>(credential: Value) -> Result<T, AppError> {
    if credential.is_null() {
        return Err(AppError::invalid_field(
            "credential",
            "Send the credential the browser made (its JSON form).",
        ));
    }
    serde_json::from_value(credential).map_err(|_| {
        AppError::invalid_field("credential", "This is not a passkey credential a browser made.")
    })
}

/// The stored credential of `row`.
pub(crate) fn stored_passkey(row: &PasskeyRow) -> Result<Passkey, AppError> {
    serde_json::from_str(&row.credential).map_err(AppError::internal)
}

/// Stores `state` as a new ceremony of `kind` and returns its token.
fn store_ceremony(
    conn: &Connection,
    ctx: &Ctx,
    user_id: Option<i64>,
    kind: CeremonyKind,
    state: &impl serde::Serialize,
) -> Result<String, AppError> {
    let now = ctx.now_unix();
    let token = random_token();
    let state = serde_json::to_string(state).map_err(AppError::internal)?;
    let ceremony = NewCeremony {
        token_hash: &token_hash(&token),
        user_id,
        kind,
        state: &state,
        expires_at: now + CEREMONY_SECS,
    };
    repo::insert_ceremony(conn, &ceremony, now)?;
    Ok(token)
}

/// Takes the ceremony `token` names out of the table: its stored state while it is live, None
/// when it is unknown, someone else's, expired or already finished.
fn take_ceremony<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    ctx: &Ctx,
    token: &str,
    kind: CeremonyKind,
    user_id: Option<i64>,
) -> Result<Option<T>, AppError> {
    let Some(ceremony) = repo::take_ceremony(conn, &token_hash(token), kind, user_id)? else {
        return Ok(None);
    };
    if ceremony.expires_at <= ctx.now_unix() {
        return Ok(None);
    }
    serde_json::from_str(&ceremony.state).map(Some).map_err(AppError::internal)
}

/// The account's WebAuthn user handle, made on first use: a random UUID, never the account's
/// id or email address, which the authenticator would otherwise keep and show.
fn user_handle(conn: &Connection, user_id: i64) -> Result<Uuid, AppError> {
    if let Some(handle) = repo::user_handle(conn, user_id)? {
        return Uuid::parse_str(&handle).map_err(AppError::internal);
    }
    let handle = Uuid::new_v4();
    repo::set_user_handle(conn, user_id, &handle.to_string())?;
    Ok(handle)
}

/// Starts adding a passkey to the signed-in account: the options for
/// `navigator.credentials.create()` and the ceremony token to finish with. Asks for a
/// discoverable credential (so the passkey alone can sign in later) with user verification,
/// and excludes the account's passkeys (an authenticator holds one per account). One
/// registration at a time: starting again retires the one before. 403 `passkeys_unavailable`
/// when the server's address cannot have passkeys.
pub(crate) fn start_registration(
    conn: &Connection,
    ctx: &Ctx,
    user: &AuthUser,
) -> Result<CeremonyView, AppError> {
    let webauthn = relying_party(ctx)?;
    let handle = user_handle(conn, user.user_id)?;
    let exclude = repo::credential_ids(conn, user.user_id)?;
    let (options, state) = webauthn
        .start_passkey_registration(handle, &user.username, user.name(), Some(exclude))
        .map_err(AppError::internal)?;
    let mut options = serde_json::to_value(options).map_err(AppError::internal)?;
    let public_key = &mut options["publicKey"];
    public_key["authenticatorSelection"]["residentKey"] = json!("required");
    public_key["authenticatorSelection"]["requireResidentKey"] = json!(true);
    // Authenticators show the name beside the passkey; the club's is the one members know.
    if let Some(club) = settings::get(conn, settings::CLUB_NAME)? {
        public_key["rp"]["name"] = json!(club);
    }
    repo::delete_ceremonies(conn, user.user_id, CeremonyKind::Registration)?;
    let ceremony =
        store_ceremony(conn, ctx, Some(user.user_id), CeremonyKind::Registration, &state)?;
    Ok(CeremonyView { ceremony, options })
}

pub(crate) struct FinishRegistration {
    pub ceremony: String,
    pub name: String,
    pub credential: Value,
    pub client: ClientInfo,
}

/// Finishes adding a passkey: checks the browser's answer against the ceremony the member
/// started and stores the passkey under the name they gave. 422 on `name` (1 to 60
/// characters, one line) or on `credential` (not a credential, or one that fails the checks:
/// another origin, no user verification, a wrong challenge), both before the ceremony is
/// spent when the fault is in the request's shape; 400 `ceremony_expired` for an unknown,
/// expired or used ceremony; 409 on `credential` for a passkey already registered. Audited.
pub(crate) fn finish_registration(
    conn: &mut Connection,
    ctx: &Ctx,
    user: &AuthUser,
    cmd: FinishRegistration,
) -> Result<PasskeyView, AppError> {
    let name = PasskeyName::parse(&cmd.name).map_err(|m| AppError::invalid_field("name", m))?;
    let credential: RegisterPublicKeyCredential = parse_credential(cmd.credential)?;
    let webauthn = relying_party(ctx)?;
    let user_id = user.user_id;
    // The ceremony is spent whatever the outcome, so the transaction commits refusals too.
    write_tx(conn, |tx| {
        let kind = CeremonyKind::Registration;
        let found =
            take_ceremony::<PasskeyRegistration>(tx, ctx, &cmd.ceremony, kind, Some(user_id))?;
        let Some(state) = found else { return Ok(Err(ceremony_expired())) };
        let passkey = match webauthn.finish_passkey_registration(&credential, &state) {
            Ok(passkey) => passkey,
            Err(err) => {
                log::info!("passkey registration refused: {err}");
                return Ok(Err(AppError::invalid_field(
                    "credential",
                    "The browser's answer could not be verified. Try adding the passkey again.",
                )));
            }
        };
        let credential_id: &[u8] = passkey.cred_id().as_ref();
        if repo::credential_taken(tx, credential_id)? {
            return Ok(Err(AppError::conflict_field(
                "credential",
                "This passkey is already registered.",
            )));
        }
        let stored = serde_json::to_string(&passkey).map_err(AppError::internal)?;
        let now = ctx.now_unix();
        let new = NewPasskey { user_id, credential_id, name: name.as_str(), credential: &stored };
        let id = repo::insert(tx, &new, now)?;
        let event = AuditEvent::new("passkey_added")
            .actor(user_id)
            .target(format!("passkey:{id}"))
            .ip(cmd.client.ip.as_deref())
            .detail(json!({ "name": name.as_str() }));
        audit::record(tx, event, now)?;
        let row = repo::find_own(tx, user_id, id)?.ok_or_else(|| AppError::internal("lost"))?;
        Ok(Ok(PasskeyView::of(&row)))
    })?
}

/// The signed-in member's passkeys, oldest first.
pub(crate) fn list(conn: &Connection, user: &AuthUser) -> Result<PasskeyList, AppError> {
    let rows = repo::list(conn, user.user_id)?;
    Ok(PasskeyList { passkeys: rows.iter().map(PasskeyView::of).collect() })
}

/// The account page's section: whether passkeys can be used here, and the member's.
pub(crate) fn section(
    conn: &Connection,
    ctx: &Ctx,
    user: &AuthUser,
) -> Result<PasskeysSection, AppError> {
    Ok(PasskeysSection { available: ctx.webauthn.is_some(), list: list(conn, user)?.passkeys })
}

fn no_such_passkey() -> AppError {
    AppError::not_found("You have no passkey with this id.")
}

/// One of the signed-in member's passkeys; 404 for an id that is not one of theirs.
pub(crate) fn find(conn: &Connection, user: &AuthUser, id: i64) -> Result<PasskeyView, AppError> {
    let row = repo::find_own(conn, user.user_id, id)?.ok_or_else(no_such_passkey)?;
    Ok(PasskeyView::of(&row))
}

/// Renames one of the member's passkeys. 404 for an id that is not one of theirs (checked
/// first, so a bad name tells nothing about other people's ids); 422 on `name`.
pub(crate) fn rename(
    conn: &Connection,
    user: &AuthUser,
    id: i64,
    name: &str,
) -> Result<PasskeyView, AppError> {
    find(conn, user, id)?;
    let name = PasskeyName::parse(name).map_err(|m| AppError::invalid_field("name", m))?;
    if !repo::rename(conn, user.user_id, id, name.as_str())? {
        return Err(no_such_passkey());
    }
    find(conn, user, id)
}

/// Removes one of the member's passkeys (it no longer signs anyone in; the authenticator
/// keeps its copy until the member deletes it there). 404 for an id that is not one of
/// theirs. Audited. Returns the passkey's name.
pub(crate) fn remove(
    conn: &Connection,
    ctx: &Ctx,
    user: &AuthUser,
    id: i64,
    client: &ClientInfo,
) -> Result<String, AppError> {
    let name = repo::delete(conn, user.user_id, id)?.ok_or_else(no_such_passkey)?;
    let event = AuditEvent::new("passkey_removed")
        .actor(user.user_id)
        .target(format!("passkey:{id}"))
        .ip(client.ip.as_deref())
        .detail(json!({ "name": name }));
    audit::record(conn, event, ctx.now_unix())?;
    Ok(name)
}

/// The start of a passkey-only sign-in, counted per client address.
pub(crate) struct StartSignIn {
    pub client: ClientInfo,
}

impl Limited for StartSignIn {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.verify_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// Starts a sign-in with a passkey alone: options for `navigator.credentials.get()` that name
/// no account (the authenticator offers the passkeys it holds for this site) and require user
/// verification, and the ceremony token to finish with. Asked for with a button, not offered
/// as the browser fills in a form. Admitted per client address (the 10 a minute of code
/// checks, which the finish spends too; else 429). 403 `passkeys_unavailable` when the
/// server's address cannot have passkeys.
pub(crate) fn start_sign_in(
    conn: &Connection,
    ctx: &Ctx,
    _cmd: Admitted<StartSignIn>,
) -> Result<CeremonyView, AppError> {
    let webauthn = relying_party(ctx)?;
    let (mut options, state) =
        webauthn.start_discoverable_authentication().map_err(AppError::internal)?;
    options.mediation = None;
    let options = serde_json::to_value(options).map_err(AppError::internal)?;
    let ceremony = store_ceremony(conn, ctx, None, CeremonyKind::SignIn, &state)?;
    Ok(CeremonyView { ceremony, options })
}

/// The end of a passkey-only sign-in.
pub(crate) struct FinishSignIn {
    pub ceremony: String,
    pub credential: Value,
    pub client: ClientInfo,
    /// The session token the browser already had, ended on success.
    pub replaces: Option<String>,
    pub grant: Grant,
}

impl Limited for FinishSignIn {
    fn limiter(limits: &Limits) -> &RateLimiter {
        &limits.verify_ip
    }

    fn limit_key(&self) -> String {
        self.client.limit_key()
    }
}

/// Finishes a passkey-only sign-in: the account is the one whose user handle the
/// authenticator returned and to which the credential belongs; the signature must hold for
/// the ceremony's challenge, this origin, with user verification, and a signature counter
/// that moved on (the new one is stored, with the time of use). A verified passkey is two
/// factors in one: no second step follows. 422 on `credential` for something that is not a
/// credential; 400 `ceremony_expired` for an unknown, expired or used ceremony; 401
/// `passkey_refused` for an answer that does not hold up; 403 `account_disabled`. Admitted
/// per client address (else 429). Successes, refusals of a known passkey and disabled
/// accounts are audited.
pub(crate) fn finish_sign_in(
    conn: &mut Connection,
    ctx: &Ctx,
    cmd: Admitted<FinishSignIn>,
) -> Result<LoginOutcome, AppError> {
    let cmd = cmd.into_inner();
    let credential: PublicKeyCredential = parse_credential(cmd.credential)?;
    let webauthn = relying_party(ctx)?;
    let ip = cmd.client.ip.as_deref();
    write_tx(conn, |tx| {
        let now = ctx.now_unix();
        let kind = CeremonyKind::SignIn;
        let found =
            take_ceremony::<DiscoverableAuthentication>(tx, ctx, &cmd.ceremony, kind, None)?;
        let Some(state) = found else { return Ok(Err(ceremony_expired())) };
        let Ok((handle, credential_id)) =
            webauthn.identify_discoverable_authentication(&credential)
        else {
            return Ok(Err(sign_in_refused()));
        };
        let Some((row, stored_handle, status)) = repo::find_by_credential(tx, credential_id)?
        else {
            return Ok(Err(sign_in_refused()));
        };
        if stored_handle.as_deref() != Some(handle.to_string().as_str()) {
            return Ok(Err(sign_in_refused()));
        }
        let mut passkey = stored_passkey(&row)?;
        let result =
            match webauthn.finish_discoverable_authentication_v2(&credential, state, &passkey) {
                Ok(result) => result,
                Err(err) => {
                    log::info!("passkey sign-in refused: {err}");
                    let event = AuditEvent::new("passkey_login_failed")
                        .actor(row.user_id)
                        .target(format!("passkey:{}", row.id))
                        .ip(ip);
                    audit::record(tx, event, now)?;
                    return Ok(Err(sign_in_refused()));
                }
            };
        passkey.update_credential(&result);
        let stored = serde_json::to_string(&passkey).map_err(AppError::internal)?;
        repo::record_use(tx, row.id, &stored, now)?;
        if status == UserStatus::Disabled {
            let event = AuditEvent::new("login_refused_disabled").actor(row.user_id).ip(ip);
            audit::record(tx, event, now)?;
            return Ok(Err(AppError::forbidden(
                "This account has been disabled. Please contact the club.",
            )
            .with_code("account_disabled")));
        }
        let replaces = cmd.replaces.as_deref();
        Ok(finish_login(tx, ctx, row.user_id, cmd.grant, &cmd.client, replaces, "passkey"))
    })?
}

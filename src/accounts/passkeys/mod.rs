//! Passkeys (WebAuthn): a member's authenticators (a phone, a laptop's fingerprint reader, a
//! security key) that sign in with a key pair instead of a password. A passkey verifies its
//! user itself (fingerprint, face, PIN), so on its own it counts as two factors.
//!
//! - `service`: adding, listing, renaming and removing one's passkeys, and passkey-only
//!   sign-in.
//! - the functions below: a passkey as the second step after a password, for the sign-in flows
//!   that ask for one, and removing an account's passkeys when an admin resets its factors.
//! - `party`: the relying party (this portal, as passkeys know it), built once at start-up.
//!
//! Everything needs the server's address (`base_url`) to be a domain on HTTPS or localhost:
//! browsers refuse passkeys for an IP address or plain HTTP, and a passkey is bound to the
//! domain it was made for.

pub(crate) mod api;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod pages;
pub(crate) mod party;
pub(crate) mod repo;
pub(crate) mod service;
pub(crate) mod views;

use rusqlite::Connection;
use webauthn_rs::prelude::{PasskeyAuthentication, PublicKeyCredential};

use crate::ctx::Ctx;
use crate::error::AppError;

/// How many passkeys the account has.
pub(crate) fn count(conn: &Connection, user_id: i64) -> Result<i64, AppError> {
    repo::count(conn, user_id)
}

/// Starts a passkey check as a second factor for `user_id`, who proved something else first:
/// the options for `navigator.credentials.get()` (naming the account's passkeys, asking for
/// user verification) and the state to keep server-side until the answer comes. None when the
/// account has no passkey, or when this server's address cannot have passkeys (then none can
/// be checked, and another factor must do).
pub(crate) fn start_second_factor(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
) -> Result<Option<(serde_json::Value, String)>, AppError> {
    let Some(webauthn) = ctx.webauthn.as_deref() else { return Ok(None) };
    let passkeys = repo::list(conn, user_id)?
        .iter()
        .map(service::stored_passkey)
        .collect::<Result<Vec<_>, _>>()?;
    if passkeys.is_empty() {
        return Ok(None);
    }
    let (mut options, state) =
        webauthn.start_passkey_authentication(&passkeys).map_err(AppError::internal)?;
    options.mediation = None;
    let options = serde_json::to_value(options).map_err(AppError::internal)?;
    let state = serde_json::to_string(&state).map_err(AppError::internal)?;
    Ok(Some((options, state)))
}

/// Checks the browser's answer to `start_second_factor` (its `state`): true when `credential`
/// is a valid assertion, with user verification, by one of `user_id`'s passkeys for the
/// challenge in `state`; that passkey's signature counter and time of use are then stored.
/// False for any answer that does not hold up, malformed ones included; an error only when
/// the database fails. An answer whose signature counter has not moved on since the passkey's
/// last use is refused; authenticators that keep no counter cannot be held to that, so the
/// caller must spend the state with the first check, whatever its outcome.
pub(crate) fn finish_second_factor(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    state: &str,
    credential: &serde_json::Value,
) -> Result<bool, AppError> {
    let Some(webauthn) = ctx.webauthn.as_deref() else { return Ok(false) };
    let Ok(state) = serde_json::from_str::<PasskeyAuthentication>(state) else { return Ok(false) };
    let Ok(credential) = serde_json::from_value::<PublicKeyCredential>(credential.clone()) else {
        return Ok(false);
    };
    let Ok(result) = webauthn.finish_passkey_authentication(&credential, &state) else {
        return Ok(false);
    };
    let Some((row, _, _)) = repo::find_by_credential(conn, result.cred_id().as_ref())? else {
        return Ok(false);
    };
    if row.user_id != user_id {
        return Ok(false);
    }
    // The state holds the passkeys as they were when the check started, so the library
    // compared the signature counter with that copy; a replayed answer passes that test as
    // long as the state is kept. The stored counter is the one that says whether this
    // authenticator has signed since.
    if !counter_moved_on(&row, result.counter())? {
        return Ok(false);
    }
    let mut passkey = service::stored_passkey(&row)?;
    passkey.update_credential(&result);
    let stored = serde_json::to_string(&passkey).map_err(AppError::internal)?;
    repo::record_use(conn, row.id, &stored, ctx.now_unix())?;
    Ok(true)
}

/// Whether an answer signed with `counter` comes after every signature stored for `row`.
/// Authenticators that keep no counter always send 0, and are taken at their word.
fn counter_moved_on(row: &model::PasskeyRow, counter: u32) -> Result<bool, AppError> {
    let stored: serde_json::Value =
        serde_json::from_str(&row.credential).map_err(AppError::internal)?;
    let stored = stored["cred"]["counter"].as_u64().unwrap_or(0);
    Ok((counter == 0 && stored == 0) || u64::from(counter) > stored)
}

/// Removes every passkey of `user_id` (an admin resetting a member's factors, who audits it)
/// and any registration they had started. Returns how many passkeys were removed.
pub(crate) fn remove_all(conn: &Connection, user_id: i64) -> Result<usize, AppError> {
    repo::delete_ceremonies(conn, user_id, model::CeremonyKind::Registration)?;
    repo::delete_all(conn, user_id)
}

/// Deletes ceremonies that were never finished and can no longer be (a scheduled job).
pub(crate) fn purge_expired(conn: &Connection, now: i64) -> Result<usize, AppError> {
    repo::purge_ceremonies(conn, now)
}

#[cfg(test)]
#[path = "../../../tests/app/passkey_device.rs"]
mod passkey_device;

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::json;

    use super::passkey_device::Device;
    use super::*;
    use crate::accounts::model::{AuthUser, Credential, UserStatus};
    use crate::accounts::repo::{insert_user, NewUser};
    use crate::clock::ManualClock;
    use crate::config::AppConfig;
    use crate::db::Db;

    const ORIGIN: &str = "http://localhost:8000";

    fn setup() -> (tempfile::TempDir, Db, Ctx) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 2, Duration::from_secs(5)).unwrap();
        let mut config = AppConfig::defaults();
        config.base_url = ORIGIN.into();
        config.data_dir = dir.path().to_path_buf();
        let ctx = Ctx::new(Arc::new(config), Arc::new(ManualClock::new()), vec![7; 32]).unwrap();
        (dir, db, ctx)
    }

    fn member(conn: &Connection, name: &str) -> AuthUser {
        let email = format!("{name}@example.org");
        let new = NewUser {
            username: name,
            email: &email,
            display_name: "",
            password_hash: None,
            status: UserStatus::Active,
        };
        let user_id = insert_user(conn, &new, 0).unwrap();
        AuthUser {
            user_id,
            username: name.into(),
            email,
            display_name: String::new(),
            roles: Vec::new(),
            status: UserStatus::Active,
            credential: Credential::Session { id: 0, expires_at: 0 },
        }
    }

    fn add_passkey(conn: &mut Connection, ctx: &Ctx, user: &AuthUser, device: &mut Device) {
        let started = service::start_registration(conn, ctx, user).unwrap();
        let cmd = service::FinishRegistration {
            ceremony: started.ceremony,
            name: "Phone".into(),
            credential: device.create(&started.options),
            client: Default::default(),
        };
        service::finish_registration(conn, ctx, user, cmd).unwrap();
    }

    #[test]
    fn a_passkey_answers_the_second_step_of_its_own_account_only() {
        let (_dir, db, ctx) = setup();
        let mut conn = db.conn().unwrap();
        let (bo, cy) = (member(&conn, "bo"), member(&conn, "cy"));
        assert_eq!(start_second_factor(&conn, &ctx, bo.user_id).unwrap(), None, "no passkey");

        let mut phone = Device::new(ORIGIN);
        add_passkey(&mut conn, &ctx, &bo, &mut phone);
        assert_eq!(count(&conn, bo.user_id).unwrap(), 1);
        let (options, state) = start_second_factor(&conn, &ctx, bo.user_id).unwrap().unwrap();
        let allowed = options["publicKey"]["allowCredentials"].as_array().unwrap();
        assert_eq!(allowed.len(), 1, "{options}");
        assert_eq!(options["publicKey"]["userVerification"], "required");

        let answer = phone.get(&options);
        assert!(!finish_second_factor(&conn, &ctx, cy.user_id, &state, &answer).unwrap());
        assert!(finish_second_factor(&conn, &ctx, bo.user_id, &state, &answer).unwrap());
        let used = repo::list(&conn, bo.user_id).unwrap();
        assert!(used[0].last_used_at.is_some());
        // The same answer again: the authenticator's counter has not moved on.
        assert!(!finish_second_factor(&conn, &ctx, bo.user_id, &state, &answer).unwrap());
        assert!(
            finish_second_factor(&conn, &ctx, bo.user_id, &state, &phone.get(&options)).unwrap()
        );
    }

    #[test]
    fn a_malformed_or_foreign_second_step_answer_is_false_not_an_error() {
        let (_dir, db, ctx) = setup();
        let mut conn = db.conn().unwrap();
        let bo = member(&conn, "bo");
        let mut phone = Device::new(ORIGIN);
        add_passkey(&mut conn, &ctx, &bo, &mut phone);
        let (options, state) = start_second_factor(&conn, &ctx, bo.user_id).unwrap().unwrap();
        let good = phone.get(&options);
        let mut unsigned = good.clone();
        unsigned["response"]["signature"] = json!("AAAA");
        for (state, answer) in [
            ("not json", good.clone()),
            ("{}", good.clone()),
            (state.as_str(), json!(null)),
            (state.as_str(), json!("a credential")),
            (state.as_str(), json!({"id": "x"})),
            (state.as_str(), unsigned),
        ] {
            assert!(!finish_second_factor(&conn, &ctx, bo.user_id, state, &answer).unwrap());
        }
        phone.origin = "https://evil.example".into();
        let elsewhere = phone.get(&options);
        assert!(!finish_second_factor(&conn, &ctx, bo.user_id, &state, &elsewhere).unwrap());
    }

    #[test]
    fn removing_all_passkeys_leaves_no_second_step_to_offer() {
        let (_dir, db, ctx) = setup();
        let mut conn = db.conn().unwrap();
        let bo = member(&conn, "bo");
        let (mut phone, mut laptop) = (Device::new(ORIGIN), Device::new(ORIGIN));
        add_passkey(&mut conn, &ctx, &bo, &mut phone);
        add_passkey(&mut conn, &ctx, &bo, &mut laptop);
        service::start_registration(&conn, &ctx, &bo).unwrap();
        assert_eq!(remove_all(&conn, bo.user_id).unwrap(), 2);
        assert_eq!(count(&conn, bo.user_id).unwrap(), 0);
        assert_eq!(start_second_factor(&conn, &ctx, bo.user_id).unwrap(), None);
        let left: i64 =
            conn.query_row("SELECT count(*) FROM passkey_ceremonies", [], |r| r.get(0)).unwrap();
        assert_eq!(left, 0, "the registration under way went too");
    }

    #[test]
    fn ceremonies_past_their_time_are_purged() {
        let (_dir, db, ctx) = setup();
        let conn = db.conn().unwrap();
        let bo = member(&conn, "bo");
        service::start_registration(&conn, &ctx, &bo).unwrap();
        let now = ctx.now_unix();
        assert_eq!(purge_expired(&conn, now).unwrap(), 0, "still live");
        assert_eq!(purge_expired(&conn, now + model::CEREMONY_SECS).unwrap(), 1);
    }

    #[test]
    fn a_server_without_passkeys_offers_no_second_step() {
        let (_dir, db, mut ctx) = setup();
        let mut conn = db.conn().unwrap();
        let bo = member(&conn, "bo");
        let mut phone = Device::new(ORIGIN);
        add_passkey(&mut conn, &ctx, &bo, &mut phone);
        let (options, state) = start_second_factor(&conn, &ctx, bo.user_id).unwrap().unwrap();
        ctx.webauthn = None;
        assert_eq!(start_second_factor(&conn, &ctx, bo.user_id).unwrap(), None);
        let answer = phone.get(&options);
        assert!(!finish_second_factor(&conn, &ctx, bo.user_id, &state, &answer).unwrap());
    }
}

//! Device cookies: a browser that signed in to an account keeps a signed note saying so, and
//! a sign-in from it is exempt from the slowdown that failed sign-ins put on a name. Whoever
//! guesses passwords from elsewhere then cannot keep the owner out on a device they used before.
//!
//! A note is an HMAC, under the server's secret key, of the account id, the time it was issued
//! and a random nonce; nothing is stored on the server. A known device has an allowance of its
//! own for failures (`Limits::login_device`), so a copied cookie is no endless pass either.

use crate::crypto::{constant_time_eq, random_hex, sign};
use crate::ctx::Ctx;

/// How long a note lasts; every sign-in on the device writes a new one.
pub(crate) const LIFETIME_DAYS: i64 = 365;
const LIFETIME_SECS: i64 = LIFETIME_DAYS * 24 * 3600;
/// Accounts one browser is known for (a family's shared computer), newest first.
const MAX_ACCOUNTS: usize = 5;
const SEPARATOR: &str = "~";

/// A device that signed in to the account before.
pub(crate) struct KnownDevice {
    nonce: String,
}

impl KnownDevice {
    fn limit_key(&self) -> String {
        format!("device:{}", self.nonce)
    }
}

fn signature(ctx: &Ctx, user_id: i64, issued_at: i64, nonce: &str) -> String {
    let (id, issued) = (user_id.to_string(), issued_at.to_string());
    sign(&ctx.secret, &[b"device", id.as_bytes(), issued.as_bytes(), nonce.as_bytes()])
}

/// A new note that this device signed in to `user_id` now.
pub(crate) fn issue(ctx: &Ctx, user_id: i64) -> String {
    let (now, nonce) = (ctx.now_unix(), random_hex(16));
    format!("{user_id}.{now}.{nonce}.{}", signature(ctx, user_id, now, &nonce))
}

fn account_of(note: &str) -> Option<&str> {
    note.split('.').next()
}

/// The cookie's next value: `note`, then the notes `cookie` held for other accounts.
pub(crate) fn remember(cookie: Option<&str>, note: &str) -> String {
    let account = account_of(note);
    let others = cookie
        .unwrap_or_default()
        .split(SEPARATOR)
        .filter(|other| !other.is_empty() && account_of(other) != account);
    std::iter::once(note).chain(others).take(MAX_ACCOUNTS).collect::<Vec<_>>().join(SEPARATOR)
}

/// The device `cookie` proves for `user_id`: one of its notes is for that account, signed
/// with our key, and not expired.
fn recognize(ctx: &Ctx, cookie: Option<&str>, user_id: i64) -> Option<KnownDevice> {
    let now = ctx.now_unix();
    cookie?.split(SEPARATOR).take(MAX_ACCOUNTS).find_map(|note| {
        let parts: Vec<&str> = note.split('.').collect();
        let [id, issued, nonce, mac] = parts[..] else { return None };
        let (id, issued) = (id.parse::<i64>().ok()?, issued.parse::<i64>().ok()?);
        // A few minutes ahead is a clock set back a little, not a forgery.
        let fresh = (-300..LIFETIME_SECS).contains(&(now - issued));
        let genuine = constant_time_eq(mac, &signature(ctx, id, issued, nonce));
        (id == user_id && fresh && genuine).then(|| KnownDevice { nonce: nonce.to_string() })
    })
}

/// The device, when `cookie` proves it signed in to `user_id` before and its own allowance
/// for failures is not spent: such a sign-in skips the slowdown of the name it types (and the
/// account's limit on wrong second-factor codes). None otherwise.
pub(crate) fn exempt(ctx: &Ctx, cookie: Option<&str>, user_id: i64) -> Option<KnownDevice> {
    recognize(ctx, cookie, user_id)
        .filter(|device| ctx.limits.login_device.check(&device.limit_key()).is_ok())
}

/// Counts a failed sign-in against the device's own allowance.
pub(crate) fn record_failure(ctx: &Ctx, device: &KnownDevice) {
    ctx.limits.login_device.record(&device.limit_key());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(account: &str) -> String {
        format!("{account}.1700000000.nonce.mac")
    }

    #[test]
    fn a_browser_keeps_one_note_per_account_newest_first() {
        let first = remember(None, &note("7"));
        assert_eq!(first, note("7"));
        let both = remember(Some(&first), &note("8"));
        assert_eq!(both, format!("{}~{}", note("8"), note("7")));
        let renewed = remember(Some(&both), "7.1700000001.other.mac");
        assert_eq!(renewed, format!("7.1700000001.other.mac~{}", note("8")));
        let mut many = String::new();
        for account in 1..=9 {
            many = remember(Some(&many), &note(&account.to_string()));
        }
        assert_eq!(many.split('~').count(), MAX_ACCOUNTS);
        assert!(many.starts_with(&note("9")));
    }
}

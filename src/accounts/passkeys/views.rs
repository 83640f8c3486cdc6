//! Answers and page contexts of passkeys (one type serves both).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::model::PasskeyRow;
use crate::clock::rfc3339_at;

/// One of the member's passkeys.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Passkey")]
pub(crate) struct PasskeyView {
    pub id: i64,
    pub name: String,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    /// Its last sign-in; null when it has not been used since it was added.
    #[schemars(extend("format" = "date-time"))]
    pub last_used_at: Option<String>,
}

impl PasskeyView {
    pub(crate) fn of(row: &PasskeyRow) -> Self {
        PasskeyView {
            id: row.id,
            name: row.name.clone(),
            created_at: rfc3339_at(row.created_at),
            last_used_at: row.last_used_at.map(rfc3339_at),
        }
    }
}

/// `GET /api/v1/auth/passkeys`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Passkeys")]
pub(crate) struct PasskeyList {
    pub passkeys: Vec<PasskeyView>,
}

/// A started ceremony: what the browser needs, and the token that finishes it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "PasskeyCeremony")]
pub(crate) struct CeremonyView {
    /// Send it back with the browser's answer; it works once, for six minutes.
    pub ceremony: String,
    /// The options for the browser, `{"publicKey": {...}}` as WebAuthn's JSON form writes
    /// them (binary values in unpadded base64url): for `navigator.credentials.create()` when
    /// adding a passkey, for `navigator.credentials.get()` when signing in.
    #[schemars(extend("type" = "object"))]
    pub options: Value,
}

/// The account page's passkeys section.
#[derive(Debug, Default, Serialize)]
pub(crate) struct PasskeysSection {
    /// Whether this server can offer passkeys at all (its address is HTTPS or localhost).
    pub available: bool,
    pub list: Vec<PasskeyView>,
}

/// The pages that rename or remove one passkey; `name` is what was typed.
#[derive(Debug, Serialize)]
pub(crate) struct PasskeyPage {
    pub passkey: PasskeyView,
    pub name: String,
}

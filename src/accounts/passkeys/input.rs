//! Request bodies of passkeys. The browser's answer (`credential`) is taken as any JSON here
//! and read in the service, which names the field when it is not a credential.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::service::{FinishRegistration, FinishSignIn};
use crate::accounts::model::ClientInfo;
use crate::accounts::sessions::Grant;

/// `POST /api/v1/auth/passkeys`: the end of adding a passkey.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct NewPasskeyInput {
    /// From the start of the registration.
    pub ceremony: String,
    /// The member's name for it, 1 to 60 characters ("Phone").
    pub name: String,
    /// What `navigator.credentials.create()` made, in WebAuthn's JSON form (`id`, `rawId`,
    /// `type`, `response.attestationObject`, `response.clientDataJSON`; binary values in
    /// unpadded base64url).
    #[schemars(extend("type" = "object"))]
    pub credential: Value,
}

/// Renaming a passkey: `PATCH /api/v1/auth/passkeys/<id>` and the rename form.
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PasskeyNameInput {
    #[field(default = String::new())]
    pub name: String,
}

/// `POST /api/v1/auth/passkey-login`: the end of a passkey-only sign-in.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PasskeyLoginInput {
    /// From the start of the sign-in.
    pub ceremony: String,
    /// What `navigator.credentials.get()` made, in WebAuthn's JSON form (`id`, `rawId`,
    /// `type`, `response.authenticatorData`, `response.clientDataJSON`,
    /// `response.signature`, `response.userHandle`; binary values in unpadded base64url).
    #[schemars(extend("type" = "object"))]
    pub credential: Value,
    /// A browser session (the cookie; the default) or API tokens.
    pub grant: Option<Grant>,
}

impl NewPasskeyInput {
    pub(crate) fn into_command(self, client: ClientInfo) -> FinishRegistration {
        FinishRegistration {
            ceremony: self.ceremony,
            name: self.name,
            credential: self.credential,
            client,
        }
    }
}

impl PasskeyLoginInput {
    pub(crate) fn into_command(self, client: ClientInfo, replaces: Option<String>) -> FinishSignIn {
        let grant = self.grant.unwrap_or(Grant::Session);
        // Tokens are for an API client; only a browser session replaces the browser's own.
        let replaces = if grant == Grant::Session { replaces } else { None };
        FinishSignIn {
            ceremony: self.ceremony,
            credential: self.credential,
            client,
            replaces,
            grant,
        }
    }
}

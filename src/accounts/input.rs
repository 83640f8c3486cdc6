//! Request bodies. Each struct is both a JSON body and an HTML form, so the API and the pages
//! feed the same service. Missing fields become empty strings, which the service reports as
//! "required" with the field named, the same way for both.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

use super::codes::{ClaimCommand, MagicCommand, ResetCommand};
use super::model::ClientInfo;
use super::password::check_confirmation;
use super::second_step::{Answer, AnswerCommand, ChallengeCommand, EnrolCommand};
use super::service::{
    ChangePasswordCommand, GuestCommand, LoginCommand, RegisterCommand, SetPasswordCommand,
    SetupCommand,
};
use super::sessions::Grant;
use super::tokens::RefreshCommand;
use crate::error::AppError;

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LoginInput {
    /// Username or email address.
    #[field(default = String::new())]
    pub login: String,
    #[field(default = String::new())]
    pub password: String,
    /// Where the login page sends the user afterwards (pages only).
    #[serde(skip)]
    pub next: Option<String>,
}

#[derive(Default, Deserialize, FromForm)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SetupInput {
    #[field(default = String::new())]
    pub club_name: String,
    #[field(default = String::new())]
    pub username: String,
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub password: String,
}

/// `POST /api/v1/auth/register` and the join form.
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RegisterInput {
    #[field(default = String::new())]
    pub username: String,
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub password: String,
    /// The join form carries the token in its URL instead.
    pub invite_token: Option<String>,
    /// Absent: what the invitation grants.
    pub roles: Option<Vec<String>>,
    pub phone: Option<String>,
}

#[derive(Default, Deserialize, FromForm)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SetPasswordInput {
    #[field(default = String::new())]
    pub password: String,
    /// When present it must repeat `password` (the page asks twice; API clients may skip it).
    pub password_confirm: Option<String>,
}

/// `POST /api/v1/auth/login/verify` and the code form after a password.
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct VerifyInput {
    #[field(default = String::new())]
    pub challenge: String,
    /// The code from the authenticator app, or (for members without one) from the email.
    pub code: Option<String>,
    /// One of the member's recovery codes.
    pub recovery_code: Option<String>,
    /// The password, after an email link.
    pub password: Option<String>,
    /// A passkey's answer to the options of `POST /api/v1/auth/login/passkey`, as
    /// `navigator.credentials.get` gives it (base64url fields).
    pub credential: Option<Assertion>,
    /// Where the login page sends the user afterwards (pages only).
    #[serde(skip)]
    pub next: Option<String>,
}

/// A WebAuthn assertion: a JSON object in the API, its JSON text in a form field (the page's
/// script fills one in).
#[derive(Debug, Clone)]
pub(crate) struct Assertion(pub serde_json::Value);

impl<'de> Deserialize<'de> for Assertion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(text) => Ok(Assertion(
                serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
            )),
            other => Ok(Assertion(other)),
        }
    }
}

#[rocket::async_trait]
impl<'v> rocket::form::FromFormField<'v> for Assertion {
    fn from_value(field: rocket::form::ValueField<'v>) -> rocket::form::Result<'v, Self> {
        let text = field.value;
        Ok(Assertion(
            serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.into())),
        ))
    }
}

impl JsonSchema for Assertion {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Assertion".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": ["object", "string"],
            "description": "The PublicKeyCredential from navigator.credentials.get, as JSON (or its JSON text).",
        })
    }
}

/// A sign-in challenge alone (`POST /api/v1/auth/login/enrol`).
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ChallengeInput {
    #[field(default = String::new())]
    pub challenge: String,
    /// Where the login page sends the user afterwards (pages only).
    #[serde(skip)]
    pub next: Option<String>,
}

impl ChallengeInput {
    pub(crate) fn into_command(self, client: ClientInfo) -> ChallengeCommand {
        ChallengeCommand { challenge: self.challenge, client }
    }
}

/// The first code of the authenticator app set up during a sign-in.
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct EnrolInput {
    #[field(default = String::new())]
    pub challenge: String,
    #[field(default = String::new())]
    pub code: String,
    /// Where the login page sends the user afterwards (pages only).
    #[serde(skip)]
    pub next: Option<String>,
}

impl EnrolInput {
    pub(crate) fn into_command(
        self,
        client: ClientInfo,
        replaces: Option<String>,
        grants: Vec<Grant>,
    ) -> EnrolCommand {
        EnrolCommand { challenge: self.challenge, code: self.code, client, replaces, grants }
    }
}

/// A code of the member's authenticator app (confirming its set-up).
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CodeInput {
    #[field(default = String::new())]
    pub code: String,
}

#[derive(Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RefreshInput {
    pub refresh_token: String,
}

/// The body of requests that only name an email address (claim code, sign-in link, reset).
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct EmailInput {
    #[field(default = String::new())]
    pub email: String,
}

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ClaimInput {
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub code: String,
    #[field(default = String::new())]
    pub password: String,
}

/// A sign-in link's token, or the email address with the code from the email.
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct MagicInput {
    pub token: Option<String>,
    pub email: Option<String>,
    pub code: Option<String>,
}

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ResetInput {
    /// The reset page carries the token in its URL instead.
    pub token: Option<String>,
    #[field(default = String::new())]
    pub new_password: String,
    /// When present it must repeat `new_password`.
    pub new_password_confirm: Option<String>,
}

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ChangePasswordInput {
    #[field(default = String::new())]
    pub current_password: String,
    #[field(default = String::new())]
    pub new_password: String,
}

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct TwoFactorInput {
    #[field(default = false)]
    pub enabled: bool,
}

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct GuestInput {
    #[field(default = String::new())]
    pub display_name: String,
}

// ----- what each body becomes -----

impl LoginInput {
    /// `replaces`: the browser's session token; `device`: its device cookie.
    pub(crate) fn into_command(
        self,
        client: ClientInfo,
        replaces: Option<String>,
        device: Option<String>,
        grant: Grant,
    ) -> LoginCommand {
        LoginCommand { login: self.login, password: self.password, client, replaces, device, grant }
    }
}

impl VerifyInput {
    /// `grants`: what the caller can hand out (pages only sessions, the API either);
    /// `device`: the browser's device cookie.
    pub(crate) fn into_command(
        self,
        client: ClientInfo,
        replaces: Option<String>,
        device: Option<String>,
        grants: Vec<Grant>,
    ) -> Result<AnswerCommand, AppError> {
        let given = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        let credential = self.credential.map(|a| a.0).filter(|v| !v.is_null());
        let answers = (given(self.code), given(self.recovery_code), given(self.password));
        let answer = match (answers, credential) {
            ((Some(code), None, None), None) => Answer::Code(code),
            ((None, Some(code), None), None) => Answer::RecoveryCode(code),
            ((None, None, Some(password)), None) => Answer::Password(password),
            ((None, None, None), Some(credential)) => Answer::Passkey(credential),
            ((None, None, None), None) => {
                return Err(AppError::invalid_field("code", "Enter the code."));
            }
            _ => {
                return Err(AppError::invalid_field(
                    "code",
                    "Send one answer: a code, a recovery code, the password or a passkey.",
                ));
            }
        };
        Ok(AnswerCommand { challenge: self.challenge, answer, client, replaces, device, grants })
    }
}

impl RegisterInput {
    /// `token`: the invitation in the join page's address, which wins over one in the body.
    pub(crate) fn into_command(self, token: Option<String>, client: ClientInfo) -> RegisterCommand {
        RegisterCommand {
            username: self.username,
            email: self.email,
            password: self.password,
            invite_token: token.or(self.invite_token),
            roles: self.roles,
            phone: self.phone.unwrap_or_default(),
            client,
        }
    }
}

impl SetupInput {
    pub(crate) fn into_command(self, token: String, client: ClientInfo) -> SetupCommand {
        SetupCommand {
            token,
            club_name: self.club_name,
            username: self.username,
            email: self.email,
            password: self.password,
            client,
        }
    }
}

impl SetPasswordInput {
    pub(crate) fn into_command(self, token: String, client: ClientInfo) -> SetPasswordCommand {
        SetPasswordCommand {
            token,
            password: self.password,
            password_confirm: self.password_confirm,
            client,
        }
    }
}

impl RefreshInput {
    pub(crate) fn into_command(self, client: ClientInfo) -> RefreshCommand {
        RefreshCommand { refresh_token: self.refresh_token, client }
    }
}

impl ClaimInput {
    pub(crate) fn into_command(self, client: ClientInfo) -> ClaimCommand {
        ClaimCommand { email: self.email, code: self.code, password: self.password, client }
    }
}

impl MagicInput {
    pub(crate) fn into_command(self, client: ClientInfo, replaces: Option<String>) -> MagicCommand {
        MagicCommand { token: self.token, email: self.email, code: self.code, client, replaces }
    }
}

impl ResetInput {
    /// `token`: the reset page's address carries it, which wins over one in the body. 422
    /// `new_password_confirm` when a confirmation is given and differs, before the request
    /// spends anything.
    pub(crate) fn into_command(
        self,
        token: Option<String>,
        client: ClientInfo,
    ) -> Result<ResetCommand, AppError> {
        check_confirmation(&self.new_password, self.new_password_confirm.as_deref())
            .map_err(|why| AppError::invalid_field("new_password_confirm", why))?;
        Ok(ResetCommand {
            token: token.or(self.token).unwrap_or_default(),
            new_password: self.new_password,
            client,
        })
    }
}

impl ChangePasswordInput {
    pub(crate) fn into_command(self, client: ClientInfo) -> ChangePasswordCommand {
        ChangePasswordCommand {
            current_password: self.current_password,
            new_password: self.new_password,
            client,
        }
    }
}

impl GuestInput {
    pub(crate) fn into_command(self, client: ClientInfo) -> GuestCommand {
        GuestCommand { display_name: self.display_name, client }
    }
}

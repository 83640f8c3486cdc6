//! Request bodies. Each struct is both a JSON body and an HTML form, so the API and the pages
//! feed the same service. Missing fields become empty strings, which the service reports as
//! "required" with the field named, the same way for both.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LoginInput {
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
pub struct SetupInput {
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
pub struct RegisterInput {
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
pub struct SetPasswordInput {
    #[field(default = String::new())]
    pub password: String,
    /// When present it must repeat `password` (the page asks twice; API clients may skip it).
    pub password_confirm: Option<String>,
}

/// `POST /api/v1/auth/login/verify` and the code form after a password.
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct VerifyInput {
    #[field(default = String::new())]
    pub challenge: String,
    #[field(default = String::new())]
    pub code: String,
    /// Where the login page sends the user afterwards (pages only).
    #[serde(skip)]
    pub next: Option<String>,
}

#[derive(Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RefreshInput {
    pub refresh_token: String,
}

/// The body of requests that only name an email address (claim code, sign-in link, reset).
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EmailInput {
    #[field(default = String::new())]
    pub email: String,
}

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimInput {
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
pub struct MagicInput {
    pub token: Option<String>,
    pub email: Option<String>,
    pub code: Option<String>,
}

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ResetInput {
    /// The reset page carries the token in its URL instead.
    pub token: Option<String>,
    #[field(default = String::new())]
    pub new_password: String,
    /// When present it must repeat `new_password`.
    pub new_password_confirm: Option<String>,
}

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChangePasswordInput {
    #[field(default = String::new())]
    pub current_password: String,
    #[field(default = String::new())]
    pub new_password: String,
}

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TwoFactorInput {
    #[field(default = false)]
    pub enabled: bool,
}

#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GuestInput {
    #[field(default = String::new())]
    pub display_name: String,
}

/// `POST /api/v1/admin/members`: pre-register a member who then claims the account.
#[derive(Default, Deserialize, FromForm, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewMemberInput {
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub first_name: String,
    #[field(default = String::new())]
    pub last_name: String,
    pub phone: Option<String>,
    pub roles: Vec<String>,
}

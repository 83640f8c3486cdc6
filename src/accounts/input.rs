//! Request bodies. Each struct is both a JSON body and an HTML form, so the API and the pages
//! feed the same service. Missing fields become empty strings, which the service reports as
//! "required" with the field named, the same way for both.

use rocket::FromForm;
use serde::Deserialize;

#[derive(Default, Deserialize, FromForm)]
#[serde(default)]
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
#[serde(default)]
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
#[derive(Default, Deserialize, FromForm)]
#[serde(default)]
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
#[serde(default)]
pub struct SetPasswordInput {
    #[field(default = String::new())]
    pub password: String,
    /// When present it must repeat `password` (the page asks twice; API clients may skip it).
    pub password_confirm: Option<String>,
}

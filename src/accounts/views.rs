//! Response bodies and page contexts of the accounts pages (one type serves both).

use schemars::JsonSchema;
use serde::Serialize;

use super::model::{AuthUser, Role, UserStatus};

/// The same sentence whether or not the address belongs to anyone.
pub(crate) const CLAIM_SENT: &str =
    "If that email belongs to an account waiting to be claimed, a code has been sent to it.";
pub(crate) const MAGIC_SENT: &str =
    "If that email belongs to an account, a sign-in link has been sent to it.";
pub(crate) const RESET_SENT: &str = "If that email is registered, a reset link has been sent.";

/// Registering with an address a gift exchange guest holds, without an invitation sent to it.
pub(crate) fn invitation_sent(email: &str) -> String {
    format!(
        "{email} is already used by a guest of one of the club's gift exchanges. We emailed it an \
         invitation: follow its link to finish registering, and that account becomes yours."
    )
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Message")]
pub(crate) struct MessageView {
    pub message: String,
}

impl MessageView {
    pub(crate) fn new(message: &str) -> Self {
        MessageView { message: message.to_string() }
    }
}

/// `GET /api/v1/auth/session` for a signed-in user.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Session")]
pub(crate) struct SessionView {
    pub logged_in: bool,
    pub user_id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub status: UserStatus,
    /// Whether they finished joining and may use the member area.
    pub onboarding_complete: bool,
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: String,
}

impl SessionView {
    pub(crate) fn of(user: &AuthUser) -> Self {
        SessionView {
            logged_in: true,
            user_id: user.user_id,
            username: user.username.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            roles: user.roles.clone(),
            status: user.status,
            onboarding_complete: user.status == UserStatus::Active,
            expires_at: crate::clock::rfc3339(crate::clock::from_unix(
                user.credential.expires_at(),
            )),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "LoggedOut")]
pub(crate) struct LoggedOutView {
    #[schemars(extend("const" = false))]
    pub logged_in: bool,
}

/// The login form: what was typed (never the password) and where to go next.
#[derive(Debug, Default, Serialize)]
pub(crate) struct LoginPage {
    pub login: String,
    pub next: String,
    /// Whether to offer signing in with a passkey (this server's address can have them).
    pub passkeys: bool,
}

/// The setup form, refilled after an error.
#[derive(Debug, Default, Serialize)]
pub(crate) struct SetupPage {
    pub token: String,
    pub club_name: String,
    pub username: String,
    pub email: String,
}

/// `201` answer to a registration.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Registered")]
pub(crate) struct RegisteredView {
    pub message: &'static str,
    pub user_id: i64,
    pub username: String,
}

/// The join form: what the invitation offers, and what was typed.
#[derive(Debug, Default, Serialize)]
pub(crate) struct JoinPage {
    pub token: String,
    pub invited_email: Option<String>,
    pub invited_name: Option<String>,
    /// The roles the person may tick (those the invitation grants that one may choose).
    pub choosable_roles: Vec<Role>,
    pub username: String,
    pub email: String,
    pub phone: String,
    pub roles: Vec<String>,
}

/// The second step of a sign-in: a form per accepted answer.
#[derive(Debug, Default, Serialize)]
pub(crate) struct TwoFactorPage {
    pub challenge: String,
    pub next: String,
    pub methods: Vec<super::factors::Method>,
}

/// Setting up an authenticator app: the QR code, the secret to type, the form for the first
/// code. `challenge` is set while a sign-in waits for it, empty on the account page.
#[derive(Debug, Default, Serialize)]
pub(crate) struct AppSetupPage {
    pub challenge: String,
    pub next: String,
    pub otpauth_url: String,
    pub secret: String,
    pub qr_svg: String,
}

/// Recovery codes, shown once, and where to go on.
#[derive(Debug, Default, Serialize)]
pub(crate) struct RecoveryCodesPage {
    pub recovery_codes: Vec<String>,
    pub continue_to: String,
}

/// A page that asks before something about sign-in is removed or replaced.
#[derive(Debug, Default, Serialize)]
pub(crate) struct ConfirmPage {
    pub title: &'static str,
    pub what: &'static str,
    pub action: &'static str,
    pub button: &'static str,
}

/// Forms that ask only for an email address.
#[derive(Debug, Default, Serialize)]
pub(crate) struct EmailPage {
    pub email: String,
}

/// Pages reached through a token in their URL.
#[derive(Debug, Default, Serialize)]
pub(crate) struct TokenPage {
    pub token: String,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct ClaimPage {
    pub email: String,
    /// True once a code was asked for: the page shows the second step.
    pub code_sent: bool,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct GuestPage {
    pub display_name: String,
}

/// The member's account security page.
#[derive(Debug, Serialize)]
pub(crate) struct AccountPage {
    pub devices: super::service::DevicesView,
    pub two_factor_enabled: bool,
    /// The club requires it for this member whatever their choice.
    pub two_factor_required: bool,
    pub factors: super::factors::service::FactorsView,
    pub passkeys: super::passkeys::views::PasskeysSection,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct SetPasswordPage {
    pub token: String,
    pub username: String,
}

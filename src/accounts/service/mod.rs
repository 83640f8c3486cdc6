//! Account use cases. Permission and validity rules live here; no HTTP.
//!
//! - `sessions`: sessions and password sign-in (a session or API tokens), logout, purging.
//! - `setup`: first-run setup through the printed link, admins from the command line.
//! - `set_password`: one-time set-password links.
//! - `register`: self-registration, with an invitation or without.
//! - `devices`: a member's own security: password change, devices, ending sessions.
//! - `guests`: password-less guests.
//!
//! Emailed codes and links (second factor, claim, sign-in link, reset) are `accounts::codes`;
//! API tokens are `accounts::tokens`.

mod devices;
mod guests;
mod register;
mod sessions;
mod set_password;
mod setup;

pub use devices::*;
pub use guests::*;
pub use register::*;
pub use sessions::*;
pub use set_password::*;
pub use setup::*;

/// A session just created; `token` goes into the cookie and is not stored anywhere.
#[derive(Debug)]
pub struct StartedSession {
    pub token: String,
    pub user_id: i64,
    pub expires_at: i64,
}

/// Where a request comes from, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The key per-client rate limits count under: the IPv4 address, or the /64 network of an
    /// IPv6 address (one subscriber usually holds a whole /64).
    pub fn limit_key(&self) -> String {
        match self.ip.as_deref().map(str::parse::<std::net::IpAddr>) {
            Some(Ok(std::net::IpAddr::V6(v6))) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(Ok(ip)) => ip.to_string(),
            _ => "unknown".to_string(),
        }
    }
}

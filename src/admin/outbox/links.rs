//! The link inside a sign-in email, for an admin helping a member whose email does not arrive.
//!
//! Tokens are stored only as hashes, so the link is read back from the sealed message itself;
//! the hash of what is found there then says whether it still works.

use rusqlite::{params, Connection};

use crate::accounts::codes::{code_hash, normalize_code};
use crate::accounts::model::TokenPurpose;
use crate::accounts::repo as accounts;
use crate::crypto::token_hash;
use crate::ctx::Ctx;
use crate::error::AppError;

/// The emails that carry a way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkKind {
    Invite,
    Claim,
    MagicLink,
    PasswordReset,
    SetPassword,
}

impl LinkKind {
    /// The kind of link an email template carries, if any.
    pub(crate) fn of_template(template: &str) -> Option<LinkKind> {
        match template {
            "invite" => Some(LinkKind::Invite),
            "claim_code" => Some(LinkKind::Claim),
            "magic_link" => Some(LinkKind::MagicLink),
            "password_reset" => Some(LinkKind::PasswordReset),
            "set_password" => Some(LinkKind::SetPassword),
            _ => None,
        }
    }

    /// The path every link of this kind starts with.
    fn path(self) -> &'static str {
        match self {
            LinkKind::Invite => "/join/",
            LinkKind::Claim => "/claim",
            LinkKind::MagicLink => "/auth/magic/",
            LinkKind::PasswordReset => "/reset/",
            LinkKind::SetPassword => "/set-password/",
        }
    }

    /// Whether the email also holds a short code to type (claim codes and sign-in codes).
    fn has_code(self) -> bool {
        matches!(self, LinkKind::Claim | LinkKind::MagicLink)
    }
}

/// What an email offers: its link and, for some, the code to type with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundLink {
    pub url: String,
    /// The secret part of the link (the code, for claim emails).
    pub secret: String,
    pub code: Option<String>,
}

/// Finds the link of `kind` in an email's text, given the server's public URL.
pub(crate) fn find_link(text: &str, base_url: &str, kind: LinkKind) -> Option<FoundLink> {
    let prefix = format!("{}{}", base_url.trim_end_matches('/'), kind.path());
    let start = text.find(&prefix)?;
    let rest = &text[start..];
    let end = rest.find(|c: char| c.is_whitespace() || c == '"' || c == '<').unwrap_or(rest.len());
    let url = rest[..end].to_string();
    let code = if kind.has_code() { find_code(text) } else { None };
    let secret = match kind {
        LinkKind::Claim => code.clone()?,
        _ => url[prefix.len()..].split(['?', '#']).next().unwrap_or_default().to_string(),
    };
    (!secret.is_empty()).then_some(FoundLink { url, secret, code })
}

/// The code line of an email: a line holding only six capitals or digits.
fn find_code(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|line| {
            line.len() == 6 && line.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        .map(str::to_string)
}

/// Whether a found link would still let someone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Liveness {
    /// Unused and unexpired.
    Live,
    /// Expired, used, revoked or replaced by a newer one.
    Dead,
}

/// Looks the link's secret up by its hash. `to` is the address the email went to (a claim code
/// is only six characters: it must also be that person's).
pub(crate) fn liveness(
    conn: &Connection,
    ctx: &Ctx,
    kind: LinkKind,
    link: &FoundLink,
    to: &str,
) -> Result<Liveness, AppError> {
    let now = ctx.now_unix();
    let token_live = |purpose| -> Result<bool, AppError> {
        Ok(accounts::find_live_token(conn, purpose, &token_hash(&link.secret), now)?.is_some())
    };
    let live = match kind {
        LinkKind::Invite => crate::invites::service::live(conn, ctx, &link.secret).is_ok(),
        LinkKind::MagicLink => token_live(TokenPurpose::MagicLink)?,
        LinkKind::PasswordReset => token_live(TokenPurpose::PasswordReset)?,
        LinkKind::SetPassword => token_live(TokenPurpose::SetPassword)?,
        LinkKind::Claim => {
            let hash = code_hash(ctx, TokenPurpose::Claim, &normalize_code(&link.secret));
            conn.query_row(
                "SELECT count(*) FROM one_time_tokens t JOIN users u ON u.id = t.user_id
                  WHERE t.purpose = ?1 AND t.code_hash = ?2 AND u.email = ?3
                    AND t.used_at IS NULL AND t.expires_at > ?4",
                params![TokenPurpose::Claim.as_str(), hash, to, now],
                |r| r.get::<_, i64>(0),
            )? > 0
        }
    };
    Ok(if live { Liveness::Live } else { Liveness::Dead })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://club.example";

    #[test]
    fn link_templates_are_recognised_and_others_are_not() {
        assert_eq!(LinkKind::of_template("invite"), Some(LinkKind::Invite));
        assert_eq!(LinkKind::of_template("claim_code"), Some(LinkKind::Claim));
        assert_eq!(LinkKind::of_template("magic_link"), Some(LinkKind::MagicLink));
        assert_eq!(LinkKind::of_template("password_reset"), Some(LinkKind::PasswordReset));
        assert_eq!(LinkKind::of_template("two_factor_code"), None);
        assert_eq!(LinkKind::of_template("notice"), None);
    }

    #[test]
    fn the_link_and_its_token_are_read_from_the_text() {
        let text = "Open this link:\n\nhttps://club.example/auth/magic/abc_DEF-123\n\nOr enter\n\n    K7P2QX\n";
        let found = find_link(text, BASE, LinkKind::MagicLink).unwrap();
        assert_eq!(found.url, "https://club.example/auth/magic/abc_DEF-123");
        assert_eq!(found.secret, "abc_DEF-123");
        assert_eq!(found.code.as_deref(), Some("K7P2QX"));
        let reset =
            find_link("Go to https://club.example/reset/tok.", BASE, LinkKind::PasswordReset);
        assert_eq!(reset.unwrap().secret, "tok.");
    }

    #[test]
    fn a_claim_email_yields_its_code_as_the_secret() {
        let text = "claim at https://club.example/claim\n\n    ABC234\n\nThe code works once";
        let found = find_link(text, BASE, LinkKind::Claim).unwrap();
        assert_eq!(found.url, "https://club.example/claim");
        assert_eq!(found.secret, "ABC234");
    }

    #[test]
    fn links_of_another_site_or_without_a_token_are_not_taken() {
        assert!(find_link("https://evil.example/join/x", BASE, LinkKind::Invite).is_none());
        assert!(find_link("https://club.example/join/", BASE, LinkKind::Invite).is_none());
        assert!(
            find_link("https://club.example/claim and no code", BASE, LinkKind::Claim).is_none()
        );
    }
}

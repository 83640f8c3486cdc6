//! What the outbox may show of an email, decided by its template alone, and the link inside
//! the emails an admin may pass on when a person's email does not arrive.
//!
//! Only invitations and the set-password links and claim codes an admin had sent are ever
//! shown. A way in that a person asked for themselves (a sign-in link, a reset link, a login
//! code, a claim code) is theirs alone: shown, it would let an admin sign in as them.
//!
//! Tokens are stored only as hashes, so the link is read back from the sealed message itself;
//! the hash of what is found there then says whether it still works and whose account it opens.

use rusqlite::{params, Connection, OptionalExtension};

use crate::accounts::codes::{code_hash, normalize_code};
use crate::accounts::model::TokenPurpose;
use crate::accounts::repo as accounts;
use crate::crypto::token_hash;
use crate::ctx::Ctx;
use crate::error::AppError;

/// What the outbox may show of an email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disclosure {
    /// It holds a way in meant for its recipient alone: admins see that it was sent (these
    /// words), never what it holds.
    Withheld(&'static str),
    /// It holds a link an admin may pass on (see `copy_link` for when).
    Link(LinkKind),
    /// Nothing in it to pass on.
    Nothing,
}

impl Disclosure {
    /// Decided by the template the email was made from. An email that is not named here is
    /// never opened for an admin, so a new template holding a secret stays hidden by default.
    pub(crate) fn of_template(template: &str) -> Disclosure {
        match template {
            "invite" => Disclosure::Link(LinkKind::Invite),
            "member_claim_code" => Disclosure::Link(LinkKind::Claim),
            "set_password" | "member_set_password" => Disclosure::Link(LinkKind::SetPassword),
            "magic_link" => Disclosure::Withheld("A sign-in link and its code were sent."),
            "password_reset" => Disclosure::Withheld("A password reset link was sent."),
            "two_factor_code" => Disclosure::Withheld("A login code was sent."),
            "claim_code" => Disclosure::Withheld("A claim code the person asked for was sent."),
            "gift_registered" | "gift_access" => {
                Disclosure::Withheld("A sign-in link to their gift exchange was sent.")
            }
            _ => Disclosure::Nothing,
        }
    }

    /// The words shown instead of a withheld email's content.
    pub(crate) fn withheld(self) -> Option<&'static str> {
        match self {
            Disclosure::Withheld(words) => Some(words),
            _ => None,
        }
    }
}

/// The links an admin may pass on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkKind {
    Invite,
    /// A claim code an admin had sent (the link is the claim page; the code is the secret).
    Claim,
    /// A set-password link made by an admin or the `admin create` command.
    SetPassword,
}

impl LinkKind {
    /// The path every link of this kind starts with.
    fn path(self) -> &'static str {
        match self {
            LinkKind::Invite => "/join/",
            LinkKind::Claim => "/claim",
            LinkKind::SetPassword => "/set-password/",
        }
    }

    /// Whether the email also holds a short code to type.
    fn has_code(self) -> bool {
        matches!(self, LinkKind::Claim)
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

/// Whom a found link would let in, while it still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opens {
    /// Whoever registers with the invitation.
    NewAccount,
    /// This existing account.
    Account(i64),
    /// Nobody any more: expired, used, revoked or replaced by a newer one.
    Nothing,
}

/// Looks the link's secret up by its hash. `to` is the address the email went to (a claim code
/// is only six characters: it must also be that person's).
pub(crate) fn opens(
    conn: &Connection,
    ctx: &Ctx,
    kind: LinkKind,
    link: &FoundLink,
    to: &str,
) -> Result<Opens, AppError> {
    let now = ctx.now_unix();
    let account = match kind {
        LinkKind::Invite => {
            let live = crate::invites::service::live(conn, ctx, &link.secret).is_ok();
            return Ok(if live { Opens::NewAccount } else { Opens::Nothing });
        }
        LinkKind::SetPassword => {
            let hash = token_hash(&link.secret);
            accounts::find_live_token(conn, TokenPurpose::SetPassword, &hash, now)?
                .and_then(|(_, user_id)| user_id)
        }
        LinkKind::Claim => {
            let hash = code_hash(ctx, TokenPurpose::Claim, &normalize_code(&link.secret));
            conn.query_row(
                "SELECT u.id FROM one_time_tokens t JOIN users u ON u.id = t.user_id
                  WHERE t.purpose = ?1 AND t.code_hash = ?2 AND u.email = ?3
                    AND t.used_at IS NULL AND t.expires_at > ?4",
                params![TokenPurpose::Claim.as_str(), hash, to, now],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
        }
    };
    Ok(account.map_or(Opens::Nothing, Opens::Account))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://club.example";

    #[test]
    fn ways_in_a_person_asked_for_are_withheld_and_only_links_an_admin_sent_are_shown() {
        for template in [
            "magic_link",
            "password_reset",
            "two_factor_code",
            "claim_code",
            "gift_registered",
            "gift_access",
        ] {
            let shown = Disclosure::of_template(template);
            assert!(shown.withheld().is_some_and(|w| w.ends_with(" sent.")), "{template}");
        }
        assert_eq!(Disclosure::of_template("invite"), Disclosure::Link(LinkKind::Invite));
        assert_eq!(Disclosure::of_template("member_claim_code"), Disclosure::Link(LinkKind::Claim));
        for template in ["set_password", "member_set_password"] {
            assert_eq!(Disclosure::of_template(template), Disclosure::Link(LinkKind::SetPassword));
        }
        for template in ["notice", "link_viewed", "welcome_admin", "a_template_from_later"] {
            assert_eq!(Disclosure::of_template(template), Disclosure::Nothing, "{template}");
        }
    }

    #[test]
    fn the_link_and_its_token_are_read_from_the_text() {
        let text = "Choose it here:\n\nhttps://club.example/set-password/abc_DEF-123\n\nBye";
        let found = find_link(text, BASE, LinkKind::SetPassword).unwrap();
        assert_eq!(found.url, "https://club.example/set-password/abc_DEF-123");
        assert_eq!(found.secret, "abc_DEF-123");
        assert_eq!(found.code, None);
        let invite = find_link("Go to https://club.example/join/tok.", BASE, LinkKind::Invite);
        assert_eq!(invite.unwrap().secret, "tok.");
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

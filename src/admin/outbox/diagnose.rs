//! Turns a failed SMTP delivery into words a club admin can act on.
//!
//! `classify` is a pure function over the facts of a failure, so every rule is unit-tested
//! without a network; `Facts::of` reads those facts from lettre's error, and the integration
//! tests drive it against fake servers on loopback.

use schemars::JsonSchema;
use serde::Serialize;

use crate::config::SmtpTls;
use crate::email::transport::SendFailure;

crate::values::string_enum! {
    /// What went wrong, in the categories an admin can fix.
    #[schemars(rename = "MailProblem")]
    pub(crate) enum Problem {
        /// Nothing listens on that host and port, or a firewall rejects the connection.
        ConnectionRefused = "connection_refused",
        /// No answer at all: a firewall drops the packets (many hosts block outgoing mail ports).
        TimedOut = "timed_out",
        /// The host name does not resolve.
        HostNotFound = "host_not_found",
        /// STARTTLS against an implicit-TLS port, or the other way round.
        TlsMismatch = "tls_mismatch",
        /// The server refused the username or password, or offers no way to log in.
        AuthRejected = "auth_rejected",
        /// The server's certificate is not trusted (self-signed, expired or for another name).
        Certificate = "certificate",
        /// The server refused the sender or the recipient.
        AddressRefused = "address_refused",
        /// Anything else; the server's own words are shown.
        Other = "other",
    }
}

/// lettre's own category of the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Connection,
    Network,
    Tls,
    /// The server answered with an error code.
    Reply,
    /// lettre refused to go on (e.g. STARTTLS not offered).
    Client,
    Other,
}

/// Everything the classification looks at.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub mode: SmtpTls,
    pub port: u16,
    pub stage: Stage,
    /// The SMTP reply code, when the server answered with an error.
    pub code: Option<u16>,
    /// The kind of the operating-system error underneath, if there is one.
    pub io: Option<std::io::ErrorKind>,
    /// The whole chain of error messages.
    pub text: String,
}

impl Facts {
    /// Reads the facts of a delivery failure.
    pub(crate) fn of(failure: &SendFailure, mode: SmtpTls, port: u16) -> Facts {
        let mut facts = Facts {
            mode,
            port,
            stage: Stage::Other,
            code: None,
            io: None,
            text: failure.message.clone(),
        };
        let Some(err) = &failure.smtp else { return facts };
        facts.stage = if err.is_tls() {
            Stage::Tls
        } else if err.is_response() {
            Stage::Reply
        } else if err.is_client() {
            Stage::Client
        } else if err.is_transient() || err.is_permanent() {
            Stage::Reply
        } else if err.to_string().starts_with("Connection error") {
            Stage::Connection
        } else if err.to_string().starts_with("network error") {
            Stage::Network
        } else {
            Stage::Other
        };
        facts.code = err.status().and_then(|c| c.to_string().parse().ok());
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            if let Some(io) = inner.downcast_ref::<std::io::Error>() {
                facts.io = Some(io.kind());
                break;
            }
            source = inner.source();
        }
        facts
    }
}

fn mentions(text: &str, words: &[&str]) -> bool {
    let text = text.to_lowercase();
    words.iter().any(|w| text.contains(w))
}

/// Sorts a failure into the problem an admin can fix. The order matters: a certificate error
/// is also a TLS error, and an authentication refusal is also a server reply.
pub(crate) fn classify(f: &Facts) -> Problem {
    use std::io::ErrorKind as Io;
    let text = f.text.as_str();
    if mentions(text, &["certificate", "unknownissuer", "notvalidforname", "bad signature"]) {
        return Problem::Certificate;
    }
    if matches!(f.code, Some(530 | 534 | 535 | 538 | 454))
        || mentions(text, &["authentication mechanism", "authentication failed"])
    {
        return Problem::AuthRejected;
    }
    if mentions(
        text,
        &[
            "starttls is not supported",
            "corrupt message",
            "invalidcontenttype",
            "wrong version number",
            "connection is not encrypted",
        ],
    ) {
        return Problem::TlsMismatch;
    }
    if f.io == Some(Io::ConnectionRefused) || mentions(text, &["connection refused"]) {
        return Problem::ConnectionRefused;
    }
    let timed_out = matches!(f.io, Some(Io::TimedOut | Io::WouldBlock))
        || mentions(text, &["timed out", "temporarily unavailable"]);
    if timed_out {
        // A server on the implicit-TLS port waits for a TLS hello while a STARTTLS client waits
        // for the server's greeting: both sides wait until the timeout.
        if f.mode != SmtpTls::Tls && f.port == 465 {
            return Problem::TlsMismatch;
        }
        return Problem::TimedOut;
    }
    if mentions(text, &["failed to lookup", "could not resolve", "name or service not known"]) {
        return Problem::HostNotFound;
    }
    if f.stage == Stage::Tls && f.mode == SmtpTls::Tls && f.io == Some(Io::UnexpectedEof) {
        return Problem::TlsMismatch;
    }
    if matches!(f.code, Some(550 | 551 | 553)) {
        return Problem::AddressRefused;
    }
    Problem::Other
}

/// A diagnosis to show: the problem, a headline and what to do.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Diagnosis {
    pub problem: Problem,
    pub title: String,
    pub advice: String,
}

fn mode_name(mode: SmtpTls) -> &'static str {
    match mode {
        SmtpTls::Starttls => "STARTTLS",
        SmtpTls::Tls => "implicit TLS",
        SmtpTls::None => "no encryption",
    }
}

/// The words for a problem, naming the configured host, port and TLS mode.
pub(crate) fn explain(problem: Problem, host: &str, port: u16, mode: SmtpTls) -> Diagnosis {
    let place = format!("{host}:{port}");
    let (title, advice) = match problem {
        Problem::ConnectionRefused => (
            format!("The connection to {place} was refused."),
            "Nothing accepts mail there, or a firewall rejects it. Check smtp_host and smtp_port \
             (usually 587 for STARTTLS, 465 for implicit TLS); some hosting providers block \
             outgoing mail ports until you ask them to open them."
                .to_string(),
        ),
        Problem::TimedOut => (
            format!("{place} did not answer in time."),
            "A firewall is probably dropping the connection: many hosting providers block \
             outgoing ports 25, 465 and 587. Ask your provider to unblock the port, or use your \
             mail provider's other submission port."
                .to_string(),
        ),
        Problem::HostNotFound => (
            format!("The mail server name {host} could not be found."),
            "Check the spelling of smtp_host and that this machine can resolve names (DNS)."
                .to_string(),
        ),
        Problem::TlsMismatch => (
            format!("The encryption mode does not match the server at {place}."),
            format!(
                "Clubroom is set to {} (smtp_tls), which the server does not speak on this port. \
                 Port 465 usually wants smtp_tls = \"tls\" (implicit TLS); ports 587 and 25 want \
                 smtp_tls = \"starttls\".",
                mode_name(mode)
            ),
        ),
        Problem::AuthRejected => (
            "The mail server rejected the login.".to_string(),
            "Check smtp_username and smtp_password. Many providers want an app password or an \
             SMTP-specific password rather than your normal one, and some offer login only over \
             an encrypted connection."
                .to_string(),
        ),
        Problem::Certificate => (
            format!("The certificate of {host} is not trusted."),
            "The server's certificate is self-signed, expired, or made out for another name. Use \
             the host name your provider documents (the one on its certificate) in smtp_host."
                .to_string(),
        ),
        Problem::AddressRefused => (
            "The mail server refused the sender or the recipient.".to_string(),
            "Check that mail_from is an address your provider lets you send from, and the \
             recipient address."
                .to_string(),
        ),
        Problem::Other => (
            "The email could not be sent.".to_string(),
            "The server's own message is shown below; it usually says what is wrong.".to_string(),
        ),
    };
    Diagnosis { problem, title, advice }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind as Io;

    fn facts(stage: Stage, code: Option<u16>, io: Option<Io>, text: &str) -> Facts {
        Facts { mode: SmtpTls::Starttls, port: 587, stage, code, io, text: text.to_string() }
    }

    #[test]
    fn a_refused_connection_is_recognised_by_its_os_error_or_its_words() {
        let f = facts(Stage::Connection, None, Some(Io::ConnectionRefused), "Connection error");
        assert_eq!(classify(&f), Problem::ConnectionRefused);
        let f = facts(
            Stage::Connection,
            None,
            None,
            "Connection error: Connection refused (os error 111)",
        );
        assert_eq!(classify(&f), Problem::ConnectionRefused);
    }

    #[test]
    fn no_answer_is_a_timeout_whether_the_os_says_timed_out_or_would_block() {
        let f = facts(Stage::Network, None, Some(Io::WouldBlock), "network error");
        assert_eq!(classify(&f), Problem::TimedOut);
        let f = facts(Stage::Connection, None, Some(Io::TimedOut), "connection timed out");
        assert_eq!(classify(&f), Problem::TimedOut);
    }

    #[test]
    fn waiting_on_port_465_without_implicit_tls_is_a_tls_mismatch() {
        let mut f = facts(Stage::Network, None, Some(Io::WouldBlock), "network error");
        f.port = 465;
        assert_eq!(classify(&f), Problem::TlsMismatch);
        f.mode = SmtpTls::Tls;
        assert_eq!(classify(&f), Problem::TimedOut);
    }

    #[test]
    fn plain_smtp_where_tls_was_expected_is_a_tls_mismatch() {
        let f = facts(
            Stage::Connection,
            None,
            Some(Io::InvalidData),
            "Connection error: received corrupt message of type InvalidContentType",
        );
        assert_eq!(classify(&f), Problem::TlsMismatch);
        let f = facts(
            Stage::Client,
            None,
            None,
            "internal client error: STARTTLS is not supported on this server",
        );
        assert_eq!(classify(&f), Problem::TlsMismatch);
    }

    #[test]
    fn authentication_replies_and_missing_mechanisms_are_login_problems() {
        let f = facts(Stage::Reply, Some(535), None, "permanent error (535): bad credentials");
        assert_eq!(classify(&f), Problem::AuthRejected);
        let f = facts(Stage::Reply, Some(530), None, "530 authentication required");
        assert_eq!(classify(&f), Problem::AuthRejected);
        let f =
            facts(Stage::Client, None, None, "No compatible authentication mechanism was found");
        assert_eq!(classify(&f), Problem::AuthRejected);
    }

    #[test]
    fn certificate_errors_win_over_other_tls_errors() {
        let f = facts(
            Stage::Connection,
            None,
            Some(Io::InvalidData),
            "Connection error: invalid peer certificate: UnknownIssuer",
        );
        assert_eq!(classify(&f), Problem::Certificate);
    }

    #[test]
    fn unknown_hosts_refused_addresses_and_the_rest() {
        let f = facts(Stage::Connection, None, None, "failed to lookup address information");
        assert_eq!(classify(&f), Problem::HostNotFound);
        let f = facts(Stage::Reply, Some(550), None, "permanent error (550): mailbox unavailable");
        assert_eq!(classify(&f), Problem::AddressRefused);
        let f = facts(Stage::Reply, Some(552), None, "permanent error (552): message too large");
        assert_eq!(classify(&f), Problem::Other, "a full mailbox is not an address problem");
        let f = facts(Stage::Other, None, None, "something new");
        assert_eq!(classify(&f), Problem::Other);
    }

    #[test]
    fn the_advice_names_the_configured_place_and_mode() {
        let d = explain(Problem::TlsMismatch, "smtp.example", 465, SmtpTls::Starttls);
        assert!(d.title.contains("smtp.example:465"));
        assert!(d.advice.contains("STARTTLS"));
        let d = explain(Problem::TimedOut, "smtp.example", 587, SmtpTls::Starttls);
        assert!(d.advice.contains("block"));
    }
}

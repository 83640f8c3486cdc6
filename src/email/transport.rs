//! Delivery backends. SMTP when configured; otherwise the console, so a developer or a club
//! without a mail server still sees every link; memory for tests.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox as Address, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport as _};

use crate::config::{AppConfig, SmtpTls};

/// One message as handed to a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The messages a memory transport has "sent", shared with the test that reads them.
#[derive(Clone, Default)]
pub struct Mailbox(Arc<Mutex<Vec<SentEmail>>>);

impl Mailbox {
    pub fn messages(&self) -> Vec<SentEmail> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn push(&self, email: SentEmail) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(email);
    }
}

pub enum Transport {
    Smtp { mailer: Box<SmtpTransport>, from: Address },
    Console,
    Memory(Mailbox),
}

impl Transport {
    /// SMTP when `smtp_host` is set, else the console.
    pub fn from_config(config: &AppConfig) -> Result<Transport, String> {
        if config.smtp_host.is_empty() {
            return Ok(Transport::Console);
        }
        let from = Address::from_str(&config.mail_from).map_err(|e| format!("mail_from: {e}"))?;
        let host = config.smtp_host.as_str();
        let builder = match config.smtp_tls {
            SmtpTls::Starttls => SmtpTransport::starttls_relay(host).map_err(|e| e.to_string())?,
            SmtpTls::Tls => SmtpTransport::relay(host).map_err(|e| e.to_string())?,
            SmtpTls::None => SmtpTransport::builder_dangerous(host),
        };
        let mut builder = builder
            .port(config.smtp_port)
            .timeout(Some(Duration::from_secs(config.smtp_timeout_secs)));
        if !config.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                config.smtp_username.clone(),
                config.smtp_password.clone(),
            ));
        }
        Ok(Transport::Smtp { mailer: Box::new(builder.build()), from })
    }

    /// What /health reports as `mail`.
    pub(crate) fn mode(&self) -> &'static str {
        match self {
            Transport::Smtp { .. } => "smtp",
            Transport::Console => "console",
            Transport::Memory(_) => "memory",
        }
    }

    /// Delivers one message; blocking (SMTP does network I/O). The error is a readable reason.
    pub(crate) fn send(&self, email: &SentEmail) -> Result<(), String> {
        self.try_send(email).map_err(|failure| failure.message)
    }

    /// Like `send`, keeping SMTP's own error so it can be diagnosed (see the admin test email).
    pub(crate) fn try_send(&self, email: &SentEmail) -> Result<(), SendFailure> {
        let plain = |message: String| SendFailure { message, smtp: None };
        match self {
            Transport::Smtp { mailer, from } => {
                let to = Address::from_str(&email.to)
                    .map_err(|e| plain(format!("invalid recipient {}: {e}", email.to)))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(email.subject.clone())
                    .multipart(
                        MultiPart::alternative()
                            .singlepart(
                                SinglePart::builder()
                                    .header(ContentType::TEXT_PLAIN)
                                    .body(email.text.clone()),
                            )
                            .singlepart(
                                SinglePart::builder()
                                    .header(ContentType::TEXT_HTML)
                                    .body(email.html.clone()),
                            ),
                    )
                    .map_err(|e| plain(format!("could not build the message: {e}")))?;
                mailer
                    .send(&message)
                    .map(|_| ())
                    .map_err(|e| SendFailure { message: describe_smtp_error(&e), smtp: Some(e) })
            }
            Transport::Console => {
                println!(
                    "\n----- email (console: SMTP is not configured) -----\nTo: {}\nSubject: {}\n\n{}\n---------------------------------------------------\n",
                    email.to,
                    email.subject,
                    email.text.trim_end()
                );
                Ok(())
            }
            Transport::Memory(mailbox) => {
                mailbox.push(email.clone());
                Ok(())
            }
        }
    }
}

/// Why a message could not be delivered: a readable reason, and SMTP's error when it came
/// from the SMTP client.
#[derive(Debug)]
pub(crate) struct SendFailure {
    pub message: String,
    pub smtp: Option<lettre::transport::smtp::Error>,
}

/// Puts an SMTP failure into words an admin can act on.
fn describe_smtp_error(err: &lettre::transport::smtp::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

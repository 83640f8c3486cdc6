//! Email: rendering from templates, the outbox that keeps every message, and the transports
//! that deliver them (SMTP, the console, or memory for tests).

pub(crate) mod outbox;
pub mod seal;
pub(crate) mod templates;
pub(crate) mod transport;

pub use outbox::{deliver_due, queue, DeliveryReport};
pub use templates::EmailTemplates;
pub use transport::{Mailbox, SentEmail, Transport};

//! Each email is a template triple under `templates/email/`: `<name>.subject.txt`,
//! `<name>.txt` and `<name>.html`.

use serde::Serialize;
use tera::{Context, Tera};

use crate::embedded;
use crate::error::AppError;

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct EmailTemplates {
    tera: Tera,
}

impl EmailTemplates {
    /// Loads the embedded email templates (and the email layout they extend).
    pub fn load() -> Result<Self, AppError> {
        let mut tera = Tera::default();
        tera.add_raw_templates(embedded::templates(|name| name.starts_with("email/")))
            .map_err(AppError::internal)?;
        Ok(EmailTemplates { tera })
    }

    /// Names of the emails that have all three parts.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .tera
            .get_template_names()
            .filter_map(|n| n.strip_prefix("email/")?.strip_suffix(".subject.txt"))
            .map(str::to_string)
            .collect();
        names.sort();
        names
    }

    pub fn render(&self, name: &str, data: &impl Serialize) -> Result<RenderedEmail, AppError> {
        let context = Context::from_serialize(data).map_err(AppError::internal)?;
        let part = |suffix: &str| {
            self.tera
                .render(&format!("email/{name}.{suffix}"), &context)
                .map_err(|e| AppError::internal(format!("email template {name}.{suffix}: {e:?}")))
        };
        let subject = part("subject.txt")?;
        Ok(RenderedEmail {
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: part("txt")?,
            html: part("html")?,
        })
    }
}

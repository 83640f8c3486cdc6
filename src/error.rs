//! The one error type of the application.
//!
//! Services return `AppError`; `web::errors` turns it into a JSON body or an HTML page with the
//! status chosen here. Internal causes are kept for the log and never shown to a client.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

/// Field name -> message, shown next to form fields and returned as `error.fields` in JSON.
pub(crate) type FieldErrors = BTreeMap<String, String>;

/// The kinds of failure a request can end in. Each maps to exactly one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    Gone,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorKind {
    pub(crate) fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::Conflict => 409,
            ErrorKind::Gone => 410,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::Validation => 422,
            ErrorKind::RateLimited => 429,
            ErrorKind::Internal => 500,
            ErrorKind::Unavailable => 503,
        }
    }

    fn default_code(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Unauthorized => "unauthenticated",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Gone => "gone",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::UnsupportedMediaType => "unsupported_media_type",
            ErrorKind::Validation => "validation_failed",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unavailable => "service_unavailable",
            ErrorKind::Internal => "internal_error",
        }
    }
}

/// An error with a stable machine-readable `code`, a message safe to show to the user, optional
/// per-field messages and, for internal errors, the hidden cause.
pub struct AppError {
    kind: ErrorKind,
    code: &'static str,
    message: String,
    fields: FieldErrors,
    retry_after: Option<u64>,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl AppError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AppError {
            kind,
            code: kind.default_code(),
            message: message.into(),
            fields: FieldErrors::new(),
            retry_after: None,
            cause: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    pub(crate) fn unauthenticated() -> Self {
        Self::new(ErrorKind::Unauthorized, "You need to log in first.")
    }

    /// The single answer for a failed login, whatever the reason, so that it reveals nothing.
    pub(crate) fn invalid_credentials() -> Self {
        Self::new(ErrorKind::Unauthorized, "Invalid login or password.")
            .with_code("invalid_credentials")
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    /// 403 for a member who has not finished onboarding (pages send them to /onboarding).
    pub(crate) fn onboarding_incomplete() -> Self {
        Self::new(
            ErrorKind::Forbidden,
            "Finish joining the club first: your onboarding is not complete yet.",
        )
        .with_code("onboarding_incomplete")
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// A conflict caused by one field (a duplicate username, say): 409 with the field named.
    pub(crate) fn conflict_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.insert(field.to_string(), message.clone());
        Self::new(ErrorKind::Conflict, message).with_fields(fields)
    }

    pub(crate) fn gone(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Gone, message)
    }

    /// Words for this error at the command line: field errors one per line, causes included.
    pub fn describe(&self) -> String {
        let mut text = self.message().to_string();
        if self.kind() == ErrorKind::Validation || !self.fields().is_empty() {
            text = self
                .fields()
                .iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("\n");
        }
        if let Some(cause) = self.cause() {
            text.push_str(&format!(": {cause}"));
        }
        text
    }

    /// 422 with one message per invalid field.
    pub(crate) fn validation(fields: FieldErrors) -> Self {
        let message = match fields.len() {
            1 => fields.values().next().cloned().unwrap_or_default(),
            _ => "Some fields need attention.".to_string(),
        };
        Self::new(ErrorKind::Validation, message).with_fields(fields)
    }

    /// 422 for a single field.
    pub(crate) fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_string(), message.into());
        Self::validation(fields)
    }

    pub(crate) fn rate_limited(retry_after_secs: u64) -> Self {
        Self::rate_limited_saying(
            retry_after_secs,
            "Too many attempts. Please wait a moment and try again.",
        )
    }

    /// 429 with `message`, for a limit that is not about attempts.
    pub(crate) fn rate_limited_saying(retry_after_secs: u64, message: impl Into<String>) -> Self {
        let mut err = Self::new(ErrorKind::RateLimited, message);
        err.retry_after = Some(retry_after_secs.max(1));
        err
    }

    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        let mut err = Self::new(ErrorKind::Unavailable, message);
        err.retry_after = Some(1);
        err
    }

    /// An unexpected failure: the client sees an opaque message, the log gets `cause`.
    pub(crate) fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let mut err = Self::new(ErrorKind::Internal, "Something went wrong on our side.");
        err.cause = Some(cause.into());
        err
    }

    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    pub(crate) fn with_fields(mut self, fields: FieldErrors) -> Self {
        self.fields = fields;
        self
    }

    pub(crate) fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn fields(&self) -> &FieldErrors {
        &self.fields
    }

    pub(crate) fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The hidden cause, for the log only.
    pub(crate) fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync)> {
        self.cause.as_deref()
    }

    /// The same error without its hidden cause (which cannot be cloned), for keeping a copy.
    pub(crate) fn public_copy(&self) -> AppError {
        AppError {
            kind: self.kind,
            code: self.code,
            message: self.message.clone(),
            fields: self.fields.clone(),
            retry_after: self.retry_after,
            cause: None,
        }
    }

    /// Errors a form page shows with the form again (a wrong code, an invalid field, a taken
    /// name, a wrong password, too many attempts) rather than on an error page.
    pub(crate) fn is_form_error(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::BadRequest
                | ErrorKind::Validation
                | ErrorKind::Conflict
                | ErrorKind::Unauthorized
                | ErrorKind::RateLimited
        )
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppError")
            .field("kind", &self.kind)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("fields", &self.fields)
            .field("cause", &self.cause.as_ref().map(|c| c.to_string()))
            .finish()
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{} ({}): {}", self.code, self.message, cause),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for AppError {}

impl From<rusqlite::Error> for AppError {
    fn from(err: rusqlite::Error) -> Self {
        AppError::internal(err)
    }
}

impl From<r2d2::Error> for AppError {
    fn from(err: r2d2::Error) -> Self {
        let mut e = AppError::unavailable("The database is busy. Please try again.");
        e.cause = Some(Box::new(err));
        e
    }
}

/// The JSON body of every error answer, whatever its status.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub(crate) struct ErrorBody<'a> {
    pub error: ErrorDetail<'a>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ErrorDetail<'a> {
    /// Stable, machine-readable, snake_case.
    pub code: &'a str,
    /// Safe to show to a person.
    pub message: &'a str,
    /// Field name -> what is wrong with it; empty when no field is to blame.
    pub fields: &'a FieldErrors,
}

impl<'a> ErrorBody<'a> {
    pub(crate) fn of(err: &'a AppError) -> Self {
        ErrorBody {
            error: ErrorDetail { code: err.code, message: &err.message, fields: &err.fields },
        }
    }
}

/// Collects field errors and turns them into one 422.
#[derive(Default)]
pub(crate) struct Validator {
    fields: FieldErrors,
}

impl Validator {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records `message` for `field` unless `ok`; the first message per field wins.
    pub(crate) fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) -> &mut Self {
        if !ok && !self.fields.contains_key(field) {
            self.fields.insert(field.to_string(), message.into());
        }
        self
    }

    /// Records the error of a field-level check that returned `Err(message)`.
    pub(crate) fn result(&mut self, field: &str, result: Result<(), String>) -> &mut Self {
        if let Err(message) = result {
            self.check(false, field, message);
        }
        self
    }

    /// Keeps the value of a field read into a value type (`Email::parse`, say), or records the
    /// error it was refused with.
    pub(crate) fn parsed<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.check(false, field, message);
                None
            }
        }
    }

    pub(crate) fn has_error(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    pub(crate) fn finish(self) -> Result<(), AppError> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(self.fields))
        }
    }

    /// `finish`, then the values `parsed` kept: all of them are there once no field was refused.
    pub(crate) fn finish_with<P: Parsed>(self, parsed: P) -> Result<P::Values, AppError> {
        self.finish()?;
        parsed.values().ok_or_else(|| AppError::internal("a field passed without a value"))
    }
}

/// Fields read with `Validator::parsed`, together: one `Option` or a tuple of them.
pub(crate) trait Parsed {
    type Values;
    fn values(self) -> Option<Self::Values>;
}

impl<A> Parsed for Option<A> {
    type Values = A;
    fn values(self) -> Option<A> {
        self
    }
}

macro_rules! parsed_tuple {
    ($($t:ident),+) => {
        impl<$($t),+> Parsed for ($(Option<$t>,)+) {
            type Values = ($($t,)+);
            #[allow(non_snake_case)]
            fn values(self) -> Option<Self::Values> {
                let ($($t,)+) = self;
                Some(($($t?,)+))
            }
        }
    };
}

parsed_tuple!(A, B);
parsed_tuple!(A, B, C);
parsed_tuple!(A, B, C, D);
parsed_tuple!(A, B, C, D, E);

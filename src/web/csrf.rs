//! CSRF protection for HTML forms.
//!
//! Each browser gets a random `clubroom_csrf` cookie. The token put in forms is an HMAC, under
//! the server's secret key, of that cookie and of the session cookie when there is one: an
//! attacker's page can neither read the cookie nor compute the token, and a token stops working
//! when the session it was issued for ends. `CsrfForm<T>` checks it before the handler runs.

use rocket::data::{Data, FromData, Outcome as DataOutcome};
use rocket::form::{self, DataField, Form, FromForm, ValueField};
use rocket::request::Request;

use super::guards::{stash, SESSION_COOKIE};
use crate::crypto::{constant_time_eq, random_token, sign};
use crate::ctx::Ctx;
use crate::error::{AppError, ErrorKind};

pub(crate) const CSRF_COOKIE: &str = "clubroom_csrf";
pub(crate) const CSRF_FIELD: &str = "csrf_token";

/// Computes this request's token, issuing the browser its CSRF cookie when it has none.
pub(crate) fn token_for(req: &Request<'_>) -> String {
    let key = req.rocket().state::<Ctx>().map(|c| c.secret.as_slice()).unwrap_or_default();
    let secure = req.rocket().state::<super::SecureCookies>().is_some_and(|s| s.0);
    let base = match req.cookies().get_pending(CSRF_COOKIE) {
        Some(cookie) if !cookie.value().is_empty() => cookie.value().to_string(),
        _ => {
            let value = random_token();
            req.cookies().add(super::cookie(CSRF_COOKIE, value.clone(), secure));
            value
        }
    };
    // Pending: a session cookie this request removed (it had expired) no longer counts.
    let session = req
        .cookies()
        .get_pending(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    sign(key, &[b"csrf", base.as_bytes(), session.as_bytes()])
}

/// Checks a submitted token against the one this request should carry.
fn verify(req: &Request<'_>, submitted: Option<&str>) -> Result<(), AppError> {
    let has_cookie = req.cookies().get(CSRF_COOKIE).is_some();
    match submitted {
        Some(token) if has_cookie && constant_time_eq(token, &token_for(req)) => Ok(()),
        _ => Err(AppError::new(
            ErrorKind::Forbidden,
            "This form has expired or did not come from this site. Go back, reload the page and try again.",
        )
        .with_code("csrf_failed")),
    }
}

/// A form body of `T` whose `csrf_token` field has been verified. Use it instead of
/// `Form<T>` for every HTML form POST; a missing or wrong token is a 403 and the handler
/// never runs.
pub(crate) struct CsrfForm<T>(pub T);

impl<T> CsrfForm<T> {
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

/// `T` plus the `csrf_token` field, parsed by Rocket's own form machinery. The token is kept
/// even when `T` does not parse, so that a forged post is refused as forged whatever its
/// fields, before anything about them is answered.
struct WithCsrf<'r, T> {
    token: Option<String>,
    inner: form::Result<'r, T>,
}

#[rocket::async_trait]
impl<'r, T: FromForm<'r>> FromForm<'r> for WithCsrf<'r, T> {
    type Context = (Option<String>, T::Context);

    fn init(opts: form::Options) -> Self::Context {
        (None, T::init(opts))
    }

    fn push_value(ctxt: &mut Self::Context, field: ValueField<'r>) {
        if field.name.source() == CSRF_FIELD {
            ctxt.0 = Some(field.value.to_string());
        } else {
            T::push_value(&mut ctxt.1, field);
        }
    }

    async fn push_data(ctxt: &mut Self::Context, field: DataField<'r, '_>) {
        T::push_data(&mut ctxt.1, field).await;
    }

    fn finalize(ctxt: Self::Context) -> form::Result<'r, Self> {
        Ok(WithCsrf { token: ctxt.0, inner: T::finalize(ctxt.1) })
    }
}

#[rocket::async_trait]
impl<'r, T: FromForm<'r> + Send + 'r> FromData<'r> for CsrfForm<T> {
    type Error = AppError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self> {
        let parsed = match Form::<WithCsrf<'r, T>>::from_data(req, data).await {
            DataOutcome::Success(form) => form.into_inner(),
            DataOutcome::Forward(f) => return DataOutcome::Forward(f),
            DataOutcome::Error((_, errors)) => {
                return DataOutcome::Error(stash(req, form_error(&errors)))
            }
        };
        if let Err(err) = verify(req, parsed.token.as_deref()) {
            return DataOutcome::Error(stash(req, err));
        }
        match parsed.inner {
            Ok(inner) => DataOutcome::Success(CsrfForm(inner)),
            Err(errors) => DataOutcome::Error(stash(req, form_error(&errors))),
        }
    }
}

/// A form that could not be read: 413 when too large, else 422 naming each field.
fn form_error(errors: &form::Errors<'_>) -> AppError {
    if errors.iter().any(|e| e.status().code == 413) {
        return AppError::new(ErrorKind::PayloadTooLarge, "The form is too large.");
    }
    let mut fields = crate::error::FieldErrors::new();
    for e in errors.iter() {
        let name = e.name.as_ref().map(|n| n.to_string()).unwrap_or_else(|| "form".into());
        fields.entry(name).or_insert_with(|| e.kind.to_string());
    }
    AppError::validation(fields)
}

/// The body of a form whose only field is the CSRF token (a logout button, say).
pub(crate) struct NoFields;

#[rocket::async_trait]
impl<'r> FromForm<'r> for NoFields {
    type Context = ();

    fn init(_: form::Options) -> Self::Context {}

    fn push_value(_: &mut Self::Context, _: ValueField<'r>) {}

    async fn push_data(_: &mut Self::Context, _: DataField<'r, '_>) {}

    fn finalize(_: Self::Context) -> form::Result<'r, Self> {
        Ok(NoFields)
    }
}

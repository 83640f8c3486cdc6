//! Turning an `AppError` into a response: JSON under /api, an HTML page elsewhere, a redirect
//! to the login page for a page that needs a session. Internal causes go to the log with the
//! request id; clients see only the safe message.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Flash, Redirect, Responder, Response};
use rocket::{catch, Catcher};
use rocket_dyn_templates::Template;
use serde_json::json;

use super::guards::{MaybeUser, StashedError};
use super::headers::request_id;
use super::is_api_path;
use super::logging::loggable_uri;
use super::page::{context, encode_query_value, error_page_user, Site};
use crate::error::{AppError, ErrorBody, ErrorKind};

/// The JSON error body: `{"error": {"code", "message", "fields"}}`.
pub(crate) fn error_body(err: &AppError) -> serde_json::Value {
    json!(ErrorBody::of(err))
}

fn status_of(err: &AppError) -> Status {
    Status::from_code(err.status()).unwrap_or(Status::InternalServerError)
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if self.kind() == ErrorKind::Internal || self.kind() == ErrorKind::Unavailable {
            let (id, method, path) = (request_id(req), req.method(), loggable_uri(req));
            match self.cause() {
                Some(cause) => log::error!("[{id}] {method} {path}: {cause}"),
                None => log::error!("[{id}] {method} {path}: {}", self.message()),
            }
        }
        let mut response = if is_api_path(req.uri().path().as_str()) {
            let body = error_body(&self).to_string();
            Response::build()
                .status(status_of(&self))
                .header(ContentType::JSON)
                .sized_body(body.len(), Cursor::new(body))
                .finalize()
        } else if self.kind() == ErrorKind::Unauthorized {
            return login_redirect(req, &self).respond_to(req);
        } else if self.code() == "onboarding_incomplete" {
            return Flash::warning(Redirect::to("/onboarding"), self.message()).respond_to(req);
        } else {
            let template = match self.status() {
                403 => "errors/403.html",
                404 => "errors/404.html",
                500 => "errors/500.html",
                _ => "errors/error.html",
            };
            let user = error_page_user(req);
            let site = Site::from_request(req, user.as_ref());
            let page = json!({ "status": self.status(), "message": self.message() });
            let mut response =
                Template::render(template, context(&site, &page, None)).respond_to(req)?;
            response.set_status(status_of(&self));
            response
        };
        if let Some(secs) = self.retry_after() {
            response.set_header(Header::new("Retry-After", secs.to_string()));
        }
        Ok(response)
    }
}

/// 303 to `/login?next=<this page>` with a note saying why.
fn login_redirect(req: &Request<'_>, err: &AppError) -> Flash<Redirect> {
    let here = req.uri().to_string();
    let target = if req.method() == rocket::http::Method::Get && here != "/" {
        format!("/login?next={}", encode_query_value(&here))
    } else {
        "/login".to_string()
    };
    let note =
        if err.code() == "session_expired" { err.message() } else { "Please log in to continue." };
    Flash::warning(Redirect::to(target), note)
}

/// An error for a status Rocket produced itself (no route, unparsable request, ...).
fn from_status(status: Status) -> AppError {
    match status.code {
        400 => AppError::bad_request("The request could not be understood."),
        401 => AppError::unauthenticated(),
        403 => AppError::forbidden("You do not have access to this."),
        404 => AppError::not_found("We could not find what you were looking for."),
        405 => {
            AppError::new(ErrorKind::MethodNotAllowed, "This address does not answer this method.")
        }
        413 => AppError::new(ErrorKind::PayloadTooLarge, "The request is too large."),
        415 => AppError::new(
            ErrorKind::UnsupportedMediaType,
            "This content type is not accepted here.",
        ),
        422 => AppError::new(ErrorKind::Validation, "The request contains invalid data."),
        429 => AppError::rate_limited(60),
        503 => AppError::unavailable("Clubroom is temporarily unavailable."),
        _ => AppError::new(ErrorKind::Internal, "Something went wrong on our side."),
    }
}

/// How closely a mounted route's path (`/api/v1/x/<id>`, `/assets/<path..>`) matches `path`:
/// the number of literal segments it shares with it, or `None` when it does not match.
fn route_match(pattern: &str, path: &str) -> Option<usize> {
    let mut wanted = pattern.trim_matches('/').split('/');
    let mut given = path.trim_matches('/').split('/');
    let mut literal = 0;
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(literal),
            (Some(w), _) if w.starts_with('<') && w.ends_with("..>") => return Some(literal),
            (Some(w), Some(g)) if w.starts_with('<') && w.ends_with('>') && !g.is_empty() => {}
            (Some(w), Some(g)) if w == g => literal += 1,
            _ => return None,
        }
    }
}

/// The methods the API answers at this path, for a 405's `Allow` (HEAD comes with GET). Like
/// Rocket's ranking, a route naming more of the path literally (`/exchanges/mine`) hides one
/// with a parameter there (`/exchanges/<id>`).
fn allowed_methods(req: &Request<'_>) -> Vec<String> {
    let path = req.uri().path().to_string();
    let matching: Vec<(usize, String)> = req
        .rocket()
        .routes()
        .filter_map(|route| {
            route_match(route.uri.path(), &path)
                .map(|literal| (literal, route.method.as_str().to_string()))
        })
        .collect();
    let best = matching.iter().map(|(literal, _)| *literal).max();
    let mut methods: Vec<String> =
        matching.into_iter().filter(|(l, _)| Some(*l) == best).map(|(_, m)| m).collect();
    if methods.iter().any(|m| m == "GET") {
        methods.push("HEAD".into());
    }
    methods.sort();
    methods.dedup();
    methods
}

/// What a catcher answers: an error, or a 405 saying which methods the address has.
#[derive(rocket::Responder)]
enum Caught {
    Error(AppError),
    NotAllowed(AppError, Header<'static>),
}

/// Every error status ends here: the error a guard stashed, or one made from the status. An
/// API address that exists but not for this method is a 405 with `Allow`, not a 404 or 422.
#[catch(default)]
async fn default_catcher(status: Status, req: &Request<'_>) -> Caught {
    let stashed = StashedError::take(req);
    let api = is_api_path(req.uri().path().as_str());
    // No route at all (404), or only routes whose typed parameter could not read this
    // segment (422: `GET /admin/members/import` against `/admin/members/<id>`).
    let unrouted = status == Status::NotFound || status == Status::UnprocessableEntity;
    if stashed.is_none() && api && unrouted {
        let allowed = allowed_methods(req);
        if !allowed.is_empty() && !allowed.iter().any(|m| m == req.method().as_str()) {
            let err = AppError::new(
                ErrorKind::MethodNotAllowed,
                format!(
                    "This address does not answer {}; it answers {}.",
                    req.method(),
                    allowed.join(", ")
                ),
            );
            return Caught::NotAllowed(err, Header::new("Allow", allowed.join(", ")));
        }
    }
    let err = stashed.unwrap_or_else(|| from_status(status));
    if !api && err.kind() != ErrorKind::Unavailable {
        // Resolve the user so the error page shows the right navigation.
        let _ = req.guard::<MaybeUser>().await;
    }
    Caught::Error(err)
}

pub(crate) fn catchers() -> Vec<Catcher> {
    rocket::catchers![default_catcher]
}

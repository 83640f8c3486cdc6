//! Page rendering: every template gets the `site` context (club name, signed-in user, CSRF
//! token, flash message) next to the page's own data, and form pages can be re-rendered with
//! field errors.

use rocket::http::Status;
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket::response::{Flash, Redirect};
use rocket::Responder;
use rocket_dyn_templates::Template;
use serde::Serialize;
use serde_json::{Map, Value};

use super::csrf::token_for;
use super::guards::{peek_user, MaybeUser};
use crate::accounts::model::AuthUser;
use crate::error::AppError;
use crate::settings::SiteInfo;

/// Appended to asset URLs so a new release is never served stale CSS.
pub(crate) const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The signed-in user as the navigation shows them.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NavUser {
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub is_admin: bool,
    /// May use the organizer's part of the admin area (gift exchanges, activity types); admins
    /// too.
    pub is_organizer: bool,
    /// May use the member area (active, more than a guest).
    pub is_member: bool,
    /// Coaches (and admins) see the members they coach.
    pub is_coach: bool,
    /// Still joining: the navigation leads to the onboarding wizard.
    pub onboarding: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FlashView {
    pub kind: String,
    pub message: String,
}

/// What every page template can use as `site.*`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Site {
    pub club_name: String,
    /// The club's short description and contact address (the footer shows them); may be empty.
    pub club_description: String,
    pub contact_email: String,
    pub user: Option<NavUser>,
    pub csrf_token: String,
    pub flash: Option<FlashView>,
    pub asset_version: &'static str,
}

impl Site {
    /// Builds the context synchronously from what the request already knows (error pages).
    pub(crate) fn from_request(req: &Request<'_>, user: Option<&AuthUser>) -> Site {
        let club_name = req
            .rocket()
            .state::<SiteInfo>()
            .map(|s| s.club_name())
            .unwrap_or_else(|| crate::settings::DEFAULT_CLUB_NAME.to_string());
        let public = req.rocket().state::<SiteInfo>().map(|s| s.public()).unwrap_or_default();
        Site {
            club_name,
            club_description: public.description,
            contact_email: public.contact_email,
            user: user.map(|u| NavUser {
                user_id: u.user_id,
                username: u.username.clone(),
                name: u.name().to_string(),
                is_admin: u.is_admin(),
                is_organizer: u.is_organizer(),
                is_member: u.is_active_member(),
                is_coach: u.is_active_member() && u.has_role(crate::accounts::model::Role::Coach),
                onboarding: !u.is_active_member()
                    && !u.is_guest_only()
                    && u.status != crate::accounts::model::UserStatus::Disabled,
            }),
            csrf_token: token_for(req),
            flash: None,
            asset_version: ASSET_VERSION,
        }
    }
}

/// Request guard for page handlers: the site context for this request.
pub(crate) struct Shell {
    pub site: Site,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Shell {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, AppError> {
        let user = match req.guard::<MaybeUser>().await {
            Outcome::Success(MaybeUser(user)) => user,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(s) => return Outcome::Forward(s),
        };
        let mut site = Site::from_request(req, user.as_ref());
        if let Outcome::Success(flash) = req.guard::<FlashMessage<'_>>().await {
            site.flash = Some(FlashView {
                kind: flash.kind().to_string(),
                message: flash.message().to_string(),
            });
        }
        Outcome::Success(Shell { site })
    }
}

/// The template context: the page's fields at the top level, plus `site`, `errors` (field ->
/// message, always present) and `error` (a message for the whole form, or null).
pub(crate) fn context(site: &Site, page: &impl Serialize, err: Option<&AppError>) -> Value {
    let mut map = match serde_json::to_value(page) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    map.insert("site".into(), serde_json::to_value(site).unwrap_or(Value::Null));
    let fields = err.map(|e| e.fields().clone()).unwrap_or_default();
    map.insert("errors".into(), serde_json::to_value(&fields).unwrap_or(Value::Null));
    let message = err
        .filter(|e| e.fields().is_empty() || e.fields().len() > 1)
        .map(|e| e.message().to_string());
    map.insert("error".into(), message.map(Value::String).unwrap_or(Value::Null));
    Value::Object(map)
}

impl Shell {
    /// Renders template `name` (e.g. `members/home.html`) with `page`.
    pub(crate) fn render(&self, name: &'static str, page: &impl Serialize) -> Template {
        Template::render(name, context(&self.site, page, None))
    }

    /// Re-renders a form after `err` when it is something the person can fix (invalid field,
    /// conflict, wrong password, too many attempts), with the error's status. Any other error
    /// is returned for the error page.
    pub(crate) fn form_error(
        &self,
        name: &'static str,
        page: &impl Serialize,
        err: AppError,
    ) -> Result<(Status, Template), AppError> {
        if !err.is_form_error() {
            return Err(err);
        }
        let status = Status::from_code(err.status()).unwrap_or(Status::UnprocessableEntity);
        Ok((status, Template::render(name, context(&self.site, page, Some(&err)))))
    }
}

/// What a page handler answers: a page (possibly a form shown again with its errors and
/// status), or a redirect (with a flash message after a successful form).
#[derive(Responder)]
pub(crate) enum PageResponse {
    Page(Box<(Status, Template)>),
    Redirect(Box<Redirect>),
    Done(Box<Flash<Redirect>>),
}

impl PageResponse {
    pub(crate) fn page(template: Template) -> Self {
        PageResponse::Page(Box::new((Status::Ok, template)))
    }

    pub(crate) fn redirect(to: impl Into<String>) -> Self {
        PageResponse::Redirect(Box::new(Redirect::to(to.into())))
    }

    /// 303 to `to` with a success message shown on the next page.
    pub(crate) fn done(to: impl Into<String>, message: &str) -> Self {
        PageResponse::Done(Box::new(Flash::success(Redirect::to(to.into()), message)))
    }
}

impl From<(Status, Template)> for PageResponse {
    fn from(page: (Status, Template)) -> Self {
        PageResponse::Page(Box::new(page))
    }
}

/// The local path to continue to after login: only same-site paths, never `//host` or
/// `/\host` (which browsers treat as other sites), so the login page is no open redirect.
pub(crate) fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 512
        && next.bytes().all(|b| b.is_ascii_graphic() && !b"\\\"<>`{}|^".contains(&b))
        && rocket::http::uri::Origin::parse(next).is_ok();
    ok.then(|| next.to_string())
}

/// Percent-encodes a path for use as a query value.
pub(crate) fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The user shown in an error page's navigation.
pub(crate) fn error_page_user(req: &Request<'_>) -> Option<AuthUser> {
    peek_user(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/home")).as_deref(), Some("/home"));
        assert_eq!(safe_next(Some("/admin?tab=1")).as_deref(), Some("/admin?tab=1"));
        assert_eq!(safe_next(Some("//evil.example")), None);
        assert_eq!(safe_next(Some("/\\evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example")), None);
        assert_eq!(safe_next(Some("/a\nb")), None);
        assert_eq!(safe_next(Some("/a b")), None, "not a valid URI: the redirect would fail");
        assert_eq!(safe_next(Some("/caf\u{e9}")), None);
        assert_eq!(safe_next(Some("/a\"b")), None);
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode_query_value("/admin?x=1&y"), "/admin%3Fx%3D1%26y");
    }
}

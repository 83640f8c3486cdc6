//! Fairings that give every response a request id and the security headers, and the header
//! that keeps a shared page out of search engines.

use std::sync::atomic::{AtomicU64, Ordering};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Cookie, Header, SameSite};
use rocket::{Data, Request, Responder, Response};

/// This request's id (also sent back as `X-Request-Id` and written next to logged errors).
pub(crate) struct RequestId(pub String);

pub(crate) fn request_id(req: &Request<'_>) -> String {
    request_id_ref(req).to_string()
}

/// The request id, borrowed for as long as the request lives.
fn request_id_ref<'r>(req: &'r Request<'_>) -> &'r str {
    &req.local_cache(|| RequestId(String::from("-"))).0
}

pub(crate) struct SecurityHeaders {
    pub hsts: bool,
    prefix: String,
    counter: AtomicU64,
}

impl SecurityHeaders {
    pub(crate) fn new(hsts: bool) -> Self {
        let prefix = crate::crypto::random_hex(4);
        SecurityHeaders { hsts, prefix, counter: AtomicU64::new(0) }
    }
}

/// No inline script or style, nothing from other origins, no framing.
pub(crate) const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info { name: "Request id and security headers", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        req.local_cache(|| RequestId(format!("{}-{n}", self.prefix)));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new("X-Request-Id", request_id_ref(req)));
        res.set_header(Header::new("Content-Security-Policy", CSP));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "same-origin"));
        res.set_header(Header::new("Cross-Origin-Opener-Policy", "same-origin"));
        res.set_header(Header::new(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ));
        if self.hsts {
            res.set_header(Header::new("Strict-Transport-Security", "max-age=31536000"));
        }
        if !res.headers().contains("Cache-Control") {
            // Pages and API answers are personal; only assets opt into caching.
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
        harden_flash_cookie(res, self.hsts);
    }
}

/// Rocket builds the cookie that carries a flash message itself: readable by scripts,
/// `SameSite=Strict` and never `Secure` without Rocket's own TLS. It gets the attributes of
/// every Clubroom cookie instead (see `web::cookie`); `secure` when the base URL is https.
fn harden_flash_cookie(res: &mut Response<'_>, secure: bool) {
    let is_flash = |c: &str| c.starts_with(FLASH_COOKIE);
    let cookies: Vec<String> = res.headers().get("Set-Cookie").map(str::to_string).collect();
    if !cookies.iter().any(|c| is_flash(c)) {
        return;
    }
    res.remove_header("Set-Cookie");
    for header in cookies {
        let header = match Cookie::parse(header.as_str()) {
            Ok(mut flash) if is_flash(&header) => {
                flash.set_http_only(true);
                flash.set_same_site(SameSite::Lax);
                flash.set_secure(secure);
                flash.to_string()
            }
            _ => header,
        };
        res.adjoin_header(Header::new("Set-Cookie", header));
    }
}

/// The name Rocket gives the flash cookie, with the `=` that follows it in `Set-Cookie`.
const FLASH_COOKIE: &str = "_flash=";

/// A response search engines are asked to keep out of their index: shared cards are meant for
/// the people a member hands the link to.
#[derive(Responder)]
pub(crate) struct NoIndex<T> {
    inner: T,
    robots: Header<'static>,
}

impl<T> NoIndex<T> {
    pub(crate) fn new(inner: T) -> Self {
        NoIndex { inner, robots: Header::new("X-Robots-Tag", "noindex") }
    }
}

//! The server's log. Clubroom installs its own logger before Rocket's, so every line, Rocket's
//! included, passes here: secrets that travel in links (setup, invitation, reset, sign-in, card
//! and calendar links) are blanked and query values hidden, at every level. Rocket's records
//! that dump a whole request (headers with cookies and tokens, form fields with passwords) are
//! never printed, and at `normal` Rocket's own lines about each request give way to one line
//! of Clubroom's: method, path (blanked), status and time.

use std::borrow::Cow;
use std::io::Write;
use std::time::Instant;

use log::{Level, LevelFilter, Metadata, Record};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

/// Path segments that precede a secret: `/reset/<token>`, `/calendar/<token>.ics`, ... (also
/// under `/api/v1/` and behind a path prefix).
const TOKEN_PATHS: &[&str] = &[
    "/setup/",
    "/set-password/",
    "/join/",
    "/reset/",
    "/auth/magic/",
    "/auth/invites/",
    "/cards/",
    "/calendar/",
];

/// What stands for a blanked path segment and a hidden query value.
const TOKEN: &str = "[token]";
const HIDDEN: &str = "[hidden]";

/// Where a path segment or a query value ends, in a URI or in the text around it.
fn ends_value(c: char) -> bool {
    matches!(c, '/' | '?' | '#' | '&' | '"' | '\'' | '<' | '>' | '`' | '\\')
        || c.is_whitespace()
        || c.is_control()
}

/// `text` with the secret of every link in it blanked (`/reset/[token]`) and every query value
/// hidden (`?token=[hidden]`): for URIs and for any log line that may quote one.
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    let needs = text.contains('?') || TOKEN_PATHS.iter().any(|p| text.contains(p));
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(prefix) = TOKEN_PATHS.iter().find(|p| rest.starts_with(*p)) {
            out.push_str(prefix);
            rest = &rest[prefix.len()..];
            let end = rest.find(ends_value).unwrap_or(rest.len());
            if end > 0 {
                out.push_str(TOKEN);
            }
            rest = &rest[end..];
        } else if let Some(query) = rest.strip_prefix('?') {
            out.push('?');
            rest = hide_values(query, &mut out);
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
        }
    }
    Cow::Owned(out)
}

/// Copies the query at the start of `query` to `out` with each value hidden; returns what
/// follows it.
fn hide_values<'t>(query: &'t str, out: &mut String) -> &'t str {
    let mut rest = query;
    loop {
        let name_end = rest.find(|c: char| c == '=' || (c != '&' && ends_value(c)));
        let Some(at) = name_end.filter(|&i| rest[i..].starts_with('=')) else {
            // A name without a value (or the end of the query): kept as it is.
            let end = rest.find(|c: char| c != '&' && ends_value(c)).unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            return &rest[end..];
        };
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let value_end = rest.find(ends_value).unwrap_or(rest.len());
        if value_end > 0 {
            out.push_str(HIDDEN);
        }
        rest = &rest[value_end..];
        match rest.strip_prefix('&') {
            Some(next) => {
                out.push('&');
                rest = next;
            }
            None => return rest,
        }
    }
}

/// The logger: Rocket's format (`Error: `, `Warning: `, `   >> ` for indented lines), on
/// standard output, every line redacted.
struct ServerLog {
    level: LevelFilter,
}

/// Module paths of libraries that log only for debugging.
const DEBUG_ONLY: &[&str] = &["hyper", "rustls", "r2d2"];

impl ServerLog {
    fn shows(&self, record: &Record<'_>) -> bool {
        let module = record.module_path().unwrap_or("");
        let debugging = self.level >= LevelFilter::Debug;
        if record.target().starts_with("rocket::launch") {
            // Rocket's start-up summary, shown as Rocket shows it: at every level but off.
            return self.level > LevelFilter::Off;
        }
        if record.level() > self.level {
            return false;
        }
        if module.starts_with("rocket") && record.level() >= Level::Debug {
            // Whole requests and responses (headers with cookies and tokens), form fields
            // (passwords) and flash cookies: never.
            return false;
        }
        if module.starts_with("rocket::server") && record.level() == Level::Info && !debugging {
            // Rocket's lines about each request: Clubroom's request line says it once.
            return false;
        }
        debugging || !DEBUG_ONLY.iter().any(|m| module.starts_with(m))
    }
}

impl log::Log for ServerLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level || metadata.target().starts_with("rocket::launch")
    }

    fn log(&self, record: &Record<'_>) {
        if !self.shows(record) {
            return;
        }
        let message = record.args().to_string();
        let message = redact(&message);
        let indented = record.target().ends_with('_');
        let prefix = match record.level() {
            _ if record.target().starts_with("rocket::launch") => "",
            Level::Error if !indented => "Error: ",
            Level::Warn if !indented => "Warning: ",
            _ => "",
        };
        let indent = if indented { "   >> " } else { "" };
        let mut out = std::io::stdout().lock();
        // A log line that cannot be written (stdout closed) is not worth failing a request.
        let _ = writeln!(out, "{indent}{prefix}{message}");
    }

    fn flush(&self) {
        let _ = std::io::stdout().flush();
    }
}

/// The level a configured `log_level` shows: `critical` is warnings and errors, `normal` adds
/// a line per request, `debug` everything.
fn level_of(log_level: &str) -> LevelFilter {
    match log_level {
        "off" => LevelFilter::Off,
        "normal" => LevelFilter::Info,
        "debug" => LevelFilter::Trace,
        _ => LevelFilter::Warn,
    }
}

/// Installs the server's logger. Must run before the Rocket instance is built: Rocket installs
/// its own (which prints request lines unredacted) only when no logger is there yet.
pub(crate) fn install(log_level: &str) {
    let level = level_of(log_level);
    if log::set_boxed_logger(Box::new(ServerLog { level })).is_ok() {
        log::set_max_level(level);
    }
}

/// When the request came in, for the request line.
struct Started(Instant);

/// Writes one line per request at `normal`: `GET /reset/[token] 200 3ms [id]`.
pub(crate) struct RequestLog;

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info { name: "Request log", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        if !log::log_enabled!(target: "clubroom::request", Level::Info) {
            return;
        }
        let took = req.local_cache(|| Started(Instant::now())).0.elapsed();
        log::info!(
            target: "clubroom::request",
            "{} {} {} {}ms [{}]",
            req.method(),
            loggable_uri(req),
            res.status().code,
            took.as_millis(),
            super::headers::request_id(req),
        );
    }
}

/// The request's URI as it may be logged: secrets blanked, query values hidden.
pub(crate) fn loggable_uri(req: &Request<'_>) -> String {
    redact(&req.uri().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{loggable_uri, redact};
    use rocket::local::blocking::Client;

    #[test]
    fn a_request_is_logged_with_its_secrets_blanked() {
        let client = Client::debug_with(vec![]).unwrap();
        for (path, logged) in [
            ("/reset/SECRET", "/reset/[token]"),
            ("/join/SECRET?x=1", "/join/[token]?x=[hidden]"),
            ("/home", "/home"),
        ] {
            let req = client.get(path);
            assert_eq!(loggable_uri(req.inner()), logged);
        }
    }

    #[test]
    fn the_secret_of_every_link_is_blanked_wherever_it_appears() {
        for (text, logged) in [
            ("/reset/SECRET", "/reset/[token]"),
            ("/auth/magic/SECRET", "/auth/magic/[token]"),
            ("/api/v1/auth/invites/SECRET", "/api/v1/auth/invites/[token]"),
            ("/api/v1/cards/0b1c-SECRET", "/api/v1/cards/[token]"),
            ("/calendar/SECRET.ics", "/calendar/[token]"),
            ("/set-password/SECRET/more", "/set-password/[token]/more"),
            (
                "   >> No matching routes for PATCH /calendar/SECRET.ics.",
                "   >> No matching routes for PATCH /calendar/[token]",
            ),
            (
                "GET \u{1b}[34m/join/SECRET\u{1b}[0m text/html",
                "GET \u{1b}[34m/join/[token]\u{1b}[0m text/html",
            ),
            ("uri: \"/setup/SECRET\"", "uri: \"/setup/[token]\""),
            ("/home", "/home"),
            ("/members/ann", "/members/ann"),
        ] {
            assert_eq!(redact(text), logged, "{text}");
        }
    }

    #[test]
    fn query_values_are_hidden_and_their_names_kept() {
        for (text, logged) in [
            ("/exchange/access?token=SECRET", "/exchange/access?token=[hidden]"),
            (
                "GET /cards/SECRET?utm=mail&x=1 404",
                "GET /cards/[token]?utm=[hidden]&x=[hidden] 404",
            ),
            ("/login?next", "/login?next"),
            ("/a?x=&y=SECRET#top", "/a?x=&y=[hidden]#top"),
            ("Are you sure? Yes.", "Are you sure? Yes."),
        ] {
            assert_eq!(redact(text), logged, "{text}");
        }
    }
}

//! The public landing page.

use rocket::{get, routes, Route};
use serde::Serialize;

use super::page::{PageResponse, Shell};

#[derive(Serialize)]
struct Landing {}

/// The club's front door: its name and a way in. Signed-in people go straight to their home.
#[get("/")]
fn landing(shell: Shell) -> PageResponse {
    if shell.site.user.is_some() {
        return PageResponse::redirect("/home");
    }
    PageResponse::page(shell.render("site/landing.html", &Landing {}))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![landing]
}

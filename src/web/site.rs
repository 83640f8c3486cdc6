//! The public landing page.

use rocket::response::Redirect;
use rocket::{get, routes, Route};
use rocket_dyn_templates::Template;
use serde::Serialize;

use super::page::Shell;

#[derive(Serialize)]
struct Landing {}

/// The club's front door: its name and a way in. Signed-in people go straight to their home.
#[get("/")]
fn landing(shell: Shell) -> Result<Template, Redirect> {
    if shell.site.user.is_some() {
        return Err(Redirect::to("/home"));
    }
    Ok(shell.render("site/landing.html", &Landing {}))
}

pub fn routes() -> Vec<Route> {
    routes![landing]
}

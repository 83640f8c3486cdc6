//! Member pages.

use rocket::{get, routes, Route};
use rocket_dyn_templates::Template;

use super::views::HomeView;
use crate::web::guards::CurrentUser;
use crate::web::page::Shell;

/// The member home, where a signed-in person lands.
#[get("/home")]
fn home(user: CurrentUser, shell: Shell) -> Template {
    shell.render("members/home.html", &HomeView::of(&user.0))
}

pub fn routes() -> Vec<Route> {
    routes![home]
}

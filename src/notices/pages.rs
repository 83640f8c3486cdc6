//! HTML pages.

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![]
}

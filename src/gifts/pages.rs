//! HTML pages: admin screens, the public registration page, the participant dashboard.

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![]
}

//! The WebSocket endpoint.

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![]
}

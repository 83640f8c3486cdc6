//! JSON endpoints under /api/v1/exchanges.

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![]
}

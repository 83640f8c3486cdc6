//! The schedule settings of gift exchanges: the admins' notification preferences (club-wide,
//! with per-exchange overrides) and each exchange's reminder days, through the JSON API and the
//! admin pages.

pub mod api;
pub mod input;
pub mod pages;
pub mod service;
pub mod views;

/// JSON endpoints, mounted under `/api/v1`.
pub fn api_routes() -> Vec<rocket::Route> {
    api::routes()
}

/// Admin pages, mounted at `/`.
pub fn page_routes() -> Vec<rocket::Route> {
    pages::routes()
}

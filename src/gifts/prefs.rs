//! The schedule settings of gift exchanges: the admins' notification preferences (club-wide,
//! with per-exchange overrides) and each exchange's reminder days, through the JSON API and the
//! admin pages.

pub(crate) mod api;
pub(crate) mod input;
pub(crate) mod pages;
pub(crate) mod service;
pub(crate) mod views;

/// JSON endpoints, mounted under `/api/v1`.
pub(crate) fn api_routes() -> Vec<rocket::Route> {
    api::routes()
}

/// Admin pages, mounted at `/`.
pub(crate) fn page_routes() -> Vec<rocket::Route> {
    pages::routes()
}

//! Embedded static files at `/assets/<path..>`, with content type, ETag and caching headers.

use std::path::PathBuf;

use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::{get, routes, Route};

use crate::embedded::Assets;

pub(crate) struct Asset {
    data: std::borrow::Cow<'static, [u8]>,
    content_type: ContentType,
    etag: String,
    not_modified: bool,
}

impl<'r> Responder<'r, 'static> for Asset {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut builder = Response::build();
        builder
            .header(Header::new("ETag", self.etag))
            .header(Header::new("Cache-Control", "public, max-age=86400"));
        if self.not_modified {
            builder.status(Status::NotModified);
        } else {
            let len = self.data.len();
            builder.header(self.content_type).sized_body(len, std::io::Cursor::new(self.data));
        }
        builder.ok()
    }
}

/// The `If-None-Match` request header, if any.
pub(crate) struct IfNoneMatch(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfNoneMatch {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(IfNoneMatch(req.headers().get_one("If-None-Match").map(str::to_string)))
    }
}

/// Looks up an embedded asset; None when there is no such file.
pub(crate) fn asset(path: &str, if_none_match: Option<&str>) -> Option<Asset> {
    let file = Assets::get(path)?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let extension = path.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
    let content_type = ContentType::from_extension(extension).unwrap_or(ContentType::Binary);
    let not_modified = if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    Some(Asset { data: file.data, content_type, etag, not_modified })
}

#[get("/assets/<path..>")]
fn asset_route(path: PathBuf, inm: IfNoneMatch) -> Option<Asset> {
    let path = path.to_str()?.replace('\\', "/");
    asset(&path, inm.0.as_deref())
}

#[get("/favicon.ico")]
fn favicon(inm: IfNoneMatch) -> Option<Asset> {
    asset("img/favicon.svg", inm.0.as_deref())
}

pub(crate) fn routes() -> Vec<Route> {
    routes![asset_route, favicon]
}

//! JSON API of the member card: the member's own card under `/api/v1/card`, a shared card
//! under `/api/v1/cards/{token}`.

use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Route};
use serde_json::{json, Value};

use super::input::ContactPreferenceInput;
use super::service;
use super::views::{Card, ContactPreferenceView, OwnCard, Shared};
use crate::error::AppError;
use crate::web::guards::{ActiveMember, App};
use crate::web::headers::NoIndex;
use crate::web::json::JsonBody;

#[get("/card")]
async fn own(member: ActiveMember, app: App) -> Result<Json<OwnCard>, AppError> {
    let actor = member.actor();
    Ok(Json(app.read(move |tx, ctx| service::own_card(tx, ctx, &actor)).await?))
}

/// The same token on every call until it is revoked.
#[post("/card/share")]
async fn share(member: ActiveMember, app: App) -> Result<Json<Shared>, AppError> {
    let actor = member.actor();
    Ok(Json(app.write(move |tx, ctx| service::share(tx, ctx, &actor)).await?))
}

#[delete("/card/share")]
async fn revoke(member: ActiveMember, app: App) -> Result<Json<Value>, AppError> {
    let actor = member.actor();
    app.write(move |tx, ctx| service::revoke(tx, ctx, &actor)).await?;
    Ok(Json(json!({ "status": "ok" })))
}

#[put("/card/contact-preference", data = "<input>")]
async fn contact_preference(
    member: ActiveMember,
    input: JsonBody<ContactPreferenceInput>,
    app: App,
) -> Result<Json<ContactPreferenceView>, AppError> {
    let (actor, value) = (member.actor(), input.into_inner().contact_preference);
    let view =
        app.write(move |tx, ctx| service::set_contact_preference(tx, ctx, &actor, value)).await?;
    Ok(Json(view))
}

/// A shared card, for anyone with its link.
#[get("/cards/<token>")]
async fn public(token: &str, app: App) -> Result<NoIndex<Json<Card>>, AppError> {
    let token = token.to_string();
    let card = app.read(move |tx, ctx| service::public_card(tx, ctx, &token)).await?;
    Ok(NoIndex::new(Json(card)))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![own, share, revoke, contact_preference, public]
}

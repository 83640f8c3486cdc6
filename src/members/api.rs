//! JSON API of membership: onboarding and the agreement, the member's own profile, the
//! directory, and the club's fields and agreement as admins set them up.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Route};

use super::club_setup;
use super::input::{AgreementInput, DirectoryQuery, FieldInput, ProfileInput, SignInput};
use super::model::ProfileField;
use super::service;
use super::views::{AgreementAdminView, DirectoryList, OnboardingView, ProfileView};
use crate::error::AppError;
use crate::web::guards::{ActiveMember, AdminUser, App, Client, CurrentUser};
use crate::web::json::JsonBody;

#[get("/onboarding")]
async fn onboarding(user: CurrentUser, app: App) -> Result<Json<OnboardingView>, AppError> {
    Ok(Json(app.read(move |tx, _| service::onboarding(tx, &user.0)).await?))
}

#[put("/onboarding", data = "<input>")]
async fn complete(
    user: CurrentUser,
    input: JsonBody<ProfileInput>,
    app: App,
) -> Result<Json<OnboardingView>, AppError> {
    let input = input.into_inner();
    let view =
        app.write(move |tx, ctx| service::complete_onboarding(tx, ctx, &user.0, input)).await?;
    Ok(Json(view))
}

#[post("/onboarding/agreement", data = "<input>")]
async fn sign(
    user: CurrentUser,
    input: JsonBody<SignInput>,
    client: Client,
    app: App,
) -> Result<Json<OnboardingView>, AppError> {
    let (input, ip) = (input.into_inner(), client.0.ip);
    let view = app
        .write(move |tx, ctx| service::sign_agreement(tx, ctx, &user.0, input, ip.as_deref()))
        .await?;
    Ok(Json(view))
}

#[get("/me")]
async fn me(user: ActiveMember, app: App) -> Result<Json<ProfileView>, AppError> {
    Ok(Json(app.read(move |tx, _| service::me(tx, &user.0)).await?))
}

#[put("/me", data = "<input>")]
async fn update_me(
    user: ActiveMember,
    input: JsonBody<ProfileInput>,
    app: App,
) -> Result<Json<ProfileView>, AppError> {
    let input = input.into_inner();
    Ok(Json(app.write(move |tx, ctx| service::update_me(tx, ctx, &user.0, input)).await?))
}

/// `GET /api/v1/directory?q=&page=&per_page=`: a page of the directory (50 unless asked).
#[get("/directory?<query..>")]
async fn directory(
    _user: ActiveMember,
    query: DirectoryQuery,
    app: App,
) -> Result<Json<DirectoryList>, AppError> {
    let generation = app.db.auth_changes().current();
    Ok(Json(app.read(move |tx, ctx| service::directory(tx, ctx, generation, &query)).await?))
}

// ----- admin -----

#[get("/admin/profile-fields")]
async fn fields(admin: AdminUser, app: App) -> Result<Json<Vec<ProfileField>>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, _| club_setup::fields(tx, &actor)).await?))
}

#[post("/admin/profile-fields", data = "<input>")]
async fn add_field(
    admin: AdminUser,
    input: JsonBody<FieldInput>,
    app: App,
) -> Result<(Status, Json<ProfileField>), AppError> {
    let (actor, input) = (admin.actor(), input.into_inner());
    let field =
        app.write(move |tx, ctx| club_setup::save_field(tx, ctx, &actor, None, input)).await?;
    Ok((Status::Created, Json(field)))
}

#[put("/admin/profile-fields/<id>", data = "<input>")]
async fn change_field(
    admin: AdminUser,
    id: i64,
    input: JsonBody<FieldInput>,
    app: App,
) -> Result<Json<ProfileField>, AppError> {
    let (actor, input) = (admin.actor(), input.into_inner());
    Ok(Json(
        app.write(move |tx, ctx| club_setup::save_field(tx, ctx, &actor, Some(id), input)).await?,
    ))
}

#[delete("/admin/profile-fields/<id>")]
async fn delete_field(admin: AdminUser, id: i64, app: App) -> Result<Status, AppError> {
    let actor = admin.actor();
    app.write(move |tx, ctx| club_setup::delete_field(tx, ctx, &actor, id)).await?;
    Ok(Status::NoContent)
}

#[get("/admin/agreement")]
async fn agreement(admin: AdminUser, app: App) -> Result<Json<AgreementAdminView>, AppError> {
    let actor = admin.actor();
    Ok(Json(app.read(move |tx, _| club_setup::agreement(tx, &actor)).await?))
}

#[put("/admin/agreement", data = "<input>")]
async fn publish_agreement(
    admin: AdminUser,
    input: JsonBody<AgreementInput>,
    app: App,
) -> Result<(Status, Json<AgreementAdminView>), AppError> {
    let (actor, input) = (admin.actor(), input.into_inner());
    let view =
        app.write(move |tx, ctx| club_setup::publish_agreement(tx, ctx, &actor, input)).await?;
    Ok((Status::Created, Json(view)))
}

#[delete("/admin/agreement")]
async fn retire_agreement(
    admin: AdminUser,
    app: App,
) -> Result<Json<AgreementAdminView>, AppError> {
    let actor = admin.actor();
    let view = app.write(move |tx, ctx| club_setup::retire_agreement(tx, ctx, &actor)).await?;
    Ok(Json(view))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        onboarding,
        complete,
        sign,
        me,
        update_me,
        directory,
        fields,
        add_field,
        change_field,
        delete_field,
        agreement,
        publish_agreement,
        retire_agreement
    ]
}

//! Member pages: home, the onboarding wizard, the profile, the directory, and the admin's club
//! fields and agreement screens.

use rocket::{get, post, routes, Route};
use rocket_dyn_templates::Template;

use super::club_setup;
use super::input::{
    AgreementInput, Answer, DirectoryQuery, FieldForm, FieldInput, ProfileInput, SignInput,
};
use super::model::FieldKind;
use super::repo;
use super::service;
use super::views::{
    AgreementPage, CoachView, DirectoryPage, FieldFormView, FieldsPage, HomeView, OnboardingPage,
    ProfileChoices, ProfileForm, ProfilePage,
};
use crate::accounts::model::{AuthUser, UserStatus};
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{ActiveMember, AdminUser, App, Client, CurrentUser};
use crate::web::page::{PageResponse, Shell};

/// The member home, where a signed-in person lands.
#[get("/home")]
async fn home(user: CurrentUser, shell: Shell, app: App) -> Result<Template, AppError> {
    let id = user.0.user_id;
    let outdated = if user.0.is_active_member() {
        app.read(move |tx, _| service::needs_signature(tx, id)).await?
    } else {
        false
    };
    Ok(shell.render("members/home.html", &HomeView::of(&user.0, outdated)))
}

fn choices(conn: &rusqlite::Connection) -> Result<ProfileChoices, AppError> {
    Ok(ProfileChoices {
        coaches: repo::coaches(conn)?
            .into_iter()
            .map(|(id, name)| CoachView { id, name })
            .collect(),
        timezones: chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect(),
    })
}

const ONBOARDING: &str = "members/onboarding.html";

async fn onboarding_page(
    app: &App,
    user: &AuthUser,
    typed: Option<&ProfileInput>,
    full_name: Option<String>,
) -> Result<OnboardingPage, AppError> {
    let user = user.clone();
    let mut page = app
        .read(move |tx, _| {
            let onboarding = service::onboarding(tx, &user)?;
            Ok(OnboardingPage {
                form: ProfileForm::of(&onboarding.profile),
                full_name: onboarding.profile.name.clone(),
                onboarding,
                choices: choices(tx)?,
            })
        })
        .await?;
    if let Some(typed) = typed {
        page.form = page.form.typed(typed);
    }
    if let Some(name) = full_name {
        page.full_name = name;
    }
    Ok(page)
}

#[get("/onboarding")]
async fn onboarding(user: CurrentUser, shell: Shell, app: App) -> Result<Template, AppError> {
    let page = onboarding_page(&app, &user.0, None, None).await?;
    Ok(shell.render(ONBOARDING, &page))
}

/// Where a member goes after a step: the member area once they are in.
fn after_step(status: UserStatus, message: &str) -> PageResponse {
    if status == UserStatus::Active {
        PageResponse::done("/home", message)
    } else {
        PageResponse::done("/onboarding", message)
    }
}

#[post("/onboarding/profile", data = "<form>")]
async fn onboarding_profile(
    user: CurrentUser,
    form: CsrfForm<ProfileInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let typed = input.clone();
    let who = user.0.clone();
    match app.write(move |tx, ctx| service::complete_onboarding(tx, ctx, &who, input)).await {
        Ok(view) => Ok(after_step(view.status, "Your profile is saved.")),
        Err(err) => {
            let page = onboarding_page(&app, &user.0, Some(&typed), None).await?;
            shell.form_error(ONBOARDING, &page, err).map(PageResponse::from)
        }
    }
}

#[post("/onboarding/agreement", data = "<form>")]
async fn onboarding_agreement(
    user: CurrentUser,
    form: CsrfForm<SignInput>,
    client: Client,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let full_name = input.full_name.clone();
    let (who, ip) = (user.0.clone(), client.0.ip);
    let signed = app
        .write(move |tx, ctx| service::sign_agreement(tx, ctx, &who, input, ip.as_deref()))
        .await;
    match signed {
        Ok(view) => Ok(after_step(view.status, "Thank you for signing the agreement.")),
        Err(err) => {
            let page = onboarding_page(&app, &user.0, None, Some(full_name)).await?;
            shell.form_error(ONBOARDING, &page, err).map(PageResponse::from)
        }
    }
}

const PROFILE: &str = "members/profile.html";

async fn profile_page(
    app: &App,
    user: &AuthUser,
    typed: Option<&ProfileInput>,
) -> Result<ProfilePage, AppError> {
    let user = user.clone();
    let mut page = app
        .read(move |tx, _| {
            let profile = service::me(tx, &user)?;
            Ok(ProfilePage { form: ProfileForm::of(&profile), profile, choices: choices(tx)? })
        })
        .await?;
    if let Some(typed) = typed {
        page.form = page.form.typed(typed);
    }
    Ok(page)
}

#[get("/profile")]
async fn profile(user: ActiveMember, shell: Shell, app: App) -> Result<Template, AppError> {
    Ok(shell.render(PROFILE, &profile_page(&app, &user.0, None).await?))
}

#[post("/profile", data = "<form>")]
async fn save_profile(
    user: ActiveMember,
    form: CsrfForm<ProfileInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let mut input = form.into_inner();
    // An unticked checkbox is simply absent from the form.
    let unticked = || Some(Answer("false".into()));
    input.show_email = input.show_email.or_else(unticked);
    input.show_phone = input.show_phone.or_else(unticked);
    let typed = input.clone();
    let who = user.0.clone();
    match app.write(move |tx, ctx| service::update_me(tx, ctx, &who, input)).await {
        Ok(_) => Ok(PageResponse::done("/profile", "Your profile is saved.")),
        Err(err) => {
            let page = profile_page(&app, &user.0, Some(&typed)).await?;
            shell.form_error(PROFILE, &page, err).map(PageResponse::from)
        }
    }
}

const DIRECTORY: &str = "members/directory.html";

#[get("/directory?<query..>")]
async fn directory(
    _user: ActiveMember,
    query: DirectoryQuery,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let typed = query.q.clone().unwrap_or_default();
    let generation = app.db.auth_changes().current();
    match app.read(move |tx, ctx| service::directory_page(tx, ctx, generation, &query)).await {
        Ok(page) => Ok(PageResponse::page(shell.render(DIRECTORY, &page))),
        Err(err) => {
            // The search stays in the box, with nobody listed, so it can be corrected.
            let page = DirectoryPage::empty(typed, service::DIRECTORY_SIZES.default);
            shell.form_error(DIRECTORY, &page, err).map(PageResponse::from)
        }
    }
}

// ----- admin -----

const FIELDS: &str = "admin/profile_fields.html";

async fn fields_page(
    app: &App,
    admin: &AdminUser,
    form: FieldFormView,
) -> Result<FieldsPage, AppError> {
    let actor = admin.actor();
    let fields = app.read(move |tx, _| club_setup::fields(tx, &actor)).await?;
    let kinds = FieldKind::ALL.iter().map(|k| k.as_str()).collect();
    Ok(FieldsPage { fields, form, kinds })
}

fn new_field_form() -> FieldFormView {
    FieldFormView { kind: "text".into(), visibility: "private".into(), ..Default::default() }
}

#[get("/admin/profile-fields")]
async fn fields(admin: AdminUser, shell: Shell, app: App) -> Result<Template, AppError> {
    Ok(shell.render(FIELDS, &fields_page(&app, &admin, new_field_form()).await?))
}

#[get("/admin/profile-fields/<id>")]
async fn edit_field(
    admin: AdminUser,
    id: i64,
    shell: Shell,
    app: App,
) -> Result<Template, AppError> {
    let field = app
        .read(move |tx, _| {
            repo::find_field(tx, id)?.ok_or_else(|| AppError::not_found("There is no such field."))
        })
        .await?;
    Ok(shell.render(FIELDS, &fields_page(&app, &admin, FieldFormView::of(&field)).await?))
}

async fn save_field(
    admin: AdminUser,
    id: Option<i64>,
    form: CsrfForm<FieldForm>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let form = form.into_inner();
    let typed = FieldFormView::typed(id, &form);
    let (actor, input) = (admin.actor(), FieldInput::from(form));
    match app.write(move |tx, ctx| club_setup::save_field(tx, ctx, &actor, id, input)).await {
        Ok(_) => Ok(PageResponse::done("/admin/profile-fields", "Field saved.")),
        Err(err) => {
            let page = fields_page(&app, &admin, typed).await?;
            shell.form_error(FIELDS, &page, err).map(PageResponse::from)
        }
    }
}

#[post("/admin/profile-fields", data = "<form>")]
async fn add_field(
    admin: AdminUser,
    form: CsrfForm<FieldForm>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    save_field(admin, None, form, shell, app).await
}

#[post("/admin/profile-fields/<id>", data = "<form>")]
async fn change_field(
    admin: AdminUser,
    id: i64,
    form: CsrfForm<FieldForm>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    save_field(admin, Some(id), form, shell, app).await
}

#[post("/admin/profile-fields/<id>/delete", data = "<_form>")]
async fn delete_field(
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    app.write(move |tx, ctx| club_setup::delete_field(tx, ctx, &actor, id)).await?;
    Ok(PageResponse::done("/admin/profile-fields", "Field deleted, with every answer to it."))
}

const AGREEMENT: &str = "admin/agreement.html";

async fn agreement_page(
    app: &App,
    admin: &AdminUser,
    typed: Option<(String, String)>,
) -> Result<AgreementPage, AppError> {
    let actor = admin.actor();
    let agreement = app.read(move |tx, _| club_setup::agreement(tx, &actor)).await?;
    let (title, body) = typed.unwrap_or_else(|| {
        agreement.current.as_ref().map(|c| (c.title.clone(), c.body.clone())).unwrap_or_default()
    });
    Ok(AgreementPage { agreement, title, body })
}

#[get("/admin/agreement")]
async fn agreement(admin: AdminUser, shell: Shell, app: App) -> Result<Template, AppError> {
    Ok(shell.render(AGREEMENT, &agreement_page(&app, &admin, None).await?))
}

#[post("/admin/agreement", data = "<form>")]
async fn publish_agreement(
    admin: AdminUser,
    form: CsrfForm<AgreementInput>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let input = form.into_inner();
    let typed = (input.title.clone(), input.body.clone());
    let actor = admin.actor();
    match app.write(move |tx, ctx| club_setup::publish_agreement(tx, ctx, &actor, input)).await {
        Ok(view) => {
            let version = view.current.map_or(0, |c| c.version);
            Ok(PageResponse::done("/admin/agreement", &format!("Version {version} published.")))
        }
        Err(err) => {
            let page = agreement_page(&app, &admin, Some(typed)).await?;
            shell.form_error(AGREEMENT, &page, err).map(PageResponse::from)
        }
    }
}

#[post("/admin/agreement/retire", data = "<_form>")]
async fn retire_agreement(
    admin: AdminUser,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = admin.actor();
    app.write(move |tx, ctx| club_setup::retire_agreement(tx, ctx, &actor)).await?;
    Ok(PageResponse::done("/admin/agreement", "The club no longer asks for an agreement."))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        home,
        onboarding,
        onboarding_profile,
        onboarding_agreement,
        profile,
        save_profile,
        directory,
        fields,
        edit_field,
        add_field,
        change_field,
        delete_field,
        agreement,
        publish_agreement,
        retire_agreement
    ]
}

//! Card pages: `/card`, where members preview, share and stop sharing their card, and
//! `/cards/{token}`, the public page behind a share link.

use rocket::{get, post, routes, Route};
use rocket_dyn_templates::Template;

use super::input::ContactPreferenceForm;
use super::service;
use super::views::{OwnCardPage, PublicCardPage};
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{ActiveMember, App};
use crate::web::headers::NoIndex;
use crate::web::page::{PageResponse, Shell};

const OWN: &str = "cards/own.html";
const PUBLIC: &str = "cards/public.html";

async fn own_page(app: &App, member: &ActiveMember) -> Result<OwnCardPage, AppError> {
    let actor = member.actor();
    let card = app.read(move |tx, ctx| service::own_card(tx, ctx, &actor)).await?;
    Ok(OwnCardPage::of(card))
}

#[get("/card")]
async fn own(member: ActiveMember, shell: Shell, app: App) -> Result<PageResponse, AppError> {
    let page = own_page(&app, &member).await?;
    Ok(PageResponse::page(shell.render(OWN, &page)))
}

#[post("/card/share", data = "<_form>")]
async fn share(
    member: ActiveMember,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    app.write(move |tx, ctx| service::share(tx, ctx, &actor)).await?;
    Ok(PageResponse::done("/card", "Your card is shared: anyone with the link can see it."))
}

#[post("/card/share/revoke", data = "<_form>")]
async fn revoke(
    member: ActiveMember,
    _form: CsrfForm<NoFields>,
    app: App,
) -> Result<PageResponse, AppError> {
    let actor = member.actor();
    app.write(move |tx, ctx| service::revoke(tx, ctx, &actor)).await?;
    Ok(PageResponse::done(
        "/card",
        "Your card is no longer shared: its link stopped working. Sharing again makes a new link.",
    ))
}

#[post("/card/contact-preference", data = "<form>")]
async fn contact_preference(
    member: ActiveMember,
    form: CsrfForm<ContactPreferenceForm>,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let raw = form.into_inner().contact_preference;
    let value = Some(Some(raw).filter(|v| !v.trim().is_empty()));
    let actor = member.actor();
    match app.write(move |tx, ctx| service::set_contact_preference(tx, ctx, &actor, value)).await {
        Ok(_) => Ok(PageResponse::done("/card", "Your contact preference was saved.")),
        Err(err) => {
            let page = own_page(&app, &member).await?;
            shell.form_error(OWN, &page, err).map(PageResponse::from)
        }
    }
}

/// The public card. No login, no forms.
#[get("/cards/<token>")]
async fn public(token: &str, shell: Shell, app: App) -> Result<NoIndex<Template>, AppError> {
    let token = token.to_string();
    let card = app.read(move |tx, ctx| service::public_card(tx, ctx, &token)).await?;
    Ok(NoIndex::new(shell.render(PUBLIC, &PublicCardPage::of(card))))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![own, share, revoke, contact_preference, public]
}

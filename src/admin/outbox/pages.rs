//! The outbox page: `/admin/outbox`.

use std::sync::Arc;

use rocket::{get, post, routes, Route, State};

use super::input::{OutboxQuery, TestEmailInput};
use super::service;
use super::views::{CopiedLink, OutboxPage, TestEmailResult};
use crate::email::Transport;
use crate::error::AppError;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::guards::{AdminUser, App, Client};
use crate::web::page::{PageResponse, Shell};

const TEMPLATE: &str = "admin/outbox.html";

fn page_url(status: &str, page: i64) -> String {
    if status.is_empty() {
        format!("/admin/outbox?page={page}")
    } else {
        format!("/admin/outbox?status={status}&page={page}")
    }
}

async fn page(
    app: &App,
    admin: &AdminUser,
    query: OutboxQuery,
    link: Option<CopiedLink>,
    test: Option<TestEmailResult>,
    transport: &Transport,
) -> Result<OutboxPage, AppError> {
    let actor = admin.actor();
    let list = app.read(move |tx, _| service::list(tx, &actor, &query)).await?;
    Ok(OutboxPage {
        prev_url: (list.page > 1).then(|| page_url(&list.status, list.page - 1)),
        next_url: (list.page < list.pages).then(|| page_url(&list.status, list.page + 1)),
        test_to: test.as_ref().map(|t| t.to.clone()).unwrap_or_else(|| admin.0.email.clone()),
        list,
        link,
        test,
        mode: transport.mode(),
    })
}

#[get("/admin/outbox?<q..>")]
async fn index(
    admin: AdminUser,
    q: OutboxQuery,
    shell: Shell,
    app: App,
    transport: &State<Arc<Transport>>,
) -> Result<PageResponse, AppError> {
    let view = page(&app, &admin, q, None, None, transport).await?;
    Ok(PageResponse::page(shell.render(TEMPLATE, &view)))
}

#[post("/admin/outbox/<id>/resend", data = "<_form>")]
async fn resend(
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    client: Client,
    app: App,
) -> Result<PageResponse, AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip);
    let item =
        app.write(move |tx, ctx| service::resend(tx, ctx, &actor, id, ip.as_deref())).await?;
    let note = format!("The email to {} is queued again and will be sent shortly.", item.to);
    Ok(PageResponse::done("/admin/outbox", &note))
}

/// Shows the link on the page itself (never in a redirect URL or a flash cookie).
#[post("/admin/outbox/<id>/link", data = "<_form>")]
async fn link(
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<NoFields>,
    client: Client,
    shell: Shell,
    app: App,
    transport: &State<Arc<Transport>>,
) -> Result<PageResponse, AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip);
    let link =
        app.write(move |tx, ctx| service::copy_link(tx, ctx, &actor, id, ip.as_deref())).await?;
    let view = page(&app, &admin, OutboxQuery::default(), Some(link), None, transport).await?;
    Ok(PageResponse::page(shell.render(TEMPLATE, &view)))
}

#[post("/admin/outbox/test", data = "<form>")]
async fn test_email(
    admin: AdminUser,
    form: CsrfForm<TestEmailInput>,
    client: Client,
    shell: Shell,
    app: App,
    transport: &State<Arc<Transport>>,
) -> Result<PageResponse, AppError> {
    let (actor, ip, input) = (admin.actor(), client.0.ip, form.into_inner());
    let typed = input.to.clone();
    let sender = transport.inner().clone();
    let sent = app
        .call(move |conn, ctx| service::send_test(conn, ctx, &actor, &sender, input, ip.as_deref()))
        .await;
    match sent {
        Ok(result) => {
            let view =
                page(&app, &admin, OutboxQuery::default(), None, Some(result), transport).await?;
            Ok(PageResponse::page(shell.render(TEMPLATE, &view)))
        }
        Err(err) => {
            let mut view =
                page(&app, &admin, OutboxQuery::default(), None, None, transport).await?;
            view.test_to = typed;
            shell.form_error(TEMPLATE, &view, err).map(PageResponse::from)
        }
    }
}

pub(crate) fn routes() -> Vec<Route> {
    routes![index, resend, link, test_email]
}

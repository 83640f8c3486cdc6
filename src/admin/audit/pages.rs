//! The audit log page: `/admin/audit`.

use rocket::{get, post, routes, Route};

use super::input::{AuditQuery, RetentionForm};
use super::service;
use super::views::{AuditPage, FilterView};
use crate::error::AppError;
use crate::web::csrf::CsrfForm;
use crate::web::guards::{AdminUser, App, Client};
use crate::web::page::{encode_query_value, PageResponse, Shell};

const TEMPLATE: &str = "admin/audit.html";

fn query_string(f: &FilterView) -> String {
    [("actor", &f.actor), ("target", &f.target), ("kind", &f.kind)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn page_url(f: &FilterView, page: i64) -> String {
    let q = query_string(f);
    if q.is_empty() {
        format!("/admin/audit?page={page}")
    } else {
        format!("/admin/audit?{q}&page={page}")
    }
}

async fn page(app: &App, admin: &AdminUser, q: AuditQuery) -> Result<AuditPage, AppError> {
    let actor = admin.actor();
    let list = app.read(move |tx, _| service::list(tx, &actor, &q)).await?;
    let filter = query_string(&list.filter);
    Ok(AuditPage {
        prev_url: (list.page > 1).then(|| page_url(&list.filter, list.page - 1)),
        next_url: (list.page < list.pages).then(|| page_url(&list.filter, list.page + 1)),
        export_url: if filter.is_empty() {
            "/api/v1/admin/audit/export.csv".to_string()
        } else {
            format!("/api/v1/admin/audit/export.csv?{filter}")
        },
        days: list.retention_days.to_string(),
        list,
    })
}

#[get("/admin/audit?<q..>")]
async fn index(
    admin: AdminUser,
    q: AuditQuery,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let view = page(&app, &admin, q).await?;
    Ok(PageResponse::page(shell.render(TEMPLATE, &view)))
}

#[post("/admin/audit/retention", data = "<form>")]
async fn set_retention(
    admin: AdminUser,
    form: CsrfForm<RetentionForm>,
    client: Client,
    shell: Shell,
    app: App,
) -> Result<PageResponse, AppError> {
    let typed = form.into_inner().days;
    let days = typed.trim().parse::<i64>().ok();
    let (actor, ip) = (admin.actor(), client.0.ip);
    match app
        .write(move |tx, ctx| service::set_retention(tx, ctx, &actor, days, ip.as_deref()))
        .await
    {
        Ok(view) => {
            let note = format!("Audit entries are now kept for {} days.", view.days);
            Ok(PageResponse::done("/admin/audit", &note))
        }
        Err(err) => {
            let mut view = page(&app, &admin, AuditQuery::default()).await?;
            view.days = typed;
            shell.form_error(TEMPLATE, &view, err).map(PageResponse::from)
        }
    }
}

pub(crate) fn routes() -> Vec<Route> {
    routes![index, set_retention]
}

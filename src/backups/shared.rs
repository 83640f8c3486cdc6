//! What the JSON handlers and the pages of backups share.

use super::service;
use crate::error::AppError;
use crate::web::download::BackupDownload;
use crate::web::guards::{AdminUser, App, Client};

/// Checks the name and the right (through the service, which audits the download), then opens
/// the file.
pub(crate) async fn send(
    admin: &AdminUser,
    app: &App,
    client: &Client,
    name: String,
) -> Result<BackupDownload, AppError> {
    let (actor, ip) = (admin.actor(), client.0.ip.clone());
    let file_name = name.clone();
    let path = app
        .call(move |conn, ctx| service::download(conn, ctx, &actor, &name, ip.as_deref()))
        .await?;
    BackupDownload::open(&path, &file_name).await
}

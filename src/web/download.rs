//! Files answered as downloads: CSV exports and database backups. Like every answer but the
//! assets, they are sent `Cache-Control: no-store` (`headers`): each holds members' data.

use std::path::Path;

use rocket::fs::NamedFile;
use rocket::http::{ContentType, Header};
use rocket::Responder;

use crate::csv_file::CsvFile;
use crate::error::AppError;

fn attachment(file_name: &str) -> Header<'static> {
    Header::new("Content-Disposition", format!("attachment; filename=\"{file_name}\""))
}

#[derive(Responder)]
pub(crate) struct CsvDownload {
    body: (ContentType, Vec<u8>),
    disposition: Header<'static>,
}

impl From<CsvFile> for CsvDownload {
    fn from(file: CsvFile) -> Self {
        CsvDownload { body: (ContentType::CSV, file.body), disposition: attachment(&file.filename) }
    }
}

/// A backup of the database, saved under `file_name`.
#[derive(Responder)]
#[response(content_type = "application/vnd.sqlite3")]
pub(crate) struct BackupDownload {
    file: NamedFile,
    disposition: Header<'static>,
}

impl BackupDownload {
    /// 404 when the file is gone (removed since the name was checked).
    pub(crate) async fn open(path: &Path, file_name: &str) -> Result<BackupDownload, AppError> {
        let file =
            NamedFile::open(path).await.map_err(|_| AppError::not_found("No such backup."))?;
        Ok(BackupDownload { file, disposition: attachment(file_name) })
    }
}

//! CSV import and export of members.
//!
//! An import is read once, kept server-side under a random id for an hour, shown as a dry run
//! (each row: new, already there, or invalid with its reasons), and committed by id: what gets
//! created is exactly what was previewed, re-checked at commit time, and a second commit of the
//! same import answers with the first one's result instead of creating anyone twice.

use std::collections::HashMap;

use rusqlite::Connection;
use serde_json::json;

use super::input::ListQuery;
use super::preregister::{self, NewMember};
use super::repo;
use super::service::{admin_only, parse_query};
use super::views::{
    ImportCounts, ImportPreview, ImportResult, ImportRow, ImportedMember, RowCheck,
};
use crate::accounts::codes::{self, ClaimSender};
use crate::accounts::model::Actor;
use crate::accounts::repo as accounts;
use crate::audit::{self, AuditEvent};
use crate::clock::rfc3339_at;
use crate::crypto::random_token;
use crate::csv_file::CsvFile;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::values::Email;

/// Rows one import may hold.
pub(crate) const MAX_ROWS: usize = 2000;
/// Bytes one CSV file may hold.
pub(crate) const MAX_BYTES: usize = 1024 * 1024;
/// How long a previewed import waits for its commit.
const IMPORT_MINUTES: i64 = 60;

/// The columns an import reads (others are ignored); `roles` holds role names separated by
/// spaces, `;` or `|`.
pub(crate) const COLUMNS: [&str; 5] = ["email", "first_name", "last_name", "phone", "roles"];

fn csv_error(message: impl Into<String>) -> AppError {
    AppError::invalid_field("csv", message)
}

/// The column a header cell names, accepting common spellings ("E-mail", "First name").
fn column_of(header: &str) -> Option<&'static str> {
    let h: String = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect();
    Some(match h.as_str() {
        "email" | "e_mail" | "email_address" | "mail" => "email",
        "first_name" | "firstname" | "given_name" | "first" => "first_name",
        "last_name" | "lastname" | "surname" | "family_name" | "last" => "last_name",
        "name" | "full_name" => "name",
        "phone" | "telephone" | "mobile" | "phone_number" => "phone",
        "roles" | "role" => "roles",
        _ => return None,
    })
}

/// Reads a CSV file with a header row. 422 `csv` for an empty file, one without an email
/// column or a name, more than `MAX_ROWS` rows, or text that is not CSV. A `name` column is
/// split into first and last name at its first space when those columns are absent.
pub(crate) fn parse(text: &str) -> Result<Vec<ImportRow>, AppError> {
    if text.len() > MAX_BYTES {
        return Err(csv_error("The file is larger than 1 MiB: split it into several imports."));
    }
    if text.trim().is_empty() {
        return Err(csv_error("Choose a CSV file or paste its text."));
    }
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| csv_error(format!("The first line is not CSV: {e}.")))?
        .clone();
    let columns: Vec<Option<&'static str>> = headers.iter().map(column_of).collect();
    let has = |c: &'static str| columns.contains(&Some(c));
    if !has("email") {
        return Err(csv_error(
            "The first line must name the columns, with at least email, first_name and last_name.",
        ));
    }
    let named = has("name") || (has("first_name") && has("last_name"));
    if !named {
        return Err(csv_error("Add first_name and last_name columns (or one name column)."));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            csv_error(format!("Line {line} is not valid CSV."))
        })?;
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(csv_error(format!("Import at most {MAX_ROWS} rows at a time.")));
        }
        let mut row = ImportRow {
            line: record.position().map(|p| p.line()).unwrap_or(0),
            ..ImportRow::default()
        };
        let mut full_name = String::new();
        for (value, column) in record.iter().zip(&columns) {
            let value = value.chars().take(500).collect::<String>();
            match column {
                Some("email") => row.email = value,
                Some("first_name") => row.first_name = value,
                Some("last_name") => row.last_name = value,
                Some("name") => full_name = value,
                Some("phone") => row.phone = value,
                Some("roles") => row.roles = value,
                _ => {}
            }
        }
        if row.first_name.is_empty() && row.last_name.is_empty() && !full_name.is_empty() {
            let (first, last) = full_name.split_once(' ').unwrap_or((&full_name, ""));
            row.first_name = first.trim().to_string();
            row.last_name = last.trim().to_string();
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(csv_error("The file has a header but no rows."));
    }
    Ok(rows)
}

/// A line as the member it adds; roles may be separated by spaces, commas, `;` or `|`.
fn new_member(row: &ImportRow) -> NewMember {
    NewMember {
        email: row.email.clone(),
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        phone: row.phone.clone(),
        roles: row.roles.split([' ', ';', '|', ',']).map(str::to_string).collect(),
    }
}

/// Checks every row against the rules of pre-registration and against the accounts that exist
/// now: bad email, missing names, bad phone, unknown role, the same email on an earlier line.
pub(crate) fn check(conn: &Connection, rows: &[ImportRow]) -> Result<Vec<RowCheck>, AppError> {
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut errors = new_member(row).check().err().unwrap_or_default();
        let email = Email::normalize(&row.email);
        if !errors.contains_key("email") {
            if let Some(first) = seen.get(&email) {
                errors.insert("email".to_string(), format!("The same email is on line {first}."));
            } else {
                seen.insert(email.clone(), row.line);
            }
        }
        // A guest's account gives way to the member (see `create_account`): the row is new.
        let existing_id = if errors.contains_key("email") {
            None
        } else {
            accounts::address_holder(conn, &email)?
                .filter(|holder| !holder.is_guest())
                .map(|holder| holder.user_id)
        };
        let outcome = if !errors.is_empty() {
            "invalid"
        } else if existing_id.is_some() {
            "exists"
        } else {
            "new"
        };
        let mut row = row.clone();
        row.email = if errors.contains_key("email") { row.email } else { email };
        out.push(RowCheck { row, outcome, errors, existing_id });
    }
    Ok(out)
}

fn counts(checks: &[RowCheck]) -> ImportCounts {
    let n = |o: &str| checks.iter().filter(|c| c.outcome == o).count();
    ImportCounts { new: n("new"), exists: n("exists"), invalid: n("invalid") }
}

fn stored(conn: &Connection, ctx: &Ctx, id: &str) -> Result<repo::ImportRecord, AppError> {
    let record = repo::find_import(conn, id)?
        .ok_or_else(|| AppError::not_found("There is no such import. Upload the file again."))?;
    if record.committed_at.is_none() && record.expires_at <= ctx.now_unix() {
        return Err(AppError::gone("This import has expired. Upload the file again."));
    }
    Ok(record)
}

fn rows_of(record: &repo::ImportRecord) -> Result<Vec<ImportRow>, AppError> {
    serde_json::from_str(&record.rows).map_err(|e| AppError::internal(e.to_string()))
}

fn result_of(record: &repo::ImportRecord) -> Result<Option<ImportResult>, AppError> {
    record
        .result
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| AppError::internal(e.to_string()))
}

fn preview_of(conn: &Connection, record: &repo::ImportRecord) -> Result<ImportPreview, AppError> {
    let rows = check(conn, &rows_of(record)?)?;
    Ok(ImportPreview {
        id: record.id.clone(),
        expires_at: rfc3339_at(record.expires_at),
        counts: counts(&rows),
        rows,
        result: result_of(record)?,
    })
}

/// A dry run: reads `text` (422 `csv`, see `parse`), keeps it for an hour under a new random
/// id and tells what each row would become. Nothing is created. Imports past their hour are
/// forgotten here.
pub(crate) fn preview(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    text: &str,
) -> Result<ImportPreview, AppError> {
    admin_only(actor)?;
    let rows = parse(text)?;
    let now = ctx.now_unix();
    repo::purge_imports(conn, now)?;
    let id = random_token();
    let json = serde_json::to_string(&rows).map_err(|e| AppError::internal(e.to_string()))?;
    repo::insert_import(conn, &id, actor.user_id(), &json, now, now + IMPORT_MINUTES * 60)?;
    let record = stored(conn, ctx, &id)?;
    preview_of(conn, &record)
}

/// A stored import, its rows checked again against the accounts as they are now, with the
/// commit's result once there is one. 404 for an unknown id, 410 once expired.
pub(crate) fn get(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: &str,
) -> Result<ImportPreview, AppError> {
    admin_only(actor)?;
    let record = stored(conn, ctx, id)?;
    preview_of(conn, &record)
}

/// Creates an account (status invited, no password, like pre-registration) for every row that
/// is still valid and new, skipping the others; with `send_invites`, emails each a claim code.
/// Audited per account and once for the import. Committing the same import again changes
/// nothing and answers the first result with `already_committed`. 404 unknown, 410 expired.
pub(crate) fn commit(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: &str,
    send_invites: bool,
) -> Result<ImportResult, AppError> {
    admin_only(actor)?;
    let record = stored(conn, ctx, id)?;
    if let Some(mut done) = result_of(&record)? {
        done.already_committed = true;
        return Ok(done);
    }
    let checks = check(conn, &rows_of(&record)?)?;
    let mut created = Vec::new();
    let mut invitations_sent = 0;
    for c in checks.iter().filter(|c| c.outcome == "new") {
        let made = preregister::create_member(conn, ctx, actor, new_member(&c.row))?;
        if send_invites {
            codes::send_claim_code(conn, ctx, &made.email, ClaimSender::Admin)?;
            invitations_sent += 1;
        }
        created.push(ImportedMember {
            line: c.row.line,
            id: made.user_id,
            username: made.username,
            email: made.email,
        });
    }
    let n = counts(&checks);
    let now = ctx.now_unix();
    let result = ImportResult {
        created,
        skipped_existing: n.exists,
        skipped_invalid: n.invalid,
        invitations_sent,
        committed_at: rfc3339_at(now),
        already_committed: false,
    };
    let json = serde_json::to_string(&result).map_err(|e| AppError::internal(e.to_string()))?;
    if !repo::mark_import_committed(conn, id, &json, now)? {
        return Err(AppError::conflict("This import was committed at the same time elsewhere."));
    }
    let event = AuditEvent::new("members_imported")
        .actor_opt(actor.user_id())
        .target(format!("member_import:{}", &id[..id.len().min(8)]))
        .detail(json!({
            "created": result.created.len(),
            "skipped_existing": n.exists,
            "skipped_invalid": n.invalid,
            "invitations_sent": invitations_sent,
        }));
    audit::record(conn, event, now)?;
    Ok(result)
}

/// Every member matching the list's filter (no paging), as CSV in the columns an import reads
/// plus the account's facts. Cells a spreadsheet would run as a formula are made inert.
pub(crate) fn export(
    conn: &Connection,
    actor: &Actor,
    query: &ListQuery,
) -> Result<CsvFile, AppError> {
    admin_only(actor)?;
    let q = parse_query(query)?;
    let rows = repo::list_people(conn, &q.filter, q.sort, q.descending, None, 0)?;
    let header = [
        "id",
        "username",
        "email",
        "first_name",
        "last_name",
        "name",
        "phone",
        "roles",
        "status",
        "joined_at",
        "member_since",
        "last_login_at",
    ];
    let records = rows.into_iter().map(|r| {
        let roles = r.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" ");
        [
            r.user_id.to_string(),
            r.username,
            r.email,
            r.first_name,
            r.last_name,
            r.name,
            r.phone,
            roles,
            r.status.as_str().to_string(),
            rfc3339_at(r.created_at),
            rfc3339_at(r.member_since),
            r.last_login_at.map(rfc3339_at).unwrap_or_default(),
        ]
    });
    CsvFile::write("members.csv".into(), &header, records)
}

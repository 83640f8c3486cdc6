//! The CSV files Clubroom hands out (activity logs, the member list, the audit log, a gift
//! exchange's draw), written one way.
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (and some also after a tab or
//! carriage return) as a formula, so a note like `=HYPERLINK(...)` typed by a member could act
//! on whoever opens the export. Such cells get a leading apostrophe, which spreadsheets show as
//! text.

use crate::error::AppError;

/// A finished CSV file and the name to save it under.
#[derive(Debug, Clone)]
pub(crate) struct CsvFile {
    pub filename: String,
    pub body: Vec<u8>,
}

impl CsvFile {
    /// `header`, then one line per row, every cell made inert for spreadsheets.
    pub(crate) fn write<R, C>(
        filename: String,
        header: &[&str],
        rows: impl IntoIterator<Item = R>,
    ) -> Result<CsvFile, AppError>
    where
        R: IntoIterator<Item = C>,
        C: AsRef<str>,
    {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header).map_err(AppError::internal)?;
        for row in rows {
            w.write_record(row.into_iter().map(|v| cell(v.as_ref())))
                .map_err(AppError::internal)?;
        }
        let body = w.into_inner().map_err(|e| AppError::internal(e.to_string()))?;
        Ok(CsvFile { filename, body })
    }
}

/// `value`, made inert for spreadsheets.
fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// Keeps a filename part to letters, digits, `-` and `_`, whatever a username holds.
pub(crate) fn safe_filename_part(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_other_text_is_kept() {
        for risky in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(risky), format!("'{risky}"));
        }
        for plain in ["Practice", "1 = 1", "", "ice rink, hall 2", "'quoted"] {
            assert_eq!(cell(plain), plain);
        }
    }

    #[test]
    fn a_file_is_its_header_then_its_rows_with_each_cell_made_inert() {
        let file = CsvFile::write("x.csv".into(), &["a", "b"], [["=1", "two, three"]]).unwrap();
        assert_eq!(String::from_utf8(file.body).unwrap(), "a,b\n'=1,\"two, three\"\n");
    }

    #[test]
    fn filenames_hold_only_safe_characters() {
        assert_eq!(safe_filename_part("ann.b\"; x"), "ann_b___x");
    }
}

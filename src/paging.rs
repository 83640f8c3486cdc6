//! Paged lists: `page` and `per_page` read from a query the same way by every list that lets
//! the caller choose its page size, and the links between the pages of a list page.

use std::ops::RangeInclusive;

use serde::Serialize;

use crate::error::{AppError, Validator};
use crate::web::page::encode_query_value;

/// The page sizes of one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sizes {
    /// Entries per page when the query names no size.
    pub default: i64,
    /// The largest page a caller may ask for.
    pub max: i64,
}

/// Which page of a list was asked for (from 1) and how many entries a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    pub page: i64,
    pub per_page: i64,
    pub sizes: Sizes,
}

/// A numbered link of a pager.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PageLink {
    pub label: String,
    pub url: String,
    pub current: bool,
}

/// The page numbers a pager shows around `page`: up to three on each side, within 1..=pages.
pub(crate) fn window(page: i64, pages: i64) -> RangeInclusive<i64> {
    page.saturating_sub(3).max(1)..=page.saturating_add(3).min(pages)
}

fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

impl Paging {
    /// Reads `page` (a whole number from 1; 1 when absent or blank) and `per_page` (1 to
    /// `sizes.max`; `sizes.default` when absent or blank). Any other value is recorded in `v`
    /// as an error naming its field, so that it is reported with the query's other errors.
    pub(crate) fn check(
        v: &mut Validator,
        page: Option<&str>,
        per_page: Option<&str>,
        sizes: Sizes,
    ) -> Paging {
        let mut number = |field: &str, text: Option<&str>, default: i64| {
            let Some(text) = given(text) else {
                return default;
            };
            let n = text.parse::<i64>().ok();
            v.check(n.is_some(), field, "Use a whole number.");
            n.unwrap_or(default)
        };
        let page = number("page", page, 1);
        let per_page = number("per_page", per_page, sizes.default);
        v.check(page >= 1, "page", "Pages start at 1.").check(
            (1..=sizes.max).contains(&per_page),
            "per_page",
            format!("Use 1 to {} entries per page.", sizes.max),
        );
        Paging { page: page.max(1), per_page: per_page.clamp(1, sizes.max), sizes }
    }

    /// `check` for a query with nothing else to validate: 422 naming `page` or `per_page`.
    pub(crate) fn read(
        page: Option<&str>,
        per_page: Option<&str>,
        sizes: Sizes,
    ) -> Result<Paging, AppError> {
        let mut v = Validator::new();
        let paging = Paging::check(&mut v, page, per_page, sizes);
        v.finish()?;
        Ok(paging)
    }

    /// How many entries come before this page.
    pub(crate) fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// How many pages `total` entries fill; an empty list still has its one (empty) page.
    pub(crate) fn pages(&self, total: i64) -> i64 {
        (total.saturating_add(self.per_page - 1) / self.per_page).max(1)
    }

    /// `path` with the non-empty pairs of `filter`, then `per_page` unless it is the default
    /// and `page` unless it is the first, values encoded: the link to `page` of the same list.
    pub(crate) fn url(&self, path: &str, filter: &[(&str, &str)], page: i64) -> String {
        let mut parts: Vec<String> = filter
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| format!("{key}={}", encode_query_value(value)))
            .collect();
        if self.per_page != self.sizes.default {
            parts.push(format!("per_page={}", self.per_page));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", parts.join("&"))
        }
    }

    /// Links to the previous and the next page when they exist. From a page past the end the
    /// previous link leads to the last page, where the entries are.
    pub(crate) fn neighbours(
        &self,
        path: &str,
        filter: &[(&str, &str)],
        pages: i64,
    ) -> (Option<String>, Option<String>) {
        let prev = (self.page > 1).then(|| self.url(path, filter, (self.page - 1).min(pages)));
        let next = (self.page < pages).then(|| self.url(path, filter, self.page + 1));
        (prev, next)
    }

    /// Numbered links to the pages around this one (see `window`).
    pub(crate) fn numbers(&self, path: &str, filter: &[(&str, &str)], pages: i64) -> Vec<PageLink> {
        window(self.page, pages)
            .map(|n| PageLink {
                label: n.to_string(),
                url: self.url(path, filter, n),
                current: n == self.page,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: Sizes = Sizes { default: 50, max: 100 };

    fn read(page: Option<&str>, per_page: Option<&str>) -> Result<Paging, Vec<String>> {
        Paging::read(page, per_page, SIZES).map_err(|e| e.fields().keys().cloned().collect())
    }

    #[test]
    fn absent_or_blank_values_mean_the_first_page_of_the_default_size() {
        let p = read(None, Some("  ")).unwrap();
        assert_eq!((p.page, p.per_page, p.offset()), (1, 50, 0));
        let p = read(Some(" 3 "), Some("20")).unwrap();
        assert_eq!((p.page, p.per_page, p.offset()), (3, 20, 40));
    }

    #[test]
    fn bad_values_name_their_field() {
        assert_eq!(read(Some("0"), None).unwrap_err(), ["page"]);
        assert_eq!(read(Some("two"), None).unwrap_err(), ["page"]);
        assert_eq!(read(Some("-1"), None).unwrap_err(), ["page"]);
        assert_eq!(read(None, Some("101")).unwrap_err(), ["per_page"]);
        assert_eq!(read(None, Some("0")).unwrap_err(), ["per_page"]);
        assert_eq!(read(Some("x"), Some("1.5")).unwrap_err(), ["page", "per_page"]);
        assert!(read(Some("99999999999999999999"), None).is_err(), "beyond i64");
    }

    #[test]
    fn a_huge_page_number_does_not_overflow() {
        let p = read(Some(&i64::MAX.to_string()), Some("100")).unwrap();
        assert_eq!(p.offset(), i64::MAX);
        assert!(p.pages(i64::MAX) >= i64::MAX / 100);
    }

    #[test]
    fn pages_round_up_and_never_drop_below_one() {
        let p = read(None, None).unwrap();
        assert_eq!(
            [p.pages(0), p.pages(1), p.pages(50), p.pages(51), p.pages(120)],
            [1, 1, 1, 2, 3]
        );
    }

    #[test]
    fn links_keep_the_filter_and_a_chosen_size() {
        let p = read(Some("2"), None).unwrap();
        let filter = [("q", "ann & bo"), ("role", "")];
        assert_eq!(
            p.neighbours("/x", &filter, 3),
            (
                Some("/x?q=ann%20%26%20bo".to_string()),
                Some("/x?q=ann%20%26%20bo&page=3".to_string())
            )
        );
        let p = read(Some("9"), Some("10")).unwrap();
        assert_eq!(p.neighbours("/x", &[], 3), (Some("/x?per_page=10&page=3".to_string()), None));
        let p = read(None, None).unwrap();
        assert_eq!(p.neighbours("/x", &[], 1), (None, None));
    }

    #[test]
    fn the_numbers_surround_the_current_page() {
        let p = read(Some("5"), None).unwrap();
        let labels: Vec<String> = p.numbers("/x", &[], 6).into_iter().map(|l| l.label).collect();
        assert_eq!(labels, ["2", "3", "4", "5", "6"]);
        assert_eq!(window(1, 1), 1..=1);
        assert_eq!(window(1, 20), 1..=4);
        let current: Vec<bool> = p.numbers("/x", &[], 6).iter().map(|l| l.current).collect();
        assert_eq!(current, [false, false, false, true, false]);
    }
}

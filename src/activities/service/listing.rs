//! Lists and CSV exports of the log: whose entries, which ones, which page.

use chrono::{NaiveDate, TimeZone};
use rusqlite::Connection;

use super::{member_to_list, own_member, Viewer, DEFAULT_PER_PAGE, MAX_PER_PAGE};
use crate::accounts::model::Actor;
use crate::activities::export;
use crate::activities::model::{Filter, Member};
use crate::activities::repo;
use crate::activities::views::{ActivityList, ActivityView, PersonView};
use crate::clock::{self, zone};
use crate::csv_file::CsvFile;
use crate::ctx::Ctx;
use crate::error::{AppError, Validator};
use crate::paging::{Paging, Sizes};

/// A list query once read: whose log, which entries, which page.
struct Listing {
    member: Member,
    filter: Filter,
    paging: Paging,
}

/// Midnight at the start of `date` in `tz`; on the rare days a clock change skips midnight,
/// the first minute that exists.
fn start_of_day(date: NaiveDate, tz: chrono_tz::Tz) -> Option<i64> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    (0..=180).step_by(15).find_map(|minutes| {
        let t = midnight + chrono::Duration::minutes(minutes);
        tz.from_local_datetime(&t).earliest().map(|t| t.timestamp())
    })
}

/// A range bound: a date (the whole day, in `tz`) or an RFC 3339 instant, both inclusive.
/// Returns the bound as a half-open range edge: `from` as is, `to` just past the end.
fn read_bound(text: &str, tz: chrono_tz::Tz, end: bool) -> Option<i64> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let date = if end { date.succ_opt()? } else { date };
        return start_of_day(date, tz);
    }
    clock::parse_rfc3339(text).map(|t| if end { t + 1 } else { t })
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn read_number(v: &mut Validator, field: &str, value: &Option<String>) -> Option<i64> {
    let text = non_empty(value)?;
    let n = text.parse::<i64>().ok();
    v.check(n.is_some(), field, "Use a whole number.");
    n
}

/// Reads a list query against the log it asks for. 404 for a member the viewer may not list;
/// 422 naming `from`, `to` (unreadable, or before `from`), `type` (unknown key), `page`,
/// `per_page` (1 to 100) or `member_id`.
fn read_listing(
    conn: &Connection,
    viewer: Viewer,
    q: &crate::activities::input::ListQuery,
) -> Result<Listing, AppError> {
    let mut v = Validator::new();
    let member_id = read_number(&mut v, "member_id", &q.member_id);
    let sizes = Sizes { default: DEFAULT_PER_PAGE, max: MAX_PER_PAGE };
    let paging = Paging::check(&mut v, q.page.as_deref(), q.per_page.as_deref(), sizes);
    v.finish()?;
    let member = match member_id {
        Some(id) => member_to_list(conn, viewer, Some(id))?,
        None => own_member(conn, viewer)?,
    };
    let mut filter = read_filter(conn, q, &member.timezone)?;
    filter.user_id = Some(member.person.id);
    Ok(Listing { member, filter, paging })
}

/// The date range and type of a query, dates read in the zone named `timezone`.
fn read_filter(
    conn: &Connection,
    q: &crate::activities::input::ListQuery,
    timezone: &str,
) -> Result<Filter, AppError> {
    let tz = zone(timezone);
    let mut v = Validator::new();
    let bad_date = "Use a date (YYYY-MM-DD) or an RFC 3339 time.";
    let from = non_empty(&q.from).map(|t| read_bound(t, tz, false));
    let to = non_empty(&q.to).map(|t| read_bound(t, tz, true));
    v.check(!matches!(from, Some(None)), "from", bad_date).check(
        !matches!(to, Some(None)),
        "to",
        bad_date,
    );
    let (from, to) = (from.flatten(), to.flatten());
    if let (Some(f), Some(t)) = (from, to) {
        v.check(f < t, "to", "The end of the range is before its start.");
    }
    let kind = match non_empty(&q.type_key) {
        Some(key) => {
            let found = repo::find_type_by_key(conn, key)?;
            v.check(found.is_some(), "type", "There is no activity type with this key.");
            found
        }
        None => None,
    };
    v.finish()?;
    Ok(Filter { user_id: None, from, to, type_id: kind.map(|k| k.id) })
}

/// One page of a log, newest first, with the number of entries and minutes the filters cover.
/// One's own log, or with `member_id` a coached member's (coaches) or anyone's (admins); see
/// `read_listing` for the errors.
pub(crate) fn list(
    conn: &Connection,
    actor: &Actor,
    q: &crate::activities::input::ListQuery,
) -> Result<ActivityList, AppError> {
    let viewer = Viewer::of(actor)?;
    let l = read_listing(conn, viewer, q)?;
    let (total, total_minutes) = repo::totals(conn, &l.filter)?;
    let rows = repo::list(conn, &l.filter, Some(l.paging.per_page), l.paging.offset())?;
    Ok(ActivityList {
        items: rows.iter().map(|a| ActivityView::of(a, viewer.may_change(a))).collect(),
        page: l.paging.page,
        per_page: l.paging.per_page,
        total,
        total_minutes,
        pages: l.paging.pages(total),
        member: PersonView::from(&l.member.person),
        time_zone: crate::activities::views::zone_name(&l.member.timezone),
    })
}

/// Every entry of a log the viewer may list (as `list`, without paging) as a CSV file.
pub(crate) fn export(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    q: &crate::activities::input::ListQuery,
) -> Result<CsvFile, AppError> {
    let viewer = Viewer::of(actor)?;
    let l = read_listing(conn, viewer, q)?;
    let rows = repo::list(conn, &l.filter, None, 0)?;
    export::member_csv(&rows, &l.member.person.username, ctx.now_unix())
}

/// Every member's entries as a CSV file with member columns: admins only (403). Filters as
/// `list`, `member_id` narrowing to one member; dates are read in that member's time zone, or
/// else in the admin's own.
pub(crate) fn export_all(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    q: &crate::activities::input::ListQuery,
) -> Result<CsvFile, AppError> {
    actor.require_admin("Only club admins can export every member's activities.")?;
    let viewer = Viewer::of(actor)?;
    let mut v = Validator::new();
    let member_id = read_number(&mut v, "member_id", &q.member_id);
    v.finish()?;
    let member = match member_id {
        Some(id) => Some(
            repo::member(conn, id)?
                .ok_or_else(|| AppError::invalid_field("member_id", "No such member."))?,
        ),
        None => None,
    };
    let timezone = match &member {
        Some(m) => m.timezone.clone(),
        None => own_member(conn, viewer)?.timezone,
    };
    let mut filter = read_filter(conn, q, &timezone)?;
    filter.user_id = member.map(|m| m.person.id);
    let rows = repo::list(conn, &filter, None, 0)?;
    export::club_csv(&rows, ctx.now_unix())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock;

    #[test]
    fn date_bounds_cover_whole_local_days() {
        let oslo = zone("Europe/Oslo");
        // 10 January in Oslo starts at 23:00 UTC the day before and ends 24 hours later.
        let from = read_bound("2026-01-10", oslo, false).unwrap();
        let to = read_bound("2026-01-10", oslo, true).unwrap();
        assert_eq!(clock::rfc3339_at(from), "2026-01-09T23:00:00Z");
        assert_eq!(to - from, 86_400);
        // An instant is inclusive at both ends.
        let t = read_bound("2026-01-10T12:00:00Z", oslo, true).unwrap();
        assert_eq!(clock::rfc3339_at(t - 1), "2026-01-10T12:00:00Z");
        assert_eq!(read_bound("10/01/2026", oslo, false), None);
        // The spring-forward day is 23 hours long.
        let day = read_bound("2026-03-29", oslo, true).unwrap()
            - read_bound("2026-03-29", oslo, false).unwrap();
        assert_eq!(day, 23 * 3600);
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_the_first_minute_that_exists() {
        // Santiago skipped from 00:00 to 01:00 on 2022-09-11.
        let santiago = zone("America/Santiago");
        let date = NaiveDate::from_ymd_opt(2022, 9, 11).unwrap();
        let t = start_of_day(date, santiago).unwrap();
        assert_eq!(clock::format_in(t, santiago, "%H:%M"), "01:00");
    }
}

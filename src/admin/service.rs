//! Admin use cases.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use rusqlite::Connection;
use serde_json::json;

use super::chart::Point;
use super::input::{Number, SettingsInput};
use super::repo;
use super::views::{ChartView, Count, Dashboard, SettingsView, SystemView, Tile};
use crate::accounts::model::Actor;
use crate::accounts::model::UserStatus;
use crate::accounts::repo as accounts;
use crate::audit::{self, AuditEvent};
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::email::outbox;
use crate::error::{AppError, Validator};
use crate::settings::{self, PublicInfo, RegistrationMode, TwoFactorPolicy};
use crate::values::{ClubName, Email};

/// The dashboard for `actor`: admins see everything; organizers (who run gift exchanges and
/// activity types) see exchanges by state and the activity chart, never figures about people,
/// mail or the server (those parts are `None`). 403 for anyone else. Periods are whole UTC
/// weeks (from Monday) and calendar months ending with the current one, taken from the
/// injected clock. Mail mode and jobs are filled in by the caller, which knows the running
/// scheduler and transport.
pub(crate) fn dashboard(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
) -> Result<Dashboard, AppError> {
    if !actor.is_organizer() {
        return Err(AppError::forbidden(
            "This part of Clubroom is for club admins and organizers.",
        ));
    }
    let now = ctx.now_unix();
    let admin = actor.is_admin();
    let weeks = periods::weeks(now, periods::COUNT);
    let mut charts = vec![chart(
        "activity_minutes",
        "Activity minutes per week",
        "minutes",
        &weeks,
        &repo::activity_minutes(conn, weeks.from(), weeks.to())?,
    )];
    if admin {
        let months = periods::months(now, periods::COUNT);
        charts.insert(
            0,
            chart(
                "new_members",
                "New members per month",
                "members",
                &months,
                &repo::joins(conn, months.from(), months.to())?,
            ),
        );
        charts.push(chart(
            "bookings",
            "Bookings per week",
            "bookings",
            &weeks,
            &repo::bookings(conn, weeks.from(), weeks.to())?,
        ));
    }
    Ok(Dashboard {
        scope: if admin { "admin" } else { "organizer" },
        generated_at: crate::clock::rfc3339(ctx.now()),
        members_by_status: admin.then(|| members_by_status(conn)).transpose()?,
        waiting: admin.then(|| waiting(conn, now)).transpose()?,
        exchanges_by_state: exchanges_by_state(conn)?,
        charts,
        system: admin.then(|| system(conn, ctx)).transpose()?,
    })
}

fn chart(
    key: &'static str,
    title: &'static str,
    unit: &'static str,
    periods: &periods::Periods,
    rows: &[(i64, i64)],
) -> ChartView {
    ChartView { key, title, unit, points: periods.points(rows), svg: String::new() }
}

/// Words for a snake_case status or state.
fn label(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn members_by_status(conn: &Connection) -> Result<Vec<Tile>, AppError> {
    let counts: HashMap<String, i64> = repo::members_by_status(conn)?.into_iter().collect();
    Ok(UserStatus::ALL
        .iter()
        .map(|status| {
            let key = status.as_str();
            Tile {
                key: key.to_string(),
                label: label(key),
                count: counts.get(key).copied().unwrap_or(0),
                href: format!("/admin/members?status={key}"),
            }
        })
        .collect())
}

fn waiting(conn: &Connection, now: i64) -> Result<Vec<Tile>, AppError> {
    let pending_reviews = repo::members_by_status(conn)?
        .into_iter()
        .find(|(status, _)| status == UserStatus::PendingReview.as_str())
        .map_or(0, |(_, n)| n);
    let tile = |key: &str, label: &str, count: i64, href: &str| Tile {
        key: key.to_string(),
        label: label.to_string(),
        count,
        href: href.to_string(),
    };
    Ok(vec![
        tile(
            "pending_invites",
            "Open invitations",
            crate::invites::repo::count_pending(conn, now)?,
            "/admin/invites",
        ),
        tile(
            "pending_reviews",
            "Members waiting for review",
            pending_reviews,
            "/admin/members?status=pending_review",
        ),
        tile(
            "pending_bookings",
            "Bookings to decide",
            repo::pending_bookings(conn)?,
            "/admin/bookings?status=pending",
        ),
        tile(
            "unread_replies",
            "Unread replies to notices",
            repo::unread_replies(conn)?,
            "/admin/messages",
        ),
        tile(
            "outbox_failures",
            "Emails that failed",
            repo::failed_emails(conn)?,
            "/admin/outbox?status=failed",
        ),
    ])
}

fn exchanges_by_state(conn: &Connection) -> Result<Vec<Tile>, AppError> {
    let counts: HashMap<String, i64> = repo::exchanges_by_state(conn)?.into_iter().collect();
    Ok(["draft", "registration_open", "registration_closed", "matched", "completed"]
        .into_iter()
        .map(|state| Tile {
            key: state.to_string(),
            label: label(state),
            count: counts.get(state).copied().unwrap_or(0),
            href: "/admin/exchanges".to_string(),
        })
        .collect())
}

fn system(conn: &Connection, ctx: &Ctx) -> Result<SystemView, AppError> {
    let counts = |rows: Vec<(String, i64)>| {
        rows.into_iter().map(|(label, count)| Count { label, count }).collect::<Vec<_>>()
    };
    let backup_age = crate::backups::service::last_backup_age(ctx)?;
    Ok(SystemView {
        mail_mode: String::new(),
        base_url: ctx.config.public_url(),
        active_sessions: accounts::count_sessions(conn, ctx.now_unix())?,
        roles: counts(accounts::count_by_role(conn)?),
        outbox: counts(outbox::status_counts(conn)?),
        jobs: Vec::new(),
        last_backup_age_secs: backup_age,
        last_backup_age: backup_age.map(crate::backups::views::human_age),
    })
}

/// The weeks and months the charts cover, from the injected clock's "now" (UTC).
mod periods {
    use chrono::{DateTime, Datelike, Duration, Months, NaiveDate};

    use super::Point;

    /// How many weeks and months each chart shows.
    pub(crate) const COUNT: usize = 12;

    /// Consecutive periods: `starts[i]` to `starts[i + 1]`, the last one ending at `end`.
    pub(crate) struct Periods {
        starts: Vec<NaiveDate>,
        end: NaiveDate,
        label: fn(NaiveDate) -> (String, String),
    }

    fn unix(day: NaiveDate) -> i64 {
        day.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp())
    }

    fn today(now: i64) -> NaiveDate {
        DateTime::from_timestamp(now, 0).map(|t| t.date_naive()).unwrap_or_default()
    }

    /// The last `n` weeks (Monday to Monday), the current one included.
    pub(crate) fn weeks(now: i64, n: usize) -> Periods {
        let day = today(now);
        let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        let starts = (0..n).rev().map(|i| monday - Duration::weeks(i as i64)).collect();
        Periods {
            starts,
            end: monday + Duration::weeks(1),
            label: |d| {
                (d.format("%-d %b").to_string(), format!("Week of {}", d.format("%-d %b %Y")))
            },
        }
    }

    /// The last `n` calendar months, the current one included.
    pub(crate) fn months(now: i64, n: usize) -> Periods {
        let first = today(now).with_day(1).unwrap_or_default();
        let starts = (0..n)
            .rev()
            .map(|i| first.checked_sub_months(Months::new(i as u32)).unwrap_or(first))
            .collect();
        let end = first.checked_add_months(Months::new(1)).unwrap_or(first);
        Periods {
            starts,
            end,
            label: |d| (d.format("%b").to_string(), d.format("%B %Y").to_string()),
        }
    }

    impl Periods {
        pub(crate) fn from(&self) -> i64 {
            self.starts.first().map_or(unix(self.end), |d| unix(*d))
        }

        pub(crate) fn to(&self) -> i64 {
            unix(self.end)
        }

        /// Sums the weight of each `(time, weight)` row into the period it falls in; rows
        /// outside every period are ignored.
        pub(crate) fn points(&self, rows: &[(i64, i64)]) -> Vec<Point> {
            let bounds: Vec<i64> =
                self.starts.iter().map(|d| unix(*d)).chain([unix(self.end)]).collect();
            let mut sums = vec![0; self.starts.len()];
            for &(at, weight) in rows {
                if at < self.from() || at >= self.to() {
                    continue;
                }
                let i = bounds.partition_point(|b| *b <= at) - 1;
                sums[i] += weight;
            }
            self.starts
                .iter()
                .zip(sums)
                .map(|(d, value)| {
                    let (label, long_label) = (self.label)(*d);
                    Point { label, long_label, value }
                })
                .collect()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn at(s: &str) -> i64 {
            DateTime::parse_from_rfc3339(s).unwrap().timestamp()
        }

        #[test]
        fn weeks_start_on_monday_and_end_with_the_current_one() {
            // Wednesday 15 July 2026
            let w = weeks(at("2026-07-15T10:00:00Z"), 12);
            assert_eq!(w.to(), at("2026-07-20T00:00:00Z"));
            assert_eq!(w.from(), at("2026-04-27T00:00:00Z"));
            let points = w.points(&[
                (at("2026-07-13T00:00:00Z"), 30),
                (at("2026-07-19T23:59:59Z"), 15),
                (at("2026-07-12T23:59:59Z"), 5),
                (at("2026-04-26T23:59:59Z"), 1000),
                (at("2026-07-20T00:00:00Z"), 1000),
            ]);
            assert_eq!(points.len(), 12);
            assert_eq!(points[11].value, 45);
            assert_eq!(points[10].value, 5);
            assert_eq!(points.iter().map(|p| p.value).sum::<i64>(), 50, "outside rows ignored");
            assert_eq!(points[11].label, "13 Jul");
            assert_eq!(points[11].long_label, "Week of 13 Jul 2026");
        }

        #[test]
        fn months_are_calendar_months_across_the_new_year() {
            let m = months(at("2026-02-28T23:00:00Z"), 12);
            assert_eq!(m.from(), at("2025-03-01T00:00:00Z"));
            assert_eq!(m.to(), at("2026-03-01T00:00:00Z"));
            let points =
                m.points(&[(at("2026-01-31T23:59:59Z"), 1), (at("2025-12-01T00:00:00Z"), 1)]);
            assert_eq!(points[10].value, 1);
            assert_eq!(points[9].value, 1);
            assert_eq!(points[0].long_label, "March 2025");
            assert_eq!(points[11].label, "Feb");
        }
    }
}

fn admin_only(actor: &Actor) -> Result<(), AppError> {
    actor.require_admin("This part of Clubroom is for club admins.")
}

/// The club settings, with their defaults applied. Admins only (403).
pub(crate) fn get_settings(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
) -> Result<SettingsView, AppError> {
    admin_only(actor)?;
    let account = settings::account_settings(conn)?;
    let sessions = settings::session_timeouts(conn, &ctx.config)?;
    let backups = settings::backup_schedule(conn)?;
    Ok(SettingsView {
        club_name: settings::get(conn, settings::CLUB_NAME)?
            .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string()),
        club_description: settings::get(conn, settings::CLUB_DESCRIPTION)?.unwrap_or_default(),
        contact_email: settings::get(conn, settings::CONTACT_EMAIL)?.unwrap_or_default(),
        club_timezone: settings::club_timezone(conn)?,
        registration_mode: account.registration_mode.as_str(),
        two_factor_policy: account.two_factor_policy.as_str(),
        guest_accounts: account.guest_accounts,
        member_review: account.member_review,
        direct_chat: account.direct_chat,
        session_idle_minutes: sessions.idle_minutes,
        session_absolute_minutes: sessions.absolute_minutes,
        backup_interval_hours: backups.interval_hours,
        backup_keep: backups.keep,
    })
}

/// The longest session limit an admin can set: a year.
const MAX_SESSION_MINUTES: i64 = 365 * 24 * 60;
/// Shorter idle limits would end sessions between two clicks: a session's last use is
/// recorded at most once a minute.
const MIN_SESSION_MINUTES: i64 = 5;

/// Changes the given settings (admins only, 403): 422 naming every invalid value (club name
/// 1-80 characters, description up to 300, a valid contact email or none, an IANA time zone,
/// the known registration modes and 2FA policies, session limits of 5 minutes to a year with
/// the idle one no longer than the absolute one, backups every 1-720 hours keeping 1-100).
/// Every change is audited as `setting_changed` with its old and new value. A shorter
/// absolute session limit also shortens the sessions already open. Returns the settings after
/// the change.
pub(crate) fn update_settings(
    tx: &Tx,
    ctx: &Ctx,
    actor: &Actor,
    input: SettingsInput,
    ip: Option<&str>,
) -> Result<SettingsView, AppError> {
    let before = get_settings(tx, ctx, actor)?;
    let mut v = Validator::new();
    let club_name = match input.club_name {
        Some(name) => v.parsed("club_name", ClubName::parse(&name)).map(ClubName::into_string),
        None => None,
    };
    let description = input.club_description.map(|d| d.trim().to_string());
    if let Some(text) = &description {
        v.check(
            text.chars().count() <= 300 && !text.chars().any(char::is_control),
            "club_description",
            "Use at most 300 characters, on one line.",
        );
    }
    let contact_email = input.contact_email.map(|e| e.trim().to_string());
    if let Some(email) = contact_email.as_deref().filter(|e| !e.is_empty()) {
        v.result("contact_email", Email::parse(email).map(drop));
    }
    let timezone = input.club_timezone.map(|z| z.trim().to_string());
    if let Some(zone) = &timezone {
        v.check(
            zone.parse::<chrono_tz::Tz>().is_ok(),
            "club_timezone",
            "Choose a time zone name from the list, like Europe/Paris.",
        );
    }
    if let Some(mode) = &input.registration_mode {
        v.parsed("registration_mode", mode.parse::<RegistrationMode>());
    }
    if let Some(policy) = &input.two_factor_policy {
        v.parsed("two_factor_policy", policy.parse::<TwoFactorPolicy>());
    }
    let mut number = |field: &'static str, value: &Option<Number>, range: RangeInclusive<i64>| {
        let value = value.as_ref()?;
        let parsed = value.parse_in(range.clone());
        if parsed.is_none() {
            let message =
                format!("Enter a whole number from {} to {}.", range.start(), range.end());
            v.check(false, field, message);
        }
        parsed
    };
    let sessions = MIN_SESSION_MINUTES..=MAX_SESSION_MINUTES;
    let idle = number("session_idle_minutes", &input.session_idle_minutes, sessions.clone());
    let absolute = number("session_absolute_minutes", &input.session_absolute_minutes, sessions);
    let interval = number("backup_interval_hours", &input.backup_interval_hours, 1..=720);
    let keep = number("backup_keep", &input.backup_keep, 1..=100);
    let (idle_after, absolute_after) = (
        idle.unwrap_or(before.session_idle_minutes),
        absolute.unwrap_or(before.session_absolute_minutes),
    );
    if (idle.is_some() || absolute.is_some()) && idle_after > absolute_after {
        v.check(
            false,
            "session_idle_minutes",
            "The idle limit cannot be longer than the absolute limit.",
        );
    }
    v.finish()?;

    let now = ctx.now_unix();
    let on_off = |on: bool| if on { "on" } else { "off" }.to_string();
    let text = |n: i64| n.to_string();
    let changes = [
        (settings::CLUB_NAME, club_name, before.club_name.clone()),
        (settings::CLUB_DESCRIPTION, description, before.club_description.clone()),
        (settings::CONTACT_EMAIL, contact_email, before.contact_email.clone()),
        (settings::CLUB_TIMEZONE, timezone, before.club_timezone.clone()),
        (
            settings::REGISTRATION_MODE,
            input.registration_mode,
            before.registration_mode.to_string(),
        ),
        (
            settings::TWO_FACTOR_POLICY,
            input.two_factor_policy,
            before.two_factor_policy.to_string(),
        ),
        (settings::GUEST_ACCOUNTS, input.guest_accounts.map(on_off), on_off(before.guest_accounts)),
        (settings::MEMBER_REVIEW, input.member_review.map(on_off), on_off(before.member_review)),
        (settings::DIRECT_CHAT, input.direct_chat.map(on_off), on_off(before.direct_chat)),
        (settings::SESSION_IDLE_MINUTES, idle.map(text), text(before.session_idle_minutes)),
        (
            settings::SESSION_ABSOLUTE_MINUTES,
            absolute.map(text),
            text(before.session_absolute_minutes),
        ),
        (settings::BACKUP_INTERVAL_HOURS, interval.map(text), text(before.backup_interval_hours)),
        (settings::BACKUP_KEEP, keep.map(text), text(before.backup_keep)),
    ];
    for (key, new, old) in changes {
        let Some(new) = new.filter(|new| *new != old) else { continue };
        settings::set(tx, key, &new, now)?;
        let event = AuditEvent::new("setting_changed")
            .actor_opt(actor.user_id())
            .target(key.to_string())
            .detail(json!({ "before": old, "after": new }))
            .ip(ip);
        audit::record(tx, event, now)?;
    }
    if let Some(minutes) = absolute.filter(|m| *m < before.session_absolute_minutes) {
        accounts::cap_session_lifetimes(tx, minutes * 60)?;
    }
    let after = get_settings(tx, ctx, actor)?;
    tx.set_club_name(&after.club_name);
    tx.set_public_info(PublicInfo {
        description: after.club_description.clone(),
        contact_email: after.contact_email.clone(),
        session_absolute_minutes: after.session_absolute_minutes,
    });
    Ok(after)
}

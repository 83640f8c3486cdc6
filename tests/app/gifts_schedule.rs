//! The schedule of gift exchanges: reminders before the exchange date, the admins' notices and
//! their preferences (club-wide and per exchange), and the purge of completed exchanges.
//!
//! Exchanges and participants are written straight into the tables here, as the exchange
//! screens would leave them.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use clubroom::accounts::model::{Role, UserStatus};
use clubroom::gifts::notify::{self, AdminNotice};
use clubroom::gifts::schedule;
use clubroom::jobs::Scheduler;
use rocket::http::{Method, Status};
use rusqlite::params;
use serde_json::{json, Value};

use crate::support::*;

// ----- helpers -----

/// The app, once the schedule job's start-up run is over (so it cannot race the test).
async fn spawn() -> TestApp {
    let app = TestApp::spawn().await;
    settle(&app).await;
    app
}

/// Waits until the `gift_schedule` job has run at least once.
async fn settle(app: &TestApp) {
    let scheduler = app.client.rocket().state::<Arc<Scheduler>>().unwrap().clone();
    for _ in 0..1000 {
        if scheduler.statuses().iter().any(|s| s.name == "gift_schedule" && s.runs >= 1) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the gift_schedule job never ran");
}

/// Moves the app's clock to `at`.
fn set_clock(app: &TestApp, at: DateTime<Utc>) {
    app.advance(at - app.ctx().now());
}

/// Moves the clock to the coming 12:00 UTC, far from any UTC day boundary.
fn at_noon_utc(app: &TestApp) {
    let now = app.ctx().now();
    let noon = now.date_naive().and_hms_opt(12, 0, 0).unwrap().and_utc();
    set_clock(app, if now.hour() < 12 { noon } else { noon + Duration::days(1) });
}

fn today(app: &TestApp, tz: &str) -> NaiveDate {
    schedule::today_in(&app.ctx(), tz)
}

/// An exchange as the exchange screens would store it.
struct Ex {
    name: &'static str,
    state: &'static str,
    date: NaiveDate,
    tz: &'static str,
    days: &'static str,
    budget: &'static str,
    completed_at: Option<i64>,
}

impl Ex {
    fn new(name: &'static str, date: NaiveDate) -> Ex {
        Ex {
            name,
            state: "registration_open",
            date,
            tz: "UTC",
            days: "[7,1]",
            budget: "",
            completed_at: None,
        }
    }

    fn state(mut self, state: &'static str) -> Ex {
        self.state = state;
        self
    }

    fn tz(mut self, tz: &'static str) -> Ex {
        self.tz = tz;
        self
    }

    fn days(mut self, days: &'static str) -> Ex {
        self.days = days;
        self
    }

    fn budget(mut self, budget: &'static str) -> Ex {
        self.budget = budget;
        self
    }

    fn completed_at(mut self, at: i64) -> Ex {
        self.state = "completed";
        self.completed_at = Some(at);
        self
    }

    async fn insert(self, app: &TestApp) -> i64 {
        let now = app.ctx().now_unix();
        app.db()
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO exchanges (slug, name, budget, registration_close_date,
                        exchange_date, timezone, state, reminder_days, created_at, updated_at,
                        completed_at)
                     VALUES (lower(hex(randomblob(6))), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
                    params![
                        self.name,
                        self.budget,
                        (self.date - Duration::days(14)).to_string(),
                        self.date.to_string(),
                        self.tz,
                        self.state,
                        self.days,
                        now,
                        self.completed_at
                    ],
                )?;
                Ok(tx.last_insert_rowid())
            })
            .await
            .unwrap()
    }
}

/// Adds a participant named `name` with email `<name>@example.org` (lowercased).
async fn join(app: &TestApp, exchange: i64, name: &str, ideas: &str, reminders: bool) -> i64 {
    let (name, ideas, now) = (name.to_string(), ideas.to_string(), app.ctx().now_unix());
    app.db()
        .write(move |tx| {
            tx.execute(
                "INSERT INTO exchange_participants (exchange_id, name, email, gift_ideas,
                    reminders, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    exchange,
                    name,
                    format!("{}@example.org", name.to_lowercase()),
                    ideas,
                    reminders,
                    now
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })
        .await
        .unwrap()
}

/// Runs `sql` with parameters.
async fn sql(app: &TestApp, sql: &'static str, values: Vec<i64>) {
    app.db()
        .write(move |tx| {
            tx.execute(sql, rusqlite::params_from_iter(values))?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn scalar_i64(app: &TestApp, query: String) -> i64 {
    app.db().read(move |tx| Ok(tx.query_row(&query, [], |r| r.get(0))?)).await.unwrap()
}

async fn remind(app: &TestApp) -> usize {
    let ctx = app.ctx();
    app.db().call(move |c| schedule::send_due_reminders(c, &ctx)).await.unwrap()
}

async fn purge(app: &TestApp) -> usize {
    let ctx = app.ctx();
    app.db().call(move |c| schedule::purge_completed(c, &ctx)).await.unwrap()
}

/// Subject and text of every email queued with `template` to `to`, oldest first.
async fn mails(app: &TestApp, template: &'static str, to: &str) -> Vec<(String, String)> {
    let (to, ctx) = (to.to_string(), app.ctx());
    app.db()
        .read(move |tx| {
            let sealer = clubroom::email::seal::Sealer::new(&ctx.secret);
            let mut stmt = tx.prepare(
                "SELECT subject, body_text FROM email_outbox
                  WHERE template = ?1 AND to_address = ?2 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![template, to], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (subject, text) = row?;
                out.push((sealer.open(&subject)?, sealer.open(&text)?));
            }
            Ok(out)
        })
        .await
        .unwrap()
}

async fn count_mails(app: &TestApp, template: &str) -> i64 {
    scalar_i64(app, format!("SELECT count(*) FROM email_outbox WHERE template = '{template}'"))
        .await
}

async fn reminder_rows(app: &TestApp, exchange: i64) -> Vec<i64> {
    app.db()
        .read(move |tx| {
            let mut stmt = tx.prepare(
                "SELECT days_before FROM exchange_reminders WHERE exchange_id = ?1
                  ORDER BY days_before DESC",
            )?;
            let rows = stmt.query_map([exchange], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap()
}

async fn notify_admins(app: &TestApp, exchange: i64, what: AdminNotice) {
    let ctx = app.ctx();
    app.db().write(move |tx| notify::admins(tx, &ctx, exchange, what)).await.unwrap();
}

fn location(response: &rocket::local::asynchronous::LocalResponse<'_>) -> String {
    response.headers().get_one("Location").unwrap_or_default().to_string()
}

async fn put(app: &TestApp, path: &str, body: Value) -> (Status, Value) {
    app.send_json(Method::Put, path, body).await
}

// ----- reminders -----

#[rocket::async_test]
async fn reminders_go_out_seven_days_and_one_day_before_once_each() {
    let app = spawn().await;
    at_noon_utc(&app);
    let date = today(&app, "UTC") + Duration::days(10);
    let ex = Ex::new("Family Christmas", date).budget("Up to 30 EUR").insert(&app).await;
    join(&app, ex, "Ann", "Books", true).await;
    join(&app, ex, "Bo", "", true).await;

    assert_eq!(remind(&app).await, 0, "ten days ahead, nothing is due");
    app.advance(Duration::days(3));
    assert_eq!(remind(&app).await, 2, "one email per participant seven days ahead");
    assert_eq!(remind(&app).await, 0, "the same day, nothing again");
    let ann = mails(&app, "gift_reminder", "ann@example.org").await;
    assert_eq!(ann.len(), 1);
    let (subject, text) = &ann[0];
    assert_eq!(subject, "Family Christmas: 7 days to go");
    assert!(text.contains("Hello Ann"), "{text}");
    assert!(text.contains("\"Family Christmas\""), "{text}");
    assert!(text.contains(&date.format("%A %-d %B %Y").to_string()), "the date: {text}");
    assert!(text.contains("7 days left"), "{text}");
    assert!(text.contains("Budget: Up to 30 EUR"), "{text}");
    assert!(text.contains("http://127.0.0.1:8000/exchanges"), "a link to the exchanges: {text}");
    assert!(!text.contains("giving a gift to"), "not matched yet: {text}");
    assert_eq!(reminder_rows(&app, ex).await, vec![7]);

    app.advance(Duration::days(5));
    assert_eq!(remind(&app).await, 0, "two days ahead there is no reminder day");
    app.advance(Duration::days(1));
    assert_eq!(remind(&app).await, 2, "the day before");
    assert_eq!(remind(&app).await, 0);
    let bo = mails(&app, "gift_reminder", "bo@example.org").await;
    let (subject, text) = &bo[1];
    assert_eq!(subject, "Family Christmas: tomorrow");
    assert!(text.contains("1 day left"), "{text}");
    app.advance(Duration::days(1));
    assert_eq!(remind(&app).await, 0, "nothing on the day itself");
    assert_eq!(count_mails(&app, "gift_reminder").await, 4);
    assert_eq!(reminder_rows(&app, ex).await, vec![7, 1]);

    let delivered = app.emails_to("ann@example.org").await;
    assert_eq!(delivered.len(), 2, "and they are delivered");
}

#[rocket::async_test]
async fn participants_with_reminders_off_or_no_longer_in_get_none() {
    let app = spawn().await;
    at_noon_utc(&app);
    let ex = Ex::new("Office", today(&app, "UTC") + Duration::days(1)).insert(&app).await;
    join(&app, ex, "Ann", "", true).await;
    join(&app, ex, "Bo", "", false).await;
    let cy = join(&app, ex, "Cy", "", true).await;
    let dee = join(&app, ex, "Dee", "", true).await;
    let now = app.ctx().now_unix();
    sql(
        &app,
        "UPDATE exchange_participants SET removed_at = ?2, removed_how = 'withdrew' WHERE id = ?1",
        vec![cy, now],
    )
    .await;
    sql(
        &app,
        "UPDATE exchange_participants SET removed_at = ?2, removed_how = 'removed' WHERE id = ?1",
        vec![dee, now],
    )
    .await;

    assert_eq!(remind(&app).await, 1);
    assert_eq!(mails(&app, "gift_reminder", "ann@example.org").await.len(), 1);
    for nobody in ["bo", "cy", "dee"] {
        let to = format!("{nobody}@example.org");
        assert!(mails(&app, "gift_reminder", &to).await.is_empty(), "{nobody} gets none");
    }
}

#[rocket::async_test]
async fn an_exchange_whose_participants_all_turned_reminders_off_gets_none() {
    let app = spawn().await;
    at_noon_utc(&app);
    let ex = Ex::new("Quiet", today(&app, "UTC") + Duration::days(7)).insert(&app).await;
    join(&app, ex, "Ann", "", false).await;
    join(&app, ex, "Bo", "", false).await;
    assert_eq!(remind(&app).await, 0);
    assert_eq!(count_mails(&app, "gift_reminder").await, 0);
}

#[rocket::async_test]
async fn draft_completed_and_past_exchanges_get_no_reminders() {
    let app = spawn().await;
    at_noon_utc(&app);
    let now = app.ctx().now_unix();
    let soon = today(&app, "UTC") + Duration::days(1);
    let draft = Ex::new("Draft", soon).state("draft").insert(&app).await;
    let done = Ex::new("Done", soon).completed_at(now).insert(&app).await;
    let today_ex = Ex::new("Today", today(&app, "UTC")).state("matched").insert(&app).await;
    let past =
        Ex::new("Past", today(&app, "UTC") - Duration::days(3)).state("matched").insert(&app).await;
    for ex in [draft, done, today_ex, past] {
        join(&app, ex, &format!("P{ex}"), "", true).await;
    }
    assert_eq!(remind(&app).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM exchange_reminders").await, 0);
    assert_eq!(count_mails(&app, "gift_reminder").await, 0);

    let closed = Ex::new("Closed", soon).state("registration_closed").insert(&app).await;
    join(&app, closed, "Zed", "", true).await;
    assert_eq!(remind(&app).await, 1, "a closed registration still gets reminders");
}

#[rocket::async_test]
async fn a_matched_exchange_reminder_names_the_recipient_and_their_ideas_only() {
    let app = spawn().await;
    at_noon_utc(&app);
    let ex = Ex::new("Santa", today(&app, "UTC") + Duration::days(7))
        .state("matched")
        .insert(&app)
        .await;
    let ann = join(&app, ex, "Ann", "A kite", true).await;
    let bo = join(&app, ex, "Bo", "A chess set", true).await;
    let cy = join(&app, ex, "Cy", "", true).await;
    let now = app.ctx().now_unix();
    for (giver, receiver) in [(ann, bo), (bo, cy), (cy, ann)] {
        sql(
            &app,
            "INSERT INTO exchange_matches (exchange_id, giver_id, receiver_id, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            vec![ex, giver, receiver, now],
        )
        .await;
    }
    assert_eq!(remind(&app).await, 3);
    let to_ann = mails(&app, "gift_reminder", "ann@example.org").await.remove(0).1;
    assert!(to_ann.contains("You are giving a gift to Bo."), "{to_ann}");
    assert!(to_ann.contains("A chess set"), "{to_ann}");
    assert!(!to_ann.contains("A kite"), "not their own ideas: {to_ann}");
    assert!(!to_ann.contains("Cy"), "nothing about anyone else's draw: {to_ann}");
    let to_bo = mails(&app, "gift_reminder", "bo@example.org").await.remove(0).1;
    assert!(to_bo.contains("You are giving a gift to Cy."), "{to_bo}");
    assert!(to_bo.contains("have not written any gift ideas yet"), "{to_bo}");
    assert!(!to_bo.contains("A kite") && !to_bo.contains("A chess set"), "{to_bo}");
}

#[rocket::async_test]
async fn reminders_sent_before_a_restart_are_not_sent_again() {
    let app = spawn().await;
    at_noon_utc(&app);
    let ex = Ex::new("Lasting", today(&app, "UTC") + Duration::days(7)).insert(&app).await;
    join(&app, ex, "Ann", "", true).await;
    join(&app, ex, "Bo", "", true).await;
    assert_eq!(remind(&app).await, 2);
    let shifted = app.ctx().now();

    let again = app.restart().await;
    settle(&again).await;
    set_clock(&again, shifted);
    assert_eq!(remind(&again).await, 0, "the record survived the restart");
    assert_eq!(count_mails(&again, "gift_reminder").await, 2, "the start-up run sent nothing");
    again.advance(Duration::days(6));
    assert_eq!(remind(&again).await, 2, "the next reminder still comes");
    assert_eq!(reminder_rows(&again, ex).await, vec![7, 1]);
}

#[rocket::async_test]
async fn the_schedule_job_runs_every_quarter_hour_and_at_start_up() {
    let app = spawn().await;
    let status = app
        .client
        .rocket()
        .state::<Arc<Scheduler>>()
        .unwrap()
        .statuses()
        .into_iter()
        .find(|s| s.name == "gift_schedule")
        .expect("the job is registered");
    assert_eq!(status.every_secs, 15 * 60);
    assert!(status.last_error.is_none(), "{:?}", status.last_error);

    // What the server finds due when it starts is handled by the start-up run, with no call
    // from anyone. The margins keep the test clear of midnight.
    let due = Ex::new("Due", today(&app, "UTC") + Duration::days(2)).days("[3]").insert(&app).await;
    join(&app, due, "Ann", "", true).await;
    let month_ago = app.ctx().now_unix() - 31 * 86_400;
    let old = Ex::new("Old", today(&app, "UTC")).completed_at(month_ago).insert(&app).await;
    join(&app, old, "Bo", "", true).await;

    // Only the new instance may deliver, so its mailbox gets the reminder.
    app.client.rocket().state::<Arc<Scheduler>>().unwrap().shutdown().await;
    let again = app.restart().await;
    settle(&again).await;
    assert_eq!(reminder_rows(&again, due).await, vec![3]);
    assert_eq!(mails(&again, "gift_reminder", "ann@example.org").await.len(), 1);
    assert_eq!(again.count("SELECT count(*) FROM exchanges WHERE name = 'Old'").await, 0);
    assert_eq!(again.emails_to("ann@example.org").await.len(), 1, "and it is delivered");
}

#[rocket::async_test]
async fn after_downtime_only_the_nearest_reminder_goes_out() {
    let app = spawn().await;
    at_noon_utc(&app);
    let start = today(&app, "UTC");
    let missed = Ex::new("Missed", start + Duration::days(10)).days("[7,3,1]").insert(&app).await;
    join(&app, missed, "Ann", "", true).await;
    join(&app, missed, "Bo", "", true).await;
    let later = Ex::new("Later", start + Duration::days(14)).days("[7,3,1]").insert(&app).await;
    join(&app, later, "Cy", "", true).await;

    app.advance(Duration::days(9));
    assert_eq!(remind(&app).await, 3, "one email each, not three");
    let ann = mails(&app, "gift_reminder", "ann@example.org").await;
    assert_eq!(ann.len(), 1);
    assert!(ann[0].1.contains("1 day left"), "{}", ann[0].1);
    assert_eq!(reminder_rows(&app, missed).await, vec![7, 3, 1], "the missed ones count as done");
    let cy = mails(&app, "gift_reminder", "cy@example.org").await;
    assert!(cy[0].1.contains("5 days left"), "a late reminder tells the real days: {}", cy[0].1);
    assert_eq!(reminder_rows(&app, later).await, vec![7]);
    assert_eq!(remind(&app).await, 0);
    app.advance(Duration::days(2));
    assert_eq!(remind(&app).await, 1, "the 3-day reminder of the later exchange");
}

#[rocket::async_test]
async fn a_far_reminder_added_after_a_nearer_one_went_out_is_skipped() {
    let app = spawn().await;
    at_noon_utc(&app);
    app.as_admin().await;
    let ex =
        Ex::new("Edited", today(&app, "UTC") + Duration::days(3)).days("[3]").insert(&app).await;
    join(&app, ex, "Ann", "", true).await;
    assert_eq!(remind(&app).await, 1);
    let (status, body) =
        put(&app, &format!("/api/v1/exchanges/{ex}/schedule"), json!({"reminder_days": [7, 3, 2]}))
            .await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(remind(&app).await, 0, "7 days is past and a nearer reminder already went out");
    assert_eq!(reminder_rows(&app, ex).await, vec![7, 3]);
    app.advance(Duration::days(1));
    assert_eq!(remind(&app).await, 1, "the added nearer day does go out");
}

#[rocket::async_test]
async fn the_exchange_time_zone_decides_which_day_it_is() {
    let app = spawn().await;
    // 13:00 UTC: already the next day in Auckland (UTC+12 or +13), still this day in Los
    // Angeles (UTC-7 or -8).
    let x = app.ctx().now().date_naive() + Duration::days(1);
    set_clock(&app, x.and_hms_opt(13, 0, 0).unwrap().and_utc());
    assert_eq!(today(&app, "Pacific/Auckland"), x + Duration::days(1));
    assert_eq!(today(&app, "America/Los_Angeles"), x);
    let date = x + Duration::days(2);
    let nz = Ex::new("Auckland", date).tz("Pacific/Auckland").days("[1]").insert(&app).await;
    join(&app, nz, "Kiri", "", true).await;
    let la = Ex::new("Los Angeles", date).tz("America/Los_Angeles").days("[1]").insert(&app).await;
    join(&app, la, "Lou", "", true).await;

    assert_eq!(remind(&app).await, 1, "the day before in Auckland only");
    assert_eq!(mails(&app, "gift_reminder", "kiri@example.org").await.len(), 1);
    app.advance(Duration::hours(12));
    assert_eq!(remind(&app).await, 0, "still two days ahead in Los Angeles");
    app.advance(Duration::hours(12));
    assert_eq!(remind(&app).await, 1, "now the day before in Los Angeles");
    assert_eq!(mails(&app, "gift_reminder", "lou@example.org").await.len(), 1);
    assert_eq!(mails(&app, "gift_reminder", "kiri@example.org").await.len(), 1);
}

// ----- the purge -----

#[rocket::async_test]
async fn completed_exchanges_are_purged_thirty_days_after_and_not_before() {
    let app = spawn().await;
    at_noon_utc(&app);
    let guest = app.create_user("guestkim", &[Role::Guest]).await;
    let now = app.ctx().now_unix();
    let day = today(&app, "UTC");
    let done = Ex::new("Finished", day - Duration::days(1)).completed_at(now).insert(&app).await;
    let a = join(&app, done, "Ann", "Socks", true).await;
    let b = join(&app, done, "Bo", "", true).await;
    let c = join(&app, done, "Cy", "", true).await;
    sql(&app, "UPDATE exchange_participants SET user_id = ?2 WHERE id = ?1", vec![a, guest]).await;
    sql(
        &app,
        "INSERT INTO exchange_exclusions (exchange_id, participant_a, participant_b, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        vec![done, a, b, now],
    )
    .await;
    for (giver, receiver) in [(a, c), (c, b), (b, a)] {
        sql(
            &app,
            "INSERT INTO exchange_matches (exchange_id, giver_id, receiver_id, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            vec![done, giver, receiver, now],
        )
        .await;
    }
    sql(
        &app,
        "INSERT INTO exchange_reminders (exchange_id, days_before, sent_at) VALUES (?1, 7, ?2)",
        vec![done, now],
    )
    .await;
    let recent = Ex::new("Recent", day).completed_at(now + 10 * 86_400).insert(&app).await;
    let open = Ex::new("Running", day + Duration::days(40)).insert(&app).await;

    assert_eq!(purge(&app).await, 0);
    app.advance(Duration::days(29) + Duration::hours(23));
    assert_eq!(purge(&app).await, 0, "not before thirty days");
    assert_eq!(
        scalar_i64(&app, format!("SELECT count(*) FROM exchanges WHERE id = {done}")).await,
        1
    );
    app.advance(Duration::hours(2));
    assert_eq!(purge(&app).await, 1);
    for table in
        ["exchange_participants", "exchange_exclusions", "exchange_matches", "exchange_reminders"]
    {
        let n =
            scalar_i64(&app, format!("SELECT count(*) FROM {table} WHERE exchange_id = {done}"))
                .await;
        assert_eq!(n, 0, "{table} is emptied");
    }
    let remaining: Vec<i64> = app
        .db()
        .read(|tx| {
            let mut stmt = tx.prepare("SELECT id FROM exchanges ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(remaining, vec![recent, open], "younger and running exchanges stay");
    assert_eq!(
        scalar_i64(&app, format!("SELECT count(*) FROM users WHERE id = {guest}")).await,
        1,
        "accounts are not the purge's business"
    );
    let (target, detail): (String, String) = app
        .db()
        .read(|tx| {
            Ok(tx.query_row(
                "SELECT target, detail FROM audit_log WHERE kind = 'gift_exchange_purged'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(target, format!("exchange:{done}"));
    assert!(detail.contains("Finished"), "{detail}");
    for personal in ["Ann", "ann@example.org", "Socks"] {
        assert!(!detail.contains(personal), "no personal data in the audit log: {detail}");
    }
    assert_eq!(purge(&app).await, 0);

    app.advance(Duration::days(10));
    assert_eq!(purge(&app).await, 1, "the younger one in its turn");
}

// ----- admin notices -----

/// Two active admins, a disabled admin and a member who is not an admin.
async fn people(app: &TestApp) {
    app.create_user("ann", &[Role::Admin, Role::Member]).await;
    app.create_user("abe", &[Role::Admin]).await;
    app.create_user_with_status("old", &[Role::Admin], UserStatus::Disabled).await;
    app.create_user("mo", &[Role::Member, Role::Organizer]).await;
}

#[rocket::async_test]
async fn admins_hear_of_registrations_withdrawals_and_matching_by_default() {
    let app = spawn().await;
    people(&app).await;
    let ex =
        Ex::new("Family <Christmas>", today(&app, "UTC") + Duration::days(30)).insert(&app).await;
    let kim = join(&app, ex, "Kim", "", true).await;
    join(&app, ex, "Lee", "", true).await;

    notify_admins(&app, ex, AdminNotice::Registered { participant_id: kim }).await;
    notify_admins(&app, ex, AdminNotice::Withdrew { participant_id: kim }).await;
    notify_admins(&app, ex, AdminNotice::Matched).await;

    let link = format!("http://127.0.0.1:8000/admin/exchanges/{ex}");
    for admin in ["ann", "abe"] {
        let to = format!("{admin}@example.org");
        let registered = mails(&app, "gift_admin_registered", &to).await;
        assert_eq!(registered.len(), 1, "{admin}");
        let (subject, text) = &registered[0];
        assert_eq!(subject, "Kim joined Family <Christmas>");
        assert!(text.contains("Kim joined the gift exchange \"Family <Christmas>\""), "{text}");
        assert!(text.contains(&link), "{text}");
        let withdrew = mails(&app, "gift_admin_withdrew", &to).await;
        let (subject, text) = &withdrew[0];
        assert_eq!(subject, "Kim withdrew from Family <Christmas>");
        assert!(text.contains(&link), "{text}");
        let matched = mails(&app, "gift_admin_matched", &to).await;
        let (subject, text) = &matched[0];
        assert_eq!(subject, "Names drawn for Family <Christmas>");
        assert!(text.contains("2 participants"), "{text}");
        assert!(text.contains(&link), "{text}");
    }
    for other in ["old", "mo"] {
        let to = format!("{other}@example.org");
        for template in ["gift_admin_registered", "gift_admin_withdrew", "gift_admin_matched"] {
            assert!(mails(&app, template, &to).await.is_empty(), "{other} is not told");
        }
    }
    let html = app.emails_to("ann@example.org").await;
    let matched = html.iter().find(|m| m.subject.starts_with("Names drawn")).unwrap();
    assert!(matched.html.contains("Family &lt;Christmas&gt;"), "escaped in HTML");
    assert!(matched.html.replace("&#x2F;", "/").contains(&link));
}

#[rocket::async_test]
async fn a_notice_about_an_unknown_exchange_or_participant_is_a_not_found() {
    let app = spawn().await;
    let ex = Ex::new("A", today(&app, "UTC") + Duration::days(30)).insert(&app).await;
    let other = Ex::new("B", today(&app, "UTC") + Duration::days(30)).insert(&app).await;
    let stranger = join(&app, other, "Kim", "", true).await;
    let ctx = app.ctx();
    let err = app
        .db()
        .write(move |tx| notify::admins(tx, &ctx, 9999, AdminNotice::Matched))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
    let ctx = app.ctx();
    let what = AdminNotice::Registered { participant_id: stranger };
    let err = app.db().write(move |tx| notify::admins(tx, &ctx, ex, what)).await.unwrap_err();
    assert_eq!(err.status(), 404, "a participant of another exchange is not named");
}

#[rocket::async_test]
async fn the_club_default_can_turn_a_kind_of_notice_off() {
    let app = spawn().await;
    people(&app).await;
    app.login_as("ann").await;
    let (status, body) =
        put(&app, "/api/v1/exchanges/notifications", json!({"registration": false})).await;
    assert_eq!(status, Status::Ok, "{body}");
    let ex = Ex::new("Quiet", today(&app, "UTC") + Duration::days(30)).insert(&app).await;
    let kim = join(&app, ex, "Kim", "", true).await;

    notify_admins(&app, ex, AdminNotice::Registered { participant_id: kim }).await;
    assert_eq!(count_mails(&app, "gift_admin_registered").await, 0, "turned off");
    notify_admins(&app, ex, AdminNotice::Withdrew { participant_id: kim }).await;
    assert_eq!(count_mails(&app, "gift_admin_withdrew").await, 2, "the others stay on");
}

#[rocket::async_test]
async fn an_exchange_can_override_the_club_default_both_ways() {
    let app = spawn().await;
    people(&app).await;
    app.login_as("ann").await;
    put(&app, "/api/v1/exchanges/notifications", json!({"matched": false})).await;
    let loud = Ex::new("Loud", today(&app, "UTC") + Duration::days(30)).insert(&app).await;
    let quiet = Ex::new("Quiet", today(&app, "UTC") + Duration::days(30)).insert(&app).await;
    let body = json!({"notify": {"matched": true}});
    assert_eq!(put(&app, &format!("/api/v1/exchanges/{loud}/schedule"), body).await.0, Status::Ok);
    let body = json!({"notify": {"registration": false}});
    assert_eq!(put(&app, &format!("/api/v1/exchanges/{quiet}/schedule"), body).await.0, Status::Ok);
    let (kim, lee) =
        (join(&app, loud, "Kim", "", true).await, join(&app, quiet, "Lee", "", true).await);

    notify_admins(&app, loud, AdminNotice::Matched).await;
    notify_admins(&app, quiet, AdminNotice::Matched).await;
    assert_eq!(count_mails(&app, "gift_admin_matched").await, 2, "only for the loud one");
    notify_admins(&app, loud, AdminNotice::Registered { participant_id: kim }).await;
    notify_admins(&app, quiet, AdminNotice::Registered { participant_id: lee }).await;
    let sent = mails(&app, "gift_admin_registered", "ann@example.org").await;
    assert_eq!(sent.len(), 1, "the quiet one says never");
    assert!(sent[0].0.contains("Loud"));

    // Back to the club default.
    let body = json!({"notify": {"matched": null}});
    assert_eq!(put(&app, &format!("/api/v1/exchanges/{loud}/schedule"), body).await.0, Status::Ok);
    notify_admins(&app, loud, AdminNotice::Matched).await;
    assert_eq!(count_mails(&app, "gift_admin_matched").await, 2, "follows the default again");
}

// ----- the preferences API -----

#[rocket::async_test]
async fn organizers_read_and_change_the_club_notification_defaults() {
    let app = spawn().await;
    people(&app).await;
    app.login_as("mo").await;
    let path = "/api/v1/exchanges/notifications";
    let (status, body) = app.json(path).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body, json!({"registration": true, "withdrawal": true, "matched": true}));

    let (status, body) = put(&app, path, json!({"withdrawal": false})).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body, json!({"registration": true, "withdrawal": false, "matched": true}));
    assert_eq!(app.json(path).await.1, body);
    let (_, body) = put(&app, path, json!({"withdrawal": false, "matched": false})).await;
    assert_eq!(body, json!({"registration": true, "withdrawal": false, "matched": false}));
    let audited = app
        .count("SELECT count(*) FROM audit_log WHERE kind = 'setting_changed' AND target LIKE 'gift_notify_%'")
        .await;
    assert_eq!(audited, 2, "each change once, unchanged values not");

    let (status, err) = put(&app, path, json!({"sms": true})).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    let (status, err) = put(&app, path, json!({"registration": "yes"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["registration"].is_string(), "{err}");
    assert_eq!(app.json(path).await.1["registration"], true, "nothing changed");
}

#[rocket::async_test]
async fn only_organizers_touch_the_schedule_settings() {
    let app = spawn().await;
    let ex = Ex::new("Family", today(&app, "UTC") + Duration::days(30)).insert(&app).await;
    let schedule = format!("/api/v1/exchanges/{ex}/schedule");
    let global = "/api/v1/exchanges/notifications";
    assert_eq!(app.json(global).await.0, Status::Unauthorized);
    assert_eq!(app.json(&schedule).await.0, Status::Unauthorized);
    assert_eq!(put(&app, global, json!({"matched": false})).await.0, Status::Unauthorized);
    assert_eq!(put(&app, &schedule, json!({"reminder_days": [2]})).await.0, Status::Unauthorized);

    app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;
    assert_eq!(app.json(global).await.0, Status::Forbidden);
    assert_eq!(app.json(&schedule).await.0, Status::Forbidden);
    assert_eq!(put(&app, global, json!({"matched": false})).await.0, Status::Forbidden);
    assert_eq!(put(&app, &schedule, json!({"reminder_days": [2]})).await.0, Status::Forbidden);
    for page in
        ["/admin/exchanges/notifications".to_string(), format!("/admin/exchanges/{ex}/schedule")]
    {
        assert_eq!(app.client.get(page).dispatch().await.status(), Status::Forbidden);
    }
    let stored: String = app
        .db()
        .read(move |tx| {
            Ok(tx.query_row("SELECT reminder_days FROM exchanges WHERE id = ?1", [ex], |r| {
                r.get(0)
            })?)
        })
        .await
        .unwrap();
    assert_eq!(stored, "[7,1]");
    assert_eq!(app.count("SELECT count(*) FROM settings WHERE key LIKE 'gift_notify_%'").await, 0);
}

#[rocket::async_test]
async fn an_exchange_schedule_is_read_and_changed_through_the_api() {
    let app = spawn().await;
    app.as_admin().await;
    let ex = Ex::new("Family", today(&app, "UTC") + Duration::days(30)).insert(&app).await;
    let path = format!("/api/v1/exchanges/{ex}/schedule");
    let (status, body) = app.json(&path).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body["reminder_days"], json!([7, 1]));
    assert_eq!(body["notify"], json!({"registration": null, "withdrawal": null, "matched": null}));
    assert_eq!(
        body["club_default"],
        json!({"registration": true, "withdrawal": true, "matched": true})
    );
    assert_eq!(body["reminders_sent"], json!([]));
    assert_eq!(body["editable"], true);
    assert_eq!(body["purge_in_days"], Value::Null);

    let change =
        json!({"reminder_days": [1, 14, 3], "notify": {"registration": false, "matched": true}});
    let (status, body) = put(&app, &path, change).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["reminder_days"], json!([14, 3, 1]));
    assert_eq!(body["notify"], json!({"registration": false, "withdrawal": null, "matched": true}));
    let (status, body) = put(&app, &path, json!({"notify": {"matched": null}})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body["notify"], json!({"registration": false, "withdrawal": null, "matched": null}));
    assert_eq!(body["reminder_days"], json!([14, 3, 1]), "absent parts stay");
    let (_, body) = put(&app, &path, json!({"reminder_days": []})).await;
    assert_eq!(body["reminder_days"], json!([]), "no reminders at all is fine");
    let stored: (String, Option<i64>, Option<i64>) = app
        .db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT reminder_days, notify_registration, notify_matched FROM exchanges WHERE id = ?1",
                [ex],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(stored, ("[]".to_string(), Some(0), None));
    let audited =
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'gift_schedule_changed'").await;
    assert_eq!(audited, 3);

    for bad in [
        json!([0]),
        json!([61]),
        json!([7, 7]),
        json!([1, 2, 3, 4, 5, 6]),
        json!([1.5]),
        json!(["7"]),
        json!("7,1"),
        json!(null),
    ] {
        let (status, err) = put(&app, &path, json!({"reminder_days": bad})).await;
        assert_eq!(status, Status::UnprocessableEntity, "{bad}");
        assert!(err["error"]["fields"]["reminder_days"].is_string(), "{bad}: {err}");
    }
    let (status, err) = put(&app, &path, json!({"notify": {"registration": "yes"}})).await;
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    let (status, _) = put(&app, &path, json!({"reminder_days": [2], "extra": 1})).await;
    assert_eq!(status, Status::UnprocessableEntity, "unknown fields are refused");
    let (status, _) = put(&app, &path, json!({"notify": {"sms": true}})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(app.json(&path).await.1["reminder_days"], json!([]), "none of that was stored");

    assert_eq!(app.json("/api/v1/exchanges/9999/schedule").await.0, Status::NotFound);
    let (status, _) =
        put(&app, "/api/v1/exchanges/9999/schedule", json!({"reminder_days": [1]})).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn a_completed_exchange_schedule_is_frozen_and_shows_the_purge_countdown() {
    let app = spawn().await;
    app.as_admin().await;
    let now = app.ctx().now_unix();
    let ex = Ex::new("Done", today(&app, "UTC")).completed_at(now).insert(&app).await;
    let path = format!("/api/v1/exchanges/{ex}/schedule");
    let (status, err) = put(&app, &path, json!({"reminder_days": [2]})).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(err["error"]["code"], "exchange_completed");
    assert!(err["error"]["message"].as_str().unwrap().contains("completed"));
    let (_, body) = app.json(&path).await;
    assert_eq!(body["editable"], false);
    assert_eq!(body["purge_in_days"], 30);
    app.advance(Duration::days(29) + Duration::hours(12));
    app.login_as("admin").await;
    assert_eq!(app.json(&path).await.1["purge_in_days"], 1);

    let page = app.client.get(format!("/admin/exchanges/{ex}/schedule")).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(html.contains("purged in 1 day,"), "{html}");
    assert!(!html.contains("name=\"reminder_days\""), "no form for a completed exchange");
    let token = app.csrf_token(&format!("/admin/exchanges/{ex}/schedule")).await;
    let form = [("csrf_token", token.as_str()), ("reminder_days", "3")];
    let response = app.post_form(&format!("/admin/exchanges/{ex}/schedule"), &form).await;
    assert_eq!(response.status(), Status::Conflict);
    assert!(response.into_string().await.unwrap().contains("can no longer change"));
}

// ----- the pages -----

#[rocket::async_test]
async fn the_notifications_page_shows_and_saves_the_club_defaults() {
    let app = spawn().await;
    let path = "/admin/exchanges/notifications";
    let response = app.client.get(path).dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    assert!(location(&response).starts_with("/login"), "{}", location(&response));

    app.as_admin().await;
    let response = app.client.get(path).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    assert_eq!(html.matches("value=\"true\" checked").count(), 3, "all on by default");

    let token = app.csrf_token(path).await;
    let form = [("csrf_token", token.as_str()), ("registration", "true"), ("matched", "true")];
    let response = app.post_form(path, &form).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), path);
    let (_, prefs) = app.json("/api/v1/exchanges/notifications").await;
    assert_eq!(prefs, json!({"registration": true, "withdrawal": false, "matched": true}));
    let html = app.client.get(path).dispatch().await.into_string().await.unwrap();
    assert!(html.contains("Notification preferences saved."));
    assert!(html.contains("name=\"withdrawal\" value=\"true\">"), "unticked now");

    let response = app.post_form(path, &[("csrf_token", "forged"), ("withdrawal", "true")]).await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(app.json("/api/v1/exchanges/notifications").await.1["withdrawal"], false);
}

#[rocket::async_test]
async fn the_schedule_page_edits_reminder_days_and_overrides() {
    let app = spawn().await;
    at_noon_utc(&app);
    let ex = Ex::new("Family", today(&app, "UTC") + Duration::days(7)).insert(&app).await;
    join(&app, ex, "Kim", "", true).await;
    let path = format!("/admin/exchanges/{ex}/schedule");
    let response = app.client.get(path.clone()).dispatch().await;
    assert_eq!(response.status(), Status::SeeOther, "log in first");

    app.as_admin().await;
    let html = app.client.get(path.clone()).dispatch().await.into_string().await.unwrap();
    assert!(html.contains("value=\"7, 1\""), "{html}");
    assert!(html.contains("No reminder has gone out yet."));
    assert!(html.contains("Use club default (on)"));
    assert_eq!(html.matches("value=\"default\" selected").count(), 3);

    remind(&app).await;
    let html = app.client.get(path.clone()).dispatch().await.into_string().await.unwrap();
    assert!(html.contains("7 days before:"), "the reminder done is listed: {html}");

    let token = app.csrf_token(&path).await;
    let form = [
        ("csrf_token", token.as_str()),
        ("reminder_days", "10, 2"),
        ("notify_registration", "never"),
        ("notify_withdrawal", "default"),
        ("notify_matched", "always"),
    ];
    let response = app.post_form(&path, &form).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(location(&response), path);
    let (_, body) = app.json(&format!("/api/v1/exchanges/{ex}/schedule")).await;
    assert_eq!(body["reminder_days"], json!([10, 2]));
    assert_eq!(body["notify"], json!({"registration": false, "withdrawal": null, "matched": true}));
    let html = app.client.get(path.clone()).dispatch().await.into_string().await.unwrap();
    assert!(html.contains("The schedule was saved."));
    assert!(
        html.contains("value=\"never\" selected") && html.contains("value=\"always\" selected")
    );

    let bad = [("csrf_token", token.as_str()), ("reminder_days", "10, x")];
    let response = app.post_form(&path, &bad).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("whole numbers of days"), "{html}");
    assert!(html.contains("value=\"10, x\""), "what was typed is kept");
    let bad = [("csrf_token", token.as_str()), ("notify_matched", "sometimes")];
    let response = app.post_form(&path, &bad).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert!(response.into_string().await.unwrap().contains("Choose the club default"));
    let (_, body) = app.json(&format!("/api/v1/exchanges/{ex}/schedule")).await;
    assert_eq!(body["reminder_days"], json!([10, 2]), "nothing stored from bad forms");
    assert_eq!(body["notify"]["matched"], true);

    let forged = [("csrf_token", "forged"), ("reminder_days", "3")];
    assert_eq!(app.post_form(&path, &forged).await.status(), Status::Forbidden);
    let missing = app.client.get("/admin/exchanges/9999/schedule").dispatch().await;
    assert_eq!(missing.status(), Status::NotFound);
    let response = app.post_form("/admin/exchanges/9999/schedule", &form).await;
    assert_eq!(response.status(), Status::NotFound);
}

//! Gift exchanges through the pages: the organizers' screens, the public registration page,
//! the emailed link, the participant's dashboard, and who reaches which page.

use chrono::Duration;
use clubroom::accounts::model::Role;
use rocket::http::Status;
use serde_json::json;

use crate::gifts::{
    as_participant, closed_with, create, day, gift_app, ideas_of, matched_with, open_with, pairs,
    participant_id, register, scalar, sign_in_from_email, step,
};
use crate::support::*;

fn location(response: &rocket::local::asynchronous::LocalResponse<'_>) -> String {
    response.headers().get_one("Location").unwrap_or_default().to_string()
}

async fn page(app: &TestApp, path: &str) -> (Status, String) {
    let response = app.client.get(path.to_string()).dispatch().await;
    (response.status(), response.into_string().await.unwrap_or_default())
}

/// Posts a form with the CSRF token of `from` plus `fields`; returns status, Location, body.
async fn submit(
    app: &TestApp,
    from: &str,
    to: &str,
    fields: &[(&str, &str)],
) -> (Status, String, String) {
    let csrf = app.csrf_token(from).await;
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    let response = app.post_form(to, &all).await;
    let (status, to) = (response.status(), location(&response));
    (status, to, response.into_string().await.unwrap_or_default())
}

async fn state_of(app: &TestApp, id: i64) -> String {
    scalar(app, format!("SELECT state FROM exchanges WHERE id = {id}")).await
}

#[rocket::async_test]
async fn visitors_go_to_login_and_members_stay_out_of_the_organizer_pages() {
    let app = gift_app().await;
    for path in ["/exchanges", "/admin/exchanges", "/admin/exchanges/1"] {
        let response = app.client.get(path).dispatch().await;
        assert_eq!(response.status(), Status::SeeOther, "{path}");
        assert!(location(&response).starts_with("/login"), "{path}");
    }
    app.create_user("mia", &[Role::Member]).await;
    app.login_as("mia").await;
    assert_eq!(page(&app, "/admin/exchanges").await.0, Status::Forbidden);
    let (status, html) = page(&app, "/exchanges").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("You are not in any gift exchange yet."));
    assert!(html.contains("<a href=\"/exchanges\">Gifts</a>"), "the navigation leads there");
    assert!(!html.contains("/admin/exchanges"), "no organizer link for members");
    app.as_admin().await;
    assert!(page(&app, "/admin").await.1.contains("href=\"/admin/exchanges\""));
}

#[rocket::async_test]
async fn an_organizer_runs_an_exchange_through_the_pages() {
    let app = gift_app().await;
    app.create_user("olga", &[Role::Member, Role::Organizer]).await;
    app.login_as("olga").await;
    let (status, html) = page(&app, "/admin/exchanges").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("New exchange"));
    assert!(page(&app, "/exchanges").await.1.contains("href=\"/admin/exchanges\""));

    let (close, date) = (day(&app, 10), day(&app, 20));
    let (status, to, _) = submit(
        &app,
        "/admin/exchanges",
        "/admin/exchanges",
        &[
            ("name", "Office party"),
            ("description", "Bring <cake>"),
            ("budget", "15 euros"),
            ("max_participants", ""),
            ("registration_close_date", &close),
            ("exchange_date", &date),
            ("timezone", "Europe/Oslo"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    let id: i64 = to.trim_start_matches("/admin/exchanges/").parse().expect(&to);
    let detail = format!("/admin/exchanges/{id}");
    let slug: String = scalar(&app, format!("SELECT slug FROM exchanges WHERE id = {id}")).await;
    let (status, html) = page(&app, &detail).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Bring &lt;cake&gt;"), "escaped");
    assert!(
        html.contains(&format!(
            "value=\"http:&#x2F;&#x2F;127.0.0.1:8000&#x2F;exchange&#x2F;{slug}&#x2F;register\""
        )),
        "the link"
    );
    assert!(html.contains("data-copy=\"#registration-url\""));
    assert!(html.contains("<svg"), "the QR code");
    assert!(html.contains("Open registration"));
    assert!(!html.contains("Draw the names"));

    let (status, to, _) = submit(&app, &detail, &format!("{detail}/open"), &[]).await;
    assert_eq!((status, to.as_str()), (Status::SeeOther, detail.as_str()));
    assert_eq!(state_of(&app, id).await, "registration_open");
    for person in ["Ann", "Bo", "Cy", "Di"] {
        assert_eq!(register(&app, &slug, person).await.0, Status::Created);
    }
    submit(&app, &detail, &format!("{detail}/close"), &[]).await;
    assert_eq!(state_of(&app, id).await, "registration_closed");

    let (ann, bo) = (participant_id(&app, id, "Ann").await, participant_id(&app, id, "Bo").await);
    let (status, _, _) = submit(
        &app,
        &detail,
        &format!("{detail}/exclusions"),
        &[("participant_a", &ann.to_string()), ("participant_b", &bo.to_string())],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(app.count("SELECT count(*) FROM exchange_exclusions").await, 1);
    let (status, _, html) = submit(
        &app,
        &detail,
        &format!("{detail}/exclusions"),
        &[("participant_a", &ann.to_string()), ("participant_b", "")],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("Choose a participant."));

    let (status, to, _) = submit(&app, &detail, &format!("{detail}/match"), &[]).await;
    assert_eq!((status, to.as_str()), (Status::SeeOther, detail.as_str()));
    let (_, html) = page(&app, &detail).await;
    assert!(html.contains("every participant was emailed"), "the flash says so");
    assert!(html.contains("Confidential."));
    assert!(html.contains(&format!("/api/v1/exchanges/{id}/matches.csv")));
    for (giver, receiver) in pairs(&app, id).await {
        assert!(
            html.contains(&format!("<td>{giver}</td><td>{receiver}</td>")),
            "{giver} -> {receiver}"
        );
    }
    assert!(!html.contains("id=\"f-name\""), "no edit form once matched");

    let (status, _, html) = submit(&app, &detail, &format!("{detail}/reopen"), &[]).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("confirm that you want to continue"));
    assert_eq!(state_of(&app, id).await, "matched");
    let before = pairs(&app, id).await;
    let (status, _, _) =
        submit(&app, &detail, &format!("{detail}/rematch"), &[("confirm", "true")]).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(pairs(&app, id).await.len(), before.len());

    submit(&app, &detail, &format!("{detail}/complete"), &[]).await;
    let (_, html) = page(&app, &detail).await;
    assert!(html.contains("purged in 30 days"), "the days left");
    app.advance(Duration::days(12));
    app.login_as("olga").await;
    let (_, html) = page(&app, &detail).await;
    assert!(html.contains("purged in 18 days"));
    let (_, list) = page(&app, "/admin/exchanges").await;
    assert!(list.contains("Office party") && list.contains("purged in 18 days"));
}

#[rocket::async_test]
async fn the_exchange_form_shows_its_errors_and_keeps_what_was_typed() {
    let app = gift_app().await;
    app.as_admin().await;
    let (status, _, html) = submit(
        &app,
        "/admin/exchanges",
        "/admin/exchanges",
        &[
            ("name", "Kept name"),
            ("registration_close_date", "2026-12-20"),
            ("exchange_date", "2026-12-01"),
            ("timezone", "Nowhere/Special"),
            ("max_participants", "2"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("value=\"Kept name\""));
    assert!(html.contains("The exchange must come after the day registration closes."));
    assert!(html.contains("Use a time zone name like"));
    assert!(html.contains("Use a number of at least 3"));
    assert_eq!(app.count("SELECT count(*) FROM exchanges").await, 0);

    let (id, _) = create(&app, "Editable").await;
    let detail = format!("/admin/exchanges/{id}");
    let (status, _, html) = submit(
        &app,
        &detail,
        &detail,
        &[
            ("name", ""),
            ("registration_close_date", &day(&app, 2)),
            ("exchange_date", &day(&app, 3)),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("Give the exchange a name."));
    let (status, _, _) = submit(
        &app,
        &detail,
        &detail,
        &[
            ("name", "Renamed"),
            ("registration_close_date", &day(&app, 2)),
            ("exchange_date", &day(&app, 3)),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert!(page(&app, &detail).await.1.contains("Renamed"));

    let (matched, _) = matched_with(&app, "Frozen", &["Ann", "Bo", "Cy"]).await;
    let frozen = format!("/admin/exchanges/{matched}");
    let (status, _, html) = submit(
        &app,
        &frozen,
        &frozen,
        &[
            ("name", "Changed"),
            ("registration_close_date", &day(&app, 2)),
            ("exchange_date", &day(&app, 3)),
        ],
    )
    .await;
    assert_eq!(status, Status::Conflict);
    assert!(html.contains("can no longer be changed"));
}

#[rocket::async_test]
async fn an_impossible_draw_is_explained_on_the_page() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = closed_with(&app, "Stuck", &["Ann", "Bo", "Cy", "Di"]).await;
    let ann = participant_id(&app, id, "Ann").await;
    for other in ["Bo", "Cy"] {
        let body =
            json!({"participant_a": ann, "participant_b": participant_id(&app, id, other).await});
        app.post_json(&format!("/api/v1/exchanges/{id}/exclusions"), body).await;
    }
    let detail = format!("/admin/exchanges/{id}");
    let (status, _, html) = submit(&app, &detail, &format!("{detail}/match"), &[]).await;
    assert_eq!(status, Status::Conflict);
    assert!(html.contains("The names cannot be drawn"));
    assert!(html.contains("Ann is excluded from Bo and Cy, which leaves fewer than two people"));
    assert!(html.contains("<li>Ann and Bo</li>") && html.contains("<li>Ann and Cy</li>"));
    // The smallest fix is named once, in the explanation.
    assert_eq!(html.matches("would make a gift cycle possible").count(), 1);
    assert!(html.contains("Nothing changed: registration stays closed."));
    assert_eq!(state_of(&app, id).await, "registration_closed");
}

#[rocket::async_test]
async fn deleting_from_the_page_needs_the_word_delete() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = open_with(&app, "Short lived", &["Ann"]).await;
    let detail = format!("/admin/exchanges/{id}");
    let (status, _, html) =
        submit(&app, &detail, &format!("{detail}/delete"), &[("confirm", "delete")]).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("Type DELETE to confirm."));
    assert_eq!(app.count("SELECT count(*) FROM exchanges").await, 1);
    let (status, to, _) =
        submit(&app, &detail, &format!("{detail}/delete"), &[("confirm", "DELETE")]).await;
    assert_eq!((status, to.as_str()), (Status::SeeOther, "/admin/exchanges"));
    assert_eq!(app.count("SELECT count(*) FROM exchanges").await, 0);
    assert_eq!(page(&app, &detail).await.0, Status::NotFound);
}

#[rocket::async_test]
async fn removing_a_participant_from_the_page_after_matching_says_the_matches_are_gone() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = matched_with(&app, "Removal", &["Ann", "Bo", "Cy", "Di"]).await;
    let di = participant_id(&app, id, "Di").await;
    let detail = format!("/admin/exchanges/{id}");
    let (status, to, _) =
        submit(&app, &detail, &format!("{detail}/participants/{di}/remove"), &[]).await;
    assert_eq!((status, to.as_str()), (Status::SeeOther, detail.as_str()));
    let (_, html) = page(&app, &detail).await;
    assert!(html.contains("Di was removed. The drawn matches were deleted"));
    assert!(html.contains("Registration closed"));
    assert!(html.contains("Di &middot; removed"));
    assert!(pairs(&app, id).await.is_empty());
}

#[rocket::async_test]
async fn the_registration_form_registers_and_the_emailed_link_opens_the_dashboard() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, slug) = open_with(&app, "Family <Santa>", &[]).await;
    app.post_json("/api/v1/auth/logout", json!({})).await;
    let register_path = format!("/exchange/{slug}/register");
    let (status, html) = page(&app, &register_path).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Family &lt;Santa&gt;"));
    assert!(html.contains(&format!("action=\"/exchange/{slug}/register\"")));
    assert!(html.contains("Already registered?"));

    let (status, _, html) = submit(
        &app,
        &register_path,
        &register_path,
        &[("name", "Kim"), ("email", "not-an-email"), ("gift_ideas", "Tea")],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("value=\"Kim\"") && html.contains("Tea"), "what was typed stays");
    assert!(html.contains("Enter a valid email address"));

    let (status, to, _) = submit(
        &app,
        &register_path,
        &register_path,
        &[("name", "Kim"), ("email", "Kim@Example.org"), ("gift_ideas", "Tea")],
    )
    .await;
    assert_eq!((status, to.clone()), (Status::SeeOther, format!("/exchange/{slug}/registered")));
    let (status, html) = page(&app, &to).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("You are registered."));
    let reminders: bool = scalar(
        &app,
        format!("SELECT reminders FROM exchange_participants WHERE exchange_id = {id}"),
    )
    .await;
    assert!(!reminders, "an unticked box is off");

    let (status, _, html) = submit(
        &app,
        &register_path,
        &register_path,
        &[("name", "Kim 2"), ("email", "kim@example.org"), ("reminders", "true")],
    )
    .await;
    assert_eq!(status, Status::Conflict);
    assert!(html.contains("already registered for this exchange"));

    let text = app.last_email_text("kim@example.org").await;
    let link = extract_link(&text, "http://127.0.0.1:8000/exchange/access?token=").unwrap();
    let (status, html) = page(&app, link.trim_start_matches("http://127.0.0.1:8000")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Open your gift exchanges"));
    assert_eq!(sign_in_from_email(&app, "kim@example.org").await, "/exchanges");
    let (status, html) = page(&app, "/exchanges").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Welcome! Here are your gift exchanges."));
    assert!(html.contains("Family &lt;Santa&gt;"));
    assert!(html.contains("The names are not drawn yet."));
    assert!(html.contains("<li>Kim</li>"));
}

#[rocket::async_test]
async fn the_registration_page_says_why_it_takes_nobody() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, slug) = create(&app, "Draft").await;
    let form = format!("action=\"/exchange/{slug}/register\"");
    let (status, html) = page(&app, &format!("/exchange/{slug}/register")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Registration is closed.") && !html.contains(&form));
    step(&app, id, "open", json!({})).await;
    step(&app, id, "close", json!({})).await;
    assert!(page(&app, &format!("/exchange/{slug}/register"))
        .await
        .1
        .contains("Registration is closed."));

    let body = json!({
        "name": "Tiny", "max_participants": 3,
        "registration_close_date": day(&app, 1), "exchange_date": day(&app, 4), "timezone": "UTC",
    });
    let (_, tiny) = app.post_json("/api/v1/exchanges", body).await;
    let (tiny_id, tiny_slug) =
        (tiny["id"].as_i64().unwrap(), tiny["slug"].as_str().unwrap().to_string());
    step(&app, tiny_id, "open", json!({})).await;
    let tiny_page = format!("/exchange/{tiny_slug}/register");
    app.post_json("/api/v1/auth/logout", json!({})).await;
    assert!(page(&app, &tiny_page)
        .await
        .1
        .contains(&format!("action=\"/exchange/{tiny_slug}/register\"")));
    for person in ["Ann", "Bo", "Cy"] {
        assert_eq!(register(&app, &tiny_slug, person).await.0, Status::Created);
    }
    let html = page(&app, &tiny_page).await.1;
    assert!(html.contains("Exchange is full.") && !html.contains("name=\"gift_ideas\""));
    let (status, _, html) =
        submit(&app, &tiny_page, &tiny_page, &[("name", "Di"), ("email", "di@example.org")]).await;
    assert_eq!(status, Status::Conflict);
    assert!(html.contains("Exchange is full."));

    app.login_as("admin").await;
    let cy = participant_id(&app, tiny_id, "Cy").await;
    let path = format!("/api/v1/exchanges/{tiny_id}/participants/{cy}");
    let gone = app.send_json(rocket::http::Method::Delete, &path, json!({})).await;
    assert_eq!(gone.0, Status::Ok);
    app.post_json("/api/v1/auth/logout", json!({})).await;
    assert!(page(&app, &tiny_page).await.1.contains("name=\"gift_ideas\""), "a place is free");
    app.advance(Duration::days(2));
    let html = page(&app, &tiny_page).await.1;
    assert!(html.contains("Registration is closed."), "past the last day");
    assert_eq!(page(&app, "/exchange/nosuchslug00/register").await.0, Status::NotFound);
}

#[rocket::async_test]
async fn a_member_joining_with_one_click_goes_by_their_name_in_the_club() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, slug) = open_with(&app, "Club party", &["Ann"]).await;
    app.create_user("kim", &[Role::Member]).await;
    app.exec("UPDATE users SET first_name = 'Kim', last_name = 'Lee' WHERE username = 'kim'").await;
    app.login_as("kim").await;
    let register_path = format!("/exchange/{slug}/register");
    assert!(page(&app, &register_path).await.1.contains("You join as Kim Lee;"));
    let (status, _, _) = submit(&app, &register_path, &format!("/exchange/{slug}/join"), &[]).await;
    assert_eq!(status, Status::SeeOther);
    let name = scalar::<String>(
        &app,
        format!(
            "SELECT name FROM exchange_participants WHERE exchange_id = {id} \
             AND email = 'kim@example.org'"
        ),
    )
    .await;
    assert_eq!(name, "Kim Lee");
    assert!(page(&app, "/exchanges").await.1.contains("<li>Kim Lee</li>"));
}

#[rocket::async_test]
async fn a_signed_in_member_joins_with_one_click_from_the_page() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, slug) = open_with(&app, "Club party", &["Ann"]).await;
    app.create_user("kim", &[Role::Member]).await;
    app.login_as("kim").await;
    let register_path = format!("/exchange/{slug}/register");
    let html = page(&app, &register_path).await.1;
    assert!(html.contains(&format!("action=\"/exchange/{slug}/join\"")));
    assert!(!html.contains(&format!("action=\"/exchange/{slug}/register\"")));
    let (status, to, _) =
        submit(&app, &register_path, &format!("/exchange/{slug}/join"), &[]).await;
    assert_eq!((status, to.as_str()), (Status::SeeOther, "/exchanges"));
    let (_, html) = page(&app, "/exchanges").await;
    assert!(html.contains("You joined Club party."));
    assert!(html.contains("<li>Ann</li>") && html.contains("<li>kim</li>"));
    assert!(page(&app, &register_path).await.1.contains("You are in this exchange."));
    let (status, _, html) =
        submit(&app, &register_path, &format!("/exchange/{slug}/join"), &[]).await;
    assert_eq!(status, Status::Conflict);
    assert!(html.contains("already registered"));
    assert_eq!(
        scalar::<i64>(
            &app,
            format!("SELECT count(*) FROM exchange_participants WHERE exchange_id = {id}")
        )
        .await,
        2
    );
}

#[rocket::async_test]
async fn asking_for_a_link_shows_the_same_page_whatever_exists() {
    let app = gift_app().await;
    app.as_admin().await;
    let (_, slug) = open_with(&app, "Links", &["Ann"]).await;
    app.post_json("/api/v1/auth/logout", json!({})).await;
    let from = format!("/exchange/{slug}/register");
    let before = app.emails_to("ann@example.org").await.len();
    let mut answers = Vec::new();
    for (target, email) in [
        (slug.as_str(), "ann@example.org"),
        (slug.as_str(), "zed@example.org"),
        ("nosuchslug00", "ann@example.org"),
    ] {
        let (status, _, html) =
            submit(&app, &from, &format!("/exchange/{target}/request-access"), &[("email", email)])
                .await;
        answers.push((status, html));
    }
    assert_eq!(answers[0].0, Status::Ok);
    assert!(answers[0].1.contains("If this address is registered for the exchange"));
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    assert_eq!(app.emails_to("ann@example.org").await.len(), before + 1);
    assert!(app.emails_to("zed@example.org").await.is_empty());
    let (status, _, html) =
        submit(&app, &from, &format!("/exchange/{slug}/request-access"), &[("email", "nope")])
            .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("Enter a valid email address"));
}

#[rocket::async_test]
async fn participants_edit_and_leave_through_their_dashboard() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, _) = open_with(&app, "Dashboard", &["Ann", "Bo", "Cy", "Di"]).await;
    as_participant(&app, "Ann").await;
    let me = format!("/exchanges/{id}/me");
    let (status, to, _) =
        submit(&app, "/exchanges", &me, &[("name", "Annie"), ("gift_ideas", "A <red> scarf")])
            .await;
    assert_eq!((status, to), (Status::SeeOther, format!("/exchanges#exchange-{id}")));
    let (name, ideas, reminders): (String, String, bool) = app
        .db()
        .read(|tx| {
            Ok(tx.query_row(
                "SELECT name, gift_ideas, reminders FROM exchange_participants WHERE email = 'ann@example.org'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!((name.as_str(), ideas.as_str(), reminders), ("Annie", "A <red> scarf", false));
    let html = page(&app, "/exchanges").await.1;
    assert!(html.contains("A &lt;red&gt; scarf"));
    let (status, _, html) =
        submit(&app, "/exchanges", &me, &[("name", ""), ("gift_ideas", "kept ideas")]).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("Enter a name.") && html.contains("kept ideas"));

    as_participant(&app, "Di").await;
    let (status, to, _) =
        submit(&app, "/exchanges", &format!("/exchanges/{id}/withdraw"), &[]).await;
    assert_eq!((status, to.as_str()), (Status::SeeOther, "/exchanges"));
    let html = page(&app, "/exchanges").await.1;
    assert!(html.contains("You left Dashboard.") && html.contains("not in any gift exchange"));

    app.login_as("admin").await;
    step(&app, id, "close", json!({})).await;
    step(&app, id, "match", json!({})).await;
    as_participant(&app, "Bo").await;
    let html = page(&app, "/exchanges").await.1;
    assert!(html.contains("You give a present to"));
    assert!(!html.contains("Leave this exchange") && !html.contains("name=\"name\""));
    let (status, _, html) =
        submit(&app, "/exchanges", &me, &[("name", "Bobby"), ("gift_ideas", "x")]).await;
    assert_eq!(status, Status::Conflict);
    assert!(html.contains("cannot change once the names are drawn"));
    let (status, _, html) =
        submit(&app, "/exchanges", &format!("/exchanges/{id}/withdraw"), &[]).await;
    assert_eq!(status, Status::Conflict);
    assert!(html.contains("you can no longer withdraw"));
    let (status, _, _) =
        submit(&app, "/exchanges", &me, &[("gift_ideas", "Books"), ("reminders", "true")]).await;
    assert_eq!(status, Status::SeeOther, "gift ideas can still change");
}

#[rocket::async_test]
async fn another_exchange_answers_404_on_every_participant_form() {
    let app = gift_app().await;
    app.as_admin().await;
    let (x, _) = matched_with(&app, "Mine", &["Ann", "Bo", "Cy"]).await;
    let (y, _) = open_with(&app, "Theirs", &["Dan", "Eve", "Fay"]).await;
    as_participant(&app, "Ann").await;
    for path in [
        format!("/exchanges/{y}/me"),
        format!("/exchanges/{y}/withdraw"),
        "/exchanges/999999/me".into(),
    ] {
        let (status, _, _) = submit(&app, "/exchanges", &path, &[("gift_ideas", "hacked")]).await;
        assert_eq!(status, Status::NotFound, "{path}");
    }
    for path in [format!("/admin/exchanges/{x}"), format!("/admin/exchanges/{y}")] {
        assert_eq!(page(&app, &path).await.0, Status::Forbidden, "{path}");
    }
    let (status, _, _) = submit(
        &app,
        "/exchanges",
        &format!("/admin/exchanges/{x}/rematch"),
        &[("confirm", "true")],
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    let html = page(&app, "/exchanges").await.1;
    assert!(!html.contains("Theirs") && !html.contains(&ideas_of("Eve")));
    assert_eq!(
        scalar::<i64>(&app, format!("SELECT count(*) FROM exchange_participants WHERE exchange_id = {y} AND removed_at IS NULL")).await,
        3
    );
}

#[rocket::async_test]
async fn forms_without_the_csrf_token_change_nothing() {
    let app = gift_app().await;
    app.as_admin().await;
    let (id, slug) = create(&app, "Guarded").await;
    let response = app.post_form(&format!("/admin/exchanges/{id}/open"), &[]).await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(state_of(&app, id).await, "draft");
    step(&app, id, "open", json!({})).await;
    let response = app
        .post_form(
            &format!("/exchange/{slug}/register"),
            &[("name", "Kim"), ("email", "kim@example.org")],
        )
        .await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM exchange_participants").await, 0);
}

#[rocket::async_test]
async fn admins_grant_the_organizer_right_from_the_member_page() {
    let app = gift_app().await;
    let mia = app.create_user("mia", &[Role::Member]).await;
    let gus = app.create_user("gus", &[Role::Guest]).await;
    app.as_admin().await;
    let member = format!("/admin/members/{mia}");
    let html = page(&app, &member).await.1;
    assert!(html.contains("Let them organize gift exchanges"));
    let (status, to, _) =
        submit(&app, &member, &format!("/admin/members/{mia}/organizer"), &[("organizer", "true")])
            .await;
    assert_eq!((status, to.as_str()), (Status::SeeOther, member.as_str()));
    let html = page(&app, &member).await.1;
    assert!(html.contains("They can now organize gift exchanges."));
    assert!(html.contains("Take away the organizer right"));
    app.login_as("mia").await;
    assert_eq!(page(&app, "/admin/exchanges").await.0, Status::Ok);

    app.login_as("admin").await;
    let guest = format!("/admin/members/{gus}");
    let (status, _, _) =
        submit(&app, &member, &format!("/admin/members/{gus}/organizer"), &[("organizer", "true")])
            .await;
    assert_eq!(status, Status::SeeOther);
    assert!(page(&app, &guest).await.1.contains("Guests cannot organize gift exchanges"));
    let roles: String =
        scalar(&app, format!("SELECT group_concat(role) FROM user_roles WHERE user_id = {gus}"))
            .await;
    assert_eq!(roles, "guest");
    app.login_as("mia").await;
    let (status, _, _) = submit(
        &app,
        "/exchanges",
        &format!("/admin/members/{mia}/organizer"),
        &[("organizer", "false")],
    )
    .await;
    assert_eq!(status, Status::Forbidden, "only admins grant it");
}

#[rocket::async_test]
async fn a_long_list_of_blamed_exclusions_is_cut_short_on_the_page() {
    let app = gift_app().await;
    app.as_admin().await;
    let names = ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "B1", "B2", "B3", "B4", "B5"];
    let (id, _) = closed_with(&app, "Household", &names).await;
    // Seven who may not give to each other cannot all be given to by the five others.
    let mut house = Vec::new();
    for name in &names[..7] {
        house.push(participant_id(&app, id, name).await);
    }
    for (k, a) in house.iter().enumerate() {
        for b in &house[k + 1..] {
            let body = json!({"participant_a": a, "participant_b": b});
            let (status, _) =
                app.post_json(&format!("/api/v1/exchanges/{id}/exclusions"), body).await;
            assert_eq!(status, Status::Created);
        }
    }
    let detail = format!("/admin/exchanges/{id}");
    let (status, _, html) = submit(&app, &detail, &format!("{detail}/match"), &[]).await;
    assert_eq!(status, Status::Conflict);
    assert!(html.contains("The exclusions that cause it"));
    assert!(html.contains("<li>and 1 more</li>"), "21 blamed, 20 shown");
}

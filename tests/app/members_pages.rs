//! Member pages: the onboarding wizard, the profile, the directory, and the admin's member
//! list and record, club fields and agreement screens, driven through HTML forms with CSRF.

use clubroom::accounts::model::{Role, UserStatus};
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

use crate::support::*;

/// A member who has just joined (status onboarding), signed in on `app`.
async fn joining(app: &TestApp, username: &str) -> i64 {
    let id = app.create_user_with_status(username, &[Role::Member], UserStatus::Onboarding).await;
    app.login_as(username).await;
    id
}

/// An admin signed in on a second client of the same app.
async fn admin_of(app: &TestApp) -> TestApp {
    let admin = app.restart().await;
    admin.as_admin().await;
    admin
}

async fn set_review(admin: &TestApp, on: bool) {
    let (status, body) =
        admin.send_json(Method::Put, "/api/v1/admin/settings", json!({"member_review": on})).await;
    assert_eq!(status, Status::Ok, "{body}");
}

async fn publish(admin: &TestApp, title: &str, body: &str) {
    let (status, view) = admin
        .send_json(Method::Put, "/api/v1/admin/agreement", json!({"title": title, "body": body}))
        .await;
    assert_eq!(status, Status::Created, "{view}");
}

async fn add_field(admin: &TestApp, field: Value) -> i64 {
    let (status, body) = admin.post_json("/api/v1/admin/profile-fields", field).await;
    assert_eq!(status, Status::Created, "{body}");
    body["id"].as_i64().unwrap()
}

/// One text column of one user's row.
async fn column(app: &TestApp, id: i64, column: &'static str) -> String {
    let sql = format!("SELECT CAST({column} AS TEXT) FROM users WHERE id = ?1");
    app.db()
        .read(move |tx| {
            Ok(tx.query_row(&sql, [id], |r| r.get::<_, Option<String>>(0))?.unwrap_or_default())
        })
        .await
        .unwrap()
}

async fn status_of(app: &TestApp, id: i64) -> String {
    column(app, id, "status").await
}

/// The member's club-field answers as (key, value), in field order.
async fn answers_of(app: &TestApp, id: i64) -> Vec<(String, String)> {
    app.db()
        .read(move |tx| {
            let mut stmt = tx.prepare(
                "SELECT f.key, v.value FROM profile_values v JOIN profile_fields f ON f.id = v.field_id
                 WHERE v.user_id = ?1 ORDER BY f.position, f.id",
            )?;
            let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
        .unwrap()
}

// ----- the onboarding wizard -----

#[rocket::async_test]
async fn a_member_still_joining_is_sent_from_the_member_pages_to_the_wizard() {
    let app = TestApp::spawn().await;
    joining(&app, "bo").await;

    for path in ["/directory", "/profile"] {
        let page = get(&app, path).await;
        assert!(page.redirects_to("/onboarding"), "{path}: {:?} {:?}", page.status, page.location);
    }
    let wizard = get(&app, "/onboarding").await;
    assert_eq!(wizard.status, Status::Ok);
    let html = unescape(&wizard.html);
    assert!(html.contains("Finish joining the club first"), "the redirect says why");
    assert!(html.contains("action=\"/onboarding/profile\""), "the profile form is shown");
    for name in ["first_name", "last_name", "city", "timezone", "coach_id"] {
        assert!(html.contains(&format!("name=\"{name}\"")), "{name}");
    }
    assert!(!html.contains("action=\"/onboarding/agreement\""), "no agreement to sign");
}

#[rocket::async_test]
async fn the_wizard_shows_a_profile_without_a_first_name_again_with_the_error_and_what_was_typed() {
    let app = TestApp::spawn().await;
    let bo = joining(&app, "bo").await;

    let fields = [("first_name", ""), ("last_name", "Berg"), ("city", "Tromsø")];
    let page = submit(&app, "/onboarding", "/onboarding/profile", &fields).await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert!(page.html.contains("First name is required."), "{}", page.html);
    assert!(page.html.contains("value=\"Berg\""), "the last name is kept");
    assert!(page.html.contains("value=\"Tromsø\""), "the city is kept");
    assert!(page.html.contains("aria-invalid=\"true\" aria-describedby=\"e-first_name\""));
    assert_eq!(column(&app, bo, "onboarding_completed_at").await, "");
    assert_eq!(column(&app, bo, "last_name").await, "", "nothing was saved");
    assert_eq!(status_of(&app, bo).await, "onboarding");
}

#[rocket::async_test]
async fn a_completed_wizard_without_review_lands_on_home_as_an_active_member() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    set_review(&admin, false).await;
    let bo = joining(&app, "bo").await;

    let fields = [("first_name", " Bo "), ("last_name", "Berg"), ("timezone", "Europe/Oslo")];
    let done = submit(&app, "/onboarding", "/onboarding/profile", &fields).await;
    assert!(done.redirects_to("/home"), "{:?} {:?}", done.status, done.location);
    assert_eq!(status_of(&app, bo).await, "active");
    assert_eq!(column(&app, bo, "first_name").await, "Bo");
    assert_eq!(column(&app, bo, "timezone").await, "Europe/Oslo");

    let home = get(&app, "/home").await;
    assert_eq!(home.status, Status::Ok);
    assert!(home.html.contains("Your profile is saved."), "the flash is shown");
    assert!(home.html.contains("href=\"/directory\""), "the member area is open");
    assert_eq!(get(&app, "/profile").await.status, Status::Ok);
    assert!(app.last_email_text("bo@example.org").await.contains("is now active"));
}

#[rocket::async_test]
async fn with_review_on_the_wizard_waits_for_the_club_after_the_profile() {
    let app = TestApp::spawn().await;
    let bo = joining(&app, "bo").await;

    let fields = [("first_name", "Bo"), ("last_name", "Berg")];
    let done = submit(&app, "/onboarding", "/onboarding/profile", &fields).await;
    assert!(done.redirects_to("/onboarding"), "{:?} {:?}", done.status, done.location);
    assert_eq!(status_of(&app, bo).await, "pending_review");
    let wizard = get(&app, "/onboarding").await;
    assert!(wizard.html.contains("Almost there"));
    assert!(!wizard.html.contains("action=\"/onboarding/profile\""), "the profile step is done");
    assert!(get(&app, "/directory").await.redirects_to("/onboarding"), "still not a member");
}

#[rocket::async_test]
async fn club_fields_render_as_inputs_of_their_kind_and_the_wizard_saves_their_answers() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    set_review(&admin, false).await;
    add_field(
        &admin,
        json!({"key": "size", "label": "Size", "kind": "choice", "choices": ["Small", "Large"],
               "required": true}),
    )
    .await;
    add_field(&admin, json!({"key": "vaccinated", "label": "Vaccinated", "kind": "yes_no"})).await;
    add_field(&admin, json!({"key": "born", "label": "Born", "kind": "date"})).await;
    let bo = joining(&app, "bo").await;

    let html = unescape(&get(&app, "/onboarding").await.html);
    assert!(html.contains("<select id=\"f-field-size\" name=\"fields[size]\""), "{html}");
    assert!(html.contains("<option value=\"Small\">Small</option>"));
    assert!(html.contains("<option value=\"Large\">Large</option>"));
    assert!(html.contains("<select id=\"f-field-vaccinated\" name=\"fields[vaccinated]\""));
    assert!(html.contains("<option value=\"yes\">Yes</option>"));
    let born = html.find("name=\"fields[born]\"").expect("a born input");
    let tag = &html[born..born + html[born..].find('>').unwrap()];
    assert!(tag.contains("type=\"date\""), "{tag}");

    let bad = [
        ("first_name", "Bo"),
        ("last_name", "Berg"),
        ("fields[size]", "Huge"),
        ("fields[born]", "2020-02-30"),
    ];
    let page = submit(&app, "/onboarding", "/onboarding/profile", &bad).await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert_eq!(page.html.matches("class=\"field-error\"").count(), 2, "{}", page.html);
    assert!(page.html.contains("value=\"2020-02-30\""), "the typed date is kept");
    assert!(answers_of(&app, bo).await.is_empty());

    // Everything a browser sends from this form, the untouched inputs empty.
    let good = [
        ("first_name", "Bo"),
        ("last_name", "Berg"),
        ("city", ""),
        ("state", ""),
        ("country", ""),
        ("zip", ""),
        ("timezone", ""),
        ("coach_id", ""),
        ("venue", ""),
        ("fields[size]", "Large"),
        ("fields[vaccinated]", "yes"),
        ("fields[born]", "2020-02-29"),
    ];
    let done = submit(&app, "/onboarding", "/onboarding/profile", &good).await;
    assert!(done.redirects_to("/home"), "{:?} {}", done.status, done.html);
    let expected = [("size", "Large"), ("vaccinated", "yes"), ("born", "2020-02-29")]
        .map(|(k, v)| (k.to_string(), v.to_string()));
    assert_eq!(answers_of(&app, bo).await, expected);

    let profile = get(&app, "/profile").await.html;
    assert!(profile.contains("<option value=\"Large\" selected>"), "the answer is shown");
    assert!(profile.contains("value=\"2020-02-29\""));
}

#[rocket::async_test]
async fn the_wizard_shows_the_agreement_text_escaped_with_its_line_breaks() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    publish(&admin, "Rules & <i>manners</i>", "Be <b>bold</b>.\nClean up.").await;
    joining(&app, "bo").await;

    let html = get(&app, "/onboarding").await.html;
    assert!(html.contains("Be &lt;b&gt;bold&lt;"), "{html}");
    assert!(html.contains("<br>"), "line breaks are kept");
    assert!(!html.contains("<b>bold</b>"), "the markup is not rendered");
    assert!(html.contains("Rules &amp; &lt;i&gt;manners"), "nor in the title");
    assert!(html.contains("action=\"/onboarding/agreement\""));
    assert!(html.contains("name=\"version\" value=\"1\""));
}

#[rocket::async_test]
async fn signing_without_ticking_the_box_shows_the_wizard_again_with_the_error() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    publish(&admin, "Rules", "Be kind.").await;
    let bo = joining(&app, "bo").await;
    let names = [("first_name", "Bo"), ("last_name", "Berg")];
    let saved = submit(&app, "/onboarding", "/onboarding/profile", &names).await;
    assert!(saved.redirects_to("/onboarding"));
    assert_eq!(status_of(&app, bo).await, "pending_contract");

    let fields = [("version", "1"), ("full_name", "Bo Q. Berg")];
    let page = submit(&app, "/onboarding", "/onboarding/agreement", &fields).await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert!(page.html.contains("Tick the box to accept the agreement."), "{}", page.html);
    assert!(page.html.contains("value=\"Bo Q. Berg\""), "the typed name is kept");
    assert_eq!(app.count("SELECT count(*) FROM agreement_signatures").await, 0);
    assert_eq!(status_of(&app, bo).await, "pending_contract");
}

#[rocket::async_test]
async fn signing_from_the_wizard_records_the_signature_with_the_ip_and_moves_on() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    set_review(&admin, false).await;
    publish(&admin, "Rules", "Be kind.").await;
    let bo = joining(&app, "bo").await;
    let names = [("first_name", "Bo"), ("last_name", "Berg")];
    submit(&app, "/onboarding", "/onboarding/profile", &names).await;

    let token = app.csrf_token("/onboarding").await;
    let body = form_body(&[
        ("csrf_token", token.as_str()),
        ("version", "1"),
        ("accept", "true"),
        ("full_name", "Bo Berg"),
    ]);
    let response = app
        .client
        .post("/onboarding/agreement")
        .header(ContentType::Form)
        .remote("203.0.113.7:4100".parse().unwrap())
        .body(body)
        .dispatch()
        .await;
    let done = answered(response).await;
    assert!(done.redirects_to("/home"), "{:?} {}", done.status, done.html);
    assert_eq!(status_of(&app, bo).await, "active");
    let signature = app
        .db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT s.full_name, s.ip, a.version FROM agreement_signatures s
                 JOIN agreements a ON a.id = s.agreement_id WHERE s.user_id = ?1",
                [bo],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )?)
        })
        .await
        .unwrap();
    assert_eq!(signature, ("Bo Berg".to_string(), Some("203.0.113.7".to_string()), 1));
    let record = get(&admin, &format!("/admin/members/{bo}")).await.html;
    assert!(record.contains("from 203.0.113.7"), "the admin sees where it was signed");
}

// ----- CSRF -----

#[rocket::async_test]
async fn profile_forms_without_a_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    set_review(&admin, false).await;
    let bo = joining(&app, "bo").await;
    get(&app, "/onboarding").await;

    let names = [("first_name", "Bo"), ("last_name", "Berg")];
    let refused = answered(app.post_form("/onboarding/profile", &names).await).await;
    assert_eq!(refused.status, Status::Forbidden);
    let forged = [("csrf_token", "forged"), ("first_name", "Bo"), ("last_name", "Berg")];
    let refused = answered(app.post_form("/onboarding/profile", &forged).await).await;
    assert_eq!(refused.status, Status::Forbidden);
    assert_eq!(status_of(&app, bo).await, "onboarding");
    assert_eq!(column(&app, bo, "first_name").await, "");

    let ann = app.create_user("ann", &[Role::Member]).await;
    app.login_as("ann").await;
    get(&app, "/profile").await;
    let refused = answered(app.post_form("/profile", &[("phone", "+47 555 0199")]).await).await;
    assert_eq!(refused.status, Status::Forbidden);
    assert!(refused.html.contains("This form has expired"), "{}", refused.html);
    assert_eq!(column(&app, ann, "phone").await, "");
}

// ----- the profile -----

#[rocket::async_test]
async fn the_profile_page_shows_and_saves_contact_details_and_directory_choices() {
    let app = TestApp::spawn().await;
    let coach = app.create_user("cat", &[Role::Member, Role::Coach]).await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;
    let (status, _) = app
        .send_json(
            Method::Put,
            "/api/v1/me",
            json!({"first_name": "Bo", "last_name": "Berg", "city": "Oslo"}),
        )
        .await;
    assert_eq!(status, Status::Ok);

    let page = get(&app, "/profile").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.html.contains("value=\"Bo\"") && page.html.contains("value=\"Oslo\""));
    assert!(page.html.contains("bo@example.org"), "the email is named");
    assert!(!page.html.contains("value=\"true\" checked"), "nothing shown by default");

    let coach = coach.to_string();
    // Everything a browser sends from this form, the untouched inputs empty.
    let fields = [
        ("first_name", "Bo"),
        ("last_name", "Berg"),
        ("city", "Oslo"),
        ("state", ""),
        ("country", ""),
        ("zip", ""),
        ("timezone", "America/New_York"),
        ("coach_id", coach.as_str()),
        ("venue", ""),
        ("phone", "+47 555 0101"),
        ("address", ""),
        ("emergency_contact_name", ""),
        ("emergency_contact_phone", ""),
        ("show_email", "true"),
    ];
    let done = submit(&app, "/profile", "/profile", &fields).await;
    assert!(done.redirects_to("/profile"), "{:?} {}", done.status, done.html);
    assert_eq!(column(&app, bo, "phone").await, "+47 555 0101");
    assert_eq!(column(&app, bo, "timezone").await, "America/New_York");
    assert_eq!(column(&app, bo, "show_email").await, "1");
    assert_eq!(column(&app, bo, "show_phone").await, "0");
    assert_eq!(column(&app, bo, "coach_id").await, coach);

    let page = unescape(&get(&app, "/profile").await.html);
    assert!(page.contains(&format!("<option value=\"{coach}\" selected>cat</option>")), "{page}");
    assert!(page.contains("Your profile is saved."));
    assert!(page.contains("value=\"+47 555 0101\""));
    assert!(page.contains("value=\"America/New_York\""));
    assert!(page.contains("name=\"show_email\" value=\"true\" checked"), "ticked now");
    assert!(!page.contains("name=\"show_phone\" value=\"true\" checked"));

    let unticked = [("first_name", "Bo"), ("last_name", "Berg"), ("phone", "+47 555 0101")];
    let done = submit(&app, "/profile", "/profile", &unticked).await;
    assert!(done.redirects_to("/profile"));
    assert_eq!(column(&app, bo, "show_email").await, "0", "an unticked box means no");
    assert_eq!(column(&app, bo, "city").await, "Oslo", "fields left out stay as they were");
}

#[rocket::async_test]
async fn an_invalid_time_zone_shows_the_profile_again_with_the_message_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;

    let fields = [("phone", "+47 555 0102"), ("timezone", "Mars/Olympus"), ("show_phone", "true")];
    let page = submit(&app, "/profile", "/profile", &fields).await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    let html = unescape(&page.html);
    assert!(
        html.contains("Choose a time zone such as Europe/London or America/New_York."),
        "{html}"
    );
    assert!(html.contains("value=\"Mars/Olympus\""), "what was typed is shown");
    assert!(html.contains("value=\"+47 555 0102\""));
    assert!(html.contains("name=\"show_phone\" value=\"true\" checked"));
    assert_eq!(column(&app, bo, "phone").await, "", "nothing is saved");
    assert_eq!(column(&app, bo, "timezone").await, "");
    assert_eq!(column(&app, bo, "show_phone").await, "0");
}

#[rocket::async_test]
async fn a_name_with_markup_is_escaped_on_the_profile_and_in_the_directory() {
    let app = TestApp::spawn().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;

    let fields = [("first_name", "<script>alert(1)</script>"), ("last_name", "Berg")];
    let done = submit(&app, "/profile", "/profile", &fields).await;
    assert!(done.redirects_to("/profile"), "{:?} {}", done.status, done.html);
    assert_eq!(column(&app, bo, "first_name").await, "<script>alert(1)</script>");

    for path in ["/profile", "/directory"] {
        let html = get(&app, path).await.html;
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{path}: {html}");
        assert!(!html.contains("<script>alert(1)"), "{path}");
    }
}

// ----- the directory -----

#[rocket::async_test]
async fn the_directory_lists_active_members_finds_them_by_name_and_hides_private_details() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    add_field(&admin, json!({"key": "level", "label": "Level", "visibility": "members"})).await;
    add_field(&admin, json!({"key": "vet", "label": "Vet", "visibility": "private"})).await;
    app.create_user("ann", &[Role::Member]).await;
    app.create_user("bo", &[Role::Member]).await;
    app.create_user_with_status("cy", &[Role::Member], UserStatus::Onboarding).await;
    app.create_user_with_status("di", &[Role::Member], UserStatus::Disabled).await;
    app.login_as("ann").await;
    let me = json!({"first_name": "Ann", "last_name": "Ash", "phone": "+47 555 0111",
                    "show_email": true, "fields": {"level": "Gold", "vet": "Dr. Secret"}});
    assert_eq!(app.send_json(Method::Put, "/api/v1/me", me).await.0, Status::Ok);
    app.login_as("bo").await;
    let me = json!({"first_name": "Bo", "last_name": "Berg", "phone": "+47 555 0222"});
    assert_eq!(app.send_json(Method::Put, "/api/v1/me", me).await.0, Status::Ok);

    let page = get(&app, "/directory").await;
    assert_eq!(page.status, Status::Ok);
    let html = page.html;
    for name in ["<h2>Ann Ash</h2>", "<h2>Bo Berg</h2>", "<h2>admin</h2>"] {
        assert!(html.contains(name), "{name}: {html}");
    }
    assert!(!html.contains("<h2>cy</h2>") && !html.contains("<h2>di</h2>"), "only active ones");
    assert!(html.contains("mailto:ann@example.org"), "ann shows her email");
    assert!(html.contains("<dd>Gold</dd>"), "and the answers shared with members");
    assert!(!html.contains("+47 555 0111"), "but not her phone");
    assert!(!html.contains("Dr. Secret"), "nor a private answer");
    assert!(!html.contains("+47 555 0222") && !html.contains("bo@example.org"));

    let found = get(&app, "/directory?q=ash").await.html;
    assert!(found.contains("<h2>Ann Ash</h2>"));
    assert!(!found.contains("<h2>Bo Berg</h2>"));
    assert!(found.contains("value=\"ash\""), "the search stays in the box");
    let none = get(&app, "/directory?q=zed").await.html;
    assert!(none.contains("Nobody matches &ldquo;zed&rdquo;."), "{none}");
    let long = get(&app, &format!("/directory?q={}", "x".repeat(101))).await;
    assert_eq!(long.status, Status::UnprocessableEntity);
    assert!(long.html.contains("Search for at most 100 characters."));
}

/// How many members a directory page lists.
fn cards(html: &str) -> usize {
    html.matches("<li class=\"card\">").count()
}

#[rocket::async_test]
async fn the_directory_page_says_where_it_is_and_links_the_other_pages() {
    let app = TestApp::spawn().await;
    crate::members::add_members(&app, 119).await;
    app.create_user("viewer", &[Role::Member]).await;
    app.login_as("viewer").await;

    let first = get(&app, "/directory").await;
    assert_eq!(first.status, Status::Ok);
    let html = unescape(&first.html);
    assert_eq!(cards(&html), 50);
    assert!(html.contains("Showing 1&ndash;50 of 120"), "{html}");
    assert!(html.contains("<h2>ada 00</h2>") && !html.contains("<h2>viewer</h2>"));
    assert!(html.contains("href=\"/directory?page=2\" rel=\"next\""), "{html}");
    assert!(!html.contains("rel=\"prev\""), "nothing before the first page");
    assert!(html.contains("<span aria-current=\"page\">1</span>"));
    assert!(html.contains("<a href=\"/directory?page=3\">3</a>"), "page numbers");

    let last = unescape(&get(&app, "/directory?page=3").await.html);
    assert_eq!(cards(&last), 20);
    assert!(last.contains("Showing 101&ndash;120 of 120"), "{last}");
    assert!(last.contains("<h2>viewer</h2>"), "the last name comes last");
    assert!(last.contains("href=\"/directory?page=2\" rel=\"prev\""));
    assert!(last.contains("<a href=\"/directory\">1</a>"), "page 1 without a number");
    assert!(!last.contains("rel=\"next\""));

    let past = get(&app, "/directory?page=7").await;
    assert_eq!(past.status, Status::Ok);
    let past = unescape(&past.html);
    assert_eq!(cards(&past), 0);
    assert!(past.contains("past the end") && past.contains("<a href=\"/directory\">"), "{past}");
    assert!(past.contains("href=\"/directory?page=3\" rel=\"prev\""), "back to the last page");
}

#[rocket::async_test]
async fn the_directory_page_links_keep_the_search() {
    let app = TestApp::spawn().await;
    crate::members::add_members(&app, 120).await;
    app.create_user("viewer", &[Role::Member]).await;
    app.login_as("viewer").await;

    let found = unescape(&get(&app, "/directory?q=bea").await.html);
    assert_eq!(cards(&found), 40);
    assert!(found.contains("Showing 1&ndash;40 of 40 matching &ldquo;bea&rdquo;"), "{found}");
    assert!(!found.contains("class=\"pager\""), "one page needs no pager");

    // "Bea 00" to "Bea 09": 20 members.
    let page = unescape(&get(&app, "/directory?q=Bea%200&per_page=8").await.html);
    assert_eq!(cards(&page), 8);
    assert!(page.contains("Showing 1&ndash;8 of 20 matching &ldquo;Bea 0&rdquo;"), "{page}");
    assert!(page.contains("value=\"Bea 0\""), "the search stays in the box");
    let next = "/directory?q=Bea%200&per_page=8&page=2";
    assert!(page.contains(&format!("href=\"{next}\" rel=\"next\"")), "{page}");
    assert!(page.contains("<a href=\"/directory?q=Bea%200&per_page=8&page=3\">3</a>"));

    let second = unescape(&get(&app, next).await.html);
    assert_eq!(cards(&second), 8);
    assert!(second.contains("Showing 9&ndash;16 of 20"), "{second}");
    assert!(second.contains("href=\"/directory?q=Bea%200&per_page=8\" rel=\"prev\""));
    let names: Vec<&str> = second.split("<h2>").skip(1).map(|h| &h[..6]).collect();
    assert!(names.iter().all(|n| n.starts_with("Bea 0")), "{names:?}");
    let third = unescape(&get(&app, "/directory?q=Bea%200&per_page=8&page=3").await.html);
    assert_eq!(cards(&third), 4);
    assert!(!third.contains("rel=\"next\""));
}

#[rocket::async_test]
async fn bad_paging_on_the_directory_page_is_explained_not_a_crash() {
    let app = TestApp::spawn().await;
    crate::members::add_members(&app, 10).await;
    app.create_user("viewer", &[Role::Member]).await;
    app.login_as("viewer").await;
    for (query, message) in [
        ("page=0", "Page number: Pages start at 1."),
        ("page=two", "Page number: Use a whole number."),
        ("per_page=500", "Members per page: Use 1 to 100 entries per page."),
        ("q=bea&per_page=x", "Members per page: Use a whole number."),
    ] {
        let page = get(&app, &format!("/directory?{query}")).await;
        assert_eq!(page.status, Status::UnprocessableEntity, "{query}");
        assert!(page.html.contains(message), "{query}: {}", page.html);
        assert_eq!(cards(&page.html), 0, "{query}");
        assert!(page.html.contains("action=\"/directory\""), "the search form is there");
    }
    let page = get(&app, "/directory?q=bea&per_page=x").await;
    assert!(page.html.contains("value=\"bea\""), "the search is kept to try again");
    assert!(!page.html.contains("Nobody matches"), "no claim about the search");
}

#[rocket::async_test]
async fn a_later_directory_page_is_for_active_members_only() {
    let app = TestApp::spawn().await;
    crate::members::add_members(&app, 60).await;
    let page = get(&app, "/directory?q=bea&page=2").await;
    assert_eq!(page.status, Status::SeeOther);
    let to = page.location.unwrap_or_default();
    assert!(to.starts_with("/login?next=/directory"), "{to}");
    joining(&app, "newbie").await;
    assert!(get(&app, "/directory?page=2").await.redirects_to("/onboarding"));
    app.create_user("guest-x", &[Role::Guest]).await;
    app.login_as("guest-x").await;
    let guest = get(&app, "/directory?page=2").await;
    assert_ne!(guest.status, Status::Ok, "guests never see the directory");
    assert_eq!(cards(&guest.html), 0);
}

#[rocket::async_test]
async fn shared_answers_show_on_a_later_directory_page_and_private_ones_never() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    add_field(&admin, json!({"key": "level", "label": "Level", "visibility": "members"})).await;
    add_field(&admin, json!({"key": "vet", "label": "Vet", "visibility": "private"})).await;
    crate::members::add_members(&app, 120).await;
    app.exec(
        "INSERT INTO profile_values (user_id, field_id, value)
         SELECT u.id, f.id, f.key || ' of ' || u.username FROM users u, profile_fields f
         WHERE u.username LIKE 'm%'",
    )
    .await;
    app.create_user("viewer", &[Role::Member]).await;
    app.login_as("viewer").await;

    let html = get(&app, "/directory?page=3").await.html;
    assert!(html.contains("<dt>Level</dt><dd>level of m119</dd>"), "a cy member's answer: {html}");
    assert!(!html.contains("vet of") && !html.contains("<dt>Vet</dt>"), "private stays private");
    assert!(!html.contains("level of m003"), "only the members of this page");
}

#[rocket::async_test]
async fn visitors_are_sent_to_log_in_from_the_member_pages() {
    let app = TestApp::spawn().await;
    for path in ["/directory", "/profile", "/onboarding"] {
        let page = get(&app, path).await;
        assert_eq!(page.status, Status::SeeOther, "{path}");
        let to = page.location.unwrap_or_default();
        assert!(to.starts_with("/login"), "{path}: {to}");
    }
    assert_eq!(get(&app, "/directory").await.location.as_deref(), Some("/login?next=/directory"));
}

// ----- admin: members -----

#[rocket::async_test]
async fn the_admin_member_list_offers_status_filters_and_filters_by_them() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    app.create_user("bo", &[Role::Member]).await;
    let cy = app.create_user_with_status("cy", &[Role::Member], UserStatus::Onboarding).await;

    let page = get(&app, "/admin/members").await;
    assert_eq!(page.status, Status::Ok);
    let html = unescape(&page.html);
    for status in ["invited", "onboarding", "pending_review", "active", "disabled"] {
        assert!(html.contains(&format!("href=\"/admin/members?status={status}\"")), "{status}");
    }
    assert!(html.contains("bo@example.org") && html.contains("cy@example.org"));

    let joining = unescape(&get(&app, "/admin/members?status=onboarding").await.html);
    assert!(joining.contains(&format!("href=\"/admin/members/{cy}\"")));
    assert!(!joining.contains("bo@example.org"), "only members still joining");
    assert!(joining.contains("href=\"/admin/members?status=onboarding\" aria-current=\"page\""));
    let found = get(&app, "/admin/members?q=bo").await.html;
    assert!(found.contains("bo@example.org") && !found.contains("cy@example.org"));

    let bad = get(&app, "/admin/members?status=sleeping").await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    assert!(bad.html.contains("Choose invited, onboarding"), "{}", bad.html);
}

#[rocket::async_test]
async fn an_admin_activates_a_member_waiting_for_review_from_their_record() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    let bo = joining(&app, "bo").await;
    let names = [("first_name", "Bo"), ("last_name", "Berg")];
    submit(&app, "/onboarding", "/onboarding/profile", &names).await;
    assert_eq!(status_of(&app, bo).await, "pending_review");

    let path = format!("/admin/members/{bo}");
    let record = unescape(&get(&admin, &path).await.html);
    assert!(record.contains("<h1>Bo Berg"), "{record}");
    assert!(record.contains("pending review"), "the timeline: {record}");
    assert!(record.contains(&format!("action=\"/admin/members/{bo}/activate\"")), "Activate");
    assert!(record.contains(">Activate</button>"));

    let done =
        submit(&admin, &path, &format!("{path}/activate"), &[("note", "Welcome aboard")]).await;
    assert!(done.redirects_to(&path), "{:?} {}", done.status, done.html);
    assert_eq!(status_of(&app, bo).await, "active");
    let record = get(&admin, &path).await.html;
    assert!(record.contains("Member activated."));
    assert!(record.contains("by admin &middot; &ldquo;Welcome aboard&rdquo;"), "{record}");
    assert!(!record.contains(">Activate</button>"), "nothing left to activate");
    assert!(app.last_email_text("bo@example.org").await.contains("is now active"));
}

#[rocket::async_test]
async fn activating_a_member_who_has_not_finished_shows_the_record_with_the_missing_steps() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    publish(&admin, "Rules", "Be kind.").await;
    let cy = app.create_user_with_status("cy", &[Role::Member], UserStatus::Onboarding).await;

    let path = format!("/admin/members/{cy}");
    let record = get(&admin, &path).await.html;
    assert!(!record.contains(">Activate</button>"), "no button while steps are missing");
    assert!(record.contains("<span class=\"tag tag-pending\">profile</span>"));

    let page = submit(&admin, &path, &format!("{path}/activate"), &[]).await;
    assert_eq!(page.status, Status::Conflict);
    assert!(page.html.contains("The member has not completed their profile."), "{}", page.html);
    assert!(page.html.contains("The member has not signed the current agreement."));
    assert!(page.html.contains("missing profile and agreement"));
    assert_eq!(status_of(&app, cy).await, "onboarding");
}

#[rocket::async_test]
async fn an_admin_disables_and_enables_an_account_from_its_record() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;

    let path = format!("/admin/members/{bo}");
    let record = get(&admin, &path).await.html;
    assert!(record.contains(&format!("action=\"/admin/members/{bo}/disable\"")));
    let done = submit(&admin, &path, &format!("{path}/disable"), &[("note", "Moved away")]).await;
    assert!(done.redirects_to(&path), "{:?} {}", done.status, done.html);
    assert_eq!(status_of(&app, bo).await, "disabled");
    assert_eq!(get(&app, "/profile").await.status, Status::SeeOther, "bo's session ended");

    let record = get(&admin, &path).await.html;
    assert!(record.contains("Account disabled."));
    assert!(record.contains("&ldquo;Moved away&rdquo;"));
    assert!(record.contains(&format!("action=\"/admin/members/{bo}/enable\"")));
    let again = submit(&admin, &path, &format!("{path}/disable"), &[]).await;
    assert_eq!(again.status, Status::Conflict, "already disabled");
    assert!(again.html.contains("This account is already disabled."));

    let done = submit(&admin, &path, &format!("{path}/enable"), &[]).await;
    assert!(done.redirects_to(&path));
    assert_eq!(status_of(&app, bo).await, "active");
    assert!(get(&admin, &path).await.html.contains("Account enabled again."));

    let admin_id = admin.count("SELECT id FROM users WHERE username = 'admin'").await;
    let own = format!("/admin/members/{admin_id}");
    assert!(!get(&admin, &own).await.html.contains("/disable\""), "no button on one's own");
    let refused = submit(&admin, &own, &format!("{own}/disable"), &[]).await;
    assert_eq!(refused.status, Status::Conflict);
    assert_eq!(status_of(&app, admin_id).await, "active");
}

#[rocket::async_test]
async fn members_who_are_not_admins_are_refused_the_admin_member_pages() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann", &[Role::Member]).await;
    let cy = app.create_user_with_status("cy", &[Role::Member], UserStatus::Onboarding).await;
    app.create_user("bo", &[Role::Member, Role::Coach]).await;
    app.login_as("bo").await;

    for path in [
        "/admin/members".to_string(),
        format!("/admin/members/{ann}"),
        "/admin/profile-fields".to_string(),
        "/admin/agreement".to_string(),
    ] {
        assert_eq!(get(&app, &path).await.status, Status::Forbidden, "{path}");
    }
    for (id, action) in [(ann, "disable"), (cy, "activate"), (ann, "enable")] {
        let page =
            submit(&app, "/profile", &format!("/admin/members/{id}/{action}"), &[("note", "x")])
                .await;
        assert_eq!(page.status, Status::Forbidden, "{action}");
    }
    let field = [
        ("label", "Dog"),
        ("key", "dog"),
        ("kind", "text"),
        ("visibility", "private"),
        ("choices", ""),
    ];
    let page = submit(&app, "/profile", "/admin/profile-fields", &field).await;
    assert_eq!(page.status, Status::Forbidden);
    let page = submit(&app, "/profile", "/admin/agreement", &[("title", "T"), ("body", "B")]).await;
    assert_eq!(page.status, Status::Forbidden);
    assert_eq!(status_of(&app, ann).await, "active");
    assert_eq!(status_of(&app, cy).await, "onboarding");
    assert_eq!(app.count("SELECT count(*) FROM profile_fields").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM agreements").await, 0);

    let visitor = app.restart().await;
    let page = get(&visitor, "/admin/members").await;
    assert_eq!(page.status, Status::SeeOther);
    assert!(page.location.unwrap_or_default().starts_with("/login"));
}

// ----- admin: club fields -----

#[rocket::async_test]
async fn an_admin_adds_a_choice_field_from_the_form_with_one_choice_per_line() {
    let app = TestApp::spawn().await;
    app.as_admin().await;

    let page = get(&app, "/admin/profile-fields").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.html.contains("No questions yet."));
    let field = [
        ("label", "T-shirt size"),
        ("key", "shirt"),
        ("kind", "choice"),
        ("visibility", "members"),
        ("choices", "S\r\nM\n\nL\nM"),
        ("required", "true"),
        ("position", ""),
    ];
    let done = submit(&app, "/admin/profile-fields", "/admin/profile-fields", &field).await;
    assert!(done.redirects_to("/admin/profile-fields"), "{:?} {}", done.status, done.html);

    let (_, list) = app.json("/api/v1/admin/profile-fields").await;
    assert_eq!(list[0]["key"], "shirt");
    assert_eq!(list[0]["kind"], "choice");
    assert_eq!(list[0]["choices"], json!(["S", "M", "L"]), "blank and repeated lines dropped");
    assert_eq!(list[0]["required"], true);
    assert_eq!(list[0]["visibility"], "members");
    let page = get(&app, "/admin/profile-fields").await.html;
    assert!(page.contains("Field saved."));
    assert!(page.contains("S, M, L"), "{page}");

    let other = [
        ("label", "Dog"),
        ("key", "dog"),
        ("kind", "text"),
        ("visibility", "private"),
        ("choices", ""),
    ];
    let done = submit(&app, "/admin/profile-fields", "/admin/profile-fields", &other).await;
    assert!(done.redirects_to("/admin/profile-fields"));
    assert_eq!(
        app.count("SELECT count(*) FROM profile_fields WHERE key = 'dog' AND required = 0").await,
        1,
        "an unticked box is not required"
    );
}

#[rocket::async_test]
async fn a_field_form_with_a_key_in_use_or_bad_values_is_shown_again_with_the_errors() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    add_field(&app, json!({"key": "dog", "label": "Dog"})).await;

    let field = [
        ("label", "Another dog"),
        ("key", "dog"),
        ("kind", "text"),
        ("visibility", "private"),
        ("choices", ""),
    ];
    let page = submit(&app, "/admin/profile-fields", "/admin/profile-fields", &field).await;
    assert_eq!(page.status, Status::Conflict);
    assert!(page.html.contains("Another field already uses this key."), "{}", page.html);
    assert!(page.html.contains("value=\"Another dog\""), "what was typed is kept");

    let field = [
        ("label", "Level"),
        ("key", "Level!"),
        ("kind", "choice"),
        ("visibility", "world"),
        ("choices", "\n \n"),
    ];
    let page = submit(&app, "/admin/profile-fields", "/admin/profile-fields", &field).await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert!(page.html.contains("Use 1 to 40 of a-z, 0-9 and _, starting with a letter."));
    assert!(page.html.contains("Give between 1 and 50 choices."));
    assert!(page.html.contains("value=\"Level!\""));
    assert!(page.html.contains("<option value=\"choice\" selected>"), "the type is kept");
    assert_eq!(app.count("SELECT count(*) FROM profile_fields").await, 1);
}

#[rocket::async_test]
async fn an_admin_edits_and_deletes_a_field_from_its_form() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    let id = add_field(
        &admin,
        json!({"key": "size", "label": "Size", "kind": "choice", "choices": ["Small", "Large"],
               "visibility": "members"}),
    )
    .await;

    let path = format!("/admin/profile-fields/{id}");
    let form = get(&admin, &path).await;
    assert_eq!(form.status, Status::Ok);
    let html = unescape(&form.html);
    assert!(html.contains(&format!("action=\"{path}\"")), "{html}");
    assert!(html.contains("value=\"Size\"") && html.contains("value=\"size\""));
    assert!(html.contains(">Small\nLarge</textarea>"), "choices one per line");
    assert!(html.contains("name=\"visibility\" value=\"members\" checked"));
    assert_eq!(get(&admin, "/admin/profile-fields/9999").await.status, Status::NotFound);

    let change = [
        ("label", "Dog size"),
        ("key", "size"),
        ("kind", "choice"),
        ("visibility", "private"),
        ("choices", "Small\nMedium\nLarge"),
        ("position", "4"),
    ];
    let done = submit(&admin, &path, &path, &change).await;
    assert!(done.redirects_to("/admin/profile-fields"), "{:?} {}", done.status, done.html);
    let (_, list) = admin.json("/api/v1/admin/profile-fields").await;
    assert_eq!(list[0]["label"], "Dog size");
    assert_eq!(list[0]["choices"], json!(["Small", "Medium", "Large"]));
    assert_eq!(list[0]["visibility"], "private");
    assert_eq!(list[0]["position"], 4);

    let bo = joining(&app, "bo").await;
    set_review(&admin, false).await;
    let answers = [("first_name", "Bo"), ("last_name", "Berg"), ("fields[size]", "Medium")];
    submit(&app, "/onboarding", "/onboarding/profile", &answers).await;
    assert_eq!(answers_of(&app, bo).await.len(), 1);

    let done = submit(&admin, "/admin/profile-fields", &format!("{path}/delete"), &[]).await;
    assert!(done.redirects_to("/admin/profile-fields"), "{:?} {}", done.status, done.html);
    assert_eq!(app.count("SELECT count(*) FROM profile_fields").await, 0);
    assert!(answers_of(&app, bo).await.is_empty(), "its answers went with it");
    let page = get(&admin, "/admin/profile-fields").await.html;
    assert!(page.contains("Field deleted, with every answer to it."));
    let gone = submit(&admin, "/admin/profile-fields", &format!("{path}/delete"), &[]).await;
    assert_eq!(gone.status, Status::NotFound);
}

// ----- admin: the agreement -----

#[rocket::async_test]
async fn an_admin_publishes_the_agreement_from_the_form_and_a_bad_one_is_shown_again() {
    let app = TestApp::spawn().await;
    app.as_admin().await;

    let page = get(&app, "/admin/agreement").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.html.contains("The club has no agreement yet."));
    assert!(!page.html.contains("action=\"/admin/agreement/retire\""), "nothing to retire");

    let bad = [("title", "House rules"), ("body", "   ")];
    let page = submit(&app, "/admin/agreement", "/admin/agreement", &bad).await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert!(page.html.contains("Write the agreement (at most 50000 characters)."), "{}", page.html);
    assert!(page.html.contains("value=\"House rules\""), "the title is kept");
    assert_eq!(app.count("SELECT count(*) FROM agreements").await, 0);

    let good = [("title", "House rules"), ("body", "Be kind.\r\nClean up.")];
    let done = submit(&app, "/admin/agreement", "/admin/agreement", &good).await;
    assert!(done.redirects_to("/admin/agreement"), "{:?} {}", done.status, done.html);
    assert_eq!(
        app.count("SELECT count(*) FROM agreements WHERE version = 1 AND title = 'House rules' AND body = 'Be kind.\nClean up.'")
            .await,
        1
    );
    let page = get(&app, "/admin/agreement").await.html;
    assert!(page.contains("Version 1 published."));
    assert!(page.contains(">Be kind.\nClean up.</textarea>"), "the current text is offered");
    assert!(page.contains("<strong>Version 1</strong>: House rules"));
    assert!(page.contains("action=\"/admin/agreement/retire\""));

    let second = [("title", "House rules"), ("body", "Be kind. Always.")];
    let done = submit(&app, "/admin/agreement", "/admin/agreement", &second).await;
    assert!(done.redirects_to("/admin/agreement"));
    assert!(get(&app, "/admin/agreement").await.html.contains("Version 2 published."));
}

#[rocket::async_test]
async fn an_admin_retires_the_agreement_and_members_waiting_for_it_move_on() {
    let app = TestApp::spawn().await;
    let admin = admin_of(&app).await;
    set_review(&admin, false).await;
    publish(&admin, "Rules", "Be kind.").await;
    let bo = joining(&app, "bo").await;
    let names = [("first_name", "Bo"), ("last_name", "Berg")];
    submit(&app, "/onboarding", "/onboarding/profile", &names).await;
    assert_eq!(status_of(&app, bo).await, "pending_contract");

    let done = submit(&admin, "/admin/agreement", "/admin/agreement/retire", &[]).await;
    assert!(done.redirects_to("/admin/agreement"), "{:?} {}", done.status, done.html);
    assert_eq!(app.count("SELECT count(*) FROM agreements WHERE retired_at IS NOT NULL").await, 1);
    assert_eq!(status_of(&app, bo).await, "active");
    let page = get(&admin, "/admin/agreement").await.html;
    assert!(page.contains("The club no longer asks for an agreement."));
    assert!(page.contains("retired</span>"));
    assert!(!page.contains("action=\"/admin/agreement/retire\""));

    let again = submit(&admin, "/admin/agreement", "/admin/agreement/retire", &[]).await;
    assert_eq!(again.status, Status::Conflict, "nothing left to retire");
}

#[rocket::async_test]
async fn a_hand_made_field_form_missing_its_inputs_is_shown_again_naming_them() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let page =
        submit(&app, "/admin/profile-fields", "/admin/profile-fields", &[("key", "dog")]).await;
    assert_eq!(page.status, Status::UnprocessableEntity);
    assert!(page.html.contains("Use 1 to 80 characters."), "the label is named");
    assert!(page.html.contains("Choose text, long_text"), "the type is named");
    assert!(page.html.contains("value=\"dog\""), "what was typed is kept");
    assert_eq!(app.count("SELECT count(*) FROM profile_fields").await, 0);
}

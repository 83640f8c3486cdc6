//! People management: the member list (search, filters, order, pages), CSV import and export,
//! and the account actions of a member's record, through the API and the pages.

use clubroom::accounts::model::{Role, UserStatus};
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

use crate::support::*;

/// Posts a multipart form: text fields and one file.
async fn upload(app: &TestApp, path: &str, token: &str, file: &str, text: &str) -> Answered {
    let boundary = "XpeopleBoundary7";
    let mut body = String::new();
    for (name, value) in [("csrf_token", token), ("text", text)] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"members.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    let content_type =
        ContentType::new("multipart", "form-data").with_params(("boundary", boundary));
    let response =
        app.client.post(path.to_string()).header(content_type).body(body).dispatch().await;
    answered(response).await
}

/// Posts an import as JSON `{"csv"}`, the way a cookie-signed-in client must.
async fn post_csv(app: &TestApp, path: &str, csv: &str) -> (Status, Value) {
    app.post_json(path, json!({ "csv": csv })).await
}

/// An access token for `username`, for API calls without cookies.
async fn access_token(app: &TestApp, username: &str) -> String {
    let body = json!({"login": username, "password": PASSWORD});
    let (status, mut pair) = app.post_json("/api/v1/auth/token", body).await;
    assert_eq!(status, Status::Ok, "{pair}");
    if pair["two_factor_required"] == true {
        let code = app.last_code(&format!("{username}@example.org")).await;
        let verify = json!({"challenge": pair["challenge"], "code": code});
        let (status, tokens) = app.post_json("/api/v1/auth/login/verify", verify).await;
        assert_eq!(status, Status::Ok, "{tokens}");
        pair = tokens;
    }
    pair["access_token"].as_str().unwrap_or_else(|| panic!("{pair}")).to_string()
}

/// Posts a `text/csv` body with a bearer token.
async fn post_raw_csv(app: &TestApp, token: &str, path: &str, csv: &str) -> (Status, Value) {
    let response = app
        .client
        .post(path.to_string())
        .header(ContentType::CSV)
        .header(rocket::http::Header::new("Authorization", format!("Bearer {token}")))
        .body(csv)
        .dispatch()
        .await;
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn scalar(app: &TestApp, sql: String) -> i64 {
    app.db().read(move |tx| Ok(tx.query_row(&sql, [], |r| r.get(0))?)).await.unwrap()
}

async fn audited(app: &TestApp, kind: &str, user_id: i64) -> i64 {
    scalar(
        app,
        format!(
            "SELECT count(*) FROM audit_log WHERE kind = '{kind}' AND target = 'user:{user_id}'"
        ),
    )
    .await
}

fn usernames(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|m| m["username"].as_str().unwrap().to_string()).collect()
}

// ----- the list -----

#[rocket::async_test]
async fn the_member_list_api_searches_filters_sorts_and_pages_by_fifty() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    for n in 0..54 {
        app.create_user(&format!("m{n:02}"), &[Role::Member]).await;
    }
    app.create_user("coachy", &[Role::Member, Role::Coach]).await;
    app.create_user_with_status("joiner", &[Role::Member], UserStatus::Onboarding).await;

    let response = app.client.get("/api/v1/admin/members").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("X-Total-Count"), Some("57"));
    assert_eq!(response.headers().get_one("X-Page-Count"), Some("2"));
    let link = response.headers().get_one("Link").unwrap().to_string();
    assert!(link.contains("</api/v1/admin/members?page=2>; rel=\"next\""), "{link}");
    let first = body_json(response).await;
    assert_eq!(first.as_array().unwrap().len(), 50);
    assert_eq!(usernames(&first)[0], "admin");

    let (_, second) = app.json("/api/v1/admin/members?page=2").await;
    assert_eq!(second.as_array().unwrap().len(), 7);
    let (_, past) = app.json("/api/v1/admin/members?page=9").await;
    assert_eq!(past, json!([]), "a page past the end is empty");

    let (_, coaches) = app.json("/api/v1/admin/members?role=coach").await;
    assert_eq!(usernames(&coaches), ["coachy"]);
    let (_, joining) = app.json("/api/v1/admin/members?status=onboarding&role=member").await;
    assert_eq!(usernames(&joining), ["joiner"]);
    let (_, found) = app.json("/api/v1/admin/members?q=M53%40EXAMPLE").await;
    assert_eq!(usernames(&found), ["m53"], "search by email, without case");
    let (_, by_name) = app.json("/api/v1/admin/members?q=coach").await;
    assert_eq!(usernames(&by_name), ["coachy"]);
    let (_, reversed) = app.json("/api/v1/admin/members?sort=-email").await;
    assert_eq!(usernames(&reversed)[0], "m53");
    let (_, by_status) = app.json("/api/v1/admin/members?sort=status").await;
    assert_eq!(by_status[0]["status"], "active");
    assert_eq!(
        usernames(&by_status).last().unwrap(),
        "m47",
        "50 active people by name, then joiner"
    );

    app.exec("UPDATE users SET last_login_at = 5 WHERE username = 'm07'").await;
    app.exec("UPDATE users SET last_login_at = 9 WHERE username = 'm08'").await;
    let (_, recent) = app.json("/api/v1/admin/members?sort=-last_login").await;
    let recent = usernames(&recent);
    assert_eq!(recent[0], "admin", "logged in just now");
    assert_eq!(&recent[1..3], ["m08", "m07"]);
    assert!(recent[0..3].iter().all(|u| u != "m00"), "never logged in comes last");
    app.exec("UPDATE users SET activated_at = 1 WHERE username = 'm30'").await;
    let (_, since) = app.json("/api/v1/admin/members?sort=member_since").await;
    assert_eq!(usernames(&since)[0], "m30");
    assert!(since[0]["member_since"].is_string() && since[0]["joined_at"].is_string());
}

#[rocket::async_test]
async fn bad_list_parameters_are_named_in_a_422_and_a_friendly_page() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    for (query, field) in [
        ("status=sleeping", "status"),
        ("role=wizard", "role"),
        ("sort=shoe_size", "sort"),
        ("page=0", "page"),
        ("page=two", "page"),
    ] {
        let (status, err) = app.json(&format!("/api/v1/admin/members?{query}")).await;
        assert_eq!(status, Status::UnprocessableEntity, "{query}");
        assert!(err["error"]["fields"][field].is_string(), "{query}: {err}");
        let page = get(&app, &format!("/admin/members?{query}")).await;
        assert_eq!(page.status, Status::UnprocessableEntity, "{query}");
        assert!(page.html.contains("field-error"), "{query}");
    }
    let page = get(&app, "/admin/members?sort=shoe_size").await;
    assert!(page.html.contains("Sort by name, email, status"), "{}", page.html);
}

#[rocket::async_test]
async fn the_member_list_page_keeps_the_filter_in_its_tabs_sort_links_and_page_links() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    for n in 0..60 {
        app.create_user(&format!("kid{n:02}"), &[Role::Member, Role::Guardian]).await;
    }
    app.create_user("solo", &[Role::Member]).await;

    let page = get(&app, "/admin/members?role=guardian&q=kid&sort=-name").await;
    assert_eq!(page.status, Status::Ok);
    let html = unescape(&page.html);
    assert!(html.contains("60 people"), "{html}");
    assert!(html.contains("kid59") && !html.contains("solo"));
    assert!(html.contains("href=\"/admin/members?role=guardian&q=kid&sort=-name&page=2\""));
    assert!(html.contains("href=\"/admin/members?status=active&role=guardian&q=kid&sort=-name\""));
    assert!(html.contains("href=\"/admin/members/export.csv?role=guardian&q=kid&sort=-name\""));
    assert!(html.contains("href=\"/admin/members?role=guardian&q=kid&sort=email\""));
    let second =
        unescape(&get(&app, "/admin/members?role=guardian&q=kid&sort=-name&page=2").await.html);
    assert!(second.contains("kid00") && !second.contains("kid59"));
}

// ----- who may -----

#[rocket::async_test]
async fn people_management_is_refused_to_visitors_members_and_organizers() {
    let app = TestApp::spawn().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.create_user("org", &[Role::Member, Role::Organizer]).await;
    app.create_user("admin", &[Role::Admin, Role::Member]).await;

    let api: Vec<(Method, String, Value)> = vec![
        (Method::Get, "/api/v1/admin/members".into(), json!(null)),
        (Method::Get, "/api/v1/admin/members/export.csv".into(), json!(null)),
        (Method::Get, format!("/api/v1/admin/members/{bo}/deletion"), json!(null)),
        (Method::Put, format!("/api/v1/admin/members/{bo}/roles"), json!({"roles": ["admin"]})),
        (Method::Delete, format!("/api/v1/admin/members/{bo}/sessions"), json!(null)),
        (Method::Post, format!("/api/v1/admin/members/{bo}/two-factor/reset"), json!(null)),
        (
            Method::Post,
            format!("/api/v1/admin/members/{bo}/access"),
            json!({"kind": "set_password"}),
        ),
        (Method::Delete, format!("/api/v1/admin/members/{bo}"), json!({"confirm": "bo"})),
        (Method::Get, "/api/v1/admin/members/import/abc".into(), json!(null)),
        (Method::Post, "/api/v1/admin/members/import/abc/commit".into(), json!({})),
    ];
    let check = |who: &'static str, expected: Status| {
        let api = api.clone();
        let app = &app;
        async move {
            for (method, path, body) in &api {
                let (status, _) = app.send_json(*method, path, body.clone()).await;
                assert_eq!(status, expected, "{who}: {method} {path}");
            }
            let (status, _) =
                post_csv(app, "/api/v1/admin/members/import", "email,first_name,last_name\n").await;
            assert_eq!(status, expected, "{who}: import");
        }
    };
    check("visitor", Status::Unauthorized).await;
    for page in ["/admin/members", "/admin/members/import", "/admin/members/export.csv"] {
        let answer = get(&app, page).await;
        assert_eq!(answer.status, Status::SeeOther, "{page}");
        assert!(answer.location.unwrap_or_default().starts_with("/login"));
    }

    for who in ["bo", "org"] {
        app.login_as(who).await;
        check(if who == "bo" { "member" } else { "organizer" }, Status::Forbidden).await;
        for page in [
            "/admin/members".to_string(),
            "/admin/members/import".to_string(),
            "/admin/members/export.csv".to_string(),
            format!("/admin/members/{bo}/delete"),
        ] {
            assert_eq!(get(&app, &page).await.status, Status::Forbidden, "{who} {page}");
        }
        for action in ["roles", "sessions/revoke", "two-factor/reset", "access", "delete"] {
            let path = format!("/admin/members/{bo}/{action}");
            let answer = submit(
                &app,
                "/profile",
                &path,
                &[("roles", "admin"), ("kind", "set_password"), ("confirm", "bo")],
            )
            .await;
            assert_eq!(answer.status, Status::Forbidden, "{who} {action}");
        }
        let token = app.csrf_token("/profile").await;
        let answer = submit(
            &app,
            "/profile",
            "/admin/members/import",
            &[("text", "email,first_name,last_name\nx@example.org,X,Y")],
        )
        .await;
        assert_eq!(answer.status, Status::Forbidden, "{who} import");
        let answer =
            upload(&app, "/admin/members/import", &token, "email,first_name,last_name\n", "").await;
        assert_eq!(answer.status, Status::Forbidden, "{who} upload");
    }
    assert_eq!(
        scalar(&app, format!("SELECT count(*) FROM user_roles WHERE user_id = {bo}")).await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM users").await, 3);
    assert_eq!(app.count("SELECT count(*) FROM member_imports").await, 0);
}

#[rocket::async_test]
async fn a_member_asking_for_another_members_record_learns_nothing_about_it() {
    let app = TestApp::spawn().await;
    let secret = app.create_user("secretive", &[Role::Member]).await;
    app.create_user("bo", &[Role::Member]).await;
    app.login_as("bo").await;

    for path in [
        format!("/api/v1/admin/members/{secret}"),
        format!("/api/v1/admin/members/{secret}/deletion"),
        "/api/v1/admin/members/999999/deletion".to_string(),
        "/api/v1/admin/members?q=secretive".to_string(),
    ] {
        let response = app.client.get(path.clone()).dispatch().await;
        assert_eq!(response.status(), Status::Forbidden, "{path}");
        let body = response.into_string().await.unwrap_or_default();
        assert!(!body.contains("secretive"), "{path}: {body}");
    }
    let page = get(&app, &format!("/admin/members/{secret}/delete")).await;
    assert!(!page.html.contains("secretive@example.org"));

    app.as_admin().await;
    let (status, _) = app.json("/api/v1/admin/members/999999/deletion").await;
    assert_eq!(status, Status::NotFound, "an admin gets a plain 404 for nobody");
    let (status, _) = app
        .send_json(Method::Put, "/api/v1/admin/members/999999/roles", json!({"roles": ["member"]}))
        .await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn people_forms_without_a_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.csrf_token("/admin/members").await;
    for (path, fields) in [
        (format!("/admin/members/{bo}/roles"), vec![("roles", "admin")]),
        (format!("/admin/members/{bo}/sessions/revoke"), vec![]),
        (format!("/admin/members/{bo}/access"), vec![("kind", "set_password")]),
        (format!("/admin/members/{bo}/delete"), vec![("confirm", "bo")]),
        (
            "/admin/members/import".to_string(),
            vec![("text", "email,first_name,last_name\nx@example.org,X,Y")],
        ),
    ] {
        let mut with_wrong = fields.clone();
        with_wrong.push(("csrf_token", "forged"));
        for body in [fields, with_wrong] {
            let answer = answered(app.post_form(&path, &body).await).await;
            assert_eq!(answer.status, Status::Forbidden, "{path}");
        }
    }
    let answer = upload(
        &app,
        "/admin/members/import",
        "forged",
        "email,first_name,last_name\nx@example.org,X,Y\n",
        "",
    )
    .await;
    assert_eq!(answer.status, Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 2);
    assert_eq!(app.count("SELECT count(*) FROM member_imports").await, 0);
    assert_eq!(
        scalar(&app, format!("SELECT count(*) FROM user_roles WHERE user_id = {bo}")).await,
        1
    );
}

// ----- import -----

const MESSY_CSV: &str = "Email,First name,Last name,Phone,Roles
kim@example.org,Kim,Lee,+47 555 01,member coach
not-an-email,Al,Ba,,
lou@example.org,,Lind,,
KIM@example.org,Kim,Again,,
bo@example.org,Bo,Berg,,
zed@example.org,Zed,Zulu,,wizard
max@example.org,Max,Moe,12ab,
\"ann@example.org\",\"Ann, Jr\",\"Smith\",,guardian;member
";

#[rocket::async_test]
async fn a_csv_import_previews_each_row_then_commits_only_the_valid_new_ones_once() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;

    let (status, preview) =
        post_csv(&app, "/api/v1/admin/members/import?dry_run=true", MESSY_CSV).await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert_eq!(preview["counts"], json!({"new": 2, "exists": 1, "invalid": 5}));
    let rows = preview["rows"].as_array().unwrap();
    let row = |line: u64| rows.iter().find(|r| r["line"] == line).unwrap();
    assert_eq!(row(2)["outcome"], "new");
    assert!(row(3)["errors"]["email"].is_string(), "bad email");
    assert!(row(4)["errors"]["first_name"].is_string(), "missing name");
    assert_eq!(row(5)["errors"]["email"], "The same email is on line 2.");
    assert_eq!(row(6)["outcome"], "exists");
    assert_eq!(row(6)["existing_id"], bo);
    assert!(row(7)["errors"]["roles"].as_str().unwrap().contains("wizard"));
    assert!(row(8)["errors"]["phone"].is_string());
    assert_eq!(row(9)["first_name"], "Ann, Jr");
    assert_eq!(row(9)["outcome"], "new");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 2, "a dry run creates nobody");

    let id = preview["id"].as_str().unwrap().to_string();
    let (status, again) = app.json(&format!("/api/v1/admin/members/import/{id}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(again["counts"], preview["counts"]);

    let commit = format!("/api/v1/admin/members/import/{id}/commit");
    let (status, result) = app.post_json(&commit, json!({"send_invites": true})).await;
    assert_eq!(status, Status::Ok, "{result}");
    assert_eq!(result["created"].as_array().unwrap().len(), 2);
    assert_eq!(result["skipped_existing"], 1);
    assert_eq!(result["skipped_invalid"], 5);
    assert_eq!(result["invitations_sent"], 2);
    assert_eq!(result["already_committed"], false);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 4);
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE status = 'invited' AND password_hash IS NULL")
            .await,
        2
    );
    let kim = result["created"][0]["id"].as_i64().unwrap();
    let (_, kim_record) = app.json(&format!("/api/v1/admin/members/{kim}")).await;
    assert_eq!(kim_record["profile"]["roles"], json!(["coach", "member"]));
    assert_eq!(kim_record["profile"]["phone"], "+47 555 01");
    assert_eq!(app.emails_to("kim@example.org").await.len(), 1, "a claim code");
    assert_eq!(app.emails_to("ann@example.org").await.len(), 1);
    assert_eq!(app.emails_to("bo@example.org").await.len(), 0);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE kind = 'members_imported'").await,
        1
    );

    let (status, twice) = app.post_json(&commit, json!({"send_invites": true})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(twice["already_committed"], true);
    assert_eq!(twice["created"], result["created"]);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 4, "nobody twice");
    assert_eq!(app.emails_to("kim@example.org").await.len(), 1, "no second email");

    let (_, same_file) =
        post_csv(&app, "/api/v1/admin/members/import?dry_run=true", MESSY_CSV).await;
    assert_eq!(same_file["counts"]["new"], 0, "the same file again finds them all there");
}

#[rocket::async_test]
async fn a_csv_import_can_commit_at_once_and_refuses_what_is_not_a_member_list() {
    let app = TestApp::spawn().await;
    app.as_admin().await;

    let token = access_token(&app, "admin").await;
    let csv = "name,email\nKim Lee,kim@example.org\nbad row,nope\n";
    let path = "/api/v1/admin/members/import?dry_run=false";
    let (status, result) = post_raw_csv(&app, &token, path, csv).await;
    assert_eq!(status, Status::Created, "{result}");
    assert_eq!(result["created"][0]["email"], "kim@example.org");
    assert_eq!(result["skipped_invalid"], 1);
    assert_eq!(app.emails_to("kim@example.org").await.len(), 0, "no invitations unless asked");

    for (body, why) in [
        ("", "empty"),
        ("first_name,last_name\nA,B\n", "no email column"),
        ("email\na@example.org\n", "no name columns"),
        ("email,first_name,last_name\n", "no rows"),
    ] {
        let (status, err) = post_csv(&app, "/api/v1/admin/members/import", body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{why}");
        assert!(err["error"]["fields"]["csv"].is_string(), "{why}: {err}");
    }
    let many = format!(
        "email,first_name,last_name\n{}",
        (0..2001).map(|n| format!("p{n}@example.org,P,Q\n")).collect::<String>()
    );
    let (status, err) = post_csv(&app, "/api/v1/admin/members/import", &many).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["message"].as_str().unwrap().contains("2000"));

    let response = app
        .client
        .post("/api/v1/admin/members/import")
        .header(ContentType::XML)
        .header(rocket::http::Header::new("Authorization", format!("Bearer {token}")))
        .body("<csv/>")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnsupportedMediaType);
    let (status, err) = app.post_json("/api/v1/admin/members/import", json!({"file": "x"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["csv"].is_string());
    let response = app
        .client
        .post("/api/v1/admin/members/import")
        .header(ContentType::CSV)
        .body("email,name\n")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnsupportedMediaType, "cookie writes must be JSON");
    let (status, err) =
        post_csv(&app, "/api/v1/admin/members/import?dry_run=maybe", "email,name\n").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["dry_run"].is_string());

    let (status, _) = app.json("/api/v1/admin/members/import/nope").await;
    assert_eq!(status, Status::NotFound);
    let (_, preview) =
        post_csv(&app, "/api/v1/admin/members/import", "email,name\nlo@example.org,Lo Ma\n").await;
    app.advance(chrono::Duration::minutes(61));
    let id = preview["id"].as_str().unwrap();
    let (status, _) =
        app.post_json(&format!("/api/v1/admin/members/import/{id}/commit"), json!({})).await;
    assert_eq!(status, Status::Gone, "a preview an hour old has to be uploaded again");
    assert_eq!(app.count("SELECT count(*) FROM users WHERE email = 'lo@example.org'").await, 0);
}

#[rocket::async_test]
async fn an_admin_imports_members_through_the_pages_by_pasting_or_uploading() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    app.create_user("bo", &[Role::Member]).await;

    let form = get(&app, "/admin/members/import").await;
    assert_eq!(form.status, Status::Ok);
    assert!(form.html.contains("enctype=\"multipart/form-data\""));

    let pasted =
        "email,first_name,last_name\nkim@example.org,Kim,Lee\nbo@example.org,Bo,Berg\nxx,,\n";
    let answer =
        submit(&app, "/admin/members/import", "/admin/members/import", &[("text", pasted)]).await;
    assert_eq!(answer.status, Status::SeeOther);
    let preview_url = answer.location.unwrap();
    assert!(preview_url.starts_with("/admin/members/import/"));
    let preview = get(&app, &preview_url).await;
    assert_eq!(preview.status, Status::Ok);
    assert!(preview.html.contains("already there") && preview.html.contains("mistake"));
    assert!(preview.html.contains("Enter a valid email address"));
    assert_eq!(app.count("SELECT count(*) FROM users").await, 2);

    let commit = format!("{preview_url}/commit");
    let done = submit(&app, &preview_url, &commit, &[("send_invites", "true")]).await;
    assert_eq!(done.status, Status::SeeOther);
    assert_eq!(done.location.as_deref(), Some(preview_url.as_str()));
    assert_eq!(app.count("SELECT count(*) FROM users WHERE email = 'kim@example.org'").await, 1);
    assert_eq!(app.emails_to("kim@example.org").await.len(), 1);
    let after = get(&app, &preview_url).await;
    assert!(after.html.contains("Import done") && after.html.contains("kim.lee"));
    let twice = submit(&app, "/admin/members/import", &commit, &[("send_invites", "true")]).await;
    assert_eq!(twice.status, Status::SeeOther);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 3, "a second submit adds nobody");
    assert_eq!(app.emails_to("kim@example.org").await.len(), 1);

    let token = app.csrf_token("/admin/members/import").await;
    let file = "email,first_name,last_name\r\nuli@example.org,Uli,Upload\r\n";
    let answer = upload(&app, "/admin/members/import", &token, file, "").await;
    assert_eq!(answer.status, Status::SeeOther, "{}", answer.html);
    let preview = get(&app, &answer.location.unwrap()).await;
    assert!(preview.html.contains("uli@example.org"));

    let bad = upload(&app, "/admin/members/import", &token, "", "no,header,here\n1,2,3").await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    assert!(bad.html.contains("The first line must name the columns"), "{}", bad.html);
    assert!(bad.html.contains("no,header,here"), "the pasted text is kept");
    let nothing =
        submit(&app, "/admin/members/import", "/admin/members/import", &[("text", "")]).await;
    assert_eq!(nothing.status, Status::UnprocessableEntity);
    assert!(nothing.html.contains("Choose a CSV file or paste its text"));
}

#[rocket::async_test]
async fn the_member_export_follows_the_filter_and_makes_formulas_inert() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let evil = app.create_user("evil", &[Role::Member, Role::Coach]).await;
    app.create_user("plain", &[Role::Member]).await;
    app.db()
        .write(move |tx| {
            tx.execute(
                "UPDATE users SET first_name = '=HYPERLINK(\"http://x\")', last_name = '+1' WHERE id = ?1",
                [evil],
            )?;
            Ok(())
        })
        .await
        .unwrap();

    let response = app.client.get("/api/v1/admin/members/export.csv?role=coach").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::CSV));
    assert!(response.headers().get_one("Content-Disposition").unwrap().contains("members.csv"));
    let body = response.into_string().await.unwrap();
    let mut lines = body.lines();
    assert!(lines.next().unwrap().starts_with("id,username,email,first_name,last_name"));
    let row = lines.next().unwrap();
    assert!(row.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{row}");
    assert!(row.contains(",'+1,"), "{row}");
    assert!(lines.next().is_none(), "only coaches");

    let page = get(&app, "/admin/members/export.csv").await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.html.contains("plain@example.org") && page.html.contains("admin@example.org"));
    let (status, _) = app.json("/api/v1/admin/members/export.csv?status=asleep").await;
    assert_eq!(status, Status::UnprocessableEntity);
}

// ----- a member's account -----

#[rocket::async_test]
async fn an_admin_edits_roles_audited_but_the_last_admin_keeps_theirs() {
    let app = TestApp::spawn().await;
    let admin = app.as_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;

    let path = format!("/api/v1/admin/members/{bo}/roles");
    let (status, detail) =
        app.send_json(Method::Put, &path, json!({"roles": ["coach", "member", "coach"]})).await;
    assert_eq!(status, Status::Ok, "{detail}");
    assert_eq!(detail["profile"]["roles"], json!(["coach", "member"]));
    assert_eq!(audited(&app, "member_roles_changed", bo).await, 1);
    let detail_json = scalar(&app, format!(
        "SELECT count(*) FROM audit_log WHERE kind = 'member_roles_changed' AND detail LIKE '%\"before\":[\"member\"]%' AND detail LIKE '%\"after\":[\"coach\",\"member\"]%' AND target = 'user:{bo}'"
    )).await;
    assert_eq!(detail_json, 1, "before and after, with the address");
    let (status, _) =
        app.send_json(Method::Put, &path, json!({"roles": ["member", "coach"]})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(audited(&app, "member_roles_changed", bo).await, 1, "no change, nothing recorded");

    for (body, field) in [(json!({"roles": []}), "roles"), (json!({"roles": ["king"]}), "roles")] {
        let (status, err) = app.send_json(Method::Put, &path, body).await;
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(err["error"]["fields"][field].is_string());
    }
    let (status, _) =
        app.send_json(Method::Put, &path, json!({"roles": ["member"], "admin": true})).await;
    assert_eq!(status, Status::UnprocessableEntity, "unknown fields are refused");

    let own = format!("/api/v1/admin/members/{admin}/roles");
    let (status, err) = app.send_json(Method::Put, &own, json!({"roles": ["member"]})).await;
    assert_eq!(status, Status::Conflict);
    assert!(err["error"]["fields"]["roles"].as_str().unwrap().contains("only admin"));
    let (_, record) = app.json(&format!("/api/v1/admin/members/{admin}")).await;
    assert_eq!(record["account"]["last_admin"], true);

    let (status, _) =
        app.send_json(Method::Put, &path, json!({"roles": ["admin", "member"]})).await;
    assert_eq!(status, Status::Ok);
    let (status, _) = app.send_json(Method::Put, &own, json!({"roles": ["member"]})).await;
    assert_eq!(status, Status::Ok, "with another admin, one may step down");
    let (status, _) = app.json("/api/v1/admin/members").await;
    assert_eq!(status, Status::Forbidden, "no longer an admin, at once");
}

#[rocket::async_test]
async fn an_admin_edits_roles_from_the_member_page() {
    let app = TestApp::spawn().await;
    let admin = app.as_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    let record = format!("/admin/members/{bo}");
    let page = get(&app, &record).await;
    assert!(page.html.contains("name=\"roles\" type=\"checkbox\" value=\"coach\""));

    let answer = submit(
        &app,
        &record,
        &format!("{record}/roles"),
        &[("roles", "member"), ("roles", "guardian")],
    )
    .await;
    assert_eq!(answer.status, Status::SeeOther);
    assert_eq!(answer.location.as_deref(), Some(record.as_str()));
    let (_, detail) = app.json(&format!("/api/v1/admin/members/{bo}")).await;
    assert_eq!(detail["profile"]["roles"], json!(["member", "guardian"]));
    let page = get(&app, &record).await;
    assert!(page.html.contains("member roles changed"), "shown in the history");

    let mine = format!("/admin/members/{admin}");
    let refused = submit(&app, &mine, &format!("{mine}/roles"), &[("roles", "member")]).await;
    assert_eq!(refused.status, Status::Conflict);
    assert!(refused.html.contains("only admin"));
    let none = submit(&app, &record, &format!("{record}/roles"), &[]).await;
    assert_eq!(none.status, Status::UnprocessableEntity);
    assert!(none.html.contains("Give at least one role."));
}

#[rocket::async_test]
async fn an_admin_signs_a_member_out_everywhere_audited() {
    let app = TestApp::spawn().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    let elsewhere = app.restart().await;
    elsewhere.login_as("bo").await;
    let bo_token = access_token(&elsewhere, "bo").await;
    app.as_admin().await;
    let (_, before) = app.json(&format!("/api/v1/admin/members/{bo}")).await;
    assert_eq!(before["account"]["sessions"], 1, "{before}");
    assert_eq!(before["account"]["api_logins"], 1, "{before}");

    let (status, ended) = app
        .send_json(Method::Delete, &format!("/api/v1/admin/members/{bo}/sessions"), json!(null))
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(ended, json!({"sessions_ended": 1, "api_logins_ended": 1}));
    assert_eq!(elsewhere.json("/api/v1/me").await.0, Status::Unauthorized, "the browser is out");
    let me = elsewhere
        .client
        .get("/api/v1/me")
        .header(rocket::http::Header::new("Authorization", format!("Bearer {bo_token}")))
        .dispatch()
        .await;
    assert_eq!(me.status(), Status::Unauthorized, "and the app");
    assert_eq!(audited(&app, "member_sessions_revoked", bo).await, 1);
    assert_eq!(app.json("/api/v1/admin/members").await.0, Status::Ok, "the admin stays signed in");

    elsewhere.login_as("bo").await;
    let record = format!("/admin/members/{bo}");
    let page = get(&app, &record).await;
    assert!(page.html.contains("1 browser session,"), "{}", page.html);
    let answer = submit(&app, &record, &format!("{record}/sessions/revoke"), &[]).await;
    assert_eq!(answer.status, Status::SeeOther);
    assert_eq!(
        scalar(&app, format!("SELECT count(*) FROM sessions WHERE user_id = {bo}")).await,
        0
    );
    assert_eq!(audited(&app, "member_sessions_revoked", bo).await, 2);
}

#[rocket::async_test]
async fn an_admin_turns_off_a_members_two_step_sign_in() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    app.exec("UPDATE users SET two_factor_enabled = 1 WHERE username = 'bo'").await;

    let path = format!("/api/v1/admin/members/{bo}/two-factor/reset");
    let (status, detail) = app.post_json(&path, json!(null)).await;
    assert_eq!(status, Status::Ok, "{detail}");
    assert_eq!(detail["account"]["two_factor_enabled"], false);
    assert_eq!(audited(&app, "member_two_factor_reset", bo).await, 1);
    let (status, _) = app.post_json(&path, json!(null)).await;
    assert_eq!(status, Status::Conflict, "already off");

    app.exec("UPDATE users SET two_factor_enabled = 1 WHERE username = 'bo'").await;
    let record = format!("/admin/members/{bo}");
    let answer = submit(&app, &record, &format!("{record}/two-factor/reset"), &[]).await;
    assert_eq!(answer.status, Status::SeeOther);
    assert_eq!(app.count("SELECT two_factor_enabled FROM users WHERE username = 'bo'").await, 0);
    assert_eq!(audited(&app, "member_two_factor_reset", bo).await, 2);
}

#[rocket::async_test]
async fn an_admin_emails_a_claim_code_or_a_set_password_link_that_works() {
    let app = TestApp::spawn().await;
    app.as_admin().await;
    let bo = app.create_user("bo", &[Role::Member]).await;
    let body = json!({"email": "kim@example.org", "first_name": "Kim", "last_name": "Lee"});
    let (_, created) = app.post_json("/api/v1/admin/members", body).await;
    let kim = created["user_id"].as_i64().unwrap();

    let access = |id: i64| format!("/api/v1/admin/members/{id}/access");
    let (status, sent) = app.post_json(&access(kim), json!({"kind": "claim_code"})).await;
    assert_eq!(status, Status::Accepted, "{sent}");
    assert_eq!(sent["to"], "kim@example.org");
    assert!(app.last_email_text("kim@example.org").await.contains("/claim"));
    assert_eq!(audited(&app, "member_claim_code_sent", kim).await, 1);
    let (status, _) = app.post_json(&access(kim), json!({"kind": "set_password"})).await;
    assert_eq!(status, Status::Conflict, "an unclaimed account is claimed instead");

    let (status, _) = app.post_json(&access(bo), json!({"kind": "claim_code"})).await;
    assert_eq!(status, Status::Conflict);
    let (status, err) = app.post_json(&access(bo), json!({"kind": "owl"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["kind"].is_string());

    let record = format!("/admin/members/{bo}");
    let answer =
        submit(&app, &record, &format!("{record}/access"), &[("kind", "set_password")]).await;
    assert_eq!(answer.status, Status::SeeOther);
    assert_eq!(audited(&app, "member_set_password_sent", bo).await, 1);
    let text = app.last_email_text("bo@example.org").await;
    let link = extract_link(&text, &app.config.public_url()).unwrap();
    let path = link.trim_start_matches(&app.config.public_url()).to_string();
    assert!(path.starts_with("/set-password/"), "{text}");
    let visitor = app.restart().await;
    assert_eq!(get(&visitor, &path).await.status, Status::Ok, "the link is live");
}

#[rocket::async_test]
async fn deleting_an_account_states_what_goes_and_needs_the_username_typed() {
    let app = TestApp::spawn().await;
    let admin = app.as_admin().await;
    let bo = app.create_user("bo", &[Role::Member, Role::Coach]).await;
    let cy = app.create_user("cy", &[Role::Member]).await;
    app.db()
        .write(move |tx| {
            tx.execute("UPDATE users SET coach_id = ?1 WHERE id = ?2", [bo, cy])?;
            Ok(())
        })
        .await
        .unwrap();

    let (status, view) = app.json(&format!("/api/v1/admin/members/{bo}/deletion")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(view["refusal"], Value::Null);
    let labels = |list: &Value| -> Vec<String> {
        list.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
    };
    assert!(labels(&view["deleted"]).contains(&"roles".to_string()), "{view}");
    assert!(labels(&view["kept"]).iter().any(|l| l.starts_with("members they coach")), "{view}");

    let page = get(&app, &format!("/admin/members/{bo}/delete")).await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.html.contains("Deleted for good") && page.html.contains("Kept"));
    assert!(page.html.contains("members they coach"));

    let path = format!("/api/v1/admin/members/{bo}");
    let (status, err) = app.send_json(Method::Delete, &path, json!({"confirm": "b"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(err["error"]["fields"]["confirm"].is_string());
    let (status, gone) = app.send_json(Method::Delete, &path, json!({"confirm": "BO"})).await;
    assert_eq!(status, Status::Ok, "{gone}");
    assert_eq!(scalar(&app, format!("SELECT count(*) FROM users WHERE id = {bo}")).await, 0);
    assert_eq!(
        scalar(&app, format!("SELECT count(*) FROM users WHERE id = {cy} AND coach_id IS NULL"))
            .await,
        1
    );
    assert_eq!(audited(&app, "member_deleted", bo).await, 1);
    assert_eq!(app.json(&path).await.0, Status::NotFound);

    let own = format!("/api/v1/admin/members/{admin}");
    let (status, _) = app.send_json(Method::Delete, &own, json!({"confirm": "admin"})).await;
    assert_eq!(status, Status::Conflict, "not one's own account, nor the last admin");
    let (_, mine) = app.json(&format!("{own}/deletion")).await;
    assert!(mine["refusal"].is_string());

    let record = format!("/admin/members/{cy}/delete");
    let wrong = submit(&app, &record, &record, &[("confirm", "nope")]).await;
    assert_eq!(wrong.status, Status::UnprocessableEntity);
    assert!(wrong.html.contains("Type the username cy to confirm"));
    let done = submit(&app, &record, &record, &[("confirm", "cy")]).await;
    assert_eq!(done.status, Status::SeeOther);
    assert_eq!(done.location.as_deref(), Some("/admin/members"));
    assert_eq!(scalar(&app, format!("SELECT count(*) FROM users WHERE id = {cy}")).await, 0);
}

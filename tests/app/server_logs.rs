//! What the real binary writes to its log: at every level, no secret that travels in a link
//! (setup, invitation, reset, sign-in, card and calendar links), no credential and no form
//! value, whether the request matched a route or not; at `normal`, one line per request that
//! still tells an operator what happened.

use std::time::Duration;

use crate::real_server::{prepare_data_dir, Binary, Request};

/// Every secret below contains this, so one search finds any of them in the log.
const SECRET: &str = "S3cr3tW0rd";

/// The requests a visitor (or someone probing) might send with secrets in them.
fn walk(port: u16) {
    let links = [
        "/reset/S3cr3tW0rd-reset",
        "/setup/S3cr3tW0rd-setup",
        "/set-password/S3cr3tW0rd-set",
        "/join/S3cr3tW0rd-join",
        "/auth/magic/S3cr3tW0rd-magic",
        "/exchange/access?token=S3cr3tW0rd-exchange",
        "/cards/S3cr3tW0rd-card",
        "/cards/S3cr3tW0rd-card?utm_source=mail",
        "/calendar/S3cr3tW0rd-feed.ics",
        "/api/v1/cards/S3cr3tW0rd-card",
        "/api/v1/auth/invites/S3cr3tW0rd-invite",
        "/reset/S3cr3tW0rd-reset/more",
    ];
    for path in links {
        for method in ["GET", "PATCH", "DELETE"] {
            let _ = Request::new(method, path).html().send(port);
        }
    }
    let form = [("csrf_token", "S3cr3tW0rd-csrf"), ("new_password", "S3cr3tW0rd-password")];
    let _ = Request::new("POST", "/reset/S3cr3tW0rd-reset").html().form(&form).send(port);
    let body = serde_json::json!({"login": "admin", "password": "S3cr3tW0rd-password"});
    let _ = Request::new("POST", "/api/v1/auth/login").json(&body).send(port);
    let _ = Request::new("GET", "/api/v1/auth/session").bearer("S3cr3tW0rd-bearer").send(port);
    let _ = Request::new("GET", "/home")
        .html()
        .header("Cookie", "clubroom_session=S3cr3tW0rd-cookie")
        .send(port);
}

#[test]
fn no_secret_in_a_link_a_credential_or_a_form_reaches_the_log_at_any_level() {
    for level in ["critical", "normal", "debug"] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        prepare_data_dir(&data, &[]);
        let binary = Binary::new(&data, &[("LOG_LEVEL", level)]);
        let server = binary.start_healthy();
        walk(server.port);
        std::thread::sleep(Duration::from_millis(200));
        drop(server);
        let log = binary.log();
        let leaks: Vec<&str> = log.lines().filter(|line| line.contains(SECRET)).collect();
        assert!(leaks.is_empty(), "at {level}, secrets in the log:\n{}", leaks.join("\n"));
        if level == "normal" {
            for line in ["PATCH /calendar/[token] 404", "GET /exchange/access?token=[hidden] "] {
                assert!(log.contains(line), "at normal, a line says `{line}`:\n{log}");
            }
        }
    }
}

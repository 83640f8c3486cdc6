//! Stored password hashes follow the configured Argon2 settings, and a failed sign-in costs the
//! same whether or not the name belongs to an account, also after the settings change.

use std::time::{Duration, Instant};

use clubroom::accounts::model::Role;
use rocket::http::{ContentType, Status};

use crate::support::*;

async fn stored_hash(app: &TestApp, username: &'static str) -> String {
    app.db()
        .read(move |tx| {
            Ok(tx.query_row(
                "SELECT password_hash FROM users WHERE username = ?1",
                [username],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap()
}

async fn logout(app: &TestApp) {
    app.client.post("/api/v1/auth/logout").header(ContentType::JSON).dispatch().await;
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[rocket::async_test]
async fn a_sign_in_stores_the_password_again_when_the_hash_settings_changed() {
    let before = TestApp::spawn_with(|c| {
        c.password_hash_memory_kib = 64;
        c.password_hash_iterations = 2;
    })
    .await;
    before.create_user("bob", &[Role::Member]).await;
    let old = stored_hash(&before, "bob").await;
    let app = before
        .restart_with(|c| {
            c.password_hash_memory_kib = 8;
            c.password_hash_iterations = 1;
        })
        .await;

    let wrong = app.api_login("bob", "wrong password here").await.status();
    let after_wrong = stored_hash(&app, "bob").await;
    let right = app.api_login("bob", PASSWORD).await.status();
    let new = stored_hash(&app, "bob").await;
    logout(&app).await;
    let again = app.api_login("bob", PASSWORD).await.status();
    let after_again = stored_hash(&app, "bob").await;

    assert!(old.contains("$m=64,t=2,p=1$"), "{old}");
    assert_eq!(wrong, Status::Unauthorized);
    assert_eq!(after_wrong, old, "a wrong password changes nothing");
    assert_eq!(right, Status::Ok);
    assert!(new.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "the configured settings: {new}");
    assert_eq!(again, Status::Ok, "the password still works");
    assert_eq!(after_again, new, "a hash made with the current settings is kept");
}

/// 30 wrong-password sign-ins each by `known` and `unknown`, taken in pairs one right after
/// the other (in turns, which first): (the median of the known one's time over the unknown
/// one's in each pair, the median times of each). Load on the machine comes and goes; the two
/// of a pair meet nearly the same, so their ratio shows what the sign-ins cost, where the
/// medians of each alone can land on different moments of a busy machine.
async fn measure(app: &TestApp, known: &str, unknown: &str) -> (f64, Duration, Duration) {
    let mut pairs = Vec::new();
    for round in 0..30 {
        app.advance(chrono::Duration::minutes(16)); // past every allowance for failures
        let order = if round % 2 == 0 { [known, unknown] } else { [unknown, known] };
        let mut took = [Duration::ZERO; 2];
        for login in order {
            let start = Instant::now();
            let status = app.api_login(login, "wrong password here").await.status();
            took[usize::from(login == unknown)] = start.elapsed();
            assert_eq!(status, Status::Unauthorized, "{login}");
        }
        pairs.push(took);
    }
    let ratio = median(pairs.iter().map(|[k, u]| k.as_secs_f64() / u.as_secs_f64()).collect());
    let seconds = |i: usize| {
        Duration::from_secs_f64(median(pairs.iter().map(|p| p[i].as_secs_f64()).collect()))
    };
    (ratio, seconds(0), seconds(1))
}

/// An account whose hash was made with heavier settings than the configured ones, and a name
/// nobody has: their failures cost the same within 20%. A burst of load can still tip one
/// measure, so it may be taken up to three times; a real difference shows every time.
#[rocket::async_test]
async fn after_the_hash_settings_change_an_unknown_name_costs_what_a_known_one_does() {
    let before = TestApp::spawn_with(|c| {
        c.password_hash_memory_kib = 4096;
        c.password_hash_iterations = 4;
    })
    .await;
    before.create_user("bob", &[Role::Member]).await;
    let app = before
        .restart_with(|c| {
            c.password_hash_memory_kib = 8;
            c.password_hash_iterations = 1;
        })
        .await;

    let mut measured = Vec::new();
    for _ in 0..3 {
        let (ratio, known, unknown) = measure(&app, "bob", "nobody").await;
        if (1.0 / 1.2..=1.2).contains(&ratio) {
            return;
        }
        measured.push(format!("known/unknown {ratio:.2} (medians {known:?}, {unknown:?})"));
    }
    panic!("a name without an account answers at another speed: {measured:?}");
}

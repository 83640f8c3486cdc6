//! Email: the outbox, the background worker and real SMTP delivery to a server on loopback.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::Duration;
use clubroom::config::SmtpTls;
use clubroom::email::{deliver_due, Transport};
use clubroom::jobs::Scheduler;
use mailin_embedded::{response, Handler, Response, Server, SslConfig};

use crate::support::*;

/// What the SMTP server received: recipients and raw message.
type Received = (Vec<String>, String);

#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<Received>>>);

#[derive(Clone)]
struct Recorder {
    inbox: Inbox,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Recorder {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = String::from_utf8_lossy(&self.data).to_string();
        self.inbox.0.lock().unwrap().push((self.to.clone(), message));
        response::OK
    }
}

/// Starts a real SMTP server on `listener`; it runs until the test process ends.
fn start_smtp_server(listener: TcpListener) -> Inbox {
    let inbox = Inbox::default();
    let mut server =
        Server::new(Recorder { inbox: inbox.clone(), to: Vec::new(), data: Vec::new() });
    server.with_name("smtp.test").with_ssl(SslConfig::None).unwrap().with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    inbox
}

/// A port this test owns where the "mail server" is down: every connection is accepted and
/// dropped at once. Holding the port means no other test can start a server on it meanwhile.
struct Outage {
    listener: TcpListener,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Outage {
    fn start() -> Outage {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (accepting, flag) = (listener.try_clone().unwrap(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                match accepting.accept() {
                    Ok((connection, _)) => drop(connection),
                    Err(_) => std::thread::sleep(StdDuration::from_millis(5)),
                }
            }
        });
        Outage { listener, stop, thread }
    }

    fn port(&self) -> u16 {
        self.listener.local_addr().unwrap().port()
    }

    /// Ends the outage: the same port now serves a real SMTP server.
    fn recover(self) -> Inbox {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.join().unwrap();
        self.listener.set_nonblocking(false).unwrap();
        start_smtp_server(self.listener)
    }
}

async fn smtp_app(port: u16, adjust: impl FnOnce(&mut clubroom::config::AppConfig)) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut config = test_config(&dir.path().join("data"));
    config.smtp_host = "127.0.0.1".into();
    config.smtp_port = port;
    config.smtp_tls = SmtpTls::None;
    config.smtp_timeout_secs = 5;
    adjust(&mut config);
    let transport = Transport::from_config(&config).unwrap();
    TestApp::start(dir, config, transport).await
}

async fn complete_setup(app: &TestApp) {
    let path = app.setup_path().unwrap();
    assert_eq!(app.submit_setup(&path, "Dog Walkers").await, rocket::http::Status::SeeOther);
}

#[rocket::async_test]
async fn the_worker_delivers_queued_mail_over_smtp() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = start_smtp_server(listener);
    let app = smtp_app(port, |_| {}).await;
    assert_eq!(app.json("/health").await.1["mail"], "smtp");

    complete_setup(&app).await;

    // The setup handler wakes the worker; no test code sends anything.
    let mut received = Vec::new();
    for _ in 0..100 {
        received = inbox.0.lock().unwrap().clone();
        if !received.is_empty() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert_eq!(received.len(), 1, "one email arrived at the SMTP server");
    let (to, message) = &received[0];
    assert_eq!(to, &vec!["ann@example.org".to_string()]);
    assert!(message.contains("Subject: Dog Walkers is ready on Clubroom"), "{message}");
    assert!(message.contains("From: Clubroom <clubroom@localhost>"));
    assert!(message.contains("text/plain") && message.contains("text/html"), "both parts");
    for _ in 0..100 {
        if app.count("SELECT count(*) FROM email_outbox WHERE status = 'sent'").await == 1 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert_eq!(app.count("SELECT count(*) FROM email_outbox WHERE status = 'sent'").await, 1);
}

#[rocket::async_test]
async fn an_smtp_outage_loses_nothing_and_is_retried_with_backoff() {
    let outage = Outage::start();
    let app = smtp_app(outage.port(), |_| {}).await;
    app.client.rocket().state::<Arc<Scheduler>>().unwrap().shutdown().await;
    complete_setup(&app).await;
    let transport = Arc::new(Transport::from_config(&app.config).unwrap());
    let db = app.db();
    let deliver = || deliver_due(&db, transport.clone(), app.ctx());

    let report = deliver().await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 1));
    let (status, attempts, error): (String, i64, String) = app
        .db()
        .read(|tx| {
            Ok(tx.query_row("SELECT status, attempts, last_error FROM email_outbox", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?)
        })
        .await
        .unwrap();
    assert_eq!((status.as_str(), attempts), ("queued", 1));
    assert!(!error.is_empty());

    assert_eq!(deliver().await.unwrap().failed, 0, "not retried before the backoff");

    let inbox = outage.recover();
    app.advance(Duration::seconds(31));
    assert_eq!(deliver().await.unwrap().sent, 1);
    assert_eq!(inbox.0.lock().unwrap().len(), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM email_outbox WHERE status = 'sent' AND attempts = 2").await,
        1
    );
}

#[rocket::async_test]
async fn a_message_is_marked_failed_after_the_last_attempt() {
    let outage = Outage::start();
    let app = smtp_app(outage.port(), |c| c.mail_max_attempts = 2).await;
    app.client.rocket().state::<Arc<Scheduler>>().unwrap().shutdown().await;
    complete_setup(&app).await;
    let transport = Arc::new(Transport::from_config(&app.config).unwrap());
    deliver_due(&app.db(), transport.clone(), app.ctx()).await.unwrap();
    app.advance(Duration::seconds(61));
    deliver_due(&app.db(), transport.clone(), app.ctx()).await.unwrap();
    assert_eq!(app.count("SELECT count(*) FROM email_outbox WHERE status = 'failed'").await, 1);
    app.advance(Duration::hours(2));
    let report = deliver_due(&app.db(), transport, app.ctx()).await.unwrap();
    assert_eq!(report.failed, 0, "failed messages are not retried");
}

#[rocket::async_test]
async fn two_workers_never_send_the_same_message_twice() {
    let app = TestApp::spawn().await;
    app.client.rocket().state::<Arc<Scheduler>>().unwrap().shutdown().await;
    let ctx = app.ctx();
    app.db()
        .write(move |tx| {
            for i in 0..30 {
                let to = format!("m{i}@example.org");
                let data = serde_json::json!({"club_name": "C", "username": "u", "login_url": "x", "admin_url": "y"});
                clubroom::email::queue(tx, &ctx, &to, "welcome_admin", &data)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let transport = Arc::new(Transport::Memory(app.mailbox.clone()));
    let db = app.db();
    let (a, b) = tokio::join!(
        deliver_due(&db, transport.clone(), app.ctx()),
        deliver_due(&db, transport.clone(), app.ctx())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 30);
    let mut to: Vec<String> = app.mailbox.messages().into_iter().map(|m| m.to).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 30);
    assert_eq!(app.mailbox.messages().len(), 30);
}

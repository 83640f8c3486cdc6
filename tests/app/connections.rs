//! How the real binary treats connections that go quiet: a request sent only in part, or a
//! kept-alive connection left idle, is closed after `idle_timeout_secs`, so idle connections
//! cannot pile up; a live socket, whose pings keep it moving, stays open.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::real_server::{connect, prepare_data_dir, token, Binary, Process};

const IDLE_SECS: u64 = 2;

fn server(dir: &tempfile::TempDir) -> (Binary, Process) {
    let data = dir.path().join("data");
    prepare_data_dir(&data, &[]);
    let binary = Binary::new(&data, &[("IDLE_TIMEOUT_SECS", "2"), ("WS_HEARTBEAT_SECS", "1")]);
    let server = binary.start_healthy();
    (binary, server)
}

/// How long the server took to close `stream` after `sent`, or None when it still held it
/// open after twice the idle timeout and more.
fn closed_after(mut stream: std::net::TcpStream, sent: Instant) -> Option<Duration> {
    stream.set_read_timeout(Some(Duration::from_secs(IDLE_SECS * 3))).unwrap();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return Some(sent.elapsed()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None;
            }
            Err(_) => return Some(sent.elapsed()),
        }
    }
}

#[test]
fn a_request_sent_in_part_and_left_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (_binary, server) = server(&dir);
    let mut stream = connect(server.port, None).unwrap();
    stream.write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Ag").unwrap();
    let took = closed_after(stream, Instant::now()).expect("the server closes the connection");
    assert!(took >= Duration::from_millis(IDLE_SECS * 1000 - 200), "not before: {took:?}");
    assert!(took < Duration::from_secs(IDLE_SECS + 2), "closed after {took:?}");

    let mut body = connect(server.port, None).unwrap();
    body.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"login\":",
    )
    .unwrap();
    assert!(closed_after(body, Instant::now()).is_some(), "a body sent in part is cut off too");
}

#[test]
fn a_kept_alive_connection_left_idle_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (_binary, server) = server(&dir);
    let mut stream = connect(server.port, None).unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let answered = Instant::now();
    let took = closed_after(stream, answered).expect("the idle connection is closed");
    assert!(took < Duration::from_secs(IDLE_SECS + 2), "closed after {took:?}");
}

#[rocket::async_test]
async fn a_live_socket_stays_open_past_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (_binary, server) = server(&dir);
    let access = token(server.port, "admin");
    let url = format!("ws://127.0.0.1:{}/api/v1/ws", server.port);
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Authorization", format!("Bearer {access}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("socket opens");
    // Read (and so answer the server's pings, as a browser does) but send nothing ourselves.
    let quiet_until = tokio::time::Instant::now() + Duration::from_secs(IDLE_SECS * 2);
    while let Ok(frame) = tokio::time::timeout_at(quiet_until, socket.next()).await {
        assert!(matches!(frame, Some(Ok(_))), "the socket ended: {frame:?}");
    }
    socket.send(Message::Text(r#"{"type":"ping"}"#.into())).await.unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) if text.contains("pong") => return true,
                Some(Ok(_)) => {}
                _ => return false,
            }
        }
    })
    .await;
    assert_eq!(pong, Ok(true), "the socket is still served");
}

//! The client side of the WebSocket fan-out scenario: thousands of member sockets held open at
//! once, each noting when a marked chat message reaches it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Sockets opened at the same time while connecting.
const CONNECTING_AT_ONCE: usize = 64;
/// How long one socket may take to open and say it is ready.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// The text every fan-out message carries, so a socket can tell them from other events.
pub fn marker(round: usize) -> String {
    format!("bench-fanout-{round}-end")
}

fn round_of(text: &str) -> Option<usize> {
    let rest = &text[text.find("bench-fanout-")? + "bench-fanout-".len()..];
    rest[..rest.find("-end")?].parse().ok()
}

/// Opens one socket per cookie and waits until each has said `ready`.
pub async fn connect_all(addr: SocketAddr, cookies: &[String]) -> Result<Vec<Socket>, String> {
    let opened: Vec<Result<Socket, String>> = futures_util::stream::iter(cookies.iter().cloned())
        .map(|cookie| async move {
            tokio::time::timeout(CONNECT_TIMEOUT, connect(addr, &cookie))
                .await
                .unwrap_or_else(|_| Err("no ready frame in time".into()))
        })
        .buffer_unordered(CONNECTING_AT_ONCE)
        .collect()
        .await;
    opened.into_iter().collect()
}

async fn connect(addr: SocketAddr, cookie: &str) -> Result<Socket, String> {
    let mut request =
        format!("ws://{addr}/api/v1/ws").into_client_request().map_err(|e| e.to_string())?;
    let value = HeaderValue::from_str(cookie).map_err(|e| e.to_string())?;
    request.headers_mut().insert("Cookie", value);
    let (mut socket, _) =
        tokio_tungstenite::connect_async(request).await.map_err(|e| format!("connect: {e}"))?;
    while let Some(frame) = socket.next().await {
        if let Message::Text(text) = frame.map_err(|e| e.to_string())? {
            if text.contains("\"ready\"") {
                return Ok(socket);
            }
        }
    }
    Err("the socket closed before it was ready".into())
}

/// What one broadcast measured.
pub struct Round {
    /// Sockets that received the message before the deadline.
    pub received: usize,
    /// Microseconds from just before the message was posted to each socket's receipt.
    pub latencies_us: Vec<u32>,
}

/// Listens on every socket, then for each round calls `post(round)` (which sends a message
/// carrying `marker(round)` to a group everyone is in) and collects the receipts until every
/// socket has it or `deadline` has passed.
pub async fn fan_out<F, Fut>(
    sockets: Vec<Socket>,
    rounds: usize,
    deadline: Duration,
    post: F,
) -> Result<Vec<Round>, String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let clients = sockets.len();
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Instant)>();
    let listeners: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(Ok(frame)) = socket.next().await {
                    match frame {
                        Message::Text(text) => {
                            if let Some(round) = round_of(&text) {
                                let _ = tx.send((round, Instant::now()));
                            }
                        }
                        Message::Ping(payload) => {
                            let _ = socket.send(Message::Pong(payload)).await;
                        }
                        _ => {}
                    }
                }
            })
        })
        .collect();
    drop(tx);

    let mut results = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let sent = Instant::now();
        post(round).await?;
        let until = sent + deadline;
        let mut latencies_us = Vec::with_capacity(clients);
        while latencies_us.len() < clients {
            let Ok(Some((got, at))) = tokio::time::timeout_at(until.into(), rx.recv()).await else {
                break;
            };
            if got == round {
                let us = at.duration_since(sent).as_micros().min(u128::from(u32::MAX)) as u32;
                latencies_us.push(us);
            }
        }
        results.push(Round { received: latencies_us.len(), latencies_us });
        // Let the sockets go quiet between rounds.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for listener in listeners {
        listener.abort();
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_round_is_read_back_from_the_event_text() {
        let event = format!(r#"{{"type":"message","content":"{}"}}"#, marker(17));
        assert_eq!(round_of(&event), Some(17));
        assert_eq!(round_of(r#"{"type":"ready"}"#), None);
        assert_eq!(round_of("bench-fanout-x-end"), None);
    }
}

//! The WebSocket endpoint: one socket per signed-in tab or client, carrying the user's new chat
//! messages and notices as they are stored.
//!
//! Protocol: `GET /api/v1/ws?last_message_id=&last_notice_id=` with the session cookie or a
//! bearer token. The server first sends `{"type":"ready"}`, then, when the client named the
//! last ids it saw, every stored event it missed since (and `{"type":"resync"}` when there were
//! more than it replays), then live events. The client may send `{"type":"ping"}` (answered with
//! `{"type":"pong"}`); the server pings too and closes a socket that stays silent.

use std::time::Duration;

use rocket::futures::{SinkExt, StreamExt};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::Shutdown;
use rocket_ws::frame::{CloseCode, CloseFrame};
use rocket_ws::{Channel, Message, WebSocket};
use rusqlite::Transaction;
use serde::Serialize;

use super::{Cursor, Dropped, Event, Subscription};
use crate::accounts::model::Credential;
use crate::accounts::sessions::credential_alive;
use crate::ctx::Ctx;
use crate::db::Db;
use crate::error::AppError;
use crate::web::guards::{fail, ActiveMember, App};

pub(crate) fn routes() -> Vec<rocket::Route> {
    rocket::routes![connect]
}

/// Missed events of each kind replayed on reconnect; past that the client reloads history.
const REPLAY_LIMIT: usize = 500;
/// Client frames are tiny (`{"type":"ping"}`); nothing large is accepted.
const MAX_CLIENT_FRAME: usize = 4 * 1024;

/// Refuses a socket opened by a page of another site: browsers send cookies with WebSocket
/// handshakes whatever the origin, so without this check any site could read a signed-in
/// member's messages. Clients that send no `Origin` (scripts, apps) are not browsers and must
/// authenticate with a bearer token or a cookie they hold themselves.
pub(crate) struct SameOrigin;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SameOrigin {
    type Error = AppError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, AppError> {
        let Some(origin) = req.headers().get_one("Origin") else {
            return Outcome::Success(SameOrigin);
        };
        let base = req.rocket().state::<Ctx>().map(|ctx| ctx.config.base_url.clone());
        let host = req.headers().get_one("Host");
        if same_origin(origin, host, base.as_deref()) {
            Outcome::Success(SameOrigin)
        } else {
            fail(
                req,
                AppError::forbidden("This socket may only be opened from Clubroom's own pages.")
                    .with_code("cross_origin"),
            )
        }
    }
}

/// `origin` (scheme://host[:port]) names the host the request was sent to, or the configured
/// base URL's origin.
fn same_origin(origin: &str, host: Option<&str>, base_url: Option<&str>) -> bool {
    let Some((_, origin_host)) = origin.split_once("://") else { return false };
    let origin_host = origin_host.trim_end_matches('/');
    if host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host)) {
        return true;
    }
    base_url.is_some_and(|base| base.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// Where a reconnecting client left off.
#[derive(Debug, Clone, Copy, Default)]
struct Resume {
    last_message_id: Option<i64>,
    last_notice_id: Option<i64>,
}

fn parse_cursor(field: &str, value: Option<&str>) -> Result<Option<i64>, AppError> {
    match value {
        None | Some("") => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Some(n)),
            _ => Err(AppError::invalid_field(field, "Must be a message id (a whole number).")),
        },
    }
}

#[derive(Serialize)]
struct Ready {
    user_id: i64,
    /// Stored events replayed after this frame.
    replayed: usize,
}

/// `GET /api/v1/ws`: opens the user's socket. 401 without credentials, 403 for members still
/// joining or a page of another site, 400 when the request is not a WebSocket handshake,
/// 422 for a malformed resume id.
#[rocket::get("/ws?<last_message_id>&<last_notice_id>")]
async fn connect(
    user: ActiveMember,
    _origin: SameOrigin,
    app: App,
    ws: Option<WebSocket>,
    shutdown: Shutdown,
    last_message_id: Option<&str>,
    last_notice_id: Option<&str>,
) -> Result<Channel<'static>, AppError> {
    let Some(ws) = ws else {
        return Err(AppError::bad_request(
            "This address speaks WebSocket: open it with a WebSocket client.",
        )
        .with_code("websocket_required"));
    };
    let resume = Resume {
        last_message_id: parse_cursor("last_message_id", last_message_id)?,
        last_notice_id: parse_cursor("last_notice_id", last_notice_id)?,
    };
    let user_id = user.0.user_id;
    // Subscribe before reading what was missed, so nothing stored in between is lost; the
    // overlap is skipped by id.
    let subscription = app.hub().subscribe_as(user_id, user.0.credential.sign_in());
    let backlog = app.read(move |tx, _| backlog(tx, user_id, resume)).await?;
    let socket = Socket {
        subscription,
        credential: user.0.credential.clone(),
        db: app.db.clone(),
        ctx: app.ctx.clone(),
        seen_message: resume.last_message_id.unwrap_or(0),
        seen_notice: resume.last_notice_id.unwrap_or(0),
    };
    let ws = ws.config(rocket_ws::Config {
        max_message_size: Some(MAX_CLIENT_FRAME),
        max_frame_size: Some(MAX_CLIENT_FRAME),
        ..Default::default()
    });
    Ok(ws.channel(move |stream| Box::pin(socket.run(stream, backlog, shutdown))))
}

/// What the user missed since `resume`, oldest first, each kind capped at `REPLAY_LIMIT`.
/// Returns the events and whether any kind hit the cap.
fn backlog(tx: &Transaction, user_id: i64, resume: Resume) -> Result<(Vec<Event>, bool), AppError> {
    let mut events = Vec::new();
    let mut truncated = false;
    if let Some(after) = resume.last_message_id {
        let missed = crate::chat::service::missed(tx, user_id, after, REPLAY_LIMIT)?;
        truncated |= missed.len() >= REPLAY_LIMIT;
        events.extend(missed);
    }
    if let Some(after) = resume.last_notice_id {
        let missed = crate::notices::service::missed(tx, user_id, after, REPLAY_LIMIT)?;
        truncated |= missed.len() >= REPLAY_LIMIT;
        events.extend(missed);
    }
    Ok((events, truncated))
}

/// One open socket's state.
struct Socket {
    subscription: Subscription,
    credential: Credential,
    db: Db,
    ctx: Ctx,
    /// The newest message and notice ids this client has, to skip live events it already got.
    seen_message: i64,
    seen_notice: i64,
}

/// Why the server ends a socket, and what it tells the client.
enum Ending {
    /// The client closed or vanished: nothing to send.
    ClientGone,
    Close(CloseCode, &'static str),
}

impl Socket {
    async fn run(
        mut self,
        mut stream: rocket_ws::stream::DuplexStream,
        (backlog, truncated): (Vec<Event>, bool),
        shutdown: Shutdown,
    ) -> rocket_ws::result::Result<()> {
        let ending = match self.serve(&mut stream, backlog, truncated, shutdown).await {
            Ok(ending) => ending,
            Err(_) => Ending::ClientGone,
        };
        if let Ending::Close(code, reason) = ending {
            let frame = CloseFrame { code, reason: reason.into() };
            let _ = stream.send(Message::Close(Some(frame))).await;
            // Give the client a moment to answer the close, then drop the connection.
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while let Some(Ok(_)) = stream.next().await {}
            })
            .await;
        }
        Ok(())
    }

    async fn serve(
        &mut self,
        stream: &mut rocket_ws::stream::DuplexStream,
        backlog: Vec<Event>,
        truncated: bool,
        shutdown: Shutdown,
    ) -> rocket_ws::result::Result<Ending> {
        let ready = Ready { user_id: self.subscription.user_id, replayed: backlog.len() };
        stream.send(text(&Event::new("ready", Cursor::None, &ready))).await?;
        for event in backlog {
            self.deliver(stream, event).await?;
        }
        if truncated {
            stream.send(text(&Event::new("resync", Cursor::None, &serde_json::json!({})))).await?;
        }

        tokio::pin!(shutdown);
        // The server pings and re-checks access each heartbeat; a client silent for nearly
        // three of them (no pong, no frame) is gone.
        let beat = Duration::from_secs(self.ctx.config.ws_heartbeat_secs);
        let silence_limit = beat * 5 / 2;
        let mut heartbeat = tokio::time::interval(beat);
        heartbeat.tick().await;
        let mut last_heard = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = &mut shutdown => {
                    return Ok(Ending::Close(CloseCode::Away, "The server is restarting."));
                }
                event = self.subscription.next() => match event {
                    Ok(event) => self.deliver(stream, event).await?,
                    Err(Dropped::Lagging) => {
                        return Ok(Ending::Close(CloseCode::Again, "Too far behind: reconnect."));
                    }
                    Err(_) => return Ok(Ending::Close(CloseCode::Policy, "Signed out.")),
                },
                frame = stream.next() => {
                    last_heard = tokio::time::Instant::now();
                    match frame {
                        None | Some(Err(_) | Ok(Message::Close(_))) => {
                            return Ok(Ending::ClientGone);
                        }
                        Some(Ok(Message::Text(body))) if is_ping(&body) => {
                            stream.send(text(&Event::new("pong", Cursor::None, &serde_json::json!({})))).await?;
                        }
                        Some(Ok(_)) => {}
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > silence_limit {
                        return Ok(Ending::Close(CloseCode::Away, "No answer to pings."));
                    }
                    if !self.still_allowed().await {
                        return Ok(Ending::Close(CloseCode::Policy, "Signed out."));
                    }
                    stream.send(Message::Ping(Vec::new())).await?;
                }
            }
        }
    }

    /// Sends `event` unless the client already has it (replayed and live overlap by id).
    async fn deliver(
        &mut self,
        stream: &mut rocket_ws::stream::DuplexStream,
        event: Event,
    ) -> rocket_ws::result::Result<()> {
        match event.cursor {
            Cursor::Message(id) if id <= self.seen_message => return Ok(()),
            Cursor::Notice(id) if id <= self.seen_notice => return Ok(()),
            Cursor::Message(id) => self.seen_message = id,
            Cursor::Notice(id) => self.seen_notice = id,
            Cursor::None => {}
        }
        stream.send(text(&event)).await
    }

    /// Whether the credential the socket was opened with still grants the member area. A
    /// database error keeps the socket (the next heartbeat asks again).
    async fn still_allowed(&self) -> bool {
        let (ctx, credential) = (self.ctx.clone(), self.credential.clone());
        match self.db.call(move |conn| credential_alive(conn, &ctx, &credential)).await {
            Ok(alive) => alive,
            Err(err) => {
                log::warn!("could not re-check a socket's access: {err}");
                true
            }
        }
    }
}

fn text(event: &Event) -> Message {
    Message::Text(event.payload().to_string())
}

fn is_ping(body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body)
        .is_ok_and(|v| v.get("type").and_then(|t| t.as_str()) == Some("ping"))
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn an_origin_matches_the_host_it_was_sent_to_or_the_base_url() {
        assert!(same_origin("http://club.example:8000", Some("club.example:8000"), None));
        assert!(same_origin("https://Club.Example", Some("club.example"), None));
        assert!(same_origin(
            "https://club.example",
            Some("10.0.0.2:8000"),
            Some("https://club.example/")
        ));
        assert!(!same_origin(
            "https://evil.example",
            Some("club.example"),
            Some("https://club.example")
        ));
        assert!(!same_origin("null", Some("club.example"), None));
        assert!(!same_origin("https://club.example.evil.example", Some("club.example"), None));
    }
}

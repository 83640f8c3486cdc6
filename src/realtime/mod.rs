//! Real-time delivery: the hub that hands stored events (chat messages, notices) to each
//! connected user's sockets. Services compute who gets what inside the transaction that stored
//! it and record the `Broadcast`s on it (`db::Tx::publish`); the database bridge hands them to
//! the hub once that transaction has committed, so nothing is ever delivered that was not saved.

pub(crate) mod api;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::accounts::model::SignIn;

/// Where an event sits in a stream a reconnecting client can resume from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// A conversation message id (global, increasing).
    Message(i64),
    /// A notice copy id (the id the member sees, increasing).
    Notice(i64),
    /// Not resumable: a change notification the client reacts to by reloading.
    None,
}

/// One event, serialised once and shared by every socket it goes to.
#[derive(Debug, Clone)]
pub struct Event {
    pub cursor: Cursor,
    payload: Arc<str>,
}

impl Event {
    /// `{"type": kind, ...fields of data}`. `data` must serialise to an object.
    pub(crate) fn new<T: Serialize>(kind: &str, cursor: Cursor, data: &T) -> Event {
        let mut fields = match serde_json::to_value(data) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(other) => {
                let mut map = serde_json::Map::new();
                map.insert("data".into(), other);
                map
            }
            Err(err) => {
                log::error!("could not serialise a {kind} event: {err}");
                serde_json::Map::new()
            }
        };
        fields.insert("type".into(), serde_json::Value::String(kind.to_string()));
        let payload = serde_json::Value::Object(fields).to_string();
        Event { cursor, payload: payload.into() }
    }

    /// The JSON text sent to the client.
    pub fn payload(&self) -> &str {
        &self.payload
    }
}

/// An event and the users who receive it.
#[derive(Debug, Clone)]
pub(crate) struct Broadcast {
    pub users: Vec<i64>,
    pub event: Event,
}

impl Broadcast {
    pub(crate) fn new(users: Vec<i64>, event: Event) -> Broadcast {
        Broadcast { users, event }
    }
}

/// Why the hub let go of a socket; the socket tells its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Still subscribed.
    No = 0,
    /// The client could not keep up: it should reconnect and resume from its last id.
    Lagging = 1,
    /// The user's access ended (disabled, signed out everywhere).
    AccessEnded = 2,
}

struct Socket {
    id: u64,
    /// What it was opened with; None for sockets of the process itself (tests).
    sign_in: Option<SignIn>,
    tx: mpsc::Sender<Event>,
    dropped: Arc<AtomicU8>,
}

/// Which of a user's sockets to close when sign-ins end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Closing {
    /// Every one (the account was disabled, deleted or signed out everywhere).
    All,
    /// Those opened with this sign-in (it was logged out or revoked).
    Only(SignIn),
    /// All but those opened with this sign-in (every other one ended, as on a password change).
    AllBut(SignIn),
}

impl Closing {
    fn closes(&self, socket: &Socket) -> bool {
        match self {
            Closing::All => true,
            Closing::Only(ended) => socket.sign_in.as_ref() == Some(ended),
            Closing::AllBut(kept) => socket.sign_in.as_ref() != Some(kept),
        }
    }
}

#[derive(Default)]
struct Sockets {
    next_id: u64,
    by_user: HashMap<i64, Vec<Socket>>,
}

/// Every open socket, by user. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct Hub {
    sockets: Arc<Mutex<Sockets>>,
}

impl Hub {
    /// Events a socket may have waiting before it counts as lagging. A client that falls this
    /// far behind is dropped rather than buffered without bound; it resumes on reconnect.
    pub(crate) const QUEUE: usize = 256;

    fn lock(&self) -> std::sync::MutexGuard<'_, Sockets> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a socket for `user_id`; it receives every event published to that user until
    /// the subscription is dropped or the user's access ends.
    pub fn subscribe(&self, user_id: i64) -> Subscription {
        self.register(user_id, None)
    }

    /// Registers the socket of a client signed in with `sign_in`, which also closes when that
    /// sign-in ends.
    pub(crate) fn subscribe_as(&self, user_id: i64, sign_in: SignIn) -> Subscription {
        self.register(user_id, Some(sign_in))
    }

    fn register(&self, user_id: i64, sign_in: Option<SignIn>) -> Subscription {
        let (tx, rx) = mpsc::channel(Self::QUEUE);
        let dropped = Arc::new(AtomicU8::new(Dropped::No as u8));
        let mut sockets = self.lock();
        sockets.next_id += 1;
        let id = sockets.next_id;
        sockets.by_user.entry(user_id).or_default().push(Socket {
            id,
            sign_in,
            tx,
            dropped: dropped.clone(),
        });
        Subscription { id, user_id, rx, dropped, hub: self.clone() }
    }

    /// Hands `broadcast.event` to every socket of its users. Never waits: a socket whose queue
    /// is full is let go (marked lagging) instead.
    pub(crate) fn publish(&self, broadcast: &Broadcast) {
        let mut sockets = self.lock();
        for user in &broadcast.users {
            let Some(list) = sockets.by_user.get_mut(user) else { continue };
            list.retain(|socket| match socket.tx.try_send(broadcast.event.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    socket.dropped.store(Dropped::Lagging as u8, Ordering::SeqCst);
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
            if list.is_empty() {
                sockets.by_user.remove(user);
            }
        }
    }

    /// Closes at once the sockets of `user_id` that `closing` names: their access ended.
    pub(crate) fn disconnect(&self, user_id: i64, closing: &Closing) {
        let mut sockets = self.lock();
        let Some(list) = sockets.by_user.get_mut(&user_id) else { return };
        // Dropping a socket's sender ends its subscription, which then reads `dropped`.
        list.retain(|socket| {
            let closes = closing.closes(socket);
            if closes {
                socket.dropped.store(Dropped::AccessEnded as u8, Ordering::SeqCst);
            }
            !closes
        });
        if list.is_empty() {
            sockets.by_user.remove(&user_id);
        }
    }

    /// Open sockets, all users together.
    pub fn connections(&self) -> usize {
        self.lock().by_user.values().map(Vec::len).sum()
    }

    fn unsubscribe(&self, user_id: i64, id: u64) {
        let mut sockets = self.lock();
        if let Some(list) = sockets.by_user.get_mut(&user_id) {
            list.retain(|socket| socket.id != id);
            if list.is_empty() {
                sockets.by_user.remove(&user_id);
            }
        }
    }
}

/// One socket's end of the hub. Dropping it unregisters the socket.
pub struct Subscription {
    id: u64,
    pub user_id: i64,
    rx: mpsc::Receiver<Event>,
    dropped: Arc<AtomicU8>,
    hub: Hub,
}

impl Subscription {
    /// The next event; `Err` with the reason once the hub has let go of this socket.
    pub async fn next(&mut self) -> Result<Event, Dropped> {
        match self.rx.recv().await {
            Some(event) => Ok(event),
            None => Err(match self.dropped.load(Ordering::SeqCst) {
                1 => Dropped::Lagging,
                _ => Dropped::AccessEnded,
            }),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unsubscribe(self.user_id, self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: i64) -> Event {
        Event::new("message", Cursor::Message(n), &serde_json::json!({ "id": n }))
    }

    #[tokio::test]
    async fn events_reach_only_the_users_they_name() {
        let hub = Hub::default();
        let mut ann = hub.subscribe(1);
        let mut ann_phone = hub.subscribe(1);
        let mut bob = hub.subscribe(2);
        hub.publish(&Broadcast::new(vec![1], event(7)));
        assert_eq!(ann.next().await.unwrap().cursor, Cursor::Message(7));
        assert_eq!(ann_phone.next().await.unwrap().payload(), r#"{"id":7,"type":"message"}"#);
        hub.publish(&Broadcast::new(vec![2], event(8)));
        assert_eq!(bob.next().await.unwrap().cursor, Cursor::Message(8));
        assert_eq!(hub.connections(), 3);
    }

    #[tokio::test]
    async fn dropping_a_subscription_unregisters_its_socket() {
        let hub = Hub::default();
        let first = hub.subscribe(1);
        let _second = hub.subscribe(1);
        drop(first);
        assert_eq!(hub.connections(), 1);
    }

    #[tokio::test]
    async fn a_socket_that_falls_behind_is_let_go_as_lagging() {
        let hub = Hub::default();
        let mut slow = hub.subscribe(1);
        for n in 0..=Hub::QUEUE as i64 {
            hub.publish(&Broadcast::new(vec![1], event(n)));
        }
        assert_eq!(hub.connections(), 0);
        for _ in 0..Hub::QUEUE {
            assert!(slow.next().await.is_ok());
        }
        assert_eq!(slow.next().await.unwrap_err(), Dropped::Lagging);
    }

    #[tokio::test]
    async fn disconnecting_a_user_ends_every_socket_of_theirs() {
        let hub = Hub::default();
        let mut ann = hub.subscribe(1);
        let mut bob = hub.subscribe(2);
        hub.disconnect(1, &Closing::All);
        assert_eq!(ann.next().await.unwrap_err(), Dropped::AccessEnded);
        hub.publish(&Broadcast::new(vec![1, 2], event(1)));
        assert!(bob.next().await.is_ok());
    }

    #[tokio::test]
    async fn ending_a_sign_in_closes_exactly_the_sockets_opened_with_it() {
        let hub = Hub::default();
        let mut laptop = hub.subscribe_as(1, SignIn::Session(10));
        let mut phone = hub.subscribe_as(1, SignIn::Session(11));
        let mut app = hub.subscribe_as(1, SignIn::Tokens("f1".into()));
        let mut same_session_of_bob = hub.subscribe_as(2, SignIn::Session(10));
        hub.disconnect(1, &Closing::Only(SignIn::Session(10)));
        assert_eq!(laptop.next().await.unwrap_err(), Dropped::AccessEnded);
        assert_eq!(hub.connections(), 3);
        hub.disconnect(1, &Closing::AllBut(SignIn::Tokens("f1".into())));
        assert_eq!(phone.next().await.unwrap_err(), Dropped::AccessEnded);
        hub.publish(&Broadcast::new(vec![1, 2], event(1)));
        assert!(app.next().await.is_ok());
        assert!(same_session_of_bob.next().await.is_ok(), "another user's socket is untouched");
    }
}

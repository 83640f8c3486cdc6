//! The front door of `clubroom serve`: the listening socket, and a relay to Rocket that closes
//! idle connections.
//!
//! Rocket 0.5 serves each connection it accepts for as long as the client keeps it open: its
//! HTTP/1 server switches hyper's header-read timeout off, it has no read or write timeout of
//! its own (`keep_alive` only turns keep-alive on or off), and it cannot be handed a listener.
//! So a client could send half a request, or nothing after one, and hold a connection and a task
//! forever; enough of them exhaust the process's file descriptors. Clubroom therefore listens on
//! the configured address itself, relays each connection byte for byte to Rocket on a loopback
//! port, and closes one on which nothing moves either way for `idle_timeout_secs`. A live
//! WebSocket is never idle that long: the server pings it more often.
//!
//! Rocket sees each relayed connection come from loopback; `ClientAddresses` gives the request
//! the address of the client it relays for, before any guard reads it.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Shutdown};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// The client behind each relayed connection, by the local port of the relay's connection to
/// Rocket (which is the remote port Rocket sees).
#[derive(Clone, Default)]
pub(crate) struct Peers(Arc<Mutex<HashMap<u16, SocketAddr>>>);

impl Peers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u16, SocketAddr>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, port: u16) -> Option<SocketAddr> {
        self.lock().get(&port).copied()
    }
}

/// An entry of `Peers`, removed when the relay ends.
struct Relayed {
    peers: Peers,
    port: u16,
    client: SocketAddr,
}

impl Relayed {
    fn new(peers: &Peers, port: u16, client: SocketAddr) -> Relayed {
        peers.lock().insert(port, client);
        Relayed { peers: peers.clone(), port, client }
    }
}

impl Drop for Relayed {
    fn drop(&mut self) {
        let mut peers = self.peers.lock();
        // The port may already serve a newer connection.
        if peers.get(&self.port) == Some(&self.client) {
            peers.remove(&self.port);
        }
    }
}

/// The listening socket, bound before Rocket starts (so a taken port stops start-up at once).
pub(crate) struct Front {
    listener: TcpListener,
    idle: Duration,
    peers: Peers,
}

impl Front {
    /// Listens on `address:port`; relayed connections are closed after `idle` without traffic.
    pub(crate) async fn bind(address: IpAddr, port: u16, idle: Duration) -> io::Result<Front> {
        let listener = TcpListener::bind((address, port)).await?;
        Ok(Front { listener, idle, peers: Peers::default() })
    }

    pub(crate) fn peers(&self) -> Peers {
        self.peers.clone()
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Relays every connection to Rocket at `upstream` until `shutdown` (after which Rocket
    /// finishes what it has and nothing new is accepted).
    pub(crate) async fn run(self, upstream: SocketAddr, shutdown: Shutdown) {
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                _ = &mut shutdown => return,
                accepted = self.listener.accept() => accepted,
            };
            match accepted {
                Ok((client, address)) => {
                    let (peers, idle) = (self.peers.clone(), self.idle);
                    tokio::spawn(async move {
                        if let Err(err) = relay(client, address, upstream, &peers, idle).await {
                            log::warn!("could not relay a connection: {err}");
                        }
                    });
                }
                // Out of file descriptors, say: wait a moment rather than spin.
                Err(err) => {
                    log::warn!("could not accept a connection: {err}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// Copies `client` to Rocket and back until either side closes, or nothing has moved either
/// way for `idle`.
async fn relay(
    client: TcpStream,
    address: SocketAddr,
    upstream: SocketAddr,
    peers: &Peers,
    idle: Duration,
) -> io::Result<()> {
    let server = TcpStream::connect(upstream).await?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let _relayed = Relayed::new(peers, server.local_addr()?.port(), address);
    let started = Instant::now();
    let moved = AtomicU64::new(0);
    let mut client = Watched { io: client, moved: &moved, started };
    let mut server = Watched { io: server, moved: &moved, started };
    tokio::select! {
        // A reset or refused connection is the client's or the server's business, not a fault.
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        () = until_idle(&moved, started, idle) => {}
    }
    Ok(())
}

/// Resolves once nothing has moved for `idle` (`moved`: milliseconds after `started` of the
/// last read).
async fn until_idle(moved: &AtomicU64, started: Instant, idle: Duration) {
    loop {
        let last = started + Duration::from_millis(moved.load(Ordering::Relaxed));
        let deadline = last + idle;
        if Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep_until(deadline).await;
    }
}

/// A socket that notes when it last read something.
struct Watched<'a> {
    io: TcpStream,
    moved: &'a AtomicU64,
    started: Instant,
}

impl AsyncRead for Watched<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let at = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.moved.store(at, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for Watched<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Gives each request the address of the client the front relays it for (canonical, so an
/// IPv4 client on a dual-stack listener is `a.b.c.d`). Requests that did not come through the
/// front keep the address they came from.
pub(crate) struct ClientAddresses(pub Peers);

#[rocket::async_trait]
impl Fairing for ClientAddresses {
    fn info(&self) -> Info {
        Info { name: "Client addresses", kind: Kind::Request }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let relayed =
            req.remote().filter(|r| r.ip().is_loopback()).and_then(|r| self.0.get(r.port()));
        if let Some(client) = relayed {
            req.set_remote(SocketAddr::new(client.ip().to_canonical(), client.port()));
        }
    }
}

//! The load client: a fixed number of keep-alive HTTP/1.1 connections, each sending its next
//! request as soon as the previous answer is read, for a fixed time. Latencies are kept whole
//! (one u32 of microseconds per request) so percentiles are exact, not bucketed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, COOKIE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;

/// One request as a scenario describes it; the client adds the Host header.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Call {
    pub fn get(path: &str) -> Call {
        Call {
            method: Method::GET,
            path: path.to_string(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// A POST of `body` as JSON.
    pub fn post_json(path: &str, body: String) -> Call {
        Call {
            method: Method::POST,
            path: path.to_string(),
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body: Bytes::from(body),
        }
    }

    /// The same call sent with a `Cookie` header (a member's session).
    pub fn cookie(mut self, cookie: &HeaderValue) -> Call {
        self.headers.push((COOKIE, cookie.clone()));
        self
    }
}

/// Builds the call a connection sends next from (connection index, request number on it), so
/// a scenario can give each connection its own session or vary what it asks for.
pub type CallFn = Arc<dyn Fn(usize, u64) -> Call + Send + Sync>;

#[derive(Clone, Copy, Debug)]
pub struct LoadSpec {
    pub connections: usize,
    /// Requests before this much time has passed are sent but not counted (connection set-up,
    /// caches, the allocator growing).
    pub warmup: Duration,
    pub duration: Duration,
    /// When set, each connection starts one request per this interval (a steady rate)
    /// instead of sending the next as soon as an answer arrives.
    pub pace: Option<Duration>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LoadResult {
    pub connections: usize,
    pub duration_secs: f64,
    /// Answers with a 2xx status inside the measured window.
    pub ok: u64,
    /// Non-2xx answers, broken connections and failed connects inside the measured window.
    pub errors: u64,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Answers inside the measured window by HTTP status; 0 counts broken connections.
    pub statuses: BTreeMap<u16, u64>,
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    statuses: BTreeMap<u16, u64>,
}

/// Runs the load and returns what was measured after the warm-up.
pub async fn run(addr: SocketAddr, spec: LoadSpec, calls: CallFn) -> LoadResult {
    let start = Instant::now();
    let measure_from = start + spec.warmup;
    let end = measure_from + spec.duration;
    let tasks: Vec<_> = (0..spec.connections)
        .map(|conn| {
            let window = Window { measure_from, end, pace: spec.pace };
            tokio::spawn(connection(addr, conn, window, calls.clone()))
        })
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let tally = task.await.unwrap_or_else(|_| Tally { errors: 1, ..Tally::default() });
        all.latencies_us.extend(tally.latencies_us);
        all.errors += tally.errors;
        for (status, n) in tally.statuses {
            *all.statuses.entry(status).or_default() += n;
        }
    }
    let measured = end.saturating_duration_since(measure_from).as_secs_f64();
    summarise(spec.connections, measured, all)
}

fn summarise(connections: usize, secs: f64, tally: Tally) -> LoadResult {
    let Tally { latencies_us: mut latencies, errors, statuses } = tally;
    latencies.sort_unstable();
    LoadResult {
        statuses,
        connections,
        duration_secs: secs,
        ok: latencies.len() as u64,
        errors,
        requests_per_sec: if secs > 0.0 { latencies.len() as f64 / secs } else { 0.0 },
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        max_ms: latencies.last().map_or(0.0, |&us| f64::from(us) / 1000.0),
    }
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
pub fn percentile(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted_us.len() as f64).ceil() as usize).clamp(1, sorted_us.len());
    f64::from(sorted_us[rank - 1]) / 1000.0
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Option<Sender> {
    let stream = TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.ok()?;
    tokio::spawn(conn);
    Some(sender)
}

/// Sends one call on a connection of its own; the status and body.
pub async fn send_once(addr: SocketAddr, call: Call) -> Result<(u16, Bytes), String> {
    let mut sender = connect(addr).await.ok_or_else(|| format!("could not connect to {addr}"))?;
    let mut request = Request::builder().method(call.method).uri(call.path);
    for (name, value) in call.headers {
        request = request.header(name, value);
    }
    let request = request
        .header(HOST, addr.to_string())
        .body(Full::new(call.body))
        .map_err(|e| e.to_string())?;
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, body))
}

#[derive(Clone, Copy)]
struct Window {
    measure_from: Instant,
    end: Instant,
    pace: Option<Duration>,
}

async fn connection(addr: SocketAddr, index: usize, window: Window, calls: CallFn) -> Tally {
    let Window { measure_from, end, pace } = window;
    // Paced connections start spread over one interval, not all at once.
    let mut next_start =
        Instant::now() + pace.map_or(Duration::ZERO, |p| p / 64 * (index % 64) as u32);
    let mut tally = Tally::default();
    let host = HeaderValue::from_str(&addr.to_string()).expect("an address is a valid header");
    let mut sender: Option<Sender> = None;
    let mut seq = 0u64;
    while Instant::now() < end {
        if sender.is_none() {
            sender = connect(addr).await;
            if sender.is_none() {
                if Instant::now() >= measure_from {
                    tally.errors += 1;
                }
                // A refused connect returns at once; do not spin on it.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        }
        if let Some(pace) = pace {
            tokio::time::sleep_until(next_start.into()).await;
            next_start += pace;
            if Instant::now() >= end {
                break;
            }
        }
        let call = calls(index, seq);
        seq += 1;
        let mut request = Request::builder().method(call.method).uri(call.path);
        for (name, value) in call.headers {
            request = request.header(name, value);
        }
        let request = request
            .header(HOST, host.clone())
            .body(Full::new(call.body))
            .expect("a scenario builds valid requests");
        let sent = Instant::now();
        let outcome = match sender.as_mut() {
            Some(s) => match s.send_request(request).await {
                Ok(response) => {
                    let status = response.status();
                    match response.into_body().collect().await {
                        Ok(_) => Ok(status.as_u16()),
                        Err(_) => Err(()),
                    }
                }
                Err(_) => Err(()),
            },
            None => Err(()),
        };
        let done = Instant::now();
        if sent < measure_from || done > end {
            if outcome.is_err() {
                sender = None;
            }
            continue;
        }
        *tally.statuses.entry(*outcome.as_ref().unwrap_or(&0)).or_default() += 1;
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                let us = done.duration_since(sent).as_micros().min(u128::from(u32::MAX)) as u32;
                tally.latencies_us.push(us);
            }
            Ok(_) => tally.errors += 1,
            Err(()) => {
                tally.errors += 1;
                sender = None;
            }
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile(&sorted, 0.50), 50.0);
        assert_eq!(percentile(&sorted, 0.99), 99.0);
        assert_eq!(percentile(&sorted, 1.0), 100.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn throughput_counts_only_successful_answers() {
        let tally = Tally {
            latencies_us: vec![3000, 1000, 2000, 4000],
            errors: 7,
            statuses: BTreeMap::from([(200, 4), (401, 7)]),
        };
        let result = summarise(4, 2.0, tally);
        assert_eq!(result.statuses[&401], 7);
        assert_eq!(result.ok, 4);
        assert_eq!(result.errors, 7);
        assert_eq!(result.requests_per_sec, 2.0);
        assert_eq!(result.p50_ms, 2.0);
        assert_eq!(result.max_ms, 4.0);
    }
}

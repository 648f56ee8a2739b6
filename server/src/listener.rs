//! Accepting connections with limits, so that slow or silent clients cannot
//! hold the server.
//!
//! `axum::serve` keeps every connection for as long as its client likes: a
//! connection that never sends a byte, or stops halfway through a request,
//! stays open forever, and enough of them exhaust the process's file
//! descriptors. This loop serves the same router with:
//!
//! - a header-read timeout ([`Limits::header_read`], about 10 s): the request
//!   line and headers must arrive within it, on a new connection and between
//!   two requests of a kept-alive one (hyper's own timer);
//! - a body timeout ([`Limits::body_idle`]): a request body that sends nothing
//!   for that long fails (tower-http's `TimeoutBody`, between frames, so a
//!   large upload that keeps moving is never cut);
//! - an idle timeout ([`Limits::idle`], about 60 s): a connection on which no
//!   byte moved either way for that long, while no handler works for it, is
//!   closed. The live event stream sends a keep-alive comment every 15 s and
//!   so never looks idle;
//! - a connection limit ([`Limits::max_connections`]): when it is reached, the
//!   connection that has been quiet the longest (preferring one no handler
//!   works for) is closed to make room, so a flood of silent connections
//!   never locks out a new client, and the descriptors never run out.
//!
//! Each request carries the peer's address (`ConnectInfo<SocketAddr>`).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

/// How long shutting down waits for the open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The limits a connection is served under.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_read: Duration,
    pub body_idle: Duration,
    pub idle: Duration,
    pub max_connections: usize,
}

/// The most connections by default: well below the 20,000 file descriptors
/// a process commonly gets, leaving room for the database, blobs and uploads.
pub const MAX_CONNECTIONS: usize = 4096;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            body_idle: Duration::from_secs(60),
            idle: Duration::from_secs(60),
            max_connections: MAX_CONNECTIONS,
        }
    }
}

/// What the loop knows of one connection.
struct Connection {
    /// Milliseconds since the loop started when a byte last moved.
    last_activity: AtomicU64,
    /// Requests whose handler has not answered yet.
    in_flight: AtomicUsize,
    /// Closes the connection when the loop needs its place.
    evict: Notify,
    /// Set once it was told to close, so that it is not chosen twice.
    evicted: AtomicBool,
    /// Its place in the order of arrival: the older goes first among equals.
    id: u64,
}

struct Registry {
    started: Instant,
    connections: Mutex<HashMap<u64, Arc<Connection>>>,
}

impl Registry {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn len(&self) -> usize {
        self.connections.lock().map_or(0, |c| c.len())
    }

    /// The connections not told to close yet.
    fn staying(&self) -> usize {
        self.connections.lock().map_or(0, |c| {
            c.values()
                .filter(|c| !c.evicted.load(Ordering::Relaxed))
                .count()
        })
    }

    /// Closes the connection quiet the longest, one no handler works for if
    /// there is one.
    fn evict_quietest(&self) {
        let Ok(connections) = self.connections.lock() else {
            return;
        };
        let quietest = connections
            .values()
            .filter(|c| !c.evicted.load(Ordering::Relaxed))
            .min_by_key(|c| {
                (
                    c.in_flight.load(Ordering::Relaxed) > 0,
                    c.last_activity.load(Ordering::Relaxed),
                    c.id,
                )
            })
            .cloned();
        drop(connections);
        if let Some(connection) = quietest {
            connection.evicted.store(true, Ordering::Relaxed);
            connection.evict.notify_one();
        }
    }
}

/// A socket that notes when a byte moves.
struct Watched {
    socket: TcpStream,
    connection: Arc<Connection>,
    registry: Arc<Registry>,
}

impl Watched {
    fn touch(&self) {
        self.connection
            .last_activity
            .store(self.registry.now_ms(), Ordering::Relaxed);
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.socket).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.socket).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.socket).poll_write_vectored(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.socket.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` under `limits` until `shutdown` completes,
/// then lets the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> io::Result<()> {
    let registry = Arc::new(Registry {
        started: Instant::now(),
        connections: Mutex::new(HashMap::new()),
    });
    let (stopping, stop) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut next_id: u64 = 0;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (socket, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors, or a connection that failed while being
                // accepted: wait a moment, the loop goes on.
                if !matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                ) {
                    tracing::warn!(%error, "accepting a connection failed");
                    registry.evict_quietest();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                continue;
            }
        };
        if registry.staying() >= limits.max_connections {
            registry.evict_quietest();
        }
        let _ = socket.set_nodelay(true);
        next_id += 1;
        let connection = Arc::new(Connection {
            last_activity: AtomicU64::new(registry.now_ms()),
            in_flight: AtomicUsize::new(0),
            evict: Notify::new(),
            evicted: AtomicBool::new(false),
            id: next_id,
        });
        if let Ok(mut connections) = registry.connections.lock() {
            connections.insert(next_id, Arc::clone(&connection));
        }
        tokio::spawn(serve_connection(
            next_id,
            socket,
            peer,
            router.clone(),
            connection,
            Arc::clone(&registry),
            stop.clone(),
            limits,
        ));
    }
    // Shutting down: no new connections; the open ones finish what they do,
    // for a while (a live event stream never finishes by itself).
    let _ = stopping.send(true);
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while registry.len() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn serve_connection(
    id: u64,
    socket: TcpStream,
    peer: SocketAddr,
    router: Router,
    connection: Arc<Connection>,
    registry: Arc<Registry>,
    mut stop: watch::Receiver<bool>,
    limits: Limits,
) {
    let io = TokioIo::new(Watched {
        socket,
        connection: Arc::clone(&connection),
        registry: Arc::clone(&registry),
    });
    let counter = Arc::clone(&connection);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let (mut parts, body) = request.into_parts();
        parts.extensions.insert(ConnectInfo(peer));
        let body = Body::new(TimeoutBody::new(limits.body_idle, body));
        let request = Request::from_parts(parts, body);
        let router = router.clone();
        let counter = Arc::clone(&counter);
        counter.in_flight.fetch_add(1, Ordering::Relaxed);
        async move {
            let response = router.oneshot(request).await;
            counter.in_flight.fetch_sub(1, Ordering::Relaxed);
            response
        }
    });
    // HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a proxy in
    // front ends; and hyper's header timer starts at once only on an HTTP/1
    // connection (detecting the version first would wait for a byte).
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .serve_connection(io, service)
        .with_upgrades();
    let mut served = std::pin::pin!(served);
    let mut watchdog = tokio::time::interval(Duration::from_secs(1));
    let mut stopping = *stop.borrow();
    if stopping {
        served.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %peer, "a connection ended with an error");
                }
                break;
            }
            () = connection.evict.notified() => {
                tracing::debug!(%peer, "closing the quietest connection to make room");
                break;
            }
            _ = watchdog.tick() => {
                let quiet_ms = registry
                    .now_ms()
                    .saturating_sub(connection.last_activity.load(Ordering::Relaxed));
                let working = connection.in_flight.load(Ordering::Relaxed) > 0;
                if !working && Duration::from_millis(quiet_ms) >= limits.idle {
                    tracing::debug!(%peer, "closing an idle connection");
                    break;
                }
            }
            changed = stop.changed(), if !stopping => {
                if changed.is_err() || *stop.borrow() {
                    stopping = true;
                    served.as_mut().graceful_shutdown();
                }
            }
        }
    }
    if let Ok(mut connections) = registry.connections.lock() {
        connections.remove(&id);
    }
}

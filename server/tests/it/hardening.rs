//! Trustworthy under real use (server issue 19): concurrency, one server per
//! directory, unusable database URLs, password floods, throttling, the live
//! stream after signing out, slow and silent connections.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use preflight_core::generate::DEMO_PASSWORD;
use serde_json::json;

use crate::client::{self, loopback};
use crate::support::{demo_world, org_named, RunningServer};

fn start() -> (RunningServer, tempfile::TempDir) {
    start_with(&[])
}

fn start_with(args: &[&str]) -> (RunningServer, tempfile::TempDir) {
    let data = tempfile::tempdir().expect("a temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), args);
    (server, data)
}

/// Signs in from `from`; the reply.
fn sign_in(
    addr: &str,
    from: Option<std::net::IpAddr>,
    email: &str,
    password: &str,
) -> client::Reply {
    client::json(
        addr,
        from,
        "POST",
        "/api/session",
        None,
        &json!({ "email": email, "password": password }),
    )
    .expect("the server answers a sign-in")
}

fn session_of(reply: &client::Reply) -> String {
    reply.cookie("preflight_session").expect("a session cookie")
}

#[test]
fn sign_ins_beside_a_stream_of_commands_never_fail_a_command() {
    let (server, _data) = start();
    let addr = server.addr.clone();
    let hanna = session_of(&sign_in(&addr, None, "hanna@globex.example", DEMO_PASSWORD));
    let labs = org_named(&demo_world(), "Globex Labs BV");
    let stop = Arc::new(AtomicBool::new(false));
    // Two people sign in and out, again and again.
    let signers: Vec<_> = ["ivo@globex.example", "jade@globex.example"]
        .into_iter()
        .map(|email| {
            let (addr, stop) = (addr.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let reply = sign_in(&addr, None, email, DEMO_PASSWORD);
                    assert_eq!(reply.status, 200, "{}", reply.json());
                    let session = session_of(&reply);
                    let out = client::json(
                        &addr,
                        None,
                        "DELETE",
                        "/api/session",
                        Some(&session),
                        &json!({}),
                    )
                    .expect("sign-out answered");
                    assert_eq!(out.status, 204);
                    n += 1;
                }
                n
            })
        })
        .collect();
    // A third renames an organisation in a loop.
    let started = Instant::now();
    let (mut accepted, mut failed) = (0usize, Vec::new());
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(8) {
        n += 1;
        let reply = client::json(
            &addr,
            None,
            "POST",
            "/api/commands",
            Some(&hanna),
            &json!({ "command": { "type": "RenameOrganisation", "organisation": labs, "name": format!("Globex Labs {n}") } }),
        );
        match reply {
            Some(reply) if reply.status == 200 => accepted += 1,
            Some(reply) => failed.push(format!("{} {}", reply.status, reply.json())),
            None => failed.push("no answer".into()),
        }
    }
    stop.store(true, Ordering::Relaxed);
    let sign_ins: usize = signers.into_iter().map(|s| s.join().expect("signer")).sum();
    assert!(
        failed.is_empty(),
        "{} of {n} commands failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    assert!(
        sign_ins >= 10,
        "only {sign_ins} sign-ins ran beside the commands"
    );
    // Every accepted command has its audit row.
    let audit = client::json(
        &addr,
        None,
        "GET",
        "/api/audit?limit=500",
        Some(&hanna),
        &json!({}),
    )
    .expect("the audit log");
    let renames = audit
        .json()
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["command"]["type"] == "RenameOrganisation" && e["outcome"] == "accepted")
        .count();
    assert_eq!(renames, accepted.min(500));
}

#[test]
fn a_second_server_on_the_same_data_directory_refuses_to_start_and_names_the_first() {
    let (server, data) = start();
    let output = Command::new(env!("CARGO_BIN_EXE_preflight-server"))
        .args(["--addr", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the second server runs");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "the second server started: {said}"
    );
    assert!(
        said.contains(&format!("process {}", server.pid())),
        "it does not name the first: {said}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).is_empty());
    // The first still serves.
    assert_eq!(server.get("/api/health").status, 200);
}

#[test]
fn a_database_url_it_cannot_use_is_refused_at_start_and_creates_nothing() {
    let cwd = tempfile::tempdir().expect("a temp dir");
    for url in [
        "postgres://preflight:s3cret@db.internal:5432/preflight",
        "mysql://root@localhost/x",
        "sqlite://",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_preflight-server"))
            .current_dir(cwd.path())
            .args(["--addr", "127.0.0.1:0", "--database-url", url])
            .env("RUST_LOG", "warn")
            .output()
            .expect("the server runs");
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{url}: {said}");
        assert_eq!(said.lines().count(), 1, "one clear line: {said}");
        assert!(said.contains("--database-url"), "{said}");
        assert!(
            !said.contains("s3cret"),
            "the password is not echoed: {said}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(cwd.path()).expect("cwd").collect();
    assert!(left.is_empty(), "files were created: {left:?}");
}

#[test]
fn a_flood_of_wrong_passwords_neither_takes_memory_nor_locks_out_another_address() {
    let (server, _data) = start();
    let addr = server.addr.clone();
    std::thread::sleep(Duration::from_secs(1));
    let idle = server.resident_bytes();
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let flood: Vec<_> = (0..200)
        .map(|n| {
            let (addr, stop, answered) = (addr.clone(), Arc::clone(&stop), Arc::clone(&answered));
            std::thread::spawn(move || {
                let mut round = 0;
                while !stop.load(Ordering::Relaxed) {
                    round += 1;
                    let email = format!("nobody{n}-{round}@example.com");
                    if let Some(reply) = client::json(
                        &addr,
                        loopback(9),
                        "POST",
                        "/api/session",
                        None,
                        &json!({ "email": email, "password": "wrong password" }),
                    ) {
                        assert!(
                            matches!(reply.status, 401 | 429 | 503),
                            "a flood request got {}",
                            reply.status
                        );
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    // Each of the 200 sends again as soon as it has its answer,
                    // after a breath that leaves the test's own two cores some
                    // room.
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut peak = server.resident_bytes();
    // Someone else signs in meanwhile, from another address, several times.
    let mut slowest = Duration::ZERO;
    for _ in 0..3 {
        let started = Instant::now();
        let reply = sign_in(&addr, loopback(10), "carla@acme.example", DEMO_PASSWORD);
        let took = started.elapsed();
        slowest = slowest.max(took);
        assert_eq!(reply.status, 200, "{}", reply.json());
        assert!(
            took < Duration::from_secs(1),
            "a real sign-in took {took:?} during the flood"
        );
        peak = peak.max(server.resident_bytes());
        std::thread::sleep(Duration::from_millis(300));
    }
    for _ in 0..10 {
        peak = peak.max(server.resident_bytes());
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    for thread in flood {
        thread.join().expect("a flood thread");
    }
    assert!(answered.load(Ordering::Relaxed) >= 200);
    const MB: u64 = 1 << 20;
    assert!(
        peak < idle + 300 * MB,
        "resident memory went from {} MB to {} MB",
        idle / MB,
        peak / MB
    );
    std::thread::sleep(Duration::from_secs(10));
    let after = server.resident_bytes();
    eprintln!(
        "figure: {} flood answers; a real sign-in took at most {slowest:?}; resident memory idle {} MB, peak {} MB, 10 s after {} MB",
        answered.load(Ordering::Relaxed),
        idle / MB,
        peak / MB,
        after / MB
    );
    assert!(
        after < idle + 50 * MB,
        "resident memory {} MB ten seconds after the flood (idle {} MB)",
        after / MB,
        idle / MB
    );
}

#[test]
fn failed_sign_ins_slow_down_their_account_and_address_without_locking_out_anyone_else() {
    let (server, _data) = start();
    let addr = server.addr.clone();
    // Five wrong passwords on random emails lock nobody out.
    for n in 0..5 {
        let reply = sign_in(
            &addr,
            None,
            &format!("random{n}@example.com"),
            "wrong password",
        );
        assert_eq!(reply.status, 401);
    }
    assert_eq!(
        sign_in(&addr, None, "carla@acme.example", DEMO_PASSWORD).status,
        200
    );
    // Rotating X-Forwarded-For gains nothing: no proxy is trusted, so the
    // failures count against the real address.
    let mut throttled = None;
    for n in 0..40 {
        let forged = format!("203.0.113.{n}");
        let reply = client::send(
            &addr,
            loopback(20),
            "POST",
            "/api/session",
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", &forged),
            ],
            json!({ "email": format!("forged{n}@example.com"), "password": "wrong password" })
                .to_string()
                .as_bytes(),
        )
        .expect("answered");
        if reply.status == 429 {
            assert!(reply.header("retry-after").is_some());
            assert_eq!(reply.json()["code"], "too_many_attempts");
            throttled = Some(n);
            break;
        }
        assert_eq!(reply.status, 401);
    }
    assert!(
        throttled.is_some(),
        "rotating X-Forwarded-For evaded the address's delay"
    );
    // Someone at another address is not held back.
    assert_eq!(
        sign_in(&addr, loopback(21), "carla@acme.example", DEMO_PASSWORD).status,
        200
    );
    // A victim's account: its browser, which signed in before, still gets in
    // while someone fails on purpose against it from elsewhere.
    let earlier = sign_in(&addr, loopback(30), "bob@acme.example", DEMO_PASSWORD);
    let device = earlier.cookie("preflight_device").expect("a device cookie");
    for _ in 0..8 {
        sign_in(&addr, loopback(31), "bob@acme.example", "wrong password");
    }
    let stranger = sign_in(&addr, loopback(32), "bob@acme.example", DEMO_PASSWORD);
    assert_eq!(
        stranger.status, 429,
        "the account's delay applies to a new browser"
    );
    let cookie = format!("preflight_device={device}");
    let known = client::send(
        &addr,
        loopback(30),
        "POST",
        "/api/session",
        &[("Content-Type", "application/json"), ("Cookie", &cookie)],
        json!({ "email": "bob@acme.example", "password": DEMO_PASSWORD })
            .to_string()
            .as_bytes(),
    )
    .expect("answered");
    assert_eq!(known.status, 200, "{}", known.json());
}

#[test]
fn forwarded_headers_name_the_client_only_behind_a_trusted_proxy() {
    let (server, _data) = start_with(&["--trusted-proxies", "127.0.0.1"]);
    let addr = server.addr.clone();
    let attempt = |forwarded: &str, email: &str, password: &str| {
        client::send(
            &addr,
            None,
            "POST",
            "/api/session",
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", forwarded),
            ],
            json!({ "email": email, "password": password })
                .to_string()
                .as_bytes(),
        )
        .expect("answered")
        .status
    };
    // One client behind the proxy fails over and over: it is slowed down…
    let statuses: Vec<u16> = (0..25)
        .map(|n| {
            attempt(
                "198.51.100.7",
                &format!("x{n}@example.com"),
                "wrong password",
            )
        })
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    // …and another client behind the same proxy is not.
    assert_eq!(
        attempt("198.51.100.8", "carla@acme.example", DEMO_PASSWORD),
        200
    );
}

/// Reads from an SSE response until `needle` appears or `within` passes.
fn read_until(stream: &mut TcpStream, needle: &str, within: Duration) -> (bool, String) {
    let started = Instant::now();
    let mut seen = String::new();
    let mut buffer = [0u8; 4096];
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    while started.elapsed() < within {
        match stream.read(&mut buffer) {
            Ok(0) => return (seen.contains(needle), seen),
            Ok(n) => {
                seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
                if seen.contains(needle) {
                    return (true, seen);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (seen.contains(needle), seen),
        }
    }
    (false, seen)
}

/// Whether the server closed `stream` within `within` (EOF or reset).
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut buffer = [0u8; 1024];
    while started.elapsed() < within {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true,
        }
    }
    false
}

fn open_stream(addr: &str, session: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nCookie: preflight_session={session}\r\n\r\n"
    )
    .expect("request");
    let (said_hello, seen) = read_until(&mut stream, "event: hello", Duration::from_secs(5));
    assert!(said_hello, "no hello: {seen}");
    stream
}

#[test]
fn signing_out_ends_the_live_event_stream_at_once() {
    let (server, _data) = start();
    let addr = server.addr.clone();
    let session = session_of(&sign_in(&addr, None, "alice@acme.example", DEMO_PASSWORD));
    let mut stream = open_stream(&addr, &session);
    let out = client::json(
        &addr,
        None,
        "DELETE",
        "/api/session",
        Some(&session),
        &json!({}),
    )
    .expect("sign-out");
    assert_eq!(out.status, 204);
    // It says so, and the response ends (its last chunk), whatever becomes of
    // the connection.
    let (finished, seen) = read_until(&mut stream, "\r\n0\r\n\r\n", Duration::from_secs(3));
    assert!(
        seen.contains("event: ended"),
        "the stream did not say it ended: {seen:?}"
    );
    assert!(
        finished || closed_within(&mut stream, Duration::from_millis(100)),
        "the stream stayed open: {seen:?}"
    );
    // Nothing more reaches it: a command by someone else is not delivered.
    let other = session_of(&sign_in(&addr, None, "bob@acme.example", DEMO_PASSWORD));
    client::json(
        &addr,
        None,
        "POST",
        "/api/commands",
        Some(&other),
        &json!({ "command": { "type": "CreateGroup", "name": "After sign-out" } }),
    )
    .expect("a command");
}

#[test]
fn silent_and_half_sent_requests_are_closed_after_the_header_timeout() {
    let (server, _data) = start();
    let addr = server.addr.clone();
    let mut silent = TcpStream::connect(&addr).expect("connect");
    let mut half = TcpStream::connect(&addr).expect("connect");
    write!(half, "GET /api/health HTTP/1.1\r\nHost: {addr}\r\n").expect("half a head");
    let mut kept_alive = TcpStream::connect(&addr).expect("connect");
    write!(
        kept_alive,
        "GET /api/health HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .expect("a request");
    let (answered, _) = read_until(&mut kept_alive, "\"status\":\"ok\"", Duration::from_secs(5));
    assert!(answered);
    // Meanwhile, the server answers others.
    assert_eq!(server.get("/api/health").status, 200);
    let started = Instant::now();
    for (what, stream) in [
        ("silent", &mut silent),
        ("half-sent", &mut half),
        ("kept-alive and idle", &mut kept_alive),
    ] {
        assert!(
            closed_within(
                stream,
                Duration::from_secs(14).saturating_sub(started.elapsed())
            ),
            "a {what} connection stayed open"
        );
    }
    assert!(
        started.elapsed() >= Duration::from_secs(8),
        "closed too early"
    );
}

#[test]
fn the_live_stream_outlives_the_idle_timeout_with_keep_alives() {
    let (server, _data) = start();
    let addr = server.addr.clone();
    let session = session_of(&sign_in(&addr, None, "alice@acme.example", DEMO_PASSWORD));
    let mut stream = open_stream(&addr, &session);
    // Past the 60-second idle timeout, with keep-alive comments on the way.
    let (_, seen) = read_until(&mut stream, "never said", Duration::from_secs(66));
    assert!(
        seen.matches("\n:").count() + usize::from(seen.starts_with(':')) >= 3,
        "{seen:?}"
    );
    assert!(!closed_within(&mut stream, Duration::from_millis(500)));
}

/// The library's listener with short limits: half-sent bodies, idle
/// connections and the connection limit, in seconds rather than minutes.
#[test]
fn a_stalled_body_an_idle_connection_and_a_full_house_are_dealt_with() {
    let data = tempfile::tempdir().expect("a temp dir");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let (addr, stop) = runtime.block_on(async {
        let (state, _) = crate::support::open_library(data.path()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let limits = preflight_server::listener::Limits {
            header_read: Duration::from_secs(2),
            body_idle: Duration::from_secs(1),
            idle: Duration::from_secs(2),
            max_connections: 16,
        };
        tokio::spawn(preflight_server::serve(
            listener,
            state,
            async {
                let _ = stopped.await;
            },
            limits,
        ));
        (addr, stop)
    });
    // A body that stops halfway is refused, the connection closed.
    let mut stalled = TcpStream::connect(&addr).expect("connect");
    write!(
        stalled,
        "POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"email\":"
    )
    .expect("half a body");
    let (answered, seen) = read_until(&mut stalled, "HTTP/1.1 4", Duration::from_secs(4));
    assert!(answered, "no answer to a stalled body: {seen}");
    assert!(seen.contains("\"code\""), "not in the API's shape: {seen}");
    // Twenty silent connections on a limit of sixteen: the oldest go, and a
    // real request still gets in at once.
    let mut silent: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(&addr).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let reply = client::send(&addr, None, "GET", "/api/health", &[], b"").expect("health");
    assert_eq!(reply.status, 200);
    let evicted = silent
        .iter_mut()
        .take(5)
        .map(|s| closed_within(s, Duration::from_millis(300)))
        .filter(|closed| *closed)
        .count();
    assert!(
        evicted >= 4,
        "only {evicted} of the oldest were closed to make room"
    );
    let _ = stop.send(());
    drop(runtime);
}

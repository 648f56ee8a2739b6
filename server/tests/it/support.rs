//! Starting the real `preflight-server` binary and speaking plain HTTP to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use preflight_core::generate;
use preflight_core::World;

/// A configuration for the library's `open_state` on `data_dir`: the demo
/// world, no snapshots, no web app.
pub fn library_config(data_dir: &Path) -> preflight_server::Config {
    preflight_server::Config {
        addr: "127.0.0.1:0".parse().expect("an address"),
        database: preflight_server::database_in(data_dir),
        postgres: None,
        seed_demo: true,
        seed_synthetic: false,
        snapshot_every: 0,
        static_dir: data_dir.join("no-web-app"),
        support_password: None,
        secure_cookies: false,
        max_bundle_bytes: preflight_server::removal::MAX_BUNDLE_BYTES,
        trusted_proxies: Default::default(),
        max_connections: preflight_server::listener::MAX_CONNECTIONS,
    }
}

/// The library's state on `data_dir` with [`library_config`], as a start-up
/// opens it: no socket.
pub async fn open_library(
    data_dir: &Path,
) -> (preflight_server::AppState, preflight_server::Startup) {
    preflight_server::open_state(&library_config(data_dir))
        .await
        .expect("the state opens")
}

/// A server process, killed when dropped.
pub struct RunningServer {
    child: Child,
    /// `host:port` it listens on.
    pub addr: String,
    /// The banner lines printed after the "listening" line, up to the first blank one.
    pub banner: Vec<String>,
    // Kept open so the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl RunningServer {
    /// Starts the server on 127.0.0.1:0 with `data_dir`, serving `static_dir`.
    pub fn start(data_dir: &Path, static_dir: &Path, extra_args: &[&str]) -> RunningServer {
        // `PREFLIGHT_SERVER_BIN` runs the tests against another build (the
        // release one, for the figures in BENCHMARKS.md).
        let binary = std::env::var_os("PREFLIGHT_SERVER_BIN")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_preflight-server").into());
        let mut child = Command::new(binary)
            .arg("--addr")
            .arg("127.0.0.1:0")
            .arg("--data")
            .arg(data_dir)
            .arg("--static")
            .arg(static_dir)
            .args(extra_args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut addr = None;
        let mut banner = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            let n_read = stdout
                .read_line(&mut line)
                .expect("server stdout is readable");
            assert!(n_read > 0, "the server exited before printing its address");
            let trimmed = line.trim_end().to_string();
            match &addr {
                None => {
                    if let Some(found) = trimmed.strip_prefix("preflight listening on http://") {
                        addr = Some(found.to_string());
                    }
                }
                Some(_) if trimmed.is_empty() => break,
                Some(_) => {
                    let is_last = trimmed.trim_start().starts_with("web app");
                    banner.push(trimmed);
                    if is_last {
                        break;
                    }
                }
            }
        }
        RunningServer {
            child,
            addr: addr.expect("the address was printed"),
            banner,
            _stdout: stdout,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory, in bytes (Linux).
    pub fn resident_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .expect("VmRSS")
    }

    /// Kills the process at once (SIGKILL): no shutdown, no flushing.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn get(&self, path: &str) -> HttpResponse {
        get(&self.addr, path)
    }

    /// A GET with extra header lines (`"Name: value"`).
    pub fn get_with(&self, path: &str, headers: &[&str]) -> HttpResponse {
        get_with(&self.addr, path, headers)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct HttpResponse {
    pub status: u16,
    /// Header lines, names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {}", self.body))
    }
}

/// A plain HTTP/1.0 GET (so the answer is never chunked and ends with the connection).
pub fn get(addr: &str, path: &str) -> HttpResponse {
    get_with(addr, path, &[])
}

/// [`get`] with extra header lines (`"Name: value"`).
pub fn get_with(addr: &str, path: &str, headers: &[&str]) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).expect("the server accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout can be set");
    let extra: String = headers.iter().map(|line| format!("{line}\r\n")).collect();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n{extra}\r\n").expect("request is sent");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("response is read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("response has a head");
    let mut lines = head.lines();
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status code");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_string()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: body.to_string(),
    }
}

/// The demo world as the core builds it, to compare the server against.
pub fn demo_world() -> World {
    let mut world = World::default();
    for event in &generate::demo().events {
        world.apply(event);
    }
    world
}

/// The id of the organisation called `name` in `world`.
pub fn org_named(world: &World, name: &str) -> preflight_core::OrganisationId {
    world
        .organisations()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no organisation called {name}"))
        .id
}

pub fn n_demo_events() -> usize {
    generate::demo().events.len()
}

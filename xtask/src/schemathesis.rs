//! Schemathesis over the API: the OpenAPI document at `/api/openapi.json`
//! taken at its word, by a tool nobody on this project wrote.
//!
//! `ensure` installs schemathesis from PyPI into a virtual environment of the
//! project's own (`target/tools/schemathesis`), once. `run` starts the server
//! the tests built (`target/debug/preflight-server`) on a free port with the
//! demo world, and runs schemathesis twice, for a bounded number of examples
//! per operation: signed out, and signed in as an Administrator with the
//! session cookie on every request (signing out excluded, so that the session
//! lasts the run). It passes when there is no server error, no response the
//! document does not describe (status, content type, headers, body), and
//! every operation was tested.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The release of schemathesis the test is written for.
pub const VERSION: &str = "4.32.5";

/// What is checked of every response.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance";

/// Examples per operation and phase: enough to find what the document gets
/// wrong, few enough to keep the run near a minute.
const MAX_EXAMPLES: &str = "10";

/// The demo Administrator the signed-in run acts as.
const ADMINISTRATOR: &str = "alice@acme.example";

fn venv(root: &Path) -> PathBuf {
    root.join("target/tools/schemathesis")
}

fn program(root: &Path) -> PathBuf {
    venv(root).join("bin/schemathesis")
}

/// Installs schemathesis into the project's virtual environment if it is not
/// there at [`VERSION`].
pub fn ensure(root: &Path) -> Result<(), String> {
    let installed = Command::new(program(root))
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if installed.as_deref() == Some(format!("schemathesis, version {VERSION}").as_str()) {
        println!(
            "ok: schemathesis {VERSION} present ({})",
            venv(root).display()
        );
        return Ok(());
    }
    println!(
        "\n==> install schemathesis {VERSION} from PyPI into {}",
        venv(root).display()
    );
    let status = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(venv(root))
        .status()
        .map_err(|e| format!("cannot run python3 -m venv: {e}"))?;
    if !status.success() {
        return Err("python3 -m venv failed (Debian: apt-get install python3-venv)".into());
    }
    let status = Command::new(venv(root).join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("schemathesis=={VERSION}"))
        .status()
        .map_err(|e| format!("cannot run pip: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("pip could not install schemathesis {VERSION}"))
    }
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    _data: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// One HTTP/1.0 exchange: the status and the whole answer.
fn exchange(addr: &str, request: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).ok()?;
    let status = raw.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, raw))
}

fn start_server(root: &Path, port: u16) -> Result<Server, String> {
    let binary = root.join("target/debug/preflight-server");
    if !binary.is_file() {
        return Err(format!(
            "{} is missing: run `cargo test --workspace` first",
            binary.display()
        ));
    }
    let data = TempDir(root.join(format!("target/tools/schemathesis-data-{port}")));
    let _ = std::fs::remove_dir_all(&data.0);
    let child = Command::new(&binary)
        .args([
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--static",
            "/nonexistent",
            "--data",
        ])
        .arg(&data.0)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let server = Server { child, _data: data };
    let addr = format!("127.0.0.1:{port}");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let health = format!("GET /api/health HTTP/1.0\r\nHost: {addr}\r\n\r\n");
        if matches!(exchange(&addr, &health), Some((200, _))) {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err("the server did not answer /api/health within a minute".into())
}

/// Signs in as [`ADMINISTRATOR`]; the session token.
fn sign_in(addr: &str) -> Result<String, String> {
    let body = format!(r#"{{"email":"{ADMINISTRATOR}","password":"preflight-demo"}}"#);
    let request = format!(
        "POST /api/session HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, raw) = exchange(addr, &request).ok_or("the sign-in got no answer")?;
    if status != 200 {
        return Err(format!("signing in as {ADMINISTRATOR} answered {status}"));
    }
    raw.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| value.trim().split(';').next())
        .find_map(|pair| pair.strip_prefix("preflight_session="))
        .map(str::to_string)
        .ok_or_else(|| "the sign-in set no session cookie".to_string())
}

/// One schemathesis run; `Err` unless it passed with every operation tested.
fn schemathesis(
    root: &Path,
    path: &OsString,
    addr: &str,
    extra: &[&str],
    what: &str,
) -> Result<(), String> {
    println!("\n--- schemathesis, {what}");
    let mut command = Command::new(program(root));
    command
        .env("PATH", path)
        // Its cache of crashes goes there, not into the repository.
        .current_dir(root.join("target/tools"))
        .arg("run")
        .arg(format!("http://{addr}/api/openapi.json"))
        .args(["--checks", CHECKS])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--workers", "1", "--no-shrink"])
        // The live event stream never ends by itself: read it for a moment.
        .args(["--request-timeout", "3"])
        .args(["--seed", "20261206"])
        .args(extra)
        .stdout(Stdio::piped());
    let output = command
        .output()
        .map_err(|e| format!("cannot run schemathesis: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    print!("{text}");
    let count = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|rest| rest.trim().split('/').next())
            .and_then(|n| n.trim().parse::<usize>().ok())
    };
    let (selected, tested) = (count("Selected:"), count("Tested:"));
    if !output.status.success() {
        return Err(format!("schemathesis found problems ({what})"));
    }
    if selected.is_none() || selected != tested || text.contains("Errored:") {
        return Err(format!(
            "schemathesis did not test every operation ({what}): selected {selected:?}, tested {tested:?}"
        ));
    }
    Ok(())
}

/// `cargo xtask schemathesis`.
pub fn run(root: &Path, path: &OsString) -> Result<(), String> {
    ensure(root)?;
    let port = free_port()?;
    let _server = start_server(root, port)?;
    let addr = format!("127.0.0.1:{port}");
    schemathesis(root, path, &addr, &[], "signed out")?;
    let session = sign_in(&addr)?;
    let cookie = format!("Cookie: preflight_session={session}");
    schemathesis(
        root,
        path,
        &addr,
        &["-H", &cookie, "--exclude-operation-id", "session_delete"],
        &format!("signed in as {ADMINISTRATOR}, an Administrator"),
    )
}

//! Project automation, so that a fresh machine needs nothing but a Rust toolchain.
//!
//! `cargo xtask run` installs what is missing, builds the web app and starts the
//! server; `cargo xtask test` installs what the tests need and runs every check CI
//! runs, stopping at the first failure. Every install step checks first and says
//! `ok: ... present` when there is nothing to do, so a second run installs nothing.
//!
//! Plain `std::process::Command` on purpose: this crate must build quickly and
//! before anything else works.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

mod parity;
mod postgres;
mod precompress;
mod schemathesis;

/// The Trunk release this project is built and tested with.
const TRUNK_VERSION: &str = "0.22.1";

/// Where `trunk build` puts the web app (set in `Trunk.toml`); the server's
/// `--static` default points here too.
const DIST_DIR: &str = "frontend/dist";

/// Debian's Chromium, driven by playwright-core in the end-to-end tests.
const CHROMIUM: &str = "/usr/bin/chromium";

/// Where `cargo xtask demo` puts the offline demo: static files, no server.
const DEMO_DIR: &str = "target/demo";

/// The marker that makes the web app start as the offline demo.
const OFFLINE_MARKER: &str = r#"<meta name="preflight-offline" content="true" />"#;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  run     install what is missing, build the web app, start the server on http://127.0.0.1:8080
  demo    build the offline demo (the whole app, no server) as static files into target/demo/
  precompress  write the gzip copies the server sends of the built web app (after `trunk build`)
  schemathesis  run schemathesis over /api/openapi.json against the test build's server
  parity  compare the core compiled to wasm (the browser's profile) with the native one, case by case
  test    install what the tests need, then run every check CI runs (stops at the first failure)
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let workspace = Workspace::locate();
    let outcome = match args.first().map(String::as_str) {
        Some("run") => run(&workspace),
        Some("test") => test(&workspace),
        Some("demo") => demo(&workspace),
        // Used by `test`: the offline demo from an existing build.
        Some("package-demo") => package_demo(&workspace).map(drop),
        Some("precompress") => precompress_web_app(&workspace),
        // Used by `test`: schemathesis over the API, with the test build's server.
        Some("schemathesis") => schemathesis::run(&workspace.root, &workspace.path),
        // Used by `test`: the wasm core against the native one, case by case.
        Some("parity") => parity::parity(&workspace.root, &workspace.path),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
        None => Err(USAGE.to_string()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask run`.
fn run(workspace: &Workspace) -> Result<(), String> {
    workspace.ensure_wasm_target()?;
    workspace.ensure_wasm_bindgen()?;
    workspace.ensure_trunk()?;
    workspace.ensure_node_modules()?;
    build_web_app(workspace)?;
    step("start the server");
    workspace.run(workspace.command("cargo").args([
        "run",
        "--release",
        "-p",
        "preflight-server",
        "--",
        "--addr",
        "127.0.0.1:8080",
        "--data",
        "./data",
        "--static",
        DIST_DIR,
    ]))
}

/// `trunk build --release`, then the gzip copies of its assets.
fn build_web_app(workspace: &Workspace) -> Result<(), String> {
    step("build the web app");
    workspace.run(workspace.command("trunk").args(["build", "--release"]))?;
    precompress_web_app(workspace)
}

/// `cargo xtask precompress`: see [`precompress`].
fn precompress_web_app(workspace: &Workspace) -> Result<(), String> {
    step("compress the web app's assets (Zopfli gzip)");
    let started = Instant::now();
    let dist = workspace.root.join(DIST_DIR);
    for asset in precompress::precompress(&dist)? {
        let name = asset.path.file_name().unwrap_or_default().to_string_lossy();
        let kib = |bytes: u64| bytes as f64 / 1024.0;
        let what = if asset.written { "" } else { " (up to date)" };
        ok(&format!(
            "{name}: {:.0} KiB, gzip {:.0} KiB{what}",
            kib(asset.original),
            kib(asset.gzip)
        ));
    }
    println!("xtask: compressing took {}", seconds(started.elapsed()));
    Ok(())
}

/// `cargo xtask demo`.
fn demo(workspace: &Workspace) -> Result<(), String> {
    workspace.ensure_wasm_target()?;
    workspace.ensure_wasm_bindgen()?;
    workspace.ensure_trunk()?;
    workspace.ensure_node_modules()?;
    build_web_app(workspace)?;
    step("make it the offline demo");
    let out = package_demo(workspace)?;
    println!(
        "the offline demo is in {}: serve that folder with any static file server, e.g.\n  \
         python3 -m http.server -d {DEMO_DIR} 8000   and open http://127.0.0.1:8000/",
        out.display()
    );
    Ok(())
}

/// Copies the built web app to [`DEMO_DIR`] and marks its `index.html` so that it
/// starts as the offline demo. The same build serves both: no second compile.
fn package_demo(workspace: &Workspace) -> Result<PathBuf, String> {
    let dist = workspace.root.join(DIST_DIR);
    let out = workspace.root.join(DEMO_DIR);
    if out.exists() {
        fs::remove_dir_all(&out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    copy_dir(&dist, &out)?;
    let index = out.join("index.html");
    let html = fs::read_to_string(&index).map_err(|e| {
        format!(
            "cannot read {} (was the web app built?): {e}",
            index.display()
        )
    })?;
    let marked =
        mark_offline(&html).ok_or_else(|| format!("{} has no <title> to mark", index.display()))?;
    fs::write(&index, marked).map_err(|e| format!("cannot write {}: {e}", index.display()))?;
    ok(&format!("offline demo in {}", out.display()));
    Ok(out)
}

/// `html` with [`OFFLINE_MARKER`] in its head, before the title, which every page
/// has: the release build's minified HTML leaves out the optional `<head>` tag.
fn mark_offline(html: &str) -> Option<String> {
    let at = html.find("<title>")?;
    Some(format!("{}{OFFLINE_MARKER}{}", &html[..at], &html[at..]))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .map_err(|e| format!("cannot copy to {}: {e}", target.display()))?;
        }
    }
    Ok(())
}

/// `cargo xtask test`.
fn test(workspace: &Workspace) -> Result<(), String> {
    let started = Instant::now();
    workspace.ensure_wasm_target()?;
    workspace.ensure_wasm_bindgen()?;
    workspace.ensure_trunk()?;
    workspace.ensure_node_modules()?;
    workspace.ensure_chromium()?;
    schemathesis::ensure(&workspace.root)?;
    // A throwaway PostgreSQL cluster for the stores' shared suite; stopped
    // when `test` returns, whatever the outcome.
    let cluster = postgres::Cluster::start(&workspace.root.join("target"))?;
    ok(&format!(
        "a throwaway PostgreSQL cluster at {}",
        cluster.url()
    ));
    println!("xtask: setup took {}", seconds(started.elapsed()));

    let slow_suites = env::var_os("CI").is_some();
    let server_binary = workspace.root.join("target/debug/preflight-server");
    let dist = workspace.root.join(DIST_DIR);

    let mut checks: Vec<(&str, Command)> = Vec::new();
    checks.push((
        "cargo fmt --all --check",
        workspace.cargo(&["fmt", "--all", "--check"]),
    ));
    checks.push((
        "cargo clippy --workspace --all-targets -- -D warnings",
        workspace.cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    ));
    let mut cargo_test = workspace.cargo(&["test", "--workspace"]);
    cargo_test.env("PREFLIGHT_TEST_POSTGRES_URL", cluster.url());
    if slow_suites {
        cargo_test.env("PREFLIGHT_SLOW", "1");
    }
    checks.push((
        if slow_suites {
            "cargo test --workspace (PREFLIGHT_SLOW=1)"
        } else {
            "cargo test --workspace"
        },
        cargo_test,
    ));
    let mut schemathesis = workspace.cargo(&["xtask", "schemathesis"]);
    schemathesis.env_remove("CARGO_TARGET_DIR");
    checks.push((
        "cargo xtask schemathesis (the API against its OpenAPI document, signed out and as an Administrator)",
        schemathesis,
    ));
    checks.push((
        "cargo build -p preflight-core --target wasm32-unknown-unknown",
        workspace.cargo(&[
            "build",
            "-p",
            "preflight-core",
            "--target",
            "wasm32-unknown-unknown",
        ]),
    ));
    // The benchmarks must compile, but CI does not run them; building them with
    // the test profile reuses the test build instead of a release build of
    // everything (cedar-policy included).
    checks.push((
        "cargo test --workspace --benches --no-run",
        workspace.cargo(&["test", "--workspace", "--benches", "--no-run"]),
    ));
    let mut parity = workspace.cargo(&["xtask", "parity"]);
    parity.env_remove("CARGO_TARGET_DIR");
    checks.push((
        "cargo xtask parity (the core in wasm and native: the same answers, byte for byte)",
        parity,
    ));
    let mut trunk = workspace.command("trunk");
    trunk.args(["build", "--release"]);
    checks.push(("trunk build --release", trunk));
    let mut precompress = workspace.cargo(&["xtask", "precompress"]);
    precompress.env_remove("CARGO_TARGET_DIR");
    checks.push((
        "cargo xtask precompress (the gzip copies the server sends)",
        precompress,
    ));
    let mut package = workspace.cargo(&["xtask", "package-demo"]);
    package.env_remove("CARGO_TARGET_DIR");
    checks.push((
        "cargo xtask package-demo (the offline demo, from that build)",
        package,
    ));
    // The browser suite runs the server binary `cargo test --workspace` built for
    // the server's own tests: a separate `cargo build -p preflight-server` would
    // resolve other features and compile tokio, hyper and axum a second time.
    let mut end_to_end = workspace.command("node");
    end_to_end
        .arg("tests/e2e/run.mjs")
        .env("PREFLIGHT_SERVER_BIN", &server_binary)
        .env("PREFLIGHT_DIST", &dist)
        .env("PREFLIGHT_DEMO", workspace.root.join(DEMO_DIR));
    checks.push(("node tests/e2e/run.mjs (browser end-to-end)", end_to_end));

    let names: Vec<&str> = checks.iter().map(|(name, _)| *name).collect();
    let n_checks = checks.len();
    let mut results: Vec<(&str, Duration, bool)> = Vec::new();
    for (name, mut command) in checks {
        step(name);
        let check_started = Instant::now();
        let passed = workspace.run(&mut command).is_ok();
        results.push((name, check_started.elapsed(), passed));
        if !passed {
            break;
        }
    }

    println!();
    println!("xtask test summary:");
    for (name, took, passed) in &results {
        let mark = if *passed { "ok     " } else { "FAILED " };
        println!("  {mark} {:>7}  {name}", seconds(*took));
    }
    let n_run = results.len();
    for name in names.iter().skip(n_run) {
        println!("  not run           {name}");
    }
    let n_passed = results.iter().filter(|(_, _, passed)| *passed).count();
    println!("  total {}", seconds(started.elapsed()));
    if n_passed == n_checks {
        println!("xtask test: all {n_checks} checks passed");
        Ok(())
    } else {
        Err(format!(
            "{} failed; {} of {n_checks} checks not run",
            results
                .last()
                .map(|(name, _, _)| *name)
                .unwrap_or("a check"),
            n_checks - n_run
        ))
    }
}

/// The workspace root and the environment child processes run in.
struct Workspace {
    root: PathBuf,
    /// `PATH` with `node_modules/.bin` (wasm-opt 132) and cargo's bin directory first.
    path: OsString,
}

impl Workspace {
    fn locate() -> Workspace {
        let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(manifest_dir);
        let mut entries = vec![root.join("node_modules/.bin")];
        if let Some(cargo_home) = cargo_home() {
            entries.push(cargo_home.join("bin"));
        }
        if let Some(path) = env::var_os("PATH") {
            entries.extend(env::split_paths(&path));
        }
        let path =
            env::join_paths(entries).unwrap_or_else(|_| env::var_os("PATH").unwrap_or_default());
        Workspace { root, path }
    }

    /// A command that runs in the workspace root with the project's `PATH`.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.root).env("PATH", &self.path);
        command
    }

    fn cargo(&self, args: &[&str]) -> Command {
        let mut command = self.command(&env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()));
        command.args(args);
        command
    }

    /// Runs a command with inherited output; an error if it cannot start or fails.
    fn run(&self, command: &mut Command) -> Result<(), String> {
        let shown = describe(command);
        println!("$ {shown}");
        let status = command
            .status()
            .map_err(|error| format!("could not start `{shown}`: {error}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{shown}` failed ({status})"))
        }
    }

    /// Runs a command quietly and returns its trimmed stdout, or `None` if it
    /// cannot start or fails (used to ask whether a tool is present).
    fn output(&self, program: &str, args: &[&str]) -> Option<String> {
        let output = self.command(program).args(args).output().ok()?;
        if !output.status.success() {
            return None;
        }
        Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    fn ensure_wasm_target(&self) -> Result<(), String> {
        let installed = self
            .output("rustup", &["target", "list", "--installed"])
            .ok_or("`rustup target list --installed` failed: is rustup installed?")?;
        if installed
            .lines()
            .any(|line| line.trim() == "wasm32-unknown-unknown")
        {
            ok("rust target wasm32-unknown-unknown present");
            return Ok(());
        }
        step("install rust target wasm32-unknown-unknown");
        self.run(
            self.command("rustup")
                .args(["target", "add", "wasm32-unknown-unknown"]),
        )
    }

    /// wasm-bindgen-cli must equal the `wasm-bindgen` version in Cargo.lock, or
    /// Trunk's output does not load.
    fn ensure_wasm_bindgen(&self) -> Result<(), String> {
        let lock_path = self.root.join("Cargo.lock");
        let lock = fs::read_to_string(&lock_path)
            .map_err(|error| format!("cannot read {}: {error}", lock_path.display()))?;
        let wanted = locked_version(&lock, "wasm-bindgen")
            .ok_or("Cargo.lock has no `wasm-bindgen` package")?;
        let present = self.output("wasm-bindgen", &["--version"]);
        if present.as_deref() == Some(format!("wasm-bindgen {wanted}").as_str()) {
            ok(&format!("wasm-bindgen-cli {wanted} present"));
            return Ok(());
        }
        step(&format!(
            "install wasm-bindgen-cli {wanted} (found: {})",
            present.as_deref().unwrap_or("none")
        ));
        // Not `--locked`: the registry snapshot here lacks one of its locked versions.
        self.run(
            self.command("cargo")
                .args(["install", "wasm-bindgen-cli", "--version", &wanted]),
        )
    }

    fn ensure_trunk(&self) -> Result<(), String> {
        let present = self.output("trunk", &["--version"]);
        if present.as_deref() == Some(format!("trunk {TRUNK_VERSION}").as_str()) {
            ok(&format!("trunk {TRUNK_VERSION} present"));
            return Ok(());
        }
        step(&format!(
            "install trunk {TRUNK_VERSION} (found: {}; takes about 10 minutes on 2 cores)",
            present.as_deref().unwrap_or("none")
        ));
        // Trunk 0.22.1 declares a newer rustc than it needs.
        self.run(self.command("cargo").args([
            "install",
            "--locked",
            "trunk",
            "--version",
            TRUNK_VERSION,
            "--ignore-rust-version",
        ]))
    }

    /// `npm ci` when `node_modules` is missing or older than `package-lock.json`.
    fn ensure_node_modules(&self) -> Result<(), String> {
        let lock =
            modified(&self.root.join("package-lock.json")).ok_or("package-lock.json is missing")?;
        // npm writes this file on every install, so its age is the install's age.
        let installed = modified(&self.root.join("node_modules/.package-lock.json"));
        if installed.is_some_and(|installed| installed >= lock) {
            ok("node_modules present and up to date (binaryen wasm-opt, playwright-core)");
            return Ok(());
        }
        step("install node_modules (npm ci)");
        self.run(self.command("npm").args(["ci", "--no-audit", "--no-fund"]))
    }

    /// Debian's Chromium for the browser tests; needs root for apt-get.
    fn ensure_chromium(&self) -> Result<(), String> {
        if Path::new(CHROMIUM).exists() {
            ok(&format!("chromium present ({CHROMIUM})"));
            return Ok(());
        }
        let is_root = self.output("id", &["-u"]).as_deref() == Some("0");
        if !is_root {
            return Err(format!(
                "{CHROMIUM} is missing and this is not root: run \
                 `sudo apt-get update && sudo apt-get install -y chromium chromium-driver`, \
                 then `cargo xtask test` again"
            ));
        }
        step("install Debian chromium and chromium-driver (apt-get)");
        self.run(self.command("apt-get").arg("update"))?;
        self.run(
            self.command("apt-get")
                .args(["install", "-y", "chromium", "chromium-driver"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    }
}

/// The version of `package` in a Cargo.lock, if it is there once or more (the
/// first entry wins).
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            let version_line = lines.next()?;
            let version = version_line.trim().strip_prefix("version = ")?;
            return Some(version.trim_matches('"').to_string());
        }
    }
    None
}

fn cargo_home() -> Option<PathBuf> {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .ok()
}

fn describe(command: &Command) -> String {
    let mut shown = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    shown
}

fn step(what: &str) {
    println!("\n==> {what}");
}

fn ok(what: &str) {
    println!("ok: {what}");
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::{locked_version, mark_offline, OFFLINE_MARKER};

    #[test]
    fn the_offline_marker_goes_into_the_head_of_minified_and_plain_pages() {
        let minified = "<!doctype html><html lang=en><meta charset=utf-8><title>Preflight</title><script type=module></script><body></body></html>";
        assert_eq!(
            mark_offline(minified).unwrap(),
            format!("<!doctype html><html lang=en><meta charset=utf-8>{OFFLINE_MARKER}<title>Preflight</title><script type=module></script><body></body></html>")
        );
        let plain = "<html>\n  <head>\n    <title>Preflight</title>\n  </head>\n</html>";
        assert!(mark_offline(plain)
            .unwrap()
            .contains(&format!("{OFFLINE_MARKER}<title>")));
        assert_eq!(mark_offline("<html><body></body></html>"), None);
    }

    #[test]
    fn locked_version_reads_the_exact_package_not_a_prefix() {
        let lock = r#"
[[package]]
name = "wasm-bindgen-backend"
version = "0.1.0"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "trunk"), None);
    }
}

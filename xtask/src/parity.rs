//! The same engine, proven: the core compiled to wasm32 with the browser's
//! profile and the native core answer the same cases byte for byte
//! (`parity/`). Seeded random worlds and the demo world, thousands of cases:
//! checks with their sentences, who can and what can, projections, previews
//! on the world and on a projection read back from JSON, decisions. Then the
//! preview-truth property on the wasm build's answers: every preview the
//! browser shows without leaving a fact to the server is what the server
//! decides and what execution does.

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// Random worlds compared, and draws on the demo world.
const SEEDS: u64 = 12;
const DEMO_SEEDS: u64 = 3;

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Where two answers first differ, for the report.
fn first_difference(native: &str, wasm: &str) -> String {
    for (n, (a, b)) in native.lines().zip(wasm.lines()).enumerate() {
        if a != b {
            let at = a
                .bytes()
                .zip(b.bytes())
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            let from = at.saturating_sub(80);
            let clip = |s: &str| {
                s.get(from..(at + 80).min(s.len()))
                    .unwrap_or("")
                    .to_string()
            };
            return format!(
                "line {} (0 is the world read back), byte {at}:\n  native …{}…\n  wasm   …{}…",
                n,
                clip(a),
                clip(b)
            );
        }
    }
    format!(
        "{} lines natively, {} in wasm",
        native.lines().count(),
        wasm.lines().count()
    )
}

/// `cargo xtask parity`.
pub fn parity(root: &Path, path: &OsString) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let cargo_at = |args: &[&str]| {
        let mut command = Command::new(&cargo);
        command.current_dir(root).env("PATH", path).args(args);
        command
    };
    run(
        &mut cargo_at(&[
            "build",
            "-p",
            "preflight-parity",
            "--bin",
            "preflight-parity",
        ]),
        "the native parity build",
    )?;
    run(
        &mut cargo_at(&[
            "build",
            "-p",
            "preflight-parity",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
        ]),
        "the wasm parity build (the browser's profile)",
    )?;
    let out = root.join("target/parity");
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    run(
        Command::new("wasm-bindgen")
            .env("PATH", path)
            .args(["--target", "nodejs", "--out-dir"])
            .arg(out.join("pkg"))
            .arg(root.join("target/wasm32-unknown-unknown/wasm-release/preflight_parity.wasm")),
        "wasm-bindgen",
    )?;
    let native_bin = root.join("target/debug/preflight-parity");
    let module = out.join("pkg/preflight_parity.js");
    let mut runs: Vec<(String, Vec<String>)> = (1..=SEEDS)
        .map(|seed| (format!("random world {seed}"), vec![seed.to_string()]))
        .collect();
    runs.extend((1..=DEMO_SEEDS).map(|seed| {
        (
            format!("demo world, draw {seed}"),
            vec!["demo".to_string(), seed.to_string()],
        )
    }));
    let mut total = 0;
    let (mut shown, mut asked) = (0, 0);
    for (name, args) in runs {
        let cases = out.join("cases.json");
        let made = Command::new(&native_bin)
            .arg("cases")
            .args(&args)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", native_bin.display()))?;
        if !made.status.success() {
            return Err(format!("making the cases of the {name} failed"));
        }
        fs::write(&cases, &made.stdout).map_err(|e| format!("cannot write the cases: {e}"))?;
        let native = Command::new(&native_bin)
            .arg("answer")
            .stdin(fs::File::open(&cases).map_err(|e| format!("cannot read the cases: {e}"))?)
            .stdout(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", native_bin.display()))?;
        let wasm_out = out.join("wasm.out");
        run(
            Command::new("node")
                .env("PATH", path)
                .arg(root.join("tests/parity/run.mjs"))
                .arg(&module)
                .arg(&cases)
                .arg(&wasm_out),
            "node tests/parity/run.mjs",
        )?;
        let native = String::from_utf8_lossy(&native.stdout).to_string();
        let wasm = fs::read_to_string(&wasm_out)
            .map_err(|e| format!("cannot read {}: {e}", wasm_out.display()))?;
        let n = native.lines().count().saturating_sub(1);
        if native != wasm {
            return Err(format!(
                "the wasm core answers the {name} differently: {}",
                first_difference(&native, &wasm)
            ));
        }
        if native.lines().any(|l| l.starts_with("unreadable")) {
            return Err(format!("the cases of the {name} could not be read"));
        }
        println!("ok: {name}: {n} cases, the same bytes natively and in wasm");
        total += n;
        // The preview-truth property, with the previews the wasm build showed.
        let judged = Command::new(&native_bin)
            .arg("judge")
            .arg(&cases)
            .arg(&wasm_out)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", native_bin.display()))?;
        if !judged.status.success() {
            return Err(format!(
                "a preview the browser (wasm) showed on the {name} is not what the server does:\n{}",
                String::from_utf8_lossy(&judged.stderr)
            ));
        }
        let figures: Vec<usize> = String::from_utf8_lossy(&judged.stdout)
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let [confirmed, allowed, unconfirmed, _] = figures[..] else {
            return Err(format!("the judge of the {name} answered nothing readable"));
        };
        println!(
            "ok: {name}: {confirmed} browser previews (wasm) equal the server's decision and execution ({allowed} allowed), {unconfirmed} said what the server confirms"
        );
        shown += confirmed;
        asked += unconfirmed;
    }
    println!("ok: {total} cases in all");
    // Marking everything unconfirmed is not a way out.
    if shown == 0 || asked * 4 > shown {
        return Err(format!(
            "{asked} browser previews left facts to the server against {shown} shown whole: too many to mean anything"
        ));
    }
    println!("ok: {shown} browser previews true, {asked} marked unconfirmed");
    Ok(())
}

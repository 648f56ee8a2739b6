//! The probe, started as the server is, ends up on huge pages every time the
//! kernel lets a process ask for them (its `enabled` mode is `madvise`), however
//! often glibc refuses the tunable on the way (`ensure` starts it again).

use std::process::Command;

#[test]
fn every_process_that_asks_runs_on_huge_pages() {
    let mode =
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    if !cfg!(all(target_os = "linux", target_env = "gnu")) || !mode.contains("[madvise]") {
        eprintln!("skipped: transparent huge pages are not in madvise mode here ({mode:?})");
        return;
    }
    let mut restarts = 0;
    for _ in 0..20 {
        let out = Command::new(env!("CARGO_BIN_EXE_hugepages-probe"))
            .env("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1")
            .env_remove(preflight_hugepages::ATTEMPT_VAR)
            .output()
            .expect("the probe runs");
        let line = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(line.starts_with("InUse "), "the probe said: {line}");
        restarts += line
            .split_whitespace()
            .nth(1)
            .and_then(|a| a.parse::<u32>().ok())
            .unwrap_or(0);
    }
    eprintln!("20 processes on huge pages after {restarts} restarts in all");
}

#[test]
fn a_process_that_does_not_ask_is_told_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_hugepages-probe"))
        .env_remove("GLIBC_TUNABLES")
        .env_remove(preflight_hugepages::ATTEMPT_VAR)
        .output()
        .expect("the probe runs");
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    let mode =
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    if cfg!(all(target_os = "linux", target_env = "gnu")) && mode.contains("[madvise]") {
        assert!(line.starts_with("NotAsked 0 "), "the probe said: {line}");
    }
}

//! Transparent huge pages for the heap, made dependable.
//!
//! A check reads a large world at random, and with 4 KiB pages nearly every such
//! read also misses the TLB (in a virtual machine a page walk is two walks). So
//! everything cargo runs asks glibc's allocator for transparent huge pages
//! (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, in `.cargo/config.toml`).
//!
//! glibc 2.36 (Debian 12) decides whether to honour that tunable by reading
//! `/sys/kernel/mm/transparent_hugepage/enabled` into a buffer it does not
//! terminate before comparing it: the answer rests on a stray byte of the
//! stack, and about half of all processes of the server or of the benchmarks
//! silently run on 4 KiB pages (later glibc terminates the buffer). A process
//! can tell which it got: when glibc honours the tunable it marks the heap for
//! huge pages (`hg` among the heap's `VmFlags` in `/proc/self/smaps`) the first
//! time it grows it, before `main` runs. [`ensure`] looks, and a process that
//! asked for huge pages, could have them and was refused starts itself again,
//! a few times at most, before it does anything else.
//!
//! Elsewhere than Linux with glibc all of this is a no-op.

use std::fmt;

/// Whether the heap is on transparent huge pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HugePages {
    /// glibc honours the tunable: the heap is marked for huge pages.
    InUse,
    /// The kernel gives every process huge pages (`enabled` is `always`).
    System,
    /// The tunable was set, but glibc did not honour it (after `ensure`'s
    /// attempts, or without them).
    Refused,
    /// The tunable is not set.
    NotAsked,
    /// The kernel has no transparent huge pages, or they are off.
    Unavailable,
    /// The process could not tell (no `/proc`, or no heap yet).
    Unknown,
}

impl fmt::Display for HugePages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HugePages::InUse => "the heap is on transparent huge pages",
            HugePages::System => "the kernel gives every process transparent huge pages",
            HugePages::Refused => {
                "glibc did not honour GLIBC_TUNABLES=glibc.malloc.hugetlb=1: the heap is on 4 KiB pages"
            }
            HugePages::NotAsked => {
                "the heap is on 4 KiB pages: set GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (as cargo does) for huge pages"
            }
            HugePages::Unavailable => "the kernel offers no transparent huge pages",
            HugePages::Unknown => "whether the heap is on huge pages is unknown",
        })
    }
}

/// How many times [`ensure`] starts the process again at most. glibc refused
/// 20–55 % of the starts measured, each start drawing anew; with eight
/// attempts one CI run in about twenty-five saw a probe refused nine times in
/// a row. With 32, a refusal rate of one in two leaves one process in eight
/// billion on 4 KiB pages, and a process that is always refused loses a few
/// milliseconds a start.
pub const ATTEMPTS: u32 = 32;

/// The environment variable counting [`ensure`]'s attempts.
pub const ATTEMPT_VAR: &str = "PREFLIGHT_HUGEPAGES_ATTEMPT";

/// The kernel's transparent huge page mode, as its sysfs file shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Always,
    Madvise,
    Never,
}

fn parse_mode(enabled: &str) -> Option<Mode> {
    if enabled.contains("[always]") {
        Some(Mode::Always)
    } else if enabled.contains("[madvise]") {
        Some(Mode::Madvise)
    } else if enabled.contains("[never]") {
        Some(Mode::Never)
    } else {
        None
    }
}

/// Whether `GLIBC_TUNABLES` asks for transparent huge pages.
fn asks(tunables: &str) -> bool {
    tunables
        .split(':')
        .any(|t| t.trim() == "glibc.malloc.hugetlb=1")
}

/// Whether the heap, as `/proc/self/smaps` shows it, is marked for huge pages:
/// `None` if it shows no heap.
fn heap_marked(smaps: &str) -> Option<bool> {
    let mut in_heap = false;
    let mut seen = false;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if first.ends_with(':') {
            if in_heap && first == "VmFlags:" && line.split_whitespace().any(|f| f == "hg") {
                return Some(true);
            }
        } else {
            // A mapping's first line: `start-end perms offset dev inode [path]`.
            in_heap = line.trim_end().ends_with("[heap]");
            seen |= in_heap;
        }
    }
    seen.then_some(false)
}

/// Decides from what the process can read.
fn decide(tunables: &str, enabled: Option<&str>, smaps: Option<&str>) -> HugePages {
    match enabled.and_then(parse_mode) {
        None => HugePages::Unknown,
        Some(Mode::Never) => HugePages::Unavailable,
        Some(Mode::Always) => HugePages::System,
        Some(Mode::Madvise) if !asks(tunables) => HugePages::NotAsked,
        Some(Mode::Madvise) => match smaps.and_then(heap_marked) {
            Some(true) => HugePages::InUse,
            Some(false) => HugePages::Refused,
            None => HugePages::Unknown,
        },
    }
}

/// Whether this process's heap is on transparent huge pages.
pub fn state() -> HugePages {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return HugePages::Unknown;
    }
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    let enabled = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok();
    let smaps = std::fs::read_to_string("/proc/self/smaps").ok();
    decide(&tunables, enabled.as_deref(), smaps.as_deref())
}

/// Call first thing in `main`, before any thread starts: if glibc refused the
/// huge pages the process asked for, starts the process again (the same
/// program, arguments and environment, plus [`ATTEMPT_VAR`]), at most
/// [`ATTEMPTS`] times. Returns the state the process runs with; a failed
/// restart is not an error (the process goes on, on 4 KiB pages).
pub fn ensure() -> HugePages {
    let attempt = std::env::var(ATTEMPT_VAR)
        .ok()
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    ensure_with(state(), attempt, restart)
}

/// [`ensure`]'s decision: restarts (`restart(next attempt)`) only a refused
/// process that has attempts left.
fn ensure_with(now: HugePages, attempt: u32, restart: impl FnOnce(u32)) -> HugePages {
    if now == HugePages::Refused && attempt < ATTEMPTS {
        restart(attempt + 1);
    }
    now
}

#[cfg(unix)]
fn restart(attempt: u32) {
    use std::os::unix::process::CommandExt;
    let Ok(program) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(program);
    if let Some(name) = args.next() {
        command.arg0(name);
    }
    // `exec` returns only if it failed; then this process goes on as it is.
    let _ = command
        .args(args)
        .env(ATTEMPT_VAR, attempt.to_string())
        .exec();
}

#[cfg(not(unix))]
fn restart(_attempt: u32) {}

#[cfg(test)]
mod tests {
    use super::*;

    const MADVISE: &str = "always [madvise] never\n";

    fn smaps(heap_flags: &[&str]) -> String {
        let mut out = String::from(
            "55d0c0000000-55d0c0021000 r--p 00000000 08:01 123 /usr/bin/preflight-server\n\
             Size:                132 kB\n\
             VmFlags: rd mr mw me sd\n",
        );
        for (i, flags) in heap_flags.iter().enumerate() {
            out.push_str(&format!(
                "55d0c{i}200000-55d0c{i}400000 rw-p 00000000 00:00 0                          [heap]\n\
                 Size:               2048 kB\n\
                 AnonHugePages:      2048 kB\n\
                 VmFlags: {flags}\n"
            ));
        }
        out.push_str(
            "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n\
             VmFlags: rd wr mr mw me gd ac hg\n",
        );
        out
    }

    #[test]
    fn a_heap_marked_for_huge_pages_is_in_use() {
        let s = smaps(&["rd wr mr mw me ac", "rd wr mr mw me ac hg"]);
        assert_eq!(
            decide("glibc.malloc.hugetlb=1", Some(MADVISE), Some(&s)),
            HugePages::InUse
        );
    }

    #[test]
    fn a_heap_never_marked_was_refused_even_if_another_mapping_is() {
        let s = smaps(&["rd wr mr mw me ac"]);
        assert_eq!(
            decide("glibc.malloc.hugetlb=1", Some(MADVISE), Some(&s)),
            HugePages::Refused
        );
    }

    #[test]
    fn without_a_heap_nothing_is_known() {
        let s = smaps(&[]);
        assert_eq!(
            decide("glibc.malloc.hugetlb=1", Some(MADVISE), Some(&s)),
            HugePages::Unknown
        );
        assert_eq!(
            decide("glibc.malloc.hugetlb=1", Some(MADVISE), None),
            HugePages::Unknown
        );
    }

    #[test]
    fn the_tunable_is_found_among_others() {
        assert!(asks("glibc.malloc.trim_threshold=0:glibc.malloc.hugetlb=1"));
        assert!(!asks("glibc.malloc.hugetlb=0"));
        assert!(!asks("glibc.malloc.hugetlb=2"));
        assert!(!asks(""));
        let s = smaps(&["rd wr mr mw me ac"]);
        assert_eq!(decide("", Some(MADVISE), Some(&s)), HugePages::NotAsked);
    }

    #[test]
    fn only_a_refused_process_with_attempts_left_starts_again() {
        let mut restarted = None;
        ensure_with(HugePages::Refused, 0, |a| restarted = Some(a));
        assert_eq!(restarted, Some(1));
        restarted = None;
        ensure_with(HugePages::Refused, ATTEMPTS - 1, |a| restarted = Some(a));
        assert_eq!(restarted, Some(ATTEMPTS));
        for (state, attempt) in [
            (HugePages::Refused, ATTEMPTS),
            (HugePages::InUse, 0),
            (HugePages::System, 0),
            (HugePages::NotAsked, 0),
            (HugePages::Unavailable, 0),
            (HugePages::Unknown, 0),
        ] {
            let mut called = false;
            assert_eq!(ensure_with(state, attempt, |_| called = true), state);
            assert!(
                !called,
                "{state:?} after {attempt} attempts must not restart"
            );
        }
    }

    #[test]
    fn the_kernel_mode_decides_first() {
        let s = smaps(&["rd wr mr mw me ac"]);
        let t = "glibc.malloc.hugetlb=1";
        assert_eq!(
            decide(t, Some("[always] madvise never\n"), Some(&s)),
            HugePages::System
        );
        assert_eq!(
            decide(t, Some("always madvise [never]\n"), Some(&s)),
            HugePages::Unavailable
        );
        assert_eq!(decide(t, None, Some(&s)), HugePages::Unknown);
        assert_eq!(decide(t, Some("garbage"), Some(&s)), HugePages::Unknown);
    }
}

//! The access engine's figures (core issue §4). Run with
//! `cargo bench -p preflight-core --bench access`; set `PREFLIGHT_BENCH_SCALE=4`
//! for the same figures on a world four times as large.
//!
//! Besides criterion's means, single checks are timed one by one to report the
//! median and the 99th percentile, which criterion does not give.

use criterion::{black_box, criterion_group, Criterion};
use preflight_core::generate::{mix, queries, synthetic, Synthetic, SyntheticConfig};
use preflight_core::*;
use std::time::{Duration, Instant};

fn config() -> SyntheticConfig {
    let scale = std::env::var("PREFLIGHT_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    SyntheticConfig::default().scaled(scale)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

struct Fixture {
    world: World,
    info: Synthetic,
    config: SyntheticConfig,
}

fn build() -> Fixture {
    let config = config();
    // The events first, then the world from them: that is what a server does at start-up.
    let started = Instant::now();
    let mut events = Vec::new();
    let info = synthetic(&config, &mut |e| events.push(e));
    let generated = started.elapsed();
    let started = Instant::now();
    let mut world = World::new();
    for e in &events {
        world.apply(e);
    }
    let built = started.elapsed();
    let n_events = events.len();
    drop(events);
    println!(
        "world: {:?}\n  {n_events} events generated in {generated:.2?}, world built from them in {built:.2?}; peak resident memory {:.0} MiB",
        world.stats(),
        peak_rss_mib()
    );
    Fixture {
        world,
        info,
        config,
    }
}

fn report_check_latency(f: &Fixture) {
    let qs = queries(&f.world, &f.info, &f.config, 100_000, 1);
    let m = mix(&f.world, &qs);
    println!(
        "queries: {} of which {:.0}% denied, {:.0}% through a partnership or a group",
        m.total,
        100.0 * m.denied as f64 / m.total as f64,
        100.0 * m.through_partnership_or_group as f64 / m.total as f64
    );
    let mut times = Vec::with_capacity(qs.len());
    for _ in 0..3 {
        times.clear();
        for q in &qs {
            let t = Instant::now();
            black_box(check(&f.world, q.user, q.action, q.resource));
            times.push(t.elapsed());
        }
    }
    times.sort_unstable();
    // What the timer itself adds: the same loop around nothing.
    let mut empty = Vec::with_capacity(qs.len());
    for q in &qs {
        let t = Instant::now();
        black_box(q);
        empty.push(t.elapsed());
    }
    empty.sort_unstable();
    let overhead = percentile(&empty, 0.5);
    println!(
        "check, timed one by one: median {:?}, p99 {:?}, max {:?}; the timer alone: median {:?}, so a check's median is {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        overhead,
        percentile(&times, 0.5).saturating_sub(overhead)
    );
    report_memory_floor(f.world.stats().documents);
}

/// What one memory access costs on this machine now: a check at this size reads
/// the document's home with one random access into a table of about 72 bytes a
/// document (36-byte slots, half of them free on average), so that access's
/// latency is the floor under a check's median. Printed beside it, because it
/// moves from run to run in a virtual machine.
fn report_memory_floor(documents: usize) {
    const LINE: usize = 8; // u64s in a 64-byte cache line
    let lines = (documents * 72 / 64).max(1);
    let table: Vec<u64> = (0..lines * LINE).map(|i| i as u64).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut times = Vec::with_capacity(100_000);
    for _ in 0..2 {
        times.clear();
        for _ in 0..100_000 {
            // xorshift: the next line is not predictable by the prefetcher.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state as usize % lines) * LINE;
            let t = Instant::now();
            black_box(table.get(at).copied());
            times.push(t.elapsed());
        }
    }
    times.sort_unstable();
    println!(
        "memory floor: one random load from a {} MB table, timed alone: median {:?}, p99 {:?} (the timer included)",
        lines * 64 / 1_000_000,
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
}

fn benches(c: &mut Criterion) {
    let f = build();
    report_check_latency(&f);
    let qs = queries(&f.world, &f.info, &f.config, 10_000, 2);
    let mut i = 0;
    c.bench_function("check", |b| {
        b.iter(|| {
            i = (i + 1) % qs.len();
            let q = qs[i];
            black_box(check(&f.world, q.user, q.action, q.resource))
        })
    });

    // who_can on one shared document.
    let shared: Vec<DocumentId> = f.world.shares().map(|s| s.document).take(1000).collect();
    let mut j = 0;
    c.bench_function("who_can(View, document)", |b| {
        b.iter(|| {
            j = (j + 1) % shared.len();
            black_box(who_can(
                &f.world,
                Action::View,
                Resource::Document(shared[j]),
            ))
        })
    });

    let accountant = f.info.accountants[0];
    let n_docs = what_can(&f.world, accountant, Action::View, ResourceKind::Document).len();
    println!("what_can(accountant, View, Document) lists {n_docs} documents");
    c.bench_function("what_can(accountant, View, Document)", |b| {
        b.iter(|| {
            black_box(what_can(
                &f.world,
                accountant,
                Action::View,
                ResourceKind::Document,
            ))
        })
    });

    let ctx = Context::deterministic(Timestamp(1_800_000_000_000), 42);
    let p = f
        .info
        .partnerships
        .iter()
        .find(|p| p.active)
        .expect("an active partnership");
    let client_admin = f.world.users_of(p.client)[0];
    let end = Command::EndPartnership { partnership: p.id };
    let shown = preview(&f.world, &Actor::user(client_admin), end.clone(), &ctx);
    println!(
        "preview of ending a partnership: allowed {}, {} events, {} access changes",
        shown.allowed,
        shown.events.len(),
        shown.access_changes.len()
    );
    c.bench_function("preview(EndPartnership)", |b| {
        b.iter(|| {
            black_box(preview(
                &f.world,
                &Actor::user(client_admin),
                end.clone(),
                &ctx,
            ))
        })
    });

    let firm_admin = f.world.users_of(f.info.firms[0])[0];
    let disable = Command::DisableUser { user: accountant };
    let shown = preview(&f.world, &Actor::user(firm_admin), disable.clone(), &ctx);
    let envs: std::collections::BTreeSet<_> = f
        .world
        .organisations_of_user(accountant)
        .iter()
        .filter_map(|o| f.world.organisation(*o))
        .map(|o| o.environment)
        .collect();
    println!(
        "preview of disabling an accountant who is a member in {} environments: allowed {}, {} access changes",
        envs.len(),
        shown.allowed,
        shown.access_changes.len()
    );
    c.bench_function("preview(DisableUser accountant)", |b| {
        b.iter(|| {
            black_box(preview(
                &f.world,
                &Actor::user(firm_admin),
                disable.clone(),
                &ctx,
            ))
        })
    });

    let (group, env) = f.info.groups[0];
    let document = f
        .world
        .organisations_of(env)
        .first()
        .and_then(|o| {
            f.world.documents_of(*o).find(|d| {
                !f.world
                    .shares_of(*d)
                    .iter()
                    .any(|s| s.grantee == Grantee::Group(group))
            })
        })
        .expect("a document of the group's environment");
    let admin = f.world.users_of(env)[0];
    let share = Command::ShareDocument {
        document,
        grantee: Grantee::Group(group),
        level: Level::View,
    };
    let shown = preview(&f.world, &Actor::user(admin), share.clone(), &ctx);
    println!(
        "preview of sharing with a group: allowed {}, {} access changes",
        shown.allowed,
        shown.access_changes.len()
    );
    c.bench_function("preview(ShareDocument with group)", |b| {
        b.iter(|| black_box(preview(&f.world, &Actor::user(admin), share.clone(), &ctx)))
    });
}

criterion_group! {
    name = group;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = benches
}

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
}

//! The split simulator's figure (issue 6 §5): `plan_split` for an organisation with
//! 100,000 documents, target ≤ 50 ms. Run with
//! `cargo bench -p preflight-core --bench split`.
//!
//! The world is a small synthetic one (firms, clients, partnerships, groups,
//! shares) in which one client organisation, served by its accountant across a
//! partnership, holds 100,000 documents, one in a hundred of them shared.

use criterion::{black_box, criterion_group, Criterion};
use preflight_core::generate::{Synthetic, SyntheticConfig};
use preflight_core::split::{check_fresh, plan_split, SplitImpact, SplitOption};
use preflight_core::*;
use std::time::{Duration, Instant};

const N_DOCUMENTS: u128 = 100_000;

struct Fixture {
    world: World,
    environment: EnvironmentId,
    organisation: OrganisationId,
    admin: UserId,
}

fn build() -> Fixture {
    let started = Instant::now();
    let config = SyntheticConfig {
        seed: 6,
        environments: 20,
        firms: 2,
        clients_per_firm: 10,
        ended_percent: 10,
        organisations_per_environment: 5,
        users_per_environment: 10,
        documents_per_organisation: 50,
        shares: 2_000,
    };
    let (mut world, info) = Synthetic::build(&config);
    // A client organisation with a member from the firm's environment.
    let (environment, organisation, firm) = info
        .partnerships
        .iter()
        .filter(|p| p.active)
        .find_map(|p| {
            world.organisations_of(p.client).iter().find_map(|o| {
                world
                    .members_of(*o)
                    .iter()
                    .any(|u| world.user(*u).is_some_and(|u| u.environment == p.firm))
                    .then_some((p.client, *o, p.firm))
            })
        })
        .expect("a client organisation served across a partnership");
    let admin = world.users_of(environment)[0];
    let users = world.users_of(environment).to_vec();
    let partner_users = world.users_of(firm).to_vec();
    let groups = world.groups_of(environment).to_vec();
    let others: Vec<OrganisationId> = world
        .organisations_of(environment)
        .iter()
        .copied()
        .filter(|o| *o != organisation)
        .collect();
    let at = Timestamp(1_790_000_000_000);
    for k in 0..N_DOCUMENTS {
        let id = DocumentId::from_u128((0xB1u128 << 120) | k);
        world.apply(&Event::DocumentAdded {
            document: Document {
                id,
                organisation,
                environment,
                doc_box: DocBox::ALL[(k % 3) as usize],
                name: format!("INV-BIG-{k}.xml"),
                sha256: Sha256::of(&k.to_le_bytes()),
                size: 9_000,
                uploaded_by: None,
                at,
                summary: None,
            },
        });
        if k % 100 == 0 {
            let n = (k / 100) as usize;
            let grantee = match n % 4 {
                0 => Grantee::User(users[n % users.len()]),
                1 => Grantee::Group(groups[n % groups.len()]),
                2 => Grantee::Organisation(others[n % others.len()]),
                _ => Grantee::User(partner_users[1 + n % 3]),
            };
            world.apply(&Event::ShareGranted {
                share: Share {
                    document: id,
                    grantee,
                    level: Level::View,
                    by: admin,
                    at,
                },
            });
        }
    }
    println!(
        "world: {:?}; the organisation holds {} documents; built in {:.2?}",
        world.stats(),
        world.document_count(organisation),
        started.elapsed()
    );
    Fixture {
        world,
        environment,
        organisation,
        admin,
    }
}

fn benches(c: &mut Criterion) {
    let f = build();
    let actor = Actor::user(f.admin);
    let plan = |option: SplitOption| {
        plan_split(&f.world, &actor, f.environment, &[f.organisation], option)
            .expect("an Administrator may plan")
    };

    let separation = plan(SplitOption::FullSeparation { exported: None });
    if let SplitImpact::FullSeparation(p) = &separation.impact {
        println!(
            "option 2: {} users lose access ({} of them from partners), {} documents deleted, {} shares removed, {} partnerships to re-create",
            p.losses.len(),
            p.losses.iter().filter(|l| l.partner).count(),
            p.documents_deleted,
            p.shares_removed.len(),
            p.partnerships_to_recreate.len()
        );
    }
    let access = plan(SplitOption::ManageAccess { keep: None });
    if let SplitImpact::ManageAccess(p) = &access.impact {
        println!(
            "option 1: {} membership changes, {} access changes",
            p.changes.len(),
            p.access_changes.len()
        );
    }

    c.bench_function("plan_split(full separation, 100k documents)", |b| {
        b.iter(|| black_box(plan(SplitOption::FullSeparation { exported: None })))
    });
    c.bench_function("plan_split(manage access, 100k documents)", |b| {
        b.iter(|| black_box(plan(SplitOption::ManageAccess { keep: None })))
    });
    c.bench_function("check_fresh(100k documents)", |b| {
        b.iter(|| black_box(check_fresh(&f.world, &separation)))
    });
}

criterion_group! {
    name = group;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = benches
}

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
}

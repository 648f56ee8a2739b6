//! Property tests: random worlds and random command sequences against the simple
//! model in `model.rs`, and the invariants of the engine (STYLE.md, tests §2).

use super::model;
use preflight_core::access::{access, Access};
use preflight_core::generate::{Synthetic, SyntheticConfig};
use preflight_core::project::{Sets, Visibility};
use preflight_core::*;
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random world: a small synthetic one, then `steps` random commands applied.
pub struct Run {
    pub world: World,
    pub attempted: usize,
    pub accepted: usize,
}

fn users(world: &World) -> Vec<&User> {
    let mut v: Vec<&User> = world.users().collect();
    v.sort_by_key(|u| u.id);
    v
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> Option<&'a T> {
    items.choose(rng)
}

fn administrators_of(world: &World, environment: EnvironmentId) -> Vec<UserId> {
    world.administrators_of(environment).map(|u| u.id).collect()
}

/// A command that picks existing ids, with an actor likely to be allowed.
pub fn random_command(world: &World, rng: &mut ChaCha8Rng) -> Option<(Actor, Command)> {
    let all_users = users(world);
    let mut documents: Vec<&Document> = world.documents().collect();
    documents.sort_by_key(|d| d.id);
    let mut organisations: Vec<&Organisation> = world.organisations().collect();
    organisations.sort_by_key(|o| o.id);
    let mut groups: Vec<&Group> = world.groups().collect();
    groups.sort_by_key(|g| g.id);
    let mut partnerships: Vec<&Partnership> = world.partnerships().collect();
    partnerships.sort_by_key(|p| p.id);
    let user_in = |rng: &mut ChaCha8Rng, env: EnvironmentId| -> Option<UserId> {
        let mut candidates: Vec<UserId> = world.users_of(env).to_vec();
        for p in world.partners_of(env) {
            candidates.extend_from_slice(world.users_of(p));
        }
        pick(rng, &candidates).copied()
    };
    let admin_of = |rng: &mut ChaCha8Rng, env: EnvironmentId| {
        pick(rng, &administrators_of(world, env)).copied()
    };
    let command = match rng.gen_range(0..22) {
        0 | 1 => {
            let org = pick(rng, &organisations)?;
            let actor = admin_of(rng, org.environment)?;
            let user = user_in(rng, org.environment)?;
            let role = if rng.gen_bool(0.3) {
                OrgRole::Manager
            } else {
                OrgRole::Member
            };
            (
                actor,
                Command::AddMember {
                    organisation: org.id,
                    user,
                    role,
                },
            )
        }
        2 => {
            let m = pick(rng, &world.memberships().copied().collect::<Vec<_>>())?.to_owned();
            let env = world.organisation(m.organisation)?.environment;
            (
                admin_of(rng, env)?,
                Command::RemoveMember {
                    organisation: m.organisation,
                    user: m.user,
                },
            )
        }
        3 | 4 => {
            let doc = pick(rng, &documents)?;
            let actor = if rng.gen_bool(0.7) {
                admin_of(rng, doc.environment)?
            } else {
                pick(rng, &all_users)?.id
            };
            let target_env = pick(rng, &{
                let mut v = world.partners_of(doc.environment);
                v.push(doc.environment);
                v
            })
            .copied()?;
            let grantee = match rng.gen_range(0..3) {
                0 => Grantee::User(*pick(rng, world.users_of(target_env))?),
                1 => Grantee::Group(*pick(rng, world.groups_of(target_env))?),
                _ => Grantee::Organisation(*pick(rng, world.organisations_of(target_env))?),
            };
            let level = [Level::View, Level::Edit, Level::Manage][rng.gen_range(0..3)];
            (
                actor,
                Command::ShareDocument {
                    document: doc.id,
                    grantee,
                    level,
                },
            )
        }
        5 => {
            let shares: Vec<Share> = world.shares().copied().collect();
            let s = pick(rng, &shares)?;
            let env = world.document(s.document)?.environment;
            (
                admin_of(rng, env)?,
                Command::UnshareDocument {
                    document: s.document,
                    grantee: s.grantee,
                },
            )
        }
        6 | 7 => {
            let g = pick(rng, &groups)?;
            let actor = *pick(
                rng,
                &world
                    .users_of(g.environment)
                    .iter()
                    .copied()
                    .filter(|u| world.user(*u).is_some_and(|u| u.is_advanced()))
                    .collect::<Vec<_>>(),
            )?;
            let user = user_in(rng, g.environment)?;
            (actor, Command::AddGroupMember { group: g.id, user })
        }
        8 => {
            let g = pick(rng, &groups)?;
            let user = *pick(rng, world.group_members(g.id))?;
            let actor = *pick(
                rng,
                &world
                    .users_of(g.environment)
                    .iter()
                    .copied()
                    .filter(|u| world.user(*u).is_some_and(|u| u.is_advanced()))
                    .collect::<Vec<_>>(),
            )?;
            (actor, Command::RemoveGroupMember { group: g.id, user })
        }
        9 => {
            let p = pick(rng, &partnerships)?;
            let side = if rng.gen_bool(0.5) {
                p.requester
            } else {
                p.accepter
            };
            (
                admin_of(rng, side)?,
                Command::EndPartnership { partnership: p.id },
            )
        }
        10 => {
            let u = pick(rng, &all_users)?;
            (
                admin_of(rng, u.environment)?,
                Command::DisableUser { user: u.id },
            )
        }
        11 => {
            let u = pick(rng, &all_users)?;
            (
                admin_of(rng, u.environment)?,
                Command::EnableUser { user: u.id },
            )
        }
        12 => {
            let u = pick(rng, &all_users)?;
            let role =
                [EnvRole::User, EnvRole::AdvancedUser, EnvRole::Administrator][rng.gen_range(0..3)];
            (
                admin_of(rng, u.environment)?,
                Command::AssignRole { user: u.id, role },
            )
        }
        13 => {
            let org = pick(rng, &organisations)?;
            let members = world.members_of(org.id);
            let actor = match pick(rng, members) {
                Some(m) if rng.gen_bool(0.7) => *m,
                _ => admin_of(rng, org.environment)?,
            };
            let doc_box = DocBox::ALL[rng.gen_range(0..3)];
            let n: u64 = rng.gen();
            (
                actor,
                Command::UploadDocument {
                    organisation: org.id,
                    doc_box,
                    name: format!("Upload {n}.xml"),
                    sha256: Sha256::of(&n.to_le_bytes()),
                    size: 100,
                    summary: None,
                },
            )
        }
        14 => {
            let doc = pick(rng, &documents)?;
            (
                admin_of(rng, doc.environment)?,
                Command::DeleteDocument { document: doc.id },
            )
        }
        15 => {
            let in_docs: Vec<&&Document> = documents
                .iter()
                .filter(|d| d.doc_box == DocBox::InboxIn)
                .collect();
            let doc = pick(rng, &in_docs)?;
            let starters = who_can(world, Action::Edit, Resource::Document(doc.id));
            let actor = pick(rng, &starters)?.user;
            let viewers = who_can(world, Action::View, Resource::Document(doc.id));
            let assignee = pick(rng, &viewers)?.user;
            (
                actor,
                Command::StartApprovalTask {
                    document: doc.id,
                    assignee,
                    note: None,
                },
            )
        }
        16 => {
            let tasks: Vec<&Task> = world.tasks().filter(|t| t.is_open()).collect();
            let t = pick(rng, &tasks)?;
            let viewers = who_can(world, Action::View, Resource::Document(t.document));
            let to = pick(rng, &viewers)?.user;
            match rng.gen_range(0..3) {
                0 => (t.assignee, Command::DelegateTask { task: t.id, to }),
                1 => (
                    t.assignee,
                    Command::ApproveTask {
                        task: t.id,
                        comment: None,
                    },
                ),
                _ => (
                    t.assignee,
                    Command::RejectTask {
                        task: t.id,
                        reason: "wrong amount".into(),
                    },
                ),
            }
        }
        17 => {
            let org = pick(rng, &organisations)?;
            let members = world.members_of(org.id);
            let actor = *pick(rng, members)?;
            (
                actor,
                Command::RetrieveConnectionKey {
                    organisation: org.id,
                },
            )
        }
        18 => {
            let actor = pick(rng, &all_users)?;
            (
                actor.id,
                Command::CreateGroup {
                    name: format!("Group {}", rng.gen::<u16>()),
                },
            )
        }
        19 => {
            // Propose to a random environment.
            let u = pick(rng, &all_users)?;
            let envs: Vec<EnvironmentId> = world.environments().map(|e| e.id).collect();
            (
                u.id,
                Command::ProposePartnership {
                    environment: *pick(rng, &envs)?,
                },
            )
        }
        20 => {
            let pending: Vec<&PartnershipRequest> = world
                .requests()
                .filter(|r| r.status == RequestStatus::Pending)
                .collect();
            let r = pick(rng, &pending)?;
            let actor = match &r.target {
                RequestTarget::Environment { environment } => admin_of(rng, *environment)?,
                RequestTarget::Email { email } => world.user_by_email(email)?.id,
            };
            (actor, Command::AcceptPartnershipRequest { request: r.id })
        }
        _ => {
            let org = pick(rng, &organisations)?;
            let partners = world.partners_of(org.environment);
            let env = *pick(rng, &partners)?;
            (
                admin_of(rng, env)?,
                Command::TakeOnCosts {
                    organisation: org.id,
                },
            )
        }
    };
    Some((Actor::user(command.0), command.1))
}

/// Runs a random world: a small synthetic base and `steps` random commands.
pub fn random_run(
    seed: u64,
    steps: usize,
    mut each: impl FnMut(&World, &Actor, &Command, &Context),
) -> Run {
    let (mut world, _) = Synthetic::build(&SyntheticConfig::small(seed));
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut run = Run {
        world: World::new(),
        attempted: 0,
        accepted: 0,
    };
    let mut tries = 0;
    while run.attempted < steps && tries < steps * 20 {
        tries += 1;
        let Some((actor, command)) = random_command(&world, &mut rng) else {
            continue;
        };
        run.attempted += 1;
        let ctx = Context::deterministic(
            Timestamp(1_800_000_000_000 + run.attempted as i64 * 60_000),
            u128::from(seed) << 32 | run.attempted as u128,
        );
        each(&world, &actor, &command, &ctx);
        if let Ok(events) = execute(&world, &actor, command, &ctx) {
            run.accepted += 1;
            for e in &events {
                world.apply(e);
            }
        }
    }
    run.world = world;
    run
}

fn all_resources(world: &World) -> Vec<Resource> {
    let mut r: Vec<Resource> = world
        .documents()
        .map(|d| Resource::Document(d.id))
        .collect();
    r.extend(world.organisations().map(|o| Resource::Organisation(o.id)));
    r.sort();
    r
}

fn actions_for(resource: Resource) -> &'static [Action] {
    match resource {
        Resource::Document(_) => &Action::DOCUMENT,
        Resource::Organisation(_) => &Action::ORGANISATION,
    }
}

/// Every (user, resource) access, recomputed from scratch.
fn full_access(world: &World) -> Vec<(UserId, Resource, Access)> {
    let mut out = Vec::new();
    for u in users(world) {
        for r in all_resources(world) {
            let a = access(world, u.id, r);
            if !a.is_none() {
                out.push((u.id, r, a));
            }
        }
    }
    out
}

pub fn full_diff(before: &World, after: &World) -> Vec<(UserId, Resource, Access, Access)> {
    let mut resources = all_resources(before);
    resources.extend(all_resources(after));
    resources.sort();
    resources.dedup();
    let mut user_ids: Vec<UserId> = users(before).iter().map(|u| u.id).collect();
    user_ids.extend(users(after).iter().map(|u| u.id));
    user_ids.sort();
    user_ids.dedup();
    let mut out = Vec::new();
    for u in &user_ids {
        for r in &resources {
            let (a, b) = (access(before, *u, *r), access(after, *u, *r));
            if a != b {
                out.push((*u, *r, a, b));
            }
        }
    }
    out
}

/// More cases in the slow suite (`PREFLIGHT_SLOW=1`, which CI sets).
fn cases() -> u32 {
    if std::env::var_os("PREFLIGHT_SLOW").is_some() {
        128
    } else {
        32
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

    #[test]
    fn engine_check_equals_the_simple_model(seed in any::<u64>()) {
        let run = random_run(seed, 40, |_, _, _, _| {});
        let world = &run.world;
        for u in users(world) {
            for r in all_resources(world) {
                for a in actions_for(r) {
                    let engine = check(world, u.id, *a, r).allowed;
                    let model = model::allows(world, u.id, *a, r);
                    prop_assert_eq!(engine, model, "user {:?} action {:?} resource {:?}", u.id, a, r);
                }
            }
        }
    }

    #[test]
    fn no_access_across_environments_without_an_active_partnership(seed in any::<u64>()) {
        let run = random_run(seed, 40, |_, _, _, _| {});
        let world = &run.world;
        for (user, resource, _) in full_access(world) {
            let u = world.user(user).unwrap();
            let env = match resource {
                Resource::Document(d) => world.document(d).unwrap().environment,
                Resource::Organisation(o) => world.organisation(o).unwrap().environment,
            };
            prop_assert!(model::reaches(world, u, env), "{:?} reaches {:?} across environments", user, resource);
        }
    }

    #[test]
    fn refused_commands_change_nothing_and_previews_equal_execution(seed in any::<u64>()) {
        let mut failures = Vec::new();
        random_run(seed, 30, |world, actor, command, ctx| {
            let before = world.clone();
            let outcome = execute(world, actor, command.clone(), ctx);
            let shown = preview(world, actor, command.clone(), ctx);
            if *world != before {
                failures.push(format!("{command:?} changed the world"));
            }
            match outcome {
                Err(e) => {
                    if shown.allowed || shown.error.as_ref() != Some(&e) || !shown.access_changes.is_empty() {
                        failures.push(format!("refused {command:?} previewed as {shown:?}"));
                    }
                }
                Ok(events) => {
                    if !shown.allowed || shown.events != events {
                        failures.push(format!("preview of {command:?} differs from execution"));
                    }
                    let mut after = world.clone();
                    for e in &events { after.apply(e); }
                    let full = full_diff(world, &after);
                    let mut previewed: Vec<_> = shown.access_changes.iter().map(|c| (c.user, c.resource, c.before, c.after)).collect();
                    previewed.sort();
                    if full != previewed {
                        failures.push(format!("access changes of {command:?}: full {full:?} previewed {previewed:?}"));
                    }
                }
            }
        });
        prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_projection_holds_only_what_its_user_may_see_and_answers_alike(seed in any::<u64>()) {
        let run = random_run(seed, 30, |_, _, _, _| {});
        let world = &run.world;
        for viewer in users(world) {
            let slice = project(world, viewer.id);
            if !viewer.is_active() {
                prop_assert_eq!(slice.stats().documents, 0);
                continue;
            }
            for d in slice.documents() {
                prop_assert!(check(world, viewer.id, Action::View, Resource::Document(d.id)).allowed, "{:?} sees {:?}", viewer.id, d.id);
            }
            let vis = Visibility::of(world, viewer.id).unwrap();
            for o in slice.organisations() {
                prop_assert!(vis.organisation_name(o.id));
                if !o.participant_id.is_empty() {
                    prop_assert!(check(world, viewer.id, Action::ViewOrganisation, Resource::Organisation(o.id)).allowed);
                }
            }
            for u in slice.users() {
                let same = u.environment == viewer.environment;
                let partner = viewer.is_advanced() && world.active_partnership(u.environment, viewer.environment).is_some();
                prop_assert!(same || partner, "{:?} sees user {:?}", viewer.id, u.id);
            }
            // A group of another environment shows its name only with a member
            // from the viewer's environment (DOMAIN §1).
            for g in slice.groups() {
                let own = g.environment == viewer.environment;
                let with_member = world.group_members(g.id).iter().any(|m| world.user(*m).is_some_and(|m| m.environment == viewer.environment));
                prop_assert!(own || with_member, "{:?} sees group {:?}", viewer.id, g.id);
            }
            // Every check the viewer may ask answers alike on the slice.
            for r in all_resources(world) {
                for a in actions_for(r) {
                    let whole = check(world, viewer.id, *a, r);
                    let part = check(&slice, viewer.id, *a, r);
                    prop_assert_eq!(whole.allowed, part.allowed, "own check {:?} {:?}", a, r);
                    if vis.pair(viewer.id, r) {
                        prop_assert_eq!(&whole.reasons, &part.reasons);
                    }
                }
                if viewer.role == EnvRole::Administrator {
                    for x in slice.users() {
                        if vis.pair(x.id, r) {
                            for a in actions_for(r) {
                                prop_assert_eq!(check(world, x.id, *a, r), check(&slice, x.id, *a, r), "admin asks about {:?}", x.id);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn visibility_one_question_at_a_time_equals_the_projection_sets(seed in any::<u64>()) {
        let run = random_run(seed, 30, |_, _, _, _| {});
        let world = &run.world;
        for viewer in users(world) {
            let (Some(sets), Some(lazy)) = (Sets::of(world, viewer.id), Visibility::of(world, viewer.id)) else {
                prop_assert!(Visibility::of(world, viewer.id).is_none());
                continue;
            };
            for u in world.users() {
                prop_assert_eq!(sets.user(u.id), lazy.user(u.id), "user {:?}", u.id);
            }
            for o in world.organisations() {
                prop_assert_eq!(sets.organisation(o.id), lazy.organisation(o.id), "organisation {:?}", o.id);
                prop_assert_eq!(sets.organisation_name(o.id), lazy.organisation_name(o.id), "name of {:?}", o.id);
            }
            for g in world.groups() {
                prop_assert_eq!(sets.group(g.id), lazy.group(g.id), "group {:?}", g.id);
                prop_assert_eq!(sets.group_known(g.id), lazy.group_known(g.id), "known group {:?}", g.id);
            }
            for r in all_resources(world) {
                if let Resource::Document(d) = r {
                    prop_assert_eq!(sets.document(d), lazy.document(d));
                }
                for u in world.users() {
                    prop_assert_eq!(sets.pair(u.id, r), lazy.pair(u.id, r));
                }
            }
        }
    }

    #[test]
    fn previews_on_a_projection_agree_with_the_whole_world(seed in any::<u64>()) {
        let mut failures = Vec::new();
        random_run(seed, 30, |world, actor, command, ctx| {
            let Some(user) = actor.user_id() else { return };
            let Some(vis) = Visibility::of(world, user) else { return };
            let slice = project(world, user);
            let whole = preview(world, actor, command.clone(), ctx);
            let part = preview(&slice, actor, command.clone(), ctx);
            if !part.unconfirmed.is_empty() {
                return;
            }
            let visible = |u: UserId, r: Resource| vis.pair(u, r);
            let (a, b) = (whole.outcome(visible), part.outcome(visible));
            if a != b {
                failures.push(format!("{command:?}\nwhole {a:?}\nslice {b:?}"));
            }
        });
        prop_assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    /// A check reads indexes only; `apply` keeps them up to date event by event.
    #[test]
    fn the_indexes_apply_maintains_equal_those_rebuilt_from_the_tables(seed in any::<u64>()) {
        let run = random_run(seed, 40, |_, _, _, _| {});
        let disagreeing = run.world.indexes_disagreeing_with_tables();
        prop_assert!(disagreeing.is_empty(), "{:?}", disagreeing);
    }

    #[test]
    fn worlds_commands_and_events_survive_a_json_round_trip(seed in any::<u64>()) {
        let mut commands = Vec::new();
        let run = random_run(seed, 20, |_, _, command, _| commands.push(command.clone()));
        let json = serde_json::to_string(&run.world).unwrap();
        let back: World = serde_json::from_str(&json).unwrap();
        prop_assert!(back == run.world);
        for c in commands {
            let text = serde_json::to_string(&c).unwrap();
            prop_assert_eq!(serde_json::from_str::<Command>(&text).unwrap(), c);
        }
    }
}

#[test]
fn generated_command_sequences_are_mostly_meaningful() {
    let mut attempted = 0;
    let mut accepted = 0;
    for seed in 0..8 {
        let run = random_run(seed, 60, |_, _, _, _| {});
        attempted += run.attempted;
        accepted += run.accepted;
    }
    assert!(attempted >= 400, "{attempted}");
    assert!(
        accepted * 100 >= attempted * 30,
        "only {accepted} of {attempted} accepted"
    );
}

#[test]
fn events_survive_a_json_round_trip() {
    let demo = preflight_core::generate::demo();
    for e in &demo.events {
        let text = serde_json::to_string(e).unwrap();
        assert_eq!(&serde_json::from_str::<Event>(&text).unwrap(), e);
    }
}

/// The server reads JSON written by anyone, in any field order (a JSON value's
/// map sorts its keys): a trail entry's time need not come first.
#[test]
fn a_trail_entry_is_read_whatever_the_order_of_its_fields() {
    use preflight_core::model::{TrailEntry, TrailStep};
    let by = preflight_core::UserId::from_u128(1);
    let entry = TrailEntry {
        at: preflight_core::Timestamp(5),
        step: TrailStep::Approved {
            by,
            comment: Some("fine".into()),
        },
    };
    let written = serde_json::to_value(&entry).unwrap();
    let reordered = format!(
        r#"{{"by": {}, "comment": "fine", "step": "Approved", "at": {}}}"#,
        written["by"], written["at"]
    );
    assert_eq!(
        serde_json::from_str::<TrailEntry>(&reordered).unwrap(),
        entry
    );
    assert_eq!(
        serde_json::from_value::<TrailEntry>(written).unwrap(),
        entry
    );
}

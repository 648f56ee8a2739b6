//! Property tests: random worlds and random command sequences against the simple
//! model in `model.rs`, and the invariants of the engine (STYLE.md, tests §2).

use super::model;
use preflight_core::access::{access, Access};
use preflight_core::generate::random_world;
use preflight_core::project::{Sets, Visibility};
use preflight_core::*;
use proptest::prelude::*;

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

/// Runs a random world: a small synthetic base and `steps` random commands
/// (`preflight_core::generate::random_world`).
pub fn random_run(
    seed: u64,
    steps: usize,
    each: impl FnMut(&World, &Actor, &Command, &Context),
) -> Run {
    let (world, attempted, accepted) = random_world(seed, steps, each);
    Run {
        world,
        attempted,
        accepted,
    }
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
        Resource::Environment(_) => &Action::ENVIRONMENT,
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
    // The environment's own actions too: a preview says when a role or an
    // account's state gives or takes them.
    resources.extend(
        before
            .environments()
            .chain(after.environments())
            .map(|e| Resource::Environment(e.id)),
    );
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
        let environments: Vec<Resource> = world.environments().map(|e| Resource::Environment(e.id)).collect();
        for u in users(world) {
            for r in all_resources(world).into_iter().chain(environments.iter().copied()) {
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
                Resource::Environment(e) => e,
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
            // The whole world holds every fact: nothing there is unconfirmed.
            if !whole.unconfirmed.is_empty() {
                failures.push(format!("{command:?}: unconfirmed on the whole world {:?}", whole.unconfirmed));
            }
            // A projection holds everything of the viewer's own environment:
            // a fact of it is never left to the server.
            let home = vis.viewer().environment;
            for fact in &part.unconfirmed {
                let own = match fact {
                    Unconfirmed::CostBearerCredit { environment }
                    | Unconfirmed::PartnerEnvironment { environment }
                    | Unconfirmed::EffectsInPartnerEnvironment { environment } => *environment == home,
                    Unconfirmed::AssigneeCanView { user: assignee } => *assignee == user,
                    _ => false,
                };
                if own {
                    failures.push(format!("{command:?}: {fact:?} is the viewer's own"));
                }
            }
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

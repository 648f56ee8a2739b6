//! The same engine, proven: one function, [`answer`], compiled natively and to
//! wasm32 with the browser's profile (`wasm-release`, the browser's own serde
//! paths for tagged enums), fed the same cases, must give the same bytes.
//!
//! A case is a question the product asks the core: a check with its
//! explanation, who can and what can, a projection, a preview on the whole
//! world, a preview on a projection that went through JSON as the browser gets
//! it, a decision. [`cases`] draws them from seeded random worlds; the world
//! itself travels as JSON, written natively as the server writes it and read
//! on each side as that side reads it. `cargo xtask parity` runs both and
//! compares them line by line.

use preflight_core::generate::{random_command, random_world};
use preflight_core::{
    check, execute, preview, project, what_can, who_can, Action, Actor, Command, Context, Resource,
    ResourceKind, UserId, World,
};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One question to the core.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Case {
    Check {
        user: UserId,
        action: Action,
        resource: Resource,
    },
    WhoCan {
        action: Action,
        resource: Resource,
    },
    WhatCan {
        user: UserId,
        action: Action,
        kind: ResourceKind,
    },
    Project {
        user: UserId,
    },
    Preview {
        actor: Actor,
        command: Command,
        ctx: Context,
    },
    /// A preview on the user's projection, after a JSON round trip.
    PreviewOnProjection {
        user: UserId,
        command: Command,
        ctx: Context,
    },
    Execute {
        actor: Actor,
        command: Command,
        ctx: Context,
    },
}

/// A world and the questions asked of it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Input {
    pub world: World,
    pub cases: Vec<Case>,
}

/// The cases of seed `seed`, as JSON: a random world and about six hundred
/// questions on it.
pub fn cases(seed: u64) -> String {
    let (world, _, _) = random_world(seed, 40, |_, _, _, _| {});
    cases_on(world, seed)
}

/// The cases on the demo world (its people's names, its invoices' summaries),
/// drawn with `seed`.
pub fn demo_cases(seed: u64) -> String {
    cases_on(preflight_core::generate::demo().world, seed)
}

fn cases_on(world: World, seed: u64) -> String {
    let mut commands = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7a1e);
    let mut users: Vec<UserId> = world.users().map(|u| u.id).collect();
    users.sort();
    let mut resources: Vec<Resource> = world
        .documents()
        .map(|d| Resource::Document(d.id))
        .chain(world.organisations().map(|o| Resource::Organisation(o.id)))
        .collect();
    resources.sort();
    resources.extend(world.environments().map(|e| Resource::Environment(e.id)));
    let actions = |resource: Resource| -> &'static [Action] {
        match resource {
            Resource::Document(_) => &Action::DOCUMENT,
            Resource::Organisation(_) => &Action::ORGANISATION,
            Resource::Environment(_) => &Action::ENVIRONMENT,
        }
    };
    let mut cases = Vec::new();
    for user in users.choose_multiple(&mut rng, 12) {
        cases.push(Case::Project { user: *user });
        for kind in [
            ResourceKind::Document,
            ResourceKind::Organisation,
            ResourceKind::Environment,
        ] {
            let action = match kind {
                ResourceKind::Document => Action::View,
                ResourceKind::Organisation => Action::ViewOrganisation,
                ResourceKind::Environment => Action::ManageGroups,
            };
            cases.push(Case::WhatCan {
                user: *user,
                action,
                kind,
            });
        }
        for resource in resources.choose_multiple(&mut rng, 6) {
            for action in actions(*resource) {
                cases.push(Case::Check {
                    user: *user,
                    action: *action,
                    resource: *resource,
                });
            }
        }
    }
    for resource in resources.choose_multiple(&mut rng, 12) {
        for action in actions(*resource) {
            cases.push(Case::WhoCan {
                action: *action,
                resource: *resource,
            });
        }
    }
    let mut n = 0u128;
    while commands.len() < 60 && n < 600 {
        n += 1;
        if let Some(pair) = random_command(&world, &mut rng) {
            commands.push(pair);
        }
    }
    for (i, (actor, command)) in commands.into_iter().enumerate() {
        let ctx = Context::deterministic(
            preflight_core::Timestamp(1_900_000_000_000 + i as i64),
            u128::from(seed) << 16 | i as u128,
        );
        if let Some(user) = actor.user_id() {
            cases.push(Case::PreviewOnProjection {
                user,
                command: command.clone(),
                ctx: ctx.clone(),
            });
        }
        cases.push(Case::Preview {
            actor: actor.clone(),
            command: command.clone(),
            ctx: ctx.clone(),
        });
        cases.push(Case::Execute {
            actor,
            command,
            ctx,
        });
    }
    serde_json::to_string(&Input { world, cases }).unwrap_or_default()
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|error| format!("unserialisable: {error}"))
}

/// One line per case (and a first line: the world as read, written again),
/// or one line saying why the input could not be read.
pub fn answer(input: &str) -> String {
    let input: Input = match serde_json::from_str(input) {
        Ok(input) => input,
        Err(error) => return format!("unreadable input: {error}\n"),
    };
    let world = &input.world;
    let mut out = json(world);
    out.push('\n');
    for case in &input.cases {
        let line = match case {
            Case::Check {
                user,
                action,
                resource,
            } => {
                let decision = check(world, *user, *action, *resource);
                let explanation = decision.explain(world);
                json(&(decision, explanation))
            }
            Case::WhoCan { action, resource } => {
                let answers = who_can(world, *action, *resource);
                let sentences: Vec<Vec<String>> = answers
                    .iter()
                    .map(|a| a.reasons.iter().map(|r| r.render(world)).collect())
                    .collect();
                json(&(answers, sentences))
            }
            Case::WhatCan { user, action, kind } => json(&what_can(world, *user, *action, *kind)),
            Case::Project { user } => json(&project(world, *user)),
            Case::Preview {
                actor,
                command,
                ctx,
            } => {
                let shown = preview(world, actor, command.clone(), ctx);
                let unconfirmed: Vec<String> =
                    shown.unconfirmed.iter().map(|u| u.render(world)).collect();
                json(&(shown, unconfirmed))
            }
            Case::PreviewOnProjection { user, command, ctx } => {
                // As the browser has it: the server's JSON, read back.
                let sent = json(&project(world, *user));
                match serde_json::from_str::<World>(&sent) {
                    Ok(slice) => {
                        let shown = preview(&slice, &Actor::user(*user), command.clone(), ctx);
                        let unconfirmed: Vec<String> =
                            shown.unconfirmed.iter().map(|u| u.render(&slice)).collect();
                        json(&(shown, unconfirmed))
                    }
                    Err(error) => format!("unreadable projection: {error}"),
                }
            }
            Case::Execute {
                actor,
                command,
                ctx,
            } => json(&execute(world, actor, command.clone(), ctx)),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// [`answer`] for JavaScript (the wasm build, run by Node).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = answer)]
pub fn answer_js(input: &str) -> String {
    answer(input)
}

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

use preflight_core::access::{access, Access};
use preflight_core::generate::{random_command, random_world};
use preflight_core::preview::{execute_as_previewed, Outcome, Refusal};
use preflight_core::project::Visibility;
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
    /// What the browser shows and sends: the outcome of a preview on the
    /// user's projection (read back from JSON), restricted to what the user
    /// may see, and the facts it leaves to the server. [`judge`] holds the
    /// wasm build's answer against the server's decision.
    Browser {
        user: UserId,
        command: Command,
        ctx: Context,
    },
}

/// The browser's side of a [`Case::Browser`].
#[derive(Debug, Serialize, Deserialize)]
pub struct Shown {
    pub outcome: Outcome,
    /// The facts only the server can confirm, in the viewer's words.
    pub unconfirmed: Vec<String>,
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
            // Only a user who can sign in has a browser.
            if world.user(user).is_some_and(|u| u.is_active()) {
                cases.push(Case::Browser {
                    user,
                    command: command.clone(),
                    ctx: ctx.clone(),
                });
            }
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
            Case::Browser { user, command, ctx } => match browser(world, *user, command, ctx) {
                Ok(shown) => json(&shown),
                Err(error) => error,
            },
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// What the browser shows for `command`: the preview on `user`'s projection,
/// as the server ships it (JSON) and the web app reads it, and the outcome
/// the web app sends with the command (`frontend/src/components/preview_panel.rs`).
fn browser(world: &World, user: UserId, command: &Command, ctx: &Context) -> Result<Shown, String> {
    let sent = json(&project(world, user));
    let slice: World =
        serde_json::from_str(&sent).map_err(|e| format!("unreadable projection: {e}"))?;
    let shown = preview(&slice, &Actor::user(user), command.clone(), ctx);
    let outcome = match Visibility::of(&slice, user) {
        Some(vis) => shown.outcome(|u, r| vis.pair(u, r)),
        None => shown.outcome(|_, _| false),
    };
    Ok(Shown {
        outcome,
        unconfirmed: shown.unconfirmed.iter().map(|u| u.render(&slice)).collect(),
    })
}

/// How the browser's previews fared against the server.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Previews shown without a fact left to the server (allowed ones among them).
    pub confirmed: usize,
    pub confirmed_allowed: usize,
    /// Previews that said which facts the server will confirm.
    pub unconfirmed: usize,
    pub failures: Vec<String>,
}

/// The access changes `events` make, recomputed from scratch on the whole
/// world, for the pairs `vis` (the actor's, before the command) may see.
fn executed_changes(
    world: &World,
    events: &[preflight_core::Event],
    vis: &Visibility,
) -> Vec<(UserId, Resource, Access, Access)> {
    let mut after = world.clone();
    for event in events {
        after.apply(event);
    }
    let resources = |w: &World| -> Vec<Resource> {
        w.documents()
            .map(|d| Resource::Document(d.id))
            .chain(w.organisations().map(|o| Resource::Organisation(o.id)))
            .chain(w.environments().map(|e| Resource::Environment(e.id)))
            .collect()
    };
    let mut all = resources(world);
    all.extend(resources(&after));
    all.sort();
    all.dedup();
    let mut users: Vec<UserId> = world.users().chain(after.users()).map(|u| u.id).collect();
    users.sort();
    users.dedup();
    let mut changes = Vec::new();
    for user in &users {
        for resource in all.iter().filter(|r| vis.pair(*user, **r)) {
            let (before, now) = (
                access(world, *user, *resource),
                access(&after, *user, *resource),
            );
            if before != now {
                changes.push((*user, *resource, before, now));
            }
        }
    }
    changes
}

/// The preview-truth property, with the browser's answers from `browser_answers`
/// (the wasm build's output for `input`): every outcome the browser showed
/// without leaving a fact to the server is what the server decides when the
/// command is sent with that outcome (never `preview_outdated`), and, when
/// allowed, the access changes it showed are those execution makes. The
/// server decides with other fresh ids than the browser previewed with, as it
/// does.
pub fn judge(input: &str, browser_answers: &str) -> Result<Verdict, String> {
    let input: Input = serde_json::from_str(input).map_err(|e| format!("unreadable input: {e}"))?;
    let world = &input.world;
    let mut lines = browser_answers.lines().skip(1);
    let mut verdict = Verdict::default();
    for (i, case) in input.cases.iter().enumerate() {
        let line = lines
            .next()
            .ok_or_else(|| format!("the browser's answers stop before case {i}"))?;
        let Case::Browser { user, command, ctx } = case else {
            continue;
        };
        let shown: Shown = serde_json::from_str(line)
            .map_err(|e| format!("case {i}: the browser's answer is unreadable: {e}"))?;
        if !shown.unconfirmed.is_empty() {
            verdict.unconfirmed += 1;
            continue;
        }
        verdict.confirmed += 1;
        let actor = Actor::user(*user);
        let server_ctx = Context::deterministic(ctx.now, (i as u128) << 64 | 0x5e);
        let decided = execute_as_previewed(
            world,
            &actor,
            command.clone(),
            &server_ctx,
            Some(&shown.outcome),
        );
        let fail = |what: String| format!("case {i}, {command:?} by {user:?}: {what}");
        match decided {
            Err(Refusal::Outdated { now, .. }) => verdict.failures.push(fail(format!(
                "the browser showed {:?}, the server decides {now:?}",
                shown.outcome
            ))),
            Err(Refusal::Refused(error)) => {
                if shown.outcome.allowed
                    || shown.outcome.error_code.as_deref() != Some(error.code())
                {
                    verdict.failures.push(fail(format!(
                        "the browser showed {:?}, the server refuses: {error}",
                        shown.outcome
                    )));
                }
            }
            Ok(events) => {
                verdict.confirmed_allowed += 1;
                let vis = Visibility::of(world, *user)
                    .ok_or_else(|| fail("the server accepted a user it cannot see".into()))?;
                let done = executed_changes(world, &events, &vis);
                if !shown.outcome.allowed || done != shown.outcome.changes {
                    verdict.failures.push(fail(format!(
                        "the browser showed {:?}, execution changed {done:?}",
                        shown.outcome
                    )));
                }
            }
        }
    }
    Ok(verdict)
}

/// [`answer`] for JavaScript (the wasm build, run by Node).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = answer)]
pub fn answer_js(input: &str) -> String {
    answer(input)
}

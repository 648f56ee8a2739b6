//! Random commands on a world, for the property tests and the comparison of
//! the native and the wasm builds: each picks existing ids and an actor likely
//! to be allowed, so that most of them are accepted and the world moves.

use crate::access::{who_can, Action, Resource};
use crate::generate::{Synthetic, SyntheticConfig};
use crate::model::command::Context;
use crate::model::command::{Actor, Command};
use crate::model::ids::*;
use crate::model::*;
use crate::world::World;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn users(world: &World) -> Vec<&User> {
    let mut v: Vec<&User> = world.users().collect();
    v.sort_by_key(|u| u.id);
    v
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> Option<&'a T> {
    items.choose(rng)
}

/// One of three, drawn as `gen_range(0..3)` over `usize`.
fn one_of<T: Copy>(rng: &mut ChaCha8Rng, items: [T; 3]) -> T {
    let [a, b, c] = items;
    match rng.gen_range(0..3usize) {
        0 => a,
        1 => b,
        _ => c,
    }
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
            let level = one_of(rng, [Level::View, Level::Edit, Level::Manage]);
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
            let role = one_of(
                rng,
                [EnvRole::User, EnvRole::AdvancedUser, EnvRole::Administrator],
            );
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
            let doc_box = one_of(rng, DocBox::ALL);
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

/// A small synthetic world after up to `steps` random commands, and each
/// command tried on the way (with the world before it and its context).
pub fn random_world(
    seed: u64,
    steps: usize,
    mut each: impl FnMut(&World, &Actor, &Command, &Context),
) -> (World, usize, usize) {
    let (mut world, _) = Synthetic::build(&SyntheticConfig::small(seed));
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let (mut attempted, mut accepted) = (0, 0);
    let mut tries = 0;
    while attempted < steps && tries < steps * 20 {
        tries += 1;
        let Some((actor, command)) = random_command(&world, &mut rng) else {
            continue;
        };
        attempted += 1;
        let ctx = Context::deterministic(
            Timestamp(1_800_000_000_000 + attempted as i64 * 60_000),
            u128::from(seed) << 32 | attempted as u128,
        );
        each(&world, &actor, &command, &ctx);
        if let Ok(events) = crate::execute(&world, &actor, command, &ctx) {
            accepted += 1;
            for e in &events {
                world.apply(e);
            }
        }
    }
    (world, attempted, accepted)
}

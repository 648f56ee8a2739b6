//! Something the actor may not see answers exactly as something that does not
//! exist (DOMAIN §1, last line): for random worlds and every command kind, a
//! command naming an id the actor cannot see — one that appears nowhere in the
//! actor's projection — gets the same answer as the command with a fresh random
//! id in its place, once the fresh id is put back. Answers are the decision
//! (events or error, with its message) and the preview as the server shows it.

use super::props::random_run;
use preflight_core::preview::visible_preview;
use preflight_core::split::SplitOption;
use preflight_core::*;
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Every kind of command a signed-in user can send.
const KINDS: &[&str] = &[
    "InviteUser",
    "RevokeInvitation",
    "AssignRole",
    "SetRelationshipManager",
    "DisableUser",
    "EnableUser",
    "SetPlan",
    "SetAddOn",
    "TopUpCredit",
    "AddOrganisation",
    "RenameOrganisation",
    "ActivateOrganisation",
    "RetrieveConnectionKey",
    "RevokeConnectionKey",
    "ConfigureSoftwareConnection",
    "AddMember",
    "ChangeMemberRole",
    "RemoveMember",
    "SendAuthorisationRequest",
    "ProposePartnership",
    "AcceptPartnershipRequest",
    "DeclinePartnershipRequest",
    "WithdrawPartnershipRequest",
    "EndPartnership",
    "ConnectRelationshipManager",
    "DisconnectRelationshipManager",
    "TakeOnCosts",
    "ReleaseCosts",
    "UploadDocument",
    "DeleteDocument",
    "ShareDocument",
    "UnshareDocument",
    "SendDocument",
    "ReceiveDocument",
    "CreateGroup",
    "RenameGroup",
    "DeleteGroup",
    "AddGroupMember",
    "RemoveGroupMember",
    "StartApprovalTask",
    "ApproveTask",
    "RejectTask",
    "DelegateTask",
    "ApplyAccessPlan",
    "ExportOrganisation",
    "AuthoriseRemoval",
    "ExecuteRemoval",
    "ImportBundle",
    "SignUp",
    "AcceptInvitation",
];

/// Ids of every kind in `world`, any environment: what a prober could name.
struct Pool {
    environments: Vec<EnvironmentId>,
    users: Vec<UserId>,
    organisations: Vec<OrganisationId>,
    documents: Vec<DocumentId>,
    groups: Vec<GroupId>,
    partnerships: Vec<PartnershipId>,
    requests: Vec<RequestId>,
    invitations: Vec<InvitationId>,
    keys: Vec<KeyId>,
    tasks: Vec<TaskId>,
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

impl Pool {
    fn of(world: &World) -> Pool {
        Pool {
            environments: sorted(world.environments().map(|e| e.id).collect()),
            users: sorted(world.users().map(|u| u.id).collect()),
            organisations: sorted(world.organisations().map(|o| o.id).collect()),
            documents: sorted(world.documents().map(|d| d.id).collect()),
            groups: sorted(world.groups().map(|g| g.id).collect()),
            partnerships: sorted(world.partnerships().map(|p| p.id).collect()),
            requests: sorted(world.requests().map(|r| r.id).collect()),
            invitations: sorted(world.invitations().map(|i| i.id).collect()),
            keys: sorted(world.keys().map(|k| k.id).collect()),
            tasks: sorted(world.tasks().map(|t| t.id).collect()),
        }
    }
}

fn pick_id<T: Copy>(rng: &mut ChaCha8Rng, items: &[T], fresh: impl Fn(Uuid) -> T) -> T {
    match items.choose(rng) {
        Some(item) if rng.gen_bool(0.95) => *item,
        _ => fresh(Uuid::from_u128(rng.gen())),
    }
}

fn grantee(rng: &mut ChaCha8Rng, pool: &Pool) -> Grantee {
    match rng.gen_range(0..3) {
        0 => Grantee::User(pick_id(rng, &pool.users, UserId)),
        1 => Grantee::Group(pick_id(rng, &pool.groups, GroupId)),
        _ => Grantee::Organisation(pick_id(rng, &pool.organisations, OrganisationId)),
    }
}

/// A command of `kind` naming ids drawn from the whole world.
fn command(kind: &str, rng: &mut ChaCha8Rng, world: &World, pool: &Pool) -> Option<Command> {
    let user = |rng: &mut ChaCha8Rng| pick_id(rng, &pool.users, UserId);
    let organisation = |rng: &mut ChaCha8Rng| pick_id(rng, &pool.organisations, OrganisationId);
    let document = |rng: &mut ChaCha8Rng| pick_id(rng, &pool.documents, DocumentId);
    let group = |rng: &mut ChaCha8Rng| pick_id(rng, &pool.groups, GroupId);
    let partnership = |rng: &mut ChaCha8Rng| pick_id(rng, &pool.partnerships, PartnershipId);
    let request = |rng: &mut ChaCha8Rng| pick_id(rng, &pool.requests, RequestId);
    let task = |rng: &mut ChaCha8Rng| pick_id(rng, &pool.tasks, TaskId);
    let environment = |rng: &mut ChaCha8Rng| pick_id(rng, &pool.environments, EnvironmentId);
    let role = |rng: &mut ChaCha8Rng| {
        [EnvRole::User, EnvRole::AdvancedUser, EnvRole::Administrator][rng.gen_range(0..3)]
    };
    let org_role = |rng: &mut ChaCha8Rng| {
        if rng.gen_bool(0.5) {
            OrgRole::Manager
        } else {
            OrgRole::Member
        }
    };
    let level =
        |rng: &mut ChaCha8Rng| [Level::View, Level::Edit, Level::Manage][rng.gen_range(0..3)];
    let n: u32 = rng.gen();
    Some(match kind {
        "InviteUser" => Command::InviteUser {
            email: format!("probe{n}@example.com"),
            name: format!("Probe {n}"),
            role: role(rng),
        },
        "RevokeInvitation" => Command::RevokeInvitation {
            invitation: pick_id(rng, &pool.invitations, InvitationId),
        },
        "AssignRole" => Command::AssignRole {
            user: user(rng),
            role: role(rng),
        },
        "SetRelationshipManager" => Command::SetRelationshipManager {
            user: user(rng),
            enabled: rng.gen(),
        },
        "DisableUser" => Command::DisableUser { user: user(rng) },
        "EnableUser" => Command::EnableUser { user: user(rng) },
        "SetPlan" => Command::SetPlan {
            environment: environment(rng),
            plan: Plan::Professional,
        },
        "SetAddOn" => Command::SetAddOn {
            environment: environment(rng),
            add_on: AddOn::WorkflowEngine,
            enabled: rng.gen(),
        },
        "TopUpCredit" => Command::TopUpCredit {
            environment: environment(rng),
            amount: 10,
        },
        "AddOrganisation" => Command::AddOrganisation {
            name: format!("Probe {n} BV"),
            participant_id: "0208:0123456749".into(),
        },
        "RenameOrganisation" => Command::RenameOrganisation {
            organisation: organisation(rng),
            name: format!("Renamed {n}"),
        },
        "ActivateOrganisation" => Command::ActivateOrganisation {
            organisation: organisation(rng),
        },
        "RetrieveConnectionKey" => Command::RetrieveConnectionKey {
            organisation: organisation(rng),
        },
        "RevokeConnectionKey" => Command::RevokeConnectionKey {
            key: pick_id(rng, &pool.keys, KeyId),
        },
        "ConfigureSoftwareConnection" => Command::ConfigureSoftwareConnection {
            organisation: organisation(rng),
            software: "Ledger".into(),
        },
        "AddMember" => Command::AddMember {
            organisation: organisation(rng),
            user: user(rng),
            role: org_role(rng),
        },
        "ChangeMemberRole" => Command::ChangeMemberRole {
            organisation: organisation(rng),
            user: user(rng),
            role: org_role(rng),
        },
        "RemoveMember" => {
            // Mostly an existing membership, so that the command gets far.
            let memberships: Vec<Membership> = world.memberships().copied().collect();
            match memberships.choose(rng) {
                Some(m) if rng.gen_bool(0.5) => Command::RemoveMember {
                    organisation: m.organisation,
                    user: m.user,
                },
                _ => Command::RemoveMember {
                    organisation: organisation(rng),
                    user: user(rng),
                },
            }
        }
        "SendAuthorisationRequest" => Command::SendAuthorisationRequest {
            email: format!("probe{n}@example.com"),
        },
        "ProposePartnership" => Command::ProposePartnership {
            environment: environment(rng),
        },
        "AcceptPartnershipRequest" => Command::AcceptPartnershipRequest {
            request: request(rng),
        },
        "DeclinePartnershipRequest" => Command::DeclinePartnershipRequest {
            request: request(rng),
        },
        "WithdrawPartnershipRequest" => Command::WithdrawPartnershipRequest {
            request: request(rng),
        },
        "EndPartnership" => Command::EndPartnership {
            partnership: partnership(rng),
        },
        "ConnectRelationshipManager" => Command::ConnectRelationshipManager {
            partnership: partnership(rng),
            user: user(rng),
        },
        "DisconnectRelationshipManager" => Command::DisconnectRelationshipManager {
            partnership: partnership(rng),
            user: user(rng),
        },
        "TakeOnCosts" => Command::TakeOnCosts {
            organisation: organisation(rng),
        },
        "ReleaseCosts" => Command::ReleaseCosts {
            organisation: organisation(rng),
        },
        "UploadDocument" => Command::UploadDocument {
            organisation: organisation(rng),
            doc_box: DocBox::InboxIn,
            name: format!("probe-{n}.xml"),
            sha256: Sha256::of(&n.to_le_bytes()),
            size: 10,
            summary: None,
        },
        "DeleteDocument" => Command::DeleteDocument {
            document: document(rng),
        },
        "ShareDocument" => Command::ShareDocument {
            document: document(rng),
            grantee: grantee(rng, pool),
            level: level(rng),
        },
        "UnshareDocument" => {
            let shares: Vec<Share> = world.shares().copied().collect();
            match shares.choose(rng) {
                Some(s) if rng.gen_bool(0.5) => Command::UnshareDocument {
                    document: s.document,
                    grantee: s.grantee,
                },
                _ => Command::UnshareDocument {
                    document: document(rng),
                    grantee: grantee(rng, pool),
                },
            }
        }
        "SendDocument" => Command::SendDocument {
            document: document(rng),
            to: "0208:0123456749".into(),
        },
        "ReceiveDocument" => Command::ReceiveDocument {
            to: "0208:0123456749".into(),
            name: "in.xml".into(),
            sha256: Sha256::of(b"in"),
            size: 2,
            summary: None,
        },
        "CreateGroup" => Command::CreateGroup {
            name: format!("Group {n}"),
        },
        "RenameGroup" => Command::RenameGroup {
            group: group(rng),
            name: format!("Group {n}"),
        },
        "DeleteGroup" => Command::DeleteGroup { group: group(rng) },
        "AddGroupMember" => Command::AddGroupMember {
            group: group(rng),
            user: user(rng),
        },
        "RemoveGroupMember" => {
            let g = group(rng);
            let member = world.group_members(g).choose(rng).copied();
            Command::RemoveGroupMember {
                group: g,
                user: match member {
                    Some(m) if rng.gen_bool(0.5) => m,
                    _ => user(rng),
                },
            }
        }
        "StartApprovalTask" => Command::StartApprovalTask {
            document: document(rng),
            assignee: user(rng),
            note: None,
        },
        "ApproveTask" => Command::ApproveTask {
            task: task(rng),
            comment: None,
        },
        "RejectTask" => Command::RejectTask {
            task: task(rng),
            reason: "wrong".into(),
        },
        "DelegateTask" => Command::DelegateTask {
            task: task(rng),
            to: user(rng),
        },
        "ApplyAccessPlan" | "AuthoriseRemoval" => {
            // A plan an Administrator of some environment was given.
            let env = environment(rng);
            let admin = world.administrators_of(env).next()?.id;
            let orgs: Vec<OrganisationId> = world
                .organisations_of(env)
                .iter()
                .copied()
                .filter(|o| {
                    world
                        .organisation(*o)
                        .is_some_and(|o| o.status != OrgStatus::Removed)
                })
                .take(1)
                .collect();
            let option = if kind == "ApplyAccessPlan" {
                SplitOption::ManageAccess { keep: None }
            } else {
                SplitOption::FullSeparation {
                    exported: Default::default(),
                }
            };
            let mut plan = plan_split(world, &Actor::user(admin), env, &orgs, option).ok()?;
            // Or a crafted one, whose fingerprint names more than the plan.
            if rng.gen_bool(0.5) {
                plan.fingerprint.users.push(user(rng));
                plan.fingerprint.organisations.push(organisation(rng));
            }
            if kind == "ApplyAccessPlan" {
                Command::ApplyAccessPlan {
                    plan: Box::new(plan),
                }
            } else {
                Command::AuthoriseRemoval {
                    organisation: *orgs.first()?,
                    export: Sha256::of(b"export"),
                    accept_loss: rng.gen(),
                    plan: rng.gen_bool(0.5).then(|| Box::new(plan)),
                }
            }
        }
        "ExportOrganisation" => Command::ExportOrganisation {
            organisation: organisation(rng),
            digest: Sha256::of(b"export"),
        },
        "ExecuteRemoval" => Command::ExecuteRemoval {
            organisation: organisation(rng),
        },
        "ImportBundle" => Command::ImportBundle {
            organisation: organisation(rng),
            bundle: Sha256::of(b"bundle"),
            participant_id: "0208:0123456749".into(),
            documents: Vec::new(),
        },
        "SignUp" => Command::SignUp {
            environment_name: format!("Probe {n}"),
            name: format!("Probe {n}"),
            email: format!("probe{n}@example.com"),
        },
        "AcceptInvitation" => Command::AcceptInvitation {
            invitation: pick_id(rng, &pool.invitations, InvitationId),
        },
        _ => return None,
    })
}

/// Every id a command names, as the text it is written with.
fn ids_in(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::String(text) if Uuid::parse_str(text).is_ok() => {
            out.insert(text.clone());
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| ids_in(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| ids_in(v, out)),
        _ => {}
    }
}

/// What the actor is answered: the decision, and the preview as the server
/// shows it to them, as JSON text.
fn answer(world: &World, actor: &Actor, command: &Command, ctx: &Context) -> String {
    let decided = execute(world, actor, command.clone(), ctx);
    let shown = visible_preview(world, actor, preview(world, actor, command.clone(), ctx));
    format!(
        "{}\n{}",
        serde_json::to_string(&decided).unwrap(),
        serde_json::to_string(&shown).unwrap(),
    )
}

/// A random world with some of everything: partnerships, shares, groups,
/// tasks and keys from the random run, then invitations, requests and
/// relationship managers.
fn world_for(seed: u64) -> World {
    let mut world = random_run(seed, 40, |_, _, _, _| {}).world;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9e0b);
    let environments: Vec<EnvironmentId> = sorted(world.environments().map(|e| e.id).collect());
    for (n, env) in environments.iter().enumerate() {
        let Some(admin) = world.administrators_of(*env).next().map(|u| u.id) else {
            continue;
        };
        let others: Vec<&User> = world
            .users()
            .filter(|u| u.environment != *env && u.is_advanced())
            .collect();
        let Some(other) = others.choose(&mut rng).map(|u| u.email.clone()) else {
            continue;
        };
        let rm = world.users_of(*env).first().copied();
        let mut setup = vec![
            (
                Actor::Support {
                    name: "support".into(),
                },
                Command::SetPlan {
                    environment: *env,
                    plan: Plan::Basic,
                },
            ),
            (
                Actor::user(admin),
                Command::InviteUser {
                    email: format!("invitee{n}@example.com"),
                    name: format!("Invitee {n}"),
                    role: EnvRole::User,
                },
            ),
            (
                Actor::user(admin),
                Command::SendAuthorisationRequest { email: other },
            ),
        ];
        if let Some(rm) = rm {
            setup.push((
                Actor::user(admin),
                Command::SetRelationshipManager {
                    user: rm,
                    enabled: true,
                },
            ));
            for p in world.partnerships_of(*env).to_vec() {
                setup.push((
                    Actor::user(admin),
                    Command::ConnectRelationshipManager {
                        partnership: p,
                        user: rm,
                    },
                ));
            }
        }
        for (i, (actor, command)) in setup.into_iter().enumerate() {
            let ctx = Context::deterministic(
                Timestamp(1_900_000_000_000),
                u128::from(seed) << 40 | (n as u128) << 8 | i as u128,
            );
            if let Ok(events) = execute(&world, &actor, command, &ctx) {
                for e in &events {
                    world.apply(e);
                }
            }
        }
    }
    world
}

/// Probes one random world; the failures, and the kinds probed with an id the
/// actor cannot see.
fn probe(seed: u64, probes: usize) -> (Vec<String>, BTreeMap<&'static str, usize>) {
    let world = world_for(seed);
    let pool = Pool::of(&world);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0b5e);
    let actors: Vec<UserId> = sorted(world.users().map(|u| u.id).collect());
    let mut projections: BTreeMap<UserId, String> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut covered: BTreeMap<&'static str, usize> = BTreeMap::new();
    for n in 0..probes {
        let kind = KINDS[n % KINDS.len()];
        let Some(&actor_id) = actors.choose(&mut rng) else {
            break;
        };
        let Some(command) = command(kind, &mut rng, &world, &pool) else {
            continue;
        };
        let actor = Actor::user(actor_id);
        let seen = projections
            .entry(actor_id)
            .or_insert_with(|| serde_json::to_string(&project(&world, actor_id)).unwrap());
        let text = serde_json::to_string(&command).unwrap();
        let mut ids = BTreeSet::new();
        ids_in(&serde_json::from_str(&text).unwrap(), &mut ids);
        let ctx = Context::deterministic(
            Timestamp(1_950_000_000_000),
            u128::from(seed) << 32 | n as u128,
        );
        for id in ids.iter().filter(|id| !seen.contains(id.as_str())) {
            *covered.entry(kind).or_default() += 1;
            let fresh = Uuid::from_u128(rng.gen()).to_string();
            let substituted: Command =
                serde_json::from_str(&text.replace(id.as_str(), &fresh)).unwrap();
            let real = answer(&world, &actor, &command, &ctx);
            let probed = answer(&world, &actor, &substituted, &ctx).replace(&fresh, id);
            if real != probed {
                failures.push(format!(
                    "{kind} by {actor_id:?} naming {id}, which they cannot see:\n  real  {real}\n  fresh {probed}"
                ));
            }
        }
    }
    (failures, covered)
}

/// More cases in the slow suite (`PREFLIGHT_SLOW=1`, which CI sets).
fn cases() -> u32 {
    if std::env::var_os("PREFLIGHT_SLOW").is_some() {
        48
    } else {
        12
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

    #[test]
    fn something_not_visible_answers_exactly_as_something_that_does_not_exist(seed in any::<u64>()) {
        let (failures, _) = probe(seed, 300);
        prop_assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }
}

/// The property above is tested for every kind of command that names an id.
#[test]
fn probing_covers_every_command_kind_that_names_an_id() {
    let mut covered: BTreeMap<&'static str, usize> = BTreeMap::new();
    for seed in 0..6 {
        let (failures, seen) = probe(seed, 600);
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        for (kind, n) in seen {
            *covered.entry(kind).or_default() += n;
        }
    }
    let without_ids = [
        "InviteUser",
        "AddOrganisation",
        "SendAuthorisationRequest",
        "ReceiveDocument",
        "CreateGroup",
        "SignUp",
    ];
    let missing: Vec<&&str> = KINDS
        .iter()
        .filter(|k| !without_ids.contains(k) && !covered.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "never probed: {missing:?}; probed {covered:?}"
    );
}

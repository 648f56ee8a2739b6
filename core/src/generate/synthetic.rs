//! Large synthetic worlds for benchmarks and property tests.

use super::{belgian_enterprise_number, company_name};
use crate::model::command::Event;
use crate::model::ids::*;
use crate::model::*;
use crate::world::World;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The shape of a synthetic world. The default is the core issue's benchmark world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntheticConfig {
    pub seed: u64,
    pub environments: usize,
    /// The first `firms` environments are accounting firms.
    pub firms: usize,
    pub clients_per_firm: usize,
    /// Percentage of firm–client partnerships that have since ended.
    pub ended_percent: u32,
    pub organisations_per_environment: usize,
    pub users_per_environment: usize,
    pub documents_per_organisation: usize,
    pub shares: usize,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            environments: 200,
            firms: 20,
            clients_per_firm: 50,
            ended_percent: 10,
            organisations_per_environment: 25,
            users_per_environment: 10,
            documents_per_organisation: 200,
            shares: 100_000,
        }
    }
}

impl SyntheticConfig {
    /// The same shape, `factor` times as large (environments, firms, shares).
    pub fn scaled(&self, factor: usize) -> Self {
        Self {
            environments: self.environments * factor,
            firms: self.firms * factor,
            shares: self.shares * factor,
            ..self.clone()
        }
    }

    /// A small world of the same shape, for tests.
    pub fn small(seed: u64) -> Self {
        Self {
            seed,
            environments: 12,
            firms: 2,
            clients_per_firm: 5,
            ended_percent: 20,
            organisations_per_environment: 3,
            users_per_environment: 6,
            documents_per_organisation: 4,
            shares: 60,
        }
    }
}

/// A firm–client partnership of a synthetic world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntheticPartnership {
    pub id: PartnershipId,
    pub firm: EnvironmentId,
    pub client: EnvironmentId,
    pub active: bool,
}

/// What the generator made, for benchmarks to pick their queries from.
#[derive(Clone, Debug, Default)]
pub struct Synthetic {
    pub environments: Vec<EnvironmentId>,
    pub firms: Vec<EnvironmentId>,
    /// Per firm, the accountant who is a member of organisations of every client.
    pub accountants: Vec<UserId>,
    pub partnerships: Vec<SyntheticPartnership>,
    /// Per environment, its users and organisations.
    pub users: Vec<Vec<UserId>>,
    pub organisations: Vec<Vec<OrganisationId>>,
    /// Groups, with the environment they belong to.
    pub groups: Vec<(GroupId, EnvironmentId)>,
    pub documents: usize,
}

const KIND_ENV: u128 = 1;
const KIND_USER: u128 = 2;
const KIND_ORG: u128 = 3;
const KIND_DOC: u128 = 4;
const KIND_GROUP: u128 = 5;
const KIND_PARTNERSHIP: u128 = 6;

fn id(kind: u128, a: usize, b: usize, c: usize) -> uuid::Uuid {
    uuid::Uuid::from_u128((kind << 120) | ((a as u128) << 64) | ((b as u128) << 32) | c as u128)
}

impl Synthetic {
    /// The id of document `k` of organisation `o` of environment `e`.
    pub fn document(e: usize, o: usize, k: usize) -> DocumentId {
        DocumentId(id(KIND_DOC, e, o, k))
    }
}

/// Generates a synthetic world, passing each event to `sink` in order, and
/// returns what it made.
pub fn synthetic(config: &SyntheticConfig, sink: &mut dyn FnMut(Event)) -> Synthetic {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut out = Synthetic::default();
    let at = Timestamp(1_780_000_000_000);
    let n_env = config.environments;
    let n_users = config.users_per_environment.max(5);

    for e in 0..n_env {
        let env = EnvironmentId(id(KIND_ENV, e, 0, 0));
        let firm = e < config.firms;
        let plan = if firm {
            Plan::Professional
        } else {
            Plan::Basic
        };
        let name = if firm {
            format!("{} Accountants {e}", company_name(e))
        } else {
            format!("{} {e}", company_name(e))
        };
        sink(Event::EnvironmentCreated {
            environment: env,
            name,
            plan,
            at,
        });
        sink(Event::CreditChanged {
            environment: env,
            organisation: None,
            amount: plan.included_credit(),
            reason: LedgerReason::Included,
            at,
        });
        if firm {
            sink(Event::AddOnSet {
                environment: env,
                add_on: AddOn::WorkflowEngine,
                enabled: true,
            });
            out.firms.push(env);
        }
        out.environments.push(env);
        let mut users = Vec::new();
        for u in 0..n_users {
            let user = UserId(id(KIND_USER, e, u, 0));
            let role = match u {
                0 => EnvRole::Administrator,
                1..=3 => EnvRole::AdvancedUser,
                _ => EnvRole::User,
            };
            sink(Event::UserCreated {
                user,
                environment: env,
                name: format!("User {u} of {e}"),
                email: format!("u{u}@env{e}.example"),
                role,
            });
            users.push(user);
        }
        let mut orgs = Vec::new();
        for o in 0..config.organisations_per_environment {
            let organisation = OrganisationId(id(KIND_ORG, e, o, 0));
            sink(Event::OrganisationAdded {
                organisation,
                environment: env,
                name: format!("{} {e}-{o}", company_name(e + o)),
                participant_id: belgian_enterprise_number((e * 1000 + o) as u64),
            });
            sink(Event::OrganisationActivated { organisation });
            // Two members and a manager of its own environment.
            for (u, role) in [
                (4 + o % (n_users - 4), OrgRole::Member),
                (1 + o % 3, OrgRole::Manager),
            ] {
                if let Some(user) = users.get(u) {
                    sink(Event::MembershipGranted {
                        user: *user,
                        organisation,
                        role,
                        at,
                    });
                }
            }
            orgs.push(organisation);
        }
        out.users.push(users);
        out.organisations.push(orgs);
    }

    // Partnerships: each firm with clients drawn from the non-firm environments.
    let clients: Vec<usize> = (config.firms..n_env).collect();
    let mut partners: Vec<Vec<usize>> = vec![Vec::new(); n_env];
    for f in 0..config.firms {
        let firm_env = EnvironmentId(id(KIND_ENV, f, 0, 0));
        let chosen: Vec<usize> = clients
            .choose_multiple(&mut rng, config.clients_per_firm.min(clients.len()))
            .copied()
            .collect();
        let accountant = UserId(id(KIND_USER, f, 1, 0));
        out.accountants.push(accountant);
        for (n, c) in chosen.into_iter().enumerate() {
            let client_env = EnvironmentId(id(KIND_ENV, c, 0, 0));
            let partnership = PartnershipId(id(KIND_PARTNERSHIP, f, c, 0));
            let request = RequestId(id(KIND_PARTNERSHIP, f, c, 1));
            sink(Event::PartnershipCreated {
                partnership,
                requester: firm_env,
                accepter: client_env,
                origin: PartnershipOrigin::AuthorisationRequest(request),
                accepted_by: UserId(id(KIND_USER, c, 0, 0)),
                at,
            });
            let active = rng.gen_range(0..100) >= config.ended_percent;
            out.partnerships.push(SyntheticPartnership {
                id: partnership,
                firm: firm_env,
                client: client_env,
                active,
            });
            if !active {
                sink(Event::PartnershipEnded {
                    partnership,
                    by: UserId(id(KIND_USER, c, 0, 0)),
                    at,
                });
                continue;
            }
            if let Some(list) = partners.get_mut(f) {
                list.push(c);
            }
            if let Some(list) = partners.get_mut(c) {
                list.push(f);
            }
            // The accountant is a member of two organisations of each client; a
            // colleague of one.
            let n_orgs = config.organisations_per_environment;
            for o in [n % n_orgs, (n + 1) % n_orgs] {
                sink(Event::MembershipGranted {
                    user: accountant,
                    organisation: OrganisationId(id(KIND_ORG, c, o, 0)),
                    role: OrgRole::Member,
                    at,
                });
            }
            sink(Event::MembershipGranted {
                user: UserId(id(KIND_USER, f, 2, 0)),
                organisation: OrganisationId(id(KIND_ORG, c, (n + 2) % n_orgs, 0)),
                role: OrgRole::Member,
                at,
            });
            // A finance team per client, in the firm's environment.
            let group = GroupId(id(KIND_GROUP, f, c, 0));
            sink(Event::GroupCreated {
                group,
                environment: firm_env,
                name: format!("Finance team {c}"),
            });
            sink(Event::GroupMemberAdded {
                group,
                user: accountant,
            });
            sink(Event::GroupMemberAdded {
                group,
                user: UserId(id(KIND_USER, c, 4, 0)),
            });
            out.groups.push((group, firm_env));
        }
    }
    // A team group in every environment.
    for e in 0..n_env {
        let env = EnvironmentId(id(KIND_ENV, e, 0, 0));
        let group = GroupId(id(KIND_GROUP, e, e, 1));
        sink(Event::GroupCreated {
            group,
            environment: env,
            name: "Team".into(),
        });
        for u in [2usize, 5] {
            sink(Event::GroupMemberAdded {
                group,
                user: UserId(id(KIND_USER, e, u, 0)),
            });
        }
        out.groups.push((group, env));
    }

    // Documents.
    let uploader_at = Timestamp(at.0 + 1000);
    for e in 0..n_env {
        let env = EnvironmentId(id(KIND_ENV, e, 0, 0));
        for o in 0..config.organisations_per_environment {
            let organisation = OrganisationId(id(KIND_ORG, e, o, 0));
            for k in 0..config.documents_per_organisation {
                sink(Event::DocumentAdded {
                    document: Document {
                        id: Synthetic::document(e, o, k),
                        organisation,
                        environment: env,
                        doc_box: DocBox::ALL.get(k % 3).copied().unwrap_or(DocBox::Documents),
                        name: format!("INV-{e}-{o}-{k}.xml"),
                        sha256: Sha256::default(),
                        size: 9_000,
                        uploaded_by: None,
                        at: uploader_at,
                        summary: None,
                    },
                });
                out.documents += 1;
            }
        }
    }

    // Shares, each to a user, group or organisation of the document's environment
    // or of an actively partnered one.
    let groups_by_env: Vec<Vec<GroupId>> = {
        let mut v = vec![Vec::new(); n_env];
        for (g, env) in &out.groups {
            if let Some(idx) = out.environments.iter().position(|x| x == env) {
                if let Some(list) = v.get_mut(idx) {
                    list.push(*g);
                }
            }
        }
        v
    };
    let mut made = 0;
    let mut seen = rustc_hash::FxHashSet::default();
    while made < config.shares && config.documents_per_organisation > 0 {
        let e = rng.gen_range(0..n_env);
        let o = rng.gen_range(0..config.organisations_per_environment);
        let k = rng.gen_range(0..config.documents_per_organisation);
        let document = Synthetic::document(e, o, k);
        // Half of the grantees come from a partner, when there is one.
        let target_env = match partners.get(e).and_then(|p| p.choose(&mut rng)) {
            Some(p) if rng.gen_bool(0.5) => *p,
            _ => e,
        };
        let grantee = match rng.gen_range(0..10) {
            0..=3 => Grantee::User(UserId(id(
                KIND_USER,
                target_env,
                rng.gen_range(0..n_users),
                0,
            ))),
            4..=6 => match groups_by_env
                .get(target_env)
                .and_then(|g| g.choose(&mut rng))
            {
                Some(g) => Grantee::Group(*g),
                None => Grantee::User(UserId(id(
                    KIND_USER,
                    target_env,
                    rng.gen_range(0..n_users),
                    0,
                ))),
            },
            _ => Grantee::Organisation(OrganisationId(id(
                KIND_ORG,
                target_env,
                rng.gen_range(0..config.organisations_per_environment),
                0,
            ))),
        };
        if !seen.insert((document, grantee)) {
            continue;
        }
        let level = *[Level::View, Level::View, Level::Edit, Level::Manage]
            .choose(&mut rng)
            .unwrap_or(&Level::View);
        sink(Event::ShareGranted {
            share: Share {
                document,
                grantee,
                level,
                by: UserId(id(KIND_USER, e, 0, 0)),
                at: uploader_at,
            },
        });
        made += 1;
    }
    out
}

impl Synthetic {
    /// Builds the world of `config` in memory.
    pub fn build(config: &SyntheticConfig) -> (World, Synthetic) {
        let mut world = World::new();
        let info = synthetic(config, &mut |event| world.apply(&event));
        (world, info)
    }

    /// The world of `config` with nothing an index could profit from: every id
    /// replaced by a random version-4 UUID drawn from `id_seed` (independent of
    /// the world's own seed), and the documents and the shares inserted in
    /// shuffled order. For benchmarks that must not flatter the engine.
    pub fn build_untuned(config: &SyntheticConfig, id_seed: u64) -> (World, Synthetic) {
        let mut events = Vec::new();
        let info = synthetic(config, &mut |event| events.push(event));
        let remap = |id: uuid::Uuid| {
            use sha2::Digest;
            let mut hash = sha2::Sha256::new();
            hash.update(id_seed.to_le_bytes());
            hash.update(id.as_bytes());
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(hash.finalize().get(..16).unwrap_or(&[0; 16]));
            uuid::Builder::from_random_bytes(bytes).into_uuid()
        };
        let mut events: Vec<Event> = events
            .iter()
            .map(|event| remap_ids(event, &remap))
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(id_seed);
        for kind in [
            |e: &Event| matches!(e, Event::DocumentAdded { .. }),
            |e: &Event| matches!(e, Event::ShareGranted { .. }),
        ] {
            let (Some(first), Some(last)) =
                (events.iter().position(kind), events.iter().rposition(kind))
            else {
                continue;
            };
            if let Some(run) = events.get_mut(first..=last) {
                run.shuffle(&mut rng);
            }
        }
        let mut world = World::new();
        for event in &events {
            world.apply(event);
        }
        let info = Synthetic {
            environments: info
                .environments
                .iter()
                .map(|e| EnvironmentId(remap(e.0)))
                .collect(),
            firms: info
                .firms
                .iter()
                .map(|e| EnvironmentId(remap(e.0)))
                .collect(),
            accountants: info
                .accountants
                .iter()
                .map(|u| UserId(remap(u.0)))
                .collect(),
            partnerships: info
                .partnerships
                .iter()
                .map(|p| SyntheticPartnership {
                    id: PartnershipId(remap(p.id.0)),
                    firm: EnvironmentId(remap(p.firm.0)),
                    client: EnvironmentId(remap(p.client.0)),
                    active: p.active,
                })
                .collect(),
            users: info
                .users
                .iter()
                .map(|users| users.iter().map(|u| UserId(remap(u.0))).collect())
                .collect(),
            organisations: info
                .organisations
                .iter()
                .map(|orgs| orgs.iter().map(|o| OrganisationId(remap(o.0))).collect())
                .collect(),
            groups: info
                .groups
                .iter()
                .map(|(g, e)| (GroupId(remap(g.0)), EnvironmentId(remap(e.0))))
                .collect(),
            documents: info.documents,
        };
        (world, info)
    }
}

/// `event` with every id passed through `remap` (by way of its JSON: every
/// string that reads as a UUID is an id).
fn remap_ids(event: &Event, remap: &impl Fn(uuid::Uuid) -> uuid::Uuid) -> Event {
    fn walk(value: &mut serde_json::Value, remap: &impl Fn(uuid::Uuid) -> uuid::Uuid) {
        match value {
            serde_json::Value::String(s) => {
                if let Ok(id) = uuid::Uuid::parse_str(s) {
                    *s = remap(id).to_string();
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, remap)),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(|v| walk(v, remap)),
            _ => {}
        }
    }
    let Ok(mut value) = serde_json::to_value(event) else {
        return event.clone();
    };
    walk(&mut value, remap);
    serde_json::from_value(value).unwrap_or_else(|_| event.clone())
}

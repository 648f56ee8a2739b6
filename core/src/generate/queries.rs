//! Access queries over a synthetic world, shared by the benchmarks of this crate
//! and the comparison with Cedar.

use super::synthetic::{Synthetic, SyntheticConfig};
use crate::access::{check, Action, Reason, Resource};
use crate::model::ids::*;
use crate::model::Grantee;
use crate::world::World;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One access question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    pub user: UserId,
    pub action: Action,
    pub resource: Resource,
}

/// How a set of queries is decided on a world.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueryMix {
    pub total: usize,
    pub denied: usize,
    /// Allowed through a partnership or a group, or denied for want of a partnership.
    pub through_partnership_or_group: usize,
}

/// `n` queries: a quarter through groups, a quarter by firm accountants on client
/// documents (partnered, ended or not a member), half at random (mostly denials).
pub fn queries(
    world: &World,
    info: &Synthetic,
    config: &SyntheticConfig,
    n: usize,
    seed: u64,
) -> Vec<Query> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let group_shares: Vec<(GroupId, DocumentId)> = info
        .groups
        .iter()
        .flat_map(|(g, _)| {
            // By id, as they were listed before the index filed them by
            // environment: the same seed keeps giving the same queries.
            let mut documents: Vec<DocumentId> =
                world.documents_shared_with(Grantee::Group(*g)).collect();
            crate::util::sort::sort_unstable(&mut documents);
            documents.into_iter().map(move |d| (*g, d))
        })
        .collect();
    let actions = [Action::View, Action::View, Action::Edit, Action::Manage];
    let random_doc = |rng: &mut ChaCha8Rng, e: usize| {
        Synthetic::document(
            e,
            rng.gen_range(0..config.organisations_per_environment),
            rng.gen_range(0..config.documents_per_organisation.max(1)),
        )
    };
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let action = *actions.choose(&mut rng).unwrap_or(&Action::View);
        let query = match rng.gen_range(0..4) {
            0 => match group_shares.choose(&mut rng) {
                Some((g, d)) => match world.group_members(*g).choose(&mut rng) {
                    Some(user) => Query {
                        user: *user,
                        action: Action::View,
                        resource: Resource::Document(*d),
                    },
                    None => continue,
                },
                None => continue,
            },
            1 => {
                let Some(p) = info.partnerships.choose(&mut rng) else {
                    continue;
                };
                let Some(f) = info.firms.iter().position(|x| *x == p.firm) else {
                    continue;
                };
                let Some(c) = info.environments.iter().position(|x| *x == p.client) else {
                    continue;
                };
                let Some(user) = info.accountants.get(f) else {
                    continue;
                };
                Query {
                    user: *user,
                    action,
                    resource: Resource::Document(random_doc(&mut rng, c)),
                }
            }
            _ => {
                let e = rng.gen_range(0..info.environments.len());
                let u = rng.gen_range(0..info.users.len());
                let Some(user) = info.users.get(u).and_then(|users| users.choose(&mut rng)) else {
                    continue;
                };
                Query {
                    user: *user,
                    action,
                    resource: Resource::Document(random_doc(&mut rng, e)),
                }
            }
        };
        out.push(query);
    }
    out
}

/// `n` queries over documents and organisations, half allowed and half denied
/// by a near miss: every principal is one membership, share or partnership
/// away from the resource (a user of its environment, of a partnered or
/// formerly partnered environment, or a grantee of one of the document's
/// shares). Resources, principals and actions are drawn at random.
pub fn near_misses(world: &World, info: &Synthetic, n: usize, seed: u64) -> Vec<Query> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let document_actions = [Action::View, Action::Edit, Action::Manage];
    let organisation_actions = [
        Action::ViewOrganisation,
        Action::ManageOrganisationSettings,
        Action::RetrieveConnectionKey,
        Action::ManageMembers,
    ];
    // Per environment, the environments partnered with it now or before.
    let partners = |e: EnvironmentId| {
        info.partnerships
            .iter()
            .filter_map(move |p| (p.client == e).then_some(p.firm))
    };
    let (mut allowed, mut denied) = (Vec::new(), Vec::new());
    while allowed.len() + denied.len() < n {
        let Some(e) = info.environments.choose(&mut rng).copied() else {
            break;
        };
        let index = info.environments.iter().position(|x| *x == e).unwrap_or(0);
        let Some(org) = info
            .organisations
            .get(index)
            .and_then(|orgs| orgs.choose(&mut rng))
            .copied()
        else {
            continue;
        };
        let (resource, action) = if rng.gen_bool(0.5) {
            let documents: Vec<DocumentId> = world.documents_of(org).collect();
            let Some(d) = documents.choose(&mut rng) else {
                continue;
            };
            let action = *document_actions.choose(&mut rng).unwrap_or(&Action::View);
            (Resource::Document(*d), action)
        } else {
            let action = *organisation_actions
                .choose(&mut rng)
                .unwrap_or(&Action::ViewOrganisation);
            (Resource::Organisation(org), action)
        };
        // The principal: a grantee of one of the document's shares, a user of
        // a partner environment, or one of the environment's own.
        let mut near: Vec<UserId> = Vec::new();
        if let Resource::Document(d) = resource {
            for share in world.shares_of(d) {
                match share.grantee {
                    Grantee::User(u) => near.push(u),
                    Grantee::Group(g) => near.extend_from_slice(world.group_members(g)),
                    Grantee::Organisation(o) => near.extend_from_slice(world.members_of(o)),
                }
            }
        }
        if near.is_empty() || rng.gen_bool(0.5) {
            let from = match partners(e).collect::<Vec<_>>().choose(&mut rng) {
                Some(p) if rng.gen_bool(0.5) => *p,
                _ => e,
            };
            near = world.users_of(from).to_vec();
        }
        let Some(user) = near.choose(&mut rng).copied() else {
            continue;
        };
        let query = Query {
            user,
            action,
            resource,
        };
        if check(world, user, action, resource).allowed {
            if allowed.len() < n / 2 {
                allowed.push(query);
            }
        } else if denied.len() < n - n / 2 {
            denied.push(query);
        }
    }
    let mut out: Vec<Query> = allowed.into_iter().chain(denied).collect();
    out.shuffle(&mut rng);
    out
}

/// Decides `queries` on `world` and counts the mix.
pub fn mix(world: &World, queries: &[Query]) -> QueryMix {
    let mut mix = QueryMix {
        total: queries.len(),
        ..QueryMix::default()
    };
    for q in queries {
        let decision = check(world, q.user, q.action, q.resource);
        if !decision.allowed {
            mix.denied += 1;
        }
        let special = decision.reasons.iter().any(|r| match r {
            Reason::Membership { through, .. }
            | Reason::SharedWithUser { through, .. }
            | Reason::SharedWithOrganisation { through, .. } => through.is_some(),
            Reason::SharedWithGroup { .. } | Reason::NoPartnership { .. } => true,
            _ => false,
        });
        if special {
            mix.through_partnership_or_group += 1;
        }
    }
    mix
}

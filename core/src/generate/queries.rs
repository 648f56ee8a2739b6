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

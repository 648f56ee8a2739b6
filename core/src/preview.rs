//! What a command would do, computed without doing it (DOMAIN §8).
//!
//! A preview decides the command exactly as [`crate::execute`] does, applies the
//! events to a copy of the world (cheap: the world's maps share their storage and
//! copy only what the events touch) and compares access before and after — but only
//! for the (user, resource) pairs the events can affect, never every user against
//! every resource.

use crate::access::{self, check, Access, Action, DocumentAccessor, Reasons, Resource};
pub use crate::decider::Unconfirmed;
use crate::model::command::{Actor, Command, Context, Event};
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::util::sort::{sort_dedup, sort_unstable, sort_unstable_by_key};
use crate::world::World;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// One user's access to one resource, before and after a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessChange {
    pub user: UserId,
    pub resource: Resource,
    pub before: Access,
    pub after: Access,
    /// The grant paths before (what is lost) and after (what is gained).
    pub reasons_before: Reasons,
    pub reasons_after: Reasons,
}

impl AccessChange {
    /// Whether the user ends with less than they had.
    pub fn is_loss(&self) -> bool {
        let kind = self.resource.kind();
        self.before
            .actions(kind)
            .iter()
            .any(|a| !self.after.allows(*a))
    }
}

/// See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub allowed: bool,
    pub error: Option<CommandError>,
    pub events: Vec<Event>,
    pub access_changes: Vec<AccessChange>,
    /// Facts the decision rested on that this world does not hold: only the
    /// server can confirm them.
    pub unconfirmed: Vec<Unconfirmed>,
}

/// The part of a preview that must not differ between what a user was shown and
/// what executing does: the decision and the access changes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Outcome {
    pub allowed: bool,
    pub error_code: Option<String>,
    /// Sorted (user, resource, before, after).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<Object>>))]
    pub changes: Vec<(UserId, Resource, Access, Access)>,
}

impl Preview {
    /// The outcome, restricted to the pairs `visible` keeps.
    pub fn outcome(&self, visible: impl Fn(UserId, Resource) -> bool) -> Outcome {
        let mut changes: Vec<_> = self
            .access_changes
            .iter()
            .filter(|c| visible(c.user, c.resource))
            .map(|c| (c.user, c.resource, c.before, c.after))
            .collect();
        sort_unstable(&mut changes);
        Outcome {
            allowed: self.allowed,
            error_code: self.error.as_ref().map(|e| e.code().to_string()),
            changes,
        }
    }
}

/// Whether the share `shown` previews on `world` (a viewer's projection)
/// reaches nobody new: every member of its grantee is someone whose access to
/// the document the viewer may see, and none of them gains anything (already
/// at the level, or no members yet). `false` when the viewer cannot tell: a
/// member whose access is not theirs to see, or no viewer.
pub fn share_reaches_nobody_new(world: &World, shown: &Preview) -> bool {
    let Some(Event::ShareGranted { share }) = shown.events.first() else {
        return false;
    };
    let Some(vis) = world
        .viewer()
        .and_then(|viewer| crate::project::Visibility::of(world, viewer))
    else {
        return false;
    };
    let members: Vec<UserId> = match share.grantee {
        Grantee::User(user) => vec![user],
        Grantee::Group(group) => world.group_members(group).to_vec(),
        Grantee::Organisation(organisation) => world.members_of(organisation).to_vec(),
    };
    let document = Resource::Document(share.document);
    shown.allowed
        && members.iter().all(|member| vis.pair(*member, document))
        && !shown
            .access_changes
            .iter()
            .any(|change| change.resource == document && members.contains(&change.user))
}

/// Why a command sent with the outcome its preview showed was not executed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The rules refuse it.
    #[error(transparent)]
    Refused(CommandError),
    /// Executing it now would have another outcome than the one the user was
    /// shown: this is that outcome (DOMAIN §8, never a silent difference).
    #[error("{}", outdated_message(.refused.as_ref()))]
    Outdated {
        now: Outcome,
        /// Why executing it now is refused, when it is.
        refused: Option<CommandError>,
    },
}

fn outdated_message(refused: Option<&CommandError>) -> String {
    match refused {
        Some(error) => {
            format!("the outcome differs from your preview: now it is refused ({error})")
        }
        None => "the state changed since the preview was computed".to_string(),
    }
}

/// The outcome of `shown` restricted to what the acting user may see: what that
/// user's own preview, computed on their projection, can have shown them.
pub fn visible_outcome(world: &World, actor: &Actor, shown: &Preview) -> Outcome {
    match actor
        .user_id()
        .and_then(|user| crate::project::Visibility::of(world, user))
    {
        Some(vis) => shown.outcome(|u, r| vis.pair(u, r)),
        None => shown.outcome(|_, _| true),
    }
}

/// `shown` as the acting user may see it (what the server answers them): the
/// access changes of the pairs they may ask about and the events they may be
/// told of. For Support and the network, everything.
pub fn visible_preview(world: &World, actor: &Actor, mut shown: Preview) -> Preview {
    if let Some(user) = actor.user_id() {
        match crate::project::Visibility::of(world, user) {
            Some(vis) => {
                shown
                    .access_changes
                    .retain(|c| vis.pair(c.user, c.resource));
                shown.events = vis.events(&shown.events);
            }
            None => {
                shown.access_changes.clear();
                shown.events.clear();
            }
        }
    }
    shown
}

/// Executes `command` as the server and the offline demo do: when the caller
/// sends the outcome they were shown, it is decided again here and refused as
/// [`Refusal::Outdated`] if the outcome the caller may see differs.
pub fn execute_as_previewed(
    world: &World,
    actor: &Actor,
    command: Command,
    ctx: &Context,
    expected: Option<&Outcome>,
) -> Result<Vec<Event>, Refusal> {
    let Some(expected) = expected else {
        return crate::execute::execute(world, actor, command, ctx).map_err(Refusal::Refused);
    };
    let shown = preview(world, actor, command, ctx);
    let now = visible_outcome(world, actor, &shown);
    if now != *expected {
        return Err(Refusal::Outdated {
            now,
            refused: shown.error,
        });
    }
    match shown.error {
        Some(error) => Err(Refusal::Refused(error)),
        None => Ok(shown.events),
    }
}

/// Previews `command` for `actor` on `world`.
pub fn preview(world: &World, actor: &Actor, command: Command, ctx: &Context) -> Preview {
    let decided = crate::execute::decide(world, actor, command, ctx);
    match decided.result {
        Err(error) => Preview {
            allowed: false,
            error: Some(error),
            events: Vec::new(),
            access_changes: Vec::new(),
            unconfirmed: decided.unconfirmed,
        },
        Ok(events) => {
            // The decider may have applied the command's own events already; apply
            // the rest (the consequences) on top.
            let (mut after, applied) = match decided.after {
                Some(after) => {
                    let applied = (after.version() - world.version()) as usize;
                    (after, applied)
                }
                None => (world.clone(), 0),
            };
            for event in events.iter().skip(applied) {
                after.apply(event);
            }
            let access_changes = access_changes(world, &after, &events);
            Preview {
                allowed: true,
                error: None,
                events,
                access_changes,
                unconfirmed: decided.unconfirmed,
            }
        }
    }
}

/// The access a user has to a resource, with the grant paths.
pub fn access_with_reasons(world: &World, user: UserId, resource: Resource) -> (Access, Reasons) {
    match resource {
        Resource::Document(d) => {
            let (level, reasons) = access::document_level(world, user, d);
            (Access::of_level(level), reasons)
        }
        Resource::Organisation(_) | Resource::Environment(_) => {
            let bits = access::access(world, user, resource);
            let first = match resource {
                Resource::Environment(_) => Action::ReadAuditLog,
                _ => Action::ViewOrganisation,
            };
            let decision = check(world, user, first, resource);
            let reasons = if decision.allowed {
                decision.reasons
            } else {
                Reasons::new()
            };
            (bits, reasons)
        }
    }
}

/// The access changes between `before` and `after`, over the pairs `events` can
/// affect.
pub fn access_changes(before: &World, after: &World, events: &[Event]) -> Vec<AccessChange> {
    let grouped = by_user(affected_pairs(before, after, events));
    // Room for every pair changing: a large list then grows without being
    // copied over and over, and what stays unused is never touched (the
    // allocator maps it lazily).
    let mut out = Vec::with_capacity(grouped.iter().map(|(_, r)| r.len()).sum());
    // Each user resolved once per world, their documents decided in one batch
    // per world.
    for (user, resources) in grouped {
        let documents: Vec<DocumentId> = resources
            .iter()
            .filter_map(|r| match r {
                Resource::Document(d) => Some(*d),
                Resource::Organisation(_) | Resource::Environment(_) => None,
            })
            .collect();
        let mut was_accessor = DocumentAccessor::new(before, user);
        let mut was_levels = was_accessor.levels(&documents);
        let mut now_accessor = DocumentAccessor::new(after, user);
        let mut now_levels = now_accessor.levels(&documents);
        for resource in resources {
            let ((was, reasons_before), (now, reasons_after)) = match resource {
                Resource::Document(_) => {
                    let (Some((a, ra)), Some((b, rb))) = (was_levels.next(), now_levels.next())
                    else {
                        continue;
                    };
                    ((Access::of_level(a), ra), (Access::of_level(b), rb))
                }
                Resource::Organisation(_) | Resource::Environment(_) => (
                    access_with_reasons(before, user, resource),
                    access_with_reasons(after, user, resource),
                ),
            };
            if was != now {
                out.push(AccessChange {
                    user,
                    resource,
                    before: was,
                    after: now,
                    reasons_before,
                    reasons_after,
                });
            }
        }
    }
    out
}

/// The pairs grouped by user: users in order, each one's resources in order and
/// without repeats. The same order as sorting the pairs, at a fraction of the
/// cost: ending a partnership gives some two thousand pairs of a score of
/// users, and sorting them whole, each comparison two ids deep, took a sixth
/// of its preview.
fn by_user(pairs: Vec<(UserId, Resource)>) -> Vec<(UserId, Vec<Resource>)> {
    let mut groups: Vec<(UserId, Vec<Resource>)> = Vec::new();
    let mut position: FxHashMap<UserId, usize> = FxHashMap::default();
    // Pairs come in runs of one user: look the user up once per run.
    let mut last: Option<(UserId, usize)> = None;
    for (user, resource) in pairs {
        let at = match last {
            Some((previous, at)) if previous == user => at,
            _ => *position.entry(user).or_insert_with(|| {
                groups.push((user, Vec::new()));
                groups.len() - 1
            }),
        };
        last = Some((user, at));
        if let Some((_, resources)) = groups.get_mut(at) {
            resources.push(resource);
        }
    }
    sort_unstable_by_key(&mut groups, |(user, _)| *user);
    for (_, resources) in &mut groups {
        sort_dedup_resources(resources);
    }
    groups
}

/// Sorts and deduplicates resources as `sort_dedup` would (documents first, each
/// kind by id), two and a half times as fast: the ids are sorted as plain
/// 128-bit numbers (their order is the same), which compare in two instructions
/// and move as one, where a `Resource` is compared byte by byte behind its tag.
/// Disabling an accountant sorts some twenty thousand.
fn sort_dedup_resources(resources: &mut Vec<Resource>) {
    let mut documents: Vec<u128> = Vec::with_capacity(resources.len());
    let mut organisations: Vec<u128> = Vec::new();
    let mut environments: Vec<Resource> = Vec::new();
    for resource in resources.iter() {
        match resource {
            Resource::Document(d) => documents.push(d.0.as_u128()),
            Resource::Organisation(o) => organisations.push(o.0.as_u128()),
            Resource::Environment(_) => environments.push(*resource),
        }
    }
    sort_dedup(&mut environments);
    sort_dedup(&mut documents);
    sort_dedup(&mut organisations);
    resources.clear();
    resources.extend(
        documents
            .into_iter()
            .map(|d| Resource::Document(DocumentId::from_u128(d))),
    );
    resources.extend(
        organisations
            .into_iter()
            .map(|o| Resource::Organisation(OrganisationId::from_u128(o))),
    );
    resources.extend(environments);
}

/// The resources `user` may reach inside `environment` (a superset, from indexes).
fn reachable_in(
    world: &World,
    user: UserId,
    environment: EnvironmentId,
    out: &mut Vec<(UserId, Resource)>,
) {
    let Some(u) = world.user(user) else {
        return;
    };
    let mut organisations: Vec<OrganisationId> = world
        .organisations_of_user(user)
        .iter()
        .copied()
        .filter(|o| {
            world
                .organisation(*o)
                .is_some_and(|o| o.environment == environment)
        })
        .collect();
    if u.environment == environment && u.role == EnvRole::Administrator {
        organisations.extend_from_slice(world.organisations_of(environment));
    }
    for o in &organisations {
        out.push((user, Resource::Organisation(*o)));
        out.extend(
            world
                .documents_of(*o)
                .map(|d| (user, Resource::Document(d))),
        );
    }
    let mut grantees = vec![Grantee::User(user)];
    grantees.extend(
        world
            .groups_of_user(user)
            .iter()
            .map(|g| Grantee::Group(*g)),
    );
    grantees.extend(
        world
            .organisations_of_user(user)
            .iter()
            .map(|o| Grantee::Organisation(*o)),
    );
    for grantee in grantees {
        out.extend(
            world
                .documents_shared_with_in(grantee, environment)
                .map(|d| (user, Resource::Document(d))),
        );
    }
}

fn members_of_grantee(world: &World, grantee: Grantee) -> Vec<UserId> {
    match grantee {
        Grantee::User(u) => vec![u],
        Grantee::Group(g) => world.group_members(g).to_vec(),
        Grantee::Organisation(o) => world.members_of(o).to_vec(),
    }
}

fn affected_pairs(before: &World, after: &World, events: &[Event]) -> Vec<(UserId, Resource)> {
    let mut pairs = Vec::new();
    let both = [before, after];
    for event in events {
        match event {
            Event::UserDisabled { user }
            | Event::UserEnabled { user }
            | Event::RoleAssigned { user, .. } => {
                // The environment's own actions follow the role and the
                // account's state (`access::check_environment`).
                if let Some(u) = before.user(*user) {
                    pairs.push((*user, Resource::Environment(u.environment)));
                }
                for world in both {
                    pairs.extend(
                        access::reachable_resources(world, *user)
                            .into_iter()
                            .map(|r| (*user, r)),
                    );
                }
            }
            Event::MembershipGranted {
                user, organisation, ..
            }
            | Event::MembershipRemoved { user, organisation } => {
                for world in both {
                    pairs.push((*user, Resource::Organisation(*organisation)));
                    pairs.extend(
                        world
                            .documents_of(*organisation)
                            .map(|d| (*user, Resource::Document(d))),
                    );
                    pairs.extend(
                        world
                            .documents_shared_with(Grantee::Organisation(*organisation))
                            .map(|d| (*user, Resource::Document(d))),
                    );
                }
            }
            Event::ShareGranted { share } => {
                for world in both {
                    for u in members_of_grantee(world, share.grantee) {
                        pairs.push((u, Resource::Document(share.document)));
                    }
                }
            }
            Event::ShareRevoked { document, grantee } => {
                for world in both {
                    for u in members_of_grantee(world, *grantee) {
                        pairs.push((u, Resource::Document(*document)));
                    }
                }
            }
            Event::GroupMemberAdded { group, user } | Event::GroupMemberRemoved { group, user } => {
                for world in both {
                    pairs.extend(
                        world
                            .documents_shared_with(Grantee::Group(*group))
                            .map(|d| (*user, Resource::Document(d))),
                    );
                }
            }
            Event::GroupDeleted { group } => {
                for u in before.group_members(*group) {
                    pairs.extend(
                        before
                            .documents_shared_with(Grantee::Group(*group))
                            .map(|d| (*u, Resource::Document(d))),
                    );
                }
            }
            Event::PartnershipCreated {
                requester,
                accepter,
                ..
            } => {
                // Before, the two had no active partnership (at most one per
                // pair), so no access across them: what changes is what the
                // partnership opens, found in the world after.
                partnership_pairs(after, *requester, *accepter, &mut pairs);
            }
            Event::PartnershipEnded { partnership, .. } => {
                // After, no access across the two is left: what changes is
                // what the partnership gave, found in the world before.
                if let Some(p) = before.partnership(*partnership) {
                    partnership_pairs(before, p.requester, p.accepter, &mut pairs);
                }
            }
            Event::DocumentAdded { document } => {
                for u in access::who_can(after, Action::View, Resource::Document(document.id)) {
                    pairs.push((u.user, Resource::Document(document.id)));
                }
            }
            Event::DocumentDeleted { document } => {
                for u in access::who_can(before, Action::View, Resource::Document(*document)) {
                    pairs.push((u.user, Resource::Document(*document)));
                }
            }
            Event::OrganisationAdded {
                organisation,
                environment,
                ..
            } => {
                for u in after.users_of(*environment) {
                    pairs.push((*u, Resource::Organisation(*organisation)));
                }
            }
            _ => {}
        }
    }
    pairs
}

fn partnership_pairs(
    world: &World,
    a: EnvironmentId,
    b: EnvironmentId,
    pairs: &mut Vec<(UserId, Resource)>,
) {
    for (own, other) in [(a, b), (b, a)] {
        for user in world.users_of(own) {
            reachable_in(world, *user, other, pairs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn resource(kind: bool, id: u128) -> Resource {
        if kind {
            Resource::Document(DocumentId::from_u128(id))
        } else {
            Resource::Organisation(OrganisationId::from_u128(id))
        }
    }

    proptest! {
        /// Grouping by user gives what sorting and deduplicating the pairs gives.
        #[test]
        fn pairs_grouped_by_user_come_in_sorted_order_without_repeats(
            pairs in proptest::collection::vec((0u128..4, any::<bool>(), 0u128..40, any::<u128>()), 0..300),
        ) {
            // Small ids repeat; large ones span all sixteen bytes.
            let pairs: Vec<(UserId, Resource)> = pairs
                .into_iter()
                .map(|(user, kind, small, large)| {
                    let id = if small % 2 == 0 { small } else { large };
                    (UserId::from_u128(user << 100), resource(kind, id))
                })
                .collect();
            let mut expected = pairs.clone();
            sort_dedup(&mut expected);
            let grouped: Vec<(UserId, Resource)> = by_user(pairs)
                .into_iter()
                .flat_map(|(user, resources)| resources.into_iter().map(move |r| (user, r)))
                .collect();
            prop_assert_eq!(grouped, expected);
        }
    }
}

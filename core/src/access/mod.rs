//! The permission engine: who may do what, and why (DOMAIN §1, §3, §4).
//!
//! Decisions are data, as in Cedar: a [`Decision`] says whether an action is
//! allowed and carries structured [`Reason`]s — the grant paths when allowed, what
//! is missing when denied. Reasons are ids and enum variants; they become sentences
//! only when shown ([`Reason::render`]). The engine fails closed: anything unknown
//! is a denial.
//!
//! Every lookup goes through an index of the [`World`], so the cost of a check
//! depends on the number of shares of one document and the groups of one user,
//! never on the number of documents or environments.

mod render;

pub use render::Names;

use crate::model::command::Actor;
use crate::model::ids::*;
use crate::model::Standing;
use crate::model::*;
use crate::util::sort::sort_dedup;
use crate::world::Home;
use crate::world::World;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use smallvec::{smallvec, SmallVec};

pub use crate::model::permission::*;

/// A grant path with the level it gives.
type Grants = SmallVec<[(Level, Reason); 4]>;

/// Whether `user` may do `action` to `resource`, and why.
pub fn check(world: &World, user: UserId, action: Action, resource: Resource) -> Decision {
    if action.is_platform() {
        return Decision::deny(platform_only(action));
    }
    match (resource, action.level()) {
        (Resource::Document(document), Some(needed)) => {
            check_document(world, user, document, needed)
        }
        (Resource::Organisation(organisation), None)
            if action.resource_kind() == ResourceKind::Organisation =>
        {
            check_organisation(world, user, organisation, action)
        }
        (Resource::Environment(environment), None)
            if action.resource_kind() == ResourceKind::Environment =>
        {
            check_environment(world, user, environment, action)
        }
        // An action of the wrong kind for the resource: fail closed.
        _ => Decision::deny(Reason::UnknownResource),
    }
}

/// Whether `actor` may do `action` to `resource`, and why: a user as
/// [`check`] answers; anyone else as [`check_platform`].
pub fn check_actor(world: &World, actor: &Actor, action: Action, resource: Resource) -> Decision {
    match actor {
        Actor::User { id } => check(world, *id, action, resource),
        _ => check_platform(actor, action),
    }
}

/// Whether the platform's `actor` may do `action`, whatever it is done to:
/// Support every platform action, the Peppol network delivering what arrives
/// from it, nobody else anything. Support sees no environment's resources,
/// so an environment's actions are refused to it.
pub fn check_platform(actor: &Actor, action: Action) -> Decision {
    let allow = |reason| Decision {
        allowed: true,
        reasons: smallvec![reason],
    };
    match (actor, action) {
        (_, action) if !action.is_platform() => Decision::deny(Reason::UnknownUser),
        (Actor::Support { .. }, _) => allow(Reason::PlatformSupport),
        (Actor::Network, Action::ReceiveFromNetwork) => allow(Reason::PeppolNetwork),
        _ => Decision::deny(platform_only(action)),
    }
}

/// Who may do a platform action, as the reason given to anyone else.
fn platform_only(action: Action) -> Reason {
    match action {
        Action::ReceiveFromNetwork => Reason::NetworkOnly,
        _ => Reason::SupportOnly,
    }
}

/// The user, active and reaching `environment`; or the reason why not.
fn reach(
    world: &World,
    user: UserId,
    environment: EnvironmentId,
) -> Result<(&User, Option<EnvironmentId>), Reason> {
    let Some(u) = world.user(user) else {
        return Err(Reason::UnknownUser);
    };
    if !u.is_active() {
        return Err(Reason::UserDisabled { user });
    }
    if u.environment == environment {
        return Ok((u, None));
    }
    let standing = world.standing(u.environment, environment);
    reach_across(standing, u.environment, environment).map(|through| (u, Some(through)))
}

/// Whether a user of `home` reaches another environment, given the pair's
/// standing: through `home` if partnered, else the reason why not.
fn reach_across(
    standing: Option<Standing>,
    home: EnvironmentId,
    environment: EnvironmentId,
) -> Result<EnvironmentId, Reason> {
    let ended = match standing {
        Some(Standing::Partnered) => return Ok(home),
        Some(Standing::Ended { at }) => Some(at),
        None => None,
    };
    Err(Reason::NoPartnership {
        home,
        environment,
        ended,
    })
}

/// Who asks, as far as the grant paths to a document need to know.
#[derive(Clone, Copy)]
struct Who {
    id: UserId,
    administrator: bool,
}

impl From<&User> for Who {
    fn from(user: &User) -> Self {
        Who {
            id: user.id,
            administrator: user.role == EnvRole::Administrator,
        }
    }
}

/// Every grant path of `user` to the document at `home` (the user already reaches
/// its environment), given the user's role in its organisation and its shares.
fn document_grants_with(
    world: &World,
    user: Who,
    (organisation, environment): Home,
    through: Option<EnvironmentId>,
    membership: Option<OrgRole>,
    shares: &[Share],
) -> Grants {
    let mut grants = Grants::new();
    if through.is_none() && user.administrator {
        grants.push((Level::Manage, Reason::Administrator { environment }));
    }
    if let Some(role) = membership {
        let level = match role {
            OrgRole::Manager => Level::Manage,
            OrgRole::Member => Level::Edit,
        };
        grants.push((
            level,
            Reason::Membership {
                organisation,
                role,
                through,
            },
        ));
    }
    for share in shares {
        match share.grantee {
            Grantee::User(id) if id == user.id => {
                grants.push((
                    share.level,
                    Reason::SharedWithUser {
                        level: share.level,
                        through,
                    },
                ));
            }
            Grantee::Group(group) if world.is_group_member(group, user.id) => {
                grants.push((
                    share.level,
                    Reason::SharedWithGroup {
                        group,
                        level: share.level,
                        through,
                    },
                ));
            }
            Grantee::Organisation(organisation)
                if world.membership(user.id, organisation).is_some() =>
            {
                grants.push((
                    share.level,
                    Reason::SharedWithOrganisation {
                        organisation,
                        level: share.level,
                        through,
                    },
                ));
            }
            _ => {}
        }
    }
    grants
}

fn check_document(world: &World, user: UserId, document: DocumentId, needed: Level) -> Decision {
    // The two lookups that need only the question come first and together, so
    // that their cache misses overlap: the user's card and the document's
    // slot, each one memory access (see `crate::world::cards` and `crate::world::homes`).
    // The card first: in alternating runs on the 4x world that order was the
    // faster in six of eight pairs, by up to a third, most of all for denials
    // for want of a membership.
    let card = world.user_card(user);
    let found = world.document_found(document);
    let Some(found) = found else {
        return Decision::deny(Reason::UnknownResource);
    };
    let Some(card) = card else {
        return Decision::deny(Reason::UnknownUser);
    };
    if !card.active {
        return Decision::deny(Reason::UserDisabled { user });
    }
    let organisation = found.organisation;
    let (Some(environment), Some(home)) = (
        world.environment_numbered(found.environment),
        world.environment_numbered(card.environment),
    ) else {
        // The indexes number every environment they name: fail closed.
        return Decision::deny(Reason::UnknownResource);
    };
    let through = if card.environment == found.environment {
        None
    } else {
        let standing = world.standing_by_number(card.environment, found.environment);
        match reach_across(standing, home, environment) {
            Ok(through) => Some(through),
            Err(reason) => return Decision::deny(reason),
        }
    };
    // The card rules out most organisations the user is not a member of; the
    // membership (for its role) is read only if the user may be one.
    let role = if card.may_be_member_of(organisation) {
        world.membership(user, organisation).map(|m| m.role)
    } else {
        None
    };
    // Nine documents in ten have no shares: for them the share table, a miss
    // of its own, is not read at all (the mark may also stand on a document
    // whose shares were all removed; the table then says none).
    let shares = if found.shared {
        world.shares_of(document)
    } else {
        &[]
    };
    let who = Who {
        id: user,
        administrator: card.administrator,
    };
    let grants = document_grants_with(
        world,
        who,
        (organisation, environment),
        through,
        role,
        shares,
    );
    let reasons: Reasons = grants
        .iter()
        .filter(|(l, _)| *l >= needed)
        .map(|(_, r)| *r)
        .collect();
    if !reasons.is_empty() {
        return Decision {
            allowed: true,
            reasons,
        };
    }
    match grants.iter().max_by_key(|(l, _)| *l) {
        None => Decision::deny(Reason::NotMember { organisation }),
        Some((has, best)) => Decision {
            allowed: false,
            reasons: smallvec![
                Reason::LevelTooLow {
                    has: *has,
                    needs: needed
                },
                *best
            ],
        },
    }
}

/// The level `user` has on `document`, with every grant path (empty when none).
pub fn document_level(
    world: &World,
    user: UserId,
    document: DocumentId,
) -> (Option<Level>, Reasons) {
    DocumentAccessor::new(world, user).level(document)
}

fn check_organisation(
    world: &World,
    user: UserId,
    organisation: OrganisationId,
    action: Action,
) -> Decision {
    let Some(org) = world.organisation(organisation) else {
        return Decision::deny(Reason::UnknownResource);
    };
    if org.status == OrgStatus::Removed {
        return Decision::deny(Reason::OrganisationRemoved { organisation });
    }
    let (u, through) = match reach(world, user, org.environment) {
        Ok(found) => found,
        Err(reason) => return Decision::deny(reason),
    };
    let admin =
        (through.is_none() && u.role == EnvRole::Administrator).then_some(Reason::Administrator {
            environment: org.environment,
        });
    let membership = world.membership(user, organisation).map(|m| {
        (
            m.role,
            Reason::Membership {
                organisation,
                role: m.role,
                through,
            },
        )
    });
    let mut reasons = Reasons::new();
    reasons.extend(admin);
    let missing = match action {
        Action::ViewOrganisation => {
            reasons.extend(membership.map(|(_, r)| r));
            Reason::NotMember { organisation }
        }
        Action::ManageOrganisationSettings => match membership {
            Some((OrgRole::Manager, r)) if through.is_none() => {
                reasons.push(r);
                Reason::NotManager { organisation }
            }
            Some((OrgRole::Manager, _)) => Reason::ManagerOfAnotherEnvironment { organisation },
            _ => Reason::NotManager { organisation },
        },
        Action::RetrieveConnectionKey | Action::ConfigureSoftwareConnection => match membership {
            Some((_, r)) if u.is_advanced() => {
                reasons.push(r);
                Reason::NotMember { organisation }
            }
            Some(_) => Reason::EnvironmentRoleTooLow {
                has: u.role,
                needs: EnvRole::AdvancedUser,
            },
            None => Reason::NotMember { organisation },
        },
        Action::ManageMembers | Action::ActivateOrganisation => Reason::NotAdministrator {
            environment: org.environment,
        },
        _ => Reason::UnknownResource,
    };
    if reasons.is_empty() {
        Decision::deny(missing)
    } else {
        Decision {
            allowed: true,
            reasons,
        }
    }
}

/// Everything `user` may do to `resource`.
pub fn access(world: &World, user: UserId, resource: Resource) -> Access {
    match resource {
        Resource::Document(document) => Access::of_level(document_level(world, user, document).0),
        Resource::Organisation(organisation) => {
            let mut bits = 0;
            for action in Action::ORGANISATION {
                if check_organisation(world, user, organisation, action).allowed {
                    bits |= action.bit();
                }
            }
            Access(bits)
        }
        Resource::Environment(environment) => {
            let mut bits = 0;
            for action in Action::ENVIRONMENT {
                if check_environment(world, user, environment, action).allowed {
                    bits |= action.bit();
                }
            }
            Access(bits)
        }
    }
}

/// What a user may do in an environment: its Administrators everything, its
/// Advanced users manage groups and send partnership requests, nobody of
/// another environment anything (DOMAIN §1, §2, §7, §8).
fn check_environment(
    world: &World,
    user: UserId,
    environment: EnvironmentId,
    action: Action,
) -> Decision {
    if world.environment(environment).is_none() {
        return Decision::deny(Reason::UnknownResource);
    }
    let Some(u) = world.user(user) else {
        return Decision::deny(Reason::UnknownUser);
    };
    if !u.is_active() {
        return Decision::deny(Reason::UserDisabled { user });
    }
    if u.environment != environment {
        return Decision::deny(Reason::NotOfEnvironment { environment });
    }
    let for_advanced = matches!(
        action,
        Action::ManageGroups | Action::SendPartnershipRequests
    );
    if u.role == EnvRole::Administrator {
        Decision {
            allowed: true,
            reasons: smallvec![Reason::Administrator { environment }],
        }
    } else if for_advanced && u.is_advanced() {
        Decision {
            allowed: true,
            reasons: smallvec![Reason::AdvancedUser { environment }],
        }
    } else if for_advanced {
        Decision::deny(Reason::EnvironmentRoleTooLow {
            has: u.role,
            needs: EnvRole::AdvancedUser,
        })
    } else {
        Decision::deny(Reason::NotAdministrator { environment })
    }
}

/// Whether connection key `key` works now (DOMAIN §4): it exists, was never
/// revoked, and its holder may still retrieve a key for its organisation. The
/// reasons are the holder's grant paths, or what stops the key.
pub fn use_connection_key(world: &World, key: KeyId) -> Decision {
    let Some(k) = world.key(key) else {
        return Decision::deny(Reason::UnknownResource);
    };
    if let Some((at, why)) = k.revoked {
        return Decision::deny(Reason::KeyRevoked { at, why });
    }
    check(
        world,
        k.holder,
        Action::RetrieveConnectionKey,
        Resource::Organisation(k.organisation),
    )
}

/// One answer of a reverse query.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAccess {
    pub user: UserId,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Reason>))]
    pub reasons: Reasons,
}

/// One answer of a reverse query.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceAccess {
    pub resource: Resource,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Reason>))]
    pub reasons: Reasons,
}

/// The users who could possibly have access to `resource`: a superset, from the
/// indexes, to be checked one by one.
fn candidates(world: &World, resource: Resource) -> Vec<UserId> {
    let mut out = Vec::new();
    let (organisation, environment) = match resource {
        Resource::Document(d) => match world.document_home(d) {
            Some(home) => home,
            None => return out,
        },
        Resource::Organisation(o) => match world.organisation(o) {
            Some(org) => (o, org.environment),
            None => return out,
        },
        // Only its own users act in an environment.
        Resource::Environment(environment) => return world.users_of(environment).to_vec(),
    };
    out.extend(world.users_of(environment).iter().filter(|u| {
        world
            .user(**u)
            .is_some_and(|u| u.role == EnvRole::Administrator)
    }));
    out.extend_from_slice(world.members_of(organisation));
    if let Resource::Document(d) = resource {
        for share in world.shares_of(d) {
            match share.grantee {
                Grantee::User(u) => out.push(u),
                Grantee::Group(g) => out.extend_from_slice(world.group_members(g)),
                Grantee::Organisation(o) => out.extend_from_slice(world.members_of(o)),
            }
        }
    }
    sort_dedup(&mut out);
    out
}

/// Every user who may do `action` to `resource`, with the grant paths.
pub fn who_can(world: &World, action: Action, resource: Resource) -> Vec<UserAccess> {
    candidates(world, resource)
        .into_iter()
        .filter_map(|user| {
            let decision = check(world, user, action, resource);
            decision.allowed.then_some(UserAccess {
                user,
                reasons: decision.reasons,
            })
        })
        .collect()
}

/// The resources of `kind` that `user` could possibly reach: a superset.
fn resource_candidates(world: &World, user: UserId, kind: ResourceKind) -> Vec<Resource> {
    // A disabled user reaches nothing.
    let Some(u) = world.user(user).filter(|u| u.is_active()) else {
        return Vec::new();
    };
    let mut organisations: Vec<OrganisationId> = world.organisations_of_user(user).to_vec();
    if u.role == EnvRole::Administrator {
        organisations.extend_from_slice(world.organisations_of(u.environment));
        sort_dedup(&mut organisations);
    }
    match kind {
        ResourceKind::Environment => vec![Resource::Environment(u.environment)],
        ResourceKind::Organisation => organisations
            .into_iter()
            .map(Resource::Organisation)
            .collect(),
        ResourceKind::Document => {
            // The organisations' documents are distinct and sorted per organisation.
            let mut documents: Vec<Resource> = Vec::new();
            for o in &organisations {
                documents.extend(world.documents_of(*o).map(Resource::Document));
            }
            let mut shared: Vec<DocumentId> =
                world.documents_shared_with(Grantee::User(user)).collect();
            for g in world.groups_of_user(user) {
                shared.extend(world.documents_shared_with(Grantee::Group(*g)));
            }
            for o in world.organisations_of_user(user) {
                shared.extend(world.documents_shared_with(Grantee::Organisation(*o)));
            }
            // Documents of organisations already listed need no second look.
            sort_dedup(&mut shared);
            shared.retain(|d| {
                world
                    .document_home(*d)
                    .is_some_and(|(o, _)| organisations.binary_search(&o).is_err())
            });
            documents.extend(shared.into_iter().map(Resource::Document));
            documents
        }
    }
}

/// Whether a user reaches an environment, and through which partner.
type Reach = Result<Option<EnvironmentId>, Reason>;

/// Decides many documents for one user, resolving the user and their reach to
/// each environment once (what_can and previews ask thousands of these).
pub struct DocumentAccessor<'a> {
    world: &'a World,
    user: Result<&'a User, Reason>,
    /// Hashed, not listed: an accountant reaches fifty environments, and a
    /// preview asks about their documents in no order of environment.
    reach: FxHashMap<EnvironmentId, Reach>,
    /// The user's role in each organisation asked about, and the last one
    /// apart: what_can asks about documents grouped by organisation.
    membership: Option<(OrganisationId, Option<OrgRole>)>,
    memberships: FxHashMap<OrganisationId, Option<OrgRole>>,
}

impl<'a> DocumentAccessor<'a> {
    /// An accessor for `user`'s documents in `world`.
    pub fn new(world: &'a World, user: UserId) -> Self {
        let user = match world.user(user) {
            None => Err(Reason::UnknownUser),
            Some(u) if !u.is_active() => Err(Reason::UserDisabled { user }),
            Some(u) => Ok(u),
        };
        DocumentAccessor {
            world,
            user,
            reach: FxHashMap::default(),
            membership: None,
            memberships: FxHashMap::default(),
        }
    }

    fn reach(
        &mut self,
        u: &User,
        environment: EnvironmentId,
    ) -> Result<Option<EnvironmentId>, Reason> {
        let world = self.world;
        *self
            .reach
            .entry(environment)
            .or_insert_with(|| reach(world, u.id, environment).map(|(_, through)| through))
    }

    fn membership_in(&mut self, u: &User, organisation: OrganisationId) -> Option<OrgRole> {
        if let Some((last, role)) = self.membership {
            if last == organisation {
                return role;
            }
        }
        let world = self.world;
        let role = *self
            .memberships
            .entry(organisation)
            .or_insert_with(|| world.membership(u.id, organisation).map(|m| m.role));
        self.membership = Some((organisation, role));
        role
    }

    /// The user's level on `document` with every grant path, as [`document_level`].
    pub fn level(&mut self, document: DocumentId) -> (Option<Level>, Reasons) {
        // A disabled or unknown user has nothing: no need to look the document up.
        if self.user.is_err() {
            return (None, Reasons::new());
        }
        let found = self.world.document_home_and_shares(document);
        self.decide(found)
    }

    /// [`DocumentAccessor::level`] of many documents, in their order. The lookups
    /// come first, in a tight loop of their own: in a large world each misses
    /// the cache, and the processor then overlaps several misses instead of
    /// waiting for each in turn (a preview asks tens of thousands). The levels
    /// are then decided one at a time, as the caller takes them: a preview keeps
    /// only those that change, and a list of every level with its reasons (a
    /// hundred bytes each) was megabytes written and read back.
    pub fn levels<'s>(
        &'s mut self,
        documents: &[DocumentId],
    ) -> impl Iterator<Item = (Option<Level>, Reasons)> + use<'a, 's> {
        let world = self.world;
        // Only what a decision needs is kept, so that the second pass reads a
        // compact list instead of touching every document again. A disabled or
        // unknown user has nothing: no need to look the documents up.
        let found: Vec<Option<(Home, &'a [Share])>> = if self.user.is_ok() {
            documents
                .iter()
                .map(|d| world.document_home_and_shares(*d))
                .collect()
        } else {
            Vec::new()
        };
        let nothing = documents.len() - found.len();
        found
            .into_iter()
            .map(move |doc| self.decide(doc))
            .chain(std::iter::repeat_with(|| (None, Reasons::new())).take(nothing))
    }

    /// The level and grant paths for a document found at `home` with `shares`.
    fn decide(&mut self, doc: Option<(Home, &[Share])>) -> (Option<Level>, Reasons) {
        let (Ok(u), Some(((organisation, environment), shares))) = (self.user, doc) else {
            return (None, Reasons::new());
        };
        let Ok(through) = self.reach(u, environment) else {
            return (None, Reasons::new());
        };
        let role = self.membership_in(u, organisation);
        let grants = document_grants_with(
            self.world,
            u.into(),
            (organisation, environment),
            through,
            role,
            shares,
        );
        let level = grants.iter().map(|(l, _)| *l).max();
        (level, grants.into_iter().map(|(_, r)| r).collect())
    }

    /// The grant paths of at least `needed`, if the user has that level.
    pub fn allowed(&mut self, document: DocumentId, needed: Level) -> Option<Reasons> {
        let u = self.user.ok()?;
        let (home, shares) = self.world.document_home_and_shares(document)?;
        let through = self.reach(u, home.1).ok()?;
        let role = self.membership_in(u, home.0);
        let reasons: Reasons =
            document_grants_with(self.world, u.into(), home, through, role, shares)
                .into_iter()
                .filter(|(l, _)| *l >= needed)
                .map(|(_, r)| r)
                .collect();
        (!reasons.is_empty()).then_some(reasons)
    }
}

/// Every resource of `kind` on which `user` may do `action`, with the grant paths.
pub fn what_can(
    world: &World,
    user: UserId,
    action: Action,
    kind: ResourceKind,
) -> Vec<ResourceAccess> {
    if action.resource_kind() != kind {
        return Vec::new();
    }
    let candidates = resource_candidates(world, user, kind);
    match action.level() {
        Some(needed) => {
            let mut accessor = DocumentAccessor::new(world, user);
            candidates
                .into_iter()
                .filter_map(|resource| match resource {
                    Resource::Document(d) => accessor
                        .allowed(d, needed)
                        .map(|reasons| ResourceAccess { resource, reasons }),
                    Resource::Organisation(_) | Resource::Environment(_) => None,
                })
                .collect()
        }
        None => candidates
            .into_iter()
            .filter_map(|resource| {
                let decision = check(world, user, action, resource);
                decision.allowed.then_some(ResourceAccess {
                    resource,
                    reasons: decision.reasons,
                })
            })
            .collect(),
    }
}

/// Every resource `user` has any access to (used by previews and projections).
pub fn reachable_resources(world: &World, user: UserId) -> Vec<Resource> {
    let mut out = resource_candidates(world, user, ResourceKind::Organisation);
    out.extend(resource_candidates(world, user, ResourceKind::Document));
    out
}

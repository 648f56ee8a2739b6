//! The state of the platform, and the one function that changes it.
//!
//! The world holds every entity and the indexes the access engine needs so that a
//! check never scans: memberships by user and by organisation, shares by document
//! and by grantee, group members both ways, partnerships by pair. `apply` keeps the
//! indexes in step with the entities; nothing else mutates a world.

mod cards;
mod cow_map;
mod flat;
mod homes;
mod numbers;

use crate::model::command::Event;
use crate::model::ids::*;
use crate::model::*;
use crate::util::sort::{sort_dedup, sort_unstable, sort_unstable_by_key};
use cards::{Card, PairStandings, UserCards};
use cow_map::{sorted_insert, sorted_remove, CowMap, SplitCowMap};
pub use homes::Home;
use homes::{DocumentHomes, Found};
use numbers::{EnvNumber, EnvironmentNumbers};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Where the grantee index files a share whose document the world does not
/// hold yet. Should an environment have this id, its shares filed here are
/// filed right all along.
pub const UNKNOWN_ENVIRONMENT: EnvironmentId = EnvironmentId::from_u128(0);

/// The shares of one document (usually none, one or two).
pub type DocShares = SmallVec<[Share; 2]>;

/// An unordered pair of environments, smaller id first.
pub type EnvPair = (EnvironmentId, EnvironmentId);

/// The pair key for two environments, in either order.
pub fn env_pair(a: EnvironmentId, b: EnvironmentId) -> EnvPair {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// See the module documentation.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "WorldShape")]
pub struct World {
    pub(crate) version: u64,
    /// Set on a projection: the user whose slice of the world this is. Decisions
    /// on such a world may rest on facts it does not hold (see `preview`).
    pub(crate) viewer: Option<UserId>,

    pub(crate) t: Tables,

    // Indexes, rebuilt from the above on deserialisation.
    #[serde(skip)]
    pub(crate) index: Indexes,
}

/// Two worlds are equal when they hold the same entities at the same version; the
/// indexes are derived from the entities.
impl PartialEq for World {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && self.viewer == other.viewer && self.t == other.t
    }
}

/// What a serialised world holds; the indexes are rebuilt on reading.
#[derive(Deserialize)]
struct WorldShape {
    version: u64,
    viewer: Option<UserId>,
    t: Tables,
}

impl From<WorldShape> for World {
    fn from(shape: WorldShape) -> Self {
        let mut world = World {
            version: shape.version,
            viewer: shape.viewer,
            t: shape.t,
            index: Indexes::default(),
        };
        world.rebuild_indexes();
        world
    }
}

/// The entities themselves: what is serialised. Indexes are derived from these.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct Tables {
    pub(crate) environments: CowMap<EnvironmentId, Environment>,
    pub(crate) users: CowMap<UserId, User>,
    pub(crate) invitations: CowMap<InvitationId, Invitation>,
    pub(crate) organisations: CowMap<OrganisationId, Organisation>,
    pub(crate) memberships: CowMap<(UserId, OrganisationId), Membership>,
    pub(crate) documents: CowMap<DocumentId, Document>,
    pub(crate) shares: SplitCowMap<DocumentId, DocShares>,
    pub(crate) groups: CowMap<GroupId, Group>,
    pub(crate) partnerships: CowMap<PartnershipId, Partnership>,
    pub(crate) requests: CowMap<RequestId, PartnershipRequest>,
    pub(crate) keys: CowMap<KeyId, ConnectionKey>,
    pub(crate) tasks: CowMap<TaskId, Task>,
    pub(crate) ledger: CowMap<EnvironmentId, Vec<LedgerEntry>>,
    /// The latest export of each organisation (DOMAIN §7).
    #[serde(default)]
    pub(crate) exports: CowMap<OrganisationId, Export>,
    /// Pending removal authorisations, by organisation.
    #[serde(default)]
    pub(crate) removals: CowMap<OrganisationId, RemovalAuthorisation>,
    /// The bundles imported into each organisation, by manifest digest.
    #[serde(default)]
    pub(crate) imports: CowMap<OrganisationId, Vec<Sha256>>,

    /// Group members are part of the state (not only an index).
    pub(crate) group_members: CowMap<GroupId, Vec<UserId>>,
    /// On a projection only: people named on the viewer's records whom the
    /// viewer does not see as users ([`Person`]).
    #[serde(default)]
    pub(crate) names: CowMap<UserId, Person>,
}

/// Lookups from either side of every relation. Sorted vectors keep iteration
/// deterministic, so the same world yields the same events everywhere.
#[derive(Clone, Debug, Default)]
pub(crate) struct Indexes {
    pub users_by_env: CowMap<EnvironmentId, Vec<UserId>>,
    pub user_by_email: CowMap<String, UserId>,
    pub orgs_by_env: CowMap<EnvironmentId, Vec<OrganisationId>>,
    /// Registered (active) participants.
    pub registry: CowMap<String, OrganisationId>,
    pub orgs_by_user: CowMap<UserId, Vec<OrganisationId>>,
    pub members_by_org: CowMap<OrganisationId, Vec<UserId>>,
    pub docs_by_org: CowMap<OrganisationId, BTreeSet<DocumentId>>,
    /// The numbers the three indexes below name environments by.
    pub environment_numbers: EnvironmentNumbers,
    /// Each document's organisation and environment, one memory access away.
    pub document_homes: DocumentHomes,
    /// What a check needs of each user, one memory access away.
    pub user_cards: UserCards,
    /// The standing of each pair of environments that had a partnership.
    pub pair_standings: PairStandings,
    /// What is shared with each grantee, as (the document's environment, the
    /// document), sorted: the documents in one environment are one run, found
    /// by binary search. Ending a partnership and previewing it ask exactly that
    /// (what of the other side is shared with this side's grantees); asking each
    /// document's home instead was thousands of random memory reads. A share
    /// put before its document (a projection is built in any order) sits under
    /// [`UNKNOWN_ENVIRONMENT`] until the document comes.
    /// Behind an `Arc` each: a grantee can hold thousands of documents, and a
    /// preview that revokes one share must not deep-copy every list of a shard.
    pub shares_by_grantee: CowMap<Grantee, Arc<Vec<(EnvironmentId, DocumentId)>>>,
    pub groups_by_env: CowMap<EnvironmentId, Vec<GroupId>>,
    pub groups_by_user: CowMap<UserId, Vec<GroupId>>,
    /// The active partnership of a pair (at most one).
    pub active_partnership: CowMap<EnvPair, PartnershipId>,
    /// Every partnership of an environment, ended ones too.
    pub partnerships_by_env: CowMap<EnvironmentId, Vec<PartnershipId>>,
    /// The latest ended partnership of a pair, for explaining denials.
    pub latest_ended: CowMap<EnvPair, PartnershipId>,
    pub keys_by_org: CowMap<OrganisationId, Vec<KeyId>>,
    pub keys_by_holder: CowMap<UserId, Vec<KeyId>>,
    pub tasks_by_document: CowMap<DocumentId, Vec<TaskId>>,
    pub open_tasks_by_assignee: CowMap<UserId, Vec<TaskId>>,
}

/// Counts, for dashboards and health checks.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldStats {
    pub environments: usize,
    pub users: usize,
    pub organisations: usize,
    pub documents: usize,
    pub shares: usize,
    pub groups: usize,
    pub partnerships: usize,
    pub tasks: usize,
}

impl World {
    /// An empty platform.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of events applied so far.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The user whose projection this is, if it is one.
    pub fn viewer(&self) -> Option<UserId> {
        self.viewer
    }

    /// Counts of what the world holds.
    pub fn stats(&self) -> WorldStats {
        WorldStats {
            environments: self.t.environments.len(),
            users: self.t.users.len(),
            organisations: self.t.organisations.len(),
            documents: self.t.documents.len(),
            shares: self.t.shares.values().map(|list| list.len()).sum(),
            groups: self.t.groups.len(),
            partnerships: self.t.partnerships.len(),
            tasks: self.t.tasks.len(),
        }
    }

    // ----- reading -----------------------------------------------------------

    pub fn environment(&self, id: EnvironmentId) -> Option<&Environment> {
        self.t.environments.get(&id)
    }
    pub fn user(&self, id: UserId) -> Option<&User> {
        self.t.users.get(&id)
    }
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        let id = self.index.user_by_email.get(&normalise_email(email))?;
        self.t.users.get(id)
    }
    pub fn invitation(&self, id: InvitationId) -> Option<&Invitation> {
        self.t.invitations.get(&id)
    }
    pub fn organisation(&self, id: OrganisationId) -> Option<&Organisation> {
        self.t.organisations.get(&id)
    }
    pub fn document(&self, id: DocumentId) -> Option<&Document> {
        self.t.documents.get(&id)
    }
    /// A document's organisation and environment, without reading the document:
    /// what an access decision needs, at the cost of one memory access.
    #[inline]
    pub fn document_home(&self, id: DocumentId) -> Option<Home> {
        self.document_home_and_shared(id).map(|(home, _)| home)
    }
    /// [`World::document_home`], and whether the document has shares: a check
    /// looks them up only if so.
    #[inline]
    pub fn document_home_and_shared(&self, id: DocumentId) -> Option<(Home, bool)> {
        let found = self.document_found(id)?;
        let environment = self.environment_numbered(found.environment)?;
        Some(((found.organisation, environment), found.shared))
    }
    /// [`World::document_home`] and the document's shares, the share table
    /// read only if the document may have any (nine in ten have none, and for
    /// them that lookup would be a cache miss for nothing).
    #[inline]
    pub fn document_home_and_shares(&self, id: DocumentId) -> Option<(Home, &[Share])> {
        let (home, shared) = self.document_home_and_shared(id)?;
        Some((home, if shared { self.shares_of(id) } else { &[] }))
    }
    /// A document as the homes index keeps it, its environment as a number.
    #[inline]
    pub(crate) fn document_found(&self, id: DocumentId) -> Option<Found> {
        self.index.document_homes.lookup(id)
    }
    /// What a check needs of `user`.
    #[inline]
    pub(crate) fn user_card(&self, user: UserId) -> Option<Card> {
        self.index.user_cards.get(user)
    }
    /// The environment numbered `number` by the indexes a check reads.
    #[inline]
    pub(crate) fn environment_numbered(&self, number: EnvNumber) -> Option<EnvironmentId> {
        self.index.environment_numbers.environment(number)
    }
    /// How two environments, by number, stand with each other.
    #[inline]
    pub(crate) fn standing_by_number(&self, a: EnvNumber, b: EnvNumber) -> Option<Standing> {
        self.index.pair_standings.get(a, b)
    }
    /// The latest export of `organisation`, if any.
    pub fn export_of(&self, organisation: OrganisationId) -> Option<&Export> {
        self.t.exports.get(&organisation)
    }
    /// The pending authorisation to remove `organisation`, if any.
    pub fn removal_of(&self, organisation: OrganisationId) -> Option<&RemovalAuthorisation> {
        self.t.removals.get(&organisation)
    }
    /// Every pending removal authorisation (what Support has to act on).
    pub fn removals(&self) -> impl Iterator<Item = &RemovalAuthorisation> {
        self.t.removals.values()
    }
    /// The bundles imported into `organisation`, by manifest digest.
    pub fn imports_of(&self, organisation: OrganisationId) -> &[Sha256] {
        self.t.imports.get(&organisation).map_or(&[], Vec::as_slice)
    }
    pub fn group(&self, id: GroupId) -> Option<&Group> {
        self.t.groups.get(&id)
    }
    pub fn partnership(&self, id: PartnershipId) -> Option<&Partnership> {
        self.t.partnerships.get(&id)
    }
    pub fn request(&self, id: RequestId) -> Option<&PartnershipRequest> {
        self.t.requests.get(&id)
    }
    pub fn key(&self, id: KeyId) -> Option<&ConnectionKey> {
        self.t.keys.get(&id)
    }
    pub fn task(&self, id: TaskId) -> Option<&Task> {
        self.t.tasks.get(&id)
    }
    pub fn membership(&self, user: UserId, organisation: OrganisationId) -> Option<&Membership> {
        self.t.memberships.get(&(user, organisation))
    }

    /// A person named on the viewer's records (on a projection), whom the
    /// projection does not hold as a user.
    pub fn person(&self, id: UserId) -> Option<&Person> {
        self.t.names.get(&id)
    }

    /// The name of a user, or of a person the projection names (see [`Person`]).
    pub fn name_of(&self, id: UserId) -> Option<&str> {
        self.user(id)
            .map(|u| u.name.as_str())
            .or_else(|| self.person(id).map(|p| p.name.as_str()))
    }

    pub fn environments(&self) -> impl Iterator<Item = &Environment> + '_ {
        self.t.environments.values()
    }
    pub fn users(&self) -> impl Iterator<Item = &User> + '_ {
        self.t.users.values()
    }
    pub fn organisations(&self) -> impl Iterator<Item = &Organisation> + '_ {
        self.t.organisations.values()
    }
    pub fn documents(&self) -> impl Iterator<Item = &Document> + '_ {
        self.t.documents.values()
    }
    pub fn groups(&self) -> impl Iterator<Item = &Group> + '_ {
        self.t.groups.values()
    }
    pub fn partnerships(&self) -> impl Iterator<Item = &Partnership> + '_ {
        self.t.partnerships.values()
    }
    pub fn requests(&self) -> impl Iterator<Item = &PartnershipRequest> + '_ {
        self.t.requests.values()
    }
    pub fn invitations(&self) -> impl Iterator<Item = &Invitation> + '_ {
        self.t.invitations.values()
    }
    pub fn keys(&self) -> impl Iterator<Item = &ConnectionKey> + '_ {
        self.t.keys.values()
    }
    pub fn tasks(&self) -> impl Iterator<Item = &Task> + '_ {
        self.t.tasks.values()
    }
    pub fn memberships(&self) -> impl Iterator<Item = &Membership> + '_ {
        self.t.memberships.values()
    }
    /// Every share of every document.
    pub fn shares(&self) -> impl Iterator<Item = &Share> + '_ {
        self.t.shares.values().flat_map(|list| list.iter())
    }

    /// The users whose home is `environment`, by id.
    pub fn users_of(&self, environment: EnvironmentId) -> &[UserId] {
        self.index
            .users_by_env
            .get(&environment)
            .map_or(&[], Vec::as_slice)
    }
    /// The active Administrators of `environment`.
    pub fn administrators_of(
        &self,
        environment: EnvironmentId,
    ) -> impl Iterator<Item = &User> + '_ {
        self.users_of(environment)
            .iter()
            .filter_map(|u| self.user(*u))
            .filter(|u| u.role == EnvRole::Administrator && u.is_active())
    }
    /// The organisations of `environment`, by id.
    pub fn organisations_of(&self, environment: EnvironmentId) -> &[OrganisationId] {
        self.index
            .orgs_by_env
            .get(&environment)
            .map_or(&[], Vec::as_slice)
    }
    /// The organisations `user` is a member or manager of.
    pub fn organisations_of_user(&self, user: UserId) -> &[OrganisationId] {
        self.index
            .orgs_by_user
            .get(&user)
            .map_or(&[], Vec::as_slice)
    }
    /// The members and managers of `organisation`.
    pub fn members_of(&self, organisation: OrganisationId) -> &[UserId] {
        self.index
            .members_by_org
            .get(&organisation)
            .map_or(&[], Vec::as_slice)
    }
    /// The documents of `organisation`, in id order.
    pub fn documents_of(
        &self,
        organisation: OrganisationId,
    ) -> impl Iterator<Item = DocumentId> + '_ {
        self.index
            .docs_by_org
            .get(&organisation)
            .into_iter()
            .flat_map(|set| set.iter().copied())
    }
    /// The number of documents of `organisation`.
    pub fn document_count(&self, organisation: OrganisationId) -> usize {
        self.index
            .docs_by_org
            .get(&organisation)
            .map_or(0, BTreeSet::len)
    }
    /// The shares of `document`.
    pub fn shares_of(&self, document: DocumentId) -> &[Share] {
        self.t
            .shares
            .get(&document)
            .map_or(&[], |list| list.as_slice())
    }
    /// The documents shared with `grantee`, by environment, then by id.
    pub fn documents_shared_with(
        &self,
        grantee: Grantee,
    ) -> impl ExactSizeIterator<Item = DocumentId> + Clone + '_ {
        self.shared_with(grantee)
            .iter()
            .map(|(_, document)| *document)
    }

    /// The documents of `environment` shared with `grantee`, by id.
    pub fn documents_shared_with_in(
        &self,
        grantee: Grantee,
        environment: EnvironmentId,
    ) -> impl ExactSizeIterator<Item = DocumentId> + Clone + '_ {
        let list = self.shared_with(grantee);
        let start = list.partition_point(|(e, _)| *e < environment);
        let end = list.partition_point(|(e, _)| *e <= environment);
        list.get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|(_, document)| *document)
    }

    fn shared_with(&self, grantee: Grantee) -> &[(EnvironmentId, DocumentId)] {
        self.index
            .shares_by_grantee
            .get(&grantee)
            .map_or(&[], |list| list.as_slice())
    }
    /// The groups of `environment`.
    pub fn groups_of(&self, environment: EnvironmentId) -> &[GroupId] {
        self.index
            .groups_by_env
            .get(&environment)
            .map_or(&[], Vec::as_slice)
    }
    /// The members of `group`, by id.
    pub fn group_members(&self, group: GroupId) -> &[UserId] {
        self.t.group_members.get(&group).map_or(&[], Vec::as_slice)
    }
    /// Whether `user` is in `group`.
    pub fn is_group_member(&self, group: GroupId, user: UserId) -> bool {
        self.group_members(group).binary_search(&user).is_ok()
    }
    /// The groups `user` is in.
    pub fn groups_of_user(&self, user: UserId) -> &[GroupId] {
        self.index
            .groups_by_user
            .get(&user)
            .map_or(&[], Vec::as_slice)
    }
    /// The active partnership between two environments, if any.
    pub fn active_partnership(&self, a: EnvironmentId, b: EnvironmentId) -> Option<&Partnership> {
        let id = self.index.active_partnership.get(&env_pair(a, b))?;
        self.t.partnerships.get(id)
    }
    /// Every partnership `environment` has had, ended ones too.
    pub fn partnerships_of(&self, environment: EnvironmentId) -> &[PartnershipId] {
        self.index
            .partnerships_by_env
            .get(&environment)
            .map_or(&[], Vec::as_slice)
    }
    /// The latest ended partnership between two environments, if any.
    pub fn latest_ended_partnership(
        &self,
        a: EnvironmentId,
        b: EnvironmentId,
    ) -> Option<&Partnership> {
        let id = self.index.latest_ended.get(&env_pair(a, b))?;
        self.t.partnerships.get(id)
    }
    /// How two environments stand with each other: partnered, or when their
    /// latest partnership ended; `None` if they never had one.
    pub fn standing(&self, a: EnvironmentId, b: EnvironmentId) -> Option<Standing> {
        let numbers = &self.index.environment_numbers;
        self.standing_by_number(numbers.number(a)?, numbers.number(b)?)
    }
    /// Whether two environments are the same or actively partnered.
    pub fn reaches(&self, home: EnvironmentId, environment: EnvironmentId) -> bool {
        home == environment
            || self
                .index
                .active_partnership
                .contains_key(&env_pair(home, environment))
    }
    /// The environments actively partnered with `environment`.
    pub fn partners_of(&self, environment: EnvironmentId) -> Vec<EnvironmentId> {
        let mut out: Vec<EnvironmentId> = self
            .partnerships_of(environment)
            .iter()
            .filter_map(|id| self.t.partnerships.get(id))
            .filter(|p| p.is_active())
            .map(|p| p.other_side(environment))
            .collect();
        sort_dedup(&mut out);
        out
    }
    /// The organisation registered under a participant identifier.
    pub fn registered(&self, participant_id: &str) -> Option<&Organisation> {
        let id = self.index.registry.get(&participant_id.to_string())?;
        self.t.organisations.get(id)
    }
    /// The connection keys of `organisation`.
    pub fn keys_of(&self, organisation: OrganisationId) -> &[KeyId] {
        self.index
            .keys_by_org
            .get(&organisation)
            .map_or(&[], Vec::as_slice)
    }
    /// The connection keys held by `user`.
    pub fn keys_held_by(&self, user: UserId) -> &[KeyId] {
        self.index
            .keys_by_holder
            .get(&user)
            .map_or(&[], Vec::as_slice)
    }
    /// The tasks on `document`.
    pub fn tasks_of(&self, document: DocumentId) -> &[TaskId] {
        self.index
            .tasks_by_document
            .get(&document)
            .map_or(&[], Vec::as_slice)
    }
    /// The open tasks assigned to `user`.
    pub fn open_tasks_of(&self, user: UserId) -> &[TaskId] {
        self.index
            .open_tasks_by_assignee
            .get(&user)
            .map_or(&[], Vec::as_slice)
    }
    /// The credit movements of `environment`, oldest first.
    pub fn ledger_of(&self, environment: EnvironmentId) -> &[LedgerEntry] {
        self.t.ledger.get(&environment).map_or(&[], Vec::as_slice)
    }

    // ----- changing ----------------------------------------------------------

    /// Applies one event. Events are facts already decided by `execute`, so
    /// applying never fails; an event naming something absent changes nothing but
    /// the version (a projection may lack what the event names).
    pub fn apply(&mut self, event: &Event) {
        self.version += 1;
        match event {
            Event::EnvironmentCreated {
                environment,
                name,
                plan,
                at,
            } => {
                self.put_environment(Environment {
                    id: *environment,
                    name: name.clone(),
                    plan: *plan,
                    add_ons: Vec::new(),
                    credit: 0,
                    created_at: *at,
                });
            }
            Event::UserCreated {
                user,
                environment,
                name,
                email,
                role,
            } => {
                self.put_user(User {
                    id: *user,
                    environment: *environment,
                    name: name.clone(),
                    email: email.clone(),
                    role: *role,
                    relationship_manager: false,
                    status: UserStatus::Active,
                });
            }
            Event::InvitationCreated { invitation } => {
                self.t.invitations.insert(invitation.id, invitation.clone());
            }
            Event::InvitationAccepted { invitation, .. } => {
                if let Some(inv) = self.t.invitations.get_mut(invitation) {
                    inv.status = InvitationStatus::Accepted;
                }
            }
            Event::InvitationRevoked { invitation } => {
                if let Some(inv) = self.t.invitations.get_mut(invitation) {
                    inv.status = InvitationStatus::Revoked;
                }
            }
            Event::RoleAssigned { user, role } => {
                if let Some(u) = self.t.users.get_mut(user) {
                    u.role = *role;
                }
                self.refresh_card(*user);
            }
            Event::RelationshipManagerRoleSet { user, enabled } => {
                if let Some(u) = self.t.users.get_mut(user) {
                    u.relationship_manager = *enabled;
                }
            }
            Event::UserDisabled { user } => {
                if let Some(u) = self.t.users.get_mut(user) {
                    u.status = UserStatus::Disabled;
                }
                self.refresh_card(*user);
            }
            Event::UserEnabled { user } => {
                if let Some(u) = self.t.users.get_mut(user) {
                    u.status = UserStatus::Active;
                }
                self.refresh_card(*user);
            }
            Event::PlanSet { environment, plan } => {
                if let Some(env) = self.t.environments.get_mut(environment) {
                    env.plan = *plan;
                }
            }
            Event::AddOnSet {
                environment,
                add_on,
                enabled,
            } => {
                if let Some(env) = self.t.environments.get_mut(environment) {
                    env.add_ons.retain(|a| a != add_on);
                    if *enabled {
                        env.add_ons.push(*add_on);
                        sort_unstable(&mut env.add_ons);
                    }
                }
            }
            Event::CreditChanged {
                environment,
                organisation,
                amount,
                reason,
                at,
            } => {
                if let Some(env) = self.t.environments.get_mut(environment) {
                    env.credit += amount;
                    let balance_after = env.credit;
                    if let Some(ledger) = self.t.ledger.entry_or_default(*environment) {
                        ledger.push(LedgerEntry {
                            environment: *environment,
                            organisation: *organisation,
                            amount: *amount,
                            balance_after,
                            reason: reason.clone(),
                            at: *at,
                        });
                    }
                }
            }
            Event::OrganisationAdded {
                organisation,
                environment,
                name,
                participant_id,
            } => {
                self.put_organisation(Organisation {
                    id: *organisation,
                    environment: *environment,
                    name: name.clone(),
                    participant_id: participant_id.clone(),
                    status: OrgStatus::Inactive,
                    cost_bearer: *environment,
                    software_connection: None,
                });
            }
            Event::OrganisationRenamed { organisation, name } => {
                if let Some(org) = self.t.organisations.get_mut(organisation) {
                    org.name = name.clone();
                }
            }
            Event::OrganisationActivated { organisation } => {
                if let Some(org) = self.t.organisations.get_mut(organisation) {
                    org.status = OrgStatus::Active;
                    let participant = org.participant_id.clone();
                    self.index.registry.insert(participant, *organisation);
                }
            }
            Event::SoftwareConnectionConfigured {
                organisation,
                software,
            } => {
                if let Some(org) = self.t.organisations.get_mut(organisation) {
                    org.software_connection = Some(software.clone());
                }
            }
            Event::ConnectionKeyIssued {
                key,
                organisation,
                holder,
                at,
            } => {
                self.put_key(ConnectionKey {
                    id: *key,
                    organisation: *organisation,
                    holder: *holder,
                    issued_at: *at,
                    revoked: None,
                });
            }
            Event::ConnectionKeyRevoked { key, reason, at } => {
                if let Some(k) = self.t.keys.get_mut(key) {
                    k.revoked = Some((*at, *reason));
                }
            }
            Event::MembershipGranted {
                user,
                organisation,
                role,
                at,
            } => {
                let since = self
                    .membership(*user, *organisation)
                    .map_or(*at, |m| m.since);
                self.put_membership(Membership {
                    user: *user,
                    organisation: *organisation,
                    role: *role,
                    since,
                });
            }
            Event::MembershipRemoved { user, organisation } => {
                if self.t.memberships.remove(&(*user, *organisation)).is_some() {
                    if let Some(list) = self.index.orgs_by_user.get_mut(user) {
                        sorted_remove(list, organisation);
                    }
                    if let Some(list) = self.index.members_by_org.get_mut(organisation) {
                        sorted_remove(list, user);
                    }
                    self.refresh_card(*user);
                }
            }
            Event::PartnershipRequested { request } => {
                self.t.requests.insert(request.id, request.clone());
            }
            Event::PartnershipRequestDeclined { request, by } => {
                if let Some(r) = self.t.requests.get_mut(request) {
                    r.status = RequestStatus::Declined { by: *by };
                }
            }
            Event::PartnershipRequestWithdrawn { request } => {
                if let Some(r) = self.t.requests.get_mut(request) {
                    r.status = RequestStatus::Withdrawn;
                }
            }
            Event::PartnershipCreated {
                partnership,
                requester,
                accepter,
                origin,
                accepted_by,
                at,
            } => {
                let request = match origin {
                    PartnershipOrigin::AuthorisationRequest(r) | PartnershipOrigin::Manual(r) => *r,
                };
                if let Some(r) = self.t.requests.get_mut(&request) {
                    r.status = RequestStatus::Accepted {
                        by: *accepted_by,
                        partnership: *partnership,
                    };
                }
                self.put_partnership(Partnership {
                    id: *partnership,
                    requester: *requester,
                    accepter: *accepter,
                    origin: *origin,
                    created_at: *at,
                    ended: None,
                    relationship_managers: Vec::new(),
                });
            }
            Event::PartnershipEnded {
                partnership,
                by,
                at,
            } => {
                if let Some(p) = self.t.partnerships.get_mut(partnership) {
                    p.ended = Some(Ended { at: *at, by: *by });
                    p.relationship_managers.clear();
                    let pair = env_pair(p.requester, p.accepter);
                    if self.index.active_partnership.get(&pair) == Some(partnership) {
                        self.index.active_partnership.remove(&pair);
                    }
                    self.index.latest_ended.insert(pair, *partnership);
                    self.refresh_standing(pair);
                }
            }
            Event::RelationshipManagerConnected { partnership, user } => {
                if let Some(p) = self.t.partnerships.get_mut(partnership) {
                    sorted_insert(&mut p.relationship_managers, *user);
                }
            }
            Event::RelationshipManagerDisconnected { partnership, user } => {
                if let Some(p) = self.t.partnerships.get_mut(partnership) {
                    sorted_remove(&mut p.relationship_managers, user);
                }
            }
            Event::CostBearerChanged {
                organisation,
                bearer,
            } => {
                if let Some(org) = self.t.organisations.get_mut(organisation) {
                    org.cost_bearer = *bearer;
                }
            }
            Event::DocumentAdded { document } => self.put_document(document.clone()),
            Event::DocumentDeleted { document } => self.delete_document(*document),
            Event::ShareGranted { share } => self.put_share(*share),
            Event::ShareRevoked { document, grantee } => self.remove_share(*document, *grantee),
            Event::DocumentSent { .. } => {}
            Event::GroupCreated {
                group,
                environment,
                name,
            } => {
                self.put_group(Group {
                    id: *group,
                    environment: *environment,
                    name: name.clone(),
                });
            }
            Event::GroupRenamed { group, name } => {
                if let Some(g) = self.t.groups.get_mut(group) {
                    g.name = name.clone();
                }
            }
            Event::GroupDeleted { group } => self.delete_group(*group),
            Event::GroupMemberAdded { group, user } => self.put_group_member(*group, *user),
            Event::GroupMemberRemoved { group, user } => {
                let mut now_empty = false;
                if let Some(list) = self.t.group_members.get_mut(group) {
                    sorted_remove(list, user);
                    now_empty = list.is_empty();
                }
                if now_empty {
                    self.t.group_members.remove(group);
                }
                if let Some(list) = self.index.groups_by_user.get_mut(user) {
                    sorted_remove(list, group);
                }
            }
            Event::TaskStarted {
                task,
                document,
                by,
                assignee,
                note,
                at,
            } => {
                self.put_task(Task {
                    id: *task,
                    document: *document,
                    assignee: *assignee,
                    status: TaskStatus::Open,
                    note: note.clone(),
                    trail: vec![TrailEntry {
                        at: *at,
                        step: TrailStep::Started {
                            by: *by,
                            assignee: *assignee,
                        },
                    }],
                });
            }
            Event::TaskDelegated { task, by, to, at } => {
                self.move_task(*task, *to, |from| TrailEntry {
                    at: *at,
                    step: TrailStep::Delegated {
                        by: *by,
                        from,
                        to: *to,
                    },
                });
            }
            Event::OrganisationExported {
                organisation,
                digest,
                by,
                at,
            } => {
                let documents: Vec<DocumentId> = self.documents_of(*organisation).collect();
                self.t.exports.insert(
                    *organisation,
                    Export {
                        organisation: *organisation,
                        digest: *digest,
                        documents,
                        by: *by,
                        at: *at,
                    },
                );
            }
            Event::RemovalAuthorised {
                organisation,
                export,
                accept_loss,
                fingerprint,
                by,
                at,
            } => {
                self.t.removals.insert(
                    *organisation,
                    RemovalAuthorisation {
                        organisation: *organisation,
                        export: *export,
                        accept_loss: *accept_loss,
                        fingerprint: fingerprint.clone(),
                        by: *by,
                        at: *at,
                    },
                );
            }
            Event::OrganisationRemoved { organisation, .. } => {
                if let Some(org) = self.t.organisations.get_mut(organisation) {
                    org.status = OrgStatus::Removed;
                    let participant = org.participant_id.clone();
                    if self.index.registry.get(&participant) == Some(organisation) {
                        self.index.registry.remove(&participant);
                    }
                }
                self.t.exports.remove(organisation);
                self.t.removals.remove(organisation);
                self.t.imports.remove(organisation);
            }
            Event::BundleImported {
                organisation,
                bundle,
                ..
            } => {
                if let Some(list) = self.t.imports.entry_or_default(*organisation) {
                    sorted_insert(list, *bundle);
                }
            }
            Event::TaskReassigned { task, to, why, at } => {
                self.move_task(*task, *to, |from| TrailEntry {
                    at: *at,
                    step: TrailStep::Reassigned {
                        from,
                        to: *to,
                        why: *why,
                    },
                });
            }
            Event::TaskApproved {
                task,
                by,
                comment,
                at,
            } => {
                self.close_task(
                    *task,
                    TaskStatus::Approved,
                    TrailEntry {
                        at: *at,
                        step: TrailStep::Approved {
                            by: *by,
                            comment: comment.clone(),
                        },
                    },
                );
            }
            Event::TaskRejected {
                task,
                by,
                reason,
                at,
            } => {
                self.close_task(
                    *task,
                    TaskStatus::Rejected {
                        reason: reason.clone(),
                    },
                    TrailEntry {
                        at: *at,
                        step: TrailStep::Rejected {
                            by: *by,
                            reason: reason.clone(),
                        },
                    },
                );
            }
        }
    }

    // ----- index-keeping inserts, shared by `apply` and `project` ------------

    pub(crate) fn put_environment(&mut self, environment: Environment) {
        self.t.environments.insert(environment.id, environment);
    }

    pub(crate) fn put_user(&mut self, user: User) {
        if let Some(list) = self.index.users_by_env.entry_or_default(user.environment) {
            sorted_insert(list, user.id);
        }
        self.index
            .user_by_email
            .insert(normalise_email(&user.email), user.id);
        let id = user.id;
        self.t.users.insert(user.id, user);
        self.refresh_card(id);
    }

    /// Writes the card of `user` as the user and the user's memberships now are.
    fn refresh_card(&mut self, user: UserId) {
        let Some((environment, active, administrator)) = self.user(user).map(|u| {
            (
                u.environment,
                u.is_active(),
                u.role == EnvRole::Administrator,
            )
        }) else {
            return;
        };
        let Some(number) = self.index.environment_numbers.assign(environment) else {
            return;
        };
        let card = Card::new(
            number,
            active,
            administrator,
            self.organisations_of_user(user),
        );
        self.index.user_cards.put(user, card);
    }

    pub(crate) fn put_organisation(&mut self, organisation: Organisation) {
        if let Some(list) = self
            .index
            .orgs_by_env
            .entry_or_default(organisation.environment)
        {
            sorted_insert(list, organisation.id);
        }
        if organisation.status == OrgStatus::Active && !organisation.participant_id.is_empty() {
            self.index
                .registry
                .insert(organisation.participant_id.clone(), organisation.id);
        }
        self.t.organisations.insert(organisation.id, organisation);
    }

    pub(crate) fn put_membership(&mut self, membership: Membership) {
        let (user, organisation) = (membership.user, membership.organisation);
        self.t.memberships.insert((user, organisation), membership);
        if let Some(list) = self.index.orgs_by_user.entry_or_default(user) {
            sorted_insert(list, organisation);
        }
        if let Some(list) = self.index.members_by_org.entry_or_default(organisation) {
            sorted_insert(list, user);
        }
        self.refresh_card(user);
    }

    pub(crate) fn put_document(&mut self, document: Document) {
        if let Some(set) = self
            .index
            .docs_by_org
            .entry_or_default(document.organisation)
        {
            set.insert(document.id);
        }
        // Shares may have come first (a projection is built in any order):
        // the grantee index files them where the document now lives.
        // Only then is the home looked up: a world of a million documents is
        // built from their events, and nine in ten have no share.
        let shared = !self.shares_of(document.id).is_empty();
        let filed = if shared {
            self.shared_document_environment(document.id)
        } else {
            document.environment
        };
        if filed != document.environment {
            let grantees: Vec<Grantee> = self
                .shares_of(document.id)
                .iter()
                .map(|s| s.grantee)
                .collect();
            for grantee in grantees {
                if let Some(list) = self.index.shares_by_grantee.get_mut(&grantee) {
                    let list = Arc::make_mut(list);
                    sorted_remove(list, &(filed, document.id));
                    sorted_insert(list, (document.environment, document.id));
                }
            }
        }
        if let Some(environment) = self.index.environment_numbers.assign(document.environment) {
            self.index.document_homes.insert(
                document.id,
                Found {
                    organisation: document.organisation,
                    environment,
                    shared,
                },
            );
        }
        self.t.documents.insert(document.id, document);
    }

    fn delete_document(&mut self, document: DocumentId) {
        let Some(doc) = self.t.documents.remove(&document) else {
            return;
        };
        if let Some(set) = self.index.docs_by_org.get_mut(&doc.organisation) {
            set.remove(&document);
        }
        self.index.document_homes.remove(document);
        let grantees: Vec<Grantee> = self.shares_of(document).iter().map(|s| s.grantee).collect();
        for grantee in grantees {
            self.unshare(document, grantee, doc.environment);
        }
        for task in self.tasks_of(document).to_vec() {
            if let Some(t) = self.t.tasks.remove(&task) {
                if let Some(list) = self.index.open_tasks_by_assignee.get_mut(&t.assignee) {
                    sorted_remove(list, &task);
                }
            }
        }
        self.index.tasks_by_document.remove(&document);
    }

    pub(crate) fn put_share(&mut self, share: Share) {
        if let Some(list) = self.t.shares.entry_or_default(share.document) {
            match list.iter_mut().find(|s| s.grantee == share.grantee) {
                Some(existing) => *existing = share,
                None => {
                    list.push(share);
                    sort_unstable_by_key(list, |s| s.grantee);
                }
            }
        }
        let environment = self.shared_document_environment(share.document);
        if let Some(list) = self.index.shares_by_grantee.entry_or_default(share.grantee) {
            sorted_insert(Arc::make_mut(list), (environment, share.document));
        }
        self.index.document_homes.set_shared(share.document, true);
    }

    /// Where the grantee index files a share of `document`.
    fn shared_document_environment(&self, document: DocumentId) -> EnvironmentId {
        self.document_home(document)
            .map_or(UNKNOWN_ENVIRONMENT, |(_, environment)| environment)
    }

    fn remove_share(&mut self, document: DocumentId, grantee: Grantee) {
        let environment = self.shared_document_environment(document);
        self.unshare(document, grantee, environment);
    }

    /// Removes a share of `document`, which the grantee index files under
    /// `environment`.
    fn unshare(&mut self, document: DocumentId, grantee: Grantee, environment: EnvironmentId) {
        let mut now_empty = false;
        if let Some(list) = self.t.shares.get_mut(&document) {
            list.retain(|s| s.grantee != grantee);
            now_empty = list.is_empty();
        }
        if now_empty {
            self.t.shares.remove(&document);
            // The document's mark in the homes index stays: it says "may have
            // shares", and a check that finds none is still right. Clearing it
            // would copy a shard of that index (72 bytes a document) in every
            // preview that removes a share; ending a partnership removes a
            // dozen, in as many shards, and took two to five times as long.
        }
        if let Some(list) = self.index.shares_by_grantee.get_mut(&grantee) {
            sorted_remove(Arc::make_mut(list), &(environment, document));
        }
    }

    pub(crate) fn put_group(&mut self, group: Group) {
        if let Some(list) = self.index.groups_by_env.entry_or_default(group.environment) {
            sorted_insert(list, group.id);
        }
        self.t.groups.insert(group.id, group);
    }

    fn delete_group(&mut self, group: GroupId) {
        // A projection may hold a group's members and shares without the group
        // itself (one known only as a grantee): those go too.
        if let Some(g) = self.t.groups.remove(&group) {
            if let Some(list) = self.index.groups_by_env.get_mut(&g.environment) {
                sorted_remove(list, &group);
            }
        }
        for user in self.group_members(group).to_vec() {
            if let Some(list) = self.index.groups_by_user.get_mut(&user) {
                sorted_remove(list, &group);
            }
        }
        self.t.group_members.remove(&group);
        let shared: Vec<(EnvironmentId, DocumentId)> =
            self.shared_with(Grantee::Group(group)).to_vec();
        for (environment, document) in shared {
            self.unshare(document, Grantee::Group(group), environment);
        }
    }

    pub(crate) fn put_group_member(&mut self, group: GroupId, user: UserId) {
        if let Some(list) = self.t.group_members.entry_or_default(group) {
            sorted_insert(list, user);
        }
        if let Some(list) = self.index.groups_by_user.entry_or_default(user) {
            sorted_insert(list, group);
        }
    }

    pub(crate) fn put_partnership(&mut self, partnership: Partnership) {
        for side in [partnership.requester, partnership.accepter] {
            if let Some(list) = self.index.partnerships_by_env.entry_or_default(side) {
                sorted_insert(list, partnership.id);
            }
        }
        let pair = env_pair(partnership.requester, partnership.accepter);
        match partnership.ended {
            None => {
                self.index.active_partnership.insert(pair, partnership.id);
            }
            Some(ended) => {
                let later = self
                    .latest_ended_partnership(pair.0, pair.1)
                    .and_then(|p| p.ended)
                    .is_none_or(|previous| previous.at <= ended.at);
                if later {
                    self.index.latest_ended.insert(pair, partnership.id);
                }
            }
        }
        self.t.partnerships.insert(partnership.id, partnership);
        self.refresh_standing(pair);
    }

    /// Writes the standing of `pair`, as the partnership indexes now say it, on
    /// both sides.
    fn refresh_standing(&mut self, pair: EnvPair) {
        let standing = if self.index.active_partnership.contains_key(&pair) {
            Some(Standing::Partnered)
        } else {
            self.latest_ended_partnership(pair.0, pair.1)
                .and_then(|p| p.ended)
                .map(|ended| Standing::Ended { at: ended.at })
        };
        let numbers = &mut self.index.environment_numbers;
        if let (Some(a), Some(b)) = (numbers.assign(pair.0), numbers.assign(pair.1)) {
            self.index.pair_standings.set(a, b, standing);
        }
    }

    pub(crate) fn put_key(&mut self, key: ConnectionKey) {
        if let Some(list) = self.index.keys_by_org.entry_or_default(key.organisation) {
            sorted_insert(list, key.id);
        }
        if let Some(list) = self.index.keys_by_holder.entry_or_default(key.holder) {
            sorted_insert(list, key.id);
        }
        self.t.keys.insert(key.id, key);
    }

    pub(crate) fn put_task(&mut self, task: Task) {
        if let Some(list) = self.index.tasks_by_document.entry_or_default(task.document) {
            sorted_insert(list, task.id);
        }
        if task.is_open() {
            if let Some(list) = self
                .index
                .open_tasks_by_assignee
                .entry_or_default(task.assignee)
            {
                sorted_insert(list, task.id);
            }
        }
        self.t.tasks.insert(task.id, task);
    }

    fn move_task(&mut self, task: TaskId, to: UserId, step: impl FnOnce(UserId) -> TrailEntry) {
        let Some(t) = self.t.tasks.get_mut(&task) else {
            return;
        };
        let from = t.assignee;
        t.assignee = to;
        t.trail.push(step(from));
        if let Some(list) = self.index.open_tasks_by_assignee.get_mut(&from) {
            sorted_remove(list, &task);
        }
        if let Some(list) = self.index.open_tasks_by_assignee.entry_or_default(to) {
            sorted_insert(list, task);
        }
    }

    fn close_task(&mut self, task: TaskId, status: TaskStatus, entry: TrailEntry) {
        let Some(t) = self.t.tasks.get_mut(&task) else {
            return;
        };
        t.status = status;
        t.trail.push(entry);
        let assignee = t.assignee;
        if let Some(list) = self.index.open_tasks_by_assignee.get_mut(&assignee) {
            sorted_remove(list, &task);
        }
    }

    pub(crate) fn put_ledger(&mut self, environment: EnvironmentId, entries: Vec<LedgerEntry>) {
        self.t.ledger.insert(environment, entries);
    }

    /// The indexes `apply` maintained that differ from the ones rebuilt from the
    /// entities (an empty list counting as no entry): what property tests hold
    /// the indexes to. Empty when all agree.
    pub fn indexes_disagreeing_with_tables(&self) -> Vec<&'static str> {
        let mut rebuilt = self.clone();
        rebuilt.rebuild_indexes();
        let mut out = Vec::new();
        macro_rules! compare {
            ($($field:ident),* $(,)?) => {
                // Destructured without `..`: an index added to `Indexes` and
                // left out here does not compile.
                let Indexes {
                    $($field,)*
                    environment_numbers,
                    document_homes,
                    user_cards,
                    pair_standings,
                } = &rebuilt.index;
                $(if !same_entries($field, &self.index.$field) {
                    out.push(stringify!($field));
                })*
                // Numbered by the order things happened: compared by the
                // environments the numbers name.
                let mine = &self.index.environment_numbers;
                if !self.index.document_homes.covers(mine, document_homes, environment_numbers) {
                    out.push("document_homes");
                }
                if !self.index.user_cards.same_as(mine, user_cards, environment_numbers) {
                    out.push("user_cards");
                }
                if !self.index.pair_standings.same_as(mine, pair_standings, environment_numbers) {
                    out.push("pair_standings");
                }
            };
        }
        compare!(
            users_by_env,
            user_by_email,
            orgs_by_env,
            registry,
            orgs_by_user,
            members_by_org,
            docs_by_org,
            shares_by_grantee,
            groups_by_env,
            groups_by_user,
            active_partnership,
            partnerships_by_env,
            latest_ended,
            keys_by_org,
            keys_by_holder,
            tasks_by_document,
            open_tasks_by_assignee,
        );
        out
    }

    /// Rebuilds every index from the entities (after deserialisation).
    pub fn rebuild_indexes(&mut self) {
        let old = std::mem::take(self);
        self.version = old.version;
        self.viewer = old.viewer;
        for env in old.t.environments.values() {
            self.put_environment(env.clone());
        }
        for user in old.t.users.values() {
            self.put_user(user.clone());
        }
        for inv in old.t.invitations.values() {
            self.t.invitations.insert(inv.id, inv.clone());
        }
        for org in old.t.organisations.values() {
            self.put_organisation(org.clone());
        }
        for m in old.t.memberships.values() {
            self.put_membership(*m);
        }
        for doc in old.t.documents.values() {
            self.put_document(doc.clone());
        }
        for share in old.t.shares.values().flat_map(|l| l.iter()) {
            self.put_share(*share);
        }
        for group in old.t.groups.values() {
            self.put_group(group.clone());
        }
        for p in old.t.partnerships.values() {
            self.put_partnership(p.clone());
        }
        for r in old.t.requests.values() {
            self.t.requests.insert(r.id, r.clone());
        }
        for k in old.t.keys.values() {
            self.put_key(*k);
        }
        for t in old.t.tasks.values() {
            self.put_task(t.clone());
        }
        for (env, entries) in old.t.ledger.iter() {
            self.put_ledger(*env, entries.clone());
        }
        self.t.exports = old.t.exports.clone();
        self.t.removals = old.t.removals.clone();
        self.t.imports = old.t.imports.clone();
        for (group, members) in old.t.group_members.iter() {
            for user in members {
                self.put_group_member(*group, *user);
            }
        }
    }
}

/// An index value that stands for no entry (an empty list).
trait Blank {
    fn is_blank(&self) -> bool;
}

impl<T> Blank for Vec<T> {
    fn is_blank(&self) -> bool {
        self.is_empty()
    }
}

impl<T> Blank for Arc<Vec<T>> {
    fn is_blank(&self) -> bool {
        self.is_empty()
    }
}

impl<T> Blank for BTreeSet<T> {
    fn is_blank(&self) -> bool {
        self.is_empty()
    }
}

macro_rules! never_blank {
    ($($t:ty),*) => {
        $(impl Blank for $t {
            fn is_blank(&self) -> bool {
                false
            }
        })*
    };
}
never_blank!(UserId, OrganisationId, PartnershipId);

/// Whether two index maps hold the same entries, an empty list counting as none.
fn same_entries<K, V>(a: &CowMap<K, V>, b: &CowMap<K, V>) -> bool
where
    K: ShardKey + std::hash::Hash + Eq + Clone,
    V: Clone + PartialEq + Blank,
{
    let covered = |x: &CowMap<K, V>, y: &CowMap<K, V>| {
        x.iter().all(|(k, v)| v.is_blank() || y.get(k) == Some(v))
    };
    covered(a, b) && covered(b, a)
}

/// Emails compare case-insensitively and without surrounding spaces.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(id: u128, organisation: u128, environment: u128) -> Document {
        Document {
            id: DocumentId::from_u128(id),
            organisation: OrganisationId::from_u128(organisation),
            environment: EnvironmentId::from_u128(environment),
            doc_box: DocBox::Documents,
            name: format!("invoice {id}"),
            sha256: Sha256::default(),
            size: 1,
            uploaded_by: None,
            at: Timestamp(0),
            summary: None,
        }
    }

    fn share(document: u128, user: u128) -> Share {
        Share {
            document: DocumentId::from_u128(document),
            grantee: Grantee::User(UserId::from_u128(user)),
            level: Level::View,
            by: UserId::from_u128(user),
            at: Timestamp(0),
        }
    }

    #[test]
    fn a_share_put_before_its_document_is_filed_under_the_documents_environment_once_it_comes() {
        let grantee = Grantee::User(UserId::from_u128(9));
        let (here, there) = (EnvironmentId::from_u128(7), EnvironmentId::from_u128(8));
        let mut world = World::new();
        world.put_share(share(1, 9));
        world.put_share(share(2, 9));
        assert_eq!(world.documents_shared_with(grantee).len(), 2);
        assert_eq!(world.documents_shared_with_in(grantee, here).len(), 0);
        world.put_document(document(1, 3, 7));
        world.put_document(document(2, 4, 8));
        let in_env = |world: &World, e| {
            world
                .documents_shared_with_in(grantee, e)
                .collect::<Vec<_>>()
        };
        assert_eq!(in_env(&world, here), vec![DocumentId::from_u128(1)]);
        assert_eq!(in_env(&world, there), vec![DocumentId::from_u128(2)]);
        assert_eq!(in_env(&world, UNKNOWN_ENVIRONMENT), vec![]);
        assert_eq!(world.indexes_disagreeing_with_tables(), Vec::<&str>::new());
        // And a share of a document the world holds goes where the document is.
        world.put_document(document(3, 3, 7));
        world.put_share(share(3, 9));
        assert_eq!(in_env(&world, here).len(), 2);
        world.remove_share(DocumentId::from_u128(1), grantee);
        world.delete_document(DocumentId::from_u128(3));
        assert_eq!(in_env(&world, here), vec![]);
        assert_eq!(in_env(&world, there), vec![DocumentId::from_u128(2)]);
        assert_eq!(world.indexes_disagreeing_with_tables(), Vec::<&str>::new());
    }
}

//! A user's slice of the world (DOMAIN §1, visibility).
//!
//! [`project`] keeps only what the user may see, so the server can ship it to the
//! browser; the browser then runs checks and previews on it. Everything the user
//! can ask about their own access — and, for an Administrator, about the access of
//! the users they see to their own environment's resources — is answered the same
//! on the slice as on the whole world. Facts about other environments that a
//! decision may need but the user may not see (plans, credit, the participant
//! registry) are left out, and the decider reports them as unconfirmed.
//!
//! What a viewer knows comes in levels:
//! - users: seen (own environment; Administrators and Advanced users also the
//!   users of actively partnered environments), or only named, as the people who
//!   acted on the viewer's environment's own records ([`Person`]);
//! - organisations: seen in full (member of it, or Administrator of its
//!   environment), or by name only;
//! - groups: seen (name and the seen members), or known only by id, as the
//!   grantee of a share on a document the viewer manages: a group of another
//!   environment shows its name only when it has a member from the viewer's
//!   environment, so that an accountant's client list, spelled out in group
//!   names, stays the firm's.
//!
//! Anything else is, to the viewer, as if it did not exist: the decider
//! ([`crate::execute`]) looks every id a command names up through
//! [`Visibility`], and each area says who is told of its events
//! ([`crate::stream`]).

use crate::access::Resource;
use crate::access::{check, what_can, Action, ResourceKind};
use crate::model::ids::*;
use crate::model::*;
use crate::world::World;
use rustc_hash::{FxHashMap, FxHashSet};

/// What a viewer may see, as sets: computed once per projection, which walks
/// all of it anyway. [`Visibility`] answers the same questions one at a time.
pub struct Sets<'a> {
    world: &'a World,
    viewer: &'a User,
    users: FxHashSet<UserId>,
    organisations: FxHashSet<OrganisationId>,
    documents: FxHashSet<DocumentId>,
    /// Groups seen with their names.
    groups: FxHashSet<GroupId>,
    /// Groups known only by id: grantees of shares on managed documents.
    known_groups: FxHashSet<GroupId>,
    /// Organisations of which only the name may be shown.
    named_organisations: FxHashSet<OrganisationId>,
}

impl<'a> Sets<'a> {
    /// Computes what `viewer` sees; `None` for an unknown or disabled user, who sees nothing.
    pub fn of(world: &'a World, viewer: UserId) -> Option<Self> {
        let v = world.user(viewer).filter(|u| u.is_active())?;
        let home = v.environment;
        let advanced = v.is_advanced();
        let admin = v.role == EnvRole::Administrator;
        let partners = world.partners_of(home);

        let mut users: FxHashSet<UserId> = world.users_of(home).iter().copied().collect();
        if advanced {
            for p in &partners {
                users.extend(world.users_of(*p).iter().copied());
            }
        }

        let mut organisations: FxHashSet<OrganisationId> = FxHashSet::default();
        if admin {
            organisations.extend(world.organisations_of(home).iter().copied());
        }
        for o in world.organisations_of_user(viewer) {
            if world
                .organisation(*o)
                .is_some_and(|org| world.reaches(home, org.environment))
            {
                organisations.insert(*o);
            }
        }

        let documents: FxHashSet<DocumentId> =
            what_can(world, viewer, Action::View, ResourceKind::Document)
                .into_iter()
                .filter_map(|r| match r.resource {
                    Resource::Document(d) => Some(d),
                    Resource::Organisation(_) | Resource::Environment(_) => None,
                })
                .collect();

        let mut groups: FxHashSet<GroupId> = world.groups_of_user(viewer).iter().copied().collect();
        if advanced {
            groups.extend(world.groups_of(home).iter().copied());
            for p in &partners {
                groups.extend(
                    world
                        .groups_of(*p)
                        .iter()
                        .copied()
                        .filter(|g| has_member_from(world, *g, home)),
                );
            }
        }

        // A shared document shows its organisation's name, nothing more of it; who
        // else it is shared with is seen by those who may manage its shares.
        let mut named_organisations = FxHashSet::default();
        let mut known_groups = FxHashSet::default();
        for d in &documents {
            if let Some(doc) = world.document(*d) {
                if !organisations.contains(&doc.organisation) {
                    named_organisations.insert(doc.organisation);
                }
                if !check(world, viewer, Action::Manage, Resource::Document(*d)).allowed {
                    continue;
                }
                for share in world.shares_of(*d) {
                    match share.grantee {
                        Grantee::Group(g) if !groups.contains(&g) => {
                            known_groups.insert(g);
                        }
                        Grantee::Organisation(o) if !organisations.contains(&o) => {
                            named_organisations.insert(o);
                        }
                        _ => {}
                    }
                }
            }
        }
        // Administrators and Advanced users pick partners' organisations to share
        // with (and to bear the costs of): they see their names.
        if advanced {
            for p in &partners {
                for o in world.organisations_of(*p) {
                    if !organisations.contains(o) {
                        named_organisations.insert(*o);
                    }
                }
            }
        }
        // The viewer's own memberships decide shares to organisations.
        for o in world.organisations_of_user(viewer) {
            if !organisations.contains(o) {
                named_organisations.insert(*o);
            }
        }
        Some(Sets {
            world,
            viewer: v,
            users,
            organisations,
            documents,
            groups,
            known_groups,
            named_organisations,
        })
    }

    pub fn viewer(&self) -> &User {
        self.viewer
    }
    pub fn user(&self, user: UserId) -> bool {
        self.users.contains(&user)
    }
    /// Whether the organisation is seen in full (not only its name).
    pub fn organisation(&self, organisation: OrganisationId) -> bool {
        self.organisations.contains(&organisation)
    }
    /// Whether at least the organisation's name is seen.
    pub fn organisation_name(&self, organisation: OrganisationId) -> bool {
        self.organisations.contains(&organisation)
            || self.named_organisations.contains(&organisation)
    }
    pub fn document(&self, document: DocumentId) -> bool {
        self.documents.contains(&document)
    }
    /// Whether the group is seen with its name.
    pub fn group(&self, group: GroupId) -> bool {
        self.groups.contains(&group)
    }
    /// Whether the group is seen, or known by id as a grantee of a share on a
    /// document the viewer manages.
    pub fn group_known(&self, group: GroupId) -> bool {
        self.groups.contains(&group) || self.known_groups.contains(&group)
    }
    /// Whether an access answer about (`user`, `resource`) may be shown to the viewer.
    pub fn pair(&self, user: UserId, resource: Resource) -> bool {
        if !self.user(user) {
            return false;
        }
        let own = user == self.viewer.id;
        let admin = self.viewer.role == EnvRole::Administrator;
        let home = self.viewer.environment;
        match resource {
            Resource::Document(d) => {
                self.document(d)
                    && (own
                        || (admin
                            && self
                                .world
                                .document(d)
                                .is_some_and(|doc| doc.environment == home)))
            }
            Resource::Organisation(o) => {
                self.organisation(o)
                    && (own
                        || (admin
                            && self
                                .world
                                .organisation(o)
                                .is_some_and(|org| org.environment == home)))
            }
            // The own environment: one's own access, or anyone's to its
            // Administrators.
            Resource::Environment(e) => e == home && (own || admin),
        }
    }
}

/// Whether `group` has a member whose home is `environment`.
fn has_member_from(world: &World, group: GroupId, environment: EnvironmentId) -> bool {
    world
        .group_members(group)
        .iter()
        .any(|u| world.user(*u).is_some_and(|u| u.environment == environment))
}

/// What a viewer may see, answered one question at a time from the indexes, so
/// that a request about one document does not compute everything the viewer
/// sees. It answers exactly as [`Sets`] (a property test holds them together).
pub struct Visibility<'a> {
    world: &'a World,
    viewer: &'a User,
}

impl<'a> Visibility<'a> {
    /// What `viewer` sees; `None` for an unknown or disabled user, who sees nothing.
    pub fn of(world: &'a World, viewer: UserId) -> Option<Self> {
        let viewer = world.user(viewer).filter(|u| u.is_active())?;
        Some(Visibility { world, viewer })
    }

    pub fn viewer(&self) -> &'a User {
        self.viewer
    }

    pub(crate) fn home(&self) -> EnvironmentId {
        self.viewer.environment
    }

    pub(crate) fn world(&self) -> &'a World {
        self.world
    }

    /// Whether the viewer is an Administrator and `organisation` is of their
    /// environment.
    pub(crate) fn administers(&self, organisation: OrganisationId) -> bool {
        self.admin()
            && self
                .world
                .organisation(organisation)
                .is_some_and(|o| o.environment == self.home())
    }

    fn partnered(&self, environment: EnvironmentId) -> bool {
        environment != self.home()
            && self
                .world
                .active_partnership(self.home(), environment)
                .is_some()
    }

    pub(crate) fn admin(&self) -> bool {
        self.viewer.role == EnvRole::Administrator
    }

    /// Users of the own environment; Administrators and Advanced users also see
    /// those of actively partnered environments.
    pub fn user(&self, user: UserId) -> bool {
        self.world.user(user).is_some_and(|u| {
            u.environment == self.home()
                || (self.viewer.is_advanced() && self.partnered(u.environment))
        })
    }

    /// Whether the organisation is seen in full: member of it (reached), or
    /// Administrator of its environment.
    pub fn organisation(&self, organisation: OrganisationId) -> bool {
        self.world.organisation(organisation).is_some_and(|o| {
            (self.admin() && o.environment == self.home())
                || (self
                    .world
                    .membership(self.viewer.id, organisation)
                    .is_some()
                    && self.world.reaches(self.home(), o.environment))
        })
    }

    pub fn document(&self, document: DocumentId) -> bool {
        check(
            self.world,
            self.viewer.id,
            Action::View,
            Resource::Document(document),
        )
        .allowed
    }

    fn manages(&self, document: DocumentId) -> bool {
        check(
            self.world,
            self.viewer.id,
            Action::Manage,
            Resource::Document(document),
        )
        .allowed
    }

    /// The documents shared with the viewer directly, through a group or through
    /// an organisation.
    fn shared_with_viewer(&self) -> impl Iterator<Item = DocumentId> + '_ {
        let world = self.world;
        let id = self.viewer.id;
        world
            .documents_shared_with(Grantee::User(id))
            .chain(
                world
                    .groups_of_user(id)
                    .iter()
                    .flat_map(move |g| world.documents_shared_with(Grantee::Group(*g))),
            )
            .chain(
                world
                    .organisations_of_user(id)
                    .iter()
                    .flat_map(move |o| world.documents_shared_with(Grantee::Organisation(*o))),
            )
    }

    /// Whether at least the organisation's name is seen.
    pub fn organisation_name(&self, organisation: OrganisationId) -> bool {
        if self.organisation(organisation)
            || self
                .world
                .membership(self.viewer.id, organisation)
                .is_some()
        {
            return true;
        }
        let Some(org) = self.world.organisation(organisation) else {
            return false;
        };
        if self.viewer.is_advanced() && self.partnered(org.environment) {
            return true;
        }
        // The organisation of a document shared with the viewer.
        if self.shared_with_viewer().any(|d| {
            self.world
                .document(d)
                .is_some_and(|doc| doc.organisation == organisation)
                && self.document(d)
        }) {
            return true;
        }
        // An organisation the viewer's managed documents are shared with.
        self.world
            .documents_shared_with(Grantee::Organisation(organisation))
            .any(|d| self.manages(d))
    }

    /// Whether the group is seen with its name: the viewer is in it, or is an
    /// Administrator or Advanced user of its environment, or of an actively
    /// partnered one when the group has a member from the viewer's environment.
    pub fn group(&self, group: GroupId) -> bool {
        let Some(g) = self.world.group(group) else {
            return false;
        };
        if self.world.is_group_member(group, self.viewer.id) {
            return true;
        }
        if !self.viewer.is_advanced() {
            return false;
        }
        g.environment == self.home()
            || (self.partnered(g.environment) && has_member_from(self.world, group, self.home()))
    }

    /// Whether the group is seen, or known by id: the grantee of a share on a
    /// document the viewer manages (who may then revoke it, but learns no name).
    pub fn group_known(&self, group: GroupId) -> bool {
        // A projection holds such a group's shares and members, not the group.
        self.group(group)
            || self
                .world
                .documents_shared_with(Grantee::Group(group))
                .any(|d| self.manages(d))
    }

    /// Whether the grantee of a share is seen at the level sharing needs: a user
    /// seen, a group known, an organisation at least by name.
    pub fn grantee(&self, grantee: Grantee) -> bool {
        match grantee {
            Grantee::User(u) => self.user(u),
            Grantee::Group(g) => self.group_known(g),
            Grantee::Organisation(o) => self.organisation_name(o),
        }
    }

    /// The partnerships of the viewer's environment, ended ones too.
    pub fn partnership(&self, partnership: PartnershipId) -> bool {
        self.world
            .partnership(partnership)
            .is_some_and(|p| p.links(self.home()))
    }

    /// Requests sent from, or addressed to, an Administrator's or Advanced
    /// user's environment or email.
    pub fn request(&self, request: RequestId) -> bool {
        self.viewer.is_advanced()
            && self.world.request(request).is_some_and(|r| {
                r.from_environment == self.home()
                    || match &r.target {
                        RequestTarget::Email { email } => *email == self.viewer.email,
                        RequestTarget::Environment { environment } => *environment == self.home(),
                    }
            })
    }

    /// The own environment's invitations, to its Administrators.
    pub fn invitation(&self, invitation: InvitationId) -> bool {
        self.admin()
            && self
                .world
                .invitation(invitation)
                .is_some_and(|i| i.environment == self.home())
    }

    /// Keys of organisations seen in full, and the viewer's own.
    pub fn key(&self, key: KeyId) -> bool {
        self.world
            .key(key)
            .is_some_and(|k| k.holder == self.viewer.id || self.organisation(k.organisation))
    }

    /// Tasks on documents the viewer can view.
    pub fn task(&self, task: TaskId) -> bool {
        self.world
            .task(task)
            .is_some_and(|t| self.document(t.document))
    }

    /// Whether the viewer sees `resource` (in full, for an organisation; their
    /// own environment, for an environment).
    pub fn resource(&self, resource: Resource) -> bool {
        match resource {
            Resource::Document(d) => self.document(d),
            Resource::Organisation(o) => self.organisation(o),
            Resource::Environment(e) => e == self.home(),
        }
    }

    /// Whether an access answer about (`user`, `resource`) may be shown to the viewer.
    pub fn pair(&self, user: UserId, resource: Resource) -> bool {
        if !self.user(user) {
            return false;
        }
        let own = user == self.viewer.id;
        match resource {
            Resource::Document(d) => {
                self.document(d)
                    && (own
                        || (self.admin()
                            && self
                                .world
                                .document(d)
                                .is_some_and(|doc| doc.environment == self.home())))
            }
            Resource::Organisation(o) => {
                self.organisation(o)
                    && (own
                        || (self.admin()
                            && self
                                .world
                                .organisation(o)
                                .is_some_and(|org| org.environment == self.home())))
            }
            Resource::Environment(e) => e == self.home() && (own || self.admin()),
        }
    }
}

/// The slice of `world` that `viewer` may see. An unknown or disabled viewer gets
/// an empty world.
pub fn project(world: &World, viewer: UserId) -> World {
    let mut out = World {
        version: world.version,
        viewer: Some(viewer),
        ..World::default()
    };
    let Some(vis) = Sets::of(world, viewer) else {
        return out;
    };
    let v = vis.viewer;
    let home = v.environment;
    let admin = v.role == EnvRole::Administrator;

    // Requests sent from, or addressed to, an Administrator's or Advanced user's
    // environment or email; the addressee sees who asks and from where.
    let mut requests_in: Vec<&PartnershipRequest> = Vec::new();
    if v.is_advanced() {
        for r in world.requests() {
            let addressed = match &r.target {
                RequestTarget::Email { email } => *email == v.email,
                RequestTarget::Environment { environment } => *environment == home,
            };
            if r.from_environment == home {
                out.t.requests.insert(r.id, r.clone());
            } else if addressed {
                out.t.requests.insert(r.id, r.clone());
                requests_in.push(r);
            }
        }
    }

    // Environments: the own one in full; partners (present and past), and those
    // asking to become one, by name.
    let mut environments: Vec<EnvironmentId> = vec![home];
    for p in world.partnerships_of(home) {
        if let Some(p) = world.partnership(*p) {
            environments.push(p.other_side(home));
        }
    }
    environments.extend(requests_in.iter().map(|r| r.from_environment));
    crate::util::sort::sort_dedup(&mut environments);
    for id in environments {
        if let Some(env) = world.environment(id) {
            if id == home {
                out.put_environment(env.clone());
            } else {
                out.put_environment(Environment {
                    id,
                    name: env.name.clone(),
                    plan: Plan::Free,
                    add_ons: Vec::new(),
                    credit: 0,
                    created_at: env.created_at,
                });
            }
        }
    }
    if admin {
        out.put_ledger(home, world.ledger_of(home).to_vec());
        for inv in world.invitations().filter(|i| i.environment == home) {
            out.t.invitations.insert(inv.id, inv.clone());
        }
        // The split's state: exports, removal authorisations and imports of the
        // environment's own organisations.
        for org in world.organisations_of(home) {
            if let Some(export) = world.export_of(*org) {
                out.t.exports.insert(*org, export.clone());
            }
            if let Some(removal) = world.removal_of(*org) {
                // The plan's fingerprint names users the viewer may not see.
                out.t.removals.insert(
                    *org,
                    RemovalAuthorisation {
                        fingerprint: None,
                        ..removal.clone()
                    },
                );
            }
            if !world.imports_of(*org).is_empty() {
                out.t.imports.insert(*org, world.imports_of(*org).to_vec());
            }
        }
    }

    for user in world.users().filter(|u| vis.user(u.id)) {
        out.put_user(user.clone());
    }

    for org in world.organisations() {
        if vis.organisation(org.id) {
            out.put_organisation(org.clone());
        } else if vis.organisation_name(org.id) {
            out.put_organisation(Organisation {
                participant_id: String::new(),
                software_connection: None,
                ..org.clone()
            });
        }
    }

    for m in world.memberships() {
        let full = vis.organisation(m.organisation) && vis.user(m.user);
        let own = m.user == viewer;
        // An Administrator sees who is in the organisations their documents are shared with.
        let grantee_org = admin && vis.organisation_name(m.organisation) && vis.user(m.user);
        if full || own || grantee_org {
            out.put_membership(*m);
        }
    }

    for doc in world.documents().filter(|d| vis.document(d.id)) {
        out.put_document(doc.clone());
    }
    for share in world.shares() {
        if !vis.document(share.document) {
            continue;
        }
        let grantee_seen = match share.grantee {
            Grantee::User(u) => vis.user(u),
            Grantee::Group(g) => vis.group_known(g),
            Grantee::Organisation(o) => vis.organisation_name(o),
        };
        if grantee_seen {
            out.put_share(*share);
        }
    }

    for group in world.groups() {
        if vis.group(group.id) {
            out.put_group(group.clone());
        }
        if vis.group_known(group.id) {
            for user in world.group_members(group.id) {
                if vis.user(*user) {
                    out.put_group_member(group.id, *user);
                }
            }
        }
    }

    for p in world.partnerships_of(home) {
        if let Some(p) = world.partnership(*p) {
            let mut p = p.clone();
            p.relationship_managers.retain(|u| vis.user(*u));
            out.put_partnership(p);
        }
    }

    for key in world.keys() {
        if vis.organisation(key.organisation) || key.holder == viewer {
            out.put_key(*key);
        }
    }
    for task in world.tasks() {
        if vis.document(task.document) {
            out.put_task(task.clone());
        }
    }

    let mut named: Vec<(UserId, Person)> = people_named(world, &out, &requests_in)
        .into_iter()
        .collect();
    crate::util::sort::sort_unstable_by_key(&mut named, |(id, _)| *id);
    for (id, person) in named {
        out.t.names.insert(id, person);
    }
    out
}

/// The people the projection `slice` names on its viewer's environment's own
/// records (documents, key lists, shares, partnerships), on the trails of the
/// tasks it holds and as senders of requests to the viewer, who are not users
/// it holds: their names stay known after a partnership ends (DOMAIN §1).
fn people_named(
    world: &World,
    slice: &World,
    requests_in: &[&PartnershipRequest],
) -> FxHashMap<UserId, Person> {
    let Some(home) = slice
        .viewer
        .and_then(|v| slice.user(v))
        .map(|v| v.environment)
    else {
        return FxHashMap::default();
    };
    let mut ids: Vec<UserId> = Vec::new();
    // Everyone on the trail of a task the viewer sees: the task can go back
    // to any of them.
    for task in slice.tasks() {
        ids.extend(task.people());
    }
    for doc in slice.documents().filter(|d| d.environment == home) {
        ids.extend(doc.uploaded_by);
        ids.extend(slice.shares_of(doc.id).iter().map(|s| s.by));
    }
    let own_organisation =
        |o: OrganisationId| slice.organisation(o).is_some_and(|o| o.environment == home);
    for key in slice.keys().filter(|k| own_organisation(k.organisation)) {
        ids.push(key.holder);
        if let Some((_, RevokeReason::Revoked { by })) = key.revoked {
            ids.push(by);
        }
    }
    for p in slice.partnerships() {
        if let Some(ended) = p.ended {
            ids.push(ended.by);
        }
    }
    for r in slice.requests() {
        match r.status {
            RequestStatus::Accepted { by, .. } | RequestStatus::Declined { by } => ids.push(by),
            RequestStatus::Pending | RequestStatus::Withdrawn => {}
        }
        ids.push(r.from_user);
    }
    let mut out = FxHashMap::default();
    for id in ids {
        if slice.user(id).is_some() || out.contains_key(&id) {
            continue;
        }
        if let Some(user) = world.user(id) {
            out.insert(
                id,
                Person {
                    name: user.name.clone(),
                    email: None,
                },
            );
        }
    }
    // The addressee of a request sees the sender's name and email.
    for r in requests_in {
        if slice.user(r.from_user).is_some() {
            continue;
        }
        if let Some(user) = world.user(r.from_user) {
            out.insert(
                r.from_user,
                Person {
                    name: user.name.clone(),
                    email: Some(user.email.clone()),
                },
            );
        }
    }
    out
}

/// Sentences for a viewer name only what the viewer sees: environments their
/// own, partnered (present or past) or asking to be; organisations at least by
/// name; groups with their names; documents they can view.
impl crate::access::Names for Visibility<'_> {
    fn environment_name(&self, id: EnvironmentId) -> Option<String> {
        let home = self.home();
        let known = id == home
            || self.world.partnerships_of(home).iter().any(|p| {
                self.world
                    .partnership(*p)
                    .is_some_and(|p| p.other_side(home) == id)
            })
            || (self.viewer.is_advanced()
                && self.world.requests().any(|r| {
                    r.from_environment == id
                        && match &r.target {
                            RequestTarget::Email { email } => *email == self.viewer.email,
                            RequestTarget::Environment { environment } => *environment == home,
                        }
                }));
        known
            .then(|| self.world.environment(id).map(|e| e.name.clone()))
            .flatten()
    }
    fn organisation_name(&self, id: OrganisationId) -> Option<String> {
        self.organisation_name(id)
            .then(|| self.world.organisation(id).map(|o| o.name.clone()))
            .flatten()
    }
    fn group_name(&self, id: GroupId) -> Option<String> {
        self.group(id)
            .then(|| self.world.group(id).map(|g| g.name.clone()))
            .flatten()
    }
    fn document_name(&self, id: DocumentId) -> Option<String> {
        self.document(id)
            .then(|| self.world.document(id).map(|d| d.name.clone()))
            .flatten()
    }
}

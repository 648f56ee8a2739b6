//! A user's slice of the world (DOMAIN §1, visibility).
//!
//! [`project`] keeps only what the user may see, so the server can ship it to the
//! browser; the browser then runs checks and previews on it. Everything the user
//! can ask about their own access — and, for an Administrator, about the access of
//! the users they see to their own environment's resources — is answered the same
//! on the slice as on the whole world. Facts about other environments that a
//! decision may need but the user may not see (plans, credit, the participant
//! registry) are left out, and the decider reports them as unconfirmed.

use crate::access::{check, what_can, Action, ResourceKind};
use crate::ids::*;
use crate::model::*;
use crate::world::World;
use crate::Resource;
use rustc_hash::FxHashSet;

/// What a viewer may see, as sets: computed once per projection, which walks
/// all of it anyway. [`Visibility`] answers the same questions one at a time.
pub struct Sets<'a> {
    world: &'a World,
    viewer: &'a User,
    users: FxHashSet<UserId>,
    organisations: FxHashSet<OrganisationId>,
    documents: FxHashSet<DocumentId>,
    groups: FxHashSet<GroupId>,
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
                    Resource::Organisation(_) => None,
                })
                .collect();

        let mut groups: FxHashSet<GroupId> = world.groups_of_user(viewer).iter().copied().collect();
        if advanced {
            groups.extend(world.groups_of(home).iter().copied());
            for p in &partners {
                groups.extend(world.groups_of(*p).iter().copied());
            }
        }

        // A shared document shows its organisation's name, nothing more of it; who
        // else it is shared with is seen by those who may manage its shares.
        let mut named_organisations = FxHashSet::default();
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
                        Grantee::Group(g) => {
                            groups.insert(g);
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
    pub fn group(&self, group: GroupId) -> bool {
        self.groups.contains(&group)
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
        }
    }
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

    pub fn viewer(&self) -> &User {
        self.viewer
    }

    fn home(&self) -> EnvironmentId {
        self.viewer.environment
    }

    fn partnered(&self, environment: EnvironmentId) -> bool {
        environment != self.home()
            && self
                .world
                .active_partnership(self.home(), environment)
                .is_some()
    }

    fn admin(&self) -> bool {
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

    pub fn group(&self, group: GroupId) -> bool {
        let Some(g) = self.world.group(group) else {
            return false;
        };
        if self.world.is_group_member(group, self.viewer.id) {
            return true;
        }
        if self.viewer.is_advanced()
            && (g.environment == self.home() || self.partnered(g.environment))
        {
            return true;
        }
        self.world
            .documents_shared_with(Grantee::Group(group))
            .any(|d| self.manages(d))
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

    // Environments: the own one in full; partners (present and past) by name.
    let mut environments: Vec<EnvironmentId> = vec![home];
    for p in world.partnerships_of(home) {
        if let Some(p) = world.partnership(*p) {
            environments.push(p.other_side(home));
        }
    }
    crate::sort::sort_dedup(&mut environments);
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
            Grantee::Group(g) => vis.group(g),
            Grantee::Organisation(o) => vis.organisation_name(o),
        };
        if grantee_seen {
            out.put_share(*share);
        }
    }

    for group in world.groups().filter(|g| vis.group(g.id)) {
        out.put_group(group.clone());
        for user in world.group_members(group.id) {
            if vis.user(*user) {
                out.put_group_member(group.id, *user);
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

    if v.is_advanced() {
        for r in world.requests() {
            let addressed = match &r.target {
                RequestTarget::Email { email } => *email == v.email,
                RequestTarget::Environment { environment } => *environment == home,
            };
            if r.from_environment == home || addressed {
                out.t.requests.insert(r.id, r.clone());
            }
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
    out
}

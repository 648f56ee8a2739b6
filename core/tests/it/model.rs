//! A deliberately simple model of the access rules (DOMAIN §1, §3, §4), sharing no
//! code with the engine: it scans the world's raw entities instead of using its
//! indexes, and states each rule as plainly as the rule book does.

use preflight_core::*;

fn active_partnership(world: &World, a: EnvironmentId, b: EnvironmentId) -> bool {
    world.partnerships().any(|p| {
        p.ended.is_none()
            && ((p.requester == a && p.accepter == b) || (p.requester == b && p.accepter == a))
    })
}

fn membership_role(world: &World, user: UserId, organisation: OrganisationId) -> Option<OrgRole> {
    world
        .memberships()
        .find(|m| m.user == user && m.organisation == organisation)
        .map(|m| m.role)
}

fn in_group(world: &World, group: GroupId, user: UserId) -> bool {
    world.groups().any(|g| g.id == group) && world.group_members(group).contains(&user)
}

/// The user's home reaches the environment: the same, or actively partnered.
pub fn reaches(world: &World, user: &User, environment: EnvironmentId) -> bool {
    user.environment == environment || active_partnership(world, user.environment, environment)
}

/// The highest document level the rules give, if any.
pub fn document_level(world: &World, user: UserId, document: DocumentId) -> Option<Level> {
    let u = world.users().find(|u| u.id == user)?;
    let d = world.documents().find(|d| d.id == document)?;
    if u.status != UserStatus::Active || !reaches(world, u, d.environment) {
        return None;
    }
    let mut levels = Vec::new();
    if u.environment == d.environment && u.role == EnvRole::Administrator {
        levels.push(Level::Manage);
    }
    match membership_role(world, user, d.organisation) {
        Some(OrgRole::Manager) => levels.push(Level::Manage),
        Some(OrgRole::Member) => levels.push(Level::Edit),
        None => {}
    }
    for s in world.shares().filter(|s| s.document == document) {
        let reached = match s.grantee {
            Grantee::User(x) => x == user,
            Grantee::Group(g) => in_group(world, g, user),
            Grantee::Organisation(o) => membership_role(world, user, o).is_some(),
        };
        if reached {
            levels.push(s.level);
        }
    }
    levels.into_iter().max()
}

/// Whether the organisation action is allowed by DOMAIN §4.
pub fn organisation_allows(
    world: &World,
    user: UserId,
    organisation: OrganisationId,
    action: Action,
) -> bool {
    let Some(u) = world.users().find(|u| u.id == user) else {
        return false;
    };
    let Some(o) = world.organisations().find(|o| o.id == organisation) else {
        return false;
    };
    if u.status != UserStatus::Active
        || o.status == OrgStatus::Removed
        || !reaches(world, u, o.environment)
    {
        return false;
    }
    let same_env = u.environment == o.environment;
    let admin = same_env && u.role == EnvRole::Administrator;
    let role = membership_role(world, user, organisation);
    match action {
        Action::ViewOrganisation => admin || role.is_some(),
        Action::ManageOrganisationSettings => admin || (same_env && role == Some(OrgRole::Manager)),
        Action::ManageMembers | Action::ActivateOrganisation => admin,
        Action::RetrieveConnectionKey | Action::ConfigureSoftwareConnection => {
            admin || (role.is_some() && u.role >= EnvRole::AdvancedUser)
        }
        _ => false,
    }
}

/// Environment actions: its Administrators all of them, its Advanced users
/// groups and partnership requests, nobody else any.
pub fn environment_allows(
    world: &World,
    user: UserId,
    environment: EnvironmentId,
    action: Action,
) -> bool {
    let Some(u) = world.users().find(|u| u.id == user) else {
        return false;
    };
    if u.status != UserStatus::Active
        || u.environment != environment
        || world.environment(environment).is_none()
    {
        return false;
    }
    match action {
        Action::ManageGroups | Action::SendPartnershipRequests => u.role >= EnvRole::AdvancedUser,
        Action::ReadAuditLog
        | Action::ManageUsers
        | Action::ManagePartnerships
        | Action::SplitEnvironment
        | Action::AddOrganisations => u.role == EnvRole::Administrator,
        _ => false,
    }
}

/// The model's answer to a check.
pub fn allows(world: &World, user: UserId, action: Action, resource: Resource) -> bool {
    match (resource, action.level()) {
        (Resource::Document(d), Some(needed)) => {
            document_level(world, user, d).is_some_and(|l| l >= needed)
        }
        (Resource::Organisation(o), None) => organisation_allows(world, user, o, action),
        (Resource::Environment(e), None) => environment_allows(world, user, e, action),
        _ => false,
    }
}

//! Whose audit log shows a command (DOMAIN §8): the environments it concerns.
//! The server files each command under them; their Administrators read it
//! (`Action::ReadAuditLog`).

use crate::model::command::{Actor, Event};
use crate::model::ids::*;
use crate::model::RequestTarget;
use crate::world::World;

/// The environments a command concerns: the actor's, and every environment its
/// events touch. Their Administrators read it in the audit log.
pub fn environments_of(world: &World, actor: &Actor, events: &[Event]) -> Vec<EnvironmentId> {
    let mut out = Vec::new();
    if let Some(user) = actor.user_id().and_then(|u| world.user(u)) {
        out.push(user.environment);
    }
    let org_env = |o: &OrganisationId| world.organisation(*o).map(|o| o.environment);
    let doc_env = |d: &DocumentId| world.document(*d).map(|d| d.environment);
    let user_env = |u: &UserId| world.user(*u).map(|u| u.environment);
    for event in events {
        match event {
            Event::EnvironmentCreated { environment, .. }
            | Event::PlanSet { environment, .. }
            | Event::AddOnSet { environment, .. }
            | Event::CreditChanged { environment, .. }
            | Event::OrganisationAdded { environment, .. }
            | Event::UserCreated { environment, .. }
            | Event::GroupCreated { environment, .. } => out.push(*environment),
            Event::InvitationCreated { invitation } => out.push(invitation.environment),
            Event::RoleAssigned { user, .. }
            | Event::RelationshipManagerRoleSet { user, .. }
            | Event::UserDisabled { user }
            | Event::UserEnabled { user } => out.extend(user_env(user)),
            Event::OrganisationRenamed { organisation, .. }
            | Event::OrganisationActivated { organisation }
            | Event::SoftwareConnectionConfigured { organisation, .. }
            | Event::ConnectionKeyIssued { organisation, .. }
            | Event::OrganisationExported { organisation, .. }
            | Event::RemovalAuthorised { organisation, .. }
            | Event::OrganisationRemoved { organisation, .. }
            | Event::BundleImported { organisation, .. } => out.extend(org_env(organisation)),
            Event::CostBearerChanged {
                organisation,
                bearer,
            } => {
                out.extend(org_env(organisation));
                out.push(*bearer);
            }
            Event::MembershipGranted {
                user, organisation, ..
            }
            | Event::MembershipRemoved { user, organisation } => {
                out.extend(org_env(organisation));
                out.extend(user_env(user));
            }
            Event::DocumentAdded { document } => out.push(document.environment),
            Event::DocumentDeleted { document } | Event::DocumentSent { document, .. } => {
                out.extend(doc_env(document))
            }
            Event::ShareGranted { share } => out.extend(doc_env(&share.document)),
            Event::ShareRevoked { document, .. } => out.extend(doc_env(document)),
            Event::PartnershipRequested { request } => {
                out.push(request.from_environment);
                if let RequestTarget::Environment { environment } = request.target {
                    out.push(environment);
                }
            }
            Event::PartnershipCreated {
                requester,
                accepter,
                ..
            } => out.extend([*requester, *accepter]),
            Event::PartnershipEnded { partnership, .. }
            | Event::RelationshipManagerConnected { partnership, .. }
            | Event::RelationshipManagerDisconnected { partnership, .. } => {
                if let Some(p) = world.partnership(*partnership) {
                    out.extend([p.requester, p.accepter]);
                }
            }
            Event::GroupRenamed { group, .. }
            | Event::GroupDeleted { group }
            | Event::GroupMemberAdded { group, .. }
            | Event::GroupMemberRemoved { group, .. } => {
                out.extend(world.group(*group).map(|g| g.environment))
            }
            Event::TaskStarted { document, .. } => out.extend(doc_env(document)),
            Event::TaskDelegated { task, .. }
            | Event::TaskApproved { task, .. }
            | Event::TaskRejected { task, .. }
            | Event::TaskReassigned { task, .. } => {
                out.extend(world.task(*task).and_then(|t| doc_env(&t.document)));
            }
            Event::ConnectionKeyRevoked { key, .. } => {
                out.extend(world.key(*key).and_then(|k| org_env(&k.organisation)));
            }
            Event::InvitationAccepted { .. }
            | Event::InvitationRevoked { .. }
            | Event::PartnershipRequestDeclined { .. }
            | Event::PartnershipRequestWithdrawn { .. } => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

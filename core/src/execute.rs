//! Deciding commands: each goes to the rules of its area of DOMAIN §1–7.
//!
//! [`execute`] takes the world as it is, the actor and a command, and returns the
//! events that the command causes, or why it is refused. It changes nothing; the
//! caller applies the events. Cascades (ending a partnership, disabling a user)
//! are spelled out as events, so that a preview and the audit log show each
//! consequence.
//!
//! On a projection (a user's slice of the world, see [`crate::project`]) some facts
//! are missing: whether an identifier is registered elsewhere, another
//! environment's plan. Where a decision rests on such a fact, the decider assumes
//! the favourable answer and records an [`Unconfirmed`] item, which the preview
//! shows as "only the server can confirm".

use crate::consequences::consequences;
use crate::decider::{Decider, Unconfirmed};
use crate::model::command::{Actor, Command, Context, Event};
use crate::model::error::CommandError;
use crate::world::World;

/// A decided command: its events or why not, and the facts the decision assumed.
#[derive(Clone, Debug)]
pub struct Decided {
    pub result: Result<Vec<Event>, CommandError>,
    pub unconfirmed: Vec<Unconfirmed>,
    /// The world after the command's own events (before their consequences),
    /// when working out the consequences needed it; previews reuse it.
    pub(crate) after: Option<World>,
}

/// Decides `command` for `actor` on `world`: the events it causes, or why not.
pub fn execute(
    world: &World,
    actor: &Actor,
    command: Command,
    ctx: &Context,
) -> Result<Vec<Event>, CommandError> {
    decide(world, actor, command, ctx).result
}

/// Like [`execute`], also returning the facts a projection could not confirm.
pub fn decide(world: &World, actor: &Actor, command: Command, ctx: &Context) -> Decided {
    let mut decider = Decider::new(world, actor, ctx);
    let mut after = None;
    let result = decider.decide(command).map(|mut events| {
        let (consequences, world_after) = consequences(world, &events, ctx.now);
        after = world_after;
        events.extend(consequences);
        events
    });
    let mut unconfirmed = decider.unconfirmed.into_inner();
    unconfirmed.dedup();
    Decided {
        result,
        unconfirmed,
        after,
    }
}

impl Decider<'_> {
    /// Sends `command` to the rules of its area.
    fn decide(&mut self, command: Command) -> Result<Vec<Event>, CommandError> {
        // A user acts only while active, whatever the command names: a
        // disabled user learns nothing from what a command would have met.
        if matches!(self.actor, Actor::User { .. }) && !matches!(command, Command::SignUp { .. }) {
            self.me()?;
        }
        match command {
            // DOMAIN §1: environments and users
            Command::SignUp {
                environment_name,
                name,
                email,
            } => self.sign_up(environment_name, name, email),
            Command::InviteUser { email, name, role } => self.invite_user(email, name, role),
            Command::AcceptInvitation { invitation } => self.accept_invitation(invitation),
            Command::RevokeInvitation { invitation } => self.revoke_invitation(invitation),
            Command::AssignRole { user, role } => self.assign_role(user, role),
            Command::SetRelationshipManager { user, enabled } => {
                self.set_relationship_manager(user, enabled)
            }
            Command::DisableUser { user } => self.disable_user(user),
            Command::EnableUser { user } => self.enable_user(user),
            // DOMAIN §6: plans, add-ons, credit and who bears the costs
            Command::SetPlan { environment, plan } => self.set_plan(environment, plan),
            Command::SetAddOn {
                environment,
                add_on,
                enabled,
            } => self.set_add_on(environment, add_on, enabled),
            Command::TopUpCredit {
                environment,
                amount,
            } => self.top_up_credit(environment, amount),
            // DOMAIN §4: organisations, members and connection keys
            Command::AddOrganisation {
                name,
                participant_id,
            } => self.add_organisation(name, participant_id),
            Command::RenameOrganisation { organisation, name } => {
                self.rename_organisation(organisation, name)
            }
            Command::ActivateOrganisation { organisation } => {
                self.activate_organisation(organisation)
            }
            Command::RetrieveConnectionKey { organisation } => {
                self.retrieve_connection_key(organisation)
            }
            Command::RevokeConnectionKey { key } => self.revoke_connection_key(key),
            Command::ConfigureSoftwareConnection {
                organisation,
                software,
            } => self.configure_software_connection(organisation, software),
            Command::AddMember {
                organisation,
                user,
                role,
            } => self.add_member(organisation, user, role),
            Command::ChangeMemberRole {
                organisation,
                user,
                role,
            } => self.change_member_role(organisation, user, role),
            Command::RemoveMember { organisation, user } => self.remove_member(organisation, user),
            // DOMAIN §2: partnerships
            Command::SendAuthorisationRequest { email } => self.send_authorisation_request(email),
            Command::ProposePartnership { environment } => self.propose_partnership(environment),
            Command::AcceptPartnershipRequest { request } => {
                self.accept_partnership_request(request)
            }
            Command::DeclinePartnershipRequest { request } => {
                self.decline_partnership_request(request)
            }
            Command::WithdrawPartnershipRequest { request } => {
                self.withdraw_partnership_request(request)
            }
            Command::EndPartnership { partnership } => self.end_partnership(partnership),
            Command::ConnectRelationshipManager { partnership, user } => {
                self.connect_relationship_manager(partnership, user)
            }
            Command::DisconnectRelationshipManager { partnership, user } => {
                self.disconnect_relationship_manager(partnership, user)
            }
            // DOMAIN §6: plans, add-ons, credit and who bears the costs
            Command::TakeOnCosts { organisation } => self.take_on_costs(organisation),
            Command::ReleaseCosts { organisation } => self.release_costs(organisation),
            // DOMAIN §3: documents and sharing
            Command::UploadDocument {
                organisation,
                doc_box,
                name,
                sha256,
                size,
                summary,
            } => self.upload_document(organisation, doc_box, name, sha256, size, summary),
            Command::DeleteDocument { document } => self.delete_document(document),
            Command::ShareDocument {
                document,
                grantee,
                level,
            } => self.share_document(document, grantee, level),
            Command::UnshareDocument { document, grantee } => {
                self.unshare_document(document, grantee)
            }
            // DOMAIN §6: sending and receiving
            Command::SendDocument { document, to } => self.send_document(document, to),
            Command::ReceiveDocument {
                to,
                name,
                sha256,
                size,
                summary,
            } => self.receive_document(to, name, sha256, size, summary),
            // DOMAIN §3: groups
            Command::CreateGroup { name } => self.create_group(name),
            Command::RenameGroup { group, name } => self.rename_group(group, name),
            Command::DeleteGroup { group } => self.delete_group(group),
            Command::AddGroupMember { group, user } => self.add_group_member(group, user),
            Command::RemoveGroupMember { group, user } => self.remove_group_member(group, user),
            // DOMAIN §5: the workflow engine
            Command::StartApprovalTask {
                document,
                assignee,
                note,
            } => self.start_approval_task(document, assignee, note),
            Command::ApproveTask { task, comment } => self.approve_task(task, comment),
            Command::RejectTask { task, reason } => self.reject_task(task, reason),
            Command::DelegateTask { task, to } => self.delegate_task(task, to),
            // DOMAIN §7: splitting
            Command::ApplyAccessPlan { plan } => self.apply_access_plan(plan),
            Command::ExportOrganisation {
                organisation,
                digest,
            } => self.export_organisation(organisation, digest),
            Command::AuthoriseRemoval {
                organisation,
                export,
                accept_loss,
                plan,
            } => self.authorise_removal(organisation, export, accept_loss, plan),
            Command::ExecuteRemoval { organisation } => self.execute_removal(organisation),
            Command::ImportBundle {
                organisation,
                bundle,
                participant_id,
                documents,
            } => self.import_bundle(organisation, bundle, participant_id, documents),
        }
    }
}

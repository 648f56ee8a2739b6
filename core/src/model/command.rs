//! What a user asks ([`Command`]) and what happened ([`Event`]).
//!
//! Both enums are closed and serialise as internally tagged JSON
//! (`{"type": "ShareDocument", ...}`), the same on the server, in the browser and
//! in the event log. A command is decided by [`crate::execute`]; the events it
//! yields are the only way the world changes ([`crate::World::apply`]).

use crate::model::entities::*;
use crate::model::ids::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who is acting.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "kind"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum Actor {
    /// A signed-in user.
    User { id: UserId },
    /// A platform Support operator (belongs to no environment).
    Support { name: String },
    /// Someone not signed in: signing up, accepting an invitation.
    Anonymous,
    /// The Peppol network delivering a document from outside the platform.
    Network,
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(Actor, "kind");

impl Actor {
    /// A user actor.
    pub fn user(id: UserId) -> Self {
        Actor::User { id }
    }

    /// The acting user, if a user acts.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User { id } => Some(*id),
            _ => None,
        }
    }
}

/// What the caller supplies that the core may not make itself: the time and fresh ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub now: Timestamp,
    /// Fresh ids, used in order; a command needs at most [`Context::IDS_NEEDED`].
    pub new_ids: Vec<Uuid>,
}

impl Context {
    /// The number of fresh ids that is always enough for one command.
    pub const IDS_NEEDED: usize = 4;

    /// A context with ids derived deterministically from `seed` (tests, generators).
    pub fn deterministic(now: Timestamp, seed: u128) -> Self {
        let new_ids = (0..Self::IDS_NEEDED as u128)
            .map(|n| Uuid::from_u128(seed.wrapping_mul(0x1_0000_0001).wrapping_add(n)))
            .collect();
        Self { now, new_ids }
    }
}

/// Everything a user, Support or the network can ask the platform to do.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "type"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum Command {
    // --- environments and users (DOMAIN §1)
    /// Creates an environment on `Free` whose first user is its Administrator.
    SignUp {
        environment_name: String,
        name: String,
        email: String,
    },
    InviteUser {
        email: String,
        name: String,
        role: EnvRole,
    },
    /// The invitee accepts (the server has checked the invitation's secret).
    AcceptInvitation {
        invitation: InvitationId,
    },
    RevokeInvitation {
        invitation: InvitationId,
    },
    AssignRole {
        user: UserId,
        role: EnvRole,
    },
    SetRelationshipManager {
        user: UserId,
        enabled: bool,
    },
    DisableUser {
        user: UserId,
    },
    EnableUser {
        user: UserId,
    },
    // --- Support
    SetPlan {
        environment: EnvironmentId,
        plan: Plan,
    },
    SetAddOn {
        environment: EnvironmentId,
        add_on: AddOn,
        enabled: bool,
    },
    TopUpCredit {
        environment: EnvironmentId,
        amount: i64,
    },
    // --- organisations (DOMAIN §4)
    AddOrganisation {
        name: String,
        participant_id: String,
    },
    RenameOrganisation {
        organisation: OrganisationId,
        name: String,
    },
    ActivateOrganisation {
        organisation: OrganisationId,
    },
    RetrieveConnectionKey {
        organisation: OrganisationId,
    },
    RevokeConnectionKey {
        key: KeyId,
    },
    ConfigureSoftwareConnection {
        organisation: OrganisationId,
        software: String,
    },
    // --- memberships
    AddMember {
        organisation: OrganisationId,
        user: UserId,
        role: OrgRole,
    },
    ChangeMemberRole {
        organisation: OrganisationId,
        user: UserId,
        role: OrgRole,
    },
    RemoveMember {
        organisation: OrganisationId,
        user: UserId,
    },
    // --- partnerships (DOMAIN §2)
    SendAuthorisationRequest {
        email: String,
    },
    ProposePartnership {
        environment: EnvironmentId,
    },
    AcceptPartnershipRequest {
        request: RequestId,
    },
    DeclinePartnershipRequest {
        request: RequestId,
    },
    WithdrawPartnershipRequest {
        request: RequestId,
    },
    EndPartnership {
        partnership: PartnershipId,
    },
    ConnectRelationshipManager {
        partnership: PartnershipId,
        user: UserId,
    },
    DisconnectRelationshipManager {
        partnership: PartnershipId,
        user: UserId,
    },
    TakeOnCosts {
        organisation: OrganisationId,
    },
    ReleaseCosts {
        organisation: OrganisationId,
    },
    // --- documents, sharing, groups (DOMAIN §3)
    UploadDocument {
        organisation: OrganisationId,
        doc_box: DocBox,
        name: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        sha256: Sha256,
        size: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        summary: Option<DocSummary>,
    },
    DeleteDocument {
        document: DocumentId,
    },
    ShareDocument {
        document: DocumentId,
        grantee: Grantee,
        level: Level,
    },
    UnshareDocument {
        document: DocumentId,
        grantee: Grantee,
    },
    /// Sends an `InboxOut` document over Peppol to a participant identifier.
    SendDocument {
        document: DocumentId,
        to: String,
    },
    /// The network delivers a document from outside the platform.
    ReceiveDocument {
        to: String,
        name: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        sha256: Sha256,
        size: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        summary: Option<DocSummary>,
    },
    CreateGroup {
        name: String,
    },
    RenameGroup {
        group: GroupId,
        name: String,
    },
    DeleteGroup {
        group: GroupId,
    },
    AddGroupMember {
        group: GroupId,
        user: UserId,
    },
    RemoveGroupMember {
        group: GroupId,
        user: UserId,
    },
    // --- workflow (DOMAIN §5)
    StartApprovalTask {
        document: DocumentId,
        assignee: UserId,
        note: Option<String>,
    },
    ApproveTask {
        task: TaskId,
        comment: Option<String>,
    },
    RejectTask {
        task: TaskId,
        reason: String,
    },
    DelegateTask {
        task: TaskId,
        to: UserId,
    },
    // --- splitting (DOMAIN §7)
    /// Executes a fresh option-1 split plan: its membership changes, together.
    /// Refused with `stale_plan` when a fact it rests on changed.
    ApplyAccessPlan {
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        plan: Box<crate::model::split::SplitPlan>,
    },
    /// Records the export of every document of an organisation as a signed
    /// bundle whose manifest has `digest` (option 2, step 1). The server builds the
    /// bundle and sends this command with it; it is refused if the organisation's
    /// documents no longer match the manifest.
    ExportOrganisation {
        organisation: OrganisationId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        digest: Sha256,
    },
    /// An Administrator of the organisation's environment authorises Support to
    /// remove it, relying on the export with manifest digest `export` (step 2).
    /// Refused when documents were added since that export, unless
    /// `accept_loss`. With `plan` (a full-separation plan that selects the
    /// organisation), refused with `stale_plan` when a fact it rests on changed.
    AuthoriseRemoval {
        organisation: OrganisationId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        export: Sha256,
        #[serde(default)]
        accept_loss: bool,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        plan: Option<Box<crate::model::split::SplitPlan>>,
    },
    /// Support removes an organisation whose removal an Administrator authorised
    /// (step 3): its documents are deleted, its memberships, shares, tasks and
    /// keys go, cost bearing reverts, its Peppol registration ends.
    ExecuteRemoval {
        organisation: OrganisationId,
    },
    /// Restores the documents of a verified export bundle into an organisation
    /// with the same Peppol identifier. The server verifies the bundle and builds
    /// this command from its manifest.
    ImportBundle {
        organisation: OrganisationId,
        /// The bundle's manifest digest.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        bundle: Sha256,
        /// The Peppol identifier of the organisation the bundle was exported from.
        participant_id: String,
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
        documents: Vec<crate::model::bundle::BundleDocument>,
    },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(Command, "type");

impl Command {
    /// The command's name, as in its JSON `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Command::SignUp { .. } => "SignUp",
            Command::InviteUser { .. } => "InviteUser",
            Command::AcceptInvitation { .. } => "AcceptInvitation",
            Command::RevokeInvitation { .. } => "RevokeInvitation",
            Command::AssignRole { .. } => "AssignRole",
            Command::SetRelationshipManager { .. } => "SetRelationshipManager",
            Command::DisableUser { .. } => "DisableUser",
            Command::EnableUser { .. } => "EnableUser",
            Command::SetPlan { .. } => "SetPlan",
            Command::SetAddOn { .. } => "SetAddOn",
            Command::TopUpCredit { .. } => "TopUpCredit",
            Command::AddOrganisation { .. } => "AddOrganisation",
            Command::RenameOrganisation { .. } => "RenameOrganisation",
            Command::ActivateOrganisation { .. } => "ActivateOrganisation",
            Command::RetrieveConnectionKey { .. } => "RetrieveConnectionKey",
            Command::RevokeConnectionKey { .. } => "RevokeConnectionKey",
            Command::ConfigureSoftwareConnection { .. } => "ConfigureSoftwareConnection",
            Command::AddMember { .. } => "AddMember",
            Command::ChangeMemberRole { .. } => "ChangeMemberRole",
            Command::RemoveMember { .. } => "RemoveMember",
            Command::SendAuthorisationRequest { .. } => "SendAuthorisationRequest",
            Command::ProposePartnership { .. } => "ProposePartnership",
            Command::AcceptPartnershipRequest { .. } => "AcceptPartnershipRequest",
            Command::DeclinePartnershipRequest { .. } => "DeclinePartnershipRequest",
            Command::WithdrawPartnershipRequest { .. } => "WithdrawPartnershipRequest",
            Command::EndPartnership { .. } => "EndPartnership",
            Command::ConnectRelationshipManager { .. } => "ConnectRelationshipManager",
            Command::DisconnectRelationshipManager { .. } => "DisconnectRelationshipManager",
            Command::TakeOnCosts { .. } => "TakeOnCosts",
            Command::ReleaseCosts { .. } => "ReleaseCosts",
            Command::UploadDocument { .. } => "UploadDocument",
            Command::DeleteDocument { .. } => "DeleteDocument",
            Command::ShareDocument { .. } => "ShareDocument",
            Command::UnshareDocument { .. } => "UnshareDocument",
            Command::SendDocument { .. } => "SendDocument",
            Command::ReceiveDocument { .. } => "ReceiveDocument",
            Command::CreateGroup { .. } => "CreateGroup",
            Command::RenameGroup { .. } => "RenameGroup",
            Command::DeleteGroup { .. } => "DeleteGroup",
            Command::AddGroupMember { .. } => "AddGroupMember",
            Command::RemoveGroupMember { .. } => "RemoveGroupMember",
            Command::StartApprovalTask { .. } => "StartApprovalTask",
            Command::ApproveTask { .. } => "ApproveTask",
            Command::RejectTask { .. } => "RejectTask",
            Command::DelegateTask { .. } => "DelegateTask",
            Command::ApplyAccessPlan { .. } => "ApplyAccessPlan",
            Command::ExportOrganisation { .. } => "ExportOrganisation",
            Command::AuthoriseRemoval { .. } => "AuthoriseRemoval",
            Command::ExecuteRemoval { .. } => "ExecuteRemoval",
            Command::ImportBundle { .. } => "ImportBundle",
        }
    }
}

/// Something that happened. Fine-grained: a cascade is a list of these, so that
/// applying one is a small, obvious change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "type"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum Event {
    EnvironmentCreated {
        environment: EnvironmentId,
        name: String,
        plan: Plan,
        at: Timestamp,
    },
    UserCreated {
        user: UserId,
        environment: EnvironmentId,
        name: String,
        email: String,
        role: EnvRole,
    },
    InvitationCreated {
        invitation: Invitation,
    },
    InvitationAccepted {
        invitation: InvitationId,
        user: UserId,
    },
    InvitationRevoked {
        invitation: InvitationId,
    },
    RoleAssigned {
        user: UserId,
        role: EnvRole,
    },
    RelationshipManagerRoleSet {
        user: UserId,
        enabled: bool,
    },
    UserDisabled {
        user: UserId,
    },
    UserEnabled {
        user: UserId,
    },
    PlanSet {
        environment: EnvironmentId,
        plan: Plan,
    },
    AddOnSet {
        environment: EnvironmentId,
        add_on: AddOn,
        enabled: bool,
    },
    CreditChanged {
        environment: EnvironmentId,
        organisation: Option<OrganisationId>,
        amount: i64,
        reason: LedgerReason,
        at: Timestamp,
    },
    OrganisationAdded {
        organisation: OrganisationId,
        environment: EnvironmentId,
        name: String,
        participant_id: String,
    },
    OrganisationRenamed {
        organisation: OrganisationId,
        name: String,
    },
    OrganisationActivated {
        organisation: OrganisationId,
    },
    SoftwareConnectionConfigured {
        organisation: OrganisationId,
        software: String,
    },
    ConnectionKeyIssued {
        key: KeyId,
        organisation: OrganisationId,
        holder: UserId,
        at: Timestamp,
    },
    ConnectionKeyRevoked {
        key: KeyId,
        reason: RevokeReason,
        at: Timestamp,
    },
    /// A membership added, or its role changed.
    MembershipGranted {
        user: UserId,
        organisation: OrganisationId,
        role: OrgRole,
        at: Timestamp,
    },
    MembershipRemoved {
        user: UserId,
        organisation: OrganisationId,
    },
    PartnershipRequested {
        request: PartnershipRequest,
    },
    PartnershipRequestDeclined {
        request: RequestId,
        by: UserId,
    },
    PartnershipRequestWithdrawn {
        request: RequestId,
    },
    PartnershipCreated {
        partnership: PartnershipId,
        requester: EnvironmentId,
        accepter: EnvironmentId,
        origin: PartnershipOrigin,
        accepted_by: UserId,
        at: Timestamp,
    },
    PartnershipEnded {
        partnership: PartnershipId,
        by: UserId,
        at: Timestamp,
    },
    RelationshipManagerConnected {
        partnership: PartnershipId,
        user: UserId,
    },
    RelationshipManagerDisconnected {
        partnership: PartnershipId,
        user: UserId,
    },
    CostBearerChanged {
        organisation: OrganisationId,
        bearer: EnvironmentId,
    },
    DocumentAdded {
        document: Document,
    },
    DocumentDeleted {
        document: DocumentId,
    },
    ShareGranted {
        share: Share,
    },
    ShareRevoked {
        document: DocumentId,
        grantee: Grantee,
    },
    DocumentSent {
        document: DocumentId,
        to: String,
        delivered_as: DocumentId,
        at: Timestamp,
    },
    GroupCreated {
        group: GroupId,
        environment: EnvironmentId,
        name: String,
    },
    GroupRenamed {
        group: GroupId,
        name: String,
    },
    GroupDeleted {
        group: GroupId,
    },
    GroupMemberAdded {
        group: GroupId,
        user: UserId,
    },
    GroupMemberRemoved {
        group: GroupId,
        user: UserId,
    },
    TaskStarted {
        task: TaskId,
        document: DocumentId,
        by: UserId,
        assignee: UserId,
        note: Option<String>,
        at: Timestamp,
    },
    TaskDelegated {
        task: TaskId,
        by: UserId,
        to: UserId,
        at: Timestamp,
    },
    TaskApproved {
        task: TaskId,
        by: UserId,
        comment: Option<String>,
        at: Timestamp,
    },
    TaskRejected {
        task: TaskId,
        by: UserId,
        reason: String,
        at: Timestamp,
    },
    TaskReassigned {
        task: TaskId,
        to: UserId,
        why: ReassignReason,
        at: Timestamp,
    },
    OrganisationExported {
        organisation: OrganisationId,
        digest: Sha256,
        by: UserId,
        at: Timestamp,
    },
    RemovalAuthorised {
        organisation: OrganisationId,
        export: Sha256,
        accept_loss: bool,
        /// The fingerprint of the plan authorised on, if any.
        #[serde(default)]
        fingerprint: Option<crate::model::fingerprint::Fingerprint>,
        by: UserId,
        at: Timestamp,
    },
    /// The end of a removal's cascade: the organisation is removed and its
    /// Peppol identifier free.
    OrganisationRemoved {
        organisation: OrganisationId,
        at: Timestamp,
    },
    BundleImported {
        organisation: OrganisationId,
        bundle: Sha256,
        documents: u64,
        by: UserId,
        at: Timestamp,
    },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(Event, "type");

/// What a command's events created: the ids a caller names in its next step
/// (the first of each kind).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Created {
    pub environment: Option<EnvironmentId>,
    pub user: Option<UserId>,
    /// The new user's email, as stored.
    pub email: Option<String>,
    pub invitation: Option<InvitationId>,
    pub organisation: Option<OrganisationId>,
    pub key: Option<KeyId>,
    pub request: Option<RequestId>,
    pub partnership: Option<PartnershipId>,
    pub document: Option<DocumentId>,
    pub group: Option<GroupId>,
    pub task: Option<TaskId>,
}

impl Created {
    pub fn of(events: &[Event]) -> Created {
        let mut created = Created::default();
        for event in events {
            match event {
                Event::EnvironmentCreated { environment, .. } => {
                    created.environment.get_or_insert(*environment);
                }
                Event::UserCreated { user, email, .. } if created.user.is_none() => {
                    created.user = Some(*user);
                    created.email = Some(email.clone());
                }
                Event::InvitationCreated { invitation } => {
                    created.invitation.get_or_insert(invitation.id);
                }
                Event::OrganisationAdded { organisation, .. } => {
                    created.organisation.get_or_insert(*organisation);
                }
                Event::ConnectionKeyIssued { key, .. } => {
                    created.key.get_or_insert(*key);
                }
                Event::PartnershipRequested { request } => {
                    created.request.get_or_insert(request.id);
                }
                Event::PartnershipCreated { partnership, .. } => {
                    created.partnership.get_or_insert(*partnership);
                }
                Event::DocumentAdded { document } => {
                    created.document.get_or_insert(document.id);
                }
                Event::GroupCreated { group, .. } => {
                    created.group.get_or_insert(*group);
                }
                Event::TaskStarted { task, .. } => {
                    created.task.get_or_insert(*task);
                }
                _ => {}
            }
        }
        created
    }
}

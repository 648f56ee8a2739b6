//! The plain entities of the platform (DOMAIN §1–6).
//!
//! These are data only: no rules live here. The rules are in `execute` (what may
//! happen) and `access` (who may do what). Relations between entities (who is a
//! member of what, which documents are shared with whom) are kept by
//! [`crate::World`] in indexes, so that they can be looked up from either side.

use crate::model::ids::*;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A subscription plan; plans are ordered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Plan {
    Free,
    Basic,
    Professional,
    Enterprise,
}

impl Plan {
    /// Every plan, cheapest first.
    pub const ALL: [Plan; 4] = [
        Plan::Free,
        Plan::Basic,
        Plan::Professional,
        Plan::Enterprise,
    ];

    /// The transaction credit a new environment on this plan starts with.
    pub fn included_credit(self) -> i64 {
        match self {
            Plan::Free => 25,
            Plan::Basic => 250,
            Plan::Professional => 2_500,
            Plan::Enterprise => 25_000,
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An add-on an environment can have.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AddOn {
    WorkflowEngine,
}

impl fmt::Display for AddOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Workflow Engine")
    }
}

/// A customer account (tenant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub id: EnvironmentId,
    pub name: String,
    pub plan: Plan,
    pub add_ons: Vec<AddOn>,
    /// The transaction credit balance, shared by all organisations of the environment.
    /// It may go negative through receiving, which is never refused.
    pub credit: i64,
    pub created_at: Timestamp,
}

impl Environment {
    /// Whether the environment has `add_on`.
    pub fn has_add_on(&self, add_on: AddOn) -> bool {
        self.add_ons.contains(&add_on)
    }

    /// Whether the environment is flagged for a negative balance (DOMAIN §6:
    /// receiving is never refused, so the balance may go below zero; the
    /// flag stays until a top-up brings it back).
    pub fn flagged(&self) -> bool {
        self.credit < 0
    }
}

/// A user's role in their home environment; roles are ordered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EnvRole {
    User,
    AdvancedUser,
    Administrator,
}

impl fmt::Display for EnvRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EnvRole::User => "User",
            EnvRole::AdvancedUser => "Advanced user",
            EnvRole::Administrator => "Administrator",
        })
    }
}

/// Whether a user may act at all.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserStatus {
    Active,
    Disabled,
}

/// A person with a login, belonging to exactly one environment (their home).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub environment: EnvironmentId,
    pub name: String,
    pub email: String,
    pub role: EnvRole,
    /// The separate RelationshipManager role, assigned by an Administrator.
    pub relationship_manager: bool,
    pub status: UserStatus,
}

impl User {
    /// Active and an Administrator or AdvancedUser: the users a partner may make
    /// members of its organisations (DOMAIN §1).
    pub fn is_advanced(&self) -> bool {
        self.role >= EnvRole::AdvancedUser
    }

    /// Whether the user is active.
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
    }
}

/// Someone a projection names without showing them (DOMAIN §1): a person who
/// acted on the viewer's environment's own records (task trails, key lists,
/// shares, uploads, partnerships) but is not a user the viewer sees, or who sent
/// the viewer a partnership request (then with the email, which the addressee
/// sees). The whole world keeps none of these: it has the users themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    /// Set only for the sender of a request addressed to the viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The state of an invitation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
}

/// An invitation of a new user into an environment; the invitee sets a password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: InvitationId,
    pub environment: EnvironmentId,
    pub email: String,
    pub name: String,
    pub role: EnvRole,
    pub invited_by: UserId,
    pub at: Timestamp,
    pub status: InvitationStatus,
}

/// The lifecycle of an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrgStatus {
    Inactive,
    Active,
    Removed,
}

/// A legal entity that sends and receives invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub environment: EnvironmentId,
    pub name: String,
    /// The Peppol participant identifier, `scheme:value`.
    pub participant_id: String,
    pub status: OrgStatus,
    /// The environment whose credit pays for this organisation's transactions.
    pub cost_bearer: EnvironmentId,
    /// The accounting software connected, if any.
    pub software_connection: Option<String>,
}

/// A user's role in an organisation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrgRole {
    Member,
    Manager,
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A user's membership of an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub user: UserId,
    pub organisation: OrganisationId,
    pub role: OrgRole,
    pub since: Timestamp,
}

/// Where a document sits in its organisation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DocBox {
    Documents,
    /// Received: purchase invoices.
    InboxIn,
    /// Sent: sales invoices.
    InboxOut,
}

impl DocBox {
    pub const ALL: [DocBox; 3] = [DocBox::Documents, DocBox::InboxIn, DocBox::InboxOut];
}

impl fmt::Display for DocBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DocBox::Documents => "Documents",
            DocBox::InboxIn => "Inbox IN",
            DocBox::InboxOut => "Inbox OUT",
        })
    }
}

/// Document permission levels, ordered `View` < `Edit` < `Manage`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    View,
    Edit,
    Manage,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What an invoice says, in brief: kept in memory for every document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DocSummary {
    /// `Invoice` or `CreditNote`.
    pub kind: String,
    pub number: String,
    pub issue_date: String,
    /// When it is due, `YYYY-MM-DD` (absent when the document states none,
    /// or was recorded before it was read for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    pub currency: String,
    pub supplier: String,
    pub customer: String,
    /// The amount due, as an exact decimal string.
    pub payable: String,
    /// The total without VAT, as an exact decimal string (absent for a
    /// document recorded before it was read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_exclusive: Option<String>,
    /// The total with VAT, as an exact decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_inclusive: Option<String>,
    /// The VAT in the document currency, as an exact decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_total: Option<String>,
    /// The VAT breakdown as read: one entry per VAT category and rate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vat: Vec<VatLine>,
}

/// One line of an invoice's VAT breakdown, amounts as exact decimal strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VatLine {
    /// The VAT category code (`S` standard, `Z` zero, `E` exempt, `AE` reverse
    /// charge, …).
    pub category: String,
    /// The rate in percent, when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<String>,
    pub taxable: String,
    pub tax: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption_reason: Option<String>,
}

/// A document's metadata. Its bytes live outside the world, addressed by `sha256`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: DocumentId,
    pub organisation: OrganisationId,
    /// Denormalised from the organisation so that a check needs one lookup less.
    pub environment: EnvironmentId,
    pub doc_box: DocBox,
    pub name: String,
    pub sha256: Sha256,
    pub size: u64,
    pub uploaded_by: Option<UserId>,
    pub at: Timestamp,
    pub summary: Option<Box<DocSummary>>,
}

/// Who a document is shared with.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id")]
pub enum Grantee {
    User(UserId),
    Group(GroupId),
    /// Every member (Manager or Member) of the organisation, present and future.
    Organisation(OrganisationId),
}

impl ShardKey for Grantee {
    fn shard_hash(&self) -> u16 {
        match self {
            Grantee::User(id) => id.shard_hash(),
            Grantee::Group(id) => id.shard_hash(),
            Grantee::Organisation(id) => id.shard_hash(),
        }
    }
}

/// A share of one document with a grantee at a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub document: DocumentId,
    pub grantee: Grantee,
    pub level: Level,
    pub by: UserId,
    pub at: Timestamp,
}

/// A named set of users of one environment and its partners.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub environment: EnvironmentId,
    pub name: String,
}

/// How a partnership came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartnershipOrigin {
    AuthorisationRequest(RequestId),
    Manual(RequestId),
}

/// A link between two environments; symmetric.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partnership {
    pub id: PartnershipId,
    /// The side that asked (the intermediary, usually).
    pub requester: EnvironmentId,
    /// The side that accepted.
    pub accepter: EnvironmentId,
    pub origin: PartnershipOrigin,
    pub created_at: Timestamp,
    pub ended: Option<Ended>,
    /// Relationship managers of either side; the link grants no access.
    pub relationship_managers: Vec<UserId>,
}

/// When and by whom a partnership ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ended {
    pub at: Timestamp,
    pub by: UserId,
}

impl Partnership {
    /// Whether the partnership still links its environments.
    pub fn is_active(&self) -> bool {
        self.ended.is_none()
    }

    /// The other side, seen from `environment`.
    pub fn other_side(&self, environment: EnvironmentId) -> EnvironmentId {
        if self.requester == environment {
            self.accepter
        } else {
            self.requester
        }
    }

    /// Whether `environment` is one of the two sides.
    pub fn links(&self, environment: EnvironmentId) -> bool {
        self.requester == environment || self.accepter == environment
    }
}

/// Who a partnership request is addressed to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "kind"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum RequestTarget {
    /// An authorisation request, addressed to an email address.
    Email { email: String },
    /// A manual partnership proposal, addressed to an environment by its id.
    Environment { environment: EnvironmentId },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(RequestTarget, "kind");

/// The state of a partnership request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "state"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum RequestStatus {
    Pending,
    Accepted {
        by: UserId,
        partnership: PartnershipId,
    },
    Declined {
        by: UserId,
    },
    Withdrawn,
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(RequestStatus, "state");

/// An authorisation request or a manual partnership proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnershipRequest {
    pub id: RequestId,
    pub from_environment: EnvironmentId,
    pub from_user: UserId,
    pub target: RequestTarget,
    pub at: Timestamp,
    pub status: RequestStatus,
}

/// Why a connection key stopped working.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RevokeReason {
    Revoked { by: UserId },
    HolderLostAccess,
    HolderDisabled,
    PartnershipEnded,
    OrganisationRemoved,
}

/// A credential for accounting software, scoped to one organisation. Only its hash
/// is kept, by the server; the world records who holds it and whether it works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionKey {
    pub id: KeyId,
    pub organisation: OrganisationId,
    pub holder: UserId,
    pub issued_at: Timestamp,
    pub revoked: Option<(Timestamp, RevokeReason)>,
}

impl ConnectionKey {
    pub fn is_valid(&self) -> bool {
        self.revoked.is_none()
    }
}

/// The state of an approval task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "state"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum TaskStatus {
    Open,
    Approved,
    Rejected { reason: String },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(TaskStatus, "state");

/// One step of a task's audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "step"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum TrailStep {
    Started {
        by: UserId,
        assignee: UserId,
    },
    Delegated {
        by: UserId,
        from: UserId,
        to: UserId,
    },
    Approved {
        by: UserId,
        comment: Option<String>,
    },
    Rejected {
        by: UserId,
        reason: String,
    },
    /// The platform moved the task because its assignee lost access.
    Reassigned {
        from: UserId,
        to: UserId,
        why: ReassignReason,
    },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(TrailStep, "step");

impl TrailStep {
    /// The people the step names: whoever it moved the task to first, then
    /// whoever acted, then whoever it moved the task from.
    pub fn people(&self) -> impl Iterator<Item = UserId> {
        let people: [Option<UserId>; 3] = match self {
            TrailStep::Started { by, assignee } => [Some(*assignee), Some(*by), None],
            TrailStep::Delegated { by, from, to } => [Some(*to), Some(*by), Some(*from)],
            TrailStep::Approved { by, .. } | TrailStep::Rejected { by, .. } => {
                [Some(*by), None, None]
            }
            TrailStep::Reassigned { from, to, .. } => [Some(*to), Some(*from), None],
        };
        people.into_iter().flatten()
    }
}

/// Why the platform moved a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReassignReason {
    PartnershipEnded,
    AssigneeDisabled,
    AssigneeLostAccess,
}

/// A trail step with its time: `{"at": …, "step": "Started", …the step's fields}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(Deserialize))]
pub struct TrailEntry {
    pub at: Timestamp,
    #[serde(flatten)]
    pub step: TrailStep,
}

/// In the browser, read by hand, not derived: serde's `flatten` buffers the whole
/// entry to find the step's fields, which compiles the trail's types twice (see
/// [`crate::util::tagged`]). `at` must come first, as the derived `Serialize` writes it;
/// the server keeps the derive, which takes the fields in any order.
#[cfg(target_arch = "wasm32")]
impl<'de> Deserialize<'de> for TrailEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> serde::de::Visitor<'de> for EntryVisitor {
            type Value = TrailEntry;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a trail entry: `at`, then the step")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<TrailEntry, A::Error> {
                map.next_key_seed(crate::util::tagged::FirstField("at"))?
                    .ok_or_else(|| serde::de::Error::missing_field("at"))?;
                let at = map.next_value()?;
                let step = <TrailStep as Deserialize>::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(TrailEntry { at, step })
            }
        }
        deserializer.deserialize_map(EntryVisitor)
    }
}

/// An approval task on a received document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub document: DocumentId,
    pub assignee: UserId,
    /// Users the task can go back to when the assignee loses access.
    pub status: TaskStatus,
    pub note: Option<String>,
    pub trail: Vec<TrailEntry>,
}

impl Task {
    pub fn is_open(&self) -> bool {
        self.status == TaskStatus::Open
    }

    /// Everyone the task names: its assignee and the people on its trail.
    pub fn people(&self) -> impl Iterator<Item = UserId> + '_ {
        std::iter::once(self.assignee).chain(self.trail.iter().flat_map(|e| e.step.people()))
    }
}

/// Why credit moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "kind"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum LedgerReason {
    /// The plan's included credit of a new environment.
    Included,
    TopUp,
    Sent {
        document: DocumentId,
    },
    Received {
        document: DocumentId,
    },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(LedgerReason, "kind");

/// One movement of an environment's credit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub environment: EnvironmentId,
    pub organisation: Option<OrganisationId>,
    pub amount: i64,
    pub balance_after: i64,
    pub reason: LedgerReason,
    pub at: Timestamp,
}

/// The latest export of an organisation (DOMAIN §7, option 2, step 1): the signed
/// bundle's manifest digest and the documents it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    pub organisation: OrganisationId,
    /// The digest of the bundle's manifest (see [`crate::model::bundle::Manifest`]).
    pub digest: Sha256,
    /// The documents the bundle holds, sorted.
    pub documents: Vec<DocumentId>,
    pub by: UserId,
    pub at: Timestamp,
}

/// An Administrator's authorisation to remove an organisation (DOMAIN §7, option
/// 2, step 2), which Support needs to execute the removal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalAuthorisation {
    pub organisation: OrganisationId,
    /// The export the Administrator relied on.
    pub export: Sha256,
    /// Whether the Administrator accepted losing documents the export lacks.
    pub accept_loss: bool,
    /// The facts of the plan the Administrator authorised on, if they gave one:
    /// the removal is refused (`stale_plan`) once any of them changed.
    pub fingerprint: Option<crate::model::fingerprint::Fingerprint>,
    pub by: UserId,
    pub at: Timestamp,
}

/// How one environment stands with another it has been partnered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// An active partnership.
    Partnered,
    /// None now; the latest ended then.
    Ended { at: Timestamp },
}

//! What an access question is made of: actions, resources, reasons and
//! decisions. Plain data; the engine that answers is [`crate::access`].

use crate::model::entities::*;
use crate::model::ids::*;
use serde::{Deserialize, Serialize};
use smallvec::{smallvec, SmallVec};

/// What a user may want to do to a resource.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    /// Read and download a document.
    View,
    /// Also start approval tasks on it and send it.
    Edit,
    /// Also share, unshare and delete it.
    Manage,
    ViewOrganisation,
    ManageOrganisationSettings,
    ManageMembers,
    RetrieveConnectionKey,
    ConfigureSoftwareConnection,
    ActivateOrganisation,
    // --- on an environment
    /// Read the environment's audit log (DOMAIN §8).
    ReadAuditLog,
    /// Invite users, assign roles and the RelationshipManager role, disable
    /// and enable users, connect relationship managers (DOMAIN §1, §2).
    ManageUsers,
    /// Create and edit the environment's groups (DOMAIN §3).
    ManageGroups,
    /// Send authorisation requests and propose partnerships (DOMAIN §2).
    SendPartnershipRequests,
    /// End the environment's partnerships, take on and release costs (DOMAIN §2).
    ManagePartnerships,
    /// Simulate and carry out a split: export, authorise a removal, import a
    /// bundle (DOMAIN §7).
    SplitEnvironment,
    /// Add organisations to the environment (DOMAIN §1).
    AddOrganisations,
    // --- the platform's, for its Support only
    /// Set an environment's plan and add-ons, top up its credit (DOMAIN §1, §6).
    ManageSubscription,
    /// Execute an organisation's authorised removal (DOMAIN §7).
    ExecuteRemoval,
    /// Deliver an e-invoice arriving from the Peppol network into the
    /// addressed organisation's inbox (DOMAIN §6): the platform's access
    /// point (and Support), never a user.
    ReceiveFromNetwork,
}

impl Action {
    /// The document actions, weakest first.
    pub const DOCUMENT: [Action; 3] = [Action::View, Action::Edit, Action::Manage];
    /// The organisation actions (DOMAIN §4).
    pub const ORGANISATION: [Action; 6] = [
        Action::ViewOrganisation,
        Action::ManageOrganisationSettings,
        Action::ManageMembers,
        Action::RetrieveConnectionKey,
        Action::ConfigureSoftwareConnection,
        Action::ActivateOrganisation,
    ];
    /// The environment actions (DOMAIN §1, §2, §7, §8).
    pub const ENVIRONMENT: [Action; 7] = [
        Action::ReadAuditLog,
        Action::ManageUsers,
        Action::ManageGroups,
        Action::SendPartnershipRequests,
        Action::ManagePartnerships,
        Action::SplitEnvironment,
        Action::AddOrganisations,
    ];

    /// The platform's actions: platform Support's, never a user's (so not
    /// among a resource kind's actions, which are a user's).
    pub const PLATFORM: [Action; 3] = [
        Action::ManageSubscription,
        Action::ExecuteRemoval,
        Action::ReceiveFromNetwork,
    ];

    /// Whether only platform Support may do this.
    pub fn is_platform(self) -> bool {
        Action::PLATFORM.contains(&self)
    }

    /// The kind of resource the action applies to.
    pub fn resource_kind(self) -> ResourceKind {
        match self {
            Action::View | Action::Edit | Action::Manage => ResourceKind::Document,
            Action::ManageSubscription => ResourceKind::Environment,
            Action::ReadAuditLog
            | Action::ManageUsers
            | Action::ManageGroups
            | Action::SendPartnershipRequests
            | Action::ManagePartnerships
            | Action::SplitEnvironment
            | Action::AddOrganisations => ResourceKind::Environment,
            _ => ResourceKind::Organisation,
        }
    }

    /// The document level the action needs.
    pub fn level(self) -> Option<Level> {
        match self {
            Action::View => Some(Level::View),
            Action::Edit => Some(Level::Edit),
            Action::Manage => Some(Level::Manage),
            _ => None,
        }
    }

    pub(crate) fn bit(self) -> u8 {
        match self {
            Action::View | Action::ViewOrganisation => 1,
            Action::Edit | Action::ManageOrganisationSettings => 2,
            Action::Manage | Action::ManageMembers => 4,
            Action::RetrieveConnectionKey => 8,
            Action::ConfigureSoftwareConnection => 16,
            Action::ActivateOrganisation => 32,
            Action::ReadAuditLog => 1,
            Action::ManageUsers => 2,
            Action::ManageGroups => 4,
            Action::SendPartnershipRequests => 8,
            Action::ManagePartnerships => 16,
            Action::SplitEnvironment => 32,
            Action::AddOrganisations => 64,
            Action::ManageSubscription => 128,
            Action::ExecuteRemoval => 64,
            Action::ReceiveFromNetwork => 128,
        }
    }
}

/// Something access is decided on.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id")]
pub enum Resource {
    Document(DocumentId),
    Organisation(OrganisationId),
    Environment(EnvironmentId),
}

impl Resource {
    /// The kind of resource this is.
    pub fn kind(self) -> ResourceKind {
        match self {
            Resource::Document(_) => ResourceKind::Document,
            Resource::Organisation(_) => ResourceKind::Organisation,
            Resource::Environment(_) => ResourceKind::Environment,
        }
    }
}

impl ResourceKind {
    /// Every action on a resource of this kind.
    pub fn actions(self) -> &'static [Action] {
        match self {
            ResourceKind::Document => &Action::DOCUMENT,
            ResourceKind::Organisation => &Action::ORGANISATION,
            ResourceKind::Environment => &Action::ENVIRONMENT,
        }
    }
}

/// The kinds of [`Resource`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceKind {
    Document,
    Organisation,
    Environment,
}

/// One explanation: a grant path, or something missing.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "reason"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum Reason {
    // --- grant paths
    /// Administrator of the resource's environment.
    Administrator {
        environment: EnvironmentId,
    },
    /// Member or Manager of the organisation; `through` is the user's home when it
    /// is a partner environment.
    Membership {
        organisation: OrganisationId,
        role: OrgRole,
        through: Option<EnvironmentId>,
    },
    SharedWithUser {
        level: Level,
        through: Option<EnvironmentId>,
    },
    SharedWithGroup {
        group: GroupId,
        level: Level,
        through: Option<EnvironmentId>,
    },
    SharedWithOrganisation {
        organisation: OrganisationId,
        level: Level,
        through: Option<EnvironmentId>,
    },
    // --- what is missing
    UnknownUser,
    UnknownResource,
    UserDisabled {
        user: UserId,
    },
    OrganisationRemoved {
        organisation: OrganisationId,
    },
    /// The user's home is neither the resource's environment nor actively
    /// partnered with it; `ended` is when the latest partnership of the pair ended.
    NoPartnership {
        home: EnvironmentId,
        environment: EnvironmentId,
        ended: Option<Timestamp>,
    },
    NotMember {
        organisation: OrganisationId,
    },
    LevelTooLow {
        has: Level,
        needs: Level,
    },
    EnvironmentRoleTooLow {
        has: EnvRole,
        needs: EnvRole,
    },
    NotAdministrator {
        environment: EnvironmentId,
    },
    NotManager {
        organisation: OrganisationId,
    },
    ManagerOfAnotherEnvironment {
        organisation: OrganisationId,
    },
    // --- on an environment
    /// An Administrator or Advanced user of the environment (a grant path).
    AdvancedUser {
        environment: EnvironmentId,
    },
    /// The user belongs to another environment.
    NotOfEnvironment {
        environment: EnvironmentId,
    },
    /// A connection key that stopped working: when, and why.
    KeyRevoked {
        at: Timestamp,
        why: RevokeReason,
    },
    // --- the platform's actions
    /// Platform Support (a grant path).
    PlatformSupport,
    /// The platform's Peppol access point, delivering from the network (a
    /// grant path).
    PeppolNetwork,
    /// Only platform Support may do this.
    SupportOnly,
    /// Only the Peppol network delivers documents from outside.
    NetworkOnly,
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(Reason, "reason");

/// The explanations of one decision; two fit without allocating.
pub type Reasons = SmallVec<[Reason; 2]>;

/// The answer to a check.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub allowed: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Reason>))]
    pub reasons: Reasons,
}

impl Decision {
    pub(crate) fn deny(reason: Reason) -> Self {
        Decision {
            allowed: false,
            reasons: smallvec![reason],
        }
    }
}

/// What a user may do to one resource: a document level, or a set of
/// organisation actions.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Access(pub(crate) u8);

impl Access {
    pub const NONE: Access = Access(0);

    /// Whether `action` is in the set.
    pub fn allows(self, action: Action) -> bool {
        self.0 & action.bit() != 0
    }

    /// Whether nothing is allowed.
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The allowed actions, for a resource of `kind`.
    pub fn actions(self, kind: ResourceKind) -> Vec<Action> {
        kind.actions()
            .iter()
            .copied()
            .filter(|a| self.allows(*a))
            .collect()
    }

    /// The document level, if this is a document's access.
    pub fn level(self) -> Option<Level> {
        [Level::Manage, Level::Edit, Level::View]
            .into_iter()
            .find(|l| self.0 & level_bits(*l) == level_bits(*l))
    }

    /// The access a document level gives.
    pub fn of_level(level: Option<Level>) -> Access {
        Access(level.map_or(0, level_bits))
    }
}

fn level_bits(level: Level) -> u8 {
    match level {
        Level::View => 1,
        Level::Edit => 3,
        Level::Manage => 7,
    }
}

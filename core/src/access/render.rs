//! Turning structured reasons into sentences, only when they are shown.
//!
//! Names come from a [`Names`]: the whole world on the server's own side, a
//! user's projection in the browser, or a [`crate::project::Visibility`] when
//! the server answers a user, so that a sentence never names what its reader
//! may not see ("a group you cannot see" instead).

use super::{Action, Decision, Reason, Resource};
use crate::model::ids::*;
use crate::world::World;

/// Where a sentence finds the names it shows; `None` for one the reader may
/// not see (or that does not exist: the two read alike).
pub trait Names {
    fn environment_name(&self, id: EnvironmentId) -> Option<String>;
    fn organisation_name(&self, id: OrganisationId) -> Option<String>;
    fn group_name(&self, id: GroupId) -> Option<String>;
    fn document_name(&self, id: DocumentId) -> Option<String>;
}

impl Names for World {
    fn environment_name(&self, id: EnvironmentId) -> Option<String> {
        self.environment(id).map(|e| e.name.clone())
    }
    fn organisation_name(&self, id: OrganisationId) -> Option<String> {
        self.organisation(id).map(|o| o.name.clone())
    }
    fn group_name(&self, id: GroupId) -> Option<String> {
        self.group(id).map(|g| g.name.clone())
    }
    fn document_name(&self, id: DocumentId) -> Option<String> {
        self.document(id).map(|d| d.name.clone())
    }
}

fn environment_name(names: &dyn Names, id: EnvironmentId) -> String {
    names
        .environment_name(id)
        .unwrap_or_else(|| "another environment".to_string())
}

fn organisation_name(names: &dyn Names, id: OrganisationId) -> String {
    names
        .organisation_name(id)
        .unwrap_or_else(|| "an organisation".to_string())
}

fn group_name(names: &dyn Names, id: GroupId) -> String {
    names
        .group_name(id)
        .unwrap_or_else(|| "a group you cannot see".to_string())
}

fn through(names: &dyn Names, partner: Option<EnvironmentId>) -> String {
    match partner {
        Some(env) => format!(
            " through the partnership with {}",
            environment_name(names, env)
        ),
        None => String::new(),
    }
}

impl Reason {
    /// Whether this reason is a grant path (as opposed to something missing).
    pub fn is_grant(&self) -> bool {
        matches!(
            self,
            Reason::Administrator { .. }
                | Reason::Membership { .. }
                | Reason::SharedWithUser { .. }
                | Reason::SharedWithGroup { .. }
                | Reason::SharedWithOrganisation { .. }
                | Reason::AdvancedUser { .. }
                | Reason::PlatformSupport
                | Reason::PeppolNetwork
        )
    }

    /// The sentence shown to a person, with names looked up in `world`.
    pub fn render(&self, world: &World) -> String {
        self.render_for(world)
    }

    /// The sentence shown to a person, naming only what `names` gives.
    pub fn render_for(&self, names: &dyn Names) -> String {
        let world = names;
        match *self {
            Reason::Administrator { environment } => {
                format!(
                    "Administrator of environment {}",
                    environment_name(world, environment)
                )
            }
            Reason::Membership {
                organisation,
                role,
                through: t,
            } => {
                format!(
                    "{role} of {}{}",
                    organisation_name(world, organisation),
                    through(world, t)
                )
            }
            Reason::SharedWithUser { level, through: t } => {
                format!("shared with them directly ({level}){}", through(world, t))
            }
            Reason::SharedWithGroup {
                group,
                level,
                through: t,
            } => {
                format!(
                    "shared with group {} ({level}){}",
                    group_name(world, group),
                    through(world, t)
                )
            }
            Reason::SharedWithOrganisation {
                organisation,
                level,
                through: t,
            } => format!(
                "shared with organisation {} ({level}), of which they are a member{}",
                organisation_name(world, organisation),
                through(world, t)
            ),
            Reason::UnknownUser => "no such user".to_string(),
            Reason::UnknownResource => "no such resource, or not visible".to_string(),
            Reason::UserDisabled { .. } => "the user is disabled".to_string(),
            Reason::OrganisationRemoved { organisation } => {
                format!(
                    "{} has been removed",
                    organisation_name(world, organisation)
                )
            }
            Reason::NoPartnership {
                home,
                environment,
                ended,
            } => match ended {
                Some(at) => format!(
                    "{} is not partnered with {}; the partnership ended on {}",
                    environment_name(world, home),
                    environment_name(world, environment),
                    at.to_date_string()
                ),
                None => format!(
                    "{} has no partnership with {}",
                    environment_name(world, home),
                    environment_name(world, environment)
                ),
            },
            Reason::NotMember { organisation } => format!(
                "not a member of {}, and nothing of it is shared with them",
                organisation_name(world, organisation)
            ),
            Reason::LevelTooLow { has, needs } => format!("has {has} access; this needs {needs}"),
            Reason::EnvironmentRoleTooLow { has, needs } => {
                format!("is a {has} of their environment; this needs {needs} or Administrator")
            }
            Reason::NotAdministrator { environment } => format!(
                "only an Administrator of environment {} may do this",
                environment_name(world, environment)
            ),
            Reason::NotManager { organisation } => format!(
                "not a Manager of {} nor an Administrator of its environment",
                organisation_name(world, organisation)
            ),
            Reason::AdvancedUser { environment } => format!(
                "Administrator or Advanced user of environment {}",
                environment_name(world, environment)
            ),
            Reason::NotOfEnvironment { environment } => format!(
                "not a user of environment {}",
                environment_name(world, environment)
            ),
            Reason::KeyRevoked { at, why } => {
                let why = match why {
                    crate::model::RevokeReason::Revoked { .. } => "it was revoked",
                    crate::model::RevokeReason::HolderLostAccess => {
                        "its holder lost access to the organisation"
                    }
                    crate::model::RevokeReason::HolderDisabled => "its holder was disabled",
                    crate::model::RevokeReason::PartnershipEnded => {
                        "the partnership it was issued through ended"
                    }
                    crate::model::RevokeReason::OrganisationRemoved => {
                        "its organisation was removed"
                    }
                };
                format!("the key no longer works: {why} on {}", at.to_date_string())
            }
            Reason::PlatformSupport => "platform Support".to_string(),
            Reason::PeppolNetwork => "the platform's Peppol access point".to_string(),
            Reason::SupportOnly => "only platform Support may do this".to_string(),
            Reason::NetworkOnly => "only the Peppol network delivers documents".to_string(),
            Reason::ManagerOfAnotherEnvironment { organisation } => format!(
                "Manager of {} from a partner environment: settings stay with its own environment",
                organisation_name(world, organisation)
            ),
        }
    }
}

impl Decision {
    /// Every reason as a sentence.
    pub fn explain(&self, world: &World) -> Vec<String> {
        self.explain_for(world)
    }

    /// Every reason as a sentence, naming only what `names` gives.
    pub fn explain_for(&self, names: &dyn Names) -> Vec<String> {
        self.reasons.iter().map(|r| r.render_for(names)).collect()
    }
}

impl Action {
    /// The action in words, for a sentence like "may view".
    pub fn verb(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Edit => "edit",
            Action::Manage => "manage",
            Action::ViewOrganisation => "view the organisation",
            Action::ManageOrganisationSettings => "manage its settings",
            Action::ManageMembers => "manage its members",
            Action::RetrieveConnectionKey => "retrieve a connection key",
            Action::ConfigureSoftwareConnection => "configure the software connection",
            Action::ActivateOrganisation => "activate it on Peppol",
            Action::ReadAuditLog => "read the audit log of",
            Action::ManageUsers => "manage the users of",
            Action::ManageGroups => "manage the groups of",
            Action::SendPartnershipRequests => "ask for partnerships for",
            Action::ManagePartnerships => "manage the partnerships of",
            Action::SplitEnvironment => "split",
            Action::AddOrganisations => "add organisations to",
            Action::ManageSubscription => "manage the plan, add-ons and credit of",
            Action::ExecuteRemoval => "execute the authorised removal of",
            Action::ReceiveFromNetwork => "deliver from the Peppol network to",
        }
    }
}

impl Resource {
    /// The resource's name as shown.
    pub fn name(self, world: &World) -> String {
        self.name_for(world)
    }

    /// The resource's name as shown, if `names` gives it.
    pub fn name_for(self, names: &dyn Names) -> String {
        match self {
            Resource::Document(d) => names
                .document_name(d)
                .unwrap_or_else(|| "a document".to_string()),
            Resource::Organisation(o) => organisation_name(names, o),
            Resource::Environment(e) => environment_name(names, e),
        }
    }
}

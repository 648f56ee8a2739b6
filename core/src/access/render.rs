//! Turning structured reasons into sentences, only when they are shown.

use super::{Action, Decision, Reason, Resource};
use crate::ids::*;
use crate::World;

fn environment_name(world: &World, id: EnvironmentId) -> String {
    world
        .environment(id)
        .map_or_else(|| "another environment".to_string(), |e| e.name.clone())
}

fn organisation_name(world: &World, id: OrganisationId) -> String {
    world
        .organisation(id)
        .map_or_else(|| "an organisation".to_string(), |o| o.name.clone())
}

fn group_name(world: &World, id: GroupId) -> String {
    world
        .group(id)
        .map_or_else(|| "a group".to_string(), |g| g.name.clone())
}

fn through(world: &World, partner: Option<EnvironmentId>) -> String {
    match partner {
        Some(env) => format!(
            " through the partnership with {}",
            environment_name(world, env)
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
        )
    }

    /// The sentence shown to a person, with names looked up in `world`.
    pub fn render(&self, world: &World) -> String {
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
        self.reasons.iter().map(|r| r.render(world)).collect()
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
        }
    }
}

impl Resource {
    /// The resource's name as shown.
    pub fn name(self, world: &World) -> String {
        match self {
            Resource::Document(d) => world
                .document(d)
                .map_or_else(|| "a document".to_string(), |doc| doc.name.clone()),
            Resource::Organisation(o) => organisation_name(world, o),
        }
    }
}

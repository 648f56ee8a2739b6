//! The decider: what every command's rules share. It looks each id a command
//! names up through what the actor may see (DOMAIN §1), asks the access engine,
//! validates names, emails and identifiers, and records the facts a
//! projection could not confirm.

use crate::access::{check, check_platform, document_level, Action, Decision, Resource};
use crate::model::command::{Actor, Context};
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::project::Visibility;
use crate::world::World;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use uuid::Uuid;

/// A fact a projection does not hold, on which a decision rested.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "kind"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum Unconfirmed {
    /// Whether another organisation already registered the identifier.
    ParticipantAvailable { participant_id: String },
    /// Whether an active organisation is registered under the identifier.
    RecipientRegistered { participant_id: String },
    /// Whether an account already uses the email address.
    EmailAvailable { email: String },
    /// Whether the other environment exists and its plan allows partnerships.
    PartnerEnvironment { environment: EnvironmentId },
    /// Whether the environment bearing the costs has enough credit.
    CostBearerCredit { environment: EnvironmentId },
    /// Consequences inside a partner environment that the user cannot see.
    EffectsInPartnerEnvironment { environment: EnvironmentId },
    /// Whether the assignee can view the document.
    AssigneeCanView { user: UserId },
    /// Something named by the command that this world does not hold.
    Hidden { what: String },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(Unconfirmed, "kind");

impl Unconfirmed {
    /// The sentence shown to a person.
    pub fn render(&self, world: &World) -> String {
        let env = |id: &EnvironmentId| {
            world
                .environment(*id)
                .map_or_else(|| "the other environment".to_string(), |e| e.name.clone())
        };
        match self {
            Unconfirmed::ParticipantAvailable { participant_id } => {
                format!("whether `{participant_id}` is already registered by another organisation")
            }
            Unconfirmed::RecipientRegistered { participant_id } => {
                format!("whether an active organisation is registered as `{participant_id}`")
            }
            Unconfirmed::EmailAvailable { email } => {
                format!("whether `{email}` already has an account")
            }
            Unconfirmed::PartnerEnvironment { environment } => {
                format!(
                    "whether {} exists and its plan allows partnerships",
                    env(environment)
                )
            }
            Unconfirmed::CostBearerCredit { environment } => {
                format!("whether {} has enough credit", env(environment))
            }
            Unconfirmed::EffectsInPartnerEnvironment { environment } => {
                format!(
                    "the consequences inside {} that you cannot see",
                    env(environment)
                )
            }
            Unconfirmed::Hidden { what } => {
                format!("whether that {what} exists and may be used here")
            }
            Unconfirmed::AssigneeCanView { user } => format!(
                "whether {} can view the document",
                world
                    .user(*user)
                    .map_or("the assignee", |u| u.name.as_str())
            ),
        }
    }
}

pub(crate) struct Decider<'a> {
    pub(crate) world: &'a World,
    pub(crate) actor: &'a Actor,
    pub(crate) ctx: &'a Context,
    /// What the actor may see: every id a command names is looked up through
    /// it, so that something the actor may not see answers exactly as
    /// something that does not exist (DOMAIN §1).
    pub(crate) sees: Sees<'a>,
    pub(crate) next_id: usize,
    pub(crate) unconfirmed: RefCell<Vec<Unconfirmed>>,
}

/// What an actor may see.
pub(crate) enum Sees<'a> {
    /// A signed-in user: what DOMAIN §1 lets them see.
    User(Visibility<'a>),
    /// An unknown or disabled user: nothing.
    Nothing,
    /// Support, the network, someone signing up: the commands they may give
    /// name only what their job needs (Support's environments, an invitation
    /// whose secret the server checked).
    Everything,
}

impl Sees<'_> {
    pub(crate) fn allows(&self, seen: impl FnOnce(&Visibility<'_>) -> bool) -> bool {
        match self {
            Sees::User(vis) => seen(vis),
            Sees::Nothing => false,
            Sees::Everything => true,
        }
    }
}

const MAX_NAME: usize = 200;

pub(crate) fn clean_name(field: &str, value: &str) -> Result<String, CommandError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(CommandError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > MAX_NAME {
        return Err(CommandError::invalid(
            field,
            format!("must be at most {MAX_NAME} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(CommandError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_string())
}

pub(crate) fn clean_email(value: &str) -> Result<String, CommandError> {
    let email = crate::world::normalise_email(value);
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(CommandError::invalid(
            "email",
            format!("`{}` is not an email address", value.trim()),
        ))
    }
}

/// Checks that an identifier is well-formed (`scheme:value` with a known ICD
/// scheme) and returns it in its canonical form: what the network delivers
/// to is looked up as it comes.
pub(crate) fn well_formed_participant(value: &str) -> Result<String, CommandError> {
    crate::peppol::ParticipantId::parse(value)
        .map(|id| id.to_string())
        .map_err(|e| CommandError::InvalidParticipantId(e.to_string()))
}

/// Validates an identifier fully: format and check digits of its scheme.
pub(crate) fn valid_participant(value: &str) -> Result<String, CommandError> {
    crate::peppol::ParticipantId::parse_valid(value)
        .map(|id| id.to_string())
        .map_err(|e| CommandError::InvalidParticipantId(e.to_string()))
}

pub(crate) fn not_permitted(message: impl Into<String>) -> CommandError {
    CommandError::NotPermitted(message.into())
}

impl<'a> Decider<'a> {
    /// A decider for `actor` on `world`.
    pub(crate) fn new(world: &'a World, actor: &'a Actor, ctx: &'a Context) -> Self {
        let sees = match actor {
            Actor::User { id } => match Visibility::of(world, *id) {
                Some(vis) => Sees::User(vis),
                None => Sees::Nothing,
            },
            Actor::Support { .. } | Actor::Anonymous | Actor::Network => Sees::Everything,
        };
        Decider {
            world,
            actor,
            ctx,
            sees,
            next_id: 0,
            unconfirmed: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn id<T: From<Uuid>>(&mut self) -> Result<T, CommandError> {
        let id = self
            .ctx
            .new_ids
            .get(self.next_id)
            .copied()
            .ok_or(CommandError::MissingIds)?;
        self.next_id += 1;
        Ok(T::from(id))
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.ctx.now
    }

    /// The acting user, who must exist and be active.
    pub(crate) fn me(&self) -> Result<&'a User, CommandError> {
        let Actor::User { id } = self.actor else {
            return Err(not_permitted(
                "sign in as a user of an environment to do this",
            ));
        };
        let user = self
            .world
            .user(*id)
            .ok_or_else(|| CommandError::not_found("user"))?;
        if !user.is_active() {
            return Err(not_permitted("your account is disabled"));
        }
        Ok(user)
    }

    /// The platform (its Support, its access point) doing one of its actions.
    pub(crate) fn platform(&self, action: Action) -> Result<(), CommandError> {
        let decision = check_platform(self.actor, action);
        if decision.allowed {
            Ok(())
        } else {
            Err(not_permitted(self.explain(&decision)))
        }
    }

    /// An environment's name as the acting user may read it: their own and
    /// actively partnered ones by name, any other as "another environment", so
    /// that no refusal names what lies beyond the actor's view.
    pub(crate) fn env_name(&self, id: EnvironmentId) -> String {
        let seen = match self.actor {
            Actor::User { id: me } => self.world.user(*me).is_some_and(|u| {
                u.environment == id || self.world.active_partnership(u.environment, id).is_some()
            }),
            _ => true,
        };
        match self.world.environment(id) {
            Some(e) if seen => e.name.clone(),
            _ => "another environment".to_string(),
        }
    }

    /// Whether facts about `environment` are hidden from this (projected) world.
    pub(crate) fn hidden(&self, environment: EnvironmentId) -> bool {
        match self.world.viewer.and_then(|v| self.world.user(v)) {
            Some(viewer) => viewer.environment != environment,
            None => false,
        }
    }

    /// The acting user, allowed `action` in `environment` (`access::check`).
    pub(crate) fn allowed_in(
        &self,
        action: Action,
        environment: EnvironmentId,
    ) -> Result<(&'a User, Decision), CommandError> {
        let me = self.me()?;
        let decision = check(
            self.world,
            me.id,
            action,
            Resource::Environment(environment),
        );
        Ok((me, decision))
    }

    /// The acting user, allowed an Administrator's `action` in `environment`.
    pub(crate) fn administrator(
        &self,
        action: Action,
        environment: EnvironmentId,
    ) -> Result<&'a User, CommandError> {
        let (me, decision) = self.allowed_in(action, environment)?;
        if decision.allowed {
            Ok(me)
        } else {
            Err(not_permitted(format!(
                "only an Administrator of environment {} may do this",
                self.env_name(environment)
            )))
        }
    }

    /// The acting user, allowed an Advanced user's `action` in their own
    /// environment.
    pub(crate) fn advanced(&self, action: Action) -> Result<&'a User, CommandError> {
        let me = self.me()?;
        let (me, decision) = self.allowed_in(action, me.environment)?;
        if decision.allowed {
            Ok(me)
        } else {
            Err(not_permitted(
                "only Administrators and Advanced users may do this",
            ))
        }
    }

    pub(crate) fn environment(&self, id: EnvironmentId) -> Result<&'a Environment, CommandError> {
        self.world
            .environment(id)
            .ok_or_else(|| CommandError::not_found("environment"))
    }

    /// A user the actor sees (DOMAIN §1).
    pub(crate) fn user(&self, id: UserId) -> Result<&'a User, CommandError> {
        match self.world.user(id) {
            Some(user) if self.sees.allows(|vis| vis.user(id)) => Ok(user),
            _ => Err(self.missing("user")),
        }
    }

    /// An organisation whose name at least the actor sees, not removed.
    pub(crate) fn organisation(
        &self,
        id: OrganisationId,
    ) -> Result<&'a Organisation, CommandError> {
        match self.world.organisation(id) {
            Some(org)
                if org.status != OrgStatus::Removed
                    && self.sees.allows(|vis| vis.organisation_name(id)) =>
            {
                Ok(org)
            }
            _ => Err(self.missing("organisation")),
        }
    }

    /// Reasons as sentences for the actor: naming only what they see.
    pub(crate) fn explain(&self, decision: &Decision) -> String {
        match &self.sees {
            Sees::User(vis) => decision.explain_for(vis),
            Sees::Nothing | Sees::Everything => decision.explain(self.world),
        }
        .join("; ")
    }

    /// Records a fact the decision assumed, for the preview.
    pub(crate) fn note(&self, fact: Unconfirmed) {
        self.unconfirmed.borrow_mut().push(fact);
    }

    /// Something absent: on a projection it may only be hidden, which the server
    /// then decides.
    pub(crate) fn missing(&self, what: &str) -> CommandError {
        if self.world.viewer.is_some() {
            self.note(Unconfirmed::Hidden {
                what: what.to_string(),
            });
        }
        CommandError::not_found(what)
    }

    pub(crate) fn document(&self, id: DocumentId) -> Result<&'a Document, CommandError> {
        match self.world.document(id) {
            Some(doc) if self.sees.allows(|vis| vis.document(id)) => Ok(doc),
            _ => Err(self.missing("document")),
        }
    }

    /// A group the actor sees, or knows as the grantee of a share on a
    /// document they manage.
    pub(crate) fn group(&self, id: GroupId) -> Result<&'a Group, CommandError> {
        match self.world.group(id) {
            Some(group) if self.sees.allows(|vis| vis.group_known(id)) => Ok(group),
            _ => Err(self.missing("group")),
        }
    }

    /// A partnership of the actor's environment.
    pub(crate) fn partnership(&self, id: PartnershipId) -> Result<&'a Partnership, CommandError> {
        match self.world.partnership(id) {
            Some(p) if self.sees.allows(|vis| vis.partnership(id)) => Ok(p),
            _ => Err(self.missing("partnership")),
        }
    }

    /// A task on a document the actor can view.
    pub(crate) fn task(&self, id: TaskId) -> Result<&'a Task, CommandError> {
        match self.world.task(id) {
            Some(task) if self.sees.allows(|vis| vis.task(id)) => Ok(task),
            _ => Err(self.missing("task")),
        }
    }

    /// A connection key the actor sees: their own, or one of an organisation
    /// they see in full.
    pub(crate) fn key(&self, id: KeyId) -> Result<&'a ConnectionKey, CommandError> {
        match self.world.key(id) {
            Some(key) if self.sees.allows(|vis| vis.key(id)) => Ok(key),
            _ => Err(CommandError::not_found("connection key")),
        }
    }

    /// An invitation of the actor's environment, to its Administrators.
    pub(crate) fn invitation(&self, id: InvitationId) -> Result<&'a Invitation, CommandError> {
        match self.world.invitation(id) {
            Some(invitation) if self.sees.allows(|vis| vis.invitation(id)) => Ok(invitation),
            _ => Err(CommandError::not_found("invitation")),
        }
    }

    /// Requires the acting user to be allowed `action` on `resource`; a resource the
    /// user cannot even see answers as absent.
    pub(crate) fn require(
        &self,
        action: Action,
        resource: Resource,
    ) -> Result<&'a User, CommandError> {
        let me = self.me()?;
        let decision = check(self.world, me.id, action, resource);
        if decision.allowed {
            return Ok(me);
        }
        let visible = match resource {
            Resource::Document(d) => document_level(self.world, me.id, d).0.is_some(),
            Resource::Organisation(_) | Resource::Environment(_) => {
                self.sees.allows(|vis| vis.resource(resource))
            }
        };
        if !visible {
            return Err(CommandError::not_found(match resource {
                Resource::Document(_) => "document",
                Resource::Organisation(_) => "organisation",
                Resource::Environment(_) => "environment",
            }));
        }
        Err(not_permitted(format!(
            "you may not {} {}: {}",
            action.verb(),
            resource.name(self.world),
            self.explain(&decision)
        )))
    }
}

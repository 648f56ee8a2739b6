//! Deciding commands: the rules of DOMAIN §1–6.
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

use crate::access::{check, document_level, Action, Decision, Resource};
use crate::model::command::{Actor, Command, Context, Event};
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::project::Visibility;
use crate::util::sort::sort_dedup;
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
    let sees = match actor {
        Actor::User { id } => match Visibility::of(world, *id) {
            Some(vis) => Sees::User(vis),
            None => Sees::Nothing,
        },
        Actor::Support { .. } | Actor::Anonymous | Actor::Network => Sees::Everything,
    };
    let mut decider = Decider {
        world,
        actor,
        ctx,
        sees,
        next_id: 0,
        unconfirmed: RefCell::new(Vec::new()),
    };
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

struct Decider<'a> {
    world: &'a World,
    actor: &'a Actor,
    ctx: &'a Context,
    /// What the actor may see: every id a command names is looked up through
    /// it, so that something the actor may not see answers exactly as
    /// something that does not exist (DOMAIN §1).
    sees: Sees<'a>,
    next_id: usize,
    unconfirmed: RefCell<Vec<Unconfirmed>>,
}

/// What an actor may see.
enum Sees<'a> {
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
    fn allows(&self, seen: impl FnOnce(&Visibility<'_>) -> bool) -> bool {
        match self {
            Sees::User(vis) => seen(vis),
            Sees::Nothing => false,
            Sees::Everything => true,
        }
    }
}

const MAX_NAME: usize = 200;

fn clean_name(field: &str, value: &str) -> Result<String, CommandError> {
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

fn clean_email(value: &str) -> Result<String, CommandError> {
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
/// scheme) and returns it in its canonical form; full format and check-digit
/// validation happens on activation.
fn well_formed_participant(value: &str) -> Result<String, CommandError> {
    crate::peppol::ParticipantId::parse(value)
        .map(|id| id.to_string())
        .map_err(|e| CommandError::InvalidParticipantId(e.to_string()))
}

/// Validates an identifier fully: format and check digits of its scheme.
fn valid_participant(value: &str) -> Result<String, CommandError> {
    crate::peppol::ParticipantId::parse_valid(value)
        .map(|id| id.to_string())
        .map_err(|e| CommandError::InvalidParticipantId(e.to_string()))
}

fn not_permitted(message: impl Into<String>) -> CommandError {
    CommandError::NotPermitted(message.into())
}

impl<'a> Decider<'a> {
    fn id<T: From<Uuid>>(&mut self) -> Result<T, CommandError> {
        let id = self
            .ctx
            .new_ids
            .get(self.next_id)
            .copied()
            .ok_or(CommandError::MissingIds)?;
        self.next_id += 1;
        Ok(T::from(id))
    }

    fn now(&self) -> Timestamp {
        self.ctx.now
    }

    /// The acting user, who must exist and be active.
    fn me(&self) -> Result<&'a User, CommandError> {
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

    fn support(&self) -> Result<(), CommandError> {
        match self.actor {
            Actor::Support { .. } => Ok(()),
            _ => Err(not_permitted("only platform Support may do this")),
        }
    }

    /// An environment's name as the acting user may read it: their own and
    /// actively partnered ones by name, any other as "another environment", so
    /// that no refusal names what lies beyond the actor's view.
    fn env_name(&self, id: EnvironmentId) -> String {
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
    fn hidden(&self, environment: EnvironmentId) -> bool {
        match self.world.viewer.and_then(|v| self.world.user(v)) {
            Some(viewer) => viewer.environment != environment,
            None => false,
        }
    }

    /// The acting user, allowed `action` in `environment` (`access::check`).
    fn allowed_in(
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
    fn administrator(
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

    /// The acting Administrator of `organisation`'s environment, for the steps of
    /// a full separation; an organisation the actor cannot see answers as absent.
    fn split_administrator(&self, organisation: OrganisationId) -> Result<&'a User, CommandError> {
        let me = self.me()?;
        let org = self.organisation(organisation)?;
        let visible = me.environment == org.environment
            || check(
                self.world,
                me.id,
                Action::ViewOrganisation,
                Resource::Organisation(organisation),
            )
            .allowed;
        if !visible {
            return Err(CommandError::not_found("organisation"));
        }
        self.administrator(Action::SplitEnvironment, org.environment)
    }

    /// Refuses to go on when `organisation` holds documents that `export` lacks,
    /// unless the Administrator accepted losing them.
    fn no_loss_unless_accepted(
        &self,
        organisation: &Organisation,
        export: &Export,
        accept_loss: bool,
    ) -> Result<(), CommandError> {
        if accept_loss {
            return Ok(());
        }
        let missing = self
            .world
            .documents_of(organisation.id)
            .filter(|d| export.documents.binary_search(d).is_err())
            .count();
        if missing == 0 {
            return Ok(());
        }
        Err(CommandError::ExportOutdated(format!(
            "{missing} document{} of {} arrived after the latest export and would be lost: export again, or accept losing {}",
            if missing == 1 { "" } else { "s" },
            organisation.name,
            if missing == 1 { "it" } else { "them" },
        )))
    }

    /// The acting user, allowed an Advanced user's `action` in their own
    /// environment.
    fn advanced(&self, action: Action) -> Result<&'a User, CommandError> {
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

    fn environment(&self, id: EnvironmentId) -> Result<&'a Environment, CommandError> {
        self.world
            .environment(id)
            .ok_or_else(|| CommandError::not_found("environment"))
    }

    /// A user the actor sees (DOMAIN §1).
    fn user(&self, id: UserId) -> Result<&'a User, CommandError> {
        match self.world.user(id) {
            Some(user) if self.sees.allows(|vis| vis.user(id)) => Ok(user),
            _ => Err(self.missing("user")),
        }
    }

    /// An organisation whose name at least the actor sees, not removed.
    fn organisation(&self, id: OrganisationId) -> Result<&'a Organisation, CommandError> {
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
    fn explain(&self, decision: &Decision) -> String {
        match &self.sees {
            Sees::User(vis) => decision.explain_for(vis),
            Sees::Nothing | Sees::Everything => decision.explain(self.world),
        }
        .join("; ")
    }

    /// Records a fact the decision assumed, for the preview.
    fn note(&self, fact: Unconfirmed) {
        self.unconfirmed.borrow_mut().push(fact);
    }

    /// Something absent: on a projection it may only be hidden, which the server
    /// then decides.
    fn missing(&self, what: &str) -> CommandError {
        if self.world.viewer.is_some() {
            self.note(Unconfirmed::Hidden {
                what: what.to_string(),
            });
        }
        CommandError::not_found(what)
    }

    fn document(&self, id: DocumentId) -> Result<&'a Document, CommandError> {
        match self.world.document(id) {
            Some(doc) if self.sees.allows(|vis| vis.document(id)) => Ok(doc),
            _ => Err(self.missing("document")),
        }
    }

    /// A group the actor sees, or knows as the grantee of a share on a
    /// document they manage.
    fn group(&self, id: GroupId) -> Result<&'a Group, CommandError> {
        match self.world.group(id) {
            Some(group) if self.sees.allows(|vis| vis.group_known(id)) => Ok(group),
            _ => Err(self.missing("group")),
        }
    }

    /// A group's name, or a neutral phrase when the actor knows it only by id.
    fn group_name(&self, group: &Group) -> String {
        if self.sees.allows(|vis| vis.group(group.id)) {
            group.name.clone()
        } else {
            "that group".to_string()
        }
    }

    /// A partnership of the actor's environment.
    fn partnership(&self, id: PartnershipId) -> Result<&'a Partnership, CommandError> {
        match self.world.partnership(id) {
            Some(p) if self.sees.allows(|vis| vis.partnership(id)) => Ok(p),
            _ => Err(self.missing("partnership")),
        }
    }

    /// A task on a document the actor can view.
    fn task(&self, id: TaskId) -> Result<&'a Task, CommandError> {
        match self.world.task(id) {
            Some(task) if self.sees.allows(|vis| vis.task(id)) => Ok(task),
            _ => Err(self.missing("task")),
        }
    }

    /// A connection key the actor sees: their own, or one of an organisation
    /// they see in full.
    fn key(&self, id: KeyId) -> Result<&'a ConnectionKey, CommandError> {
        match self.world.key(id) {
            Some(key) if self.sees.allows(|vis| vis.key(id)) => Ok(key),
            _ => Err(CommandError::not_found("connection key")),
        }
    }

    /// An invitation of the actor's environment, to its Administrators.
    fn invitation(&self, id: InvitationId) -> Result<&'a Invitation, CommandError> {
        match self.world.invitation(id) {
            Some(invitation) if self.sees.allows(|vis| vis.invitation(id)) => Ok(invitation),
            _ => Err(CommandError::not_found("invitation")),
        }
    }

    /// Requires the acting user to be allowed `action` on `resource`; a resource the
    /// user cannot even see answers as absent.
    fn require(&self, action: Action, resource: Resource) -> Result<&'a User, CommandError> {
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

    /// The email must not be used by any account (or pending invitation).
    fn email_free(&mut self, email: &str) -> Result<(), CommandError> {
        if self.world.user_by_email(email).is_some() {
            return Err(CommandError::Conflict(format!(
                "an account with the email `{email}` already exists"
            )));
        }
        if self.world.viewer.is_some() {
            self.note(Unconfirmed::EmailAvailable {
                email: email.to_string(),
            });
        }
        Ok(())
    }

    fn last_administrator(&self, target: &User) -> bool {
        target.role == EnvRole::Administrator
            && target.is_active()
            && self.world.administrators_of(target.environment).count() == 1
    }

    fn decide(&mut self, command: Command) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
        // A user acts only while active, whatever the command names: a
        // disabled user learns nothing from what a command would have met.
        if matches!(self.actor, Actor::User { .. }) && !matches!(command, Command::SignUp { .. }) {
            self.me()?;
        }
        match command {
            // ----- environments and users ---------------------------------------
            Command::SignUp {
                environment_name,
                name,
                email,
            } => {
                let environment_name = clean_name("environment_name", &environment_name)?;
                let name = clean_name("name", &name)?;
                let email = clean_email(&email)?;
                self.email_free(&email)?;
                let environment = self.id()?;
                let user = self.id()?;
                Ok(vec![
                    Event::EnvironmentCreated {
                        environment,
                        name: environment_name,
                        plan: Plan::Free,
                        at: now,
                    },
                    Event::UserCreated {
                        user,
                        environment,
                        name,
                        email,
                        role: EnvRole::Administrator,
                    },
                    Event::CreditChanged {
                        environment,
                        organisation: None,
                        amount: Plan::Free.included_credit(),
                        reason: LedgerReason::Included,
                        at: now,
                    },
                ])
            }
            Command::InviteUser { email, name, role } => {
                let me = self.me()?;
                let me = self.administrator(Action::ManageUsers, me.environment)?;
                let email = clean_email(&email)?;
                let name = clean_name("name", &name)?;
                if self.world.invitations().any(|i| {
                    i.environment == me.environment
                        && i.status == InvitationStatus::Pending
                        && i.email == email
                }) {
                    return Err(CommandError::Conflict(format!(
                        "`{email}` has already been invited"
                    )));
                }
                // Only the own environment's accounts are looked at: whether an
                // address has an account elsewhere is not the inviter's to learn
                // (the invitee is told when accepting).
                if let Some(user) = self
                    .world
                    .user_by_email(&email)
                    .filter(|u| u.environment == me.environment)
                {
                    return Err(CommandError::Conflict(format!(
                        "{} already has an account with `{email}` in this environment",
                        user.name
                    )));
                }
                let invitation = self.id()?;
                Ok(vec![Event::InvitationCreated {
                    invitation: Invitation {
                        id: invitation,
                        environment: me.environment,
                        email,
                        name,
                        role,
                        invited_by: me.id,
                        at: now,
                        status: InvitationStatus::Pending,
                    },
                }])
            }
            Command::AcceptInvitation { invitation } => {
                // The server gives it for the holder of the invitation's secret,
                // signed out; nobody accepts an invitation by naming its id.
                if !matches!(self.actor, Actor::Anonymous) {
                    return Err(not_permitted(
                        "an invitation is accepted with the link it was sent with, signed out",
                    ));
                }
                let inv = self
                    .world
                    .invitation(invitation)
                    .ok_or_else(|| CommandError::not_found("invitation"))?;
                if inv.status != InvitationStatus::Pending {
                    return Err(CommandError::Conflict(
                        "this invitation is no longer valid".into(),
                    ));
                }
                let email = inv.email.clone();
                self.email_free(&email)?;
                let user = self.id()?;
                Ok(vec![
                    Event::UserCreated {
                        user,
                        environment: inv.environment,
                        name: inv.name.clone(),
                        email,
                        role: inv.role,
                    },
                    Event::InvitationAccepted { invitation, user },
                ])
            }
            Command::RevokeInvitation { invitation } => {
                let inv = self.invitation(invitation)?;
                self.administrator(Action::ManageUsers, inv.environment)?;
                if inv.status != InvitationStatus::Pending {
                    return Err(CommandError::Conflict(
                        "this invitation is no longer pending".into(),
                    ));
                }
                Ok(vec![Event::InvitationRevoked { invitation }])
            }
            Command::AssignRole { user, role } => {
                let target = self.user(user)?;
                self.administrator(Action::ManageUsers, target.environment)?;
                if target.role == role {
                    return Err(CommandError::Conflict(format!(
                        "{} already is {role}",
                        target.name
                    )));
                }
                if role != EnvRole::Administrator && self.last_administrator(target) {
                    return Err(CommandError::LastAdministrator(format!(
                        "{} is the last active Administrator of {}: make someone else Administrator first",
                        target.name,
                        self.env_name(target.environment)
                    )));
                }
                Ok(vec![Event::RoleAssigned { user, role }])
            }
            Command::SetRelationshipManager { user, enabled } => {
                let target = self.user(user)?;
                self.administrator(Action::ManageUsers, target.environment)?;
                if target.relationship_manager == enabled {
                    return Err(CommandError::Conflict(format!(
                        "{} {} the RelationshipManager role",
                        target.name,
                        if enabled {
                            "already has"
                        } else {
                            "does not have"
                        }
                    )));
                }
                let mut events = vec![Event::RelationshipManagerRoleSet { user, enabled }];
                if !enabled {
                    // The link needs the role: losing the role ends every link.
                    for p in self.world.partnerships_of(target.environment) {
                        if let Some(p) = self.world.partnership(*p) {
                            if p.relationship_managers.contains(&user) {
                                events.push(Event::RelationshipManagerDisconnected {
                                    partnership: p.id,
                                    user,
                                });
                            }
                        }
                    }
                }
                Ok(events)
            }
            Command::DisableUser { user } => {
                let target = self.user(user)?;
                self.administrator(Action::ManageUsers, target.environment)?;
                if !target.is_active() {
                    return Err(CommandError::Conflict(format!(
                        "{} is already disabled",
                        target.name
                    )));
                }
                if self.last_administrator(target) {
                    return Err(CommandError::LastAdministrator(format!(
                        "{} is the last active Administrator of {} and cannot be disabled",
                        target.name,
                        self.env_name(target.environment)
                    )));
                }
                Ok(vec![Event::UserDisabled { user }])
            }
            Command::EnableUser { user } => {
                let target = self.user(user)?;
                self.administrator(Action::ManageUsers, target.environment)?;
                if target.is_active() {
                    return Err(CommandError::Conflict(format!(
                        "{} is already active",
                        target.name
                    )));
                }
                Ok(vec![Event::UserEnabled { user }])
            }

            // ----- Support ------------------------------------------------------
            Command::SetPlan { environment, plan } => {
                self.support()?;
                let env = self.environment(environment)?;
                if env.plan == plan {
                    return Err(CommandError::Conflict(format!(
                        "{} already is on {plan}",
                        env.name
                    )));
                }
                Ok(vec![Event::PlanSet { environment, plan }])
            }
            Command::SetAddOn {
                environment,
                add_on,
                enabled,
            } => {
                self.support()?;
                let env = self.environment(environment)?;
                if env.has_add_on(add_on) == enabled {
                    return Err(CommandError::Conflict(format!(
                        "{} {} the {add_on} add-on",
                        env.name,
                        if enabled {
                            "already has"
                        } else {
                            "does not have"
                        }
                    )));
                }
                Ok(vec![Event::AddOnSet {
                    environment,
                    add_on,
                    enabled,
                }])
            }
            Command::TopUpCredit {
                environment,
                amount,
            } => {
                self.support()?;
                self.environment(environment)?;
                if !(1..=10_000_000).contains(&amount) {
                    return Err(CommandError::invalid(
                        "amount",
                        "must be between 1 and 10000000",
                    ));
                }
                Ok(vec![Event::CreditChanged {
                    environment,
                    organisation: None,
                    amount,
                    reason: LedgerReason::TopUp,
                    at: now,
                }])
            }

            // ----- organisations ------------------------------------------------
            Command::AddOrganisation {
                name,
                participant_id,
            } => {
                let me = self.me()?;
                self.administrator(Action::AddOrganisations, me.environment)?;
                let name = clean_name("name", &name)?;
                let participant_id = well_formed_participant(&participant_id)?;
                let organisation = self.id()?;
                Ok(vec![Event::OrganisationAdded {
                    organisation,
                    environment: me.environment,
                    name,
                    participant_id,
                }])
            }
            Command::RenameOrganisation { organisation, name } => {
                self.require(
                    Action::ManageOrganisationSettings,
                    Resource::Organisation(organisation),
                )?;
                let name = clean_name("name", &name)?;
                Ok(vec![Event::OrganisationRenamed { organisation, name }])
            }
            Command::ActivateOrganisation { organisation } => {
                self.require(
                    Action::ActivateOrganisation,
                    Resource::Organisation(organisation),
                )?;
                let org = self.organisation(organisation)?;
                if org.status == OrgStatus::Active {
                    return Err(CommandError::Conflict(format!(
                        "{} is already active on Peppol",
                        org.name
                    )));
                }
                let participant_id = valid_participant(&org.participant_id)?;
                match self.world.registered(&participant_id) {
                    Some(other) if other.id != organisation => {
                        return Err(CommandError::Conflict(format!(
                            "`{participant_id}` is already registered by another organisation"
                        )));
                    }
                    _ if self.world.viewer.is_some() => {
                        self.note(Unconfirmed::ParticipantAvailable { participant_id });
                    }
                    _ => {}
                }
                Ok(vec![Event::OrganisationActivated { organisation }])
            }
            Command::RetrieveConnectionKey { organisation } => {
                let me = self.require(
                    Action::RetrieveConnectionKey,
                    Resource::Organisation(organisation),
                )?;
                let key = self.id()?;
                Ok(vec![Event::ConnectionKeyIssued {
                    key,
                    organisation,
                    holder: me.id,
                    at: now,
                }])
            }
            Command::RevokeConnectionKey { key } => {
                let me = self.me()?;
                let k = self.key(key)?;
                let org = self
                    .world
                    .organisation(k.organisation)
                    .filter(|o| o.status != OrgStatus::Removed)
                    .ok_or_else(|| CommandError::not_found("connection key"))?;
                let allowed = k.holder == me.id
                    || check(
                        self.world,
                        me.id,
                        Action::ManageUsers,
                        Resource::Environment(org.environment),
                    )
                    .allowed;
                if !allowed {
                    if check(
                        self.world,
                        me.id,
                        Action::ViewOrganisation,
                        Resource::Organisation(org.id),
                    )
                    .allowed
                    {
                        return Err(not_permitted(format!(
                            "only the key's holder or an Administrator of environment {} may revoke it",
                            self.env_name(org.environment)
                        )));
                    }
                    return Err(CommandError::not_found("connection key"));
                }
                if !k.is_valid() {
                    return Err(CommandError::Conflict("this key is already revoked".into()));
                }
                Ok(vec![Event::ConnectionKeyRevoked {
                    key,
                    reason: RevokeReason::Revoked { by: me.id },
                    at: now,
                }])
            }
            Command::ConfigureSoftwareConnection {
                organisation,
                software,
            } => {
                self.require(
                    Action::ConfigureSoftwareConnection,
                    Resource::Organisation(organisation),
                )?;
                let software = clean_name("software", &software)?;
                Ok(vec![Event::SoftwareConnectionConfigured {
                    organisation,
                    software,
                }])
            }

            // ----- memberships --------------------------------------------------
            Command::AddMember {
                organisation,
                user,
                role,
            } => {
                self.require(Action::ManageMembers, Resource::Organisation(organisation))?;
                let org = self.organisation(organisation)?;
                let target = self.user(user)?;
                if self.world.membership(user, organisation).is_some() {
                    return Err(CommandError::Conflict(format!(
                        "{} already is a member of {}",
                        target.name, org.name
                    )));
                }
                self.eligible_member(target, org)?;
                Ok(vec![Event::MembershipGranted {
                    user,
                    organisation,
                    role,
                    at: now,
                }])
            }
            Command::ChangeMemberRole {
                organisation,
                user,
                role,
            } => {
                self.require(Action::ManageMembers, Resource::Organisation(organisation))?;
                let org = self.organisation(organisation)?;
                let target = self.user(user)?;
                let Some(m) = self.world.membership(user, organisation) else {
                    return Err(CommandError::Conflict(format!(
                        "{} is not a member of {}",
                        target.name, org.name
                    )));
                };
                if m.role == role {
                    return Err(CommandError::Conflict(format!(
                        "{} already is {role} of {}",
                        target.name, org.name
                    )));
                }
                self.eligible_member(target, org)?;
                Ok(vec![Event::MembershipGranted {
                    user,
                    organisation,
                    role,
                    at: now,
                }])
            }
            Command::RemoveMember { organisation, user } => {
                self.require(Action::ManageMembers, Resource::Organisation(organisation))?;
                let org = self.organisation(organisation)?;
                let target = self.user(user)?;
                if self.world.membership(user, organisation).is_none() {
                    return Err(CommandError::Conflict(format!(
                        "{} is not a member of {}",
                        target.name, org.name
                    )));
                }
                Ok(vec![Event::MembershipRemoved { user, organisation }])
            }

            // ----- partnerships -------------------------------------------------
            Command::SendAuthorisationRequest { email } => {
                let me = self.advanced(Action::SendPartnershipRequests)?;
                let env = self.environment(me.environment)?;
                if env.plan < Plan::Basic {
                    return Err(CommandError::PlanTooLow {
                        who: env.name.clone(),
                        has: env.plan,
                        needs: Plan::Basic,
                    });
                }
                let email = clean_email(&email)?;
                // The answer must not reveal whether the address has an account:
                // only the sender's own pending requests are looked at.
                if self.world.requests().any(|r| {
                    r.from_environment == me.environment
                        && r.status == RequestStatus::Pending
                        && r.target
                            == RequestTarget::Email {
                                email: email.clone(),
                            }
                }) {
                    return Err(CommandError::Conflict(format!(
                        "a request to `{email}` is already pending"
                    )));
                }
                let request = self.id()?;
                Ok(vec![Event::PartnershipRequested {
                    request: PartnershipRequest {
                        id: request,
                        from_environment: me.environment,
                        from_user: me.id,
                        target: RequestTarget::Email { email },
                        at: now,
                        status: RequestStatus::Pending,
                    },
                }])
            }
            Command::ProposePartnership { environment } => {
                let me = self.advanced(Action::SendPartnershipRequests)?;
                let own = self.environment(me.environment)?;
                if own.plan < Plan::Basic {
                    return Err(CommandError::PlanTooLow {
                        who: own.name.clone(),
                        has: own.plan,
                        needs: Plan::Basic,
                    });
                }
                if environment == me.environment {
                    return Err(CommandError::invalid(
                        "environment",
                        "a partnership links two different environments",
                    ));
                }
                // Like an authorisation request, a proposal answers the same
                // whether or not the partner code names an environment: nobody
                // probes for environments or their plans. Both plans are checked
                // when the partnership is created, on acceptance.
                if self
                    .world
                    .active_partnership(me.environment, environment)
                    .is_some()
                {
                    return Err(CommandError::Conflict(
                        "the two environments already are partners".into(),
                    ));
                }
                if self.world.requests().any(|r| {
                    r.from_environment == me.environment
                        && r.status == RequestStatus::Pending
                        && r.target == RequestTarget::Environment { environment }
                }) {
                    return Err(CommandError::Conflict(
                        "a proposal to that environment is already pending".into(),
                    ));
                }
                let request = self.id()?;
                Ok(vec![Event::PartnershipRequested {
                    request: PartnershipRequest {
                        id: request,
                        from_environment: me.environment,
                        from_user: me.id,
                        target: RequestTarget::Environment { environment },
                        at: now,
                        status: RequestStatus::Pending,
                    },
                }])
            }
            Command::AcceptPartnershipRequest { request } => {
                let (me, r) = self.addressee(request)?;
                if me.environment == r.from_environment {
                    return Err(CommandError::invalid(
                        "request",
                        "a partnership links two different environments",
                    ));
                }
                if self
                    .world
                    .active_partnership(me.environment, r.from_environment)
                    .is_some()
                {
                    return Err(CommandError::Conflict(
                        "the two environments already are partners".into(),
                    ));
                }
                // Plans are checked when the partnership is created.
                if self.hidden(r.from_environment) {
                    self.note(Unconfirmed::PartnerEnvironment {
                        environment: r.from_environment,
                    });
                } else {
                    let from = self.environment(r.from_environment)?;
                    if from.plan < Plan::Basic {
                        return Err(CommandError::PlanTooLow {
                            who: from.name.clone(),
                            has: from.plan,
                            needs: Plan::Basic,
                        });
                    }
                }
                let origin = match r.target {
                    RequestTarget::Email { .. } => PartnershipOrigin::AuthorisationRequest(request),
                    RequestTarget::Environment { .. } => {
                        let own = self.environment(me.environment)?;
                        if own.plan < Plan::Basic {
                            return Err(CommandError::PlanTooLow {
                                who: own.name.clone(),
                                has: own.plan,
                                needs: Plan::Basic,
                            });
                        }
                        PartnershipOrigin::Manual(request)
                    }
                };
                let partnership = self.id()?;
                Ok(vec![Event::PartnershipCreated {
                    partnership,
                    requester: r.from_environment,
                    accepter: me.environment,
                    origin,
                    accepted_by: me.id,
                    at: now,
                }])
            }
            Command::DeclinePartnershipRequest { request } => {
                let (me, _) = self.addressee(request)?;
                Ok(vec![Event::PartnershipRequestDeclined {
                    request,
                    by: me.id,
                }])
            }
            Command::WithdrawPartnershipRequest { request } => {
                let me = self.me()?;
                let r = self
                    .world
                    .request(request)
                    .ok_or_else(|| CommandError::not_found("request"))?;
                let may = check(
                    self.world,
                    me.id,
                    Action::SendPartnershipRequests,
                    Resource::Environment(me.environment),
                )
                .allowed;
                if r.from_environment != me.environment || !may {
                    return Err(CommandError::not_found("request"));
                }
                if r.status != RequestStatus::Pending {
                    return Err(CommandError::Conflict(
                        "this request is no longer pending".into(),
                    ));
                }
                Ok(vec![Event::PartnershipRequestWithdrawn { request }])
            }
            Command::EndPartnership { partnership } => self.end_partnership(partnership),
            Command::ConnectRelationshipManager { partnership, user } => {
                let p = self.partnership(partnership)?;
                let target = self.user(user)?;
                if !p.links(target.environment) {
                    return Err(not_permitted(format!(
                        "{} belongs to neither side of this partnership",
                        target.name
                    )));
                }
                self.administrator(Action::ManageUsers, target.environment)?;
                if !p.is_active() {
                    return Err(CommandError::PartnershipRequired(
                        "this partnership has ended".into(),
                    ));
                }
                if !target.relationship_manager {
                    return Err(not_permitted(format!(
                        "{} does not hold the RelationshipManager role; an Administrator assigns it in user management",
                        target.name
                    )));
                }
                if !target.is_active() {
                    return Err(not_permitted(format!("{} is disabled", target.name)));
                }
                if p.relationship_managers.contains(&user) {
                    return Err(CommandError::Conflict(format!(
                        "{} already is connected",
                        target.name
                    )));
                }
                Ok(vec![Event::RelationshipManagerConnected {
                    partnership,
                    user,
                }])
            }
            Command::DisconnectRelationshipManager { partnership, user } => {
                let p = self.partnership(partnership)?;
                let target = self.user(user)?;
                self.administrator(Action::ManageUsers, target.environment)?;
                if !p.relationship_managers.contains(&user) {
                    return Err(CommandError::Conflict(format!(
                        "{} is not connected",
                        target.name
                    )));
                }
                Ok(vec![Event::RelationshipManagerDisconnected {
                    partnership,
                    user,
                }])
            }
            Command::TakeOnCosts { organisation } => {
                let me = self.me()?;
                let me = self.administrator(Action::ManagePartnerships, me.environment)?;
                let org = self.organisation(organisation)?;
                if org.environment == me.environment {
                    return Err(CommandError::invalid(
                        "organisation",
                        "cost bearing is for an organisation of a partner environment",
                    ));
                }
                if self
                    .world
                    .active_partnership(me.environment, org.environment)
                    .is_none()
                {
                    return Err(CommandError::PartnershipRequired(format!(
                        "{} has no active partnership with {}",
                        self.env_name(me.environment),
                        self.env_name(org.environment)
                    )));
                }
                if org.cost_bearer == me.environment {
                    return Err(CommandError::Conflict(format!(
                        "you already bear the costs of {}",
                        org.name
                    )));
                }
                Ok(vec![Event::CostBearerChanged {
                    organisation,
                    bearer: me.environment,
                }])
            }
            Command::ReleaseCosts { organisation } => {
                let me = self.me()?;
                let org = self.organisation(organisation)?;
                if org.cost_bearer == org.environment {
                    return Err(CommandError::Conflict(format!(
                        "{} bears its own costs",
                        org.name
                    )));
                }
                let side = [org.cost_bearer, org.environment]
                    .into_iter()
                    .find(|side| *side == me.environment);
                let may = side.is_some_and(|side| {
                    check(
                        self.world,
                        me.id,
                        Action::ManagePartnerships,
                        Resource::Environment(side),
                    )
                    .allowed
                });
                if !may {
                    return Err(not_permitted(
                        "only an Administrator of the bearing or the borne environment may release cost bearing",
                    ));
                }
                Ok(vec![Event::CostBearerChanged {
                    organisation,
                    bearer: org.environment,
                }])
            }

            // ----- documents ----------------------------------------------------
            Command::UploadDocument {
                organisation,
                doc_box,
                name,
                sha256,
                size,
                summary,
            } => {
                let me = self.me()?;
                let org = self.organisation(organisation)?;
                self.may_upload(me, org)?;
                let name = clean_name("name", &name)?;
                let document = self.id()?;
                Ok(vec![Event::DocumentAdded {
                    document: Document {
                        id: document,
                        organisation,
                        environment: org.environment,
                        doc_box,
                        name,
                        sha256,
                        size,
                        uploaded_by: Some(me.id),
                        at: now,
                        summary: summary.map(Box::new),
                    },
                }])
            }
            Command::DeleteDocument { document } => {
                self.require(Action::Manage, Resource::Document(document))?;
                Ok(vec![Event::DocumentDeleted { document }])
            }
            Command::ShareDocument {
                document,
                grantee,
                level,
            } => {
                let me = self.require(Action::Manage, Resource::Document(document))?;
                let doc = self.document(document)?;
                self.grantee_allowed(doc, grantee)?;
                if let Some(existing) = self
                    .world
                    .shares_of(document)
                    .iter()
                    .find(|s| s.grantee == grantee)
                {
                    if existing.level == level {
                        return Err(CommandError::Conflict(format!(
                            "already shared with them ({level})"
                        )));
                    }
                }
                Ok(vec![Event::ShareGranted {
                    share: Share {
                        document,
                        grantee,
                        level,
                        by: me.id,
                        at: now,
                    },
                }])
            }
            Command::UnshareDocument { document, grantee } => {
                self.require(Action::Manage, Resource::Document(document))?;
                match grantee {
                    Grantee::User(u) => drop(self.user(u)?),
                    Grantee::Group(g) => drop(self.group(g)?),
                    Grantee::Organisation(o) => drop(self.organisation(o)?),
                }
                if !self
                    .world
                    .shares_of(document)
                    .iter()
                    .any(|s| s.grantee == grantee)
                {
                    return Err(CommandError::Conflict(
                        "the document is not shared with them".into(),
                    ));
                }
                Ok(vec![Event::ShareRevoked { document, grantee }])
            }
            Command::SendDocument { document, to } => {
                self.require(Action::Edit, Resource::Document(document))?;
                let doc = self.document(document)?;
                if doc.doc_box != DocBox::InboxOut {
                    return Err(CommandError::invalid(
                        "document",
                        "only documents in Inbox OUT can be sent",
                    ));
                }
                let org = self.organisation(doc.organisation)?;
                if org.status != OrgStatus::Active {
                    return Err(not_permitted(format!(
                        "{} is not active on Peppol: activate it before sending",
                        org.name
                    )));
                }
                let to = well_formed_participant(&to)?;
                // The sender pays first: nothing happens without enough credit.
                let mut events = Vec::new();
                if self.hidden(org.cost_bearer) {
                    self.note(Unconfirmed::CostBearerCredit {
                        environment: org.cost_bearer,
                    });
                } else {
                    let bearer = self.environment(org.cost_bearer)?;
                    if bearer.credit < 1 {
                        // A partner bearing the costs keeps its figures to itself.
                        let own = self.me().is_ok_and(|me| me.environment == bearer.id);
                        return Err(CommandError::InsufficientCredit(if own {
                            format!(
                                "{} has {} transaction credit; sending needs 1",
                                bearer.name, bearer.credit
                            )
                        } else {
                            format!(
                                "{}, which bears the costs of {}, has too little transaction credit; sending needs 1",
                                self.env_name(bearer.id),
                                org.name
                            )
                        }));
                    }
                }
                let delivered_as: DocumentId = self.id()?;
                let recipient = self
                    .world
                    .registered(&to)
                    .filter(|o| o.status == OrgStatus::Active);
                let Some(recipient) = recipient else {
                    if self.world.viewer.is_some() {
                        self.note(Unconfirmed::RecipientRegistered {
                            participant_id: to.clone(),
                        });
                        events.push(Event::DocumentSent {
                            document,
                            to,
                            delivered_as,
                            at: now,
                        });
                        events.push(self.charge(org, -1, LedgerReason::Sent { document }));
                        return Ok(events);
                    }
                    return Err(CommandError::UnknownRecipient(format!(
                        "no active organisation is registered on Peppol as `{to}`; nothing was sent or charged"
                    )));
                };
                events.push(Event::DocumentSent {
                    document,
                    to: to.clone(),
                    delivered_as,
                    at: now,
                });
                events.push(self.charge(org, -1, LedgerReason::Sent { document }));
                events.extend(self.deliver(
                    recipient,
                    delivered_as,
                    doc.name.clone(),
                    doc.sha256,
                    doc.size,
                    doc.summary.clone(),
                ));
                Ok(events)
            }
            Command::ReceiveDocument {
                to,
                name,
                sha256,
                size,
                summary,
            } => {
                if !matches!(self.actor, Actor::Network | Actor::Support { .. }) {
                    return Err(not_permitted("only the Peppol network delivers documents"));
                }
                let to = well_formed_participant(&to)?;
                let name = clean_name("name", &name)?;
                let recipient = self
                    .world
                    .registered(&to)
                    .filter(|o| o.status == OrgStatus::Active)
                    .ok_or_else(|| {
                        CommandError::UnknownRecipient(format!(
                            "no active organisation is registered on Peppol as `{to}`"
                        ))
                    })?;
                let document = self.id()?;
                Ok(self.deliver(
                    recipient,
                    document,
                    name,
                    sha256,
                    size,
                    summary.map(Box::new),
                ))
            }

            // ----- groups -------------------------------------------------------
            Command::CreateGroup { name } => {
                let me = self.advanced(Action::ManageGroups)?;
                let name = clean_name("name", &name)?;
                if self
                    .world
                    .groups_of(me.environment)
                    .iter()
                    .filter_map(|g| self.world.group(*g))
                    .any(|g| g.name == name)
                {
                    return Err(CommandError::Conflict(format!(
                        "a group named `{name}` already exists"
                    )));
                }
                let group = self.id()?;
                Ok(vec![Event::GroupCreated {
                    group,
                    environment: me.environment,
                    name,
                }])
            }
            Command::RenameGroup { group, name } => {
                self.group_editor(group)?;
                let name = clean_name("name", &name)?;
                Ok(vec![Event::GroupRenamed { group, name }])
            }
            Command::DeleteGroup { group } => {
                self.group_editor(group)?;
                Ok(vec![Event::GroupDeleted { group }])
            }
            Command::AddGroupMember { group, user } => {
                let g = self.group_editor(group)?;
                let target = self.user(user)?;
                if !self.world.reaches(target.environment, g.environment) {
                    return Err(CommandError::PartnershipRequired(format!(
                        "{} belongs to {}, which has no active partnership with {}",
                        target.name,
                        self.env_name(target.environment),
                        self.env_name(g.environment)
                    )));
                }
                if !target.is_active() {
                    return Err(not_permitted(format!("{} is disabled", target.name)));
                }
                if self.world.is_group_member(group, user) {
                    return Err(CommandError::Conflict(format!(
                        "{} already is in {}",
                        target.name, g.name
                    )));
                }
                Ok(vec![Event::GroupMemberAdded { group, user }])
            }
            Command::RemoveGroupMember { group, user } => {
                let g = self.group_editor(group)?;
                self.user(user)?;
                if !self.world.is_group_member(group, user) {
                    return Err(CommandError::Conflict(format!(
                        "they are not in {}",
                        g.name
                    )));
                }
                Ok(vec![Event::GroupMemberRemoved { group, user }])
            }

            // ----- workflow -----------------------------------------------------
            Command::StartApprovalTask {
                document,
                assignee,
                note,
            } => {
                let me = self.require(Action::Edit, Resource::Document(document))?;
                self.workflow_engine(me)?;
                let doc = self.document(document)?;
                if doc.doc_box != DocBox::InboxIn {
                    return Err(CommandError::invalid(
                        "document",
                        "approval tasks are for received documents (Inbox IN)",
                    ));
                }
                let target = self.user(assignee)?;
                self.can_take_task(target, document)?;
                let note = note.map(|n| clean_name("note", &n)).transpose()?;
                let task = self.id()?;
                Ok(vec![Event::TaskStarted {
                    task,
                    document,
                    by: me.id,
                    assignee,
                    note,
                    at: now,
                }])
            }
            Command::ApproveTask { task, comment } => {
                let me = self.assignee(task)?;
                let comment = comment
                    .filter(|c| !c.trim().is_empty())
                    .map(|c| clean_name("comment", &c))
                    .transpose()?;
                Ok(vec![Event::TaskApproved {
                    task,
                    by: me.id,
                    comment,
                    at: now,
                }])
            }
            Command::RejectTask { task, reason } => {
                let me = self.assignee(task)?;
                let reason = clean_name("reason", &reason)
                    .map_err(|_| CommandError::invalid("reason", "a rejection needs a reason"))?;
                Ok(vec![Event::TaskRejected {
                    task,
                    by: me.id,
                    reason,
                    at: now,
                }])
            }
            Command::DelegateTask { task, to } => {
                let me = self.me()?;
                let t = self.task(task)?;
                if !t.is_open() {
                    return Err(CommandError::Conflict("this task is closed".into()));
                }
                if t.assignee != me.id {
                    // Someone other than the assignee reassigns: they need Edit and
                    // the add-on, as for starting a task.
                    self.require(Action::Edit, Resource::Document(t.document))?;
                    self.workflow_engine(me)?;
                }
                if t.assignee == to {
                    return Err(CommandError::Conflict(
                        "the task already is assigned to them".into(),
                    ));
                }
                // The people on the task's trail are named to whoever sees the
                // task, so it can go back to any of them (the delegator, say).
                let target = match self.world.user(to) {
                    Some(user) if t.people().any(|p| p == to) => user,
                    _ => self.user(to)?,
                };
                self.can_take_task(target, t.document)?;
                Ok(vec![Event::TaskDelegated {
                    task,
                    by: me.id,
                    to,
                    at: now,
                }])
            }

            // ----- splitting (DOMAIN §7) ----------------------------------------
            Command::ApplyAccessPlan { plan } => {
                crate::split::apply_access_plan(self.world, self.actor, &plan, now)
            }
            Command::ExportOrganisation {
                organisation,
                digest,
            } => {
                let me = self.split_administrator(organisation)?;
                let manifest = crate::model::bundle::Manifest::of(self.world, organisation)
                    .ok_or_else(|| self.missing("organisation"))?;
                if manifest.digest != digest {
                    return Err(CommandError::Conflict(format!(
                        "the documents of {} changed while the bundle was made; export again",
                        manifest.name
                    )));
                }
                Ok(vec![Event::OrganisationExported {
                    organisation,
                    digest,
                    by: me.id,
                    at: now,
                }])
            }
            Command::AuthoriseRemoval {
                organisation,
                export,
                accept_loss,
                plan,
            } => {
                let me = self.split_administrator(organisation)?;
                let org = self.organisation(organisation)?;
                let latest = self.world.export_of(organisation).ok_or_else(|| {
                    CommandError::ExportRequired(format!(
                        "{} has not been exported: export its documents first, so that nothing is lost",
                        org.name
                    ))
                })?;
                if latest.digest != export {
                    return Err(CommandError::ExportRequired(format!(
                        "the latest export of {} has digest {}, not {export}: authorise with the latest export",
                        org.name, latest.digest
                    )));
                }
                let fingerprint = plan.as_ref().map(|p| p.fingerprint.clone());
                if let Some(plan) = plan {
                    if plan.choice() != crate::split::SplitChoice::FullSeparation
                        || plan.environment != org.environment
                        || plan.organisations.binary_search(&organisation).is_err()
                    {
                        return Err(CommandError::invalid(
                            "plan",
                            format!(
                                "it is not a full-separation plan of environment {} that selects {}",
                                self.env_name(org.environment),
                                org.name
                            ),
                        ));
                    }
                    crate::split::check_scope(self.world, &plan)?;
                    crate::split::check_fresh(self.world, &plan)?;
                }
                self.no_loss_unless_accepted(org, latest, accept_loss)?;
                Ok(vec![Event::RemovalAuthorised {
                    organisation,
                    export,
                    accept_loss,
                    fingerprint,
                    by: me.id,
                    at: now,
                }])
            }
            Command::ExecuteRemoval { organisation } => {
                if !matches!(self.actor, Actor::Support { .. }) {
                    return Err(not_permitted(
                        "only platform Support executes a removal, once an Administrator of the environment has authorised it",
                    ));
                }
                let org = self.organisation(organisation)?;
                let Some(authorisation) = self.world.removal_of(organisation) else {
                    return Err(CommandError::RemovalNotAuthorised(format!(
                        "no Administrator of environment {} has authorised removing {}",
                        self.env_name(org.environment),
                        org.name
                    )));
                };
                let still_administrator = check(
                    self.world,
                    authorisation.by,
                    Action::SplitEnvironment,
                    Resource::Environment(org.environment),
                )
                .allowed;
                if !still_administrator {
                    return Err(CommandError::RemovalNotAuthorised(format!(
                        "the removal of {} was authorised by someone who is no longer an active Administrator of environment {}; an Administrator must authorise it again",
                        org.name,
                        self.env_name(org.environment)
                    )));
                }
                let latest = self.world.export_of(organisation);
                let Some(latest) = latest.filter(|e| e.digest == authorisation.export) else {
                    return Err(CommandError::RemovalNotAuthorised(format!(
                        "the authorisation to remove {} names an export that is no longer the latest; an Administrator must authorise again",
                        org.name
                    )));
                };
                self.no_loss_unless_accepted(org, latest, authorisation.accept_loss)?;
                if let Some(fingerprint) = &authorisation.fingerprint {
                    crate::split::check_fingerprint(self.world, fingerprint).map_err(|stale| {
                        CommandError::StalePlan(format!(
                            "the plan the removal of {} was authorised on is out of date: {} changed since; an Administrator must simulate the split and authorise the removal again",
                            org.name,
                            stale.what_changed()
                        ))
                    })?;
                }
                let selected = [organisation];
                let mut events: Vec<Event> = self
                    .world
                    .documents_of(organisation)
                    .map(|document| Event::DocumentDeleted { document })
                    .collect();
                let cascade = crate::split::removal_cascade(self.world, &selected, now);
                events.extend(cascade.cascade);
                events.extend(cascade.revoked);
                events.push(Event::OrganisationRemoved {
                    organisation,
                    at: now,
                });
                Ok(events)
            }
            Command::ImportBundle {
                organisation,
                bundle,
                participant_id,
                documents,
            } => {
                let me = self.split_administrator(organisation)?;
                let org = self.organisation(organisation)?;
                if participant_id != org.participant_id {
                    return Err(CommandError::invalid(
                        "bundle",
                        format!(
                            "it was exported from `{participant_id}`, and {} is `{}`: a bundle is imported into the organisation with the same Peppol identifier",
                            org.name, org.participant_id
                        ),
                    ));
                }
                if self.world.imports_of(organisation).contains(&bundle) {
                    return Err(CommandError::Conflict(format!(
                        "this bundle has already been imported into {}",
                        org.name
                    )));
                }
                let mut events = vec![Event::BundleImported {
                    organisation,
                    bundle,
                    documents: documents.len() as u64,
                    by: me.id,
                    at: now,
                }];
                // One fresh id for the bundle; its documents' ids follow it, so a
                // bundle of any size fits in a context of `Context::IDS_NEEDED`.
                let base: Uuid = self.id()?;
                for (n, document) in documents.into_iter().enumerate() {
                    let name = clean_name("name", &document.name)?;
                    let id =
                        DocumentId::from(Uuid::from_u128(base.as_u128().wrapping_add(n as u128)));
                    events.push(Event::DocumentAdded {
                        document: Document {
                            id,
                            organisation,
                            environment: org.environment,
                            doc_box: document.doc_box,
                            name,
                            sha256: document.sha256,
                            size: document.size,
                            uploaded_by: Some(me.id),
                            at: document.at,
                            summary: document.summary,
                        },
                    });
                }
                Ok(events)
            }
        }
    }

    fn charge(&self, org: &Organisation, amount: i64, reason: LedgerReason) -> Event {
        Event::CreditChanged {
            environment: org.cost_bearer,
            organisation: Some(org.id),
            amount,
            reason,
            at: self.now(),
        }
    }

    /// A copy lands in the recipient's Inbox IN; receiving costs its bearer 1 credit
    /// and is never refused.
    fn deliver(
        &self,
        recipient: &Organisation,
        document: DocumentId,
        name: String,
        sha256: Sha256,
        size: u64,
        summary: Option<Box<DocSummary>>,
    ) -> Vec<Event> {
        vec![
            Event::DocumentAdded {
                document: Document {
                    id: document,
                    organisation: recipient.id,
                    environment: recipient.environment,
                    doc_box: DocBox::InboxIn,
                    name,
                    sha256,
                    size,
                    uploaded_by: None,
                    at: self.now(),
                    summary,
                },
            },
            self.charge(recipient, -1, LedgerReason::Received { document }),
        ]
    }

    /// Membership eligibility across environments (DOMAIN §1).
    fn eligible_member(&self, target: &User, org: &Organisation) -> Result<(), CommandError> {
        if !target.is_active() {
            return Err(not_permitted(format!("{} is disabled", target.name)));
        }
        if target.environment == org.environment {
            return Ok(());
        }
        if self
            .world
            .active_partnership(target.environment, org.environment)
            .is_none()
        {
            return Err(CommandError::PartnershipRequired(format!(
                "{} belongs to {}, which has no active partnership with {}",
                target.name,
                self.env_name(target.environment),
                self.env_name(org.environment)
            )));
        }
        if !target.is_advanced() {
            return Err(not_permitted(format!(
                "{} is a User of {}: only Administrators and Advanced users of a partner environment can be made members",
                target.name,
                self.env_name(target.environment)
            )));
        }
        Ok(())
    }

    /// Uploading into an organisation's boxes needs Edit on the organisation's
    /// documents: membership, or Administrator of its environment.
    /// (Whoever sees the organisation in full, a member or an Administrator of
    /// its environment, has that Edit: `ViewOrganisation` answers it.)
    fn may_upload(&self, me: &User, org: &Organisation) -> Result<(), CommandError> {
        if check(
            self.world,
            me.id,
            Action::ViewOrganisation,
            Resource::Organisation(org.id),
        )
        .allowed
        {
            Ok(())
        } else {
            Err(CommandError::not_found("organisation"))
        }
    }

    /// A document can be shared only with users, groups and organisations of its
    /// own environment or of an actively partnered one.
    fn grantee_allowed(&mut self, doc: &Document, grantee: Grantee) -> Result<(), CommandError> {
        let (environment, name) = match grantee {
            Grantee::User(u) => {
                let u = self.user(u)?;
                (u.environment, u.name.clone())
            }
            Grantee::Group(g) => {
                let g = self.group(g)?;
                (g.environment, self.group_name(g))
            }
            Grantee::Organisation(o) => {
                let o = self.organisation(o)?;
                (o.environment, o.name.clone())
            }
        };
        if self.world.reaches(environment, doc.environment) {
            Ok(())
        } else {
            Err(CommandError::PartnershipRequired(format!(
                "{name} belongs to {}, which has no active partnership with {}",
                self.env_name(environment),
                self.env_name(doc.environment)
            )))
        }
    }

    fn group_editor(&self, group: GroupId) -> Result<&'a Group, CommandError> {
        let me = self.me()?;
        let g = self.group(group)?;
        if g.environment != me.environment {
            return Err(CommandError::not_found("group"));
        }
        if !self
            .allowed_in(Action::ManageGroups, g.environment)?
            .1
            .allowed
        {
            return Err(not_permitted(
                "only Administrators and Advanced users edit groups",
            ));
        }
        Ok(g)
    }

    fn workflow_engine(&self, me: &User) -> Result<(), CommandError> {
        let env = self.environment(me.environment)?;
        if env.has_add_on(AddOn::WorkflowEngine) {
            Ok(())
        } else {
            Err(CommandError::AddOnMissing(format!(
                "{} does not have the Workflow Engine add-on, which starting and delegating approval tasks needs",
                env.name
            )))
        }
    }

    fn can_take_task(&self, target: &User, document: DocumentId) -> Result<(), CommandError> {
        let user = target.id;
        let decision = check(self.world, user, Action::View, Resource::Document(document));
        if decision.allowed {
            return Ok(());
        }
        // On a projection, another user's access is known only to an Administrator
        // of the document's environment (DOMAIN §1): otherwise the server decides.
        if let Some(viewer) = self.world.viewer.and_then(|v| self.world.user(v)) {
            let knows = viewer.id == user
                || (viewer.role == EnvRole::Administrator
                    && self
                        .world
                        .document(document)
                        .is_some_and(|d| d.environment == viewer.environment));
            if !knows {
                self.note(Unconfirmed::AssigneeCanView { user });
                return Ok(());
            }
        }
        // Why, only to whom another user's access may be explained: an
        // Administrator of the document's environment (DOMAIN §1). Anyone else
        // learns that the assignee cannot view it, not what they lack (which
        // would tell of other environments' partnerships).
        let explained = match &self.sees {
            Sees::User(vis) => {
                let viewer = vis.viewer();
                viewer.id == user
                    || (viewer.role == EnvRole::Administrator
                        && self
                            .world
                            .document(document)
                            .is_some_and(|d| d.environment == viewer.environment))
            }
            Sees::Nothing => false,
            Sees::Everything => true,
        };
        if explained {
            Err(not_permitted(format!(
                "{} cannot view this document: {}",
                target.name,
                self.explain(&decision)
            )))
        } else {
            Err(not_permitted(format!(
                "{} cannot view this document, so cannot take the task",
                target.name
            )))
        }
    }

    fn assignee(&self, task: TaskId) -> Result<&'a User, CommandError> {
        let me = self.me()?;
        let t = self.task(task)?;
        if t.assignee != me.id {
            if document_level(self.world, me.id, t.document).0.is_none() {
                return Err(CommandError::not_found("task"));
            }
            return Err(not_permitted(
                "only the task's assignee may approve or reject it",
            ));
        }
        if !t.is_open() {
            return Err(CommandError::Conflict("this task is closed".into()));
        }
        Ok(me)
    }

    /// The acting user, to whom a pending request is addressed.
    fn addressee(
        &self,
        request: RequestId,
    ) -> Result<(&'a User, &'a PartnershipRequest), CommandError> {
        let me = self.me()?;
        let r = self
            .world
            .request(request)
            .ok_or_else(|| CommandError::not_found("request"))?;
        let addressed = match &r.target {
            RequestTarget::Email { email } => *email == me.email,
            RequestTarget::Environment { environment } => *environment == me.environment,
        };
        let may = check(
            self.world,
            me.id,
            Action::SendPartnershipRequests,
            Resource::Environment(me.environment),
        )
        .allowed;
        if !addressed || !may {
            return Err(CommandError::not_found("request"));
        }
        if r.status != RequestStatus::Pending {
            return Err(CommandError::Conflict(
                "this request is no longer pending".into(),
            ));
        }
        Ok((me, r))
    }

    /// Ending a partnership, with its whole cascade (DOMAIN §2).
    fn end_partnership(&mut self, partnership: PartnershipId) -> Result<Vec<Event>, CommandError> {
        let me = self.me()?;
        let p = self.partnership(partnership)?;
        if !p.links(me.environment) {
            return Err(CommandError::not_found("partnership"));
        }
        self.administrator(Action::ManagePartnerships, me.environment)?;
        if !p.is_active() {
            return Err(CommandError::Conflict(
                "this partnership has already ended".into(),
            ));
        }
        let world = self.world;
        let mut events = vec![Event::PartnershipEnded {
            partnership,
            by: me.id,
            at: self.now(),
        }];
        for (own, other) in [(p.requester, p.accepter), (p.accepter, p.requester)] {
            if self.hidden(own) {
                self.note(Unconfirmed::EffectsInPartnerEnvironment { environment: own });
            }
            // Memberships of the other side's users in this side's organisations.
            for org in world.organisations_of(own) {
                for user in world.members_of(*org) {
                    if world.user(*user).is_some_and(|u| u.environment == other) {
                        events.push(Event::MembershipRemoved {
                            user: *user,
                            organisation: *org,
                        });
                    }
                }
            }
            // The other side's users in this side's groups.
            for group in world.groups_of(own) {
                for user in world.group_members(*group) {
                    if world.user(*user).is_some_and(|u| u.environment == other) {
                        events.push(Event::GroupMemberRemoved {
                            group: *group,
                            user: *user,
                        });
                    }
                }
            }
            // Shares of this side's documents with the other side's users, groups
            // and organisations.
            let grantees = world
                .users_of(other)
                .iter()
                .map(|u| Grantee::User(*u))
                .chain(world.groups_of(other).iter().map(|g| Grantee::Group(*g)))
                .chain(
                    world
                        .organisations_of(other)
                        .iter()
                        .map(|o| Grantee::Organisation(*o)),
                );
            for grantee in grantees {
                for document in world.documents_shared_with_in(grantee, own) {
                    events.push(Event::ShareRevoked { document, grantee });
                }
            }
            // Cost bearing reverts.
            for org in world.organisations_of(own) {
                if world
                    .organisation(*org)
                    .is_some_and(|o| o.cost_bearer == other)
                {
                    events.push(Event::CostBearerChanged {
                        organisation: *org,
                        bearer: own,
                    });
                }
            }
        }
        for user in &p.relationship_managers {
            events.push(Event::RelationshipManagerDisconnected {
                partnership,
                user: *user,
            });
        }
        Ok(events)
    }
}

/// What follows from `events` without being asked: connection keys whose holder
/// lost the right to retrieve them are revoked (DOMAIN §4), and open tasks whose
/// assignee can no longer view the document go back to someone who can (DOMAIN §2,
/// §5). Computed on the world after `events`, for the users and documents the
/// events touch.
pub(crate) fn consequences(
    world: &World,
    events: &[Event],
    now: Timestamp,
) -> (Vec<Event>, Option<World>) {
    let mut users: Vec<UserId> = Vec::new();
    let mut documents: Vec<DocumentId> = Vec::new();
    let mut key_reason = RevokeReason::HolderLostAccess;
    let mut task_reason = ReassignReason::AssigneeLostAccess;
    for event in events {
        match event {
            Event::MembershipRemoved { user, .. }
            | Event::RoleAssigned { user, .. }
            | Event::GroupMemberRemoved { user, .. } => users.push(*user),
            Event::UserDisabled { user } => {
                users.push(*user);
                key_reason = RevokeReason::HolderDisabled;
                task_reason = ReassignReason::AssigneeDisabled;
            }
            Event::ShareRevoked { document, .. } => documents.push(*document),
            Event::GroupDeleted { group } => {
                documents.extend(world.documents_shared_with(Grantee::Group(*group)));
            }
            Event::PartnershipEnded { partnership, .. } => {
                if let Some(p) = world.partnership(*partnership) {
                    users.extend_from_slice(world.users_of(p.requester));
                    users.extend_from_slice(world.users_of(p.accepter));
                }
                key_reason = RevokeReason::PartnershipEnded;
                task_reason = ReassignReason::PartnershipEnded;
            }
            _ => {}
        }
    }
    if users.is_empty() && documents.is_empty() {
        return (Vec::new(), None);
    }
    sort_dedup(&mut users);
    let mut after = world.clone();
    for event in events {
        after.apply(event);
    }
    let mut out = Vec::new();

    let mut keys: Vec<KeyId> = users
        .iter()
        .flat_map(|u| world.keys_held_by(*u).iter().copied())
        .collect();
    sort_dedup(&mut keys);
    for key in keys {
        let Some(k) = after.key(key).filter(|k| k.is_valid()) else {
            continue;
        };
        if !check(
            &after,
            k.holder,
            Action::RetrieveConnectionKey,
            Resource::Organisation(k.organisation),
        )
        .allowed
        {
            out.push(Event::ConnectionKeyRevoked {
                key,
                reason: key_reason,
                at: now,
            });
        }
    }

    let mut tasks: Vec<TaskId> = users
        .iter()
        .flat_map(|u| world.open_tasks_of(*u).iter().copied())
        .collect();
    for d in &documents {
        tasks.extend(world.tasks_of(*d).iter().copied());
    }
    sort_dedup(&mut tasks);
    for task in tasks {
        let Some(t) = after.task(task).filter(|t| t.is_open()) else {
            continue;
        };
        if check(
            &after,
            t.assignee,
            Action::View,
            Resource::Document(t.document),
        )
        .allowed
        {
            continue;
        }
        if let Some(to) = fallback_assignee(&after, t) {
            out.push(Event::TaskReassigned {
                task,
                to,
                why: task_reason,
                at: now,
            });
        }
    }
    (out, Some(after))
}

/// Where a task goes when its assignee loses access: the latest person in its trail
/// who can still view the document, else the organisation's Managers, else its
/// environment's Administrators (the first by id, so every run agrees).
pub(crate) fn fallback_assignee(world: &World, task: &Task) -> Option<UserId> {
    let can_view = |u: UserId| {
        u != task.assignee
            && check(world, u, Action::View, Resource::Document(task.document)).allowed
    };
    for entry in task.trail.iter().rev() {
        // The latest actor first, then whoever the step moved the task to or from.
        if let Some(found) = entry.step.people().find(|u| can_view(*u)) {
            return Some(found);
        }
    }
    let doc = world.document(task.document)?;
    let managers = world
        .members_of(doc.organisation)
        .iter()
        .copied()
        .filter(|u| {
            world
                .membership(*u, doc.organisation)
                .is_some_and(|m| m.role == OrgRole::Manager)
        });
    let administrators = world.users_of(doc.environment).iter().copied().filter(|u| {
        world
            .user(*u)
            .is_some_and(|u| u.role == EnvRole::Administrator)
    });
    managers.chain(administrators).find(|u| can_view(*u))
}

//! Environments and users (DOMAIN §1): signing up, inviting, roles,
//! relationship managers, disabling and enabling users.

use crate::access::Action;
use crate::decider::*;
use crate::model::command::{Actor, Event};
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::project::Visibility;

impl<'a> Decider<'a> {
    pub(crate) fn sign_up(
        &mut self,
        environment_name: String,
        name: String,
        email: String,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
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

    pub(crate) fn invite_user(
        &mut self,
        email: String,
        name: String,
        role: EnvRole,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
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

    pub(crate) fn accept_invitation(
        &mut self,
        invitation: InvitationId,
    ) -> Result<Vec<Event>, CommandError> {
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

    pub(crate) fn revoke_invitation(
        &mut self,
        invitation: InvitationId,
    ) -> Result<Vec<Event>, CommandError> {
        let inv = self.invitation(invitation)?;
        self.administrator(Action::ManageUsers, inv.environment)?;
        if inv.status != InvitationStatus::Pending {
            return Err(CommandError::Conflict(
                "this invitation is no longer pending".into(),
            ));
        }
        Ok(vec![Event::InvitationRevoked { invitation }])
    }

    pub(crate) fn assign_role(
        &mut self,
        user: UserId,
        role: EnvRole,
    ) -> Result<Vec<Event>, CommandError> {
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

    pub(crate) fn set_relationship_manager(
        &mut self,
        user: UserId,
        enabled: bool,
    ) -> Result<Vec<Event>, CommandError> {
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

    pub(crate) fn disable_user(&mut self, user: UserId) -> Result<Vec<Event>, CommandError> {
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

    pub(crate) fn enable_user(&mut self, user: UserId) -> Result<Vec<Event>, CommandError> {
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

    /// The email must not be used by any account (or pending invitation).
    pub(crate) fn email_free(&mut self, email: &str) -> Result<(), CommandError> {
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

    pub(crate) fn last_administrator(&self, target: &User) -> bool {
        target.role == EnvRole::Administrator
            && target.is_active()
            && self.world.administrators_of(target.environment).count() == 1
    }
}

/// Who is told of an environment's and its users' events: the environment's
/// own users of its creation and plan, anyone who sees the user of theirs, an
/// environment's Administrators of its invitations.
pub(crate) fn sees(vis: &Visibility, event: &Event) -> bool {
    match event {
        Event::EnvironmentCreated { environment, .. } => *environment == vis.home(),
        Event::UserCreated { user, .. }
        | Event::RoleAssigned { user, .. }
        | Event::RelationshipManagerRoleSet { user, .. }
        | Event::UserDisabled { user }
        | Event::UserEnabled { user } => vis.user(*user),
        Event::InvitationCreated { invitation } => vis.invitation(invitation.id),
        Event::InvitationAccepted { invitation, .. } | Event::InvitationRevoked { invitation } => {
            vis.invitation(*invitation)
        }
        _ => false,
    }
}

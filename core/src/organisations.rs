//! Organisations (DOMAIN §4): adding, renaming and activating them, their
//! members, and the connection keys of their accounting software.

use crate::access::{check, Action, Resource};
use crate::decider::*;
use crate::model::command::Event;
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::project::Visibility;

impl<'a> Decider<'a> {
    pub(crate) fn add_organisation(
        &mut self,
        name: String,
        participant_id: String,
    ) -> Result<Vec<Event>, CommandError> {
        let me = self.me()?;
        self.administrator(Action::AddOrganisations, me.environment)?;
        let name = clean_name("name", &name)?;
        // Format and check digits are decided from the input alone, so the
        // browser refuses a mistyped identifier as it is typed.
        let participant_id = valid_participant(&participant_id)?;
        let organisation = self.id()?;
        Ok(vec![Event::OrganisationAdded {
            organisation,
            environment: me.environment,
            name,
            participant_id,
        }])
    }

    pub(crate) fn rename_organisation(
        &mut self,
        organisation: OrganisationId,
        name: String,
    ) -> Result<Vec<Event>, CommandError> {
        self.require(
            Action::ManageOrganisationSettings,
            Resource::Organisation(organisation),
        )?;
        let name = clean_name("name", &name)?;
        Ok(vec![Event::OrganisationRenamed { organisation, name }])
    }

    pub(crate) fn activate_organisation(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Event>, CommandError> {
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

    pub(crate) fn retrieve_connection_key(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
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

    pub(crate) fn revoke_connection_key(&mut self, key: KeyId) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
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

    pub(crate) fn configure_software_connection(
        &mut self,
        organisation: OrganisationId,
        software: String,
    ) -> Result<Vec<Event>, CommandError> {
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

    pub(crate) fn add_member(
        &mut self,
        organisation: OrganisationId,
        user: UserId,
        role: OrgRole,
    ) -> Result<Vec<Event>, CommandError> {
        let (org, target) = self.membership_parties(organisation, user)?;
        if self.world.membership(user, organisation).is_some() {
            return Err(CommandError::Conflict(format!(
                "{} already is a member of {}",
                target.name, org.name
            )));
        }
        self.grant_membership(target, org, role)
    }

    pub(crate) fn change_member_role(
        &mut self,
        organisation: OrganisationId,
        user: UserId,
        role: OrgRole,
    ) -> Result<Vec<Event>, CommandError> {
        let (org, target) = self.membership_parties(organisation, user)?;
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
        self.grant_membership(target, org, role)
    }

    pub(crate) fn remove_member(
        &mut self,
        organisation: OrganisationId,
        user: UserId,
    ) -> Result<Vec<Event>, CommandError> {
        let (org, target) = self.membership_parties(organisation, user)?;
        if self.world.membership(user, organisation).is_none() {
            return Err(CommandError::Conflict(format!(
                "{} is not a member of {}",
                target.name, org.name
            )));
        }
        Ok(vec![Event::MembershipRemoved { user, organisation }])
    }

    /// Membership eligibility across environments (DOMAIN §1).
    /// The organisation and the user a membership command names, once the
    /// actor may manage the organisation's members.
    fn membership_parties(
        &self,
        organisation: OrganisationId,
        user: UserId,
    ) -> Result<(&'a Organisation, &'a User), CommandError> {
        self.require(Action::ManageMembers, Resource::Organisation(organisation))?;
        Ok((self.organisation(organisation)?, self.user(user)?))
    }

    /// `target` becomes `role` of `org`, if they may belong to it.
    fn grant_membership(
        &self,
        target: &User,
        org: &Organisation,
        role: OrgRole,
    ) -> Result<Vec<Event>, CommandError> {
        self.eligible_member(target, org)?;
        Ok(vec![Event::MembershipGranted {
            user: target.id,
            organisation: org.id,
            role,
            at: self.now(),
        }])
    }

    pub(crate) fn eligible_member(
        &self,
        target: &User,
        org: &Organisation,
    ) -> Result<(), CommandError> {
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
}

/// Who is told of an organisation's events: its name and activation whoever
/// knows it by name; its software connection whoever sees it in full; a
/// membership the member, and whoever sees both the user and the
/// organisation (its environment's Administrators by name suffices); a key
/// whoever sees it.
pub(crate) fn sees(vis: &Visibility, event: &Event) -> bool {
    match event {
        Event::OrganisationAdded { organisation, .. }
        | Event::OrganisationRenamed { organisation, .. }
        | Event::OrganisationActivated { organisation } => vis.organisation_name(*organisation),
        Event::SoftwareConnectionConfigured { organisation, .. } => vis.organisation(*organisation),
        Event::MembershipGranted {
            user, organisation, ..
        }
        | Event::MembershipRemoved { user, organisation } => {
            *user == vis.viewer().id
                || (vis.user(*user)
                    && (vis.organisation(*organisation)
                        || (vis.admin() && vis.organisation_name(*organisation))))
        }
        Event::ConnectionKeyIssued { key, .. } | Event::ConnectionKeyRevoked { key, .. } => {
            vis.key(*key)
        }
        _ => false,
    }
}

/// An organisation known by name only is added without its identifier.
pub(crate) fn redact(vis: &Visibility, event: &mut Event) {
    if let Event::OrganisationAdded {
        organisation,
        participant_id,
        ..
    } = event
    {
        if !vis.organisation(*organisation) {
            participant_id.clear();
        }
    }
}

//! Groups (DOMAIN §3): creating, renaming and deleting them, and their members.

use crate::access::Action;
use crate::decider::*;
use crate::model::command::Event;
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::project::Visibility;

impl<'a> Decider<'a> {
    pub(crate) fn create_group(&mut self, name: String) -> Result<Vec<Event>, CommandError> {
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

    pub(crate) fn rename_group(
        &mut self,
        group: GroupId,
        name: String,
    ) -> Result<Vec<Event>, CommandError> {
        self.group_editor(group)?;
        let name = clean_name("name", &name)?;
        Ok(vec![Event::GroupRenamed { group, name }])
    }

    pub(crate) fn delete_group(&mut self, group: GroupId) -> Result<Vec<Event>, CommandError> {
        self.group_editor(group)?;
        Ok(vec![Event::GroupDeleted { group }])
    }

    pub(crate) fn add_group_member(
        &mut self,
        group: GroupId,
        user: UserId,
    ) -> Result<Vec<Event>, CommandError> {
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

    pub(crate) fn remove_group_member(
        &mut self,
        group: GroupId,
        user: UserId,
    ) -> Result<Vec<Event>, CommandError> {
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

    pub(crate) fn group_editor(&self, group: GroupId) -> Result<&'a Group, CommandError> {
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
}

/// Who is told of a group's events: whoever sees the group (a deletion,
/// whoever knows it); of a member, the member, and whoever knows the group and
/// sees the user.
pub(crate) fn sees(vis: &Visibility, event: &Event) -> bool {
    match event {
        Event::GroupCreated { group, .. } | Event::GroupRenamed { group, .. } => vis.group(*group),
        Event::GroupDeleted { group } => vis.group_known(*group),
        Event::GroupMemberAdded { group, user } | Event::GroupMemberRemoved { group, user } => {
            *user == vis.viewer().id || (vis.group_known(*group) && vis.user(*user))
        }
        _ => false,
    }
}

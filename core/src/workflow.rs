//! The workflow engine (DOMAIN §5): approval tasks, who may take them, and
//! delegation.

use crate::access::{check, document_level, Action, Resource};
use crate::decider::*;
use crate::model::command::Event;
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::project::Visibility;

impl<'a> Decider<'a> {
    pub(crate) fn start_approval_task(
        &mut self,
        document: DocumentId,
        assignee: UserId,
        note: Option<String>,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
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

    pub(crate) fn approve_task(
        &mut self,
        task: TaskId,
        comment: Option<String>,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
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

    pub(crate) fn reject_task(
        &mut self,
        task: TaskId,
        reason: String,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
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

    pub(crate) fn delegate_task(
        &mut self,
        task: TaskId,
        to: UserId,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
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

    pub(crate) fn workflow_engine(&self, me: &User) -> Result<(), CommandError> {
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

    pub(crate) fn can_take_task(
        &self,
        target: &User,
        document: DocumentId,
    ) -> Result<(), CommandError> {
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

    pub(crate) fn assignee(&self, task: TaskId) -> Result<&'a User, CommandError> {
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
}

/// Who is told of a task's events: whoever can view its document.
pub(crate) fn sees(vis: &Visibility, event: &Event) -> bool {
    match event {
        Event::TaskStarted { document, .. } => vis.document(*document),
        Event::TaskDelegated { task, .. }
        | Event::TaskApproved { task, .. }
        | Event::TaskRejected { task, .. }
        | Event::TaskReassigned { task, .. } => vis.task(*task),
        _ => false,
    }
}

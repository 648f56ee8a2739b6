//! Who is told of which event (DOMAIN §1): the live stream sends a viewer the
//! events their projection is kept up to date with, and a preview shows them,
//! without anything the viewer may not see. Each area of the domain decides
//! for its own events (`sees`, and `redact` where a seen event carries a field
//! the viewer may not see); this module only routes.

use crate::model::command::{Command, Event};
use crate::model::ids::{DocumentId, OrganisationId, Sha256, TaskId};
use crate::project::Visibility;
use crate::{credit, documents, exchange, groups, organisations, partnerships};
use crate::{split, tenancy, workflow};

impl Visibility<'_> {
    /// `command` as an audit log shows it to the viewer (an Administrator of
    /// an environment it concerns, DOMAIN §8): what it carries of things that
    /// exist and that the viewer may not see (a document's name and figures, a
    /// note or a reason on such a document's task, an organisation's name or
    /// software, the participant a document went to) is left out, as if never
    /// said. What has since gone (a deleted group, say) was the viewer's to see
    /// when it was recorded, or it would not be in their log: it stays. The
    /// ids stay too: what they name answers as the rest of the product does.
    pub fn command(&self, command: &Command) -> Command {
        let world = self.world();
        let hidden_organisation =
            |o: OrganisationId| world.organisation(o).is_some() && !self.organisation(o);
        let hidden_document = |d: DocumentId| world.document(d).is_some() && !self.document(d);
        let hidden_task = |t: TaskId| world.task(t).is_some() && !self.task(t);
        let mut shown = command.clone();
        match &mut shown {
            Command::UploadDocument {
                organisation,
                name,
                sha256,
                size,
                summary,
                ..
            } if hidden_organisation(*organisation) => {
                name.clear();
                *sha256 = Sha256::default();
                *size = 0;
                *summary = None;
            }
            Command::RenameOrganisation { organisation, name }
                if world.organisation(*organisation).is_some()
                    && !self.organisation_name(*organisation) =>
            {
                name.clear();
            }
            Command::ConfigureSoftwareConnection {
                organisation,
                software,
            } if hidden_organisation(*organisation) => software.clear(),
            Command::SendDocument { document, to } if hidden_document(*document) => to.clear(),
            Command::StartApprovalTask { document, note, .. } if hidden_document(*document) => {
                *note = None;
            }
            Command::ApproveTask { task, comment } if hidden_task(*task) => *comment = None,
            Command::RejectTask { task, reason } if hidden_task(*task) => reason.clear(),
            Command::RenameGroup { group, name }
                if world.group(*group).is_some() && !self.group_known(*group) =>
            {
                name.clear();
            }
            Command::AuthoriseRemoval {
                organisation, plan, ..
            } if hidden_organisation(*organisation) => *plan = None,
            _ => {}
        }
        shown
    }

    /// Whether the viewer may be told of `event`, on the world after it.
    pub fn event(&self, event: &Event) -> bool {
        use Event::*;
        match event {
            EnvironmentCreated { .. }
            | UserCreated { .. }
            | RoleAssigned { .. }
            | RelationshipManagerRoleSet { .. }
            | UserDisabled { .. }
            | UserEnabled { .. }
            | InvitationCreated { .. }
            | InvitationAccepted { .. }
            | InvitationRevoked { .. } => tenancy::sees(self, event),
            OrganisationAdded { .. }
            | OrganisationRenamed { .. }
            | OrganisationActivated { .. }
            | SoftwareConnectionConfigured { .. }
            | MembershipGranted { .. }
            | MembershipRemoved { .. }
            | ConnectionKeyIssued { .. }
            | ConnectionKeyRevoked { .. } => organisations::sees(self, event),
            PartnershipRequested { .. }
            | PartnershipRequestDeclined { .. }
            | PartnershipRequestWithdrawn { .. }
            | PartnershipCreated { .. }
            | PartnershipEnded { .. }
            | RelationshipManagerConnected { .. }
            | RelationshipManagerDisconnected { .. } => partnerships::sees(self, event),
            DocumentAdded { .. }
            | DocumentDeleted { .. }
            | ShareGranted { .. }
            | ShareRevoked { .. } => documents::sees(self, event),
            GroupCreated { .. }
            | GroupRenamed { .. }
            | GroupDeleted { .. }
            | GroupMemberAdded { .. }
            | GroupMemberRemoved { .. } => groups::sees(self, event),
            TaskStarted { .. }
            | TaskDelegated { .. }
            | TaskApproved { .. }
            | TaskRejected { .. }
            | TaskReassigned { .. } => workflow::sees(self, event),
            PlanSet { .. } | AddOnSet { .. } | CreditChanged { .. } | CostBearerChanged { .. } => {
                credit::sees(self, event)
            }
            DocumentSent { .. } => exchange::sees(self, event),
            OrganisationExported { .. }
            | RemovalAuthorised { .. }
            | BundleImported { .. }
            | OrganisationRemoved { .. } => split::sees(self, event),
        }
    }

    /// `event` as the viewer is told of it, if at all: without the fields
    /// their projection does not hold (a name-only organisation's identifier,
    /// the recipient's copy of a sent document, a user they do not see, a
    /// plan's fingerprint).
    pub fn shown(&self, event: &Event) -> Option<Event> {
        if !self.event(event) {
            return None;
        }
        let mut event = event.clone();
        organisations::redact(self, &mut event);
        partnerships::redact(self, &mut event);
        exchange::redact(self, &mut event);
        split::redact(self, &mut event);
        Some(event)
    }

    /// The events of `events` the viewer may be told of, as [`Visibility::shown`].
    pub fn events(&self, events: &[Event]) -> Vec<Event> {
        events.iter().filter_map(|e| self.shown(e)).collect()
    }
}

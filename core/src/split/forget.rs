//! What the platform may keep of an organisation's documents once the
//! organisation is removed (DOMAIN §7): that they existed, not what they said.
//!
//! The event log and the audit log are append-only, except for this one
//! sanctioned rewrite. Each record that carries a document's content (its name,
//! digest, the invoice's summary, the words of an approval task) is stored with
//! the organisation it belongs to; removal replaces those records by their
//! forgotten form, which keeps every id and every fact the world is built from,
//! so replaying the log still gives the same world, version for version.

use crate::model::command::{Command, Event};
use crate::model::ids::{OrganisationId, Sha256, TaskId};
use crate::world::World;

/// What a forgotten name or reason reads.
pub const FORGOTTEN: &str = "(removed)";

fn task_owner(world: &World, task: TaskId) -> Option<OrganisationId> {
    let document = world.task(task)?.document;
    world.document(document).map(|d| d.organisation)
}

/// The organisation whose document content `event` carries, if any, decided on
/// the world `event` has just been applied to.
pub fn event_content_owner(world: &World, event: &Event) -> Option<OrganisationId> {
    match event {
        Event::DocumentAdded { document } => Some(document.organisation),
        Event::TaskStarted { task, .. }
        | Event::TaskApproved { task, .. }
        | Event::TaskRejected { task, .. } => task_owner(world, *task),
        _ => None,
    }
}

/// Replays `events` on an empty world, telling for each the organisation whose
/// document content it carries (what a log seeded with them must record).
pub fn replay_with_owners(events: &[Event]) -> (World, Vec<Option<OrganisationId>>) {
    let mut world = World::default();
    let owners = events
        .iter()
        .map(|event| {
            world.apply(event);
            event_content_owner(&world, event)
        })
        .collect();
    (world, owners)
}

/// `event` as the log keeps it once its organisation is forgotten.
pub fn forget_event(event: &Event) -> Event {
    match event {
        Event::DocumentAdded { document } => {
            let mut document = document.clone();
            document.name = FORGOTTEN.to_string();
            document.sha256 = Sha256::default();
            document.size = 0;
            document.summary = None;
            Event::DocumentAdded { document }
        }
        Event::TaskStarted {
            task,
            document,
            by,
            assignee,
            at,
            ..
        } => Event::TaskStarted {
            task: *task,
            document: *document,
            by: *by,
            assignee: *assignee,
            note: None,
            at: *at,
        },
        Event::TaskApproved { task, by, at, .. } => Event::TaskApproved {
            task: *task,
            by: *by,
            comment: None,
            at: *at,
        },
        Event::TaskRejected { task, by, at, .. } => Event::TaskRejected {
            task: *task,
            by: *by,
            reason: FORGOTTEN.to_string(),
            at: *at,
        },
        other => other.clone(),
    }
}

/// The organisation whose document content `command` carries, if any, decided
/// on the world it was decided on or has just changed. A command that names a
/// document counts too: its refusal's message may quote the document's name.
pub fn command_content_owner(world: &World, command: &Command) -> Option<OrganisationId> {
    let of_document = |document: &crate::model::ids::DocumentId| {
        world.document(*document).map(|d| d.organisation)
    };
    match command {
        Command::UploadDocument { organisation, .. }
        | Command::ImportBundle { organisation, .. } => Some(*organisation),
        Command::ReceiveDocument { to, .. } => world.registered(to).map(|o| o.id),
        Command::StartApprovalTask { document, .. }
        | Command::DeleteDocument { document }
        | Command::ShareDocument { document, .. }
        | Command::UnshareDocument { document, .. }
        | Command::SendDocument { document, .. } => of_document(document),
        Command::ApproveTask { task, .. }
        | Command::RejectTask { task, .. }
        | Command::DelegateTask { task, .. } => task_owner(world, *task),
        _ => None,
    }
}

/// `command` as the audit log keeps it once its organisation is forgotten.
pub fn forget_command(command: &Command) -> Command {
    match command {
        Command::UploadDocument {
            organisation,
            doc_box,
            ..
        } => Command::UploadDocument {
            organisation: *organisation,
            doc_box: *doc_box,
            name: FORGOTTEN.to_string(),
            sha256: Sha256::default(),
            size: 0,
            summary: None,
        },
        Command::ReceiveDocument { to, .. } => Command::ReceiveDocument {
            to: to.clone(),
            name: FORGOTTEN.to_string(),
            sha256: Sha256::default(),
            size: 0,
            summary: None,
        },
        Command::StartApprovalTask {
            document, assignee, ..
        } => Command::StartApprovalTask {
            document: *document,
            assignee: *assignee,
            note: None,
        },
        Command::ApproveTask { task, .. } => Command::ApproveTask {
            task: *task,
            comment: None,
        },
        Command::RejectTask { task, .. } => Command::RejectTask {
            task: *task,
            reason: FORGOTTEN.to_string(),
        },
        Command::ImportBundle {
            organisation,
            participant_id,
            documents,
            ..
        } => Command::ImportBundle {
            organisation: *organisation,
            bundle: Sha256::default(),
            participant_id: participant_id.clone(),
            documents: documents
                .iter()
                .map(|d| crate::model::bundle::BundleDocument {
                    id: d.id,
                    doc_box: d.doc_box,
                    name: FORGOTTEN.to_string(),
                    sha256: Sha256::default(),
                    size: 0,
                    at: d.at,
                    summary: None,
                })
                .collect(),
        },
        other => other.clone(),
    }
}

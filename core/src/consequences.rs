//! What follows from events without being asked: revoked connection keys and
//! moved tasks (DOMAIN §2, §4, §5).

use crate::access::{check, Action, Resource};
use crate::model::command::Event;
use crate::model::ids::*;
use crate::model::*;
use crate::util::sort::sort_dedup;
use crate::world::World;
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

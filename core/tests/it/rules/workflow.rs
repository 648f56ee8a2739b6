//! §5 Workflow engine.

use super::scenario::*;
use preflight_core::*;

#[test]
fn workflow_needs_add_on_of_acting_users_environment() {
    let mut f = firm();
    let doc = f.f.receive(f.bakery);
    let start = |assignee| Command::StartApprovalTask {
        document: doc,
        assignee,
        note: None,
    };
    f.f.refuse(
        f.accountant,
        start(f.acme_admin),
        "add_on_missing",
        "Acme Accountants does not have the Workflow Engine add-on",
    );
    // The client's add-on does not help the accountant.
    f.f.set_add_on(f.acme, true);
    f.f.refuse(
        f.accountant,
        start(f.acme_admin),
        "add_on_missing",
        "Acme Accountants",
    );
    f.f.set_add_on(f.firm, true);
    f.f.start_task(f.accountant, doc, f.acme_admin);
    // And the firm's add-on does not help the client.
    f.f.set_add_on(f.acme, false);
    f.f.refuse(
        f.acme_admin,
        start(f.accountant),
        "add_on_missing",
        "Acme does not have the Workflow Engine add-on",
    );
}

#[test]
fn assignee_acts_whatever_their_environment_has() {
    let mut f = firm();
    f.f.set_add_on(f.firm, true);
    f.f.member(f.acme_admin, f.bakery, f.clerk, OrgRole::Member);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.accountant, doc, f.acme_admin);
    assert!(!f.f.environment(f.acme).has_add_on(AddOn::WorkflowEngine));
    // The client, without the add-on, delegates to a colleague and back.
    f.f.ok(f.acme_admin, Command::DelegateTask { task, to: f.clerk });
    f.f.ok(
        f.clerk,
        Command::DelegateTask {
            task,
            to: f.acme_admin,
        },
    );
    f.f.ok(
        f.acme_admin,
        Command::ApproveTask {
            task,
            comment: Some("ok".into()),
        },
    );
    assert_eq!(f.f.task(task).status, TaskStatus::Approved);
    let second = f.f.start_task(f.accountant, doc, f.clerk);
    f.f.ok(
        f.clerk,
        Command::RejectTask {
            task: second,
            reason: "wrong amount".into(),
        },
    );
    // Someone who is not the assignee needs the add-on to move a task.
    let third = f.f.start_task(f.accountant, doc, f.accountant);
    f.f.refuse(
        f.acme_admin,
        Command::DelegateTask {
            task: third,
            to: f.clerk,
        },
        "add_on_missing",
        "Acme does not have the Workflow Engine add-on",
    );
}

#[test]
fn approval_task_is_started_on_received_document_by_someone_with_edit() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let received = f.f.receive(f.bakery);
    let sales = f.f.upload(f.acme_admin, f.bakery, DocBox::InboxOut);
    f.f.share(f.acme_admin, received, Grantee::User(f.clerk), Level::View);
    f.f.refuse(
        f.clerk,
        Command::StartApprovalTask {
            document: received,
            assignee: f.acme_admin,
            note: None,
        },
        "not_permitted",
        "has View access; this needs Edit",
    );
    f.f.refuse(
        f.acme_admin,
        Command::StartApprovalTask {
            document: sales,
            assignee: f.clerk,
            note: None,
        },
        "invalid_input",
        "Inbox IN",
    );
    let events = f.f.ok(
        f.acme_admin,
        Command::StartApprovalTask {
            document: received,
            assignee: f.accountant,
            note: Some("please check".into()),
        },
    );
    let [Event::TaskStarted { task, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    let t = f.f.task(*task);
    assert_eq!(t.assignee, f.accountant);
    assert_eq!(t.note.as_deref(), Some("please check"));
    assert!(t.is_open());
}

#[test]
fn approval_task_assignee_must_be_able_to_view() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    f.f.refuse(
        f.acme_admin,
        Command::StartApprovalTask {
            document: doc,
            assignee: f.firm_admin,
            note: None,
        },
        "not_permitted",
        "Fred cannot view this document",
    );
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    f.f.refuse(
        f.accountant,
        Command::DelegateTask { task, to: f.clerk },
        "not_permitted",
        "Cleo cannot view this document",
    );
}

#[test]
fn only_assignee_approves_or_rejects() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    f.f.refuse(
        f.acme_admin,
        Command::ApproveTask {
            task,
            comment: None,
        },
        "not_permitted",
        "only the task's assignee",
    );
    f.f.refuse(
        f.acme_admin,
        Command::RejectTask {
            task,
            reason: "no".into(),
        },
        "not_permitted",
        "only the task's assignee",
    );
    // Someone who cannot see the document is told the task does not exist.
    f.f.refuse(
        f.clerk,
        Command::ApproveTask {
            task,
            comment: None,
        },
        "not_found",
        "task",
    );
    f.f.ok(
        f.accountant,
        Command::ApproveTask {
            task,
            comment: None,
        },
    );
}

#[test]
fn reject_needs_a_reason() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    for reason in ["", "   "] {
        f.f.refuse(
            f.accountant,
            Command::RejectTask {
                task,
                reason: reason.into(),
            },
            "invalid_input",
            "reason: a rejection needs a reason",
        );
    }
    f.f.ok(
        f.accountant,
        Command::RejectTask {
            task,
            reason: " Not our order ".into(),
        },
    );
    assert_eq!(
        f.f.task(task).status,
        TaskStatus::Rejected {
            reason: "Not our order".into()
        }
    );
}

#[test]
fn closed_task_cannot_be_acted_on() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    f.f.ok(
        f.accountant,
        Command::ApproveTask {
            task,
            comment: None,
        },
    );
    f.f.refuse(
        f.accountant,
        Command::ApproveTask {
            task,
            comment: None,
        },
        "conflict",
        "closed",
    );
    f.f.refuse(
        f.accountant,
        Command::RejectTask {
            task,
            reason: "x".into(),
        },
        "conflict",
        "closed",
    );
    f.f.refuse(
        f.accountant,
        Command::DelegateTask {
            task,
            to: f.acme_admin,
        },
        "conflict",
        "closed",
    );
}

#[test]
fn every_task_step_is_recorded_in_the_audit_trail() {
    let mut f = firm();
    f.f.set_add_on(f.firm, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.accountant, doc, f.acme_admin);
    let started = f.f.now();
    f.f.ok(
        f.acme_admin,
        Command::DelegateTask {
            task,
            to: f.accountant,
        },
    );
    let delegated = f.f.now();
    f.f.ok(
        f.accountant,
        Command::RejectTask {
            task,
            reason: "duplicate".into(),
        },
    );
    let rejected = f.f.now();
    let trail = &f.f.task(task).trail;
    assert_eq!(
        trail,
        &[
            TrailEntry {
                at: started,
                step: TrailStep::Started {
                    by: f.accountant,
                    assignee: f.acme_admin
                }
            },
            TrailEntry {
                at: delegated,
                step: TrailStep::Delegated {
                    by: f.acme_admin,
                    from: f.acme_admin,
                    to: f.accountant
                }
            },
            TrailEntry {
                at: rejected,
                step: TrailStep::Rejected {
                    by: f.accountant,
                    reason: "duplicate".into()
                }
            },
        ]
    );
}

#[test]
fn client_sees_task_in_own_environment() {
    let mut f = firm();
    f.f.set_add_on(f.firm, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.accountant, doc, f.acme_admin);
    let slice = project(&f.f.world, f.acme_admin);
    assert_eq!(slice.task(task).map(|t| t.assignee), Some(f.acme_admin));
    assert_eq!(slice.open_tasks_of(f.acme_admin), &[task]);
    // Someone who cannot view the document does not see the task.
    assert!(project(&f.f.world, f.clerk).task(task).is_none());
}

#[test]
fn disabled_assignees_open_tasks_go_back() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    f.f.ok(f.firm_admin, Command::DisableUser { user: f.accountant });
    let t = f.f.task(task);
    assert_eq!(t.assignee, f.acme_admin);
    assert_eq!(
        t.trail.last().unwrap().step,
        TrailStep::Reassigned {
            from: f.accountant,
            to: f.acme_admin,
            why: ReassignReason::AssigneeDisabled
        }
    );
}

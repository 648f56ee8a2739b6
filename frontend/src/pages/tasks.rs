//! `/tasks`: approval tasks on documents I can see; mine can be approved,
//! rejected with a reason, or delegated (the preview shows who gains access).

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::A;
use preflight_core::project::Visibility;
use preflight_core::{Command, Task, TaskStatus, TrailStep, UserId, World};

use crate::components::action_form::{ActionForm, Field};
use crate::components::paged::{Key, PagedCards, Row};
use crate::pages::organisation::parse_id;
use crate::pages::{signed_in_page, user_name, user_options, PageHeader};
use crate::session::SignedIn;

#[component]
pub fn TasksPage() -> impl IntoView {
    signed_in_page(tasks_view)
}

/// A task's trail in words.
pub fn trail_view(world: &World, task: &Task) -> impl IntoView {
    task.trail
        .iter()
        .map(|entry| {
            let name = |u: &UserId| user_name(world, *u);
            let text = match &entry.step {
                TrailStep::Started { by, assignee } => {
                    format!("{} started it for {}", name(by), name(assignee))
                }
                TrailStep::Delegated { by, from, to } => {
                    format!(
                        "{} delegated it from {} to {}",
                        name(by),
                        name(from),
                        name(to)
                    )
                }
                TrailStep::Approved { by, comment } => match comment {
                    Some(comment) => format!("{} approved: {comment}", name(by)),
                    None => format!("{} approved", name(by)),
                },
                TrailStep::Rejected { by, reason } => format!("{} rejected: {reason}", name(by)),
                TrailStep::Reassigned { from, to, why } => {
                    format!("moved from {} to {} ({why:?})", name(from), name(to))
                }
            };
            view! { <li>{entry.at.to_string()} ": " {text}</li> }
        })
        .collect_view()
}

pub fn status_text(status: &TaskStatus) -> String {
    match status {
        TaskStatus::Open => "Open".into(),
        TaskStatus::Approved => "Approved".into(),
        TaskStatus::Rejected { reason } => format!("Rejected: {reason}"),
    }
}

/// One task as a card: what the approver decides on, its trail, and, for its
/// assignee while open, approve, reject and delegate.
fn task_card(world: &World, task: &Task, me: UserId, delegates: &[(String, String)]) -> AnyView {
    let document = world
        .document(task.document)
        .map_or_else(|| "a document".to_string(), |d| d.name.clone());
    let organisation = world
        .document(task.document)
        .and_then(|d| world.organisation(d.organisation))
        .map_or_else(String::new, |o| o.name.clone());
    // What an approver decides on: who asks to be paid, how much, by when.
    let summary = world
        .document(task.document)
        .and_then(|d| d.summary.as_deref())
        .map(|s| {
            (
                s.supplier.clone(),
                format!("{} {}", s.payable, s.currency),
                s.due_date.clone(),
            )
        });
    let mine = task.is_open() && task.assignee == me;
    let id = task.id;
    // The users the viewer sees, and anyone on the task's trail (the
    // delegator, say, of a partner environment): the core accepts both.
    let mut delegates = delegates.to_vec();
    let inactive = |p: UserId| world.user(p).is_some_and(|u| !u.is_active());
    for person in task
        .people()
        .filter(|p| *p != me && *p != task.assignee && !inactive(*p))
    {
        let key = person.to_string();
        if !delegates.iter().any(|(k, _)| *k == key) {
            if let Some(name) = world.name_of(person) {
                delegates.push((key, format!("{name} (on this task's trail)")));
            }
        }
    }
    let actions = mine.then(|| {
        view! {
            <ActionForm form=format!("approve-task:{id}")
                fields=vec![Field::text("comment", "Comment (optional)", "")]
                make=Arc::new(move |v| Some(Command::ApproveTask { task: id, comment: v.get("comment") }))
                submit_label="Approve"/>
            <ActionForm form=format!("reject-task:{id}")
                fields=vec![Field::text("reason", "Reason", "Why it is rejected")]
                make=Arc::new(move |v| Some(Command::RejectTask { task: id, reason: v.get("reason")? }))
                submit_label="Reject"/>
            <ActionForm form=format!("delegate-task:{id}")
                fields=vec![Field::select("to", "Delegate to", delegates)]
                make=Arc::new(move |v| Some(Command::DelegateTask { task: id, to: UserId(parse_id(&v.get("to")?)?) }))
                submit_label="Delegate"/>
        }
    });
    view! {
        <section class="panel" data-testid="task">
            <h2><A href=format!("/documents/{}", task.document)>{document}</A></h2>
            <p class="hint" data-testid="task-organisation">{organisation}</p>
            {summary.map(|(supplier, amount, due)| view! {
                <p data-testid="task-invoice">
                    "From " <strong data-testid="task-supplier">{supplier}</strong> ", " <strong data-testid="task-amount">{amount}</strong>
                    {due.map(|due| view! { ", due " <strong data-testid="task-due">{due}</strong> })}
                </p>
            })}
            <p>
                <strong data-testid="task-status">{status_text(&task.status)}</strong>
                ", assigned to " <span data-testid="task-assignee">{user_name(world, task.assignee)}</span>
            </p>
            {task.note.clone().map(|note| view! { <p class="hint">{note}</p> })}
            <ul class="plain hint">{trail_view(world, task)}</ul>
            {actions}
        </section>
    }
    .into_any()
}

fn tasks_view(signed_in: SignedIn) -> AnyView {
    let world = signed_in.world.clone();
    let me = signed_in.me.id;
    let Some(vis) = Visibility::of(&world, me) else {
        return ().into_any();
    };
    let mut tasks: Vec<_> = world
        .tasks()
        .filter(|t| vis.document(t.document))
        .cloned()
        .collect();
    preflight_core::util::sort::sort_unstable_by_key(&mut tasks, |t| {
        (!(t.is_open() && t.assignee == me), !t.is_open(), t.id)
    });
    let delegates = Arc::new(user_options(&world, &vis, |u| u.is_active() && u.id != me));
    let rows: Vec<Row> = tasks
        .into_iter()
        .map(|task| {
            let doc = world.document(task.document);
            let summary = doc.and_then(|d| d.summary.as_deref());
            let organisation = doc
                .and_then(|d| world.organisation(d.organisation))
                .map_or_else(String::new, |o| o.name.clone());
            let supplier = summary.map_or_else(String::new, |s| s.supplier.clone());
            let text = format!(
                "{} {organisation} {supplier} {} {}",
                doc.map_or("", |d| d.name.as_str()),
                user_name(&world, task.assignee),
                task.note.as_deref().unwrap_or("")
            );
            let keys = vec![
                summary
                    .and_then(|s| s.due_date.as_deref())
                    .map_or(Key::Missing, Key::text),
                summary.map_or(Key::Missing, |s| Key::amount(&s.payable)),
                Key::text(&organisation),
                summary.map_or(Key::Missing, |s| Key::text(&s.supplier)),
            ];
            let mut tags = Vec::new();
            if task.is_open() {
                tags.push("open");
                if task.assignee == me {
                    tags.push("mine");
                }
            } else {
                tags.push("decided");
            }
            let (world, delegates) = (Arc::clone(&world), Arc::clone(&delegates));
            let draw: Arc<dyn Fn() -> AnyView + Send + Sync> =
                Arc::new(move || task_card(&world, &task, me, &delegates));
            Row::new(text, draw).keys(keys).tags(tags)
        })
        .collect();
    let empty = rows.is_empty();
    view! {
        <PageHeader title="Tasks" testid="tasks-title"
            lead="Approval tasks on received invoices. Yours come first; delegating one shows who gains access to the document before you confirm."/>
        {if empty {
            view! { <div class="panels"><section class="panel"><p class="hint">"No tasks on documents you can see."</p></section></div> }.into_any()
        } else {
            view! {
                <PagedCards label="Tasks" testid="tasks" rows
                    filters=vec![("mine", "Open and assigned to me"), ("open", "Open"), ("decided", "Approved or rejected")]
                    sorts=vec!["Due date", "Amount", "Organisation", "Supplier"]/>
            }
            .into_any()
        }}
    }
    .into_any()
}

//! `/split`: the split simulator (DOMAIN §7). An Administrator picks the
//! organisations to split off and answers the seed's four questions; both options
//! are simulated side by side, with a recommendation, and option 1 can be applied
//! as planned (refused as `stale_plan` if its facts changed meanwhile).

use leptos::prelude::*;
use leptos_router::components::A;
use preflight_core::access::{Access, ResourceKind};
use preflight_core::split::{
    KeyImpact, SplitComparison, SplitImpact, SplitPlan, SplitQuestions, SplitStep, TaskImpact,
    TaskOutcome,
};
use preflight_core::{Command, DocumentId, Grantee, OrganisationId, World};

use std::sync::Arc;

use crate::api;
use crate::pages::{environment_name, signed_in_page, user_name, PageHeader};
use crate::session::{use_session, SignedIn};

/// The simulator's inputs and last answer, kept across renders.
#[derive(Clone, Copy)]
struct SplitState {
    selected: RwSignal<Vec<OrganisationId>>,
    questions: RwSignal<SplitQuestions>,
    answer: RwSignal<Option<Result<SplitComparison, String>>>,
    applied: RwSignal<Option<(bool, String)>>,
    /// Option 2's steps: the export's progress (0 to 1) while it runs.
    exporting: RwSignal<Option<f64>>,
    accept_loss: RwSignal<bool>,
    confirmed: RwSignal<bool>,
    /// (success, message) of the last export or authorisation.
    removal_notice: RwSignal<Option<(bool, String)>>,
    /// Of the selected organisations, the one option 2 is being carried out for
    /// (one at a time: each has its own export and authorisation).
    carrying_out: RwSignal<Option<OrganisationId>>,
}

#[component]
pub fn SplitPage() -> impl IntoView {
    let state = SplitState {
        selected: RwSignal::new(Vec::new()),
        questions: RwSignal::new(SplitQuestions::default()),
        answer: RwSignal::new(None),
        applied: RwSignal::new(None),
        exporting: RwSignal::new(None),
        accept_loss: RwSignal::new(false),
        confirmed: RwSignal::new(false),
        removal_notice: RwSignal::new(None),
        carrying_out: RwSignal::new(None),
    };
    signed_in_page(move |signed_in| split_view(signed_in, state))
}

fn actions_text(access: Access, kind: ResourceKind) -> String {
    let actions = access.actions(kind);
    if actions.is_empty() {
        "no access".into()
    } else {
        actions
            .iter()
            .map(|a| a.verb())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn org_name(world: &World, id: OrganisationId) -> String {
    world
        .organisation(id)
        .map_or_else(|| "an organisation".into(), |o| o.name.clone())
}

fn document_name(world: &World, id: DocumentId) -> String {
    world
        .document(id)
        .map_or_else(|| "a document you cannot see".into(), |d| d.name.clone())
}

fn grantee_name(world: &World, grantee: Grantee) -> String {
    match grantee {
        Grantee::User(u) => user_name(world, u),
        Grantee::Group(g) => world
            .group(g)
            .map_or_else(|| "a group".into(), |g| format!("group {}", g.name)),
        Grantee::Organisation(o) => org_name(world, o),
    }
}

/// Reasons as sentences, as a list.
fn sentences(reasons: &[preflight_core::Reason], world: &World) -> AnyView {
    let items = reasons
        .iter()
        .map(|r| view! { <li>{r.render(world)}</li> })
        .collect_view();
    view! { <ul class="reasons">{items}</ul> }.into_any()
}

/// How many items of a long list are shown before "and N more".
const SHOWN: usize = 50;

/// A list folded under its heading and count, so that every list of the plan
/// can be opened without the page growing by thousands of lines.
fn drill<T>(
    testid: &'static str,
    title: &str,
    items: &[T],
    render: impl Fn(&T) -> AnyView,
) -> AnyView {
    if items.is_empty() {
        return view! { <p class="hint" data-testid=testid>{format!("{title}: none.")}</p> }
            .into_any();
    }
    let rest = items.len().saturating_sub(SHOWN);
    let shown = items
        .iter()
        .take(SHOWN)
        .map(|item| view! { <li>{render(item)}</li> })
        .collect_view();
    view! {
        <details class="drill" data-testid=testid>
            <summary>{format!("{title} ({})", items.len())}</summary>
            <ul class="plain">{shown}</ul>
            {(rest > 0).then(|| view! { <p class="hint">{format!("and {rest} more")}</p> })}
        </details>
    }
    .into_any()
}

/// An open task the plan affects: its document, its assignee, what happens to it.
fn task_item(world: &World, t: &TaskImpact) -> AnyView {
    let outcome = match t.outcome {
        TaskOutcome::Deleted => "deleted with the document".to_string(),
        TaskOutcome::Reassigned { to } => format!("moves to {}", user_name(world, to)),
    };
    let name = document_name(world, t.document);
    let what = format!(", assigned to {}: {outcome}", user_name(world, t.assignee));
    view! { <A href=format!("/documents/{}", t.document)>{name}</A> {what} }.into_any()
}

/// A connection key that stops working, by holder and organisation.
fn key_item(world: &World, k: &KeyImpact) -> AnyView {
    view! { {format!("{}'s key for {}", user_name(world, k.holder), org_name(world, k.organisation))} }
        .into_any()
}

fn step_text(step: SplitStep) -> &'static str {
    match step {
        SplitStep::Export => "export every document (signed bundle)",
        SplitStep::AuthoriseRemoval => "an Administrator authorises the removal",
        SplitStep::ExecuteRemoval => {
            "Support removes the organisation (documents deleted irreversibly)"
        }
        SplitStep::SignUp => "someone signs up a new environment",
        SplitStep::AddOrganisation => "they add the organisation again",
        SplitStep::ActivateOrganisation => "they activate it on Peppol",
        SplitStep::ImportBundle => "they import the signed bundle",
    }
}

fn option_one(world: &World, plan: &SplitPlan) -> AnyView {
    let SplitImpact::ManageAccess(access) = &plan.impact else {
        return ().into_any();
    };
    let keep = access
        .keep
        .iter()
        .map(|k| {
            let orgs: Vec<_> = k
                .organisations
                .iter()
                .map(|o| org_name(world, *o))
                .collect();
            let orgs = if orgs.is_empty() {
                "none".to_string()
            } else {
                orgs.join(", ")
            };
            view! { <li>{user_name(world, k.user)} " keeps: " {orgs}</li> }
        })
        .collect_view();
    let changes = access
        .access_changes
        .iter()
        .map(|c| {
            let verb = if c.is_loss() { "loses" } else { "gains" };
            let class = if c.is_loss() { "change loss" } else { "change gain" };
            let grounds = |label: &'static str, reasons: &[preflight_core::Reason]| {
                if reasons.is_empty() {
                    view! { <p>{label} ": no access to the organisation."</p> }.into_any()
                } else {
                    view! { <p>{label} ", because:"</p> {sentences(reasons, world)} }.into_any()
                }
            };
            let documents = c
                .documents
                .iter()
                .map(|d| view! {
                    <li>{format!("{} document(s): ", d.documents)}
                        {actions_text(d.before, ResourceKind::Document)} " → " {actions_text(d.after, ResourceKind::Document)}
                    </li>
                })
                .collect_view();
            view! {
                <li class=class data-testid="split-option1-change">
                    <details class="drill">
                        <summary>
                            <strong>{user_name(world, c.user)}</strong> " " {verb} " " <em>{org_name(world, c.organisation)}</em> ": "
                            {actions_text(c.before, ResourceKind::Organisation)} " → " {actions_text(c.after, ResourceKind::Organisation)}
                            {format!(" ({} document(s) change)", c.n_documents())}
                        </summary>
                        {grounds("Now", &c.reasons_before)}
                        {grounds("After the plan", &c.reasons_after)}
                        <ul class="plain" data-testid="split-option1-documents">{documents}</ul>
                    </details>
                </li>
            }
        })
        .collect_view();
    let admins: Vec<_> = access
        .administrators
        .iter()
        .map(|u| user_name(world, *u))
        .collect();
    view! {
        <h3>"Who keeps which organisations"</h3>
        <ul class="plain">{keep}</ul>
        <h3>{format!("Access changes ({} membership change(s))", access.changes.len())}</h3>
        <ul class="changes">{changes}</ul>
        <p>"Administrators keep the overview: " {admins.join(", ")}</p>
        <p>{format!("Credit stays shared: {} now and after.", access.credit.balance_before)}</p>
        {drill("split-option1-keys", "Connection keys that stop working", &access.keys_revoked, |k| key_item(world, k))}
        {drill("split-option1-tasks", "Open tasks that move", &access.tasks_reassigned, |t| task_item(world, t))}
    }
    .into_any()
}

fn option_two(world: &World, plan: &SplitPlan) -> AnyView {
    let SplitImpact::FullSeparation(separation) = &plan.impact else {
        return ().into_any();
    };
    let losses = separation
        .losses
        .iter()
        .map(|loss| {
            let whose = if loss.partner {
                format!(" (of partner {})", environment_name(world, loss.home))
            } else {
                String::new()
            };
            let orgs: Vec<_> = loss
                .organisations
                .iter()
                .map(|o| org_name(world, o.organisation))
                .collect();
            let org_items = loss
                .organisations
                .iter()
                .map(|o| {
                    let why = sentences(&o.reasons, world);
                    view! {
                        <li>
                            <em>{org_name(world, o.organisation)}</em> ": "
                            {actions_text(o.access, ResourceKind::Organisation)} " → no access, with its "
                            {o.documents} " document(s). Because:"
                            {why}
                        </li>
                    }
                })
                .collect_view();
            let rest = loss.documents.len().saturating_sub(SHOWN);
            let doc_items = loss
                .documents
                .iter()
                .take(SHOWN)
                .map(|d| {
                    let name = document_name(world, d.document);
                    let why = sentences(&d.reasons, world);
                    view! {
                        <li>
                            <A href=format!("/documents/{}", d.document)>{name}</A>
                            " (" {org_name(world, d.organisation)} "): "
                            {actions_text(d.before, ResourceKind::Document)} " → " {actions_text(d.after, ResourceKind::Document)}
                            ". Because:" {why}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <li class="change loss" data-testid="split-option2-loss">
                    <details class="drill">
                        <summary>
                            <strong>{user_name(world, loss.user)}</strong> {whose} " loses "
                            {if orgs.is_empty() { String::new() } else { format!("{}, ", orgs.join(", ")) }}
                            {format!("{} document(s)", loss.n_documents())}
                        </summary>
                        <ul class="plain">{org_items}{doc_items}</ul>
                        {(rest > 0).then(|| view! { <p class="hint">{format!("and {rest} more document(s)")}</p> })}
                    </details>
                </li>
            }
        })
        .collect_view();
    let partnerships = separation
        .partnerships_to_recreate
        .iter()
        .map(|p| {
            let names = |users: &[preflight_core::UserId]| {
                if users.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", users.iter().map(|u| user_name(world, *u)).collect::<Vec<_>>().join(", "))
                }
            };
            let costs: Vec<String> = p.bears_costs_of.iter().map(|o| org_name(world, *o)).collect();
            view! {
                <li>{environment_name(world, p.partner)} ": "
                    {format!("{} member(s){}, {} share(s), {} relationship manager(s){}", p.members.len(), names(&p.members), p.shares, p.relationship_managers.len(), names(&p.relationship_managers))}
                    {(!costs.is_empty()).then(|| format!("; bears the costs of {}", costs.join(", ")))}
                </li>
            }
        })
        .collect_view();
    let tasks_deleted = separation
        .tasks
        .iter()
        .filter(|t| matches!(t.outcome, TaskOutcome::Deleted))
        .count();
    let gaps = separation
        .peppol
        .iter()
        .map(|gap| {
            let during: Vec<_> = gap.unreachable_during.iter().map(|s| step_text(*s)).collect();
            view! {
                <li data-testid="split-peppol-gap">
                    <code>{gap.participant_id.clone()}</code> " is unreachable on Peppol from the removal until: "
                    {step_text(gap.reachable_again_at)} " (during: " {during.join("; ")} ")"
                </li>
            }
        })
        .collect_view();
    let steps = separation
        .steps
        .iter()
        .map(|s| view! { <li>{step_text(*s)}</li> })
        .collect_view();
    let credit = &separation.credit;
    let exported = if separation.export_known {
        format!(
            "{} not covered by the latest export",
            separation.documents_not_exported
        )
    } else {
        "none exported yet".to_string()
    };
    view! {
        <p data-testid="split-documents-deleted"><strong>{format!("{} document(s) deleted irreversibly", separation.documents_deleted)}</strong> {format!(" ({exported})")}</p>
        <h3>"Who loses access"</h3>
        <ul class="changes">{losses}</ul>
        <p>{format!("{} share(s) removed; {} group(s) lose shares; {} open task(s) deleted, {} moved; {} connection key(s) stop working.",
            separation.shares_removed.len(), separation.groups.len(), tasks_deleted, separation.tasks.len() - tasks_deleted, separation.keys_revoked.len())}</p>
        {drill("split-shares", "Shares removed", &separation.shares_removed, |share| {
            let name = document_name(world, share.document);
            let with = format!(" shared with {} ({:?})", grantee_name(world, share.grantee), share.level);
            view! { <A href=format!("/documents/{}", share.document)>{name}</A> {with} }.into_any()
        })}
        {drill("split-groups", "Groups that lose shares", &separation.groups, |g| {
            let name = world.group(g.group).map_or_else(|| "a group".to_string(), |g| g.name.clone());
            view! { {format!("{name}: {} share(s) go; its {} member(s) lose what those gave them", g.shares, g.members.len())} }.into_any()
        })}
        {drill("split-tasks", "Open tasks", &separation.tasks, |t| task_item(world, t))}
        {drill("split-keys", "Connection keys that stop working", &separation.keys_revoked, |k| key_item(world, k))}
        {drill("split-relationship-managers", "Relationship managers whose links do not move", &separation.relationship_managers, |r| view! {
            {user_name(world, r.user)}
        }.into_any())}
        {drill("split-cost-bearing", "Cost bearing that reverts", &separation.cost_bearing, |c| view! {
            {format!("{}: {} stops bearing its costs", org_name(world, c.organisation), environment_name(world, c.bearer))}
        }.into_any())}
        <h3>"Partnerships the new environment must re-create"</h3>
        {if separation.partnerships_to_recreate.is_empty() {
            view! { <p class="hint">"None."</p> }.into_any()
        } else {
            view! { <ul class="plain">{partnerships}</ul> }.into_any()
        }}
        <p>{format!("Credit: {} now, {} after (no credit moves); the new environment starts with {}. The selection made {} of the last {} transactions ({} %).",
            credit.balance_before, credit.balance_after, credit.new_environment_credit.unwrap_or(0),
            credit.recent_transactions_of_selection, credit.recent_transactions, credit.share_percent())}</p>
        <h3>"Peppol"</h3>
        <ul class="plain">{gaps}</ul>
        <h3>"The steps"</h3>
        <ol>{steps}</ol>
    }
    .into_any()
}

/// Option 2, carried out for the plan's first organisation: export (download
/// with progress), then the Administrator's explicit authorisation; Support
/// executes the removal; the new environment imports the bundle from the
/// organisation's page.
fn removal_steps(world: &Arc<World>, plan: &SplitPlan, state: SplitState) -> AnyView {
    let session = use_session();
    let chosen = state
        .carrying_out
        .get()
        .filter(|o| plan.organisations.contains(o));
    let Some(organisation) = chosen.or_else(|| plan.organisations.first().copied()) else {
        return ().into_any();
    };
    let name = org_name(world, organisation);
    let mut choices: Vec<(OrganisationId, String)> = plan
        .organisations
        .iter()
        .map(|o| (*o, org_name(world, *o)))
        .collect();
    super::sort_by_label(&mut choices);
    let picker = (choices.len() > 1).then(|| {
        let options = choices
            .into_iter()
            .map(|(id, label)| view! { <option value=id.to_string() selected=id == organisation>{label}</option> })
            .collect_view();
        view! {
            <label class="field">
                <span>"One organisation at a time: carry out option 2 for"</span>
                <select data-testid="split-carry-out-organisation" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    let picked = super::organisation::parse_id(&value).map(OrganisationId);
                    state.removal_notice.set(None);
                    state.accept_loss.set(false);
                    state.confirmed.set(false);
                    state.carrying_out.set(picked);
                }>{options}</select>
            </label>
        }
    });
    let documents: Vec<_> = world.documents_of(organisation).collect();
    let export = world.export_of(organisation).cloned();
    let not_exported = export.as_ref().map_or(documents.len(), |e| {
        documents
            .iter()
            .filter(|d| e.documents.binary_search(d).is_err())
            .count()
    });
    let offline = session.is_offline();
    let export_action = Action::new_local(move |_: &()| async move {
        state.exporting.set(Some(0.0));
        let url = format!("/api/organisations/{organisation}/export");
        let result = api::transfer(
            "POST",
            &url,
            "application/octet-stream",
            None,
            move |share| {
                state.exporting.set(Some(share));
            },
        )
        .await;
        state.exporting.set(None);
        // The export is recorded: show it, and the plan against it, at once.
        let _ = session.reload().await;
        if result.is_ok() {
            let selected = state.selected.get_untracked();
            let questions = state.questions.get_untracked();
            if let Ok(comparison) = session.compare_split(selected, questions).await {
                state.answer.set(Some(Ok(comparison)));
            }
        }
        state.removal_notice.set(Some(match result {
            Ok(bundle) => {
                let digest = bundle.digest.unwrap_or_default();
                let short: String = digest.chars().take(12).collect();
                match crate::components::offer_file(
                    &bundle.bytes,
                    "application/x-tar",
                    &format!("export-{short}.tar"),
                ) {
                    Ok(()) => (
                        true,
                        format!(
                            "Exported and downloaded ({} KB, digest {short}…). Keep the file: the new environment imports it.",
                            bundle.bytes.len().div_ceil(1024)
                        ),
                    ),
                    Err(message) => (false, message),
                }
            }
            Err(error) => (false, error.message()),
        }));
    });
    let export_line = match &export {
        Some(e) => format!(
            "Latest export: {} document(s), by {} on {}, digest {}…",
            e.documents.len(),
            user_name(world, e.by),
            e.at.to_utc_string(),
            &e.digest.to_hex()[..12]
        ),
        None => "Not exported yet.".to_string(),
    };
    let plan_for_command = plan.clone();
    let export_digest = export.as_ref().map(|e| e.digest);
    let authorise = Action::new_local(move |_: &()| {
        let command = export_digest.map(|export| Command::AuthoriseRemoval {
            organisation,
            export,
            accept_loss: state.accept_loss.get_untracked(),
            plan: Some(Box::new(plan_for_command.clone())),
        });
        async move {
            let Some(command) = command else { return };
            let result = session.submit(&command, None).await;
            state.removal_notice.set(Some(match result {
                Ok(_) => (true, "Removal authorised. Platform Support executes it; then sign up the new environment, add and activate the organisation, and import the bundle on its page.".into()),
                Err(error) => (false, format!("{} Simulate again to see the plan as things are now.", error.message())),
            }));
        }
    });
    let authorised = world.removal_of(organisation).map(|r| {
        format!(
            "Authorised by {} on {}{}: waiting for platform Support to execute it.",
            user_name(world, r.by),
            r.at.to_utc_string(),
            if r.accept_loss {
                ", accepting the loss of unexported documents"
            } else {
                ""
            }
        )
    });
    let n_documents = documents.len();
    let needs_loss = export.is_some() && not_exported > 0;
    let confirm_text = format!(
        "I understand: platform Support will delete all {n_documents} document(s) of {name} irreversibly; its memberships, shares, tasks and connection keys go; it cannot receive on Peppol until it is activated again in the new environment."
    );
    view! {
        <div class="removal" data-testid="split-carry-out">
            <h3>{format!("Carry out option 2 for {name}")}</h3>
            {picker}
            <ol class="steps">
                <li>
                    <strong>"Export. "</strong> <span data-testid="split-export-status">{export_line}</span>
                    <div class="row">
                        <button type="button" data-testid="split-export"
                            disabled=move || offline || export_action.pending().get()
                            on:click=move |_| { export_action.dispatch(()); }>
                            "Export and download the bundle"
                        </button>
                        {offline.then(|| view! { <span class="hint">"Exports are made by the server; the offline demo has none."</span> })}
                        {move || state.exporting.get().map(|share| view! {
                            <progress data-testid="split-export-progress" max="100" value=api::percent(share)></progress>
                        })}
                    </div>
                </li>
                <li>
                    <strong>"Authorise the removal. "</strong>
                    {match (&export, authorised.clone()) {
                        (_, Some(text)) => view! { <span data-testid="split-authorised">{text}</span> }.into_any(),
                        (None, None) => view! { <span class="hint">"Export first, so that nothing is lost."</span> }.into_any(),
                        (Some(_), None) => view! {
                            <div class="stack">
                                {needs_loss.then(|| view! {
                                    <label class="check">
                                        <input type="checkbox" data-testid="split-accept-loss"
                                            prop:checked=move || state.accept_loss.get()
                                            on:change=move |ev| state.accept_loss.set(event_target_checked(&ev))/>
                                        {format!("{not_exported} document(s) arrived after the export and will be lost: accept that loss")}
                                    </label>
                                })}
                                <label class="check">
                                    <input type="checkbox" data-testid="split-confirm"
                                        prop:checked=move || state.confirmed.get()
                                        on:change=move |ev| state.confirmed.set(event_target_checked(&ev))/>
                                    {confirm_text}
                                </label>
                                <button type="button" class="danger" data-testid="split-authorise"
                                    disabled=move || !state.confirmed.get() || (needs_loss && !state.accept_loss.get()) || authorise.pending().get()
                                    on:click=move |_| { authorise.dispatch(()); }>
                                    "Authorise the removal"
                                </button>
                            </div>
                        }.into_any(),
                    }}
                </li>
                <li><strong>"Support removes it. "</strong> "Only platform Support executes a removal, and only with your authorisation."</li>
                <li><strong>"Recreate it. "</strong> "Someone signs up the new environment, adds the organisation with the same Peppol identifier and activates it, then imports the bundle on the organisation's page."</li>
            </ol>
            {move || state.removal_notice.get().map(|(ok, message)| {
                let class = if ok { "notice success" } else { "notice warning" };
                view! { <p class=class role="status" data-testid="split-removal-notice">{message}</p> }
            })}
        </div>
    }
    .into_any()
}

fn split_view(signed_in: SignedIn, state: SplitState) -> AnyView {
    let session = use_session();
    let world = signed_in.world.clone();
    let me = signed_in.me.clone();
    let mut organisations: Vec<_> = world
        .organisations()
        .filter(|o| o.environment == me.environment)
        .map(|o| (o.id, o.name.clone()))
        .collect();
    super::sort_by_label(&mut organisations);
    let boxes = organisations
        .into_iter()
        .map(|(id, name)| {
            let checked = move || state.selected.get().contains(&id);
            view! {
                <label class="check">
                    <input type="checkbox" data-testid="split-organisation" value=id.to_string()
                        prop:checked=checked
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            state.answer.set(None);
                            state.selected.update(|s| {
                                s.retain(|o| *o != id);
                                if on { s.push(id); }
                            });
                        }/>
                    {name}
                </label>
            }
        })
        .collect_view();
    let question = |label: &'static str,
                    testid: &'static str,
                    get: fn(&SplitQuestions) -> bool,
                    set: fn(&mut SplitQuestions, bool)| {
        view! {
            <label class="check">
                <input type="checkbox" data-testid=testid prop:checked=move || get(&state.questions.get())
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        state.answer.set(None);
                        state.questions.update(|q| set(q, on));
                    }/>
                {label}
            </label>
        }
    };
    let simulate = Action::new_local(move |_: &()| {
        let selected = state.selected.get_untracked();
        let questions = state.questions.get_untracked();
        async move {
            state.applied.set(None);
            let answer = session
                .compare_split(selected, questions)
                .await
                .map_err(|e| e.message());
            state.answer.set(Some(answer));
        }
    });
    let apply = Action::new_local(move |plan: &SplitPlan| {
        let command = Command::ApplyAccessPlan {
            plan: Box::new(plan.clone()),
        };
        async move {
            let result = session.submit(&command, None).await;
            state.applied.set(Some(match result {
                Ok(_) => (true, "Applied.".to_string()),
                Err(error) => (
                    false,
                    format!(
                        "{} Simulate again to see the plan as things are now.",
                        error.message()
                    ),
                ),
            }));
        }
    });
    let not_admin = !preflight_core::check(
        &world,
        me.id,
        preflight_core::Action::SplitEnvironment,
        preflight_core::Resource::Environment(me.environment),
    )
    .allowed;
    let answer_world = world.clone();
    let answer = move || {
        let world = answer_world.clone();
        match state.answer.get()? {
            Err(message) => Some(view! { <p class="notice warning" role="alert" data-testid="split-error">{message}</p> }.into_any()),
            Ok(comparison) => {
                let plan = comparison.manage_access.clone();
                Some(view! {
                    <p class="notice success" data-testid="split-recommendation">
                        <strong>"Recommended: " {comparison.recommendation.option.to_string()}</strong> ". " {comparison.recommendation.reason.clone()}
                    </p>
                    <div class="panels">
                        <section class="panel" data-testid="split-option1">
                            <h2>"Option 1: manage access per organisation"</h2>
                            <p class="hint">"One environment; the plan is a set of membership changes."</p>
                            {option_one(&world, &comparison.manage_access)}
                            <button type="button" class="primary" data-testid="split-apply-option1"
                                disabled=move || apply.pending().get()
                                on:click=move |_| { apply.dispatch(plan.clone()); }>
                                "Apply option 1 as planned"
                            </button>
                            {move || state.applied.get().map(|(ok, message)| {
                                let class = if ok { "notice success" } else { "notice warning" };
                                view! { <p class=class role="status" data-testid="split-applied">{message}</p> }
                            })}
                        </section>
                        <section class="panel" data-testid="split-option2">
                            <h2>"Option 2: full separation"</h2>
                            <p class="hint">"The organisation leaves and is recreated in a new environment with its own credit, users and settings."</p>
                            {option_two(&world, &comparison.full_separation)}
                            {
                                let (world, plan) = (world.clone(), comparison.full_separation.clone());
                                move || removal_steps(&world, &plan, state)
                            }
                        </section>
                    </div>
                }.into_any())
            }
        }
    };
    view! {
        <PageHeader title="Split the environment" testid="split-title"
            lead="Simulate both ways of splitting organisations off, side by side, before anything changes."/>
        {not_admin.then(|| view! { <p class="notice warning" data-testid="split-not-admin">"Only an Administrator of the environment may simulate or execute a split."</p> })}
        <section class="panel wide">
            <fieldset class="choices">
                <legend>"Organisations to split off"</legend>
                {boxes}
            </fieldset>
            <fieldset class="choices">
                <legend>"Which option suits you?"</legend>
                {question("The organisation needs its own credit", "split-q-credit", |q| q.separate_credit, |q, on| q.separate_credit = on)}
                {question("Employees should see only their organisations", "split-q-restrict", |q| q.restrict_employees, |q, on| q.restrict_employees = on)}
                {question("The client will manage their own account", "split-q-own-account", |q| q.client_manages_own_account, |q, on| q.client_manages_own_account = on)}
                {question("Keep one central overview", "split-q-overview", |q| q.central_overview, |q, on| q.central_overview = on)}
            </fieldset>
            <button type="button" class="primary" data-testid="split-simulate"
                disabled=move || state.selected.get().is_empty() || simulate.pending().get()
                on:click=move |_| { simulate.dispatch(()); }>
                {move || if simulate.pending().get() { "Simulating…" } else { "Simulate both options" }}
            </button>
        </section>
        {answer}
    }
    .into_any()
}

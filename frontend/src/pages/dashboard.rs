use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::A;
use preflight_core::peppol::participant::Scheme;
use preflight_core::project::Visibility;
use preflight_core::{
    Action, Command, OrgStatus, OrganisationId, RequestStatus, RequestTarget, Resource, World,
};

use crate::components::action_form::{ActionForm, Field};
use crate::components::paged::{Key, PagedTable, Row};
use crate::pages::refusal;
use crate::session::SignedIn;

/// Adding an organisation (DOMAIN §1, §4): its legal name and Peppol
/// identifier, a scheme of DOMAIN §6 and the number, checked by core as it is
/// typed (format and check digits), its availability by the server.
/// Shown only to whom core allows it: on a dashboard, a disabled form would
/// be noise to every user who is not an Administrator.
fn add_organisation() -> impl IntoView {
    let schemes = Scheme::all()
        .iter()
        .map(|s| (s.code().to_string(), format!("{} {}", s.code(), s.name())))
        .collect();
    view! {
        <section class="panel wide" aria-labelledby="add-org-heading" data-testid="dashboard-add-organisation">
            <h2 id="add-org-heading">"Add an organisation"</h2>
            <p class="hint">"A company your environment runs: once added, activate it to register it on Peppol and send and receive invoices."</p>
            <ActionForm form="add-organisation".to_string()
                fields=vec![
                    Field::text("name", "Legal name", "Bakery BV"),
                    Field::Select { name: "scheme", label: "Identifier scheme", options: schemes, placeholder: false },
                    Field::text("number", "Identifier", "0000000097"),
                ]
                make=Arc::new(|v| Some(Command::AddOrganisation {
                    name: v.get("name")?,
                    participant_id: format!("{}:{}", v.get("scheme")?, v.get("number")?.trim()),
                }))
                submit_label="Add organisation"/>
        </section>
    }
}

/// `/` when signed in: my organisations, credit, requests and tasks.
#[component]
pub fn Dashboard(signed_in: SignedIn) -> impl IntoView {
    let world = signed_in.world.clone();
    let me = signed_in.me.clone();
    let adding = refusal(
        &signed_in,
        Action::AddOrganisations,
        Resource::Environment(me.environment),
    );
    let Some(vis) = Visibility::of(&world, me.id) else {
        return view! {
            <div class="error" role="alert" data-testid="dashboard-error">
                "Your account is not active: it sees nothing."
            </div>
        }
        .into_any();
    };
    let env_name = |id| {
        world
            .environment(id)
            .map_or_else(|| "another environment".to_string(), |e| e.name.clone())
    };

    let mut organisations: Vec<_> = world
        .organisations()
        .filter(|org| vis.organisation(org.id))
        .collect();
    organisations.sort_by_key(|org| org.name.to_lowercase());
    // Open approval tasks per organisation, on the documents the viewer sees.
    let mut open_tasks: std::collections::HashMap<OrganisationId, usize> = Default::default();
    for task in world
        .tasks()
        .filter(|t| t.is_open() && vis.document(t.document))
    {
        if let Some(doc) = world.document(task.document) {
            *open_tasks.entry(doc.organisation).or_default() += 1;
        }
    }
    let organisations: Vec<Row> = organisations
        .into_iter()
        .map(|org| {
            let status = match org.status {
                OrgStatus::Active => "Registered on Peppol",
                OrgStatus::Inactive => "Not registered",
                OrgStatus::Removed => "Removed",
            };
            let bearer = if org.cost_bearer == org.environment {
                format!("{} (own)", env_name(org.cost_bearer))
            } else {
                env_name(org.cost_bearer)
            };
            let tasks = open_tasks.get(&org.id).copied().unwrap_or(0);
            // What needs someone's attention for this client, most pressing first.
            let mut attention = Vec::new();
            let mut tags = Vec::new();
            if world.environment(org.cost_bearer).is_some_and(|e| e.flagged()) {
                attention.push("balance negative: sending stops".to_string());
            }
            if org.status == OrgStatus::Inactive {
                attention.push("not on Peppol yet: activate it".to_string());
                tags.push("inactive");
            }
            if tasks > 0 {
                attention.push(format!(
                    "{tasks} invoice{} awaiting approval",
                    if tasks == 1 { "" } else { "s" }
                ));
                tags.push("tasks");
            }
            if !attention.is_empty() {
                tags.push("attention");
            }
            let (id, name, participant) = (org.id, org.name.clone(), org.participant_id.clone());
            let documents = world.document_count(org.id);
            let attention_text = attention.join("; ");
            let text = format!("{name} {participant} {status} {bearer} {attention_text}");
            // What needs attention comes right after the name: on a phone,
            // it is what shows without scrolling sideways.
            let keys = vec![
                Key::text(&name),
                Key::Number(attention.len() as i64),
                Key::Number(documents as i64),
                Key::text(status),
                Key::text(&bearer),
            ];
            let draw: Arc<dyn Fn() -> AnyView + Send + Sync> = Arc::new(move || {
                let name = name.clone();
                let attention = if attention_text.is_empty() {
                    view! { <span class="hint">"Nothing"</span> }.into_any()
                } else {
                    view! { <strong data-testid="organisation-attention">{attention_text.clone()}</strong> }.into_any()
                };
                view! {
                    <tr data-testid="dashboard-organisation">
                        <td><A href=format!("/organisations/{id}")>{name}</A></td>
                        <td>{attention}</td>
                        <td class="num">{documents}</td>
                        <td><span class="badge">{status}</span> " " <code>{participant.clone()}</code></td>
                        <td>{bearer.clone()}</td>
                    </tr>
                }
                .into_any()
            });
            Row::new(text, draw).keys(keys).tags(tags)
        })
        .collect();
    let n_organisations = organisations.len();

    let shared: Vec<_> = world
        .documents()
        .filter(|doc| vis.document(doc.id) && !vis.organisation(doc.organisation))
        .map(|doc| {
            let organisation = world
                .organisation(doc.organisation)
                .map_or_else(String::new, |o| o.name.clone());
            let name = doc.name.clone();
            view! {
                <li data-testid="shared-document">
                    <A href=format!("/documents/{}", doc.id)>{name}</A>
                    <span class="hint">" of " {organisation} ", " {doc.doc_box.to_string()}</span>
                </li>
            }
        })
        .collect();

    let credit = world.environment(me.environment).map(|env| {
        view! {
            <p class="figure" data-testid="credit">{env.credit}</p>
            <p class="hint">"transaction credits, plan " {env.plan.to_string()}</p>
            {env.flagged().then(|| view! {
                <p class="notice warning" role="status" data-testid="credit-flagged">
                    "The balance is negative: invoices still arrive, but nothing can be sent until Support tops it up."
                </p>
            })}
        }
    });

    let requests: Vec<_> = world
        .requests()
        .filter(|request| request.status == RequestStatus::Pending)
        .map(|request| {
            let from = world
                .user(request.from_user)
                .map_or_else(|| env_name(request.from_environment), |u| format!("{} ({})", u.name, env_name(request.from_environment)));
            let to = match &request.target {
                RequestTarget::Email { email } => email.clone(),
                RequestTarget::Environment { environment } => env_name(*environment),
            };
            view! {
                <li data-testid="pending-request">
                    "From " {from} " to " {to} <span class="hint">", " {request.at.to_string()}</span>
                </li>
            }
        })
        .collect();

    let tasks: Vec<_> = world
        .open_tasks_of(me.id)
        .iter()
        .filter_map(|task| world.task(*task))
        .map(|task| {
            let document = document_name(&world, task.document);
            view! {
                <li data-testid="open-task">
                    <A href=format!("/documents/{}", task.document)>{document}</A>
                    {task.note.clone().map(|note| view! { <span class="hint">" — " {note}</span> })}
                </li>
            }
        })
        .collect();

    view! {
        <h1 data-testid="dashboard-title">"Hello, " {me.name.clone()}</h1>
        <div class="panels">
            <section class="panel wide" aria-labelledby="orgs-heading" data-testid="dashboard-organisations">
                <h2 id="orgs-heading">"Organisations you see (" {n_organisations} ")"</h2>
                {if organisations.is_empty() && adding.is_none() {
                    view! { <p class="hint" data-testid="no-organisation">"Your environment has no organisation yet: add the first one below."</p> }.into_any()
                } else if organisations.is_empty() {
                    view! { <p class="hint">"You are not a member of any organisation."</p> }.into_any()
                } else {
                    view! {
                        <PagedTable label="Organisations" testid="organisations"
                            head=vec!["Organisation", "Needs attention", "Documents", "Peppol", "Cost bearer"]
                            rows=organisations
                            filters=vec![
                                ("attention", "Needing attention"),
                                ("tasks", "With invoices awaiting approval"),
                                ("inactive", "Not on Peppol yet"),
                            ]/>
                    }
                    .into_any()
                }}
            </section>
            {adding.is_none().then(add_organisation)}
            <section class="panel" aria-labelledby="credit-heading" data-testid="dashboard-credit">
                <h2 id="credit-heading">"Credit of " {signed_in.environment_name.clone()}</h2>
                {credit}
            </section>
            <section class="panel" aria-labelledby="shared-heading" data-testid="dashboard-shared">
                <h2 id="shared-heading">"Documents shared with you"</h2>
                {if shared.is_empty() {
                    view! { <p class="hint">"None outside your organisations."</p> }.into_any()
                } else {
                    view! { <ul class="plain">{shared}</ul> }.into_any()
                }}
            </section>
            <section class="panel" aria-labelledby="requests-heading" data-testid="dashboard-requests">
                <h2 id="requests-heading">"Pending authorisation requests"</h2>
                {if requests.is_empty() {
                    view! { <p class="hint">"None."</p> }.into_any()
                } else {
                    view! { <ul class="plain">{requests}</ul> }.into_any()
                }}
            </section>
            <section class="panel" aria-labelledby="tasks-heading" data-testid="dashboard-tasks">
                <h2 id="tasks-heading">"Your open tasks"</h2>
                {if tasks.is_empty() {
                    view! { <p class="hint">"None."</p> }.into_any()
                } else {
                    view! { <ul class="plain">{tasks}</ul> }.into_any()
                }}
            </section>
        </div>
    }
    .into_any()
}

fn document_name(world: &World, document: preflight_core::DocumentId) -> String {
    world
        .document(document)
        .map_or_else(|| "a document".to_string(), |doc| doc.name.clone())
}

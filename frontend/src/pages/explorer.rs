//! `/explorer`: the access explorer. Any user and any resource the viewer may see:
//! allowed or not, with the reasons; who can see a document; what a user can see.
//! Every answer is computed here, in the browser, by `preflight-core`.

use leptos::prelude::*;
use leptos_router::components::A;
use preflight_core::access::ResourceKind;
use preflight_core::project::Visibility;
use preflight_core::{check, what_can, Action, DocumentId, OrganisationId, Resource, UserId};

use crate::components::reasons::{reason_items, viewer_items, ReasonList};
use crate::pages::organisation::parse_id;
use crate::pages::{signed_in_page, user_name, user_options, PageHeader};
use crate::session::SignedIn;

/// The explorer's choices, kept across renders.
#[derive(Clone, Copy)]
struct Choices {
    user: RwSignal<String>,
    resource: RwSignal<String>,
    filter: RwSignal<String>,
}

#[component]
pub fn ExplorerPage() -> impl IntoView {
    let choices = Choices {
        user: RwSignal::new(String::new()),
        resource: RwSignal::new(String::new()),
        filter: RwSignal::new(String::new()),
    };
    signed_in_page(move |signed_in| explorer_view(signed_in, choices))
}

/// `d:<id>` or `o:<id>`.
fn resource_of(value: &str) -> Option<Resource> {
    let (kind, id) = value.split_once(':')?;
    let id = parse_id(id)?;
    match kind {
        "d" => Some(Resource::Document(DocumentId(id))),
        "o" => Some(Resource::Organisation(OrganisationId(id))),
        _ => None,
    }
}

fn explorer_view(signed_in: SignedIn, choices: Choices) -> AnyView {
    let world = signed_in.world.clone();
    let me = signed_in.me.id;
    let Some(vis) = Visibility::of(&world, me) else {
        return ().into_any();
    };
    let users = user_options(&world, &vis, |_| true);
    let mut resources: Vec<(String, String)> = world
        .organisations()
        .filter(|o| vis.organisation(o.id))
        .map(|o| (format!("o:{}", o.id), format!("Organisation {}", o.name)))
        .collect();
    super::sort_by_label(&mut resources);
    let mut documents: Vec<(String, String)> = world
        .documents()
        .filter(|d| vis.document(d.id))
        .map(|d| {
            let org = world
                .organisation(d.organisation)
                .map_or_else(String::new, |o| o.name.clone());
            (
                format!("d:{}", d.id),
                format!("{} ({org}, {})", d.name, d.doc_box),
            )
        })
        .collect();
    super::sort_by_label(&mut documents);
    resources.extend(documents);

    let user_select = users
        .iter()
        .map(|(v, l)| view! { <option value=v.clone()>{l.clone()}</option> })
        .collect_view();
    let resource_select = resources
        .iter()
        .map(|(v, l)| view! { <option value=v.clone()>{l.clone()}</option> })
        .collect_view();

    // The check: every action of the resource's kind, with reasons.
    let check_world = world.clone();
    let answer = move || {
        let world = check_world.clone();
        let user = UserId(parse_id(&choices.user.get())?);
        let resource = resource_of(&choices.resource.get())?;
        let vis = Visibility::of(&world, me)?;
        if !vis.pair(user, resource) {
            return Some(
                view! {
                    <p class="notice warning" data-testid="explorer-hidden">
                        "You may not see this user's access to that: it lies outside what your account sees."
                    </p>
                }
                .into_any(),
            );
        }
        let actions: Vec<Action> = resource.kind().actions().to_vec();
        let rows = actions
            .into_iter()
            .map(|action| {
                let decision = check(&world, user, action, resource);
                let (class, verdict) = if decision.allowed {
                    ("allowed", "may")
                } else {
                    ("denied", "may not")
                };
                view! {
                    <li class=class data-testid="explorer-decision">
                        <strong>{format!("{} {verdict} {}", user_name(&world, user), action.verb())}</strong>
                        <ReasonList decision world=world.clone()/>
                    </li>
                }
            })
            .collect_view();
        Some(view! { <ul class="plain decisions">{rows}</ul> }.into_any())
    };

    // Who can see the chosen document.
    let who_world = world.clone();
    let who = move || {
        let world = who_world.clone();
        let resource @ Resource::Document(_) = resource_of(&choices.resource.get())? else {
            return None;
        };
        let vis = Visibility::of(&world, me)?;
        let items = viewer_items(&world, &vis, resource, "explorer-viewer");
        Some(view! {
            <h3>"Who can see this document"</h3>
            <ul class="plain">{items}</ul>
        })
    };

    // What the chosen user can see, filtered.
    let what_world = world.clone();
    let what = move || {
        let world = what_world.clone();
        let user = UserId(parse_id(&choices.user.get())?);
        let vis = Visibility::of(&world, me)?;
        let needle = choices.filter.get().to_lowercase();
        let mut found: Vec<_> = what_can(&world, user, Action::View, ResourceKind::Document)
            .into_iter()
            .filter(|a| vis.pair(user, a.resource))
            .map(|a| (a.resource.name(&world), a))
            .filter(|(name, _)| needle.is_empty() || name.to_lowercase().contains(&needle))
            .collect();
        preflight_core::util::sort::sort_unstable_by(&mut found, |a, b| {
            a.0.cmp(&b.0).then_with(|| a.1.resource.cmp(&b.1.resource))
        });
        let n = found.len();
        let items = found
            .into_iter()
            .take(200)
            .map(|(name, a)| {
                let href = match a.resource {
                    Resource::Document(d) => format!("/documents/{d}"),
                    Resource::Organisation(o) => format!("/organisations/{o}"),
                    Resource::Environment(_) => "/users".to_string(),
                };
                view! {
                    <li data-testid="explorer-visible">
                        <A href=href>{name}</A>
                        {reason_items(&a.reasons, &world)}
                    </li>
                }
            })
            .collect_view();
        Some(view! {
            <h3 data-testid="explorer-what-count">{format!("What {} can see: {n} document(s)", user_name(&world, user))}</h3>
            <ul class="plain">{items}</ul>
        })
    };

    view! {
        <PageHeader title="Access explorer" testid="explorer-title"
            lead="Pick a user and a resource: whether they may act on it and why, who can see a document, and everything a user can see. Only what your own account may see is shown."/>
        <div class="panels">
            <section class="panel wide">
                <form class="form" on:submit=|ev| ev.prevent_default()>
                    <label for="explorer-user">"User"</label>
                    <select id="explorer-user" data-testid="explorer-user" prop:value=move || choices.user.get()
                        on:change=move |ev| choices.user.set(event_target_value(&ev))>
                        <option value="">"Choose a user…"</option>
                        {user_select}
                    </select>
                    <label for="explorer-resource">"Resource"</label>
                    <select id="explorer-resource" data-testid="explorer-resource" prop:value=move || choices.resource.get()
                        on:change=move |ev| choices.resource.set(event_target_value(&ev))>
                        <option value="">"Choose an organisation or a document…"</option>
                        {resource_select}
                    </select>
                </form>
                {answer}
                {who}
            </section>
            <section class="panel wide">
                <label for="explorer-filter">"Filter what the user can see"</label>
                <input id="explorer-filter" type="search" data-testid="explorer-filter" placeholder="Part of a document's name"
                    prop:value=move || choices.filter.get()
                    on:input=move |ev| choices.filter.set(event_target_value(&ev))/>
                {what}
            </section>
        </div>
    }
    .into_any()
}

//! What a platform Support operator sees: the removals Administrators
//! authorised (DOMAIN §7, option 2, step 3), each executed only after an
//! explicit confirmation of what is irreversible. Support has no projection of
//! any environment; the list comes from the server.

use leptos::prelude::*;
use preflight_core::{Command, OrganisationId};

use crate::api::{self, PendingRemoval};

#[component]
pub fn SupportHome(email: String) -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let removals = LocalResource::new(move || {
        refresh.track();
        api::removals()
    });
    let confirmed = RwSignal::new(None::<OrganisationId>);
    let notice = RwSignal::new(None::<(bool, String)>);
    let execute = Action::new_local(move |removal: &PendingRemoval| {
        let command = Command::ExecuteRemoval {
            organisation: removal.organisation,
        };
        let name = removal.organisation_name.clone();
        async move {
            let result = api::submit(&command, None).await;
            notice.set(Some(match result {
                Ok(_) => (
                    true,
                    format!("{name} is removed: its documents are deleted, and nothing the platform stores can give them back."),
                ),
                Err(error) => (false, format!("{name} was not removed: {}", error.message())),
            }));
            confirmed.set(None);
            refresh.update(|n| *n += 1);
        }
    });
    let row = move |r: PendingRemoval| {
        let id = r.organisation;
        let loss = if r.documents_not_exported > 0 {
            format!(
                "{} of them are not in the export: the Administrator accepted losing them.",
                r.documents_not_exported
            )
        } else {
            "Every one of them is in the export.".to_string()
        };
        let confirm = format!(
            "I am removing {} ({}): its {} document(s) are deleted irreversibly, its memberships, shares, tasks and connection keys go, and it is deregistered from Peppol.",
            r.organisation_name, r.environment_name, r.documents
        );
        let pending = r.clone();
        view! {
            <li class="removal" data-testid="support-removal">
                <h3>{r.organisation_name.clone()} " " <code>{r.participant_id.clone()}</code></h3>
                <p>{format!("Environment {}; authorised by {} on {}.", r.environment_name, r.authorised_by, r.at.to_utc_string())}</p>
                <p>{format!("{} document(s), export {}… .", r.documents, r.export.chars().take(12).collect::<String>())} " " {loss}</p>
                <label class="check">
                    <input type="checkbox" data-testid="support-confirm"
                        prop:checked=move || confirmed.get() == Some(id)
                        on:change=move |ev| confirmed.set(event_target_checked(&ev).then_some(id))/>
                    {confirm}
                </label>
                <button type="button" class="danger" data-testid="support-execute"
                    disabled=move || confirmed.get() != Some(id) || execute.pending().get()
                    on:click=move |_| { execute.dispatch(pending.clone()); }>
                    "Execute the removal"
                </button>
            </li>
        }
    };
    view! {
        <section class="panel wide" data-testid="support-session">
            <h1>"Platform Support"</h1>
            <p class="hint">"Signed in as " <code>{email}</code> ". Support sees no environment's documents; it manages environments' plans, add-ons and credit, and executes the removals that an Administrator authorised."</p>
            <crate::pages::support_environments::SupportEnvironments/>
            <h2>"Removals to execute"</h2>
            {move || notice.get().map(|(ok, message)| {
                let class = if ok { "notice success" } else { "notice warning" };
                view! { <p class=class role="status" data-testid="support-notice">{message}</p> }
            })}
            <Transition fallback=|| view! { <p class="loading">"Loading the removals…"</p> }>
                {move || removals.get().map(|answer| match answer {
                    Err(error) => view! { <p class="notice warning" role="alert">{error.message()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="hint" data-testid="support-none">"No removal is waiting."</p> }.into_any(),
                    Ok(list) => view! { <ul class="plain">{list.into_iter().map(row).collect_view()}</ul> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

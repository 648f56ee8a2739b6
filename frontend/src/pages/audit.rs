//! `/audit`: the environment's audit log (Administrators), newest first,
//! filterable by what was done and by outcome.

use leptos::prelude::*;
use preflight_core::Actor;

use crate::pages::{signed_in_page, user_name, PageHeader};
use crate::session::{use_session, SignedIn};

#[component]
pub fn AuditPage() -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    signed_in_page(move |signed_in| audit_view(signed_in, filter, outcome))
}

fn audit_view(signed_in: SignedIn, filter: RwSignal<String>, outcome: RwSignal<String>) -> AnyView {
    let session = use_session();
    let world = signed_in.world.clone();
    // Loaded again whenever the world changes (a command, a live event).
    let version = world.version();
    let entries = LocalResource::new(move || {
        let _ = version;
        session.audit()
    });
    // Older pages, fetched on request; `more`: whether the last page was full.
    let older: RwSignal<Vec<crate::api::AuditEntry>> = RwSignal::new(Vec::new());
    let more = RwSignal::new(None::<bool>);
    let older_error = RwSignal::new(None::<String>);
    let load_older = Action::new_local(move |before: &i64| {
        let before = *before;
        async move {
            match session.audit_older(before).await {
                Ok(page) => {
                    more.set(Some(page.len() >= crate::api::AUDIT_PAGE));
                    older.update(|o| o.extend(page));
                }
                Err(error) => older_error.set(Some(error.message())),
            }
        }
    });
    let oldest = move || {
        older.with(|o| o.last().and_then(|e| e.id)).or_else(|| {
            entries
                .get()
                .and_then(Result::ok)
                .and_then(|e| e.last().and_then(|e| e.id))
        })
    };
    let can_load_more = move || match more.get() {
        Some(more) => more,
        None => entries.get().and_then(Result::ok).is_some_and(|e| {
            e.len() >= crate::api::AUDIT_PAGE && e.last().is_some_and(|e| e.id.is_some())
        }),
    };
    let table = move || {
        let world = world.clone();
        let entries = entries.get().map(|first| {
            first.map(|mut all| {
                all.extend(older.get());
                all
            })
        });
        match entries {
            None => view! { <p class="loading" data-testid="audit-loading">"Loading the log…"</p> }.into_any(),
            Some(Err(error)) => view! {
                <p class="notice warning" role="alert" data-testid="audit-error">{error.message()}</p>
            }
            .into_any(),
            Some(Ok(entries)) => {
                let needle = filter.get().to_lowercase();
                let wanted = outcome.get();
                let rows: Vec<_> = entries
                    .into_iter()
                    .filter(|e| wanted.is_empty() || e.outcome == wanted)
                    .map(|e| {
                        let what = crate::pages::audit_words::describe(&e.command, &world);
                        (e, what)
                    })
                    .filter(|(e, what)| {
                        needle.is_empty()
                            || what.to_lowercase().contains(&needle)
                            || e.command.kind().to_lowercase().contains(&needle)
                    })
                    .map(|(e, what)| {
                        let who = match &e.actor {
                            Actor::User { id } => e.actor_name.clone().unwrap_or_else(|| user_name(&world, *id)),
                            Actor::Support { name } => format!("Support ({name})"),
                            Actor::Anonymous => match &e.command {
                                preflight_core::Command::AcceptInvitation { .. } => "the invitee".into(),
                                _ => "someone signing up".into(),
                            },
                            Actor::Network => "the Peppol network".into(),
                        };
                        let result = match (&e.code, &e.message) {
                            (Some(_), Some(message)) => format!("{}: {}", e.outcome, crate::words::plain(message)),
                            _ => e.outcome.clone(),
                        };
                        view! {
                            <tr data-testid="audit-entry">
                                <td>{e.at.to_string()}</td>
                                <td>{who}</td>
                                <td data-testid="audit-what">{what}</td>
                                <td>{result}</td>
                            </tr>
                        }
                    })
                    .collect();
                if rows.is_empty() {
                    view! { <p class="hint" data-testid="audit-empty">"Nothing recorded matches."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-scroll" tabindex="0" role="region" aria-label="Table of audit log entries">
                            <table>
                                <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"Outcome"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                    }
                    .into_any()
                }
            }
        }
    };
    view! {
        <PageHeader title="Audit log" testid="audit-title"
            lead="Every command that concerned your environment, accepted or refused, with who sent it. Only Administrators read it."/>
        <section class="panel wide">
            <form class="form inline" on:submit=|ev| ev.prevent_default()>
                <label for="audit-filter">"Search (what, or the command's name)"</label>
                <input id="audit-filter" type="search" data-testid="audit-filter" prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))/>
                <label for="audit-outcome">"Outcome"</label>
                <select id="audit-outcome" data-testid="audit-outcome" prop:value=move || outcome.get()
                    on:change=move |ev| outcome.set(event_target_value(&ev))>
                    <option value="">"Any"</option>
                    <option value="accepted">"Accepted"</option>
                    <option value="refused">"Refused"</option>
                </select>
            </form>
            {table}
            {move || can_load_more().then(|| view! {
                <button type="button" data-testid="audit-older"
                    disabled=move || load_older.pending().get()
                    on:click=move |_| {
                        if let Some(before) = oldest() {
                            load_older.dispatch(before);
                        }
                    }>
                    "Show older entries"
                </button>
            })}
            {move || older_error.get().map(|message| view! {
                <p class="notice warning" role="alert">{message}</p>
            })}
        </section>
    }
    .into_any()
}

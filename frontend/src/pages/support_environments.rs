//! Platform Support's console of environments (DOMAIN §1, §6): find one by
//! name, see its plan, add-ons, balance and the flag a negative balance
//! raises, and set its plan and add-ons or top up its credit. Support has no
//! projection: the list comes from the server, and each change is a command
//! the server's core decides.

use leptos::prelude::*;
use preflight_core::{AddOn, Command, Plan};

use crate::api::{self, EnvironmentSummary};

#[component]
pub fn SupportEnvironments() -> impl IntoView {
    let search = RwSignal::new(String::new());
    let only_flagged = RwSignal::new(false);
    let refresh = RwSignal::new(0u32);
    let environments = LocalResource::new(move || {
        refresh.track();
        let (search, flagged) = (search.get(), only_flagged.get());
        async move { api::environments(&search, flagged).await }
    });
    let notice = RwSignal::new(None::<(bool, String)>);
    let run = Action::new_local(move |(name, command): &(String, Command)| {
        let (name, command) = (name.clone(), command.clone());
        async move {
            let result = api::submit(&command, None).await;
            notice.set(Some(match result {
                Ok(_) => (true, format!("{name}: done.")),
                Err(error) => (false, format!("{name}: {}", error.message())),
            }));
            refresh.update(|n| *n += 1);
        }
    });
    let row = move |e: EnvironmentSummary| {
        let id = e.id;
        let name = e.name.clone();
        let plans = Plan::ALL
            .iter()
            .map(|p| {
                view! { <option value=p.to_string() selected=*p == e.plan>{p.to_string()}</option> }
            })
            .collect_view();
        let set_plan = {
            let name = name.clone();
            move |ev: leptos::ev::Event| {
                let chosen = event_target_value(&ev);
                if let Some(plan) = Plan::ALL.into_iter().find(|p| p.to_string() == chosen) {
                    run.dispatch((
                        name.clone(),
                        Command::SetPlan {
                            environment: id,
                            plan,
                        },
                    ));
                }
            }
        };
        let workflow = e.add_ons.contains(&AddOn::WorkflowEngine);
        let toggle = {
            let name = name.clone();
            move |_| {
                run.dispatch((
                    name.clone(),
                    Command::SetAddOn {
                        environment: id,
                        add_on: AddOn::WorkflowEngine,
                        enabled: !workflow,
                    },
                ));
            }
        };
        let amount = RwSignal::new(String::from("100"));
        let top_up = {
            let name = name.clone();
            move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                match amount.get_untracked().trim().parse::<i64>() {
                    Ok(amount) => {
                        run.dispatch((
                            name.clone(),
                            Command::TopUpCredit {
                                environment: id,
                                amount,
                            },
                        ));
                    }
                    Err(_) => notice.set(Some((
                        false,
                        format!("{name}: the amount is a whole number of credits"),
                    ))),
                }
            }
        };
        let slug = id.to_string();
        view! {
            <tr data-testid="support-environment" data-flagged=e.flagged.to_string()>
                <th scope="row">{e.name.clone()}
                    {e.flagged.then(|| view! { <span class="badge danger" data-testid="support-flag">"Negative balance"</span> })}
                </th>
                <td class="num" data-testid="support-credit">{e.credit}</td>
                <td>
                    <label class="visually-hidden" for=format!("plan-{slug}")>{format!("Plan of {}", e.name)}</label>
                    <select id=format!("plan-{slug}") data-testid="support-plan" on:change=set_plan>{plans}</select>
                </td>
                <td>
                    <button type="button" data-testid="support-workflow" aria-pressed=workflow.to_string() on:click=toggle>
                        {if workflow { "Workflow engine: on" } else { "Workflow engine: off" }}
                    </button>
                </td>
                <td>
                    <form class="inline" on:submit=top_up>
                        <label class="visually-hidden" for=format!("top-up-{slug}")>{format!("Credits to add to {}", e.name)}</label>
                        <input id=format!("top-up-{slug}") type="number" min="1" max="10000000" size="6" data-testid="support-amount"
                            prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/>
                        <button type="submit" data-testid="support-top-up">"Top up"</button>
                    </form>
                </td>
                <td class="num">{e.users}</td>
                <td class="num">{e.organisations}</td>
            </tr>
        }
    };
    view! {
        <h2 id="support-environments-heading">"Environments"</h2>
        <form class="form inline" role="search" on:submit=|ev| ev.prevent_default()>
            <label for="support-search">"Find an environment"</label>
            <input id="support-search" type="search" data-testid="support-search" placeholder="Part of its name"
                prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev))/>
            <label class="check">
                <input type="checkbox" data-testid="support-only-flagged"
                    prop:checked=move || only_flagged.get()
                    on:change=move |ev| only_flagged.set(event_target_checked(&ev))/>
                "Only those with a negative balance"
            </label>
        </form>
        {move || notice.get().map(|(ok, message)| {
            let class = if ok { "notice success" } else { "notice warning" };
            view! { <p class=class role="status" data-testid="support-environment-notice">{message}</p> }
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading the environments…"</p> }>
            {move || environments.get().map(|answer| match answer {
                Err(error) => view! { <p class="notice warning" role="alert">{error.message()}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="hint" data-testid="support-no-environment">"No environment matches."</p> }.into_any(),
                Ok(list) => view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-labelledby="support-environments-heading">
                        <table data-testid="support-environments">
                            <thead><tr>
                                <th scope="col">"Environment"</th>
                                <th scope="col">"Credit"</th>
                                <th scope="col">"Plan"</th>
                                <th scope="col">"Add-ons"</th>
                                <th scope="col">"Top up"</th>
                                <th scope="col">"Users"</th>
                                <th scope="col">"Organisations"</th>
                            </tr></thead>
                            <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any(),
            })}
        </Transition>
    }
}

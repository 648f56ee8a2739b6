//! The offline demo's controls: act as any user, reset, export and import.

use leptos::prelude::*;
use preflight_core::UserId;
use wasm_bindgen::JsCast;

use crate::pages::organisation::parse_id;
use crate::session::use_session;

/// Offers `json` to the user as a file download.
fn download(json: &str, file_name: &str) -> Result<(), String> {
    super::offer_file(json.as_bytes(), "application/json", file_name)
}

async fn read_text(file: web_sys::File) -> Result<String, String> {
    wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| "the browser could not read the file".to_string())
}

/// Shown above every page while the offline demo runs.
#[component]
pub fn DemoBar() -> impl IntoView {
    let session = use_session();
    let message = RwSignal::new(None::<(bool, String)>);
    // Every user of the demo world, grouped by environment, demo logins first.
    let users = move || {
        session
            .with_offline(|demo| {
                let world = demo.world();
                let mut environments: Vec<_> = world
                    .environments()
                    .map(|e| (e.id, e.name.clone()))
                    .collect();
                crate::pages::sort_by_label(&mut environments);
                environments
                    .into_iter()
                    .map(|(environment, name)| {
                        let mut users: Vec<_> = world
                            .users()
                            .filter(|u| u.environment == environment)
                            .map(|u| {
                                let login = demo.logins().iter().find(|l| l.email == u.email);
                                let label = match login {
                                    Some(login) => format!("{} — {}", u.name, login.role),
                                    None => format!("{} ({})", u.name, u.email),
                                };
                                (login.is_none(), label, u.id)
                            })
                            .collect();
                        preflight_core::util::sort::sort_unstable(&mut users);
                        (name, users)
                    })
                    .filter(|(_, users)| !users.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let acting = move || {
        session.state.track();
        session
            .with_offline(|demo| demo.acting().to_string())
            .unwrap_or_default()
    };
    let on_import = move |ev: leptos::ev::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        let Some(file) = input
            .as_ref()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        if let Some(input) = input {
            input.set_value("");
        }
        leptos::task::spawn_local(async move {
            let result = match read_text(file).await {
                Ok(text) => session
                    .import_offline(&text)
                    .map_err(|error| format!("{error}. Your current demo is unchanged.")),
                Err(error) => Err(error),
            };
            message.set(Some(match result {
                Ok(()) => (true, "Imported: this is the scenario from the file.".into()),
                Err(error) => (false, error),
            }));
        });
    };
    view! {
        <div class="demo-bar" role="region" aria-label="Offline demo" data-testid="demo-bar">
            <strong>"Offline demo"</strong>
            <span class="hint" data-testid="demo-steps">
                {move || {
                    session.state.track();
                    let steps = session.with_offline(|demo| demo.n_steps()).unwrap_or(0);
                    format!("Runs in your browser; nothing is sent anywhere. {steps} change(s) since the seed.")
                }}
            </span>
            <span class="act-as">
            <label for="act-as">"Acting as"</label>
            <select
                id="act-as"
                data-testid="act-as"
                prop:value=acting
                on:change=move |ev| {
                    message.set(None);
                    if let Some(id) = parse_id(&event_target_value(&ev)) {
                        session.act_as(UserId(id));
                    }
                }
            >
                {move || users().into_iter().map(|(environment, users)| view! {
                    <optgroup label=environment>
                        {users.into_iter().map(|(_, label, id)| view! {
                            <option value=id.to_string()>{label}</option>
                        }).collect_view()}
                    </optgroup>
                }).collect_view()}
            </select>
            </span>
            <button type="button" class="ghost" data-testid="demo-export" on:click=move |_| {
                let result = session
                    .export_offline()
                    .ok_or_else(|| "the demo is not running".to_string())
                    .and_then(|json| download(&json, "preflight-demo.json"));
                message.set(Some(match result {
                    Ok(()) => (true, "Exported as preflight-demo.json.".into()),
                    Err(error) => (false, error),
                }));
            }>"Export"</button>
            <label class="button ghost" for="demo-import">"Import…"</label>
            <input id="demo-import" class="visually-hidden" type="file" accept="application/json,.json" data-testid="demo-import" on:change=on_import/>
            <button type="button" class="ghost" data-testid="demo-reset" on:click=move |_| {
                session.reset_offline();
                message.set(Some((true, "The demo starts again from the seed.".into())));
            }>"Reset"</button>
            {move || message.get().map(|(ok, text)| {
                let class = if ok { "notice success" } else { "notice warning" };
                view! { <p class=class role="status" data-testid="demo-message">{text}</p> }
            })}
        </div>
    }
}

//! Importing an export bundle into an organisation (DOMAIN §7, option 2's last
//! step): the file goes to the server as it is, with progress, and the server
//! verifies every checksum and the platform's signature before it stores a byte.

use leptos::prelude::*;
use preflight_core::OrganisationId;
use wasm_bindgen::JsCast;

use crate::api;
use crate::session::use_session;

/// The form's state, owned by the page so that live updates keep it.
#[derive(Clone, Copy)]
pub struct ImportState {
    file: RwSignal<Option<web_sys::File>, LocalStorage>,
    progress: RwSignal<Option<f64>>,
    notice: RwSignal<Option<(bool, String)>>,
}

impl ImportState {
    pub fn new() -> ImportState {
        ImportState {
            file: RwSignal::new_local(None),
            progress: RwSignal::new(None),
            notice: RwSignal::new(None),
        }
    }
}

#[component]
pub fn ImportForm(organisation: OrganisationId, state: ImportState) -> impl IntoView {
    let session = use_session();
    let offline = session.is_offline();
    let import = Action::new_local(move |_: &()| {
        let file = state.file.get_untracked();
        async move {
            let Some(file) = file else { return };
            state.progress.set(Some(0.0));
            let url = format!("/api/organisations/{organisation}/import");
            let result = api::transfer(
                "POST",
                &url,
                "application/x-tar",
                Some(&file),
                move |share| {
                    state.progress.set(Some(share));
                },
            )
            .await;
            state.progress.set(None);
            if result.is_ok() {
                let _ = session.reload().await;
            }
            state.notice.set(Some(match result {
                Ok(answer) => {
                    let documents = api::json_of::<api::Imported>(&answer.bytes)
                        .map_or(0, |imported| imported.documents);
                    (true, format!("Imported: {documents} document(s) restored, each checked against the signed manifest."))
                }
                Err(error) => (false, format!("Nothing was imported: {}", error.message())),
            }));
        }
    });
    view! {
        <p class="hint">"An export bundle of this organisation's Peppol identifier, made on this platform. It is verified whole (every document's SHA-256 and the platform's signature) before anything is stored."</p>
        <div class="row">
            <label class="field">
                <span>"Bundle (.tar)"</span>
                <input type="file" accept=".tar,application/x-tar" data-testid="import-file"
                    disabled=offline
                    on:change=move |ev| {
                        let file = ev
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                            .and_then(|input| input.files())
                            .and_then(|files| files.get(0));
                        state.notice.set(None);
                        state.file.set(file);
                    }/>
            </label>
            <button type="button" class="primary" data-testid="import-submit"
                disabled=move || offline || state.file.with(Option::is_none) || import.pending().get()
                on:click=move |_| { import.dispatch(()); }>
                "Import the bundle"
            </button>
            {move || state.progress.get().map(|share| view! {
                <progress data-testid="import-progress" max="100" value=api::percent(share)></progress>
            })}
        </div>
        {offline.then(|| view! { <p class="hint">"Imports are verified by the server; the offline demo has none."</p> })}
        {move || state.notice.get().map(|(ok, message)| {
            let class = if ok { "notice success" } else { "notice warning" };
            view! { <p class=class role="status" data-testid="import-notice">{message}</p> }
        })}
    }
}

//! A secret the server shows once (a connection key, an invitation link):
//! whole, never clipped, with a button that copies it.

use leptos::prelude::*;

/// What a secret is and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub label: String,
    pub value: String,
}

/// The secret, selectable in full, and a copy button that says whether it worked.
#[component]
pub fn OneTimeSecret(secret: Secret) -> impl IntoView {
    let copied = RwSignal::new(None::<&'static str>);
    let value = secret.value.clone();
    let copy = move |_| {
        let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) else {
            copied.set(Some(
                "Copying is not available here: select the text and copy it.",
            ));
            return;
        };
        let promise = clipboard.write_text(&value);
        leptos::task::spawn_local(async move {
            copied.set(Some(
                match wasm_bindgen_futures::JsFuture::from(promise).await {
                    Ok(_) => "Copied.",
                    Err(_) => "Copying was refused: select the text and copy it.",
                },
            ));
        });
    };
    view! {
        <div class="secret" data-testid="one-time-secret">
            <p><strong>{secret.label.clone()}</strong> ": shown only once, copy it now."</p>
            <textarea class="secret-value" readonly rows="2" aria-label=secret.label.clone()
                data-testid="secret-value" on:focus=|ev| {
                    use wasm_bindgen::JsCast;
                    if let Some(area) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
                        area.select();
                    }
                }>{secret.value.clone()}</textarea>
            <button type="button" data-testid="secret-copy" on:click=copy>"Copy"</button>
            <span role="status" class="hint">{move || copied.get()}</span>
        </div>
    }
}

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Any path the router does not know. The server answers every non-API path with
/// the app, so the app itself says what is missing.
#[component]
pub fn NotFound() -> impl IntoView {
    let pathname = use_location().pathname;
    view! {
        <section class="panel" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>"There is no page at " <code data-testid="not-found-path">{move || pathname.get()}</code> "."</p>
            <p><a href="/">"Back to the start page"</a></p>
        </section>
    }
}

//! `/join#<secret>`: an invited colleague opens the link an Administrator
//! sent, chooses a password and lands signed in (DOMAIN §1). The secret rides
//! in the fragment, which browsers never send to a server or a proxy log.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::session::use_session;

/// The invitation secret in the page's fragment, if any.
fn secret_of_location() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|hash| hash.trim_start_matches('#').to_string())
        .unwrap_or_default()
}

#[component]
pub fn Join() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let secret = RwSignal::new(secret_of_location());
    let password = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = Action::new_local(move |_: &()| {
        let navigate = navigate.clone();
        let (secret, password, repeated) = (
            secret.get_untracked(),
            password.get_untracked(),
            repeated.get_untracked(),
        );
        async move {
            if password != repeated {
                error.set(Some("The two passwords differ.".into()));
                return;
            }
            match session.accept_invitation(secret.trim(), &password).await {
                Ok(()) => {
                    error.set(None);
                    navigate("/", Default::default());
                }
                Err(failure) if failure.code() == Some("not_found") => error.set(Some(
                    "This invitation link is not valid: ask your Administrator for a new one."
                        .into(),
                )),
                Err(failure) => error.set(Some(failure.message())),
            }
        }
    });
    let field = |id: &'static str, label: &'static str, value: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="password" required minlength="10" data-testid=id autocomplete="new-password"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
        }
    };
    view! {
        <section class="panel narrow" aria-labelledby="join-heading" data-testid="join-panel">
            <h1 id="join-heading">"Join your colleagues"</h1>
            <p class="hint">"You were invited to an environment on Preflight. Choose a password to create your account; you are signed in right after."</p>
            <form class="form" data-testid="join-form" on:submit=move |ev| {
                ev.prevent_default();
                submit.dispatch(());
            }>
                {move || secret.with(String::is_empty).then(|| view! {
                    <label for="join-secret">"Invitation code (from your link)"</label>
                    <input id="join-secret" type="text" required data-testid="join-secret"
                        on:input=move |ev| secret.set(event_target_value(&ev))/>
                })}
                {field("join-password", "Password (at least 10 characters)", password)}
                {field("join-repeat", "The same password again", repeated)}
                {move || error.get().map(|message| view! { <p class="error" role="alert" data-testid="join-error">{message}</p> })}
                <button type="submit" class="primary" data-testid="join-submit" disabled=move || submit.pending().get()>
                    {move || if submit.pending().get() { "Creating your account…" } else { "Create my account" }}
                </button>
            </form>
        </section>
    }
}

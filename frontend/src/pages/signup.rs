//! `/signup`: a new environment, whose first user (the person signing up) is its
//! Administrator (DOMAIN §1; step 4 of splitting an environment, §7).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::session::use_session;

#[component]
pub fn SignUp() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let environment = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = Action::new_local(move |_: &()| {
        let navigate = navigate.clone();
        let (environment, name, email, password) = (
            environment.get_untracked(),
            name.get_untracked(),
            email.get_untracked(),
            password.get_untracked(),
        );
        async move {
            match session
                .sign_up(&environment, &name, &email, &password)
                .await
            {
                Ok(()) => {
                    error.set(None);
                    navigate("/", Default::default());
                }
                Err(failure) => error.set(Some(failure.message())),
            }
        }
    });
    let field = |id: &'static str,
                 label: &'static str,
                 kind: &'static str,
                 value: RwSignal<String>,
                 autocomplete: &'static str| {
        view! {
            <label for=id>{label}</label>
            <input id=id type=kind required data-testid=id autocomplete=autocomplete
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
        }
    };
    view! {
        <section class="panel narrow" aria-labelledby="signup-heading" data-testid="signup-panel">
            <h1 id="signup-heading">"Create an environment"</h1>
            <p class="hint">"You become its Administrator. It starts on the Free plan; add your organisations, then activate them on Peppol."</p>
            <form class="form" data-testid="signup-form" on:submit=move |ev| {
                ev.prevent_default();
                submit.dispatch(());
            }>
                {field("signup-environment", "Environment (your company)", "text", environment, "organization")}
                {field("signup-name", "Your name", "text", name, "name")}
                {field("signup-email", "Email", "email", email, "email")}
                {field("signup-password", "Password (at least 10 characters)", "password", password, "new-password")}
                {move || error.get().map(|message| view! { <p class="error" role="alert" data-testid="signup-error">{message}</p> })}
                <button type="submit" class="primary" data-testid="signup-submit" disabled=move || submit.pending().get()>
                    {move || if submit.pending().get() { "Creating…" } else { "Create environment" }}
                </button>
            </form>
        </section>
    }
}

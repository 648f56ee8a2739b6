use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use preflight_core::generate::{self, DEMO_PASSWORD};

use crate::session::use_session;

/// Sign in with email and password; the demo logins fill the form with a click.
#[component]
pub fn Login() -> impl IntoView {
    let session = use_session();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let navigate_home = navigate.clone();
    let sign_in = Action::new_local(move |(email, password): &(String, String)| {
        let (email, password) = (email.clone(), password.clone());
        let navigate = navigate.clone();
        async move {
            match session.sign_in(&email, &password).await {
                Ok(()) => {
                    error.set(None);
                    navigate("/", Default::default());
                }
                Err(failure) => error.set(Some(failure.message())),
            }
        }
    });
    let logins = generate::demo_logins();

    view! {
        <div class="panels login-layout">
            <section class="panel" aria-labelledby="login-heading" data-testid="login-panel">
                <h1 id="login-heading">"Sign in"</h1>
                <form
                    class="form"
                    data-testid="login-form"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        sign_in.dispatch((email.get_untracked(), password.get_untracked()));
                    }
                >
                    <label for="login-email">"Email"</label>
                    <input
                        id="login-email"
                        type="email"
                        autocomplete="username"
                        required
                        data-testid="login-email"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                    <label for="login-password">"Password"</label>
                    <input
                        id="login-password"
                        type="password"
                        autocomplete="current-password"
                        required
                        data-testid="login-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                    {move || error.get().map(|message| view! {
                        <p class="error" role="alert" data-testid="login-error">{message}</p>
                    })}
                    <button type="submit" class="primary" data-testid="login-submit" disabled=move || sign_in.pending().get()>
                        {move || if sign_in.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
                <p class="hint" data-testid="signup-link">
                    "New to Preflight? " <A href="/signup">"Create an environment for your company"</A>
                    ". Invited by a colleague? Open the link they sent you."
                </p>
            </section>
            <section class="panel" aria-labelledby="offline-heading" data-testid="offline-panel">
                <h2 id="offline-heading">"No account? Try the offline demo"</h2>
                <p class="hint">
                    "The whole platform runs in your browser, on the demo world: act as any user, "
                    "preview and make changes, export a scenario. Nothing is sent to a server."
                </p>
                <button type="button" class="primary" data-testid="start-offline-demo" on:click=move |_| {
                    session.start_offline();
                    navigate_home("/", Default::default());
                }>"Try the offline demo"</button>
            </section>
            <section class="panel" aria-labelledby="demo-heading" data-testid="demo-logins-panel">
                <h2 id="demo-heading">"Demo logins"</h2>
                <p class="hint">
                    "Every demo user has the password " <code>{DEMO_PASSWORD}</code>
                    ". Pick one to fill in the form."
                </p>
                <ul class="demo-logins">
                    {logins
                        .into_iter()
                        .map(|login| {
                            let fill = login.email.clone();
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        class="link-button"
                                        data-testid="demo-login-fill"
                                        data-email=login.email.clone()
                                        on:click=move |_| {
                                            email.set(fill.clone());
                                            password.set(DEMO_PASSWORD.to_string());
                                        }
                                    >
                                        {login.email.clone()}
                                    </button>
                                    <span class="who">{login.name} " · " {login.environment}</span>
                                    <span class="hint">{login.role}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        </div>
    }
}

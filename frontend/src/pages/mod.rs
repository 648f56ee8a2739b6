//! One module per route.

pub mod dashboard;
pub mod document;
pub mod landing;
pub mod login;
pub mod not_found;
pub mod organisation;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::{use_session, SessionState, SignedIn};

/// Renders `page` for the signed-in user; otherwise says why there is no page yet:
/// loading, not signed in, or the server could not be asked.
pub fn signed_in_page<V: IntoView + 'static>(
    page: impl Fn(SignedIn) -> V + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_session();
    move || {
        match session.state.get() {
        SessionState::SignedIn(signed_in) => page(signed_in).into_any(),
        SessionState::Loading => view! {
            <p class="loading" data-testid="session-loading">"Loading your world…"</p>
        }
        .into_any(),
        SessionState::SignedOut => view! {
            <section class="panel" data-testid="sign-in-needed">
                <h1>"Sign in to continue"</h1>
                <p>"This page shows what your account may see."</p>
                <p><A href="/login">"Sign in"</A></p>
            </section>
        }
        .into_any(),
        SessionState::Support { email } => view! {
            <section class="panel" data-testid="support-session">
                <h1>"Signed in as Support"</h1>
                <p>"Support (" <code>{email}</code> ") works through the API; the web app is for users."</p>
            </section>
        }
        .into_any(),
        SessionState::Failed(error) => view! {
            <div class="error" role="alert" data-testid="session-error">
                <strong>"Could not load your world"</strong>
                <p>{error.to_string()}</p>
            </div>
        }
        .into_any(),
    }
    }
}

/// The page shown for a resource that does not exist or that the user may not see:
/// the two answer alike, on purpose. `lost` says the user could see it a moment
/// ago on this very page: their access went while they were looking.
#[component]
pub fn NotVisible(what: &'static str, #[prop(optional)] lost: bool) -> impl IntoView {
    if lost {
        return view! {
            <section class="panel" role="alert" data-testid="access-lost">
                <h1>{format!("You no longer have access to this {what}")}</h1>
                <p>"It changed while you were looking: a share was removed, or your membership, role or partnership changed."</p>
                <p><A href="/">"Back to your dashboard"</A></p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="panel" data-testid="not-visible">
            <h1>{format!("This {what} was not found or is not visible to you")}</h1>
            <p>"Either it does not exist, or your account has no access to it."</p>
            <p><A href="/">"Back to your dashboard"</A></p>
        </section>
    }
    .into_any()
}

//! One module per route.

pub mod audit;
pub mod audit_words;
pub mod dashboard;
pub mod document;
pub mod explorer;
pub mod groups;
pub mod join;
pub mod landing;
pub mod login;
pub mod not_found;
pub mod organisation;
pub mod partners;
pub mod signup;
pub mod split;
pub mod support;
pub mod support_environments;
pub mod tasks;
pub mod users;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::{use_session, SessionState, SignedIn};
use preflight_core::{check, Action, Resource};

/// Why core does not let the signed-in user do `action` to `resource`, in its
/// words; `None` when it does. A form that needs the permission is shown only
/// when this is `None`, and otherwise as a disabled button with the reason.
pub fn refusal(signed_in: &SignedIn, action: Action, resource: Resource) -> Option<String> {
    let decision = check(&signed_in.world, signed_in.me.id, action, resource);
    (!decision.allowed).then(|| {
        let why = decision.explain(&signed_in.world).join("; ");
        format!("{}: {why}", signed_in.me.name)
    })
}

/// Renders `page` for the signed-in user; otherwise says why there is no page yet:
/// loading, not signed in, or the server could not be asked.
pub fn signed_in_page<V: IntoView + 'static>(
    page: impl Fn(SignedIn) -> V + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_session();
    move || match session.state.get() {
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
        SessionState::Support { email } => view! { <support::SupportHome email=email/> }.into_any(),
        SessionState::Failed(error) => view! {
            <div class="error" role="alert" data-testid="session-error">
                <strong>"Could not load your world"</strong>
                <p>{error.to_string()}</p>
            </div>
        }
        .into_any(),
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

/// `(id, "Name (email)")` for the users the viewer may see that `keep` keeps,
/// sorted by name.
pub fn user_options(
    world: &preflight_core::World,
    vis: &preflight_core::project::Visibility<'_>,
    keep: impl Fn(&preflight_core::User) -> bool,
) -> Vec<(String, String)> {
    let mut users: Vec<_> = world
        .users()
        .filter(|u| vis.user(u.id) && keep(u))
        .map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.email)))
        .collect();
    sort_by_label(&mut users);
    users
}

/// Sorts `(key, label)` pairs by label, then by key, so that equal labels keep
/// one order. (One unstable sort shared by the screens keeps the app small.)
pub fn sort_by_label<K: Ord>(items: &mut [(K, String)]) {
    preflight_core::util::sort::sort_unstable_by(items, |a, b| {
        a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0))
    });
}

/// A user's name, or a neutral phrase for one the viewer may not see.
pub fn user_name(world: &preflight_core::World, user: preflight_core::UserId) -> String {
    world
        .name_of(user)
        .map_or_else(|| "a user you cannot see".to_string(), str::to_string)
}

/// An environment's name, or a neutral phrase for one the viewer may not see.
pub fn environment_name(
    world: &preflight_core::World,
    environment: preflight_core::EnvironmentId,
) -> String {
    world
        .environment(environment)
        .map_or_else(|| "another environment".to_string(), |e| e.name.clone())
}

/// A page's title and the sentence that says what it is for.
#[component]
pub fn PageHeader(title: &'static str, testid: &'static str, lead: &'static str) -> impl IntoView {
    view! {
        <p class="crumbs"><A href="/">"Dashboard"</A> " / " {title}</p>
        <h1 data-testid=testid>{title}</h1>
        <p class="lead-small">{lead}</p>
    }
}

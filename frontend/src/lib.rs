//! The Preflight web app.
//!
//! It runs the same `preflight-core` as the server, compiled to wasm, so that the
//! browser can explain and preview decisions without a round trip. The server stays
//! the authority: whatever the browser decides is advisory.

pub mod api;
mod components;
mod demo;
mod offline;
mod pages;
mod session;
mod words;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::use_navigate;
use leptos_router::path;

use crate::components::demo_bar::DemoBar;
use crate::pages::audit::AuditPage;
use crate::pages::dashboard::Dashboard;
use crate::pages::document::DocumentPage;
use crate::pages::explorer::ExplorerPage;
use crate::pages::groups::GroupsPage;
use crate::pages::landing::Landing;
use crate::pages::login::Login;
use crate::pages::not_found::NotFound;
use crate::pages::organisation::OrganisationPage;
use crate::pages::partners::PartnersPage;
use crate::pages::signup::SignUp;
use crate::pages::split::SplitPage;
use crate::pages::tasks::TasksPage;
use crate::pages::users::UsersPage;
use crate::session::{use_session, Live, Session, SessionState};

/// Whether the screen follows the server's changes as they happen.
fn live_indicator(live: Live, offline: bool) -> impl IntoView {
    let (class, text, title) = match (offline, live) {
        (true, _) => ("live off", "Offline", "The offline demo: no server"),
        (false, Live::Connected) => ("live on", "Live", "Changes appear as they happen"),
        (false, Live::Connecting) => ("live", "Connecting…", "Connecting to the live updates"),
        (false, Live::Retrying) => (
            "live off",
            "Reconnecting…",
            "The live updates dropped; retrying",
        ),
        (false, Live::Off) => ("live off", "Not live", "Reload to see changes"),
    };
    view! { <span class=class title=title data-testid="live">{text}</span> }
}

/// The whole app: a top bar, the routed page and a footer.
#[component]
pub fn App() -> impl IntoView {
    let session = Session::provide();
    crate::components::action_form::Forms::provide();
    // The demo bar stays mounted while the demo runs (its messages survive changes).
    let offline = Memo::new(move |_| session.signed_in().is_some_and(|s| s.offline));
    view! {
        <Router>
            <div class="shell" data-testid="app-shell">
                <a class="skip-link" href="#main" data-testid="skip-link">"Skip to main content"</a>
                <TopBar/>
                <Nav/>
                <Banner/>
                {move || offline.get().then(|| view! { <DemoBar/> })}
                <main id="main" class="content">
                    <Routes fallback=|| view! { <NotFound/> }>
                        <Route path=path!("/") view=Home/>
                        <Route path=path!("/login") view=Login/>
                        <Route path=path!("/organisations/:id") view=OrganisationPage/>
                        <Route path=path!("/documents/:id") view=DocumentPage/>
                        <Route path=path!("/users") view=UsersPage/>
                        <Route path=path!("/partners") view=PartnersPage/>
                        <Route path=path!("/groups") view=GroupsPage/>
                        <Route path=path!("/tasks") view=TasksPage/>
                        <Route path=path!("/audit") view=AuditPage/>
                        <Route path=path!("/explorer") view=ExplorerPage/>
                        <Route path=path!("/signup") view=SignUp/>
                        <Route path=path!("/join") view=crate::pages::join::Join/>
                        <Route path=path!("/split") view=SplitPage/>
                    </Routes>
                </main>
                <footer class="footer">
                    "Preflight: one core, compiled for the server and for your browser."
                </footer>
            </div>
        </Router>
    }
}

/// `/`: the dashboard when signed in, else the start page.
#[component]
fn Home() -> impl IntoView {
    let session = use_session();
    move || match session.state.get() {
        SessionState::SignedIn(signed_in) => view! { <Dashboard signed_in/> }.into_any(),
        SessionState::Support { email } => {
            view! { <crate::pages::support::SupportHome email=email/> }.into_any()
        }
        SessionState::Loading => view! {
            <p class="loading" data-testid="session-loading">"Loading…"</p>
        }
        .into_any(),
        _ => view! { <Landing/> }.into_any(),
    }
}

/// The sections of the app, for a signed-in user.
#[component]
fn Nav() -> impl IntoView {
    let session = use_session();
    let signed_in = Memo::new(move |_| session.signed_in().is_some());
    move || {
        signed_in.get().then(|| {
            view! {
                <nav class="nav" aria-label="Sections" data-testid="nav">
                    <A href="/" exact=true>"Dashboard"</A>
                    <A href="/users">"Users"</A>
                    <A href="/partners">"Partners"</A>
                    <A href="/groups">"Groups"</A>
                    <A href="/tasks">"Tasks"</A>
                    <A href="/explorer">"Access explorer"</A>
                    <A href="/audit">"Audit log"</A>
                    <A href="/split">"Split"</A>
                </nav>
            }
        })
    }
}

/// A message for the whole app, until dismissed.
#[component]
fn Banner() -> impl IntoView {
    let session = use_session();
    move || {
        session.banner.get().map(|message| {
            view! {
                <div class="banner" role="alert" data-testid="banner">
                    <span>{message}</span>
                    <button type="button" class="ghost" on:click=move |_| session.banner.set(None)>
                        "Dismiss"
                    </button>
                </div>
            }
        })
    }
}

/// The brand, and who is signed in with a way out.
#[component]
fn TopBar() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let sign_out = Action::new_local(move |_: &()| {
        let navigate = navigate.clone();
        async move {
            match session.sign_out().await {
                Ok(()) => {
                    error.set(None);
                    navigate("/login", Default::default());
                }
                Err(failure) => error.set(Some(failure.message())),
            }
        }
    });
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand" attr:data-testid="brand">
                <span class="brand-mark" aria-hidden="true">"✈"</span>
                "Preflight"
            </A>
            <div class="who-am-i">
                {move || match session.state.get() {
                    SessionState::SignedIn(signed_in) => view! {
                        <span class="user" data-testid="current-user">{signed_in.me.name.clone()}</span>
                        <span class="env" data-testid="current-environment">{signed_in.environment_name.clone()}</span>
                        {live_indicator(session.live.get(), signed_in.offline)}
                        {(!crate::session::static_demo()).then(|| view! {
                            <button type="button" class="ghost" data-testid="sign-out" on:click=move |_| {
                                sign_out.dispatch(());
                            }>{if signed_in.offline { "Leave the demo" } else { "Sign out" }}</button>
                        })}
                    }
                    .into_any(),
                    SessionState::Support { email } => view! {
                        <span class="user">{email}</span>
                        <button type="button" class="ghost" data-testid="sign-out" on:click=move |_| {
                            sign_out.dispatch(());
                        }>"Sign out"</button>
                    }
                    .into_any(),
                    SessionState::Loading => ().into_any(),
                    _ => view! { <A href="/login" attr:class="sign-in" attr:data-testid="sign-in-link">"Sign in"</A> }.into_any(),
                }}
                {move || error.get().map(|message| view! { <span class="error-inline" role="alert">{message}</span> })}
            </div>
        </header>
    }
}

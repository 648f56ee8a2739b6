use leptos::prelude::*;
use preflight_core::generate::DEMO_PASSWORD;

use crate::api::{self, Health};
use crate::components::logins_table::LoginsTable;
use crate::components::stats_grid::StatsGrid;
use crate::demo;

/// The start page: what Preflight is, what the server holds, and the same demo
/// world rebuilt in the browser by the same core.
#[component]
pub fn Landing() -> impl IntoView {
    let health = LocalResource::new(api::health);
    let browser = demo::build();
    let browser_version = browser.version;
    let took = browser
        .took_ms
        .map(|took_ms| {
            // Tenths counted as an integer: formatting a float would ship the
            // standard library's float printing in the wasm for this one line.
            let tenths = (took_ms * 10.0).round() as u64;
            if tenths == 0 {
                " in under 0.1 ms".to_string()
            } else {
                format!(" in {}.{} ms", tenths / 10, tenths % 10)
            }
        })
        .unwrap_or_default();

    view! {
        <section class="hero">
            <p class="eyebrow">"Access platform for e-invoicing"</p>
            <h1 data-testid="title">"Preflight"</h1>
            <p class="lead" data-testid="tagline">
                "Preflight decides who may see and act on which organisation's invoices, "
                "across environments, partnerships and roles, and shows you the answer "
                "before anything changes."
            </p>
        </section>

        <div class="panels">
            <section class="panel" aria-labelledby="server-heading" data-testid="server-panel">
                <h2 id="server-heading">"On the server"</h2>
                <p class="hint">
                    "Live from " <code>"/api/health"</code>
                    ": the world the server rebuilt from its event log."
                </p>
                <Transition fallback=|| {
                    view! {
                        <p class="loading" data-testid="server-loading">
                            "Connecting to the server…"
                        </p>
                    }
                }>
                    <ErrorBoundary fallback=|errors| {
                        view! {
                            <div class="error" role="alert" data-testid="server-error">
                                <strong>"Server unreachable"</strong>
                                <p>
                                    {move || {
                                        errors
                                            .get()
                                            .into_iter()
                                            .map(|(_, error)| error.to_string())
                                            .collect::<Vec<_>>()
                                            .join("; ")
                                    }}
                                </p>
                            </div>
                        }
                    }>
                        {move || Suspend::new(async move {
                            health
                                .await
                                .map(|health| view! { <ServerHealth health browser_version/> })
                        })}
                    </ErrorBoundary>
                </Transition>
            </section>

            <section class="panel" aria-labelledby="browser-heading" data-testid="browser-panel">
                <h2 id="browser-heading">"In your browser"</h2>
                <p class="hint" data-testid="browser-summary">
                    "The demo world, generated and applied by the same core compiled to "
                    "WebAssembly: " {browser.n_events} " events" {took} ", version "
                    <span data-testid="browser-version">{browser_version}</span> "."
                </p>
                <StatsGrid stats=browser.stats testid_prefix="browser"/>
            </section>
        </div>

        <section class="panel" aria-labelledby="logins-heading" data-testid="logins-panel">
            <h2 id="logins-heading">"Demo logins"</h2>
            <LoginsTable logins=browser.logins password=DEMO_PASSWORD/>
        </section>
    }
}

/// The server's answer to `/api/health`, compared with the browser's own world.
#[component]
fn ServerHealth(health: Health, browser_version: u64) -> impl IntoView {
    let agreement = if health.version == browser_version {
        "The server holds the same demo world your browser just built."
    } else {
        "The server's world has moved on from the freshly generated demo world."
    };
    view! {
        <p class="status" data-testid="server-status">
            <span class="dot" aria-hidden="true"></span>
            "Status " <strong>{health.status}</strong> ", world version "
            <strong data-testid="server-version">{health.version}</strong>
        </p>
        <StatsGrid stats=health.stats testid_prefix="server"/>
        <p class="hint" data-testid="agreement">{agreement}</p>
    }
}

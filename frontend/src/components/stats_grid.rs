use leptos::prelude::*;

use crate::api::Stats;

/// The five counts of a world as a grid of figures.
///
/// Each figure carries `data-testid="{testid_prefix}-stat-{name}"`, e.g.
/// `server-stat-organisations`, for the end-to-end tests.
#[component]
pub fn StatsGrid(stats: Stats, testid_prefix: &'static str) -> impl IntoView {
    let figures = [
        ("environments", "Environments", stats.environments),
        ("organisations", "Organisations", stats.organisations),
        ("users", "Users", stats.users),
        ("partnerships", "Partnerships", stats.partnerships),
        ("documents", "Documents", stats.documents),
    ];
    view! {
        <dl class="stats" data-testid=format!("{testid_prefix}-stats")>
            {figures
                .into_iter()
                .map(|(name, label, count)| {
                    view! {
                        <div class="stat">
                            <dt>{label}</dt>
                            <dd data-testid=format!("{testid_prefix}-stat-{name}")>{count}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
    }
}

use leptos::prelude::*;
use preflight_core::{Decision, World};

/// The sentences of a decision's reasons, as a list.
#[component]
pub fn ReasonList(decision: Decision, world: std::sync::Arc<World>) -> impl IntoView {
    let items = decision
        .explain(&world)
        .into_iter()
        .map(|sentence| view! { <li>{sentence}</li> })
        .collect_view();
    view! { <ul class="reasons">{items}</ul> }
}

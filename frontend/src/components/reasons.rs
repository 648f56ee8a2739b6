use leptos::prelude::*;
use preflight_core::project::Visibility;
use preflight_core::{who_can, Action, Decision, Reason, Resource, World};

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

/// Grant paths (or what is missing), each as a sentence, as a list.
pub fn reason_items(reasons: &[Reason], world: &World) -> impl IntoView {
    let items = reasons
        .iter()
        .map(|reason| view! { <li>{reason.render(world)}</li> })
        .collect_view();
    view! { <ul class="reasons">{items}</ul> }
}

/// Who can view `resource`, each with why, among the users `vis`'s viewer may
/// see; each entry carries `testid`.
pub fn viewer_items(
    world: &World,
    vis: &Visibility<'_>,
    resource: Resource,
    testid: &'static str,
) -> impl IntoView {
    who_can(world, Action::View, resource)
        .into_iter()
        .filter(|access| vis.pair(access.user, resource))
        .map(|access| {
            view! {
                <li data-testid=testid>
                    <strong>{crate::pages::user_name(world, access.user)}</strong>
                    {reason_items(&access.reasons, world)}
                </li>
            }
        })
        .collect_view()
}

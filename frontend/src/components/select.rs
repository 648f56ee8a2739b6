//! A labelled `<select>` bound to a signal, for the forms that build their
//! command themselves (upload, members, sharing).

use leptos::prelude::*;

/// A `<select>` with its label; `id` is also its test id. Choosing an option
/// calls `on_pick` with its value.
#[component]
pub fn LabelledSelect(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] on_pick: Callback<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <select id=id data-testid=id prop:value=move || value.get()
            on:change=move |ev| on_pick.run(event_target_value(&ev))>
            {children()}
        </select>
    }
}

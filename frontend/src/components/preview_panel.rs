//! What a command would do, shown before it is sent: the preview computed in the
//! browser by `preflight-core` on the user's projection, and the submit that sends
//! the command together with the outcome the user saw.

use std::sync::Arc;

use leptos::prelude::*;
use preflight_core::access::ResourceKind;
use preflight_core::project::Visibility;
use preflight_core::{preview, AccessChange, Actor, Command, Context, Preview, World};

use crate::components::reasons::reason_items;
use crate::session::{now, use_session};

/// An access in words: a document level, or the organisation actions.
fn access_in_words(change: &AccessChange, after: bool) -> String {
    let access = if after { change.after } else { change.before };
    let kind = change.resource.kind();
    let actions = access.actions(kind);
    if actions.is_empty() {
        return "no access".to_string();
    }
    match (kind, access.level()) {
        (ResourceKind::Document, Some(level)) => level.to_string(),
        _ => actions
            .iter()
            .map(|action| action.verb())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A preview as a person reads it: allowed or why not, who gains or loses what
/// and why, and what only the server can confirm.
#[component]
pub fn PreviewPanel(preview: Preview, world: Arc<World>) -> impl IntoView {
    let verdict = if preview.allowed {
        view! {
            <p class="verdict allowed" data-testid="preview-allowed">
                "Allowed: this is what will happen."
            </p>
        }
        .into_any()
    } else {
        let message = preview
            .error
            .as_ref()
            .map_or_else(|| "refused".to_string(), |error| error.to_string());
        view! {
            <p class="verdict denied" data-testid="preview-denied">
                "Not allowed: " <span data-testid="preview-error">{message}</span>
            </p>
        }
        .into_any()
    };
    let changes = if preview.access_changes.is_empty() {
        if preview.allowed {
            view! { <p class="hint" data-testid="preview-no-changes">"No one's access changes."</p> }
                .into_any()
        } else {
            ().into_any()
        }
    } else {
        let items = preview
            .access_changes
            .iter()
            .map(|change| {
                let user = world
                    .name_of(change.user)
                    .map_or_else(|| "A user you cannot see".to_string(), str::to_string);
                let resource = change.resource.name(&world);
                let (verb, reasons, class) = if change.is_loss() {
                    ("loses", &change.reasons_before, "change loss")
                } else {
                    ("gains", &change.reasons_after, "change gain")
                };
                let from = access_in_words(change, false);
                let to = access_in_words(change, true);
                view! {
                    <li class=class data-testid="preview-change">
                        <strong>{user}</strong> " " {verb} " access to " <em>{resource}</em>
                        ": " {from} " → " {to}
                        {reason_items(reasons, &world)}
                    </li>
                }
            })
            .collect_view();
        view! {
            <h4>"Access changes"</h4>
            <ul class="changes" data-testid="preview-changes">{items}</ul>
        }
        .into_any()
    };
    let unconfirmed = preview
        .unconfirmed
        .iter()
        .map(|fact| {
            view! {
                <p class="unconfirmed" data-testid="preview-unconfirmed">
                    "Only the server can confirm: " {fact.render(&world)}
                </p>
            }
        })
        .collect_view();
    view! {
        <section class="preview" aria-live="polite" data-testid="preview">
            <h3>"Preview"</h3>
            {verdict}
            {changes}
            {unconfirmed}
        </section>
    }
}

/// A command under construction, previewed live, with its submit button.
///
/// `command` is `None` while the form is incomplete. The command is sent with the
/// outcome the user was shown; when the server answers `preview_outdated`, the
/// projection is reloaded, the new preview shows and the user confirms again.
/// `notice` (success, message) belongs to the page: reloading the projection
/// renders this component anew, and the answer must survive that.
#[component]
pub fn PreviewedCommand(
    command: Signal<Option<Command>>,
    notice: RwSignal<Option<(bool, String)>>,
    submit_label: &'static str,
) -> impl IntoView {
    let session = use_session();
    let preview_now = move || {
        let signed_in = session.signed_in()?;
        let command = command.get()?;
        let actor = Actor::user(signed_in.me.id);
        let ctx = Context::deterministic(now(), signed_in.world.version() as u128);
        let preview = preview(&signed_in.world, &actor, command.clone(), &ctx);
        Some((signed_in, command, preview))
    };
    let send = Action::new_local(move |_: &()| {
        let prepared = untrack(preview_now);
        async move {
            let Some((signed_in, command, preview)) = prepared else {
                return;
            };
            let expected = match Visibility::of(&signed_in.world, signed_in.me.id) {
                Some(vis) => preview.outcome(|user, resource| vis.pair(user, resource)),
                None => preview.outcome(|_, _| false),
            };
            // The notice is set before reloading: the reload renders the page anew.
            match session.submit(&command, Some(&expected)).await {
                Ok(accepted) => {
                    let secret = accepted.secret.map_or_else(String::new, |secret| {
                        format!(" Copy it now, it is shown only once: {secret}")
                    });
                    notice.set(Some((
                        true,
                        format!(
                            "Done. The world is now at version {}.{secret}",
                            accepted.version
                        ),
                    )));
                }
                Err(error) if error.code() == Some("preview_outdated") => {
                    notice.set(Some((
                        false,
                        format!(
                            "The outcome changed since your preview ({}). Review the new preview and confirm again.",
                            error.message()
                        ),
                    )));
                }
                Err(error) => {
                    notice.set(Some((false, error.message())));
                    return;
                }
            }
            if let Err(error) = session.reload().await {
                notice.set(Some((
                    false,
                    format!("Reloading your world failed: {}", error.message()),
                )));
            }
        }
    });
    view! {
        {move || match preview_now() {
            None => view! {
                <p class="hint" data-testid="preview-empty">"Fill in the form to see what would happen."</p>
            }
            .into_any(),
            Some((signed_in, _, preview)) => {
                let allowed = preview.allowed;
                view! {
                    <PreviewPanel preview world=signed_in.world/>
                    <button
                        type="button"
                        class="primary"
                        data-testid="submit-command"
                        disabled=move || !allowed || send.pending().get()
                        on:click=move |_| {
                            send.dispatch(());
                        }
                    >
                        {move || if send.pending().get() { "Sending…" } else { submit_label }}
                    </button>
                }
                .into_any()
            }
        }}
        {move || notice.get().map(|(ok, message)| {
            let class = if ok { "notice success" } else { "notice warning" };
            view! { <p class=class role="status" data-testid="command-notice">{message}</p> }
        })}
    }
}

//! What a command would do, shown before it is sent: the preview computed in the
//! browser by `preflight-core` on the user's projection, and the submit that sends
//! the command together with the outcome the user saw.

use std::sync::Arc;

use leptos::prelude::*;
use preflight_core::access::ResourceKind;
use preflight_core::preview::share_reaches_nobody_new;
use preflight_core::project::Visibility;
use preflight_core::{
    preview, AccessChange, Actor, Command, Context, EnvironmentId, Event, Grantee, Preview,
    Resource, World,
};

use crate::api;
use crate::components::reasons::reason_items;
use crate::components::secret::{OneTimeSecret, Secret};
use crate::session::{now, use_session};
use crate::words::plain;

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

/// The name a resource the previewed command creates will have: the world
/// does not hold it yet.
fn created_name(events: &[Event], resource: Resource) -> Option<String> {
    events.iter().find_map(|event| match (event, resource) {
        (
            Event::OrganisationAdded {
                organisation, name, ..
            },
            Resource::Organisation(id),
        ) if *organisation == id => Some(name.clone()),
        (Event::DocumentAdded { document }, Resource::Document(id)) if document.id == id => {
            Some(document.name.clone())
        }
        _ => None,
    })
}

/// The environment of a resource the previewed command creates.
fn created_environment(events: &[Event], resource: Resource) -> Option<EnvironmentId> {
    events.iter().find_map(|event| match (event, resource) {
        (
            Event::OrganisationAdded {
                organisation,
                environment,
                ..
            },
            Resource::Organisation(id),
        ) if *organisation == id => Some(*environment),
        (Event::DocumentAdded { document }, Resource::Document(id)) if document.id == id => {
            Some(document.environment)
        }
        _ => None,
    })
}

/// A consequence execution has beyond the command itself, in words with
/// names: what DOMAIN's cascades do (a partnership's end revoking keys,
/// ending relationship-manager links, moving tasks, reverting cost bearing).
fn consequence(event: &Event, world: &World) -> Option<String> {
    let user = |id| world.name_of(id).unwrap_or("someone").to_string();
    let organisation = |id| {
        world
            .organisation(id)
            .map_or_else(|| "an organisation".to_string(), |o| o.name.clone())
    };
    let environment = |id| {
        world
            .environment(id)
            .map_or_else(|| "another environment".to_string(), |e| e.name.clone())
    };
    let document = |id| {
        world
            .document(id)
            .map_or_else(|| "a document".to_string(), |d| d.name.clone())
    };
    Some(match event {
        Event::ConnectionKeyRevoked { key, .. } => match world.key(*key) {
            Some(k) => format!(
                "The connection key of {} for {} stops working.",
                user(k.holder),
                organisation(k.organisation)
            ),
            None => "A connection key stops working.".to_string(),
        },
        Event::RelationshipManagerDisconnected {
            partnership,
            user: who,
        } => {
            let home = world
                .viewer()
                .and_then(|v| world.user(v))
                .map(|u| u.environment);
            let other = world.partnership(*partnership).map(|p| {
                if Some(p.requester) == home {
                    p.accepter
                } else {
                    p.requester
                }
            });
            format!(
                "{} is no longer relationship manager for {}.",
                user(*who),
                other.map_or_else(|| "the partner".to_string(), environment)
            )
        }
        Event::TaskReassigned { task, to, .. } => format!(
            "The approval task on {} moves to {}.",
            world
                .task(*task)
                .map_or_else(|| "a document".to_string(), |t| document(t.document)),
            user(*to)
        ),
        Event::CostBearerChanged {
            organisation: org,
            bearer,
        } => format!(
            "{} bears the costs of {} from now on.",
            environment(*bearer),
            organisation(*org)
        ),
        Event::MembershipRemoved {
            user: who,
            organisation: org,
        } => {
            format!(
                "{} is no longer a member of {}.",
                user(*who),
                organisation(*org)
            )
        }
        Event::ShareRevoked { document: doc, .. } => {
            format!("A share of {} is removed.", document(*doc))
        }
        Event::PartnershipCreated {
            requester,
            accepter,
            ..
        } => {
            let home = world
                .viewer()
                .and_then(|v| world.user(v))
                .map(|u| u.environment);
            let other = if Some(*requester) == home {
                *accepter
            } else {
                *requester
            };
            format!(
                "A partnership with {} begins. It makes possible, never automatic: \
                 your Administrators may make its Administrators and Advanced users members \
                 of your organisations and share documents with them; until then they see \
                 nothing of yours. Either side may end it at any time.",
                environment(other)
            )
        }
        Event::GroupMemberRemoved { group, user: who } => format!(
            "{} leaves the group {}.",
            user(*who),
            world.group(*group).map_or("", |g| g.name.as_str())
        ),
        _ => return None,
    })
}

/// Where a preview's facts come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Source {
    /// The browser's projection: complete, or saying what it lacks.
    #[default]
    Projection,
    /// The projection lacks facts; the server is being asked for them.
    Asking,
    /// The server's preview, on the whole world.
    Server,
}

/// A preview as a person reads it: allowed or why not, who gains or loses what
/// and why, and what only the server can confirm. Nothing shows as allowed
/// that rests on a fact the user's projection lacks, until the server says so.
#[component]
pub fn PreviewPanel(
    preview: Preview,
    world: Arc<World>,
    #[prop(optional)] source: Source,
) -> impl IntoView {
    let verdict = if !preview.allowed {
        let message = preview
            .error
            .as_ref()
            .map_or_else(|| "refused".to_string(), |error| plain(&error.to_string()));
        view! {
            <p class="verdict denied" data-testid="preview-denied">
                "Not allowed: " <span data-testid="preview-error">{message}</span>
            </p>
        }
        .into_any()
    } else if preview.unconfirmed.is_empty() {
        let said = if source == Source::Server {
            "Allowed: the server confirmed what your view could not show. This is what will happen."
        } else {
            "Allowed: this is what will happen."
        };
        view! { <p class="verdict allowed" data-testid="preview-allowed">{said}</p> }.into_any()
    } else if source == Source::Asking {
        view! {
            <p class="verdict pending" data-testid="preview-checking">
                "Checking with the server what your view cannot show…"
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="verdict pending" data-testid="preview-pending">
                "Allowed as far as you can see; the server decides the rest when you send it:"
            </p>
        }
        .into_any()
    };
    // Only the access changes the viewer may ask about (DOMAIN §1: others'
    // access is for Administrators, and only in their own environment), as
    // the server answers them; a resource the command creates counts as its
    // environment's.
    let vis = world.viewer().and_then(|v| Visibility::of(&world, v));
    let askable = |change: &&AccessChange| match &vis {
        None => true,
        Some(vis) => match created_environment(&preview.events, change.resource) {
            None => vis.pair(change.user, change.resource),
            Some(environment) => {
                vis.user(change.user)
                    && (Some(change.user) == world.viewer()
                        || (environment == vis.viewer().environment
                            && vis.pair(change.user, Resource::Environment(environment))))
            }
        },
    };
    let shown_changes: Vec<&AccessChange> = preview.access_changes.iter().filter(askable).collect();
    let hidden_changes = shown_changes.len() < preview.access_changes.len();
    // A share that gives nobody anything they lack is most likely a mistake
    // (the wrong group, someone who already sees the document): said plainly,
    // when core says the viewer can tell.
    let nobody_new = share_reaches_nobody_new(&world, &preview)
        .then(|| match preview.events.first() {
            Some(Event::ShareGranted { share }) => Some(*share),
            _ => None,
        })
        .flatten();
    let changes = if let Some(share) = nobody_new {
        let document = Resource::Document(share.document).name(&world);
        let said = match share.grantee {
            Grantee::User(user) => format!(
                "This share reaches nobody new: {} can already open “{document}” at this level.",
                world.name_of(user).unwrap_or("this person")
            ),
            Grantee::Group(_) | Grantee::Organisation(_) => format!(
                "This share reaches nobody new: everyone it reaches can already open “{document}” \
                 at this level, or it reaches no one yet. It is kept, and reaches whoever joins later."
            ),
        };
        view! {
            <p class="notice warning" role="status" data-testid="preview-share-nobody-new">{said}</p>
        }
        .into_any()
    } else if shown_changes.is_empty() {
        if preview.allowed && hidden_changes {
            view! {
                <p class="hint" data-testid="preview-others-changes">
                    "Your own access does not change; whose else does is for your Administrators to see."
                </p>
            }
            .into_any()
        } else if preview.allowed {
            view! { <p class="hint" data-testid="preview-no-changes">"No one's access changes."</p> }
                .into_any()
        } else {
            ().into_any()
        }
    } else {
        let items = shown_changes
            .iter()
            .map(|change| {
                let user = world
                    .name_of(change.user)
                    .map_or_else(|| "A user you cannot see".to_string(), str::to_string);
                let resource = created_name(&preview.events, change.resource)
                    .unwrap_or_else(|| change.resource.name(&world));
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
    // The first event is the command's own; what follows from it is listed.
    // (A partnership's start is said too: what it makes possible.)
    let also: Vec<String> = preview
        .events
        .iter()
        .enumerate()
        .filter(|(i, event)| *i > 0 || matches!(event, Event::PartnershipCreated { .. }))
        .filter_map(|(_, event)| consequence(event, &world))
        .collect();
    let also = (!also.is_empty()).then(|| {
        let items = also
            .into_iter()
            .map(|line| view! { <li data-testid="preview-consequence">{line}</li> })
            .collect_view();
        view! {
            <h4>"What else happens"</h4>
            <ul class="changes" data-testid="preview-consequences">{items}</ul>
        }
    });
    let unconfirmed = preview
        .unconfirmed
        .iter()
        .map(|fact| {
            view! {
                <p class="unconfirmed" data-testid="preview-unconfirmed">
                    "Only the server can confirm: " {plain(&fact.render(&world))}
                </p>
            }
        })
        .collect_view();
    view! {
        <section class="preview" aria-live="polite" data-testid="preview">
            <h3>"Preview"</h3>
            {verdict}
            {changes}
            {also}
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
    /// Where a secret the server answers with is shown; without it, the
    /// secret is part of the notice.
    #[prop(optional)]
    secret: Option<RwSignal<Option<Secret>>>,
    /// Called once the command is accepted (a form empties itself).
    #[prop(optional)]
    on_done: Option<Callback<()>>,
    /// Whether the command takes something away that cannot simply be given
    /// back (ending a partnership, disabling a user, deleting): the button is
    /// styled as dangerous and works only once the person confirms.
    #[prop(optional)]
    destructive: bool,
) -> impl IntoView {
    let session = use_session();
    let confirmed = RwSignal::new(false);
    let preview_now = move || {
        let signed_in = session.signed_in()?;
        let command = command.get()?;
        let actor = Actor::user(signed_in.me.id);
        let ctx = Context::deterministic(now(), signed_in.world.version() as u128);
        let preview = preview(&signed_in.world, &actor, command.clone(), &ctx);
        Some((signed_in, command, preview))
    };
    // A preview allowed on facts the projection lacks is asked of the server
    // (the whole world), and shows as allowed only once the server says so.
    // The answer carries its command, so a late answer to an older one is not
    // taken for the current one.
    let from_server = LocalResource::new(move || {
        let asked = preview_now()
            .filter(|(_, _, local)| local.allowed && !local.unconfirmed.is_empty())
            .map(|(_, command, _)| command);
        let offline = session.is_offline();
        async move {
            let command = asked.filter(|_| !offline)?;
            let answer = api::preview(&command).await;
            Some((command, answer))
        }
    });
    let server_answer = move |command: &Command| {
        from_server
            .get()
            .flatten()
            .filter(|(asked, _)| asked == command)
            .map(|(_, answer)| answer)
    };
    let send = Action::new_local(move |_: &()| {
        let prepared = untrack(preview_now);
        let server = prepared
            .as_ref()
            .and_then(|(_, command, _)| untrack(|| server_answer(command)))
            .and_then(Result::ok);
        async move {
            let Some((signed_in, command, preview)) = prepared else {
                return;
            };
            let expected = match (server, Visibility::of(&signed_in.world, signed_in.me.id)) {
                (Some(server), _) => server.outcome,
                (None, Some(vis)) => preview.outcome(|user, resource| vis.pair(user, resource)),
                (None, None) => preview.outcome(|_, _| false),
            };
            // The notice is set before reloading: the reload renders the page anew.
            match session.submit(&command, Some(&expected)).await {
                Ok(accepted) => {
                    let shown = accepted.secret.map(|value| secret_of(&command, value));
                    let said = match (&shown, secret) {
                        (Some(shown), None) => {
                            format!("Done. {}, shown only once: {}", shown.label, shown.value)
                        }
                        _ => "Done.".to_string(),
                    };
                    if let Some(secret) = secret {
                        secret.set(shown);
                    }
                    notice.set(Some((true, said)));
                    confirmed.set(false);
                    if let Some(done) = on_done {
                        done.run(());
                    }
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
            Some((signed_in, command, local)) => {
                let (shown, source) = if !local.allowed || local.unconfirmed.is_empty() {
                    (local, Source::Projection)
                } else {
                    match server_answer(&command) {
                        Some(Ok(server)) => (server.preview, Source::Server),
                        // The server could not be asked: say what it will confirm.
                        Some(Err(_)) => (local, Source::Projection),
                        None if session.is_offline() => (local, Source::Projection),
                        None => (local, Source::Asking),
                    }
                };
                let allowed = shown.allowed && source != Source::Asking;
                let confirm = (destructive && allowed).then(|| view! {
                    <label class="check confirm">
                        <input type="checkbox" data-testid="confirm-destructive"
                            prop:checked=move || confirmed.get()
                            on:change=move |ev| confirmed.set(event_target_checked(&ev))/>
                        "I have read what this takes away, and want it."
                    </label>
                });
                view! {
                    <PreviewPanel preview=shown world=signed_in.world source/>
                    {confirm}
                    <button
                        type="button"
                        class=if destructive { "danger" } else { "primary" }
                        data-testid="submit-command"
                        disabled=move || !allowed || (destructive && !confirmed.get()) || send.pending().get()
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
        {move || secret.and_then(|s| s.get()).map(|secret| view! { <OneTimeSecret secret/> })}
        {move || notice.get().map(|(ok, message)| {
            let class = if ok { "notice success" } else { "notice warning" };
            view! { <p class=class role="status" data-testid="command-notice">{message}</p> }
        })}
    }
}

/// What a secret the server answered `command` with is, as the person uses it:
/// an invitation as the link to send the invitee, a key as itself.
fn secret_of(command: &Command, value: String) -> Secret {
    match command {
        Command::InviteUser { email, .. } => {
            let origin = web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default();
            Secret {
                label: format!("Invitation link for {email}"),
                value: format!("{origin}/join#{value}"),
            }
        }
        _ => Secret {
            label: "Connection key".to_string(),
            value,
        },
    }
}

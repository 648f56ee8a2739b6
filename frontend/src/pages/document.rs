use leptos::prelude::*;

use crate::components::select::LabelledSelect;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use preflight_core::project::Visibility;
use preflight_core::{
    check, Action, Command, DocumentId, Grantee, GroupId, Level, OrganisationId, Resource, UserId,
};

use std::sync::Arc;

use crate::components::action_form::{ActionForm, Field};
use crate::components::invoice::InvoiceContent;
use crate::components::preview_panel::PreviewedCommand;
use crate::components::reasons::{viewer_items, ReasonList};
use crate::pages::organisation::parse_id;
use crate::pages::tasks::{status_text, trail_view};
use crate::pages::{signed_in_page, NotVisible};
use crate::pages::{user_name, user_options};
use crate::session::SignedIn;

/// The state of the share form, kept outside the rendered page.
#[derive(Clone, Copy)]
struct ShareForm {
    kind: RwSignal<String>,
    grantee: RwSignal<String>,
    level: RwSignal<String>,
    /// The server's answer to the last submit.
    notice: RwSignal<Option<(bool, String)>>,
}

/// `/documents/:id`: the invoice, who can see it and why, and sharing it.
#[component]
pub fn DocumentPage() -> impl IntoView {
    let params = use_params_map();
    let document = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| parse_id(&id))
            .map(DocumentId)
    });
    let form = ShareForm {
        kind: RwSignal::new("group".to_string()),
        grantee: RwSignal::new(String::new()),
        level: RwSignal::new("View".to_string()),
        notice: RwSignal::new(None),
    };
    let command = Signal::derive(move || {
        let document = document.get()?;
        let id = parse_id(&form.grantee.get())?;
        let grantee = match form.kind.get().as_str() {
            "user" => Grantee::User(UserId(id)),
            "organisation" => Grantee::Organisation(OrganisationId(id)),
            _ => Grantee::Group(GroupId(id)),
        };
        let level = match form.level.get().as_str() {
            "Manage" => Level::Manage,
            "Edit" => Level::Edit,
            _ => Level::View,
        };
        Some(Command::ShareDocument {
            document,
            grantee,
            level,
        })
    });

    // The resource last shown on this page, to tell a loss of access apart from
    // a resource that was never visible.
    let shown = StoredValue::new(None::<DocumentId>);
    signed_in_page(move |signed_in| match document.get() {
        Some(id) => document_view(signed_in, id, form, command, shown),
        None => view! { <NotVisible what="document"/> }.into_any(),
    })
}

fn document_view(
    signed_in: SignedIn,
    id: DocumentId,
    form: ShareForm,
    command: Signal<Option<Command>>,
    shown: StoredValue<Option<DocumentId>>,
) -> AnyView {
    let world = signed_in.world.clone();
    let me = signed_in.me.id;
    let Some(vis) = Visibility::of(&world, me) else {
        return view! { <NotVisible what="document" lost=shown.get_value() == Some(id)/> }
            .into_any();
    };
    let Some(doc) = world.document(id).filter(|_| vis.document(id)) else {
        return view! { <NotVisible what="document" lost=shown.get_value() == Some(id)/> }
            .into_any();
    };
    shown.set_value(Some(id));
    let resource = Resource::Document(id);
    let manage_refused = crate::pages::refusal(&signed_in, Action::Manage, resource);
    let edit_refused = crate::pages::refusal(&signed_in, Action::Edit, resource);
    let organisation = world
        .organisation(doc.organisation)
        .map_or_else(String::new, |o| o.name.clone());
    let organisation_link = vis
        .organisation(doc.organisation)
        .then(|| format!("/organisations/{}", doc.organisation));

    let viewers = viewer_items(&world, &vis, resource, "viewer");

    let manage = check(&world, me, Action::Manage, resource);
    let share = if manage.allowed {
        let users: Vec<(String, String)> = world
            .users()
            .filter(|u| vis.user(u.id))
            .map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.email)))
            .collect();
        let groups: Vec<(String, String)> = world
            .groups()
            .filter(|g| vis.group(g.id))
            .map(|g| (g.id.to_string(), g.name.clone()))
            .collect();
        let organisations: Vec<(String, String)> = world
            .organisations()
            .filter(|o| vis.organisation_name(o.id))
            .map(|o| (o.id.to_string(), o.name.clone()))
            .collect();
        let options = move || {
            let list = match form.kind.get().as_str() {
                "user" => users.clone(),
                "organisation" => organisations.clone(),
                _ => groups.clone(),
            };
            list.into_iter()
                .map(|(value, label)| view! { <option value=value>{label}</option> })
                .collect_view()
        };
        view! {
            <form class="form" data-testid="share-form" on:submit=|ev| ev.prevent_default()>
                <LabelledSelect id="share-kind" label="Share with a" value=form.kind on_pick=move |v: String| { form.notice.set(None); form.kind.set(v); form.grantee.set(String::new()); }>
                    <option value="user">"User"</option>
                    <option value="group">"Group"</option>
                    <option value="organisation">"Organisation"</option>
                </LabelledSelect>
                <LabelledSelect id="share-grantee" label="Grantee" value=form.grantee on_pick=move |v: String| { form.notice.set(None); form.grantee.set(v); }>
                    <option value="">"Choose…"</option>
                    {options}
                </LabelledSelect>
                <LabelledSelect id="share-level" label="Level" value=form.level on_pick=move |v: String| { form.notice.set(None); form.level.set(v); }>
                    <option value="View">"View"</option>
                    <option value="Edit">"Edit"</option>
                    <option value="Manage">"Manage"</option>
                </LabelledSelect>
            </form>
            <PreviewedCommand command notice=form.notice submit_label="Share"/>
        }
        .into_any()
    } else {
        view! {
            <p data-testid="share-denied">"You cannot share this document:"</p>
            <ReasonList decision=manage world=world.clone()/>
        }
        .into_any()
    };

    // Removing a share: the document's current shares the viewer may see.
    let shares: Vec<(String, String)> = world
        .shares_of(id)
        .iter()
        .map(|share| {
            let (value, name) = match share.grantee {
                Grantee::User(u) => (format!("user:{}", u.0), user_name(&world, u)),
                Grantee::Group(g) => (
                    format!("group:{}", g.0),
                    world
                        .group(g)
                        .map_or_else(|| "a group".to_string(), |g| format!("group {}", g.name)),
                ),
                Grantee::Organisation(o) => (
                    format!("organisation:{}", o.0),
                    world.organisation(o).map_or_else(
                        || "an organisation".to_string(),
                        |o| format!("organisation {}", o.name),
                    ),
                ),
            };
            (value, format!("{name} ({})", share.level))
        })
        .collect();
    let shares_empty = shares.is_empty();
    let grantee_of = |value: &str| -> Option<Grantee> {
        let (kind, id) = value.split_once(':')?;
        let id = parse_id(id)?;
        Some(match kind {
            "user" => Grantee::User(UserId(id)),
            "group" => Grantee::Group(GroupId(id)),
            _ => Grantee::Organisation(OrganisationId(id)),
        })
    };
    let tasks = world
        .tasks_of(id)
        .iter()
        .filter_map(|t| world.task(*t))
        .map(|task| {
            view! {
                <li data-testid="document-task">
                    <strong>{status_text(&task.status)}</strong> ", assigned to " {user_name(&world, task.assignee)}
                    <ul class="plain hint">{trail_view(&world, task)}</ul>
                </li>
            }
        })
        .collect_view();
    let assignees = user_options(&world, &vis, |u| u.is_active());
    let is_sales = doc.doc_box == preflight_core::DocBox::InboxOut;
    let recipients: Vec<String> = world
        .organisations()
        .filter(|o| o.id != doc.organisation && o.status == preflight_core::OrgStatus::Active)
        .map(|o| format!("{} ({})", o.participant_id, o.name))
        .take(8)
        .collect();

    view! {
        <p class="crumbs">
            <A href="/">"Dashboard"</A> " / "
            {match organisation_link {
                Some(href) => view! { <A href=href>{organisation.clone()}</A> }.into_any(),
                None => view! { <span>{organisation.clone()}</span> }.into_any(),
            }}
            " / " {doc.doc_box.to_string()}
        </p>
        <h1 data-testid="document-name">{doc.name.clone()}</h1>
        <div class="panels">
            <section class="panel wide" aria-labelledby="invoice-heading" data-testid="invoice">
                <h2 id="invoice-heading">"Invoice"</h2>
                <InvoiceContent document=id/>
                <p class="hint">
                    "Uploaded " {doc.at.to_string()} ", " {doc.size} " bytes. "
                    {(!signed_in.offline).then(|| view! {
                        <a href=format!("/api/documents/{id}/content") download=doc.name.clone() data-testid="download">"Download the file"</a>
                    })}
                </p>
            </section>
            <section class="panel" aria-labelledby="viewers-heading" data-testid="viewers">
                <h2 id="viewers-heading">"Who can see it"</h2>
                <ul class="plain">{viewers}</ul>
            </section>
            <section class="panel wide" aria-labelledby="share-heading" data-testid="share">
                <h2 id="share-heading">"Share"</h2>
                {share}
            </section>
            <section class="panel" aria-labelledby="unshare-heading" data-testid="unshare">
                <h2 id="unshare-heading">"Remove a share"</h2>
                {if shares_empty {
                    view! { <p class="hint">"It is not shared with anyone you can see."</p> }.into_any()
                } else {
                    view! {
                        <ActionForm form=format!("unshare:{id}")
                            fields=vec![Field::select("grantee", "Shared with", shares)]
                            make=Arc::new(move |v| Some(Command::UnshareDocument { document: id, grantee: grantee_of(&v.get("grantee")?)? }))
                            submit_label="Remove share" refused=manage_refused.clone()/>
                    }.into_any()
                }}
            </section>
            <section class="panel" aria-labelledby="tasks-heading" data-testid="document-tasks">
                <h2 id="tasks-heading">"Approval"</h2>
                <ul class="plain">{tasks}</ul>
                <ActionForm form=format!("start-task:{id}")
                    fields=vec![Field::select("assignee", "Ask for approval by", assignees), Field::text("note", "Note (optional)", "")]
                    make=Arc::new(move |v| Some(Command::StartApprovalTask { document: id, assignee: UserId(parse_id(&v.get("assignee")?)?), note: v.get("note") }))
                    submit_label="Start approval" refused=edit_refused.clone()/>
            </section>
            {is_sales.then(|| view! {
                <section class="panel" aria-labelledby="send-heading" data-testid="send">
                    <h2 id="send-heading">"Send over Peppol"</h2>
                    <p class="hint">"The recipient's Peppol identifier (scheme:value), as on their invoices. Each side's cost bearer pays one transaction credit."
                        {(!recipients.is_empty()).then(|| format!(" Organisations you know on the platform: {}.", recipients.join(", ")))}
                    </p>
                    <ActionForm form=format!("send-document:{id}")
                        fields=vec![Field::text("to", "Recipient (scheme:value)", "0208:0100100040")]
                        make=Arc::new(move |v| Some(Command::SendDocument { document: id, to: v.get("to")?.trim().to_string() }))
                        submit_label="Send" refused=edit_refused/>
                </section>
            })}
            <section class="panel" aria-labelledby="delete-heading" data-testid="delete">
                <h2 id="delete-heading">"Delete"</h2>
                <p class="hint">"Everyone who sees it loses it; the preview lists them."</p>
                <ActionForm form=format!("delete-document:{id}")
                    fields=vec![]
                    make=Arc::new(move |_| Some(Command::DeleteDocument { document: id }))
                    submit_label="Delete document" refused=manage_refused destructive=true/>
            </section>
        </div>
    }
    .into_any()
}

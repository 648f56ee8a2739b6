use leptos::prelude::*;

use crate::components::select::LabelledSelect;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use preflight_core::project::Visibility;
use preflight_core::{
    check, Action, Command, DocBox, KeyId, OrgRole, OrganisationId, Resource, UserId,
};

use crate::components::action_form::{ActionForm, Field, Values};
use crate::components::import::{ImportForm, ImportState};
use crate::components::paged::{Key, PagedTable, Row};
use crate::components::preview_panel::PreviewedCommand;
use crate::components::reasons::ReasonList;
use crate::components::upload::{UploadForm, UploadState};
use crate::pages::user_name;
use crate::pages::{signed_in_page, NotVisible};
use crate::session::SignedIn;
use std::sync::Arc;

/// The id in a route or a form field; an empty or malformed value means "none".
pub fn parse_id(value: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(value).ok()
}

/// `/organisations/:id`: members, documents per box, what I may do, add a member.
#[component]
pub fn OrganisationPage() -> impl IntoView {
    let params = use_params_map();
    let organisation = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| parse_id(&id))
            .map(OrganisationId)
    });
    // The form's state lives outside the rendered page, so that reloading the
    // projection (after a command, or an outdated preview) keeps what was chosen.
    let new_member = RwSignal::new(String::new());
    let new_role = RwSignal::new("Member".to_string());
    let notice = RwSignal::new(None::<(bool, String)>);
    let upload = UploadState::new();
    let import = ImportState::new();
    let command = Signal::derive(move || {
        let organisation = organisation.get()?;
        let user = UserId(parse_id(&new_member.get())?);
        let role = if new_role.get() == "Manager" {
            OrgRole::Manager
        } else {
            OrgRole::Member
        };
        Some(Command::AddMember {
            organisation,
            user,
            role,
        })
    });

    // The resource last shown on this page, to tell a loss of access apart from
    // a resource that was never visible.
    let shown = StoredValue::new(None::<OrganisationId>);
    signed_in_page(move |signed_in| match organisation.get() {
        Some(id) => organisation_view(
            signed_in,
            id,
            PageState {
                new_member,
                new_role,
                notice,
                command,
                upload,
                import,
                shown,
            },
        ),
        None => view! { <NotVisible what="organisation"/> }.into_any(),
    })
}

/// What the page keeps across renders: the forms' state, and what it last showed.
#[derive(Clone, Copy)]
struct PageState {
    new_member: RwSignal<String>,
    new_role: RwSignal<String>,
    notice: RwSignal<Option<(bool, String)>>,
    command: Signal<Option<Command>>,
    upload: UploadState,
    import: ImportState,
    shown: StoredValue<Option<OrganisationId>>,
}

fn organisation_view(signed_in: SignedIn, id: OrganisationId, state: PageState) -> AnyView {
    let PageState {
        new_member,
        new_role,
        notice,
        command,
        upload,
        import,
        shown,
    } = state;
    let world = signed_in.world.clone();
    let me = signed_in.me.id;
    let Some(vis) = Visibility::of(&world, me) else {
        return view! { <NotVisible what="organisation" lost=shown.get_value() == Some(id)/> }
            .into_any();
    };
    let Some(org) = world.organisation(id).filter(|_| vis.organisation(id)) else {
        return view! { <NotVisible what="organisation" lost=shown.get_value() == Some(id)/> }
            .into_any();
    };
    shown.set_value(Some(id));
    let resource = Resource::Organisation(id);
    let refused = |action| crate::pages::refusal(&signed_in, action, resource);
    let (members_refused, activate_refused, settings_refused, key_refused, software_refused) = (
        refused(Action::ManageMembers),
        refused(Action::ActivateOrganisation),
        refused(Action::ManageOrganisationSettings),
        refused(Action::RetrieveConnectionKey),
        refused(Action::ConfigureSoftwareConnection),
    );
    // Restoring an export bundle is a step of splitting the environment.
    let is_admin = preflight_core::check(
        &world,
        me,
        preflight_core::Action::SplitEnvironment,
        Resource::Environment(org.environment),
    )
    .allowed;

    let members = world
        .members_of(id)
        .iter()
        .map(|user| {
            let role = world
                .membership(*user, id)
                .map_or_else(String::new, |m| m.role.to_string());
            let (name, email) = world.user(*user).map_or_else(
                || ("A user you cannot see".to_string(), String::new()),
                |u| (u.name.clone(), u.email.clone()),
            );
            view! {
                <tr data-testid="member">
                    <td>{name}</td>
                    <td><code>{email}</code></td>
                    <td><span class="role">{role}</span></td>
                </tr>
            }
        })
        .collect_view();

    let boxes = DocBox::ALL
        .into_iter()
        .map(|doc_box| {
            let (label, testid, party) = match doc_box {
                DocBox::Documents => ("Documents box", "documents-Documents", "Party"),
                DocBox::InboxIn => ("Inbox IN", "documents-InboxIn", "From"),
                DocBox::InboxOut => ("Inbox OUT", "documents-InboxOut", "To"),
            };
            let rows: Vec<Row> = world
                .documents_of(id)
                .filter_map(|doc| world.document(doc))
                .filter(|doc| doc.doc_box == doc_box && vis.document(doc.id))
                .map(|doc| {
                    let summary = doc.summary.as_deref();
                    let party_name = summary
                        .map(|s| match doc_box {
                            DocBox::InboxOut => s.customer.clone(),
                            _ => s.supplier.clone(),
                        })
                        .unwrap_or_default();
                    let amount = summary.map(|s| format!("{} {}", s.payable, s.currency));
                    let due = summary.and_then(|s| s.due_date.clone());
                    let kind = summary.map(|s| format!("{} {}", s.kind, s.number));
                    let (doc_id, name) = (doc.id, doc.name.clone());
                    let text = format!(
                        "{name} {party_name} {} {}",
                        kind.as_deref().unwrap_or(""),
                        amount.as_deref().unwrap_or("")
                    );
                    let keys = vec![
                        Key::text(&name),
                        if party_name.is_empty() { Key::Missing } else { Key::text(&party_name) },
                        summary.map_or(Key::Missing, |s| Key::amount(&s.payable)),
                        due.as_deref().map_or(Key::Missing, Key::text),
                    ];
                    let draw: Arc<dyn Fn() -> AnyView + Send + Sync> = Arc::new(move || {
                        let name = name.clone();
                        view! {
                            <tr data-testid="document">
                                <td>
                                    <A href=format!("/documents/{doc_id}")>{name}</A>
                                    {kind.clone().map(|k| view! { <br/><span class="hint">{k}</span> })}
                                </td>
                                <td>{party_name.clone()}</td>
                                <td class="num">{amount.clone()}</td>
                                <td>{due.clone()}</td>
                            </tr>
                        }
                        .into_any()
                    });
                    Row::new(text, draw).keys(keys)
                })
                .collect();
            let empty = rows.is_empty();
            view! {
                <div class="box" data-testid=format!("box-{doc_box:?}")>
                    <h3>{doc_box.to_string()}</h3>
                    {if empty {
                        view! { <p class="hint">"No documents you can see."</p> }.into_any()
                    } else {
                        view! {
                            <PagedTable label testid head=vec!["Document", party, "Amount", "Due"] rows/>
                        }
                        .into_any()
                    }}
                </div>
            }
        })
        .collect_view();

    let actions = Action::ORGANISATION
        .into_iter()
        .map(|action| {
            let decision = check(&world, me, action, resource);
            let (class, verdict) = if decision.allowed {
                ("allowed", "You may ")
            } else {
                ("denied", "You may not ")
            };
            view! {
                <li class=class data-testid="org-action">
                    <strong>{verdict} {action.verb()}</strong>
                    <ReasonList decision world=world.clone()/>
                </li>
            }
        })
        .collect_view();

    let manage = check(&world, me, Action::ManageMembers, resource);
    let add_member = if manage.allowed {
        let candidates = world
            .users()
            .filter(|user| vis.user(user.id) && world.membership(user.id, id).is_none())
            .map(|user| {
                let value = user.id.to_string();
                let label = format!("{} ({})", user.name, user.email);
                view! { <option value=value>{label}</option> }
            })
            .collect_view();
        view! {
            <form class="form" data-testid="add-member-form" on:submit=|ev| ev.prevent_default()>
                <LabelledSelect id="member-user" label="User" value=new_member on_pick=move |v: String| { notice.set(None); new_member.set(v); }>
                    <option value="">"Choose a user…"</option>
                    {candidates}
                </LabelledSelect>
                <LabelledSelect id="member-role" label="Role" value=new_role on_pick=move |v: String| { notice.set(None); new_role.set(v); }>
                    <option value="Member">"Member"</option>
                    <option value="Manager">"Manager"</option>
                </LabelledSelect>
            </form>
            <PreviewedCommand command notice submit_label="Add member"/>
        }
        .into_any()
    } else {
        view! {
            <p data-testid="add-member-denied">"You cannot add members here:"</p>
            <ReasonList decision=manage world=world.clone()/>
        }
        .into_any()
    };

    let environment = world
        .environment(org.environment)
        .map_or_else(String::new, |e| e.name.clone());
    let member_options: Vec<(String, String)> = world
        .members_of(id)
        .iter()
        .map(|u| (u.to_string(), user_name(&world, *u)))
        .collect();
    let keys: Vec<_> = world
        .keys_of(id)
        .iter()
        .filter_map(|k| world.key(*k))
        .cloned()
        .collect();
    let key_rows = keys
        .iter()
        .map(|k| {
            let state = if k.is_valid() { "valid" } else { "revoked" };
            view! { <li data-testid="connection-key">"Key of " {user_name(&world, k.holder)} ", issued " {k.issued_at.to_string()} ", " {state}</li> }
        })
        .collect_view();
    let valid_keys: Vec<(String, String)> = keys
        .iter()
        .filter(|k| k.is_valid())
        .map(|k| {
            (
                k.id.to_string(),
                format!(
                    "Key of {}, issued {}",
                    user_name(&world, k.holder),
                    k.issued_at
                ),
            )
        })
        .collect();
    let member = |v: &Values<'_>| v.get("user").and_then(|u| parse_id(&u)).map(UserId);
    let role_of = |v: &Values<'_>| match v.get("role")?.as_str() {
        "Manager" => Some(OrgRole::Manager),
        _ => Some(OrgRole::Member),
    };
    const ORG_ROLES: [(&str, &str); 2] = [("Member", "Member"), ("Manager", "Manager")];
    let inactive = org.status != preflight_core::OrgStatus::Active;

    view! {
        <p class="crumbs"><A href="/">"Dashboard"</A> " / organisation"</p>
        <h1 data-testid="organisation-name">{org.name.clone()}</h1>
        <p class="hint">
            <code>{org.participant_id.clone()}</code> ", " {format!("{:?}", org.status)} ", environment "
            {environment}
        </p>
        <div class="panels">
            <section class="panel" aria-labelledby="members-heading" data-testid="members">
                <h2 id="members-heading">"Members"</h2>
                <div class="table-scroll" tabindex="0" role="region" aria-label="Table of members">
                    <table>
                        <thead>
                            <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th></tr>
                        </thead>
                        <tbody>{members}</tbody>
                    </table>
                </div>
            </section>
            <section class="panel" aria-labelledby="add-heading" data-testid="add-member">
                <h2 id="add-heading">"Add member"</h2>
                {add_member}
            </section>
            <section class="panel wide" aria-labelledby="docs-heading" data-testid="documents">
                <h2 id="docs-heading">"Documents"</h2>
                <div class="boxes">{boxes}</div>
            </section>
            <section class="panel" aria-labelledby="member-role-heading" data-testid="change-member-role">
                <h2 id="member-role-heading">"Change a member's role"</h2>
                <ActionForm form=format!("change-member-role:{id}")
                    fields=vec![Field::select("user", "Member", member_options.clone()), Field::choice("role", "Role", &ORG_ROLES)]
                    make=Arc::new(move |v| Some(Command::ChangeMemberRole { organisation: id, user: member(v)?, role: role_of(v)? }))
                    submit_label="Change role" refused=members_refused.clone()/>
            </section>
            <section class="panel" aria-labelledby="remove-member-heading" data-testid="remove-member">
                <h2 id="remove-member-heading">"Remove a member"</h2>
                <ActionForm form=format!("remove-member:{id}")
                    fields=vec![Field::select("user", "Member", member_options)]
                    make=Arc::new(move |v| Some(Command::RemoveMember { organisation: id, user: member(v)? }))
                    submit_label="Remove member" refused=members_refused/>
            </section>
            <section class="panel" aria-labelledby="peppol-heading" data-testid="peppol">
                <h2 id="peppol-heading">"Peppol"</h2>
                {if inactive {
                    view! {
                        <p>"Not registered: it can neither send nor receive."</p>
                        <ActionForm form=format!("activate:{id}")
                            fields=vec![]
                            make=Arc::new(move |_| Some(Command::ActivateOrganisation { organisation: id }))
                            submit_label="Activate on Peppol" refused=activate_refused/>
                    }.into_any()
                } else {
                    view! { <p data-testid="peppol-active">"Registered as " <code>{org.participant_id.clone()}</code> ": reachable for receiving."</p> }.into_any()
                }}
                <ActionForm form=format!("rename:{id}")
                    fields=vec![Field::text("name", "Rename to", "")]
                    make=Arc::new(move |v| Some(Command::RenameOrganisation { organisation: id, name: v.get("name")? }))
                    submit_label="Rename" refused=settings_refused/>
            </section>
            <section class="panel" aria-labelledby="keys-heading" data-testid="keys">
                <h2 id="keys-heading">"Connection keys"</h2>
                <p class="hint">"Accounting software uses a key as a bearer token for this organisation's documents. Its secret is shown once, when it is issued."</p>
                <ul class="plain">{key_rows}</ul>
                <ActionForm form=format!("retrieve-key:{id}")
                    fields=vec![]
                    make=Arc::new(move |_| Some(Command::RetrieveConnectionKey { organisation: id }))
                    submit_label="Issue a key" refused=key_refused/>
                {(!valid_keys.is_empty()).then(|| view! {
                    <ActionForm form=format!("revoke-key:{id}")
                        fields=vec![Field::select("key", "Key", valid_keys)]
                        make=Arc::new(|v| Some(Command::RevokeConnectionKey { key: KeyId(parse_id(&v.get("key")?)?) }))
                        submit_label="Revoke"/>
                })}
                <ActionForm form=format!("software:{id}")
                    fields=vec![Field::text("software", "Accounting software", "e.g. Exact Online")]
                    make=Arc::new(move |v| Some(Command::ConfigureSoftwareConnection { organisation: id, software: v.get("software")? }))
                    submit_label="Connect software" refused=software_refused/>
            </section>
            <section class="panel wide" aria-labelledby="upload-heading" data-testid="upload">
                <h2 id="upload-heading">"Upload a document"</h2>
                <UploadForm organisation=id state=upload/>
            </section>
            {is_admin.then(|| view! {
                <section class="panel wide" aria-labelledby="import-heading" data-testid="import">
                    <h2 id="import-heading">"Import an export bundle"</h2>
                    <ImportForm organisation=id state=import/>
                </section>
            })}
            <section class="panel wide" aria-labelledby="actions-heading" data-testid="org-actions">
                <h2 id="actions-heading">"What you may do here"</h2>
                <ul class="plain actions">{actions}</ul>
            </section>
        </div>
    }
    .into_any()
}

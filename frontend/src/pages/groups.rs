//! `/groups`: groups of my environment and their members (who may come from
//! partner environments), with create, rename, delete, add and remove member.

use std::sync::Arc;

use leptos::prelude::*;
use preflight_core::project::Visibility;
use preflight_core::{Command, GroupId, UserId};

use crate::components::action_form::{ActionForm, Field, Values};
use crate::pages::organisation::parse_id;
use crate::pages::{environment_name, signed_in_page, user_name, user_options, PageHeader};
use crate::session::SignedIn;

#[component]
pub fn GroupsPage() -> impl IntoView {
    signed_in_page(groups_view)
}

fn groups_view(signed_in: SignedIn) -> AnyView {
    let world = signed_in.world.clone();
    let me = signed_in.me.clone();
    let Some(vis) = Visibility::of(&world, me.id) else {
        return ().into_any();
    };
    let mut groups: Vec<_> = world
        .groups()
        .filter(|g| vis.group(g.id))
        .cloned()
        .collect();
    preflight_core::util::sort::sort_unstable_by(&mut groups, |a, b| {
        a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id))
    });
    let manage_groups = crate::pages::refusal(
        &signed_in,
        preflight_core::Action::ManageGroups,
        preflight_core::Resource::Environment(me.environment),
    );
    let cards = groups
        .iter()
        .map(|g| {
            let members = world
                .group_members(g.id)
                .iter()
                .map(|u| {
                    let home = world
                        .user(*u)
                        .filter(|user| user.environment != g.environment)
                        .map(|user| format!(" (of {})", environment_name(&world, user.environment)));
                    view! { <li>{user_name(&world, *u)} {home}</li> }
                })
                .collect_view();
            let shared = world
                .documents_shared_with(preflight_core::Grantee::Group(g.id))
                .len();
            view! {
                <section class="panel" data-testid="group">
                    <h2>{g.name.clone()}</h2>
                    <p class="hint">{environment_name(&world, g.environment)} ", " {shared} " document(s) shared with it"</p>
                    <ul class="plain">{members}</ul>
                </section>
            }
        })
        .collect_view();
    let options: Vec<(String, String)> = groups
        .iter()
        .map(|g| (g.id.to_string(), g.name.clone()))
        .collect();
    let users = user_options(&world, &vis, |u| u.is_active());
    let group = |v: &Values<'_>| v.get("group").and_then(|g| parse_id(&g)).map(GroupId);
    let user = |v: &Values<'_>| v.get("user").and_then(|u| parse_id(&u)).map(UserId);

    view! {
        <PageHeader title="Groups" testid="groups-title"
            lead="A group can hold users of your environment and of your partners; a document shared with a group is seen by all of them."/>
        <div class="panels">
            {if groups.is_empty() {
                view! { <section class="panel"><p class="hint">"No groups you can see."</p></section> }.into_any()
            } else {
                cards.into_any()
            }}
        </div>
        <div class="panels">
            <section class="panel" aria-labelledby="add-to-group-heading">
                <h2 id="add-to-group-heading">"Add to a group"</h2>
                <ActionForm form="add-group-member".to_string()
                    fields=vec![Field::select("group", "Group", options.clone()), Field::select("user", "User", users.clone())]
                    make=Arc::new(move |v| Some(Command::AddGroupMember { group: group(v)?, user: user(v)? }))
                    submit_label="Add" refused=manage_groups.clone()/>
            </section>
            <section class="panel" aria-labelledby="remove-from-group-heading">
                <h2 id="remove-from-group-heading">"Remove from a group"</h2>
                <ActionForm form="remove-group-member".to_string()
                    fields=vec![Field::select("group", "Group", options.clone()), Field::select("user", "User", users)]
                    make=Arc::new(move |v| Some(Command::RemoveGroupMember { group: group(v)?, user: user(v)? }))
                    submit_label="Remove" refused=manage_groups.clone()/>
            </section>
            <section class="panel" aria-labelledby="create-group-heading">
                <h2 id="create-group-heading">"Create a group"</h2>
                <ActionForm form="create-group".to_string()
                    fields=vec![Field::text("name", "Name", "Finance team")]
                    make=Arc::new(|v| Some(Command::CreateGroup { name: v.get("name")? }))
                    submit_label="Create" refused=manage_groups.clone()/>
            </section>
            <section class="panel" aria-labelledby="rename-group-heading">
                <h2 id="rename-group-heading">"Rename a group"</h2>
                <ActionForm form="rename-group".to_string()
                    fields=vec![Field::select("group", "Group", options.clone()), Field::text("name", "New name", "")]
                    make=Arc::new(move |v| Some(Command::RenameGroup { group: group(v)?, name: v.get("name")? }))
                    submit_label="Rename" refused=manage_groups.clone()/>
            </section>
            <section class="panel" aria-labelledby="delete-group-heading">
                <h2 id="delete-group-heading">"Delete a group"</h2>
                <p class="hint">"Its members lose what was shared with the group."</p>
                <ActionForm form="delete-group".to_string()
                    fields=vec![Field::select("group", "Group", options)]
                    make=Arc::new(move |v| Some(Command::DeleteGroup { group: group(v)? }))
                    submit_label="Delete" refused=manage_groups.clone()/>
            </section>
        </div>
    }
    .into_any()
}

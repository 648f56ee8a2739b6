//! `/users`: the users of my environment, their roles, and the Administrator's
//! forms (invite, assign roles including RelationshipManager, disable, enable).

use std::sync::Arc;

use leptos::prelude::*;
use preflight_core::project::Visibility;
use preflight_core::{Command, EnvRole, InvitationId, InvitationStatus, UserId, UserStatus};

use crate::components::action_form::{ActionForm, Field};
use crate::pages::organisation::parse_id;
use crate::pages::{signed_in_page, user_options, PageHeader};
use crate::session::SignedIn;

fn role_of(value: &str) -> Option<EnvRole> {
    match value {
        "Administrator" => Some(EnvRole::Administrator),
        "AdvancedUser" => Some(EnvRole::AdvancedUser),
        "User" => Some(EnvRole::User),
        _ => None,
    }
}

const ROLES: [(&str, &str); 3] = [
    ("User", "User"),
    ("AdvancedUser", "Advanced user"),
    ("Administrator", "Administrator"),
];

#[component]
pub fn UsersPage() -> impl IntoView {
    signed_in_page(users_view)
}

fn users_view(signed_in: SignedIn) -> AnyView {
    let world = signed_in.world.clone();
    let me = signed_in.me.clone();
    let Some(vis) = Visibility::of(&world, me.id) else {
        return ().into_any();
    };
    let mut users: Vec<_> = world
        .users()
        .filter(|u| u.environment == me.environment)
        .cloned()
        .collect();
    preflight_core::util::sort::sort_unstable_by(&mut users, |a, b| {
        a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id))
    });
    let rows = users
        .iter()
        .map(|u| {
            let status = match u.status {
                UserStatus::Active => "Active",
                UserStatus::Disabled => "Disabled",
            };
            view! {
                <tr data-testid="user-row">
                    <td>{u.name.clone()}</td>
                    <td><code>{u.email.clone()}</code></td>
                    <td><span class="role">{u.role.to_string()}</span>
                        {u.relationship_manager.then(|| view! { " " <span class="role">"Relationship manager"</span> })}
                    </td>
                    <td>{status}</td>
                </tr>
            }
        })
        .collect_view();
    let invitations: Vec<_> = world
        .invitations()
        .filter(|i| i.environment == me.environment && i.status == InvitationStatus::Pending)
        .map(|i| {
            (
                i.id.to_string(),
                format!("{} ({}), {}", i.name, i.email, i.role),
            )
        })
        .collect();
    let pending = invitations
        .iter()
        .map(|(_, label)| view! { <li data-testid="invitation">{label.clone()}</li> })
        .collect_view();

    let own = |keep: fn(&preflight_core::User) -> bool| {
        let environment = me.environment;
        user_options(&world, &vis, move |u| {
            u.environment == environment && keep(u)
        })
    };
    let active = own(|u| u.status == UserStatus::Active);
    let disabled = own(|u| u.status == UserStatus::Disabled);
    let everyone = own(|_| true);
    let manage_users = crate::pages::refusal(
        &signed_in,
        preflight_core::Action::ManageUsers,
        preflight_core::Resource::Environment(me.environment),
    );
    let user = |values: &crate::components::action_form::Values<'_>| {
        values.get("user").and_then(|v| parse_id(&v)).map(UserId)
    };

    view! {
        <PageHeader title="Users and roles" testid="users-title"
            lead="Who belongs to your environment, and what they may do. Every change is previewed: who gains or loses what."/>
        <div class="panels">
            <section class="panel wide" aria-labelledby="users-heading">
                <h2 id="users-heading">"Users of " {signed_in.environment_name.clone()}</h2>
                <div class="table-scroll" tabindex="0" role="region" aria-label="Table of users">
                    <table>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Status"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </section>
            <section class="panel" aria-labelledby="assign-heading">
                <h2 id="assign-heading">"Assign a role"</h2>
                <ActionForm form="assign-role".to_string()
                    fields=vec![Field::select("user", "User", everyone.clone()), Field::choice("role", "Role", &ROLES)]
                    make=Arc::new(move |v| Some(Command::AssignRole { user: user(v)?, role: role_of(&v.get("role")?)? }))
                    submit_label="Assign" refused=manage_users.clone()/>
            </section>
            <section class="panel" aria-labelledby="rm-heading">
                <h2 id="rm-heading">"Relationship managers"</h2>
                <p class="hint">"A relationship manager can be connected to partnerships; the role grants no access by itself."</p>
                <ActionForm form="relationship-manager".to_string()
                    fields=vec![Field::select("user", "User", everyone), Field::choice("enabled", "Relationship manager", &[("yes", "Yes"), ("no", "No")])]
                    make=Arc::new(move |v| Some(Command::SetRelationshipManager { user: user(v)?, enabled: v.get("enabled")? == "yes" }))
                    submit_label="Save" refused=manage_users.clone()/>
            </section>
            <section class="panel" aria-labelledby="disable-heading">
                <h2 id="disable-heading">"Disable a user"</h2>
                <p class="hint">"A disabled user loses every access at once, and their open tasks move to someone who can act."</p>
                <ActionForm form="disable-user".to_string()
                    fields=vec![Field::select("user", "User", active)]
                    make=Arc::new(move |v| Some(Command::DisableUser { user: user(v)? }))
                    submit_label="Disable" refused=manage_users.clone() destructive=true/>
            </section>
            <section class="panel" aria-labelledby="enable-heading">
                <h2 id="enable-heading">"Enable a user"</h2>
                {if disabled.is_empty() {
                    view! { <p class="hint">"No user is disabled."</p> }.into_any()
                } else {
                    view! {
                        <ActionForm form="enable-user".to_string()
                            fields=vec![Field::select("user", "User", disabled)]
                            make=Arc::new(move |v| Some(Command::EnableUser { user: user(v)? }))
                            submit_label="Enable" refused=manage_users.clone()/>
                    }.into_any()
                }}
            </section>
            <section class="panel" aria-labelledby="invite-heading">
                <h2 id="invite-heading">"Invite a user"</h2>
                <ActionForm form="invite-user".to_string()
                    fields=vec![
                        Field::text("email", "Email", "name@example.com"),
                        Field::text("name", "Name", "Their full name"),
                        Field::choice("role", "Role", &ROLES),
                    ]
                    make=Arc::new(|v| Some(Command::InviteUser { email: v.get("email")?, name: v.get("name")?, role: role_of(&v.get("role")?)? }))
                    submit_label="Invite" refused=manage_users.clone()/>
            </section>
            <section class="panel" aria-labelledby="invitations-heading">
                <h2 id="invitations-heading">"Pending invitations"</h2>
                {if invitations.is_empty() {
                    view! { <p class="hint">"None."</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain">{pending}</ul>
                        <ActionForm form="revoke-invitation".to_string()
                            fields=vec![Field::select("invitation", "Invitation", invitations)]
                            make=Arc::new(|v| Some(Command::RevokeInvitation { invitation: InvitationId(parse_id(&v.get("invitation")?)?) }))
                            submit_label="Revoke" refused=manage_users.clone()/>
                    }.into_any()
                }}
            </section>
        </div>
    }
    .into_any()
}

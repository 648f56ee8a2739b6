//! `/partners`: partnerships, requests (send, accept, decline, withdraw), manual
//! partnerships, relationship managers ("Partners > Relationship managers >
//! Connect"), cost bearing, and ending a partnership, each previewed.

use std::sync::Arc;

use leptos::prelude::*;
use preflight_core::project::Visibility;
use preflight_core::{
    Action, Command, EnvironmentId, OrganisationId, PartnershipId, PartnershipOrigin, RequestId,
    RequestStatus, RequestTarget, UserId,
};

use crate::components::action_form::{ActionForm, Field, Values};
use crate::components::paged::Key;
use crate::pages::organisation::parse_id;
use crate::pages::{
    environment_name, refusal, signed_in_page, user_name, user_options, PageHeader,
};
use crate::session::SignedIn;

#[component]
pub fn PartnersPage() -> impl IntoView {
    signed_in_page(partners_view)
}

fn id_of(values: &Values<'_>, name: &str) -> Option<uuid::Uuid> {
    values.get(name).and_then(|v| parse_id(&v))
}

fn partners_view(signed_in: SignedIn) -> AnyView {
    let world = signed_in.world.clone();
    let me = signed_in.me.clone();
    let Some(vis) = Visibility::of(&world, me.id) else {
        return ().into_any();
    };
    let home = me.environment;

    // Partnerships of my environment, active first.
    let mut partnerships: Vec<_> = world
        .partnerships_of(home)
        .iter()
        .filter_map(|p| world.partnership(*p))
        .cloned()
        .collect();
    preflight_core::util::sort::sort_unstable_by_key(&mut partnerships, |p| {
        (p.ended.is_some(), std::cmp::Reverse(p.created_at), p.id)
    });
    let partner_of = |p: &preflight_core::Partnership| {
        if p.requester == home {
            p.accepter
        } else {
            p.requester
        }
    };
    let rows: Vec<crate::components::paged::Row> = partnerships
        .iter()
        .map(|p| {
            let partner = environment_name(&world, partner_of(p));
            let status = match p.ended {
                None => "Active".to_string(),
                Some(ended) => format!("Ended {}", ended.at),
            };
            let managers = p
                .relationship_managers
                .iter()
                .map(|u| user_name(&world, *u))
                .collect::<Vec<_>>()
                .join(", ");
            let how = match p.origin {
                PartnershipOrigin::AuthorisationRequest(_) => "Authorisation request",
                PartnershipOrigin::Manual(_) => "Manual",
            };
            let managers = if managers.is_empty() {
                "none".to_string()
            } else {
                managers
            };
            let since = p.created_at.to_string();
            let text = format!("{partner} {how} {status} {managers}");
            let (partner_key, status_key) = (partner.clone(), status.clone());
            let draw: Arc<dyn Fn() -> AnyView + Send + Sync> = Arc::new(move || {
                view! {
                    <tr data-testid="partnership">
                        <td>{partner.clone()}</td>
                        <td>{how}</td>
                        <td>{since.clone()}</td>
                        <td>{status.clone()}</td>
                        <td>{managers.clone()}</td>
                    </tr>
                }
                .into_any()
            });
            crate::components::paged::Row::new(text, draw).keys(vec![
                Key::text(&partner_key),
                Key::text(how),
                Key::Number(p.created_at.0),
                Key::text(&status_key),
            ])
        })
        .collect();
    let active: Vec<(String, String)> = partnerships
        .iter()
        .filter(|p| p.ended.is_none())
        .map(|p| (p.id.to_string(), environment_name(&world, partner_of(p))))
        .collect();

    // Requests: to me (by email or to my environment), and from my environment.
    let pending: Vec<_> = world
        .requests()
        .filter(|r| r.status == RequestStatus::Pending)
        .cloned()
        .collect();
    let incoming: Vec<(String, String)> = pending
        .iter()
        .filter(|r| match &r.target {
            RequestTarget::Email { email } => email.eq_ignore_ascii_case(&me.email),
            RequestTarget::Environment { environment } => *environment == home,
        })
        .map(|r| {
            (
                r.id.to_string(),
                format!(
                    "From {} ({}), {}",
                    environment_name(&world, r.from_environment),
                    user_name(&world, r.from_user),
                    r.at
                ),
            )
        })
        .collect();
    let outgoing: Vec<(String, String)> = pending
        .iter()
        .filter(|r| r.from_environment == home)
        .map(|r| {
            let to = match &r.target {
                RequestTarget::Email { email } => email.clone(),
                RequestTarget::Environment { environment } => {
                    environment_name(&world, *environment)
                }
            };
            (r.id.to_string(), format!("To {to}, {}", r.at))
        })
        .collect();
    let list = |items: &[(String, String)], testid: &'static str| {
        if items.is_empty() {
            view! { <p class="hint">"None."</p> }.into_any()
        } else {
            let items = items
                .iter()
                .map(|(_, label)| view! { <li data-testid=testid>{label.clone()}</li> })
                .collect_view();
            view! { <ul class="plain">{items}</ul> }.into_any()
        }
    };
    let incoming_list = list(&incoming, "incoming-request");
    let outgoing_list = list(&outgoing, "outgoing-request");

    let managers = user_options(&world, &vis, |u| u.relationship_manager);
    // Cost bearing concerns the organisations of partner environments (taking
    // on) and those whose costs move between the two sides (releasing): every
    // one the viewer knows, at least by name. Core decides each in the preview.
    let label = |o: &preflight_core::Organisation| {
        format!(
            "{} of {} (costs borne by {})",
            o.name,
            environment_name(&world, o.environment),
            environment_name(&world, o.cost_bearer)
        )
    };
    let mut to_take_on: Vec<(String, String)> = world
        .organisations()
        .filter(|o| o.environment != home && o.cost_bearer != home && vis.organisation_name(o.id))
        .filter(|o| o.status != preflight_core::OrgStatus::Removed)
        .map(|o| (o.id.to_string(), label(o)))
        .collect();
    to_take_on.sort_by_key(|o| o.1.to_lowercase());
    let mut to_release: Vec<(String, String)> = world
        .organisations()
        .filter(|o| {
            o.cost_bearer != o.environment && (o.cost_bearer == home || o.environment == home)
        })
        .filter(|o| vis.organisation_name(o.id))
        .map(|o| (o.id.to_string(), label(o)))
        .collect();
    to_release.sort_by_key(|o| o.1.to_lowercase());

    let own = preflight_core::Resource::Environment(signed_in.me.environment);
    let requests = refusal(&signed_in, Action::SendPartnershipRequests, own);
    let manage_users = refusal(&signed_in, Action::ManageUsers, own);
    let manage_partnerships = refusal(&signed_in, Action::ManagePartnerships, own);
    let request = |v: &Values<'_>| id_of(v, "request").map(RequestId);
    let partnership = |v: &Values<'_>| id_of(v, "partnership").map(PartnershipId);
    let organisation = |v: &Values<'_>| id_of(v, "organisation").map(OrganisationId);

    view! {
        <PageHeader title="Partners" testid="partners-title"
            lead="Partnerships between environments, and what they give: a partner's advanced users can be made members of your organisations. Ending one takes all of that away; the preview shows exactly what."/>
        <div class="panels">
            <section class="panel wide" aria-labelledby="partnerships-heading">
                <h2 id="partnerships-heading">"Partnerships"</h2>
<crate::components::paged::PagedTable label="Partnerships" testid="partnerships"
                    head=vec!["Partner", "How", "Since", "Status", "Relationship managers"] rows/>
            </section>
            <section class="panel" aria-labelledby="incoming-heading">
                <h2 id="incoming-heading">"Requests to you"</h2>
                {incoming_list}
                {(!incoming.is_empty()).then(|| view! {
                    <ActionForm form="accept-request".to_string()
                        fields=vec![Field::select("request", "Request", incoming.clone())]
                        make=Arc::new(move |v| Some(Command::AcceptPartnershipRequest { request: request(v)? }))
                        submit_label="Accept" refused=requests.clone()/>
                    <ActionForm form="decline-request".to_string()
                        fields=vec![Field::select("request", "Request", incoming.clone())]
                        make=Arc::new(move |v| Some(Command::DeclinePartnershipRequest { request: request(v)? }))
                        submit_label="Decline" refused=requests.clone()/>
                })}
            </section>
            <section class="panel" aria-labelledby="outgoing-heading">
                <h2 id="outgoing-heading">"Requests you sent"</h2>
                {outgoing_list}
                {(!outgoing.is_empty()).then(|| view! {
                    <ActionForm form="withdraw-request".to_string()
                        fields=vec![Field::select("request", "Request", outgoing.clone())]
                        make=Arc::new(move |v| Some(Command::WithdrawPartnershipRequest { request: request(v)? }))
                        submit_label="Withdraw" refused=requests.clone()/>
                })}
            </section>
            <section class="panel" aria-labelledby="send-heading">
                <h2 id="send-heading">"Send an authorisation request"</h2>
                <p class="hint">"Addressed to a person by email; accepting it creates the partnership."</p>
                <ActionForm form="send-request".to_string()
                    fields=vec![Field::text("email", "Their email", "owner@client.example")]
                    make=Arc::new(|v| Some(Command::SendAuthorisationRequest { email: v.get("email")? }))
                    submit_label="Send request" refused=requests.clone()/>
            </section>
            <section class="panel" aria-labelledby="manual-heading">
                <h2 id="manual-heading">"Propose a manual partnership"</h2>
                <p class="hint">"Ask the other company for its partner code (on its Partners page) and enter it. Yours is "
                    <code data-testid="partner-code">{home.0.to_string()}</code>"."</p>
                <ActionForm form="propose-partnership".to_string()
                    fields=vec![Field::text("environment", "Their partner code", "8c0f4e52-…")]
                    make=Arc::new(|v| Some(Command::ProposePartnership { environment: EnvironmentId(id_of(v, "environment")?) }))
                    submit_label="Propose" refused=requests.clone()/>
            </section>
            <section class="panel" aria-labelledby="rm-connect-heading">
                <h2 id="rm-connect-heading">"Relationship managers"</h2>
                <p class="hint">"Connect a relationship manager to a partnership; the link grants no access by itself."</p>
                <ActionForm form="connect-rm".to_string()
                    fields=vec![Field::select("partnership", "Partnership with", active.clone()), Field::select("user", "Relationship manager", managers.clone())]
                    make=Arc::new(move |v| Some(Command::ConnectRelationshipManager { partnership: partnership(v)?, user: UserId(id_of(v, "user")?) }))
                    submit_label="Connect" refused=manage_users.clone()/>
                <ActionForm form="disconnect-rm".to_string()
                    fields=vec![Field::select("partnership", "Partnership with", active.clone()), Field::select("user", "Relationship manager", managers)]
                    make=Arc::new(move |v| Some(Command::DisconnectRelationshipManager { partnership: partnership(v)?, user: UserId(id_of(v, "user")?) }))
                    submit_label="Disconnect" refused=manage_users.clone()/>
            </section>
            <section class="panel" aria-labelledby="costs-heading">
                <h2 id="costs-heading">"Cost bearing"</h2>
                <p class="hint">"A partner can bear the transaction costs of a client's organisation; releasing them gives them back to its own environment."</p>
                <ActionForm form="take-on-costs".to_string()
                    fields=vec![Field::select("organisation", "Organisation", to_take_on)]
                    make=Arc::new(move |v| Some(Command::TakeOnCosts { organisation: organisation(v)? }))
                    submit_label="Take on costs" refused=manage_partnerships.clone()/>
                <ActionForm form="release-costs".to_string()
                    fields=vec![Field::select("organisation", "Organisation", to_release)]
                    make=Arc::new(move |v| Some(Command::ReleaseCosts { organisation: organisation(v)? }))
                    submit_label="Release costs" refused=manage_partnerships.clone()/>
            </section>
            <section class="panel wide" aria-labelledby="end-heading">
                <h2 id="end-heading">"End a partnership"</h2>
                <p class="hint">"Partner users lose their memberships, shares and group places; tasks move back; costs revert. The preview lists every loss."</p>
                <ActionForm form="end-partnership".to_string()
                    fields=vec![Field::select("partnership", "Partnership with", active)]
                    make=Arc::new(move |v| Some(Command::EndPartnership { partnership: partnership(v)? }))
                    submit_label="End partnership" refused=manage_partnerships.clone() destructive=true/>
            </section>
        </div>
    }
    .into_any()
}

//! §8 Explanations, reverse queries, previews, projections.

use super::fixture::*;
use super::scenario::*;
use preflight_core::project::Visibility;
use preflight_core::*;

#[test]
fn allowed_check_names_grant_paths() {
    let mut f = firm();
    let finance = f.f.group(f.acme_admin, "Finance team");
    f.f.group_member(f.acme_admin, finance, f.clerk);
    f.f.group_member(f.acme_admin, finance, f.accountant);
    let mia = f.f.invite(f.acme_admin, "mia@acme.test", EnvRole::User);
    f.f.member(f.acme_admin, f.bakery, mia, OrgRole::Manager);
    let dairy = f.f.org(f.acme_admin, "Dairy");
    let bob = f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::User);
    f.f.member(f.acme_admin, dairy, bob, OrgRole::Member);
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::InboxIn);
    f.f.share(f.acme_admin, doc, Grantee::Group(finance), Level::Edit);
    f.f.share(f.acme_admin, doc, Grantee::Organisation(dairy), Level::View);
    f.f.share(f.acme_admin, doc, Grantee::User(f.clerk), Level::View);
    let w = &f.f.world;
    let view = |user| sentences(w, user, Action::View, doc_res(doc));
    assert_eq!(view(f.acme_admin), ["Administrator of environment Acme"]);
    assert_eq!(view(mia), ["Manager of Bakery BV"]);
    assert_eq!(
        view(f.accountant),
        [
            "Member of Bakery BV through the partnership with Acme Accountants",
            "shared with group Finance team (Edit) through the partnership with Acme Accountants",
        ]
    );
    assert_eq!(
        view(f.clerk),
        [
            "shared with them directly (View)",
            "shared with group Finance team (Edit)"
        ]
    );
    assert_eq!(
        view(bob),
        ["shared with organisation Dairy (View), of which they are a member"]
    );
    // Only the paths strong enough for the action are named.
    assert_eq!(
        sentences(w, f.clerk, Action::Edit, doc_res(doc)),
        ["shared with group Finance team (Edit)"]
    );
    assert_eq!(
        sentences(w, f.acme_admin, Action::ManageMembers, org_res(f.bakery)),
        ["Administrator of environment Acme"]
    );
    assert!(check(w, f.clerk, Action::View, doc_res(doc))
        .reasons
        .iter()
        .all(Reason::is_grant));
}

#[test]
fn denial_explains_ended_partnership() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    f.f.end(f.acme_admin, f.partnership);
    let ended = f.f.now();
    assert_eq!(ended.to_date_string(), "2026-11-18");
    let w = &f.f.world;
    let decision = check(w, f.accountant, Action::View, doc_res(doc));
    assert!(!decision.allowed);
    assert_eq!(
        decision.reasons.as_slice(),
        &[Reason::NoPartnership {
            home: f.firm,
            environment: f.acme,
            ended: Some(ended)
        }]
    );
    assert_eq!(
        decision.explain(w),
        ["Acme Accountants is not partnered with Acme; the partnership ended on 2026-11-18"]
    );
    assert_eq!(
        sentences(w, f.accountant, Action::ViewOrganisation, org_res(f.bakery)),
        ["Acme Accountants is not partnered with Acme; the partnership ended on 2026-11-18"]
    );
    assert!(!decision.reasons[0].is_grant());
}

#[test]
fn denial_names_what_is_missing() {
    let mut f = firm();
    f.f.member(f.acme_admin, f.bakery, f.clerk, OrgRole::Member);
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    let bob = f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::User);
    f.f.share(f.acme_admin, doc, Grantee::User(bob), Level::View);
    let (_, olga) = f.f.sign_up("Other", "olga@other.test");
    let w = &f.f.world;
    let bakery = org_res(f.bakery);
    assert_eq!(
        sentences(w, bob, Action::Edit, doc_res(doc)),
        [
            "has View access; this needs Edit",
            "shared with them directly (View)"
        ]
    );
    assert_eq!(
        sentences(w, f.clerk, Action::ManageOrganisationSettings, bakery),
        ["not a Manager of Bakery BV nor an Administrator of its environment"]
    );
    assert_eq!(
        sentences(w, f.clerk, Action::ActivateOrganisation, bakery),
        ["only an Administrator of environment Acme may do this"]
    );
    assert_eq!(
        sentences(w, f.clerk, Action::RetrieveConnectionKey, bakery),
        ["is a User of their environment; this needs Advanced user or Administrator"]
    );
    assert_eq!(
        sentences(w, bob, Action::ViewOrganisation, bakery),
        ["not a member of Bakery BV, and nothing of it is shared with them"]
    );
    assert_eq!(
        sentences(w, olga, Action::View, doc_res(doc)),
        ["Other has no partnership with Acme"]
    );
    // An action of the wrong kind fails closed.
    let wrong = check(w, f.acme_admin, Action::View, bakery);
    assert!(!wrong.allowed);
    assert_eq!(wrong.reasons.as_slice(), &[Reason::UnknownResource]);
    assert_eq!(
        check(w, UserId::from_u128(12345), Action::View, doc_res(doc))
            .reasons
            .as_slice(),
        &[Reason::UnknownUser]
    );
}

/// A world with something of everything: two partnerships (one ended), shares
/// of each kind, groups across environments, a disabled user, a third
/// environment reached only through a partner.
fn rich_world() -> (World, Vec<UserId>, Vec<Resource>) {
    let mut f = firm();
    let (acme_admin, firm_admin, clerk, accountant, bakery) =
        (f.acme_admin, f.firm_admin, f.clerk, f.accountant, f.bakery);
    let office = f.f.org(firm_admin, "Firm Office");
    let dairy = f.f.org(acme_admin, "Dairy");
    let mia =
        f.f.invite(acme_admin, "mia@acme.test", EnvRole::AdvancedUser);
    let dan = f.f.invite(acme_admin, "dan@acme.test", EnvRole::User);
    let paul = f.f.invite(firm_admin, "paul@firm.test", EnvRole::User);
    let (_, fay) = f.f.sign_up("Freelance", "fay@freelance.test");
    let (_, olga) = f.f.sign_up("Other", "olga@other.test");
    let other_org = f.f.org(olga, "Other BV");
    f.f.partner(firm_admin, "fay@freelance.test", fay);
    let ended = f.f.partner(firm_admin, "olga@other.test", olga);
    f.f.member(acme_admin, dairy, mia, OrgRole::Manager);
    f.f.member(acme_admin, bakery, clerk, OrgRole::Member);
    f.f.member(firm_admin, office, fay, OrgRole::Member);
    f.f.member(firm_admin, office, mia, OrgRole::Member);
    f.f.member(olga, other_org, firm_admin, OrgRole::Manager);
    let finance = f.f.group(acme_admin, "Finance team");
    f.f.group_member(acme_admin, finance, paul);
    f.f.group_member(acme_admin, finance, dan);
    let docs = [
        f.f.upload(acme_admin, bakery, DocBox::InboxIn),
        f.f.upload(accountant, bakery, DocBox::InboxOut),
        f.f.upload(mia, dairy, DocBox::Documents),
        f.f.upload(firm_admin, office, DocBox::Documents),
        f.f.upload(olga, other_org, DocBox::Documents),
    ];
    f.f.share(acme_admin, docs[0], Grantee::Group(finance), Level::Edit);
    f.f.share(
        acme_admin,
        docs[0],
        Grantee::Organisation(office),
        Level::View,
    );
    f.f.share(acme_admin, docs[2], Grantee::User(dan), Level::Manage);
    f.f.share(
        acme_admin,
        docs[2],
        Grantee::Organisation(bakery),
        Level::View,
    );
    f.f.share(firm_admin, docs[3], Grantee::User(clerk), Level::View);
    f.f.share(olga, docs[4], Grantee::User(firm_admin), Level::View);
    f.f.end(olga, ended);
    f.f.ok(acme_admin, Command::DisableUser { user: dan });
    let users: Vec<UserId> = f.f.world.users().map(|u| u.id).collect();
    let mut resources: Vec<Resource> = f.f.world.organisations().map(|o| org_res(o.id)).collect();
    resources.extend(docs.iter().map(|d| doc_res(*d)));
    (f.f.world, users, resources)
}

#[test]
fn who_can_and_what_can_agree_with_check() {
    let (w, users, mut resources) = rich_world();
    resources.extend(w.environments().map(|e| Resource::Environment(e.id)));
    let mut allowed = 0;
    for resource in &resources {
        let kind = match resource {
            Resource::Document(_) => ResourceKind::Document,
            Resource::Organisation(_) => ResourceKind::Organisation,
            Resource::Environment(_) => ResourceKind::Environment,
        };
        let actions: &[Action] = match kind {
            ResourceKind::Document => &Action::DOCUMENT,
            ResourceKind::Organisation => &Action::ORGANISATION,
            ResourceKind::Environment => &Action::ENVIRONMENT,
        };
        for action in actions {
            let who = who_can(&w, *action, *resource);
            for user in &users {
                let decision = check(&w, *user, *action, *resource);
                let in_who = who.iter().find(|a| a.user == *user);
                let what = what_can(&w, *user, *action, kind);
                let in_what = what.iter().find(|r| r.resource == *resource);
                assert_eq!(
                    in_who.is_some(),
                    decision.allowed,
                    "who_can {action:?} {resource:?} {user:?}"
                );
                assert_eq!(
                    in_what.is_some(),
                    decision.allowed,
                    "what_can {action:?} {resource:?} {user:?}"
                );
                if decision.allowed {
                    allowed += 1;
                    assert_eq!(in_who.unwrap().reasons, decision.reasons);
                    assert_eq!(in_what.unwrap().reasons, decision.reasons);
                }
            }
            assert!(who.iter().all(|a| users.contains(&a.user)));
        }
    }
    assert!(
        allowed > 20,
        "the world should allow a fair amount: {allowed}"
    );
}

#[test]
fn preview_shows_access_gained_by_group_share_without_changing_the_world() {
    let mut f = firm();
    let finance = f.f.group(f.acme_admin, "Finance team");
    f.f.group_member(f.acme_admin, finance, f.clerk);
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::InboxIn);
    let before = f.f.world.clone();
    let command = Command::ShareDocument {
        document: doc,
        grantee: Grantee::Group(finance),
        level: Level::Edit,
    };
    let ctx = Context::deterministic(Timestamp(T0 + 10_000_000), 9_999);
    let shown = preview(&f.f.world, &by(f.acme_admin), command.clone(), &ctx);
    assert_eq!(f.f.world, before, "a preview changes nothing");
    assert!(shown.allowed && shown.error.is_none());
    assert!(
        matches!(shown.events.as_slice(), [Event::ShareGranted { share }] if share.grantee == Grantee::Group(finance))
    );
    assert_eq!(shown.access_changes.len(), 1, "{:?}", shown.access_changes);
    let change = &shown.access_changes[0];
    assert_eq!((change.user, change.resource), (f.clerk, doc_res(doc)));
    assert!(change.before.is_none());
    assert_eq!(change.after.level(), Some(Level::Edit));
    assert!(!change.is_loss());
    assert!(change.reasons_before.is_empty());
    assert_eq!(
        change
            .reasons_after
            .iter()
            .map(|r| r.render(&f.f.world))
            .collect::<Vec<_>>(),
        ["shared with group Finance team (Edit)"]
    );
    // Executing it then does exactly what was shown.
    let events = execute(&f.f.world, &by(f.acme_admin), command, &ctx).unwrap();
    assert_eq!(events, shown.events);
}

#[test]
fn preview_shows_access_lost_when_partnership_ends() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    let ctx = Context::deterministic(Timestamp(T0 + 10_000_000), 9_999);
    let shown = preview(
        &f.f.world,
        &by(f.acme_admin),
        Command::EndPartnership {
            partnership: f.partnership,
        },
        &ctx,
    );
    assert!(shown.allowed);
    let lost: Vec<(UserId, Resource)> = shown
        .access_changes
        .iter()
        .filter(|c| c.is_loss())
        .map(|c| (c.user, c.resource))
        .collect();
    assert!(lost.contains(&(f.accountant, org_res(f.bakery))));
    assert!(lost.contains(&(f.accountant, doc_res(doc))));
    assert!(lost.iter().all(|(u, _)| *u == f.accountant), "{lost:?}");
    let change = shown
        .access_changes
        .iter()
        .find(|c| c.resource == doc_res(doc))
        .unwrap();
    assert_eq!(
        change
            .reasons_before
            .iter()
            .map(|r| r.render(&f.f.world))
            .collect::<Vec<_>>(),
        ["Member of Bakery BV through the partnership with Acme Accountants"]
    );
    assert!(f.f.world.partnership(f.partnership).unwrap().is_active());
}

#[test]
fn preview_on_projection_names_what_only_the_server_can_confirm() {
    let mut t = trade();
    let taken = t.f.participant(t.mill);
    let twin = t.f.add_org(t.ada, "Twin", &taken);
    let slice = project(&t.f.world, t.ada);
    let ctx = Context::deterministic(Timestamp(T0 + 10_000_000), 9_999);
    let command = Command::ActivateOrganisation { organisation: twin };
    // The user's slice cannot know that Mill NV holds the identifier …
    let shown = preview(&slice, &by(t.ada), command.clone(), &ctx);
    assert!(shown.allowed);
    assert_eq!(
        shown.unconfirmed,
        [Unconfirmed::ParticipantAvailable {
            participant_id: taken.clone()
        }]
    );
    assert_eq!(
        shown.unconfirmed[0].render(&slice),
        format!("whether `{taken}` is already registered by another organisation")
    );
    // … which the server then does.
    let on_server = preview(&t.f.world, &by(t.ada), command, &ctx);
    assert_eq!(on_server.error.map(|e| e.code()), Some("conflict"));
    // Nor whether a recipient exists.
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let slice = project(&t.f.world, t.ada);
    let shown = preview(
        &slice,
        &by(t.ada),
        Command::SendDocument {
            document: doc,
            to: taken.clone(),
        },
        &ctx,
    );
    assert!(shown.allowed);
    assert!(shown
        .unconfirmed
        .contains(&Unconfirmed::RecipientRegistered {
            participant_id: taken
        }));
}

#[test]
fn project_holds_only_what_the_user_may_see() {
    let mut f = firm();
    f.f.set_plan(f.firm, Plan::Professional);
    let dairy = f.f.org(f.acme_admin, "Dairy");
    let office = f.f.org(f.firm_admin, "Firm Office");
    f.f.member(f.acme_admin, f.bakery, f.clerk, OrgRole::Member);
    let bakery_doc = f.f.upload(f.acme_admin, f.bakery, DocBox::InboxIn);
    let shared_dairy_doc = f.f.upload(f.acme_admin, dairy, DocBox::Documents);
    let hidden_dairy_doc = f.f.upload(f.acme_admin, dairy, DocBox::Documents);
    let office_doc = f.f.upload(f.firm_admin, office, DocBox::Documents);
    f.f.share(
        f.acme_admin,
        shared_dairy_doc,
        Grantee::User(f.clerk),
        Level::View,
    );
    let secret = f.f.group(f.acme_admin, "Board");
    f.f.key(f.acme_admin, dairy);
    let w = &f.f.world;
    let slice = project(w, f.clerk);

    let mut docs: Vec<DocumentId> = slice.documents().map(|d| d.id).collect();
    docs.sort();
    let mut expected = vec![bakery_doc, shared_dairy_doc];
    expected.sort();
    assert_eq!(docs, expected);
    assert!(slice.document(hidden_dairy_doc).is_none());
    assert!(slice.document(office_doc).is_none());
    // Bakery in full, Dairy by name only, the firm's office not at all.
    assert_eq!(slice.organisation(f.bakery), w.organisation(f.bakery));
    assert_eq!(slice.organisation(dairy).unwrap().participant_id, "");
    assert!(slice.organisation(office).is_none());
    assert!(slice.keys_of(dairy).is_empty());
    // No users, groups or figures of the partner beyond its name.
    assert!(slice.users().all(|u| u.environment == f.acme));
    assert!(slice.group(secret).is_none());
    let partner = slice.environment(f.firm).unwrap();
    assert_eq!(partner.name, "Acme Accountants");
    assert_eq!((partner.plan, partner.credit), (Plan::Free, 0));
    assert!(
        slice.ledger_of(f.acme).is_empty(),
        "the ledger is for Administrators"
    );
    assert_eq!(slice.requests().count(), 0);
    // What the slice says about the clerk's own access is what the world says.
    for resource in [
        org_res(f.bakery),
        org_res(dairy),
        doc_res(bakery_doc),
        doc_res(shared_dairy_doc),
    ] {
        for action in Action::DOCUMENT.iter().chain(Action::ORGANISATION.iter()) {
            if action.resource_kind()
                == match resource {
                    Resource::Document(_) => ResourceKind::Document,
                    Resource::Organisation(_) => ResourceKind::Organisation,
                    Resource::Environment(_) => ResourceKind::Environment,
                }
            {
                assert_eq!(
                    check(&slice, f.clerk, *action, resource),
                    check(w, f.clerk, *action, resource),
                    "{action:?} {resource:?}"
                );
            }
        }
    }
}

#[test]
fn projection_answers_administrators_questions_like_the_world() {
    let (w, users, resources) = rich_world();
    for viewer in &users {
        let Some(vis) = Visibility::of(&w, *viewer) else {
            continue;
        };
        let slice = project(&w, *viewer);
        for user in &users {
            for resource in &resources {
                if !vis.pair(*user, *resource) {
                    continue;
                }
                let actions: &[Action] = match resource {
                    Resource::Document(_) => &Action::DOCUMENT,
                    Resource::Organisation(_) => &Action::ORGANISATION,
                    Resource::Environment(_) => &Action::ENVIRONMENT,
                };
                for action in actions {
                    assert_eq!(
                        check(&slice, *user, *action, *resource),
                        check(&w, *user, *action, *resource),
                        "viewer {viewer:?} asks about {user:?} {action:?} {resource:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_accepted_command_advances_the_version_by_its_events() {
    let mut f = firm();
    let version = f.f.world.version();
    let events =
        f.f.ok(f.acme_admin, Command::CreateGroup { name: "G".into() });
    assert_eq!(f.f.world.version(), version + events.len() as u64);
    let version = f.f.world.version();
    let events = f.f.end(f.acme_admin, f.partnership);
    assert!(events.len() > 1);
    assert_eq!(f.f.world.version(), version + events.len() as u64);
}

/// Commands worth previewing on `world`: removals and role changes of every
/// kind, each by an Administrator of the environment concerned.
fn candidate_commands(world: &World) -> Vec<(UserId, Command)> {
    let admin_of = |env: EnvironmentId| world.administrators_of(env).next().map(|u| u.id);
    let mut out = Vec::new();
    for p in world.partnerships().filter(|p| p.is_active()) {
        out.extend(
            admin_of(p.requester).map(|a| (a, Command::EndPartnership { partnership: p.id })),
        );
    }
    for u in world.users() {
        if let Some(a) = admin_of(u.environment) {
            out.push((a, Command::DisableUser { user: u.id }));
            out.push((a, Command::EnableUser { user: u.id }));
            for role in [EnvRole::User, EnvRole::AdvancedUser, EnvRole::Administrator] {
                out.push((a, Command::AssignRole { user: u.id, role }));
            }
        }
    }
    for m in world.memberships() {
        let env = world.organisation(m.organisation).unwrap().environment;
        if let Some(a) = admin_of(env) {
            out.push((
                a,
                Command::RemoveMember {
                    organisation: m.organisation,
                    user: m.user,
                },
            ));
            out.push((
                a,
                Command::ChangeMemberRole {
                    organisation: m.organisation,
                    user: m.user,
                    role: OrgRole::Manager,
                },
            ));
        }
    }
    for s in world.shares() {
        let env = world.document(s.document).unwrap().environment;
        if let Some(a) = admin_of(env) {
            out.push((
                a,
                Command::UnshareDocument {
                    document: s.document,
                    grantee: s.grantee,
                },
            ));
        }
    }
    for g in world.groups() {
        if let Some(a) = admin_of(g.environment) {
            out.push((a, Command::DeleteGroup { group: g.id }));
            for user in world.group_members(g.id) {
                out.push((
                    a,
                    Command::RemoveGroupMember {
                        group: g.id,
                        user: *user,
                    },
                ));
            }
        }
    }
    for d in world.documents() {
        if let Some(a) = admin_of(d.environment) {
            out.push((a, Command::DeleteDocument { document: d.id }));
        }
    }
    out
}

#[test]
fn preview_shows_every_access_change_and_exactly_what_execution_does() {
    let (w, users, resources) = rich_world();
    let mut previewed = 0;
    for (n, (actor, command)) in candidate_commands(&w).into_iter().enumerate() {
        let ctx = Context::deterministic(Timestamp(T0 + 10_000_000), 50_000 + n as u128);
        let shown = preview(&w, &by(actor), command.clone(), &ctx);
        let executed = execute(&w, &by(actor), command.clone(), &ctx);
        match &executed {
            Err(e) => {
                assert_eq!(shown.error.as_ref(), Some(e));
                continue;
            }
            Ok(events) => assert_eq!(&shown.events, events, "{command:?}"),
        }
        previewed += 1;
        let mut after = w.clone();
        for event in &shown.events {
            after.apply(event);
        }
        let mut expected = Vec::new();
        for user in &users {
            for resource in &resources {
                let (was, _) = preflight_core::preview::access_with_reasons(&w, *user, *resource);
                let (now, _) =
                    preflight_core::preview::access_with_reasons(&after, *user, *resource);
                if was != now {
                    expected.push((*user, *resource, was, now));
                }
            }
        }
        expected.sort();
        let mut shown_changes: Vec<_> = shown
            .access_changes
            .iter()
            .filter(|c| resources.contains(&c.resource))
            .map(|c| (c.user, c.resource, c.before, c.after))
            .collect();
        shown_changes.sort();
        assert_eq!(shown_changes, expected, "{command:?}");
    }
    assert!(previewed > 30, "{previewed}");
}

#[test]
fn unsharing_returns_open_tasks_of_who_loses_access() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    f.f.share(f.acme_admin, doc, Grantee::User(f.clerk), Level::View);
    let task = f.f.start_task(f.acme_admin, doc, f.clerk);
    f.f.ok(
        f.acme_admin,
        Command::UnshareDocument {
            document: doc,
            grantee: Grantee::User(f.clerk),
        },
    );
    let t = f.f.task(task);
    assert_eq!(t.assignee, f.acme_admin);
    assert_eq!(
        t.trail.last().unwrap().step,
        TrailStep::Reassigned {
            from: f.clerk,
            to: f.acme_admin,
            why: ReassignReason::AssigneeLostAccess
        }
    );
}

#[test]
fn viewer_of_shared_document_sees_no_other_organisation_it_is_shared_with() {
    let mut f = firm();
    let office = f.f.org(f.firm_admin, "Firm Office");
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    f.f.share(f.acme_admin, doc, Grantee::User(f.clerk), Level::View);
    f.f.share(
        f.acme_admin,
        doc,
        Grantee::Organisation(office),
        Level::View,
    );
    let slice = project(&f.f.world, f.clerk);
    // The document's own organisation by name, as the rule book allows …
    assert_eq!(
        slice.organisation(f.bakery).map(|o| o.name.as_str()),
        Some("Bakery BV")
    );
    // … but nothing of an organisation of which the clerk is not a member and
    // that is not the document's.
    assert!(
        slice.organisation(office).is_none(),
        "a plain User sees {:?}",
        slice.organisation(office)
    );
}

#[test]
fn ending_partnership_returns_task_to_latest_person_even_one_who_moved_it_for_someone_else() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let mia =
        f.f.invite(f.acme_admin, "mia@acme.test", EnvRole::AdvancedUser);
    f.f.member(f.acme_admin, f.bakery, mia, OrgRole::Manager);
    let bea =
        f.f.invite(f.firm_admin, "bea@firm.test", EnvRole::AdvancedUser);
    f.f.member(f.acme_admin, f.bakery, bea, OrgRole::Member);
    let doc = f.f.receive(f.bakery);
    // Ada assigns the accountant; Mia (not the assignee) moves it on to Bea.
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    f.f.ok(mia, Command::DelegateTask { task, to: bea });
    assert_eq!(
        f.f.task(task).trail.last().unwrap().step,
        TrailStep::Delegated {
            by: mia,
            from: f.accountant,
            to: bea
        }
    );
    f.f.end(f.acme_admin, f.partnership);
    // Mia acted last of everyone in the trail who can still view the document.
    assert_eq!(f.f.task(task).assignee, mia);
}

#[test]
fn after_removal_the_log_may_keep_that_documents_existed_not_what_they_said() {
    use preflight_core::split::forget::{forget_event, replay_with_owners, FORGOTTEN};
    let demo = preflight_core::generate::demo();
    let (world, owners) = replay_with_owners(&demo.events);
    let bakery = world
        .organisations()
        .find(|o| o.name == "Bakery BV")
        .expect("Bakery BV")
        .id;
    let names: Vec<String> = world
        .documents()
        .filter(|d| d.organisation == bakery)
        .map(|d| d.name.clone())
        .collect();
    assert!(!names.is_empty());

    let forgotten: Vec<_> = demo
        .events
        .iter()
        .zip(&owners)
        .map(|(event, owner)| match owner {
            Some(o) if *o == bakery => forget_event(event),
            _ => event.clone(),
        })
        .collect();
    let mut replayed = World::default();
    for event in &forgotten {
        replayed.apply(event);
    }
    // The same world, version for version, every document still there...
    assert_eq!(replayed.version(), world.version());
    assert_eq!(replayed.documents().count(), world.documents().count());
    for document in world.documents() {
        let kept = replayed.document(document.id).expect("kept");
        if document.organisation == bakery {
            // ...but not what Bakery BV's said.
            assert_eq!(kept.name, FORGOTTEN);
            assert!(kept.summary.is_none());
            assert_eq!(kept.sha256, preflight_core::Sha256::default());
        } else {
            assert_eq!(kept, document);
        }
    }
    // No name that stood only on Bakery BV's documents is left in the log.
    let text = serde_json::to_string(&forgotten).expect("events serialise");
    let own: Vec<_> = names
        .iter()
        .filter(|name| {
            !world
                .documents()
                .any(|d| d.organisation != bakery && &&d.name == name)
        })
        .collect();
    assert!(
        !own.is_empty(),
        "Bakery BV's documents have names of their own"
    );
    for name in own {
        assert!(!text.contains(name.as_str()), "{name} is still in the log");
    }
}

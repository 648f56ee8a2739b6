//! §2 Partnerships.

use super::fixture::*;
use super::scenario::*;
use preflight_core::*;

#[test]
fn accepted_authorisation_request_creates_partnership_at_once() {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", ACME_ADMIN);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    f.set_plan(firm, Plan::Basic);
    let request = f.request(fred, ACME_ADMIN);
    assert_eq!(
        f.world.request(request).unwrap().status,
        RequestStatus::Pending
    );
    assert!(f.world.active_partnership(acme, firm).is_none());
    let partnership = f.accept(ada, request);
    let p = f.world.partnership(partnership).unwrap();
    assert!(p.is_active());
    assert_eq!((p.requester, p.accepter), (firm, acme));
    assert_eq!(p.origin, PartnershipOrigin::AuthorisationRequest(request));
    assert_eq!(
        f.world.request(request).unwrap().status,
        RequestStatus::Accepted {
            by: ada,
            partnership
        }
    );
    assert_eq!(
        f.world.active_partnership(acme, firm).unwrap().id,
        partnership
    );
}

#[test]
fn authorisation_request_needs_sender_plan_basic() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    let send = Command::SendAuthorisationRequest {
        email: ACME_ADMIN.into(),
    };
    let error = f.refuse(
        fred,
        send.clone(),
        "plan_too_low",
        "Acme Accountants is on the Free plan",
    );
    assert_eq!(
        error,
        CommandError::PlanTooLow {
            who: "Acme Accountants".into(),
            has: Plan::Free,
            needs: Plan::Basic
        }
    );
    assert!(error.to_string().contains("needs Basic"));
    f.set_plan(firm, Plan::Basic);
    let request = f.request(fred, ACME_ADMIN);
    // The client's Free plan does not matter for an authorisation request.
    f.accept(ada, request);
}

#[test]
fn authorisation_request_needs_administrator_or_advanced_user_sender() {
    let mut f = Fixture::new();
    f.sign_up("Acme", ACME_ADMIN);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    f.set_plan(firm, Plan::Basic);
    let paul = f.invite(fred, "paul@firm.test", EnvRole::User);
    let anna = f.invite(fred, "anna@firm.test", EnvRole::AdvancedUser);
    f.refuse(
        paul,
        Command::SendAuthorisationRequest {
            email: ACME_ADMIN.into(),
        },
        "not_permitted",
        "Administrators and Advanced users",
    );
    f.request(anna, ACME_ADMIN);
}

#[test]
fn authorisation_request_answer_does_not_reveal_whether_address_exists() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    f.invite(ada, "cleo@acme.test", EnvRole::User);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    f.set_plan(firm, Plan::Basic);
    let mut answers = Vec::new();
    for email in [ACME_ADMIN, "cleo@acme.test", "nobody@nowhere.test"] {
        let events = f.ok(
            fred,
            Command::SendAuthorisationRequest {
                email: email.into(),
            },
        );
        let [Event::PartnershipRequested { request }] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(
            request.target,
            RequestTarget::Email {
                email: email.into()
            }
        );
        answers.push((request.from_environment, request.from_user, request.status));
        // A second request to the same address is refused the same way.
        let error = f.refuse(
            fred,
            Command::SendAuthorisationRequest {
                email: email.into(),
            },
            "conflict",
            "already pending",
        );
        assert_eq!(
            error.to_string(),
            format!("a request to `{email}` is already pending")
        );
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
}

#[test]
fn only_administrator_or_advanced_user_at_the_address_sees_and_answers_request() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    let cleo = f.invite(ada, "cleo@acme.test", EnvRole::User);
    let bob = f.invite(ada, "bob@acme.test", EnvRole::AdvancedUser);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    f.set_plan(firm, Plan::Basic);
    let to_cleo = f.request(fred, "cleo@acme.test");
    let to_bob = f.request(fred, "bob@acme.test");
    // A plain User at the address neither sees nor answers it.
    assert!(project(&f.world, cleo).request(to_cleo).is_none());
    f.refuse(
        cleo,
        Command::AcceptPartnershipRequest { request: to_cleo },
        "not_found",
        "request",
    );
    f.refuse(
        cleo,
        Command::DeclinePartnershipRequest { request: to_cleo },
        "not_found",
        "request",
    );
    // Someone else, even an Administrator, cannot answer for the addressee.
    f.refuse(
        ada,
        Command::AcceptPartnershipRequest { request: to_bob },
        "not_found",
        "request",
    );
    assert!(project(&f.world, ada).request(to_bob).is_none());
    // The addressee sees it, and so does the sender.
    assert!(project(&f.world, bob).request(to_bob).is_some());
    assert!(project(&f.world, fred).request(to_bob).is_some());
    f.accept(bob, to_bob);
}

#[test]
fn declined_request_cannot_be_accepted_or_withdrawn() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    f.set_plan(firm, Plan::Basic);
    let request = f.request(fred, ACME_ADMIN);
    f.ok(ada, Command::DeclinePartnershipRequest { request });
    assert_eq!(
        f.world.request(request).unwrap().status,
        RequestStatus::Declined { by: ada }
    );
    f.refuse(
        ada,
        Command::AcceptPartnershipRequest { request },
        "conflict",
        "no longer pending",
    );
    f.refuse(
        fred,
        Command::WithdrawPartnershipRequest { request },
        "conflict",
        "no longer pending",
    );
    assert_eq!(f.world.partnerships().count(), 0);
}

#[test]
fn sender_may_withdraw_pending_request() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    f.set_plan(firm, Plan::Basic);
    let request = f.request(fred, ACME_ADMIN);
    // The addressee cannot withdraw someone else's request.
    f.refuse(
        ada,
        Command::WithdrawPartnershipRequest { request },
        "not_found",
        "request",
    );
    f.ok(fred, Command::WithdrawPartnershipRequest { request });
    assert_eq!(
        f.world.request(request).unwrap().status,
        RequestStatus::Withdrawn
    );
    f.refuse(
        ada,
        Command::AcceptPartnershipRequest { request },
        "conflict",
        "no longer pending",
    );
    // An accepted request cannot be withdrawn either.
    let request = f.request(fred, ACME_ADMIN);
    f.accept(ada, request);
    f.refuse(
        fred,
        Command::WithdrawPartnershipRequest { request },
        "conflict",
        "no longer pending",
    );
}

#[test]
fn at_most_one_active_partnership_per_pair() {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", ACME_ADMIN);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    f.set_plan(firm, Plan::Basic);
    f.set_plan(acme, Plan::Basic);
    let first = f.request(fred, ACME_ADMIN);
    let proposal = {
        let events = f.ok(ada, Command::ProposePartnership { environment: firm });
        let [Event::PartnershipRequested { request }] = events.as_slice() else {
            panic!("{events:?}")
        };
        request.id
    };
    let partnership = f.accept(ada, first);
    f.refuse(
        fred,
        Command::AcceptPartnershipRequest { request: proposal },
        "conflict",
        "already are partners",
    );
    f.refuse(
        ada,
        Command::ProposePartnership { environment: firm },
        "conflict",
        "already are partners",
    );
    // After it ends, the two can partner again.
    f.end(fred, partnership);
    let again = f.partner(fred, ACME_ADMIN, ada);
    assert_ne!(again, partnership);
    assert_eq!(f.world.active_partnership(acme, firm).unwrap().id, again);
}

#[test]
fn partnership_links_two_different_environments() {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", ACME_ADMIN);
    f.set_plan(acme, Plan::Basic);
    let bob = f.invite(ada, "bob@acme.test", EnvRole::AdvancedUser);
    f.refuse(
        ada,
        Command::ProposePartnership { environment: acme },
        "invalid_input",
        "two different environments",
    );
    let request = f.request(ada, "bob@acme.test");
    f.refuse(
        bob,
        Command::AcceptPartnershipRequest { request },
        "invalid_input",
        "two different environments",
    );
}

#[test]
fn manual_partnership_needs_both_plans_basic() {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", ACME_ADMIN);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    // The proposer's plan.
    f.refuse(
        fred,
        Command::ProposePartnership { environment: acme },
        "plan_too_low",
        "Acme Accountants is on the Free plan",
    );
    // The other side's plan is checked when the partnership is created: a
    // proposal tells nothing of the environment it names.
    f.set_plan(firm, Plan::Basic);
    let events = f.ok(fred, Command::ProposePartnership { environment: acme });
    let [Event::PartnershipRequested { request }] = events.as_slice() else {
        panic!("{events:?}")
    };
    let request = request.id;
    f.refuse(
        ada,
        Command::AcceptPartnershipRequest { request },
        "plan_too_low",
        "Acme is on the Free plan; this needs Basic",
    );
    f.set_plan(acme, Plan::Professional);
    let partnership = f.accept(ada, request);
    assert_eq!(
        f.world.partnership(partnership).unwrap().origin,
        PartnershipOrigin::Manual(request)
    );
}

#[test]
fn manual_partnership_acting_users_must_be_administrator_or_advanced_user() {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", ACME_ADMIN);
    let cleo = f.invite(ada, "cleo@acme.test", EnvRole::User);
    let bob = f.invite(ada, "bob@acme.test", EnvRole::AdvancedUser);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    let paul = f.invite(fred, "paul@firm.test", EnvRole::User);
    f.set_plan(acme, Plan::Basic);
    f.set_plan(firm, Plan::Basic);
    f.refuse(
        paul,
        Command::ProposePartnership { environment: acme },
        "not_permitted",
        "Administrators and Advanced users",
    );
    let events = f.ok(fred, Command::ProposePartnership { environment: acme });
    let [Event::PartnershipRequested { request }] = events.as_slice() else {
        panic!("{events:?}")
    };
    let request = request.id;
    f.refuse(
        cleo,
        Command::AcceptPartnershipRequest { request },
        "not_found",
        "request",
    );
    // Any Administrator or AdvancedUser of the proposed environment confirms.
    f.accept(bob, request);
}

#[test]
fn plans_are_checked_when_partnership_is_created() {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", ACME_ADMIN);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    f.set_plan(firm, Plan::Basic);
    let request = f.request(fred, ACME_ADMIN);
    f.set_plan(firm, Plan::Free);
    f.refuse(
        ada,
        Command::AcceptPartnershipRequest { request },
        "plan_too_low",
        "Acme Accountants is on the Free plan",
    );
    // A manual proposal whose confirming side dropped to Free in the meantime.
    f.set_plan(firm, Plan::Basic);
    f.set_plan(acme, Plan::Basic);
    let events = f.ok(fred, Command::ProposePartnership { environment: acme });
    let [Event::PartnershipRequested { request }] = events.as_slice() else {
        panic!("{events:?}")
    };
    let proposal = request.id;
    f.set_plan(acme, Plan::Free);
    f.refuse(
        ada,
        Command::AcceptPartnershipRequest { request: proposal },
        "plan_too_low",
        "Acme is on the Free plan",
    );
    assert_eq!(f.world.partnerships().count(), 0);
}

#[test]
fn plan_downgrade_does_not_end_partnership() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    f.f.set_plan(f.firm, Plan::Free);
    assert!(f.f.world.partnership(f.partnership).unwrap().is_active());
    expect(&f.f.world, f.accountant, Action::Edit, doc_res(doc), true);
    // Eligible users can still be made members.
    let bob =
        f.f.invite(f.firm_admin, "bob@firm.test", EnvRole::AdvancedUser);
    f.f.member(f.acme_admin, f.bakery, bob, OrgRole::Member);
}

#[test]
fn partnership_is_symmetric() {
    let mut f = firm();
    // The firm requested it, yet the firm's Administrator grants the client's
    // eligible users access to the firm's organisations as well.
    let office = f.f.org(f.firm_admin, "Firm Office");
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    f.f.member(f.firm_admin, office, bob, OrgRole::Member);
    f.f.member(f.firm_admin, office, f.acme_admin, OrgRole::Member);
    expect(
        &f.f.world,
        bob,
        Action::ViewOrganisation,
        org_res(office),
        true,
    );
    expect(
        &f.f.world,
        f.acme_admin,
        Action::ViewOrganisation,
        org_res(office),
        true,
    );
    expect(
        &f.f.world,
        f.accountant,
        Action::ViewOrganisation,
        org_res(f.bakery),
        true,
    );
}

#[test]
fn relationship_manager_needs_the_role_and_grants_no_access() {
    let mut f = firm();
    let rob =
        f.f.invite(f.firm_admin, "rob@firm.test", EnvRole::AdvancedUser);
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    let partnership = f.partnership;
    let connect = move |user| Command::ConnectRelationshipManager { partnership, user };
    f.f.refuse(
        f.firm_admin,
        connect(rob),
        "not_permitted",
        "Rob does not hold the RelationshipManager role",
    );
    f.f.set_relationship_manager(f.firm_admin, rob);
    // Connected by an Administrator of the user's own environment only.
    f.f.refuse(
        f.acme_admin,
        connect(rob),
        "not_permitted",
        "Administrator of environment Acme Accountants",
    );
    f.f.refuse(
        f.accountant,
        connect(rob),
        "not_permitted",
        "Administrator of environment Acme Accountants",
    );
    f.f.ok(f.firm_admin, connect(rob));
    f.f.refuse(
        f.firm_admin,
        connect(rob),
        "conflict",
        "already is connected",
    );
    f.f.set_relationship_manager(f.acme_admin, f.clerk);
    f.f.ok(f.acme_admin, connect(f.clerk));
    let p = f.f.world.partnership(partnership).unwrap();
    let mut expected = vec![rob, f.clerk];
    expected.sort();
    assert_eq!(p.relationship_managers, expected);
    // The link grants nothing.
    let w = &f.f.world;
    expect(w, rob, Action::ViewOrganisation, org_res(f.bakery), false);
    expect(w, rob, Action::View, doc_res(doc), false);
    assert!(what_can(w, rob, Action::View, ResourceKind::Document).is_empty());
    expect(w, f.clerk, Action::View, doc_res(doc), false);
    // Only a user of one of the two sides can be connected.
    let (_, olga) = f.f.sign_up("Other", "olga@other.test");
    f.f.set_relationship_manager(olga, olga);
    // Another environment's partnership is not there for them.
    f.f.refuse(olga, connect(olga), "not_found", "partnership");
    // A user of neither side is not seen by either side's Administrator.
    f.f.refuse(f.firm_admin, connect(olga), "not_found", "user");
}

#[test]
fn only_administrator_of_the_users_environment_disconnects_relationship_manager() {
    let mut f = firm();
    let rob = f.relationship_manager(true);
    let partnership = f.partnership;
    f.f.refuse(
        f.acme_admin,
        Command::DisconnectRelationshipManager {
            partnership,
            user: rob,
        },
        "not_permitted",
        "Administrator of environment Acme Accountants",
    );
    f.f.ok(
        f.firm_admin,
        Command::DisconnectRelationshipManager {
            partnership,
            user: rob,
        },
    );
    assert!(f
        .f
        .world
        .partnership(partnership)
        .unwrap()
        .relationship_managers
        .is_empty());
}

#[test]
fn losing_relationship_manager_role_ends_its_links() {
    let mut f = firm();
    let rob = f.relationship_manager(true);
    let partnership = f.partnership;
    f.f.ok(
        f.firm_admin,
        Command::SetRelationshipManager {
            user: rob,
            enabled: false,
        },
    );
    assert!(f
        .f
        .world
        .partnership(partnership)
        .unwrap()
        .relationship_managers
        .is_empty());
}

#[test]
fn relationship_manager_cannot_be_connected_to_ended_partnership() {
    let mut f = firm();
    let rob = f.relationship_manager(false);
    f.f.end(f.acme_admin, f.partnership);
    f.f.refuse(
        f.firm_admin,
        Command::ConnectRelationshipManager {
            partnership: f.partnership,
            user: rob,
        },
        "partnership_required",
        "ended",
    );
}

#[test]
fn cost_bearer_pays_for_the_borne_organisations_transactions() {
    let mut f = firm();
    let (mill_env, max) = f.f.sign_up("Mill", "max@mill.test");
    let mill = f.f.org(max, "Mill NV");
    let events = f.f.ok(
        f.firm_admin,
        Command::TakeOnCosts {
            organisation: f.bakery,
        },
    );
    assert_eq!(
        events,
        [Event::CostBearerChanged {
            organisation: f.bakery,
            bearer: f.firm
        }]
    );
    let (acme, firm) = (f.f.credit(f.acme), f.f.credit(f.firm));
    let doc = f.f.upload(f.accountant, f.bakery, DocBox::InboxOut);
    let to = f.f.participant(mill);
    f.f.ok(f.accountant, Command::SendDocument { document: doc, to });
    f.f.receive(f.bakery);
    assert_eq!(
        f.f.credit(f.acme),
        acme,
        "the borne environment pays nothing"
    );
    assert_eq!(
        f.f.credit(f.firm),
        firm - 2,
        "the bearer pays the send and the receive"
    );
    assert_eq!(f.f.credit(mill_env), 24);
    let ledger = f.f.world.ledger_of(f.firm);
    assert!(ledger
        .iter()
        .rev()
        .take(2)
        .all(|e| e.organisation == Some(f.bakery)));
    // Either side's Administrator can release it.
    f.f.ok(
        f.acme_admin,
        Command::ReleaseCosts {
            organisation: f.bakery,
        },
    );
    assert_eq!(
        f.f.world.organisation(f.bakery).unwrap().cost_bearer,
        f.acme
    );
}

#[test]
fn taking_on_costs_needs_administrator_and_active_partnership() {
    let mut f = firm();
    let (_, olga) = f.f.sign_up("Other", "olga@other.test");
    let own = f.f.org(f.firm_admin, "Firm Office");
    f.f.refuse(
        f.accountant,
        Command::TakeOnCosts {
            organisation: f.bakery,
        },
        "not_permitted",
        "Administrator of environment Acme Accountants",
    );
    // An organisation of an environment without a partnership is not seen.
    f.f.refuse(
        olga,
        Command::TakeOnCosts {
            organisation: f.bakery,
        },
        "not_found",
        "organisation",
    );
    f.f.refuse(
        f.firm_admin,
        Command::TakeOnCosts { organisation: own },
        "invalid_input",
        "partner environment",
    );
    f.f.ok(
        f.firm_admin,
        Command::TakeOnCosts {
            organisation: f.bakery,
        },
    );
    f.f.refuse(
        f.firm_admin,
        Command::TakeOnCosts {
            organisation: f.bakery,
        },
        "conflict",
        "already bear the costs of Bakery BV",
    );
    f.f.refuse(
        olga,
        Command::ReleaseCosts {
            organisation: f.bakery,
        },
        "not_found",
        "organisation",
    );
    f.f.refuse(
        f.accountant,
        Command::ReleaseCosts {
            organisation: f.bakery,
        },
        "not_permitted",
        "Administrator",
    );
}

#[test]
fn cost_bearing_reverts_when_partnership_ends() {
    let mut f = firm();
    let office = f.f.org(f.firm_admin, "Firm Office");
    f.f.ok(
        f.firm_admin,
        Command::TakeOnCosts {
            organisation: f.bakery,
        },
    );
    f.f.ok(
        f.acme_admin,
        Command::TakeOnCosts {
            organisation: office,
        },
    );
    let events = f.f.end(f.firm_admin, f.partnership);
    assert!(events.contains(&Event::CostBearerChanged {
        organisation: f.bakery,
        bearer: f.acme
    }));
    assert_eq!(
        f.f.world.organisation(f.bakery).unwrap().cost_bearer,
        f.acme
    );
    assert_eq!(f.f.world.organisation(office).unwrap().cost_bearer, f.firm);
    let firm_credit = f.f.credit(f.firm);
    let acme_credit = f.f.credit(f.acme);
    f.f.receive(f.bakery);
    assert_eq!(f.f.credit(f.acme), acme_credit - 1);
    assert_eq!(f.f.credit(f.firm), firm_credit);
}

#[test]
fn only_administrator_of_either_side_ends_partnership() {
    let mut f = firm();
    let (_, olga) = f.f.sign_up("Other", "olga@other.test");
    let partnership = f.partnership;
    f.f.refuse(
        f.accountant,
        Command::EndPartnership { partnership },
        "not_permitted",
        "Administrator of environment Acme Accountants",
    );
    f.f.refuse(
        olga,
        Command::EndPartnership { partnership },
        "not_found",
        "partnership",
    );
    let events = f.f.end(f.acme_admin, partnership);
    assert_eq!(
        events[0],
        Event::PartnershipEnded {
            partnership,
            by: f.acme_admin,
            at: f.f.now()
        }
    );
    f.f.refuse(
        f.firm_admin,
        Command::EndPartnership { partnership },
        "conflict",
        "already ended",
    );
}

#[test]
fn member_of_partner_org_loses_access_when_partnership_ends() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    let mine = f.f.upload(f.accountant, f.bakery, DocBox::Documents);
    expect(&f.f.world, f.accountant, Action::Edit, doc_res(doc), true);
    f.f.end(f.acme_admin, f.partnership);
    let w = &f.f.world;
    for action in Action::ORGANISATION {
        expect(w, f.accountant, action, org_res(f.bakery), false);
    }
    for action in Action::DOCUMENT {
        expect(w, f.accountant, action, doc_res(doc), false);
        expect(w, f.accountant, action, doc_res(mine), false);
    }
    assert!(what_can(w, f.accountant, Action::View, ResourceKind::Document).is_empty());
    assert!(w.membership(f.accountant, f.bakery).is_none());
}

#[test]
fn ending_partnership_removes_memberships_group_memberships_shares_keys_rm_links_cost_bearing() {
    let mut f = firm();
    let (acme_admin, firm_admin, clerk, accountant, bakery) =
        (f.acme_admin, f.firm_admin, f.clerk, f.accountant, f.bakery);
    // The client's side reaches into the firm too.
    let office = f.f.org(firm_admin, "Firm Office");
    let carl =
        f.f.invite(acme_admin, "carl@acme.test", EnvRole::AdvancedUser);
    f.f.member(firm_admin, office, carl, OrgRole::Member);
    f.f.member(acme_admin, bakery, clerk, OrgRole::Member);
    // Groups on both sides, with members from both sides.
    let finance = f.f.group(acme_admin, "Finance team");
    f.f.group_member(acme_admin, finance, accountant);
    f.f.group_member(acme_admin, finance, clerk);
    let clients = f.f.group(firm_admin, "Clients");
    f.f.group_member(firm_admin, clients, carl);
    f.f.group_member(firm_admin, clients, accountant);
    // Shares across, to each kind of grantee, in both directions; and one inside.
    let acme_doc = f.f.upload(acme_admin, bakery, DocBox::Documents);
    let firm_doc = f.f.upload(firm_admin, office, DocBox::Documents);
    f.f.share(acme_admin, acme_doc, Grantee::User(firm_admin), Level::View);
    f.f.share(acme_admin, acme_doc, Grantee::Group(clients), Level::View);
    f.f.share(
        acme_admin,
        acme_doc,
        Grantee::Organisation(office),
        Level::View,
    );
    f.f.share(acme_admin, acme_doc, Grantee::Group(finance), Level::Edit);
    f.f.share(acme_admin, acme_doc, Grantee::User(clerk), Level::Manage);
    f.f.share(firm_admin, firm_doc, Grantee::User(clerk), Level::View);
    f.f.share(firm_admin, firm_doc, Grantee::Group(finance), Level::View);
    f.f.share(
        firm_admin,
        firm_doc,
        Grantee::Organisation(bakery),
        Level::View,
    );
    f.f.share(firm_admin, firm_doc, Grantee::Group(clients), Level::View);
    // Keys.
    let accountant_key = f.f.key(accountant, bakery);
    let carl_key = f.f.key(carl, office);
    let admin_key = f.f.key(acme_admin, bakery);
    // Relationship managers on both sides.
    let rob =
        f.f.invite(firm_admin, "rob@firm.test", EnvRole::AdvancedUser);
    f.f.set_relationship_manager(firm_admin, rob);
    f.f.set_relationship_manager(acme_admin, carl);
    let partnership = f.partnership;
    f.f.ok(
        firm_admin,
        Command::ConnectRelationshipManager {
            partnership,
            user: rob,
        },
    );
    f.f.ok(
        acme_admin,
        Command::ConnectRelationshipManager {
            partnership,
            user: carl,
        },
    );
    // Cost bearing both ways.
    f.f.ok(
        firm_admin,
        Command::TakeOnCosts {
            organisation: bakery,
        },
    );
    f.f.ok(
        acme_admin,
        Command::TakeOnCosts {
            organisation: office,
        },
    );

    f.f.end(acme_admin, partnership);
    let w = &f.f.world;

    // Memberships across are gone; those inside stay.
    assert!(w.membership(accountant, bakery).is_none());
    assert!(w.membership(carl, office).is_none());
    assert!(w.membership(clerk, bakery).is_some());
    // Group memberships across are gone; those inside stay.
    assert_eq!(w.group_members(finance), &[clerk]);
    assert_eq!(w.group_members(clients), &[accountant]);
    // Shares across are gone; those inside stay.
    let grantees = |d| {
        let mut g: Vec<Grantee> = w.shares_of(d).iter().map(|s| s.grantee).collect();
        g.sort();
        g
    };
    let mut inside = vec![Grantee::Group(finance), Grantee::User(clerk)];
    inside.sort();
    assert_eq!(grantees(acme_doc), inside);
    assert_eq!(grantees(firm_doc), [Grantee::Group(clients)]);
    // Keys issued to the other side's users are revoked; own keys stay.
    assert_eq!(
        f.f.key_revoked_because(accountant_key),
        Some(RevokeReason::PartnershipEnded)
    );
    assert_eq!(
        f.f.key_revoked_because(carl_key),
        Some(RevokeReason::PartnershipEnded)
    );
    assert!(f.f.key_valid(admin_key));
    // Links end and cost bearing reverts.
    let w = &f.f.world;
    assert!(w
        .partnership(partnership)
        .unwrap()
        .relationship_managers
        .is_empty());
    assert!(!w.partnership(partnership).unwrap().is_active());
    assert_eq!(w.organisation(bakery).unwrap().cost_bearer, f.acme);
    assert_eq!(w.organisation(office).unwrap().cost_bearer, f.firm);
    // The firm's own users keep what the firm holds.
    expect(w, accountant, Action::View, doc_res(firm_doc), true);
    expect(w, clerk, Action::Manage, doc_res(acme_doc), true);
}

#[test]
fn ending_one_partnership_leaves_other_partnerships_alone() {
    let mut f = firm();
    let (mill_env, max) = f.f.sign_up("Mill", "max@mill.test");
    let mill = f.f.org(max, "Mill NV");
    let partnership = f.f.partner(f.firm_admin, "max@mill.test", max);
    f.f.member(max, mill, f.accountant, OrgRole::Member);
    let key = f.f.key(f.accountant, mill);
    f.f.ok(f.firm_admin, Command::TakeOnCosts { organisation: mill });
    f.f.end(f.acme_admin, f.partnership);
    let w = &f.f.world;
    assert!(w.partnership(partnership).unwrap().is_active());
    expect(
        w,
        f.accountant,
        Action::ViewOrganisation,
        org_res(mill),
        true,
    );
    assert!(f.f.key_valid(key));
    assert_eq!(w.organisation(mill).unwrap().cost_bearer, f.firm);
    assert_ne!(mill_env, f.firm);
}

#[test]
fn ending_partnership_returns_open_tasks_to_latest_person_in_trail_who_can_view() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    f.f.set_add_on(f.firm, true);
    // An Advanced user, who sees the partner's users to pass the task on.
    let yann =
        f.f.invite(f.acme_admin, "yann@acme.test", EnvRole::AdvancedUser);
    f.f.member(f.acme_admin, f.bakery, yann, OrgRole::Member);
    let bea =
        f.f.invite(f.firm_admin, "bea@firm.test", EnvRole::AdvancedUser);
    f.f.member(f.acme_admin, f.bakery, bea, OrgRole::Member);
    let doc = f.f.receive(f.bakery);
    // Ada starts it for the accountant, who passes it to Yann, who passes it to Bea.
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    f.f.ok(f.accountant, Command::DelegateTask { task, to: yann });
    f.f.ok(yann, Command::DelegateTask { task, to: bea });
    let events = f.f.end(f.firm_admin, f.partnership);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::TaskReassigned { task: t, to, why: ReassignReason::PartnershipEnded, .. }
            if *t == task && *to == yann
    )));
    let t = f.f.task(task);
    assert_eq!(
        t.assignee, yann,
        "the latest in the trail who can still view"
    );
    assert!(t.is_open());
    assert_eq!(
        t.trail.last().unwrap().step,
        TrailStep::Reassigned {
            from: bea,
            to: yann,
            why: ReassignReason::PartnershipEnded
        }
    );
    // Yann acts on it as usual.
    f.f.ok(
        yann,
        Command::ApproveTask {
            task,
            comment: None,
        },
    );
}

#[test]
fn ending_partnership_returns_task_to_manager_when_nobody_in_trail_can_view() {
    let mut f = firm();
    f.f.set_add_on(f.firm, true);
    let mia = f.f.invite(f.acme_admin, "mia@acme.test", EnvRole::User);
    f.f.member(f.acme_admin, f.bakery, mia, OrgRole::Manager);
    let bea =
        f.f.invite(f.firm_admin, "bea@firm.test", EnvRole::AdvancedUser);
    f.f.member(f.acme_admin, f.bakery, bea, OrgRole::Member);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.accountant, doc, bea);
    f.f.end(f.acme_admin, f.partnership);
    assert_eq!(f.f.task(task).assignee, mia);
    // Without a Manager, it goes to an Administrator of the environment.
    let mut g = firm();
    g.f.set_add_on(g.firm, true);
    let doc = g.f.receive(g.bakery);
    let task = g.f.start_task(g.accountant, doc, g.accountant);
    g.f.end(g.acme_admin, g.partnership);
    assert_eq!(g.f.task(task).assignee, g.acme_admin);
}

#[test]
fn ending_partnership_deletes_no_document() {
    let mut f = firm();
    let office = f.f.org(f.firm_admin, "Firm Office");
    let uploaded_by_accountant = f.f.upload(f.accountant, f.bakery, DocBox::Documents);
    let acme_doc = f.f.upload(f.acme_admin, f.bakery, DocBox::InboxOut);
    let firm_doc = f.f.upload(f.firm_admin, office, DocBox::Documents);
    f.f.share(
        f.firm_admin,
        firm_doc,
        Grantee::User(f.acme_admin),
        Level::Manage,
    );
    let to = f.f.participant(office);
    f.f.ok(
        f.acme_admin,
        Command::SendDocument {
            document: acme_doc,
            to,
        },
    );
    let before: Vec<Document> = f.f.world.documents().cloned().collect();
    let events = f.f.end(f.acme_admin, f.partnership);
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::DocumentDeleted { .. })));
    let w = &f.f.world;
    assert_eq!(w.stats().documents, before.len());
    for doc in &before {
        assert_eq!(w.document(doc.id), Some(doc));
    }
    // Each party keeps what is stored in its own environment.
    assert_eq!(
        w.document(uploaded_by_accountant).unwrap().environment,
        f.acme
    );
    expect(
        w,
        f.acme_admin,
        Action::Manage,
        doc_res(uploaded_by_accountant),
        true,
    );
    expect(w, f.firm_admin, Action::Manage, doc_res(firm_doc), true);
    assert_eq!(
        w.documents_of(office).count(),
        2,
        "the firm keeps what it received"
    );
}

//! §1 Tenancy: environments, users, administration.

use super::fixture::*;
use super::scenario::*;
use preflight_core::project::Visibility;
use preflight_core::*;

#[test]
fn sign_up_creates_free_environment_whose_first_user_is_administrator() {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", "Ada@Acme.test ");
    let env = f.environment(acme);
    assert_eq!(env.name, "Acme");
    assert_eq!(env.plan, Plan::Free);
    assert!(env.add_ons.is_empty());
    let user = f.world.user(ada).unwrap();
    assert_eq!(user.environment, acme);
    assert_eq!(user.role, EnvRole::Administrator);
    assert!(user.is_active());
    assert!(!user.relationship_manager);
    assert_eq!(f.world.users_of(acme), &[ada]);
}

#[test]
fn new_environment_starts_with_plan_credit() {
    assert_eq!(
        Plan::ALL.map(Plan::included_credit),
        [25, 250, 2_500, 25_000]
    );
    let mut f = Fixture::new();
    let (acme, _) = f.sign_up("Acme", ACME_ADMIN);
    assert_eq!(f.credit(acme), 25);
    let ledger = f.world.ledger_of(acme);
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].amount, 25);
    assert_eq!(ledger[0].balance_after, 25);
    assert_eq!(ledger[0].reason, LedgerReason::Included);
}

#[test]
fn sign_up_with_an_email_in_use_is_refused() {
    let mut f = Fixture::new();
    f.sign_up("Acme", ACME_ADMIN);
    f.refuse_as(
        &Actor::Anonymous,
        Command::SignUp {
            environment_name: "Other".into(),
            name: "Ada".into(),
            email: "ADA@acme.test".into(),
        },
        "conflict",
        "ada@acme.test",
    );
    f.refuse_as(
        &Actor::Anonymous,
        Command::SignUp {
            environment_name: " ".into(),
            name: "Bo".into(),
            email: "bo@x.test".into(),
        },
        "invalid_input",
        "environment_name",
    );
    f.refuse_as(
        &Actor::Anonymous,
        Command::SignUp {
            environment_name: "Bo".into(),
            name: "Bo".into(),
            email: "not-an-email".into(),
        },
        "invalid_input",
        "not-an-email",
    );
}

#[test]
fn administrator_invites_users_into_own_environment() {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", ACME_ADMIN);
    let bob = f.invite(ada, "bob@acme.test", EnvRole::AdvancedUser);
    let user = f.world.user(bob).unwrap();
    assert_eq!(user.environment, acme);
    assert_eq!(user.role, EnvRole::AdvancedUser);
    assert_eq!(user.email, "bob@acme.test");
    assert!(f
        .world
        .invitations()
        .all(|i| i.status == InvitationStatus::Accepted && i.invited_by == ada));
}

#[test]
fn only_administrator_invites_users() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    let bob = f.invite(ada, "bob@acme.test", EnvRole::AdvancedUser);
    f.refuse(
        bob,
        Command::InviteUser {
            email: "eve@acme.test".into(),
            name: "Eve".into(),
            role: EnvRole::User,
        },
        "not_permitted",
        "Administrator of environment Acme",
    );
    f.refuse_as(
        &Actor::Anonymous,
        Command::InviteUser {
            email: "eve@acme.test".into(),
            name: "Eve".into(),
            role: EnvRole::User,
        },
        "not_permitted",
        "sign in",
    );
}

#[test]
fn invitation_to_an_email_in_use_or_already_invited_is_refused() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    let (_, _) = f.sign_up("Mill", "max@mill.test");
    let invite = |email: &str| Command::InviteUser {
        email: email.into(),
        name: "X".into(),
        role: EnvRole::User,
    };
    f.refuse(
        ada,
        invite(ACME_ADMIN),
        "conflict",
        "already has an account",
    );
    // Whether an address has an account in another environment is not the
    // inviter's to learn: the invitation is made, and accepting it is refused.
    let events = f.ok(ada, invite("max@mill.test"));
    let Event::InvitationCreated { invitation } = &events[0] else {
        panic!("{events:?}")
    };
    f.refuse_as(
        &Actor::Anonymous,
        Command::AcceptInvitation {
            invitation: invitation.id,
        },
        "conflict",
        "max@mill.test",
    );
    f.ok(ada, invite("eve@acme.test"));
    f.refuse(
        ada,
        invite("eve@acme.test"),
        "conflict",
        "already been invited",
    );
}

#[test]
fn revoked_invitation_cannot_be_accepted() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    let bob = f.invite(ada, "bob@acme.test", EnvRole::AdvancedUser);
    let events = f.ok(
        ada,
        Command::InviteUser {
            email: "eve@acme.test".into(),
            name: "Eve".into(),
            role: EnvRole::User,
        },
    );
    let Event::InvitationCreated { invitation } = &events[0] else {
        panic!("{events:?}")
    };
    let invitation = invitation.id;
    // Invitations are the Administrators' to see.
    f.refuse(
        bob,
        Command::RevokeInvitation { invitation },
        "not_found",
        "invitation",
    );
    f.ok(ada, Command::RevokeInvitation { invitation });
    f.refuse_as(
        &Actor::Anonymous,
        Command::AcceptInvitation { invitation },
        "conflict",
        "no longer valid",
    );
    assert!(f.world.user_by_email("eve@acme.test").is_none());
}

#[test]
fn only_administrator_assigns_roles() {
    let mut f = firm();
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    f.f.refuse(
        bob,
        Command::AssignRole {
            user: f.clerk,
            role: EnvRole::AdvancedUser,
        },
        "not_permitted",
        "Administrator of environment Acme",
    );
    // An Administrator of a partner environment administers only their own.
    f.f.refuse(
        f.firm_admin,
        Command::AssignRole {
            user: f.clerk,
            role: EnvRole::AdvancedUser,
        },
        "not_permitted",
        "Administrator of environment Acme",
    );
    f.f.ok(
        f.acme_admin,
        Command::AssignRole {
            user: f.clerk,
            role: EnvRole::AdvancedUser,
        },
    );
    assert_eq!(f.f.world.user(f.clerk).unwrap().role, EnvRole::AdvancedUser);
}

#[test]
fn last_administrator_cannot_be_demoted() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    let demote = |user| Command::AssignRole {
        user,
        role: EnvRole::AdvancedUser,
    };
    f.refuse(
        ada,
        demote(ada),
        "last_administrator",
        "last active Administrator of Acme",
    );
    let bea = f.invite(ada, "bea@acme.test", EnvRole::Administrator);
    f.ok(bea, demote(ada));
    f.refuse(bea, demote(bea), "last_administrator", "Bea");
    assert_eq!(f.world.user(bea).unwrap().role, EnvRole::Administrator);
}

#[test]
fn last_administrator_cannot_be_disabled() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    f.refuse(
        ada,
        Command::DisableUser { user: ada },
        "last_administrator",
        "cannot be disabled",
    );
    let bea = f.invite(ada, "bea@acme.test", EnvRole::Administrator);
    f.ok(bea, Command::DisableUser { user: ada });
    f.refuse(
        bea,
        Command::DisableUser { user: bea },
        "last_administrator",
        "last active Administrator of Acme",
    );
}

#[test]
fn disabled_administrator_does_not_count_as_another_administrator() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    let bea = f.invite(ada, "bea@acme.test", EnvRole::Administrator);
    f.ok(ada, Command::DisableUser { user: bea });
    f.refuse(
        ada,
        Command::AssignRole {
            user: ada,
            role: EnvRole::User,
        },
        "last_administrator",
        "Ada",
    );
}

#[test]
fn only_administrator_assigns_relationship_manager_role() {
    let mut f = firm();
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    let set = |user| Command::SetRelationshipManager {
        user,
        enabled: true,
    };
    f.f.refuse(
        bob,
        set(f.clerk),
        "not_permitted",
        "Administrator of environment Acme",
    );
    f.f.refuse(
        f.firm_admin,
        set(f.clerk),
        "not_permitted",
        "Administrator of environment Acme",
    );
    f.f.ok(f.acme_admin, set(f.clerk));
    assert!(f.f.world.user(f.clerk).unwrap().relationship_manager);
}

#[test]
fn only_administrator_disables_users() {
    let mut f = firm();
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    f.f.refuse(
        bob,
        Command::DisableUser { user: f.clerk },
        "not_permitted",
        "Administrator of environment Acme",
    );
    f.f.refuse(
        f.firm_admin,
        Command::DisableUser { user: f.clerk },
        "not_permitted",
        "Administrator of environment Acme",
    );
    f.f.ok(f.acme_admin, Command::DisableUser { user: f.clerk });
    f.f.refuse(
        f.acme_admin,
        Command::DisableUser { user: f.clerk },
        "conflict",
        "already disabled",
    );
}

#[test]
fn disabled_user_can_do_and_see_nothing() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    let key = f.f.key(f.accountant, f.bakery);
    expect(&f.f.world, f.accountant, Action::View, doc_res(doc), true);

    let events =
        f.f.ok(f.firm_admin, Command::DisableUser { user: f.accountant });
    assert!(events.contains(&Event::UserDisabled { user: f.accountant }));

    let w = &f.f.world;
    for action in Action::ORGANISATION {
        let decision = check(w, f.accountant, action, org_res(f.bakery));
        assert!(!decision.allowed, "{action:?}");
        assert_eq!(
            decision.reasons.as_slice(),
            &[Reason::UserDisabled { user: f.accountant }]
        );
    }
    for action in Action::DOCUMENT {
        expect(w, f.accountant, action, doc_res(doc), false);
    }
    assert_eq!(
        sentences(w, f.accountant, Action::View, doc_res(doc)),
        ["the user is disabled"]
    );
    assert!(what_can(w, f.accountant, Action::View, ResourceKind::Document).is_empty());
    assert!(what_can(
        w,
        f.accountant,
        Action::ViewOrganisation,
        ResourceKind::Organisation
    )
    .is_empty());
    assert!(who_can(w, Action::View, doc_res(doc))
        .iter()
        .all(|a| a.user != f.accountant));
    // Sees nothing.
    let slice = project(w, f.accountant);
    assert_eq!(slice.stats().users, 0);
    assert_eq!(slice.stats().organisations, 0);
    assert_eq!(slice.stats().documents, 0);
    assert_eq!(slice.stats().environments, 0);
    // Their key stops working.
    assert_eq!(
        f.f.key_revoked_because(key),
        Some(RevokeReason::HolderDisabled)
    );
    // Does nothing.
    let bakery = f.bakery;
    f.f.refuse(
        f.accountant,
        Command::UploadDocument {
            organisation: bakery,
            doc_box: DocBox::Documents,
            name: "x.xml".into(),
            sha256: Sha256::of(b"x"),
            size: 1,
            summary: None,
        },
        "not_permitted",
        "disabled",
    );
    f.f.refuse(
        f.accountant,
        Command::CreateGroup { name: "G".into() },
        "not_permitted",
        "disabled",
    );
    f.f.refuse(
        f.accountant,
        Command::RetrieveConnectionKey {
            organisation: bakery,
        },
        "not_permitted",
        "disabled",
    );
}

#[test]
fn enabled_user_regains_access_but_not_revoked_keys() {
    let mut f = firm();
    let key = f.f.key(f.accountant, f.bakery);
    f.f.ok(f.firm_admin, Command::DisableUser { user: f.accountant });
    let bob =
        f.f.invite(f.firm_admin, "bob@firm.test", EnvRole::AdvancedUser);
    f.f.refuse(
        bob,
        Command::EnableUser { user: f.accountant },
        "not_permitted",
        "Administrator of environment Acme Accountants",
    );
    f.f.ok(f.firm_admin, Command::EnableUser { user: f.accountant });
    expect(
        &f.f.world,
        f.accountant,
        Action::ViewOrganisation,
        org_res(f.bakery),
        true,
    );
    assert!(!f.f.key_valid(key));
}

#[test]
fn only_administrator_adds_organisations() {
    let mut f = firm();
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    let participant_id = f.f.next_participant();
    f.f.refuse(
        bob,
        Command::AddOrganisation {
            name: "Dairy".into(),
            participant_id: participant_id.clone(),
        },
        "not_permitted",
        "Administrator of environment Acme",
    );
    let dairy = f.f.add_org(f.acme_admin, "Dairy", &participant_id);
    let org = f.f.world.organisation(dairy).unwrap();
    assert_eq!(org.environment, f.acme);
    assert_eq!(org.status, OrgStatus::Inactive);
    assert_eq!(
        org.cost_bearer, f.acme,
        "its own environment bears its costs"
    );
}

#[test]
fn only_administrator_manages_members() {
    let mut f = firm();
    let (acme_admin, bakery, clerk) = (f.acme_admin, f.bakery, f.clerk);
    let mia =
        f.f.invite(acme_admin, "mia@acme.test", EnvRole::AdvancedUser);
    f.f.member(acme_admin, bakery, mia, OrgRole::Manager);
    f.f.member(acme_admin, bakery, f.firm_admin, OrgRole::Manager);
    expect(
        &f.f.world,
        mia,
        Action::ManageMembers,
        org_res(bakery),
        false,
    );
    expect(
        &f.f.world,
        acme_admin,
        Action::ManageMembers,
        org_res(bakery),
        true,
    );

    let add = Command::AddMember {
        organisation: bakery,
        user: clerk,
        role: OrgRole::Member,
    };
    // A Manager of the organisation, a partner's Administrator who is Manager,
    // and a partner member may not.
    for who in [mia, f.firm_admin, f.accountant] {
        f.f.refuse(
            who,
            add.clone(),
            "not_permitted",
            "only an Administrator of environment Acme",
        );
    }
    f.f.refuse(
        mia,
        Command::ChangeMemberRole {
            organisation: bakery,
            user: f.accountant,
            role: OrgRole::Manager,
        },
        "not_permitted",
        "Administrator of environment Acme",
    );
    f.f.refuse(
        mia,
        Command::RemoveMember {
            organisation: bakery,
            user: f.accountant,
        },
        "not_permitted",
        "Administrator of environment Acme",
    );
    // Someone who cannot see the organisation is told it does not exist.
    let (_, stranger) = f.f.sign_up("Other", "olga@other.test");
    f.f.refuse(stranger, add.clone(), "not_found", "organisation");

    f.f.ok(acme_admin, add.clone());
    f.f.refuse(
        acme_admin,
        add,
        "conflict",
        "already is a member of Bakery BV",
    );
    f.f.ok(
        acme_admin,
        Command::ChangeMemberRole {
            organisation: bakery,
            user: clerk,
            role: OrgRole::Manager,
        },
    );
    assert_eq!(
        f.f.world.membership(clerk, bakery).unwrap().role,
        OrgRole::Manager
    );
    f.f.ok(
        acme_admin,
        Command::RemoveMember {
            organisation: bakery,
            user: clerk,
        },
    );
    assert!(f.f.world.membership(clerk, bakery).is_none());
    f.f.refuse(
        acme_admin,
        Command::RemoveMember {
            organisation: bakery,
            user: clerk,
        },
        "conflict",
        "not a member",
    );
}

#[test]
fn user_of_partner_environment_cannot_be_made_member() {
    let mut f = firm();
    let paul = f.f.invite(f.firm_admin, "paul@firm.test", EnvRole::User);
    f.f.refuse(
        f.acme_admin,
        Command::AddMember {
            organisation: f.bakery,
            user: paul,
            role: OrgRole::Member,
        },
        "not_permitted",
        "Paul is a User of Acme Accountants: only Administrators and Advanced users",
    );
}

#[test]
fn user_of_unpartnered_environment_cannot_be_made_member() {
    let mut f = firm();
    let (_, olga) = f.f.sign_up("Other", "olga@other.test");
    // Olga's environment has no partnership with Acme: to Acme's
    // Administrator she is not there at all.
    f.f.refuse(
        f.acme_admin,
        Command::AddMember {
            organisation: f.bakery,
            user: olga,
            role: OrgRole::Member,
        },
        "not_found",
        "no such user",
    );
}

#[test]
fn advanced_user_of_partner_can_be_made_member() {
    let mut f = firm();
    // The accountant (AdvancedUser) was made a Member in the scenario; the firm's
    // Administrator can be made a Manager.
    f.f.member(f.acme_admin, f.bakery, f.firm_admin, OrgRole::Manager);
    let w = &f.f.world;
    for user in [f.accountant, f.firm_admin] {
        let decision = check(w, user, Action::ViewOrganisation, org_res(f.bakery));
        assert!(decision.allowed);
        assert!(matches!(
            decision.reasons.as_slice(),
            [Reason::Membership { through: Some(env), .. }] if *env == f.firm
        ));
    }
}

#[test]
fn disabled_user_cannot_be_made_member() {
    let mut f = firm();
    f.f.ok(f.acme_admin, Command::DisableUser { user: f.clerk });
    f.f.refuse(
        f.acme_admin,
        Command::AddMember {
            organisation: f.bakery,
            user: f.clerk,
            role: OrgRole::Member,
        },
        "not_permitted",
        "Cleo is disabled",
    );
}

#[test]
fn user_sees_organisation_iff_member_or_administrator_of_its_environment() {
    let mut f = firm();
    let dairy = f.f.org(f.acme_admin, "Dairy");
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    f.f.member(f.acme_admin, dairy, f.clerk, OrgRole::Member);
    let w = &f.f.world;
    expect(
        w,
        f.acme_admin,
        Action::ViewOrganisation,
        org_res(f.bakery),
        true,
    );
    expect(
        w,
        f.acme_admin,
        Action::ViewOrganisation,
        org_res(dairy),
        true,
    );
    expect(w, f.clerk, Action::ViewOrganisation, org_res(dairy), true);
    expect(
        w,
        f.clerk,
        Action::ViewOrganisation,
        org_res(f.bakery),
        false,
    );
    // An AdvancedUser does not keep the overview.
    expect(w, bob, Action::ViewOrganisation, org_res(f.bakery), false);
    // Nor does the partner's Administrator.
    expect(
        w,
        f.firm_admin,
        Action::ViewOrganisation,
        org_res(f.bakery),
        false,
    );
    expect(
        w,
        f.accountant,
        Action::ViewOrganisation,
        org_res(f.bakery),
        true,
    );
    expect(
        w,
        f.accountant,
        Action::ViewOrganisation,
        org_res(dairy),
        false,
    );

    // Seen in full; a name alone (of a shared document's organisation, or of a
    // partner's organisation to share with) is not seeing the organisation.
    let orgs = |user| {
        let slice = project(w, user);
        let mut names: Vec<String> = slice
            .organisations()
            .filter(|o| !o.participant_id.is_empty())
            .map(|o| o.name.clone())
            .collect();
        names.sort();
        names
    };
    assert_eq!(orgs(f.acme_admin), ["Bakery BV", "Dairy"]);
    assert_eq!(orgs(f.clerk), ["Dairy"]);
    assert!(orgs(bob).is_empty());
    assert!(orgs(f.firm_admin).is_empty(), "{:?}", orgs(f.firm_admin));
    assert!(project(w, f.firm_admin)
        .organisations()
        .all(|o| o.participant_id.is_empty() && o.software_connection.is_none()));
    assert_eq!(orgs(f.accountant), ["Bakery BV"]);
}

#[test]
fn viewer_of_shared_document_sees_only_its_organisations_name() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    let other = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    f.f.share(f.acme_admin, doc, Grantee::User(f.clerk), Level::View);
    f.f.ok(
        f.acme_admin,
        Command::ConfigureSoftwareConnection {
            organisation: f.bakery,
            software: "Exact".into(),
        },
    );
    let slice = project(&f.f.world, f.clerk);
    let bakery = slice.organisation(f.bakery).expect("the name is shown");
    assert_eq!(bakery.name, "Bakery BV");
    assert_eq!(bakery.participant_id, "");
    assert_eq!(bakery.software_connection, None);
    assert!(slice.document(doc).is_some());
    assert!(slice.document(other).is_none());
    assert!(slice.keys_of(f.bakery).is_empty());
    // Seeing the name is not seeing the organisation.
    expect(
        &f.f.world,
        f.clerk,
        Action::ViewOrganisation,
        org_res(f.bakery),
        false,
    );
    // Membership lists stay hidden.
    assert!(slice.members_of(f.bakery).is_empty());
}

#[test]
fn everyone_sees_own_users_and_advanced_users_see_partner_users() {
    let mut f = firm();
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    let users = |w: &World, viewer| {
        let slice = project(w, viewer);
        let mut names: Vec<String> = slice.users().map(|u| u.name.clone()).collect();
        names.sort();
        names
    };
    let w = &f.f.world;
    assert_eq!(users(w, f.clerk), ["Ada", "Bob", "Cleo"]);
    assert_eq!(users(w, bob), ["Ada", "Anna", "Bob", "Cleo", "Fred"]);
    assert_eq!(
        users(w, f.acme_admin),
        ["Ada", "Anna", "Bob", "Cleo", "Fred"]
    );
    assert_eq!(
        users(w, f.accountant),
        ["Ada", "Anna", "Bob", "Cleo", "Fred"]
    );
    // A third, unpartnered environment stays invisible.
    let (_, olga) = f.f.sign_up("Other", "olga@other.test");
    assert!(!users(&f.f.world, bob).contains(&"Olga".to_string()));
    assert_eq!(users(&f.f.world, olga), ["Olga"]);
    // Once the partnership ends, the partner's users are no longer seen.
    f.f.end(f.acme_admin, f.partnership);
    assert_eq!(users(&f.f.world, bob), ["Ada", "Bob", "Cleo"]);
}

/// A firm with two clients, Acme and Mill, and a "Finance team <client>" group
/// per client holding the accountant and the client's Administrator.
struct TwoClients {
    f: Firm,
    max: UserId,
    mill: EnvironmentId,
    team_acme: GroupId,
    team_mill: GroupId,
}

fn two_clients() -> TwoClients {
    let mut f = firm();
    let (mill, max) = f.f.sign_up("Mill", "max@mill.test");
    f.f.partner(f.firm_admin, "max@mill.test", max);
    let team_acme = f.f.group(f.firm_admin, "Finance team Acme");
    f.f.group_member(f.firm_admin, team_acme, f.accountant);
    f.f.group_member(f.firm_admin, team_acme, f.acme_admin);
    let team_mill = f.f.group(f.firm_admin, "Finance team Mill");
    f.f.group_member(f.firm_admin, team_mill, f.accountant);
    f.f.group_member(f.firm_admin, team_mill, max);
    TwoClients {
        f,
        max,
        mill,
        team_acme,
        team_mill,
    }
}

fn group_names(world: &World, viewer: UserId) -> Vec<String> {
    let mut names: Vec<String> = project(world, viewer)
        .groups()
        .map(|g| g.name.clone())
        .collect();
    names.sort();
    names
}

#[test]
fn a_group_of_another_environment_is_visible_only_if_it_has_a_member_from_the_actors_environment() {
    let mut c = two_clients();
    let w = &c.f.f.world;
    // One client never learns of another: the firm's client list stays the firm's.
    assert_eq!(group_names(w, c.f.acme_admin), ["Finance team Acme"]);
    assert_eq!(group_names(w, c.max), ["Finance team Mill"]);
    assert_eq!(
        group_names(w, c.f.firm_admin),
        ["Finance team Acme", "Finance team Mill"]
    );
    let vis = Visibility::of(w, c.f.acme_admin).unwrap();
    assert!(vis.group(c.team_acme) && !vis.group(c.team_mill));
    assert!(!vis.event(&Event::GroupRenamed {
        group: c.team_mill,
        name: "Finance team Mill & Co".into()
    }));
    assert!(!vis.event(&Event::GroupMemberAdded {
        group: c.team_mill,
        user: c.f.accountant
    }));
    // Acme's Administrator cannot pick Mill's team: to them it is not there.
    let doc = c.f.f.upload(c.f.acme_admin, c.f.bakery, DocBox::Documents);
    let share = |group| Command::ShareDocument {
        document: doc,
        grantee: Grantee::Group(group),
        level: Level::View,
    };
    c.f.f
        .refuse(c.f.acme_admin, share(c.team_mill), "not_found", "group");
    c.f.f.ok(c.f.acme_admin, share(c.team_acme));
    // Once Acme's Administrator leaves the team, its name is gone for Acme.
    c.f.f.ok(
        c.f.firm_admin,
        Command::RemoveGroupMember {
            group: c.team_acme,
            user: c.f.acme_admin,
        },
    );
    assert!(group_names(&c.f.f.world, c.f.acme_admin).is_empty());
    let _ = c.mill;
}

#[test]
fn a_share_to_a_group_the_manager_cannot_see_is_known_by_id_only_and_can_be_revoked() {
    let mut c = two_clients();
    // The accountant, Manager of Bakery, shares an Acme document with the
    // firm's team for Mill, which has no member from Acme.
    c.f.f.ok(
        c.f.acme_admin,
        Command::ChangeMemberRole {
            organisation: c.f.bakery,
            user: c.f.accountant,
            role: OrgRole::Manager,
        },
    );
    let bea =
        c.f.f
            .invite(c.f.firm_admin, "bea@firm.test", EnvRole::AdvancedUser);
    c.f.f.group_member(c.f.firm_admin, c.team_mill, bea);
    let doc = c.f.f.upload(c.f.acme_admin, c.f.bakery, DocBox::Documents);
    c.f.f.share(
        c.f.accountant,
        doc,
        Grantee::Group(c.team_mill),
        Level::View,
    );
    let w = &c.f.f.world;
    let slice = project(w, c.f.acme_admin);
    // Acme's Administrator sees that the document is shared with a group, and
    // who gets access through it, but not the group's name.
    assert!(slice
        .shares_of(doc)
        .iter()
        .any(|s| s.grantee == Grantee::Group(c.team_mill)));
    assert!(slice.group(c.team_mill).is_none());
    let vis = Visibility::of(w, c.f.acme_admin).unwrap();
    let bea_access = check(w, bea, Action::View, doc_res(doc));
    assert!(bea_access.allowed);
    let said = bea_access.explain_for(&vis).join("; ");
    assert!(said.contains("a group you cannot see"), "{said}");
    assert!(!said.contains("Mill"), "{said}");
    assert_eq!(check(&slice, bea, Action::View, doc_res(doc)), bea_access);
    // Mill's Administrator, in the group, gets nothing: Mill is no partner of Acme.
    assert!(!check(w, c.max, Action::View, doc_res(doc)).allowed);
    // They may revoke it; renaming or joining it stays out of reach.
    c.f.f.refuse(
        c.f.acme_admin,
        Command::RenameGroup {
            group: c.team_mill,
            name: "X".into(),
        },
        "not_found",
        "group",
    );
    c.f.f.ok(
        c.f.acme_admin,
        Command::UnshareDocument {
            document: doc,
            grantee: Grantee::Group(c.team_mill),
        },
    );
}

#[test]
fn an_environments_records_keep_the_names_of_those_who_acted_after_the_partnership_ended() {
    let mut f = firm();
    f.f.set_add_on(f.firm, true);
    f.f.member(f.acme_admin, f.bakery, f.clerk, OrgRole::Member);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.accountant, doc, f.clerk);
    let key = f.f.key(f.accountant, f.bakery);
    f.f.end(f.acme_admin, f.partnership);
    let w = &f.f.world;
    for viewer in [f.acme_admin, f.clerk] {
        let slice = project(w, viewer);
        // Anna is no longer a user Acme sees, but Acme's records keep her name.
        assert!(slice.user(f.accountant).is_none());
        assert_eq!(slice.name_of(f.accountant), Some("Anna"));
        assert_eq!(slice.person(f.accountant).unwrap().email, None);
        assert!(slice.task(task).is_some());
    }
    assert!(project(w, f.acme_admin).key(key).is_some());
    // Nothing more of her: not her email, her role or her environment's users.
    let slice = project(w, f.acme_admin);
    assert!(slice.users().all(|u| u.environment == f.acme));
    assert!(!serde_json::to_string(&slice)
        .unwrap()
        .contains("anna@firm.test"));
}

#[test]
fn the_addressee_of_a_request_sees_who_asks_and_from_where() {
    let mut f = Fixture::new();
    let (_, ada) = f.sign_up("Acme", ACME_ADMIN);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    f.set_plan(firm, Plan::Basic);
    f.request(fred, ACME_ADMIN);
    let slice = project(&f.world, ada);
    let fred_seen = slice.person(fred).unwrap();
    assert_eq!(fred_seen.name, "Fred");
    assert_eq!(fred_seen.email.as_deref(), Some("fred@firm.test"));
    assert_eq!(slice.environment(firm).unwrap().name, "Acme Accountants");
    assert!(slice.user(fred).is_none());
}

#[test]
fn administrators_and_advanced_users_see_only_the_names_of_partner_organisations() {
    let mut f = firm();
    let office = f.f.org(f.firm_admin, "Firm Office");
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    let w = &f.f.world;
    for viewer in [f.acme_admin, bob] {
        let slice = project(w, viewer);
        let seen = slice.organisation(office).unwrap();
        assert_eq!(seen.name, "Firm Office");
        assert_eq!(seen.participant_id, "", "the name, nothing more");
        assert!(slice.keys_of(office).is_empty());
        assert!(slice.members_of(office).is_empty());
    }
    // A User of the client does not see them at all.
    assert!(project(w, f.clerk).organisation(office).is_none());
    // So an Administrator may take on their costs, and a User is not told they exist.
    f.f.ok(
        f.acme_admin,
        Command::TakeOnCosts {
            organisation: office,
        },
    );
}

#[test]
fn the_live_stream_tells_each_viewer_only_what_their_projection_holds() {
    let mut f = firm();
    let bob =
        f.f.invite(f.firm_admin, "bob@firm.test", EnvRole::AdvancedUser);
    let events = f.f.ok(
        f.acme_admin,
        Command::AddOrganisation {
            name: "Dairy".into(),
            participant_id: "0208:0123456749".into(),
        },
    );
    let w = &f.f.world;
    // The partner's Advanced user sees the new organisation's name, not its
    // Peppol identifier; Acme's Administrator sees it whole.
    let partner = Visibility::of(w, bob).unwrap();
    let shown = partner.events(&events);
    let [Event::OrganisationAdded { participant_id, .. }] = shown.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(participant_id, "");
    let own = Visibility::of(w, f.acme_admin).unwrap();
    assert_eq!(own.events(&events), events);
    // The ledger is the Administrators'.
    let credit = Event::CreditChanged {
        environment: f.acme,
        organisation: None,
        amount: 10,
        reason: LedgerReason::TopUp,
        at: f.f.now(),
    };
    assert!(own.event(&credit));
    assert!(!Visibility::of(w, f.clerk).unwrap().event(&credit));
}

fn env_res(environment: EnvironmentId) -> Resource {
    Resource::Environment(environment)
}

#[test]
fn only_administrators_read_their_environments_audit_log() {
    let mut f = firm();
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    let w = &f.f.world;
    let decision = check(w, f.acme_admin, Action::ReadAuditLog, env_res(f.acme));
    assert!(decision.allowed);
    assert_eq!(
        decision.explain(w),
        ["Administrator of environment Acme".to_string()]
    );
    for (user, why) in [
        (bob, "only an Administrator of environment Acme may do this"),
        (
            f.clerk,
            "only an Administrator of environment Acme may do this",
        ),
        (f.firm_admin, "not a user of environment Acme"),
    ] {
        let decision = check(w, user, Action::ReadAuditLog, env_res(f.acme));
        assert!(!decision.allowed);
        assert_eq!(decision.explain(w), [why.to_string()]);
    }
    let admins: Vec<UserId> = who_can(w, Action::ReadAuditLog, env_res(f.acme))
        .into_iter()
        .map(|a| a.user)
        .collect();
    assert_eq!(admins, [f.acme_admin]);
    f.f.ok(f.acme_admin, Command::DisableUser { user: bob });
    expect(
        &f.f.world,
        bob,
        Action::ReadAuditLog,
        env_res(f.acme),
        false,
    );
}

#[test]
fn administrators_and_advanced_users_manage_groups_and_ask_for_partnerships() {
    let mut f = firm();
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    let w = &f.f.world;
    for action in [Action::ManageGroups, Action::SendPartnershipRequests] {
        expect(w, f.acme_admin, action, env_res(f.acme), true);
        expect(w, bob, action, env_res(f.acme), true);
        expect(w, f.clerk, action, env_res(f.acme), false);
        expect(w, f.accountant, action, env_res(f.acme), false);
    }
    let reasons = check(w, bob, Action::ManageGroups, env_res(f.acme)).explain(w);
    assert_eq!(
        reasons,
        ["Administrator or Advanced user of environment Acme".to_string()]
    );
    // Everything else in an environment is its Administrators'.
    for action in [
        Action::ManageUsers,
        Action::ManagePartnerships,
        Action::SplitEnvironment,
        Action::AddOrganisations,
    ] {
        expect(w, f.acme_admin, action, env_res(f.acme), true);
        expect(w, bob, action, env_res(f.acme), false);
    }
    // Environment actions on another resource kind fail closed.
    expect(
        w,
        f.acme_admin,
        Action::ReadAuditLog,
        org_res(f.bakery),
        false,
    );
}

#[test]
fn a_connection_key_works_while_its_holder_may_retrieve_it() {
    use preflight_core::access::use_connection_key;
    let mut f = firm();
    let key = f.f.key(f.accountant, f.bakery);
    let works = use_connection_key(&f.f.world, key);
    assert!(works.allowed);
    assert_eq!(
        works.explain(&f.f.world),
        ["Member of Bakery BV through the partnership with Acme Accountants".to_string()]
    );
    f.f.end(f.acme_admin, f.partnership);
    let stopped = use_connection_key(&f.f.world, key);
    assert!(!stopped.allowed);
    let said = stopped.explain(&f.f.world).join("; ");
    assert!(
        said.starts_with("the key no longer works: the partnership it was issued through ended on"),
        "{said}"
    );
    assert!(!use_connection_key(&f.f.world, KeyId::from_u128(7)).allowed);
}

#[test]
fn an_environments_audit_log_shows_every_command_that_concerns_it() {
    use preflight_core::audit::environments_of;
    let mut f = firm();
    let (other, olga) = f.f.sign_up("Other", "olga@other.test");
    let mut both = vec![f.acme, f.firm];
    both.sort();
    // A partner's user made a member: both sides.
    let bea =
        f.f.invite(f.firm_admin, "bea@firm.test", EnvRole::AdvancedUser);
    let events = f.f.ok(
        f.acme_admin,
        Command::AddMember {
            organisation: f.bakery,
            user: bea,
            role: OrgRole::Member,
        },
    );
    assert_eq!(
        environments_of(&f.f.world, &by(f.acme_admin), &events),
        both
    );
    // Ending the partnership: both sides.
    let events = f.f.end(f.firm_admin, f.partnership);
    assert_eq!(
        environments_of(&f.f.world, &by(f.firm_admin), &events),
        both
    );
    // A refused command: the actor's own environment only.
    assert_eq!(environments_of(&f.f.world, &by(olga), &[]), [other]);
}

#[test]
fn a_partnership_proposal_answers_alike_whether_or_not_the_environment_exists() {
    let mut f = Fixture::new();
    let (acme, _) = f.sign_up("Acme", ACME_ADMIN);
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    f.set_plan(firm, Plan::Basic);
    let nowhere = EnvironmentId::from_u128(0xdead_beef);
    for environment in [acme, nowhere] {
        let events = f.ok(fred, Command::ProposePartnership { environment });
        assert!(matches!(
            events.as_slice(),
            [Event::PartnershipRequested { request }]
                if request.target == RequestTarget::Environment { environment }
        ));
    }
}

#[test]
fn only_administrators_ask_about_other_users_access_in_own_environment() {
    let mut f = firm();
    f.f.member(f.acme_admin, f.bakery, f.clerk, OrgRole::Member);
    let office = f.f.org(f.firm_admin, "Firm Office");
    f.f.member(f.firm_admin, office, f.accountant, OrgRole::Member);
    let w = &f.f.world;
    let clerk = Visibility::of(w, f.clerk).unwrap();
    assert!(clerk.pair(f.clerk, org_res(f.bakery)), "own access");
    assert!(!clerk.pair(f.acme_admin, org_res(f.bakery)));
    assert!(!clerk.pair(f.accountant, org_res(f.bakery)));
    let admin = Visibility::of(w, f.acme_admin).unwrap();
    assert!(admin.pair(f.clerk, org_res(f.bakery)));
    assert!(admin.pair(f.accountant, org_res(f.bakery)));
    assert!(
        !admin.pair(f.accountant, org_res(office)),
        "not their environment"
    );
    let accountant = Visibility::of(w, f.accountant).unwrap();
    assert!(accountant.pair(f.accountant, org_res(f.bakery)));
    assert!(
        !accountant.pair(f.clerk, org_res(f.bakery)),
        "not an Administrator"
    );
    // A disabled user may ask nothing.
    f.f.ok(f.acme_admin, Command::DisableUser { user: f.clerk });
    assert!(Visibility::of(&f.f.world, f.clerk).is_none());
}

#[test]
fn only_platform_support_manages_subscriptions_and_executes_removals() {
    let f = firm();
    let w = &f.f.world;
    let env = Resource::Environment(f.acme);
    let org = Resource::Organisation(f.bakery);
    for (action, resource) in [
        (Action::ManageSubscription, env),
        (Action::ExecuteRemoval, org),
    ] {
        // No user may, not even the environment's Administrator: the reason
        // says who may.
        for user in [f.acme_admin, f.firm_admin, f.clerk] {
            let decision = check(w, user, action, resource);
            assert!(!decision.allowed, "{action:?} for a user");
            assert_eq!(decision.reasons.as_slice(), &[Reason::SupportOnly]);
        }
        assert!(who_can(w, action, resource).is_empty());
        assert!(what_can(w, f.acme_admin, action, resource.kind()).is_empty());
        let support = access::check_actor(w, &support(), action, resource);
        assert!(support.allowed);
        assert_eq!(support.reasons.as_slice(), &[Reason::PlatformSupport]);
        assert!(!access::check_actor(w, &Actor::Anonymous, action, resource).allowed);
    }
    // Support is no user: it may do nothing else.
    assert!(!access::check_actor(w, &support(), Action::View, org).allowed);
    assert!(!access::check_actor(w, &support(), Action::ReadAuditLog, env).allowed);
}

#[test]
fn only_the_peppol_network_and_support_deliver_from_the_network() {
    let f = firm();
    let w = &f.f.world;
    let org = Resource::Organisation(f.bakery);
    let network = access::check_actor(w, &Actor::Network, Action::ReceiveFromNetwork, org);
    assert!(network.allowed);
    assert_eq!(network.reasons.as_slice(), &[Reason::PeppolNetwork]);
    // The access point does nothing else.
    for action in [Action::ManageSubscription, Action::ExecuteRemoval] {
        let decision = access::check_platform(&Actor::Network, action);
        assert_eq!(decision.reasons.as_slice(), &[Reason::SupportOnly]);
    }
    assert!(!access::check_actor(w, &Actor::Network, Action::View, org).allowed);
    // Nor may any user, not even the organisation's Administrator.
    for user in [f.acme_admin, f.clerk] {
        let decision = check(w, user, Action::ReceiveFromNetwork, org);
        assert_eq!(decision.reasons.as_slice(), &[Reason::NetworkOnly]);
    }
    let support = access::check_actor(w, &support(), Action::ReceiveFromNetwork, org);
    assert_eq!(support.reasons.as_slice(), &[Reason::PlatformSupport]);
}

#[test]
fn support_sets_plans_addons_credit_and_users_cannot() {
    let mut f = firm();
    let acme = f.acme;
    let commands = [
        Command::SetPlan {
            environment: acme,
            plan: Plan::Enterprise,
        },
        Command::SetAddOn {
            environment: acme,
            add_on: AddOn::WorkflowEngine,
            enabled: true,
        },
        Command::TopUpCredit {
            environment: acme,
            amount: 100,
        },
    ];
    for command in &commands {
        f.f.refuse(
            f.acme_admin,
            command.clone(),
            "not_permitted",
            "only platform Support",
        );
        f.f.refuse_as(
            &Actor::Anonymous,
            command.clone(),
            "not_permitted",
            "Support",
        );
    }
    for command in commands {
        f.f.ok_as(&support(), command);
    }
    let env = f.f.environment(acme);
    assert_eq!(env.plan, Plan::Enterprise);
    assert!(env.has_add_on(AddOn::WorkflowEngine));
    assert_eq!(env.credit, 125);
    assert_eq!(
        f.f.world.ledger_of(acme).last().unwrap().reason,
        LedgerReason::TopUp
    );
    f.f.refuse_as(
        &support(),
        Command::TopUpCredit {
            environment: acme,
            amount: 0,
        },
        "invalid_input",
        "amount",
    );
    f.f.refuse_as(
        &support(),
        Command::SetPlan {
            environment: acme,
            plan: Plan::Enterprise,
        },
        "conflict",
        "Acme already is on Enterprise",
    );
    f.f.ok_as(
        &support(),
        Command::SetAddOn {
            environment: acme,
            add_on: AddOn::WorkflowEngine,
            enabled: false,
        },
    );
    assert!(!f.f.environment(acme).has_add_on(AddOn::WorkflowEngine));
}

#[test]
fn an_audit_log_shows_nothing_of_what_its_reader_may_not_see() {
    let mut f = firm();
    let command = Command::UploadDocument {
        organisation: f.bakery,
        doc_box: DocBox::Documents,
        name: "Bakery contract.txt".into(),
        sha256: Sha256::of(b"the bakery's contract"),
        size: 21,
        summary: None,
    };
    // The firm's accountant uploads into the client's organisation: the
    // command is filed under both environments.
    f.f.ok(f.accountant, command.clone());
    let w = &f.f.world;
    let firm_admin = Visibility::of(w, f.firm_admin).unwrap();
    let client_admin = Visibility::of(w, f.acme_admin).unwrap();
    // The client's Administrator sees the organisation: the entry whole.
    assert_eq!(client_admin.command(&command), command);
    // The firm's Administrator knows Bakery BV by name only: no document name,
    // no content digest, no size.
    match firm_admin.command(&command) {
        Command::UploadDocument {
            organisation,
            name,
            sha256,
            size,
            summary,
            ..
        } => {
            assert_eq!(organisation, f.bakery);
            assert!(name.is_empty() && size == 0 && summary.is_none());
            assert_eq!(sha256, Sha256::default());
        }
        other => panic!("{other:?}"),
    }
}

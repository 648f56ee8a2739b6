//! §3 Documents, sharing, groups.

use super::fixture::*;
use super::scenario::*;
use preflight_core::*;

#[test]
fn document_levels_are_ordered_view_edit_manage() {
    assert!(Level::View < Level::Edit && Level::Edit < Level::Manage);
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    let bob = f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::User);
    let eve = f.f.invite(f.acme_admin, "eve@acme.test", EnvRole::User);
    f.f.share(f.acme_admin, doc, Grantee::User(f.clerk), Level::View);
    f.f.share(f.acme_admin, doc, Grantee::User(bob), Level::Edit);
    f.f.share(f.acme_admin, doc, Grantee::User(eve), Level::Manage);
    let w = &f.f.world;
    let levels = |user| Action::DOCUMENT.map(|a| check(w, user, a, doc_res(doc)).allowed);
    assert_eq!(levels(f.clerk), [true, false, false]);
    assert_eq!(levels(bob), [true, true, false]);
    assert_eq!(levels(eve), [true, true, true]);
}

#[test]
fn administrator_of_environment_has_manage_on_every_document() {
    let mut f = firm();
    let dairy = f.f.org(f.acme_admin, "Dairy");
    for doc_box in DocBox::ALL {
        let doc = f.f.upload(f.accountant, f.bakery, doc_box);
        expect(&f.f.world, f.acme_admin, Action::Manage, doc_res(doc), true);
    }
    let doc = f.f.receive(dairy);
    expect(&f.f.world, f.acme_admin, Action::Manage, doc_res(doc), true);
}

#[test]
fn organisation_manager_has_manage_and_member_has_edit() {
    let mut f = firm();
    let mia = f.f.invite(f.acme_admin, "mia@acme.test", EnvRole::User);
    f.f.member(f.acme_admin, f.bakery, mia, OrgRole::Manager);
    f.f.member(f.acme_admin, f.bakery, f.clerk, OrgRole::Member);
    let doc = f.f.receive(f.bakery);
    let w = &f.f.world;
    expect(w, mia, Action::Manage, doc_res(doc), true);
    expect(w, f.clerk, Action::Edit, doc_res(doc), true);
    expect(w, f.clerk, Action::Manage, doc_res(doc), false);
    expect(w, f.accountant, Action::Edit, doc_res(doc), true);
    expect(w, f.accountant, Action::Manage, doc_res(doc), false);
    // A Member has Edit on documents but not the organisation's settings.
    expect(
        w,
        f.clerk,
        Action::ManageOrganisationSettings,
        org_res(f.bakery),
        false,
    );
}

#[test]
fn administrator_of_partner_environment_has_no_access_without_membership() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    let w = &f.f.world;
    expect(w, f.firm_admin, Action::View, doc_res(doc), false);
    for action in Action::ORGANISATION {
        expect(w, f.firm_admin, action, org_res(f.bakery), false);
    }
    assert_eq!(
        sentences(w, f.firm_admin, Action::View, doc_res(doc)),
        ["not a member of Bakery BV, and nothing of it is shared with them"]
    );
}

#[test]
fn organisation_share_reaches_present_and_future_members() {
    let mut f = firm();
    let dairy = f.f.org(f.acme_admin, "Dairy");
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    f.f.member(f.acme_admin, dairy, f.clerk, OrgRole::Member);
    f.f.share(f.acme_admin, doc, Grantee::Organisation(dairy), Level::View);
    expect(&f.f.world, f.clerk, Action::View, doc_res(doc), true);
    let bob = f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::User);
    expect(&f.f.world, bob, Action::View, doc_res(doc), false);
    f.f.member(f.acme_admin, dairy, bob, OrgRole::Manager);
    expect(&f.f.world, bob, Action::View, doc_res(doc), true);
    expect(&f.f.world, bob, Action::Edit, doc_res(doc), false);
    // Leaving the organisation ends it.
    f.f.ok(
        f.acme_admin,
        Command::RemoveMember {
            organisation: dairy,
            user: bob,
        },
    );
    expect(&f.f.world, bob, Action::View, doc_res(doc), false);
}

#[test]
fn share_to_partner_organisation_does_not_reach_member_from_third_environment() {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", ACME_ADMIN);
    let bakery = f.org(ada, "Bakery BV");
    let (firm, fred) = f.sign_up("Acme Accountants", "fred@firm.test");
    let office = f.org(fred, "Firm Office");
    let anna = f.invite(fred, "anna@firm.test", EnvRole::AdvancedUser);
    let (freelance, fay) = f.sign_up("Freelance", "fay@freelance.test");
    f.partner(fred, ACME_ADMIN, ada);
    f.partner(fred, "fay@freelance.test", fay);
    assert!(f.world.active_partnership(acme, freelance).is_none());
    f.member(fred, office, anna, OrgRole::Member);
    f.member(fred, office, fay, OrgRole::Member);
    let doc = f.upload(ada, bakery, DocBox::Documents);
    f.share(ada, doc, Grantee::Organisation(office), Level::View);
    let w = &f.world;
    let anna_says = check(w, anna, Action::View, doc_res(doc));
    assert!(anna_says.allowed);
    assert_eq!(
        anna_says.reasons.as_slice(),
        &[Reason::SharedWithOrganisation {
            organisation: office,
            level: Level::View,
            through: Some(firm)
        }]
    );
    let fay_says = check(w, fay, Action::View, doc_res(doc));
    assert!(!fay_says.allowed);
    assert_eq!(
        fay_says.reasons.as_slice(),
        &[Reason::NoPartnership {
            home: freelance,
            environment: acme,
            ended: None
        }]
    );
    assert_eq!(
        fay_says.explain(w),
        ["Freelance has no partnership with Acme"]
    );
    assert!(who_can(w, Action::View, doc_res(doc))
        .iter()
        .all(|a| a.user != fay));
    assert!(project(w, fay).document(doc).is_none());
}

#[test]
fn group_share_reaches_member_who_is_not_organisation_member() {
    let mut f = firm();
    let paul = f.f.invite(f.firm_admin, "paul@firm.test", EnvRole::User);
    let finance = f.f.group(f.acme_admin, "Finance team");
    f.f.group_member(f.acme_admin, finance, f.clerk);
    f.f.group_member(f.acme_admin, finance, paul);
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::InboxIn);
    let other = f.f.upload(f.acme_admin, f.bakery, DocBox::InboxIn);
    f.f.share(f.acme_admin, doc, Grantee::Group(finance), Level::Edit);
    let w = &f.f.world;
    for user in [f.clerk, paul] {
        expect(w, user, Action::Edit, doc_res(doc), true);
        expect(w, user, Action::Manage, doc_res(doc), false);
        expect(w, user, Action::View, doc_res(other), false);
        expect(w, user, Action::ViewOrganisation, org_res(f.bakery), false);
    }
    assert_eq!(
        check(w, paul, Action::Edit, doc_res(doc))
            .reasons
            .as_slice(),
        &[Reason::SharedWithGroup {
            group: finance,
            level: Level::Edit,
            through: Some(f.firm)
        }]
    );
    // Leaving the group ends it.
    f.f.ok(
        f.acme_admin,
        Command::RemoveGroupMember {
            group: finance,
            user: f.clerk,
        },
    );
    expect(&f.f.world, f.clerk, Action::View, doc_res(doc), false);
}

#[test]
fn sharing_needs_manage() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    let bob = f.f.invite(f.firm_admin, "bob@firm.test", EnvRole::User);
    let share = |grantee| Command::ShareDocument {
        document: doc,
        grantee,
        level: Level::View,
    };
    // A Member has Edit only.
    f.f.refuse(
        f.accountant,
        share(Grantee::User(bob)),
        "not_permitted",
        "has Edit access; this needs Manage",
    );
    // Someone who cannot even view it is told it does not exist.
    f.f.refuse(f.clerk, share(Grantee::User(bob)), "not_found", "document");
    // Manage through a share is enough, for the users the sharer sees.
    f.f.share(f.acme_admin, doc, Grantee::User(f.clerk), Level::Manage);
    let dora = f.f.invite(f.acme_admin, "dora@acme.test", EnvRole::User);
    f.f.ok(f.clerk, share(Grantee::User(dora)));
    // A User does not see the partner's users (DOMAIN §1).
    f.f.refuse(f.clerk, share(Grantee::User(bob)), "not_found", "user");
    f.f.ok(f.acme_admin, share(Grantee::User(bob)));
    // A partner Manager may share too.
    f.f.ok(
        f.acme_admin,
        Command::ChangeMemberRole {
            organisation: f.bakery,
            user: f.accountant,
            role: OrgRole::Manager,
        },
    );
    f.f.ok(f.accountant, share(Grantee::User(f.firm_admin)));
    f.f.refuse(
        f.accountant,
        share(Grantee::User(f.firm_admin)),
        "conflict",
        "already shared",
    );
    // Changing the level replaces the share.
    f.f.ok(
        f.accountant,
        Command::ShareDocument {
            document: doc,
            grantee: Grantee::User(f.firm_admin),
            level: Level::Edit,
        },
    );
    assert_eq!(
        f.f.world
            .shares_of(doc)
            .iter()
            .filter(|s| s.grantee == Grantee::User(f.firm_admin))
            .map(|s| s.level)
            .collect::<Vec<_>>(),
        [Level::Edit]
    );
}

#[test]
fn sharing_works_in_all_three_boxes() {
    let mut f = firm();
    for doc_box in DocBox::ALL {
        let doc = f.f.upload(f.acme_admin, f.bakery, doc_box);
        expect(&f.f.world, f.clerk, Action::View, doc_res(doc), false);
        f.f.share(f.acme_admin, doc, Grantee::User(f.clerk), Level::View);
        expect(&f.f.world, f.clerk, Action::View, doc_res(doc), true);
    }
}

#[test]
fn cannot_share_outside_partnered_environments() {
    let mut f = firm();
    let (_, olga) = f.f.sign_up("Other", "olga@other.test");
    let other_org = f.f.org(olga, "Other BV");
    let other_group = f.f.group(olga, "Others");
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    // Users, groups and organisations of an environment without a partnership
    // are not seen: they answer as if they did not exist (DOMAIN §1).
    for (grantee, what) in [
        (Grantee::User(olga), "user"),
        (Grantee::Group(other_group), "group"),
        (Grantee::Organisation(other_org), "organisation"),
    ] {
        f.f.refuse(
            f.acme_admin,
            Command::ShareDocument {
                document: doc,
                grantee,
                level: Level::View,
            },
            "not_found",
            what,
        );
    }
    // Once the partnership ends, the former partner is outside too.
    f.f.end(f.acme_admin, f.partnership);
    f.f.refuse(
        f.acme_admin,
        Command::ShareDocument {
            document: doc,
            grantee: Grantee::User(f.accountant),
            level: Level::View,
        },
        "not_found",
        "user",
    );
}

#[test]
fn unsharing_and_deleting_need_manage() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    f.f.share(f.acme_admin, doc, Grantee::User(f.clerk), Level::Edit);
    let unshare = Command::UnshareDocument {
        document: doc,
        grantee: Grantee::User(f.clerk),
    };
    f.f.refuse(f.clerk, unshare.clone(), "not_permitted", "needs Manage");
    f.f.refuse(
        f.accountant,
        Command::DeleteDocument { document: doc },
        "not_permitted",
        "needs Manage",
    );
    f.f.ok(f.acme_admin, unshare.clone());
    expect(&f.f.world, f.clerk, Action::View, doc_res(doc), false);
    f.f.refuse(f.acme_admin, unshare, "conflict", "not shared");
    f.f.ok(f.acme_admin, Command::DeleteDocument { document: doc });
    assert!(f.f.world.document(doc).is_none());
}

#[test]
fn uploading_needs_edit_on_the_organisation() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    f.f.share(f.acme_admin, doc, Grantee::User(f.clerk), Level::View);
    let upload = Command::UploadDocument {
        organisation: f.bakery,
        doc_box: DocBox::Documents,
        name: "x.xml".into(),
        sha256: Sha256::of(b"x"),
        size: 1,
        summary: None,
    };
    // Seeing one shared document gives no right to upload.
    f.f.refuse(f.clerk, upload.clone(), "not_found", "organisation");
    let (_, olga) = f.f.sign_up("Other", "olga@other.test");
    f.f.refuse(olga, upload.clone(), "not_found", "organisation");
    // A Member may (Edit), across the partnership too.
    f.f.ok(f.accountant, upload.clone());
    f.f.member(f.acme_admin, f.bakery, f.clerk, OrgRole::Member);
    f.f.ok(f.clerk, upload);
}

#[test]
fn only_administrators_and_advanced_users_edit_groups() {
    let mut f = firm();
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::AdvancedUser);
    f.f.refuse(
        f.clerk,
        Command::CreateGroup { name: "G".into() },
        "not_permitted",
        "Administrators and Advanced users",
    );
    let group = f.f.group(bob, "Finance team");
    assert_eq!(f.f.world.group(group).unwrap().environment, f.acme);
    f.f.refuse(
        bob,
        Command::CreateGroup {
            name: "Finance team".into(),
        },
        "conflict",
        "Finance team",
    );
    // A User sees only the groups they are in: another is not there for them.
    f.f.refuse(
        f.clerk,
        Command::AddGroupMember {
            group,
            user: f.clerk,
        },
        "not_found",
        "group",
    );
    f.f.group_member(bob, group, f.clerk);
    f.f.refuse(
        f.clerk,
        Command::RenameGroup {
            group,
            name: "X".into(),
        },
        "not_permitted",
        "Administrators and Advanced users",
    );
    // Another environment's group, even a partner's, is not theirs to edit.
    f.f.refuse(
        f.firm_admin,
        Command::RenameGroup {
            group,
            name: "X".into(),
        },
        "not_found",
        "group",
    );
    f.f.refuse(
        f.accountant,
        Command::DeleteGroup { group },
        "not_found",
        "group",
    );
    f.f.ok(
        f.acme_admin,
        Command::RenameGroup {
            group,
            name: "Finance".into(),
        },
    );
    assert_eq!(f.f.world.group(group).unwrap().name, "Finance");
    f.f.ok(bob, Command::DeleteGroup { group });
    assert!(f.f.world.group(group).is_none());
}

#[test]
fn group_members_come_from_own_and_actively_partnered_environments() {
    let mut f = firm();
    let (_, olga) = f.f.sign_up("Other", "olga@other.test");
    let group = f.f.group(f.acme_admin, "Finance team");
    f.f.group_member(f.acme_admin, group, f.clerk);
    f.f.group_member(f.acme_admin, group, f.accountant);
    f.f.refuse(
        f.acme_admin,
        Command::AddGroupMember { group, user: olga },
        "not_found",
        "no such user",
    );
    f.f.refuse(
        f.acme_admin,
        Command::AddGroupMember {
            group,
            user: f.clerk,
        },
        "conflict",
        "already is in Finance team",
    );
    f.f.ok(f.acme_admin, Command::DisableUser { user: f.clerk });
    let bob = f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::User);
    f.f.ok(f.acme_admin, Command::DisableUser { user: bob });
    f.f.refuse(
        f.acme_admin,
        Command::AddGroupMember { group, user: bob },
        "not_permitted",
        "Bob is disabled",
    );
}

#[test]
fn deleting_a_group_removes_its_shares() {
    let mut f = firm();
    let group = f.f.group(f.acme_admin, "Finance team");
    f.f.group_member(f.acme_admin, group, f.clerk);
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    f.f.share(f.acme_admin, doc, Grantee::Group(group), Level::View);
    f.f.ok(f.acme_admin, Command::DeleteGroup { group });
    assert!(f.f.world.shares_of(doc).is_empty());
    expect(&f.f.world, f.clerk, Action::View, doc_res(doc), false);
}

#[test]
fn a_share_that_reaches_nobody_new_is_warned_in_the_preview() {
    let mut f = firm();
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    let empty = f.f.group(f.acme_admin, "Nobody yet");
    let ctx = f.f.next_context();
    let says = |world: &World, sharer: UserId, grantee: Grantee, level: Level| {
        let slice = project(world, sharer);
        let command = Command::ShareDocument {
            document: doc,
            grantee,
            level,
        };
        let shown = preview(&slice, &by(sharer), command, &ctx);
        assert!(shown.allowed, "{:?}", shown.error);
        preflight_core::preview::share_reaches_nobody_new(&slice, &shown)
    };
    let w = &f.f.world;
    // The accountant already edits Bakery BV's documents: viewing adds nothing.
    assert!(says(
        w,
        f.acme_admin,
        Grantee::User(f.accountant),
        Level::View
    ));
    // Managing does.
    assert!(!says(
        w,
        f.acme_admin,
        Grantee::User(f.accountant),
        Level::Manage
    ));
    // The clerk sees nothing of Bakery BV yet.
    assert!(!says(w, f.acme_admin, Grantee::User(f.clerk), Level::View));
    // A group without members reaches no one (yet).
    assert!(says(w, f.acme_admin, Grantee::Group(empty), Level::View));
    // The organisation's own members already have it.
    assert!(says(
        w,
        f.acme_admin,
        Grantee::Organisation(f.bakery),
        Level::View
    ));
    // On the whole world there is no viewer to tell.
    let shown = preview(
        w,
        &by(f.acme_admin),
        Command::ShareDocument {
            document: doc,
            grantee: Grantee::User(f.accountant),
            level: Level::View,
        },
        &ctx,
    );
    assert!(!preflight_core::preview::share_reaches_nobody_new(
        w, &shown
    ));
}

//! §4 Organisation actions and connection keys.

use super::fixture::*;
use super::scenario::*;
use preflight_core::*;

#[test]
fn manager_from_same_environment_manages_settings_member_does_not() {
    let mut f = firm();
    let mia = f.f.invite(f.acme_admin, "mia@acme.test", EnvRole::User);
    f.f.member(f.acme_admin, f.bakery, mia, OrgRole::Manager);
    f.f.member(f.acme_admin, f.bakery, f.clerk, OrgRole::Member);
    let bakery = f.bakery;
    let rename = move |name: &str| Command::RenameOrganisation {
        organisation: bakery,
        name: name.into(),
    };
    f.f.refuse(
        f.clerk,
        rename("Clerk's Bakery"),
        "not_permitted",
        "not a Manager of Bakery BV nor an Administrator of its environment",
    );
    f.f.ok(mia, rename("Bakery Mia"));
    f.f.ok(f.acme_admin, rename("Bakery BV"));
    assert_eq!(f.f.world.organisation(f.bakery).unwrap().name, "Bakery BV");
}

#[test]
fn manager_from_partner_environment_cannot_manage_settings() {
    let mut f = firm();
    f.f.ok(
        f.acme_admin,
        Command::ChangeMemberRole {
            organisation: f.bakery,
            user: f.accountant,
            role: OrgRole::Manager,
        },
    );
    let w = &f.f.world;
    expect(
        w,
        f.accountant,
        Action::ManageOrganisationSettings,
        org_res(f.bakery),
        false,
    );
    assert_eq!(
        sentences(w, f.accountant, Action::ManageOrganisationSettings, org_res(f.bakery)),
        ["Manager of Bakery BV from a partner environment: settings stay with its own environment"]
    );
    // Documents are theirs to manage all the same.
    let doc = f.f.upload(f.acme_admin, f.bakery, DocBox::Documents);
    expect(&f.f.world, f.accountant, Action::Manage, doc_res(doc), true);
    f.f.refuse(
        f.accountant,
        Command::RenameOrganisation {
            organisation: f.bakery,
            name: "Anna's Bakery".into(),
        },
        "not_permitted",
        "settings stay with its own environment",
    );
}

#[test]
fn retrieve_connection_key_needs_advanced_role_across_partnership() {
    let mut f = firm();
    // An AdvancedUser member from the partner may.
    f.f.key(f.accountant, f.bakery);
    // So may an Administrator of the partner who is a member.
    f.f.member(f.acme_admin, f.bakery, f.firm_admin, OrgRole::Member);
    f.f.key(f.firm_admin, f.bakery);
    // Once the accountant is only a User of the firm, no more.
    f.f.ok(
        f.firm_admin,
        Command::AssignRole {
            user: f.accountant,
            role: EnvRole::User,
        },
    );
    f.f.refuse(
        f.accountant,
        Command::RetrieveConnectionKey {
            organisation: f.bakery,
        },
        "not_permitted",
        "is a User of their environment; this needs Advanced user or Administrator",
    );
    // A partner's Administrator who is not a member may not.
    let (_, max) = f.f.sign_up("Mill", "max@mill.test");
    let mill = f.f.org(max, "Mill NV");
    f.f.partner(f.firm_admin, "max@mill.test", max);
    f.f.refuse(
        f.firm_admin,
        Command::RetrieveConnectionKey { organisation: mill },
        "not_found",
        "organisation",
    );
}

#[test]
fn plain_user_member_of_own_environment_cannot_retrieve_connection_key() {
    let mut f = firm();
    f.f.member(f.acme_admin, f.bakery, f.clerk, OrgRole::Manager);
    expect(
        &f.f.world,
        f.clerk,
        Action::RetrieveConnectionKey,
        org_res(f.bakery),
        false,
    );
    expect(
        &f.f.world,
        f.clerk,
        Action::ConfigureSoftwareConnection,
        org_res(f.bakery),
        false,
    );
    f.f.refuse(
        f.clerk,
        Command::RetrieveConnectionKey {
            organisation: f.bakery,
        },
        "not_permitted",
        "is a User of their environment",
    );
    // The Administrator of its environment may, without being a member.
    f.f.key(f.acme_admin, f.bakery);
}

#[test]
fn configure_software_connection_follows_the_connection_key_rule() {
    let mut f = firm();
    let configure = |software: &str| Command::ConfigureSoftwareConnection {
        organisation: f.bakery,
        software: software.into(),
    };
    let (bakery, clerk, accountant, acme_admin, firm_admin) =
        (f.bakery, f.clerk, f.accountant, f.acme_admin, f.firm_admin);
    let first = configure("Exact Online");
    let second = configure("Yuki");
    let third = configure("Octopus");
    f.f.ok(accountant, first);
    assert_eq!(
        f.f.world
            .organisation(bakery)
            .unwrap()
            .software_connection
            .as_deref(),
        Some("Exact Online")
    );
    f.f.ok(acme_admin, second);
    f.f.member(acme_admin, bakery, clerk, OrgRole::Member);
    f.f.refuse(
        clerk,
        third.clone(),
        "not_permitted",
        "is a User of their environment",
    );
    f.f.refuse(firm_admin, third, "not_found", "organisation");
}

#[test]
fn only_administrator_activates_organisation() {
    let mut f = firm();
    let mia =
        f.f.invite(f.acme_admin, "mia@acme.test", EnvRole::AdvancedUser);
    let participant_id = f.f.next_participant();
    let dairy = f.f.add_org(f.acme_admin, "Dairy", &participant_id);
    f.f.member(f.acme_admin, dairy, mia, OrgRole::Manager);
    f.f.refuse(
        mia,
        Command::ActivateOrganisation {
            organisation: dairy,
        },
        "not_permitted",
        "only an Administrator of environment Acme may do this",
    );
    f.f.ok(
        f.acme_admin,
        Command::ActivateOrganisation {
            organisation: dairy,
        },
    );
    assert_eq!(
        f.f.world.organisation(dairy).unwrap().status,
        OrgStatus::Active
    );
    f.f.refuse(
        f.acme_admin,
        Command::ActivateOrganisation {
            organisation: dairy,
        },
        "conflict",
        "Dairy is already active",
    );
}

#[test]
fn retrieve_connection_key_issues_a_new_key_each_time_recorded_with_holder_and_time() {
    let mut f = firm();
    let first = f.f.key(f.accountant, f.bakery);
    let issued_at = f.f.now();
    let second = f.f.key(f.accountant, f.bakery);
    let admin = f.f.key(f.acme_admin, f.bakery);
    assert_ne!(first, second);
    let w = &f.f.world;
    let mut expected = vec![first, second, admin];
    expected.sort();
    assert_eq!(w.keys_of(f.bakery), expected.as_slice());
    let k = w.key(first).unwrap();
    assert_eq!(
        (k.holder, k.organisation, k.issued_at),
        (f.accountant, f.bakery, issued_at)
    );
    assert!(k.is_valid());
    // The key list is shown with the organisation, to those who see it.
    assert_eq!(project(w, f.acme_admin).keys_of(f.bakery).len(), 3);
}

#[test]
fn connection_key_stops_working_when_revoked() {
    let mut f = firm();
    let mia =
        f.f.invite(f.acme_admin, "mia@acme.test", EnvRole::AdvancedUser);
    f.f.member(f.acme_admin, f.bakery, mia, OrgRole::Manager);
    let key = f.f.key(f.accountant, f.bakery);
    let own = f.f.key(mia, f.bakery);
    // Another member may not revoke someone else's key.
    f.f.refuse(
        mia,
        Command::RevokeConnectionKey { key },
        "not_permitted",
        "holder or an Administrator of environment Acme",
    );
    f.f.refuse(
        f.firm_admin,
        Command::RevokeConnectionKey { key },
        "not_found",
        "connection key",
    );
    f.f.ok(f.acme_admin, Command::RevokeConnectionKey { key });
    assert_eq!(
        f.f.key_revoked_because(key),
        Some(RevokeReason::Revoked { by: f.acme_admin })
    );
    f.f.refuse(
        f.acme_admin,
        Command::RevokeConnectionKey { key },
        "conflict",
        "already revoked",
    );
    // A holder may revoke their own.
    f.f.ok(mia, Command::RevokeConnectionKey { key: own });
    assert!(!f.f.key_valid(own));
}

#[test]
fn connection_key_stops_working_when_holder_loses_membership() {
    let mut f = firm();
    let key = f.f.key(f.accountant, f.bakery);
    let events = f.f.ok(
        f.acme_admin,
        Command::RemoveMember {
            organisation: f.bakery,
            user: f.accountant,
        },
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::ConnectionKeyRevoked { key: k, .. } if *k == key)));
    assert_eq!(
        f.f.key_revoked_because(key),
        Some(RevokeReason::HolderLostAccess)
    );
}

#[test]
fn connection_key_stops_working_when_holder_loses_advanced_role() {
    let mut f = firm();
    let key = f.f.key(f.accountant, f.bakery);
    f.f.ok(
        f.firm_admin,
        Command::AssignRole {
            user: f.accountant,
            role: EnvRole::User,
        },
    );
    assert_eq!(
        f.f.key_revoked_because(key),
        Some(RevokeReason::HolderLostAccess)
    );
}

#[test]
fn connection_key_stops_working_when_partnership_ends() {
    let mut f = firm();
    let key = f.f.key(f.accountant, f.bakery);
    f.f.end(f.firm_admin, f.partnership);
    assert_eq!(
        f.f.key_revoked_because(key),
        Some(RevokeReason::PartnershipEnded)
    );
}

#[test]
fn connection_key_survives_while_holder_keeps_the_right() {
    let mut f = firm();
    let bob =
        f.f.invite(f.acme_admin, "bob@acme.test", EnvRole::Administrator);
    f.f.member(f.acme_admin, f.bakery, bob, OrgRole::Member);
    let key = f.f.key(bob, f.bakery);
    // Still an Administrator of the environment after leaving the organisation.
    f.f.ok(
        f.acme_admin,
        Command::RemoveMember {
            organisation: f.bakery,
            user: bob,
        },
    );
    assert!(f.f.key_valid(key));
    // A demotion to AdvancedUser would still leave it if they were a member; they
    // are not, so it stops.
    f.f.ok(
        f.acme_admin,
        Command::AssignRole {
            user: bob,
            role: EnvRole::AdvancedUser,
        },
    );
    assert_eq!(
        f.f.key_revoked_because(key),
        Some(RevokeReason::HolderLostAccess)
    );
}

//! The split simulator (DOMAIN §7), one test per rule, on the demo world's
//! "Globex Group" (a holding whose subsidiary Globex Labs BV becomes independent).

use super::props::{full_diff, random_run};
use preflight_core::access::{access, Access};
use preflight_core::split::*;
use preflight_core::*;
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

/// 2026-11-18 11:06 UTC.
const T0: i64 = 1_795_000_000_000;

struct Globex {
    world: World,
    step: u128,
    globex: EnvironmentId,
    acme: EnvironmentId,
    /// Administrator of Globex Group.
    hanna: UserId,
    /// Advanced user of Globex: Manager of the holding, Member of retail and labs.
    ivo: UserId,
    /// User of Globex: Manager of labs only.
    jade: UserId,
    /// Advanced user of the partner Acme Accountants: Member of labs.
    bob: UserId,
    /// Administrator of Acme Accountants.
    alice: UserId,
    holding: OrganisationId,
    retail: OrganisationId,
    labs: OrganisationId,
}

fn user(world: &World, email: &str) -> UserId {
    world.user_by_email(email).unwrap().id
}

fn organisation(world: &World, name: &str) -> OrganisationId {
    world.organisations().find(|o| o.name == name).unwrap().id
}

fn globex() -> Globex {
    let world = preflight_core::generate::demo().world;
    let hanna = user(&world, "hanna@globex.example");
    let alice = user(&world, "alice@acme.example");
    Globex {
        globex: world.user(hanna).unwrap().environment,
        acme: world.user(alice).unwrap().environment,
        hanna,
        ivo: user(&world, "ivo@globex.example"),
        jade: user(&world, "jade@globex.example"),
        bob: user(&world, "bob@acme.example"),
        alice,
        holding: organisation(&world, "Globex Holding BV"),
        retail: organisation(&world, "Globex Retail BV"),
        labs: organisation(&world, "Globex Labs BV"),
        world,
        step: 0,
    }
}

impl Globex {
    fn run(&mut self, actor: &Actor, command: Command) -> Result<Vec<Event>, CommandError> {
        self.step += 1;
        let ctx = Context::deterministic(
            Timestamp(T0 + self.step as i64 * 60_000),
            0xD0C5_0000 + self.step,
        );
        let events = execute(&self.world, actor, command, &ctx)?;
        for event in &events {
            self.world.apply(event);
        }
        Ok(events)
    }

    fn ok(&mut self, actor: UserId, command: Command) -> Vec<Event> {
        let kind = command.kind();
        self.run(&Actor::user(actor), command)
            .unwrap_or_else(|e| panic!("{kind} was refused: {e}"))
    }

    fn plan(&self, option: SplitOption) -> SplitPlan {
        plan_split(
            &self.world,
            &Actor::user(self.hanna),
            self.globex,
            &[self.labs],
            option,
        )
        .unwrap()
    }

    fn option1(&self) -> SplitPlan {
        self.plan(SplitOption::ManageAccess { keep: None })
    }

    fn option2(&self) -> SplitPlan {
        self.plan(SplitOption::FullSeparation { exported: None })
    }

    fn first_document(&self, organisation: OrganisationId, doc_box: DocBox) -> DocumentId {
        self.world
            .documents_of(organisation)
            .find(|d| self.world.document(*d).unwrap().doc_box == doc_box)
            .unwrap()
    }

    /// Support gives Globex the Workflow Engine add-on (approval tasks).
    fn enable_workflow(&mut self) {
        self.run(
            &Actor::Support { name: "s".into() },
            Command::SetAddOn {
                environment: self.globex,
                add_on: AddOn::WorkflowEngine,
                enabled: true,
            },
        )
        .unwrap();
    }

    /// Hanna's group "Labs finance", with Jade in it and `document` shared with
    /// it (View).
    fn labs_finance_sharing(&mut self, document: DocumentId) -> GroupId {
        let events = self.ok(
            self.hanna,
            Command::CreateGroup {
                name: "Labs finance".into(),
            },
        );
        let Some(Event::GroupCreated { group, .. }) = events.first().cloned() else {
            panic!("{events:?}")
        };
        self.ok(
            self.hanna,
            Command::AddGroupMember {
                group,
                user: self.jade,
            },
        );
        self.ok(
            self.hanna,
            Command::ShareDocument {
                document,
                grantee: Grantee::Group(group),
                level: Level::View,
            },
        );
        group
    }

    fn upload(&mut self, organisation: OrganisationId, name: &str) -> DocumentId {
        let events = self.ok(
            self.hanna,
            Command::UploadDocument {
                organisation,
                doc_box: DocBox::Documents,
                name: name.into(),
                sha256: Sha256::of(name.as_bytes()),
                size: 10,
                summary: None,
            },
        );
        match events.first() {
            Some(Event::DocumentAdded { document }) => document.id,
            other => panic!("{other:?}"),
        }
    }

    fn apply_plan(&mut self, actor: UserId, plan: &SplitPlan) -> Result<Vec<Event>, CommandError> {
        self.run(
            &Actor::user(actor),
            Command::ApplyAccessPlan {
                plan: Box::new(plan.clone()),
            },
        )
    }

    fn sees(&self, user: UserId, organisation: OrganisationId) -> bool {
        check(
            &self.world,
            user,
            Action::ViewOrganisation,
            Resource::Organisation(organisation),
        )
        .allowed
    }
}

fn access_plan(plan: &SplitPlan) -> &AccessPlan {
    match &plan.impact {
        SplitImpact::ManageAccess(p) => p,
        other => panic!("not option 1: {other:?}"),
    }
}

fn separation_plan(plan: &SplitPlan) -> &SeparationPlan {
    match &plan.impact {
        SplitImpact::FullSeparation(p) => p,
        other => panic!("not option 2: {other:?}"),
    }
}

fn loss(plan: &SeparationPlan, user: UserId) -> &UserLoss {
    plan.losses
        .iter()
        .find(|l| l.user == user)
        .unwrap_or_else(|| panic!("{user:?} loses nothing"))
}

fn stale(world: &World, plan: &SplitPlan) -> Vec<Fact> {
    match check_fresh(world, plan) {
        Ok(()) => Vec::new(),
        Err(StalePlan { changed }) => changed,
    }
}

// ---------------------------------------------------------------------------
// Who may plan
// ---------------------------------------------------------------------------

#[test]
fn split_plan_needs_an_administrator_of_the_environment() {
    let g = globex();
    // A user of the environment who is not its Administrator is told why.
    let error = plan_split(
        &g.world,
        &Actor::user(g.ivo),
        g.globex,
        &[g.labs],
        SplitOption::ManageAccess { keep: None },
    )
    .unwrap_err();
    assert_eq!(error.code(), "not_permitted", "{error}");
    assert!(error.to_string().contains("Globex Group"), "{error}");
    // To another environment's user, the environment is not there at all.
    let error = plan_split(
        &g.world,
        &Actor::user(g.alice),
        g.globex,
        &[g.labs],
        SplitOption::ManageAccess { keep: None },
    )
    .unwrap_err();
    assert_eq!(error.code(), "not_found", "{error}");
    assert!(!error.to_string().contains("Globex"), "{error}");
}

#[test]
fn a_plan_whose_fingerprint_names_what_its_administrator_cannot_see_is_stale_whatever_its_digests()
{
    let mut g = globex();
    // Another environment's organisation, and a user of an environment
    // Globex has no partnership with.
    let (_, _, stranger) = {
        let mut users: Vec<&User> = g
            .world
            .users()
            .filter(|u| u.environment != g.globex && !g.world.reaches(g.globex, u.environment))
            .collect();
        users.sort_by_key(|u| u.id);
        let u = users.first().expect("a stranger");
        ((), (), u.id)
    };
    let foreign_org = g
        .world
        .organisations()
        .filter(|o| o.environment != g.globex)
        .map(|o| o.id)
        .min()
        .expect("an organisation elsewhere");
    let plan = plan_split(
        &g.world,
        &Actor::user(g.hanna),
        g.globex,
        &[g.labs],
        SplitOption::ManageAccess { keep: None },
    )
    .unwrap();
    for (extra_orgs, extra_users, what) in [
        (vec![foreign_org], vec![], "organisations"),
        (vec![], vec![stranger], "users"),
    ] {
        // Digests computed honestly over the foreign ids: freshness alone
        // would pass, and so would tell that they exist.
        let mut crafted = plan.clone();
        let mut orgs = crafted.fingerprint.organisations.clone();
        orgs.extend(extra_orgs);
        let mut users = crafted.fingerprint.users.clone();
        users.extend(extra_users);
        crafted.fingerprint = fingerprint(&g.world, g.globex, orgs, users);
        assert!(check_fresh(&g.world, &crafted).is_ok());
        let error = g
            .run(
                &Actor::user(g.hanna),
                Command::ApplyAccessPlan {
                    plan: Box::new(crafted),
                },
            )
            .unwrap_err();
        assert_eq!(error.code(), "stale_plan", "{error}");
        assert!(error.to_string().contains(what), "{error}");
    }
}

#[test]
fn split_plan_selects_only_organisations_of_the_environment() {
    let g = globex();
    let acme_office = organisation(&g.world, "Acme Accountants BV");
    let error = plan_split(
        &g.world,
        &Actor::user(g.hanna),
        g.globex,
        &[g.labs, acme_office],
        SplitOption::FullSeparation { exported: None },
    )
    .unwrap_err();
    assert_eq!(error.code(), "not_found");
    let error = plan_split(
        &g.world,
        &Actor::user(g.hanna),
        g.globex,
        &[],
        SplitOption::FullSeparation { exported: None },
    )
    .unwrap_err();
    assert_eq!(error.code(), "invalid_input");
}

// ---------------------------------------------------------------------------
// Option 1: manage access per organisation
// ---------------------------------------------------------------------------

#[test]
fn split_option1_restricts_members_to_their_own_side_by_default() {
    let mut g = globex();
    let plan = g.option1();
    let p = access_plan(&plan);
    // Ivo works in the holding and retail too: he loses labs. Jade and the
    // partner's accountant Bob work only in labs: they keep it.
    assert_eq!(
        p.changes,
        vec![MembershipChange::RemoveMember {
            organisation: g.labs,
            user: g.ivo
        }]
    );
    let keeps = |user: UserId| {
        p.keep
            .iter()
            .find(|k| k.user == user)
            .map(|k| k.organisations.clone())
    };
    let mut ivo_keeps = vec![g.holding, g.retail];
    ivo_keeps.sort();
    assert_eq!(keeps(g.ivo), Some(ivo_keeps));
    assert_eq!(keeps(g.jade), Some(vec![g.labs]));
    assert_eq!(keeps(g.bob), Some(vec![g.labs]));
    assert_eq!(keeps(g.hanna), None);
    let n_docs = g.world.document_count(g.labs);
    let ivo: Vec<&PlannedAccess> = p
        .access_changes
        .iter()
        .filter(|c| c.user == g.ivo)
        .collect();
    assert_eq!(ivo.len(), 1);
    assert_eq!(ivo[0].organisation, g.labs);
    assert!(ivo[0].is_loss() && ivo[0].after.is_none());
    assert_eq!(ivo[0].n_documents(), n_docs, "every document of labs");
    assert!(ivo[0].documents.iter().all(|d| d.after.is_none()));

    g.apply_plan(g.hanna, &plan).unwrap();
    assert!(!g.sees(g.ivo, g.labs));
    assert!(g.sees(g.ivo, g.holding));
    assert!(g.sees(g.jade, g.labs));
    assert!(!g.sees(g.jade, g.holding));
    assert!(g.sees(g.bob, g.labs));
}

#[test]
fn split_option1_keeps_admin_overview() {
    let mut g = globex();
    let plan = g.option1();
    let p = access_plan(&plan);
    assert_eq!(p.administrators, vec![g.hanna]);
    assert!(p.access_changes.iter().all(|c| c.user != g.hanna));
    g.apply_plan(g.hanna, &plan).unwrap();
    for o in [g.holding, g.retail, g.labs] {
        assert!(g.sees(g.hanna, o));
    }
}

#[test]
fn split_option1_credit_stays_shared() {
    let g = globex();
    let plan = g.option1();
    let credit = &access_plan(&plan).credit;
    assert!(credit.shared);
    assert_eq!(credit.new_environment_credit, None);
    assert_eq!(credit.balance_before, credit.balance_after);
    assert_eq!(
        credit.balance_before,
        g.world.environment(g.globex).unwrap().credit
    );
}

#[test]
fn split_option1_follows_an_explicit_assignment() {
    let mut g = globex();
    let plan = g.plan(SplitOption::ManageAccess {
        keep: Some(vec![Keep {
            user: g.jade,
            organisations: vec![g.retail],
        }]),
    });
    let p = access_plan(&plan);
    let mut expected = vec![
        MembershipChange::RemoveMember {
            organisation: g.labs,
            user: g.jade,
        },
        MembershipChange::AddMember {
            organisation: g.retail,
            user: g.jade,
            role: OrgRole::Member,
        },
    ];
    expected.sort_by_key(MembershipChange::organisation);
    assert_eq!(p.changes, expected);
    assert!(p.access_changes.iter().any(|c| c.user == g.jade
        && c.organisation == g.retail
        && c.after.allows(Action::ViewOrganisation)
        && !c.is_loss()
        && c.n_documents() == g.world.document_count(g.retail)));
    g.apply_plan(g.hanna, &plan).unwrap();
    assert!(g.sees(g.jade, g.retail));
    assert!(!g.sees(g.jade, g.labs));
}

#[test]
fn split_option1_cannot_restrict_an_administrator() {
    let g = globex();
    let error = plan_split(
        &g.world,
        &Actor::user(g.hanna),
        g.globex,
        &[g.labs],
        SplitOption::ManageAccess {
            keep: Some(vec![Keep {
                user: g.hanna,
                organisations: vec![g.labs],
            }]),
        },
    )
    .unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert!(error.to_string().contains("Hanna Admin"), "{error}");
}

#[test]
fn split_option1_only_adds_eligible_partner_users() {
    let g = globex();
    let carla = user(&g.world, "carla@acme.example");
    let error = plan_split(
        &g.world,
        &Actor::user(g.hanna),
        g.globex,
        &[g.labs],
        SplitOption::ManageAccess {
            keep: Some(vec![Keep {
                user: carla,
                organisations: vec![g.labs],
            }]),
        },
    )
    .unwrap_err();
    assert_eq!(error.code(), "not_permitted", "{error}");
}

#[test]
fn split_apply_access_plan_needs_an_administrator() {
    let mut g = globex();
    let plan = g.option1();
    let before = g.world.clone();
    let error = g.apply_plan(g.ivo, &plan).unwrap_err();
    assert_eq!(error.code(), "not_permitted");
    assert_eq!(g.world, before);
}

#[test]
fn split_apply_access_plan_refuses_a_full_separation_plan() {
    let mut g = globex();
    let plan = g.option2();
    let error = g.apply_plan(g.hanna, &plan).unwrap_err();
    assert_eq!(error.code(), "invalid_input");
}

#[test]
fn split_apply_access_plan_refuses_changes_that_do_not_follow_from_the_plan() {
    let mut g = globex();
    let mut plan = g.option1();
    if let SplitImpact::ManageAccess(p) = &mut plan.impact {
        p.changes.push(MembershipChange::RemoveMember {
            organisation: g.holding,
            user: g.ivo,
        });
    }
    let before = g.world.clone();
    let error = g.apply_plan(g.hanna, &plan).unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert_eq!(g.world, before);
}

#[test]
fn split_apply_access_plan_refuses_a_fingerprint_that_does_not_cover_its_changes() {
    let mut g = globex();
    let mut plan = g.option1();
    // A fresh fingerprint, but of another selection.
    plan.fingerprint = plan_split(
        &g.world,
        &Actor::user(g.hanna),
        g.globex,
        &[g.holding],
        SplitOption::ManageAccess { keep: None },
    )
    .unwrap()
    .fingerprint;
    assert_eq!(check_fresh(&g.world, &plan), Ok(()));
    let before = g.world.clone();
    let error = g.apply_plan(g.hanna, &plan).unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert!(error.to_string().contains("fingerprint"), "{error}");
    assert_eq!(g.world, before);
}

#[test]
fn split_apply_access_plan_survives_a_json_round_trip() {
    let g = globex();
    let command = Command::ApplyAccessPlan {
        plan: Box::new(g.option1()),
    };
    let text = serde_json::to_string(&command).unwrap();
    assert_eq!(serde_json::from_str::<Command>(&text).unwrap(), command);
    let plan = g.option2();
    let text = serde_json::to_string(&plan).unwrap();
    assert_eq!(serde_json::from_str::<SplitPlan>(&text).unwrap(), plan);
}

// ---------------------------------------------------------------------------
// Plans are bound to the state they were computed on
// ---------------------------------------------------------------------------

#[test]
fn split_plan_is_fresh_on_the_world_it_was_computed_on() {
    let g = globex();
    assert_eq!(stale(&g.world, &g.option1()), vec![]);
    assert_eq!(stale(&g.world, &g.option2()), vec![]);
}

#[test]
fn split_plan_stale_after_membership_change() {
    let mut g = globex();
    let plan = g.option1();
    g.ok(
        g.hanna,
        Command::ChangeMemberRole {
            organisation: g.labs,
            user: g.jade,
            role: OrgRole::Member,
        },
    );
    assert_eq!(stale(&g.world, &plan), vec![Fact::Memberships]);
    let before = g.world.clone();
    let error = g.apply_plan(g.hanna, &plan).unwrap_err();
    assert_eq!(error.code(), "stale_plan");
    assert!(error.to_string().contains("memberships"), "{error}");
    assert_eq!(g.world, before, "a stale plan changed the world");
}

#[test]
fn split_plan_stale_after_a_chosen_user_joins_another_organisation() {
    let mut g = globex();
    let plan = g.option1();
    // Jade would no longer work only in labs: the default assignment changes.
    g.ok(
        g.hanna,
        Command::AddMember {
            organisation: g.retail,
            user: g.jade,
            role: OrgRole::Member,
        },
    );
    assert!(stale(&g.world, &plan).contains(&Fact::Memberships));
}

#[test]
fn split_plan_stale_after_document_in_selected_organisation() {
    let mut g = globex();
    let plan = g.option2();
    g.upload(g.labs, "Late contract.pdf");
    assert_eq!(stale(&g.world, &plan), vec![Fact::Documents]);
}

#[test]
fn split_plan_stale_after_share_change() {
    let mut g = globex();
    let plan = g.option2();
    let document = g.first_document(g.labs, DocBox::InboxIn);
    g.ok(
        g.hanna,
        Command::ShareDocument {
            document,
            grantee: Grantee::User(g.alice),
            level: Level::View,
        },
    );
    let changed = stale(&g.world, &plan);
    assert!(changed.contains(&Fact::Shares), "{changed:?}");
    let error = CommandError::from(check_fresh(&g.world, &plan).unwrap_err());
    assert_eq!(error.code(), "stale_plan");
    assert!(error.to_string().contains("shares"), "{error}");
}

#[test]
fn split_plan_stale_after_cost_bearing_change() {
    let mut g = globex();
    let plan = g.option2();
    g.ok(
        g.alice,
        Command::TakeOnCosts {
            organisation: g.labs,
        },
    );
    assert_eq!(stale(&g.world, &plan), vec![Fact::CostBearing]);
}

#[test]
fn split_plan_stale_after_connection_key_issued() {
    let mut g = globex();
    let plan = g.option2();
    g.ok(
        g.bob,
        Command::RetrieveConnectionKey {
            organisation: g.labs,
        },
    );
    assert_eq!(stale(&g.world, &plan), vec![Fact::Keys]);
}

/// Authorising the removal on `plan`, which has gone stale since, is refused and
/// changes nothing; gives the refusal.
fn authorise_on_stale_plan(g: &mut Globex, export: Sha256, plan: SplitPlan) -> CommandError {
    let before = g.world.clone();
    let refused = g.authorise(g.hanna, export, false, Some(plan)).unwrap_err();
    assert_eq!(g.world, before, "a stale plan changed the world");
    refused
}

#[test]
fn split_plan_stale_after_group_change() {
    let mut g = globex();
    // A group holding a share of a labs invoice: the plan reports its members.
    let group = g.labs_finance_sharing(g.first_document(g.labs, DocBox::InboxIn));
    let plan = g.option2();
    let digest = g.export(g.hanna).unwrap();
    // Ivo, already a member of labs, joins the group: only the group changed.
    g.ok(g.hanna, Command::AddGroupMember { group, user: g.ivo });
    assert_eq!(stale(&g.world, &plan), vec![Fact::Groups]);
    let refused = authorise_on_stale_plan(&mut g, digest, plan);
    assert_eq!(refused.code(), "stale_plan");
    assert!(refused.to_string().contains("groups changed"), "{refused}");
}

#[test]
fn split_plan_stale_after_task_change() {
    let mut g = globex();
    g.enable_workflow();
    let plan = g.option2();
    let digest = g.export(g.hanna).unwrap();
    g.ok(
        g.hanna,
        Command::StartApprovalTask {
            document: g.first_document(g.labs, DocBox::InboxIn),
            assignee: g.jade,
            note: None,
        },
    );
    assert_eq!(stale(&g.world, &plan), vec![Fact::Tasks]);
    let refused = authorise_on_stale_plan(&mut g, digest, plan);
    assert_eq!(refused.code(), "stale_plan");
    assert!(refused.to_string().contains("tasks changed"), "{refused}");
}

#[test]
fn split_plan_stale_after_partnership_change() {
    let mut g = globex();
    let plan = g.option2();
    let digest = g.export(g.hanna).unwrap();
    // The partner connects a relationship manager: the partnership to re-create
    // is no longer the one the plan listed.
    let partnership = g.world.active_partnership(g.acme, g.globex).unwrap().id;
    g.ok(
        g.alice,
        Command::ConnectRelationshipManager {
            partnership,
            user: g.bob,
        },
    );
    assert_eq!(stale(&g.world, &plan), vec![Fact::Partnerships]);
    let refused = authorise_on_stale_plan(&mut g, digest, plan);
    assert_eq!(refused.code(), "stale_plan");
    assert!(
        refused.to_string().contains("partnerships changed"),
        "{refused}"
    );
}

#[test]
fn split_plan_not_stale_after_other_org_document() {
    let mut g = globex();
    let option1 = g.option1();
    let option2 = g.option2();
    g.upload(g.holding, "Board minutes.pdf");
    let retail_id = g
        .world
        .organisation(g.retail)
        .unwrap()
        .participant_id
        .clone();
    g.run(
        &Actor::Network,
        Command::ReceiveDocument {
            to: retail_id,
            name: "Invoice from a supplier.xml".into(),
            sha256: Sha256::of(b"supplier invoice"),
            size: 100,
            summary: None,
        },
    )
    .unwrap();
    assert_eq!(stale(&g.world, &option1), vec![]);
    assert_eq!(stale(&g.world, &option2), vec![]);
    g.apply_plan(g.hanna, &option1).unwrap();
    assert!(!g.sees(g.ivo, g.labs));
}

// ---------------------------------------------------------------------------
// Option 2: full separation
// ---------------------------------------------------------------------------

#[test]
fn split_option2_lists_partner_users_losing_access() {
    let g = globex();
    let plan = g.option2();
    let p = separation_plan(&plan);
    let bob = loss(p, g.bob);
    assert!(bob.partner);
    assert_eq!(bob.home, g.acme);
    assert_eq!(bob.organisations.len(), 1);
    let labs = &bob.organisations[0];
    assert_eq!(labs.organisation, g.labs);
    assert_eq!(labs.documents, g.world.document_count(g.labs));
    assert!(labs.reasons.iter().any(|r| matches!(
        r,
        Reason::Membership { through: Some(env), .. } if *env == g.acme
    )));
}

#[test]
fn split_option2_lists_own_users_losing_access() {
    let g = globex();
    let plan = g.option2();
    let p = separation_plan(&plan);
    for user in [g.hanna, g.ivo, g.jade] {
        let l = loss(p, user);
        assert!(!l.partner);
        assert_eq!(l.n_documents(), g.world.document_count(g.labs));
    }
    assert_eq!(p.documents_deleted, g.world.document_count(g.labs));
}

#[test]
fn split_option2_losses_cover_every_viewer_of_the_documents() {
    let mut g = globex();
    let document = g.first_document(g.labs, DocBox::InboxOut);
    g.ok(
        g.hanna,
        Command::ShareDocument {
            document,
            grantee: Grantee::User(g.alice),
            level: Level::Edit,
        },
    );
    let plan = g.option2();
    let p = separation_plan(&plan);
    for d in g.world.documents_of(g.labs) {
        for viewer in who_can(&g.world, Action::View, Resource::Document(d)) {
            let l = loss(p, viewer.user);
            let whole = l.organisations.iter().any(|o| o.organisation == g.labs);
            let one = l.documents.iter().any(|x| x.document == d);
            assert!(whole || one, "{:?} keeps {:?}", viewer.user, d);
        }
    }
    let alice = loss(p, g.alice);
    assert!(alice.organisations.is_empty());
    assert_eq!(alice.documents.len(), 1);
    assert_eq!(alice.documents[0].before.level(), Some(Level::Edit));
    assert!(alice.documents[0].after.is_none());
}

#[test]
fn split_option2_counts_documents_not_exported() {
    let g = globex();
    let p = g.option2();
    let p = separation_plan(&p);
    assert!(!p.export_known);
    assert_eq!(p.documents_not_exported, p.documents_deleted);
    let exported: BTreeSet<Sha256> = g
        .world
        .documents_of(g.labs)
        .take(2)
        .map(|d| g.world.document(d).unwrap().sha256)
        .collect();
    let plan = g.plan(SplitOption::FullSeparation {
        exported: Some(exported),
    });
    let p = separation_plan(&plan);
    assert!(p.export_known);
    assert_eq!(p.documents_not_exported, p.documents_deleted - 2);
}

#[test]
fn split_option2_lists_partnerships_to_recreate() {
    let mut g = globex();
    let partnership = g.world.active_partnership(g.acme, g.globex).unwrap().id;
    g.ok(
        g.alice,
        Command::ConnectRelationshipManager {
            partnership,
            user: g.bob,
        },
    );
    let plan = g.option2();
    let p = separation_plan(&plan);
    assert_eq!(p.partnerships_to_recreate.len(), 1);
    let recreate = &p.partnerships_to_recreate[0];
    assert_eq!(recreate.partner, g.acme);
    assert_eq!(recreate.members, vec![g.bob]);
    assert_eq!(recreate.relationship_managers, vec![g.bob]);
    assert_eq!(
        p.relationship_managers,
        vec![RelationshipManagerLink {
            partnership,
            user: g.bob
        }]
    );
    // Splitting off the holding relies on no partner.
    let plan = plan_split(
        &g.world,
        &Actor::user(g.hanna),
        g.globex,
        &[g.holding],
        SplitOption::FullSeparation { exported: None },
    )
    .unwrap();
    assert!(separation_plan(&plan).partnerships_to_recreate.is_empty());
}

#[test]
fn split_option2_reverts_cost_bearing() {
    let mut g = globex();
    g.ok(
        g.alice,
        Command::TakeOnCosts {
            organisation: g.labs,
        },
    );
    let plan = g.option2();
    let p = separation_plan(&plan);
    assert_eq!(
        p.cost_bearing,
        vec![CostBearing {
            organisation: g.labs,
            bearer: g.acme
        }]
    );
    assert_eq!(p.partnerships_to_recreate[0].bears_costs_of, vec![g.labs]);
}

#[test]
fn split_option2_organisation_unreachable_on_peppol_from_removal_until_reactivation() {
    let g = globex();
    let plan = g.option2();
    let p = separation_plan(&plan);
    assert_eq!(p.peppol.len(), 1);
    let gap = &p.peppol[0];
    assert_eq!(gap.organisation, g.labs);
    assert!(gap.registered);
    assert_eq!(
        gap.participant_id,
        g.world.organisation(g.labs).unwrap().participant_id
    );
    assert_eq!(
        gap.unreachable_during,
        vec![
            SplitStep::ExecuteRemoval,
            SplitStep::SignUp,
            SplitStep::AddOrganisation
        ]
    );
    assert_eq!(gap.reachable_again_at, SplitStep::ActivateOrganisation);
    assert_eq!(p.steps, SplitStep::ALL.to_vec());
}

#[test]
fn split_option2_credit_before_and_after() {
    let mut g = globex();
    let labs_id = g.world.organisation(g.labs).unwrap().participant_id.clone();
    let holding_id = g
        .world
        .organisation(g.holding)
        .unwrap()
        .participant_id
        .clone();
    for (n, to) in [&labs_id, &labs_id, &holding_id, &holding_id]
        .into_iter()
        .enumerate()
    {
        g.run(
            &Actor::Network,
            Command::ReceiveDocument {
                to: to.clone(),
                name: format!("Invoice {n}.xml"),
                sha256: Sha256::of(&[n as u8]),
                size: 100,
                summary: None,
            },
        )
        .unwrap();
    }
    let plan = g.option2();
    let credit = &separation_plan(&plan).credit;
    assert!(!credit.shared);
    assert_eq!(credit.new_environment_credit, Some(25));
    assert_eq!(credit.balance_before, credit.balance_after);
    assert_eq!(credit.recent_transactions, 4);
    assert_eq!(credit.recent_transactions_of_selection, 2);
    assert_eq!(credit.share_percent(), 50);
    assert_eq!(credit.recent_transactions_after(), 2);
}

#[test]
fn split_option2_lists_shares_groups_tasks_and_keys() {
    let mut g = globex();
    g.enable_workflow();
    // A group with a share of a labs document.
    let labs_in = g.first_document(g.labs, DocBox::InboxIn);
    let group = g.labs_finance_sharing(labs_in);
    // A holding document shared with the whole of labs.
    let holding_in = g.first_document(g.holding, DocBox::InboxIn);
    g.ok(
        g.hanna,
        Command::ShareDocument {
            document: holding_in,
            grantee: Grantee::Organisation(g.labs),
            level: Level::View,
        },
    );
    // Tasks: one on the labs document, one on the holding document for Jade.
    g.ok(
        g.hanna,
        Command::StartApprovalTask {
            document: labs_in,
            assignee: g.jade,
            note: None,
        },
    );
    let events = g.ok(
        g.hanna,
        Command::StartApprovalTask {
            document: holding_in,
            assignee: g.jade,
            note: None,
        },
    );
    let Some(Event::TaskStarted {
        task: holding_task, ..
    }) = events.first().cloned()
    else {
        panic!("{events:?}")
    };
    // A connection key of the partner's accountant.
    let events = g.ok(
        g.bob,
        Command::RetrieveConnectionKey {
            organisation: g.labs,
        },
    );
    let Some(Event::ConnectionKeyIssued { key, .. }) = events.first().cloned() else {
        panic!("{events:?}")
    };

    let plan = g.option2();
    let p = separation_plan(&plan);
    assert!(p
        .shares_removed
        .iter()
        .any(|s| s.document == labs_in && s.grantee == Grantee::Group(group)));
    assert!(p
        .shares_removed
        .iter()
        .any(|s| s.document == holding_in && s.grantee == Grantee::Organisation(g.labs)));
    assert_eq!(p.groups.len(), 1);
    assert_eq!(p.groups[0].group, group);
    assert_eq!(p.groups[0].members, vec![g.jade]);
    assert_eq!(p.groups[0].shares, 1);
    assert_eq!(p.tasks.len(), 2);
    assert!(p
        .tasks
        .iter()
        .any(|t| t.document == labs_in && t.outcome == TaskOutcome::Deleted));
    assert!(p
        .tasks
        .iter()
        .any(|t| t.task == holding_task && t.outcome == TaskOutcome::Reassigned { to: g.hanna }));
    assert_eq!(
        p.keys_revoked,
        vec![KeyImpact {
            key,
            organisation: g.labs,
            holder: g.bob
        }]
    );
    // Jade loses the holding document she saw only as a member of labs; Ivo, a
    // member of the holding, keeps it.
    let jade = loss(p, g.jade);
    assert!(jade
        .documents
        .iter()
        .any(|d| d.document == holding_in && d.organisation == g.holding && d.after.is_none()));
    assert!(loss(p, g.ivo)
        .documents
        .iter()
        .all(|d| d.document != holding_in));
}

// ---------------------------------------------------------------------------
// Which option suits you?
// ---------------------------------------------------------------------------

fn recommend(questions: SplitQuestions) -> Recommendation {
    questions.recommend()
}

#[test]
fn split_recommends_option2_for_separate_credit() {
    let r = recommend(SplitQuestions {
        separate_credit: true,
        ..SplitQuestions::default()
    });
    assert_eq!(r.option, SplitChoice::FullSeparation);
    assert_eq!(r.because, vec![Question::SeparateCredit]);
    assert!(r.reason.contains("own credit"), "{}", r.reason);
}

#[test]
fn split_recommends_option2_for_a_client_managing_their_own_account() {
    let r = recommend(SplitQuestions {
        client_manages_own_account: true,
        ..SplitQuestions::default()
    });
    assert_eq!(r.option, SplitChoice::FullSeparation);
    assert_eq!(r.because, vec![Question::ClientManagesOwnAccount]);
}

#[test]
fn split_recommends_option1_for_restricting_employees() {
    let r = recommend(SplitQuestions {
        restrict_employees: true,
        ..SplitQuestions::default()
    });
    assert_eq!(r.option, SplitChoice::ManageAccess);
    assert_eq!(r.because, vec![Question::RestrictEmployees]);
}

#[test]
fn split_recommends_option1_for_a_single_central_overview() {
    let r = recommend(SplitQuestions {
        central_overview: true,
        restrict_employees: true,
        ..SplitQuestions::default()
    });
    assert_eq!(r.option, SplitChoice::ManageAccess);
    assert_eq!(
        r.because,
        vec![Question::RestrictEmployees, Question::CentralOverview]
    );
    assert!(r.gives_up.is_empty());
}

#[test]
fn split_recommends_option1_when_nothing_calls_for_separation() {
    let r = recommend(SplitQuestions::default());
    assert_eq!(r.option, SplitChoice::ManageAccess);
    assert!(r.because.is_empty());
}

#[test]
fn split_recommends_option2_and_says_it_gives_up_the_central_overview() {
    let r = recommend(SplitQuestions {
        separate_credit: true,
        central_overview: true,
        ..SplitQuestions::default()
    });
    assert_eq!(r.option, SplitChoice::FullSeparation);
    assert_eq!(r.gives_up, vec![Question::CentralOverview]);
    assert!(r.reason.contains("central overview"), "{}", r.reason);
}

#[test]
fn split_compares_both_options_for_the_same_selection() {
    let g = globex();
    let questions = SplitQuestions {
        separate_credit: true,
        client_manages_own_account: true,
        ..SplitQuestions::default()
    };
    let c = compare_split(
        &g.world,
        &Actor::user(g.hanna),
        g.globex,
        &[g.labs],
        None,
        None,
        questions,
    )
    .unwrap();
    assert_eq!(c.manage_access.choice(), SplitChoice::ManageAccess);
    assert_eq!(c.full_separation.choice(), SplitChoice::FullSeparation);
    assert_eq!(c.manage_access.organisations, vec![g.labs]);
    assert_eq!(c.full_separation.organisations, vec![g.labs]);
    assert_eq!(c.manage_access, g.option1());
    assert_eq!(c.full_separation, g.option2());
    assert_eq!(c.recommendation.option, SplitChoice::FullSeparation);
    assert_eq!(
        c.recommendation.because,
        vec![Question::SeparateCredit, Question::ClientManagesOwnAccount]
    );
}

// ---------------------------------------------------------------------------
// Property: a fresh option-1 plan does exactly what it predicted
// ---------------------------------------------------------------------------

/// More cases in the slow suite (`PREFLIGHT_SLOW=1`, which CI sets).
fn cases() -> u32 {
    if std::env::var_os("PREFLIGHT_SLOW").is_some() {
        128
    } else {
        32
    }
}

/// An option-1 request: who asks, for which environment, selection and assignment.
struct Request {
    admin: UserId,
    environment: EnvironmentId,
    selection: Vec<OrganisationId>,
    keep: Option<Vec<Keep>>,
}

/// A random option-1 request on a random world.
fn random_request(world: &World, rng: &mut ChaCha8Rng) -> Option<Request> {
    let mut environments: Vec<EnvironmentId> = world
        .environments()
        .map(|e| e.id)
        .filter(|e| !world.organisations_of(*e).is_empty())
        .collect();
    environments.sort();
    let environment = *environments.choose(rng)?;
    let administrators: Vec<UserId> = world.administrators_of(environment).map(|u| u.id).collect();
    let admin = *administrators.choose(rng)?;
    let organisations = world.organisations_of(environment);
    let n = rng.gen_range(1..=organisations.len());
    let selection: Vec<OrganisationId> = organisations.choose_multiple(rng, n).copied().collect();
    let keep = if rng.gen_bool(0.5) {
        None
    } else {
        let mut candidates: Vec<UserId> = world.users_of(environment).to_vec();
        for p in world.partners_of(environment) {
            candidates.extend_from_slice(world.users_of(p));
        }
        candidates.retain(|u| {
            world.user(*u).is_some_and(|u| {
                u.is_active()
                    && !(u.environment == environment && u.role == EnvRole::Administrator)
                    && (u.environment == environment || u.is_advanced())
            })
        });
        let n_users = rng.gen_range(1..=candidates.len().clamp(1, 3));
        let users: Vec<UserId> = candidates.choose_multiple(rng, n_users).copied().collect();
        Some(
            users
                .into_iter()
                .map(|user| {
                    let k = rng.gen_range(0..=organisations.len());
                    Keep {
                        user,
                        organisations: organisations.choose_multiple(rng, k).copied().collect(),
                    }
                })
                .collect(),
        )
    };
    Some(Request {
        admin,
        environment,
        selection,
        keep,
    })
}

/// Access changes per (user, organisation): the organisation before and after, and
/// how many documents go from one access to another.
type Counted =
    BTreeMap<(UserId, OrganisationId), (Access, Access, BTreeMap<(Access, Access), usize>)>;

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

    #[test]
    fn split_fresh_option1_plan_executes_exactly_its_predicted_access_changes(seed in any::<u64>()) {
        let run = random_run(seed, 30, |_, _, _, _| {});
        let world = run.world;
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5b11);
        let Some(Request { admin, environment, selection, keep }) = random_request(&world, &mut rng) else {
            return Ok(());
        };
        let actor = Actor::user(admin);
        let plan = match plan_split(&world, &actor, environment, &selection, SplitOption::ManageAccess { keep }) {
            Ok(plan) => plan,
            // An assignment the rules refuse (a partner user who may not be a member).
            Err(e) => {
                prop_assert!(matches!(e.code(), "not_permitted" | "partnership_required"), "{}", e);
                return Ok(());
            }
        };
        prop_assert_eq!(check_fresh(&world, &plan), Ok(()));
        let ctx = Context::deterministic(Timestamp(1_900_000_000_000), 7);
        let events = execute(&world, &actor, Command::ApplyAccessPlan { plan: Box::new(plan.clone()) }, &ctx);
        let events = match events {
            Ok(events) => events,
            Err(e) => return Err(TestCaseError::fail(format!("a fresh plan was refused: {e}"))),
        };
        let mut after = world.clone();
        for e in &events {
            after.apply(e);
        }
        let SplitImpact::ManageAccess(p) = &plan.impact else { unreachable!() };
        // Every access change, counted the way the plan counts them.
        let mut executed = Counted::new();
        for (user, resource, before, now) in full_diff(&world, &after) {
            let organisation = match resource {
                Resource::Organisation(o) => o,
                Resource::Document(d) => world.document(d).unwrap().organisation,
                Resource::Environment(_) => continue,
            };
            let unchanged = access(&world, user, Resource::Organisation(organisation));
            let entry = executed.entry((user, organisation)).or_insert((unchanged, unchanged, BTreeMap::new()));
            match resource {
                Resource::Organisation(_) => { entry.0 = before; entry.1 = now; }
                Resource::Document(_) => *entry.2.entry((before, now)).or_default() += 1,
                Resource::Environment(_) => {}
            }
        }
        let predicted: Counted = p.access_changes.iter().map(|c| {
            let documents = c.documents.iter().map(|d| ((d.before, d.after), d.documents)).collect();
            ((c.user, c.organisation), (c.before, c.after, documents))
        }).collect();
        prop_assert_eq!(p.access_changes.len(), predicted.len(), "one entry per user and organisation");
        prop_assert_eq!(executed, predicted);
        // Executed, the plan has done its work: every chosen user has exactly their organisations.
        for k in &p.keep {
            let mut now: Vec<OrganisationId> = after
                .organisations_of_user(k.user)
                .iter()
                .copied()
                .filter(|o| after.organisation(*o).is_some_and(|o| o.environment == environment))
                .collect();
            now.sort();
            prop_assert_eq!(&now, &k.organisations);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

    /// Option 2 executed (export, authorise with the plan, Support removes) takes
    /// away exactly the access the plan listed, and gives nobody anything.
    #[test]
    fn split_fresh_option2_plan_removal_executes_exactly_its_predicted_losses(seed in any::<u64>()) {
        let run = random_run(seed, 30, |_, _, _, _| {});
        let mut world = run.world;
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0b72);
        let Some(Request { admin, environment, selection, .. }) = random_request(&world, &mut rng) else {
            return Ok(());
        };
        let organisation = selection[0];
        let actor = Actor::user(admin);
        let mut step = 0u128;
        let mut run_command = |world: &mut World, actor: &Actor, command: Command| {
            step += 1;
            let ctx = Context::deterministic(Timestamp(1_900_000_000_000 + step as i64), 0xE0 + step);
            let events = execute(world, actor, command, &ctx)?;
            for e in &events {
                world.apply(e);
            }
            Ok::<_, CommandError>(events)
        };
        let digest = preflight_core::model::bundle::Manifest::of(&world, organisation).unwrap().digest;
        run_command(&mut world, &actor, Command::ExportOrganisation { organisation, digest })
            .map_err(|e| TestCaseError::fail(format!("export refused: {e}")))?;
        let plan = plan_split(&world, &actor, environment, &[organisation], SplitOption::FullSeparation { exported: None })
            .map_err(|e| TestCaseError::fail(format!("plan refused: {e}")))?;
        let SplitImpact::FullSeparation(p) = &plan.impact else { unreachable!() };
        prop_assert_eq!(p.documents_not_exported, 0);
        run_command(&mut world, &actor, Command::AuthoriseRemoval {
            organisation, export: digest, accept_loss: false, plan: Some(Box::new(plan.clone())),
        }).map_err(|e| TestCaseError::fail(format!("a fresh plan's authorisation was refused: {e}")))?;
        let before = world.clone();
        run_command(&mut world, &Actor::Support { name: "support".into() }, Command::ExecuteRemoval { organisation })
            .map_err(|e| TestCaseError::fail(format!("an authorised removal was refused: {e}")))?;

        let whole: BTreeSet<UserId> = p.losses.iter()
            .filter(|l| l.organisations.iter().any(|o| o.organisation == organisation))
            .map(|l| l.user)
            .collect();
        let mut predicted: BTreeSet<(UserId, Resource)> = BTreeSet::new();
        for l in &p.losses {
            if whole.contains(&l.user) {
                predicted.insert((l.user, Resource::Organisation(organisation)));
            }
            for d in &l.documents {
                predicted.insert((l.user, Resource::Document(d.document)));
            }
        }
        let mut executed: BTreeSet<(UserId, Resource)> = BTreeSet::new();
        for (user, resource, was, now) in full_diff(&before, &world) {
            let kind = match resource {
                Resource::Organisation(_) => preflight_core::access::ResourceKind::Organisation,
                Resource::Document(_) => preflight_core::access::ResourceKind::Document,
                Resource::Environment(_) => preflight_core::access::ResourceKind::Environment,
            };
            let had = was.actions(kind);
            prop_assert!(now.actions(kind).iter().all(|a| had.contains(a)), "{:?} gained {:?} on {:?}", user, now, resource);
            let of_removed = match resource {
                Resource::Organisation(o) => o == organisation,
                Resource::Document(d) => before.document(d).is_some_and(|d| d.organisation == organisation),
                Resource::Environment(_) => false,
            };
            // A user who loses the organisation loses each of its documents with it.
            if matches!(resource, Resource::Document(_)) && of_removed && whole.contains(&user) {
                continue;
            }
            executed.insert((user, resource));
        }
        prop_assert_eq!(executed, predicted);
        prop_assert_eq!(world.document_count(organisation), 0);
    }
}

#[test]
fn split_comparison_restricted_to_a_viewer_names_only_users_they_see() {
    let demo = preflight_core::generate::demo();
    let world = &demo.world;
    let hanna = world.user_by_email("hanna@globex.example").expect("hanna");
    let labs = world
        .organisations()
        .find(|o| o.name == "Globex Labs BV")
        .expect("the subsidiary")
        .id;
    let mut comparison = preflight_core::compare_split(
        world,
        &preflight_core::Actor::user(hanna.id),
        hanna.environment,
        &[labs],
        None,
        None,
        preflight_core::split::SplitQuestions::default(),
    )
    .expect("a comparison");
    let unrestricted = comparison.clone();
    // A viewer who sees nobody but themselves.
    comparison.restrict_to(|user| user == hanna.id);
    let preflight_core::split::SplitImpact::FullSeparation(separation) =
        &comparison.full_separation.impact
    else {
        panic!("option 2");
    };
    assert!(separation.losses.iter().all(|l| l.user == hanna.id));
    assert!(separation
        .groups
        .iter()
        .all(|g| g.members.iter().all(|u| *u == hanna.id)));
    // What executes stays whole, and counts stay.
    let (
        preflight_core::split::SplitImpact::ManageAccess(before),
        preflight_core::split::SplitImpact::ManageAccess(after),
    ) = (
        &unrestricted.manage_access.impact,
        &comparison.manage_access.impact,
    )
    else {
        panic!("option 1");
    };
    assert_eq!(before.changes, after.changes);
    assert_eq!(before.keep, after.keep);
    let preflight_core::split::SplitImpact::FullSeparation(full) =
        &unrestricted.full_separation.impact
    else {
        panic!("option 2");
    };
    assert_eq!(full.documents_deleted, separation.documents_deleted);
    assert!(
        full.losses.len() > separation.losses.len(),
        "someone was dropped"
    );
}

// ---------------------------------------------------------------------------
// Option 2, executed: export, authorise, remove, recreate, import
// ---------------------------------------------------------------------------

impl Globex {
    fn export(&mut self, actor: UserId) -> Result<Sha256, CommandError> {
        let digest = preflight_core::model::bundle::Manifest::of(&self.world, self.labs)
            .unwrap()
            .digest;
        self.run(
            &Actor::user(actor),
            Command::ExportOrganisation {
                organisation: self.labs,
                digest,
            },
        )?;
        Ok(digest)
    }

    fn authorise(
        &mut self,
        actor: UserId,
        export: Sha256,
        accept_loss: bool,
        plan: Option<SplitPlan>,
    ) -> Result<Vec<Event>, CommandError> {
        self.run(
            &Actor::user(actor),
            Command::AuthoriseRemoval {
                organisation: self.labs,
                export,
                accept_loss,
                plan: plan.map(Box::new),
            },
        )
    }

    fn remove(&mut self) -> Result<Vec<Event>, CommandError> {
        self.run(
            &Actor::Support {
                name: "support@preflight.example".into(),
            },
            Command::ExecuteRemoval {
                organisation: self.labs,
            },
        )
    }

    /// Hanna shares Labs' first inbound invoice with Ivo: a change to the facts
    /// an option-2 plan rests on.
    fn share_a_labs_invoice_with_ivo(&mut self, level: Level) {
        let document = self.first_document(self.labs, DocBox::InboxIn);
        self.ok(
            self.hanna,
            Command::ShareDocument {
                document,
                grantee: Grantee::User(self.ivo),
                level,
            },
        );
    }

    fn code(result: Result<impl std::fmt::Debug, CommandError>) -> &'static str {
        match result {
            Ok(ok) => panic!("accepted: {ok:?}"),
            Err(e) => e.code(),
        }
    }
}

#[test]
fn split_export_records_every_document_of_the_organisation() {
    let mut g = globex();
    let digest = g.export(g.hanna).unwrap();
    let export = g.world.export_of(g.labs).unwrap().clone();
    assert_eq!(export.digest, digest);
    assert_eq!(export.by, g.hanna);
    let all: Vec<DocumentId> = g.world.documents_of(g.labs).collect();
    assert!(!all.is_empty());
    assert_eq!(export.documents, all);
    // The export survives a snapshot or a projection sent to a browser.
    let json = serde_json::to_string(&g.world).unwrap();
    let back: World = serde_json::from_str(&json).unwrap();
    assert_eq!(back.export_of(g.labs), Some(&export));
    assert_eq!(back, g.world);
    // Option 2's plan now counts against that export.
    let plan = g.option2();
    let p = separation_plan(&plan);
    assert!(p.export_known);
    assert_eq!(p.documents_not_exported, 0);
    g.upload(g.labs, "after-the-export.xml");
    let plan = g.option2();
    assert_eq!(separation_plan(&plan).documents_not_exported, 1);
}

#[test]
fn split_export_is_refused_when_the_documents_changed_since_the_manifest() {
    let mut g = globex();
    let digest = preflight_core::model::bundle::Manifest::of(&g.world, g.labs)
        .unwrap()
        .digest;
    g.upload(g.labs, "while-exporting.xml");
    let refused = g.run(
        &Actor::user(g.hanna),
        Command::ExportOrganisation {
            organisation: g.labs,
            digest,
        },
    );
    assert_eq!(Globex::code(refused), "conflict");
    assert!(g.world.export_of(g.labs).is_none());
}

#[test]
fn split_export_needs_an_administrator_of_the_environment() {
    let mut g = globex();
    assert_eq!(Globex::code(g.export(g.jade)), "not_permitted");
    // Bob of the partner firm sees labs, but is no Administrator of Globex.
    assert_eq!(Globex::code(g.export(g.bob)), "not_permitted");
    assert!(g.world.export_of(g.labs).is_none());
}

#[test]
fn split_authorise_removal_needs_an_administrator_of_the_environment() {
    let mut g = globex();
    let digest = g.export(g.hanna).unwrap();
    // Alice administers another environment (the partner firm).
    let refused = g.authorise(g.alice, digest, false, None);
    assert!(matches!(
        Globex::code(refused),
        "not_permitted" | "not_found"
    ));
    assert_eq!(
        Globex::code(g.authorise(g.ivo, digest, false, None)),
        "not_permitted"
    );
    assert!(g.world.removal_of(g.labs).is_none());
    g.authorise(g.hanna, digest, false, None).unwrap();
    assert_eq!(g.world.removal_of(g.labs).unwrap().by, g.hanna);
}

#[test]
fn split_authorise_removal_names_the_latest_export() {
    let mut g = globex();
    assert_eq!(
        Globex::code(g.authorise(g.hanna, Sha256::of(b"no export"), false, None)),
        "export_required"
    );
    let first = g.export(g.hanna).unwrap();
    g.upload(g.labs, "between-exports.xml");
    let second = g.export(g.hanna).unwrap();
    assert_ne!(first, second);
    assert_eq!(
        Globex::code(g.authorise(g.hanna, first, false, None)),
        "export_required"
    );
    g.authorise(g.hanna, second, false, None).unwrap();
}

#[test]
fn split_authorise_removal_refuses_documents_not_in_the_export_unless_the_loss_is_accepted() {
    let mut g = globex();
    let digest = g.export(g.hanna).unwrap();
    g.upload(g.labs, "unexported.xml");
    let refused = g.authorise(g.hanna, digest, false, None).unwrap_err();
    assert_eq!(refused.code(), "export_outdated");
    assert!(refused.to_string().contains("1 document"), "{refused}");
    g.authorise(g.hanna, digest, true, None).unwrap();
    assert!(g.world.removal_of(g.labs).unwrap().accept_loss);
}

#[test]
fn split_authorise_removal_refuses_a_stale_plan() {
    let mut g = globex();
    let plan = g.option2();
    let digest = g.export(g.hanna).unwrap();
    // Exporting does not make the plan stale; a new share does.
    g.authorise(g.hanna, digest, false, Some(plan.clone()))
        .unwrap();
    let mut g = globex();
    let plan = g.option2();
    let digest = g.export(g.hanna).unwrap();
    g.share_a_labs_invoice_with_ivo(Level::Edit);
    let refused = g.authorise(g.hanna, digest, false, Some(plan)).unwrap_err();
    assert_eq!(refused.code(), "stale_plan");
    assert!(refused.to_string().contains("shares"), "{refused}");
    // An option-1 plan is not a removal plan.
    let option1 = g.option1();
    assert_eq!(
        Globex::code(g.authorise(g.hanna, digest, false, Some(option1))),
        "invalid_input"
    );
}

#[test]
fn split_support_cannot_remove_without_authorisation() {
    let mut g = globex();
    assert_eq!(Globex::code(g.remove()), "removal_not_authorised");
    let digest = g.export(g.hanna).unwrap();
    assert_eq!(Globex::code(g.remove()), "removal_not_authorised");
    g.authorise(g.hanna, digest, false, None).unwrap();
    // Only Support executes it, not even the Administrator who authorised it.
    let by_admin = g.run(
        &Actor::user(g.hanna),
        Command::ExecuteRemoval {
            organisation: g.labs,
        },
    );
    assert_eq!(Globex::code(by_admin), "not_permitted");
    // A document arriving after the authorisation stops the removal.
    g.upload(g.labs, "late.xml");
    assert_eq!(Globex::code(g.remove()), "export_outdated");
    let digest = g.export(g.hanna).unwrap();
    // The authorisation names the older export: authorise again.
    assert_eq!(Globex::code(g.remove()), "removal_not_authorised");
    g.authorise(g.hanna, digest, false, None).unwrap();
    g.remove().unwrap();
    assert_eq!(
        g.world.organisation(g.labs).unwrap().status,
        OrgStatus::Removed
    );
}

/// Everyone's access to `organisation` and to each of `documents`.
fn access_map(
    world: &World,
    organisation: OrganisationId,
    documents: &[DocumentId],
) -> BTreeMap<(UserId, Option<DocumentId>), Access> {
    let mut out = BTreeMap::new();
    for user in world.users() {
        let on_org = access(world, user.id, Resource::Organisation(organisation));
        if on_org != Access::NONE {
            out.insert((user.id, None), on_org);
        }
        for d in documents {
            let a = access(world, user.id, Resource::Document(*d));
            if a != Access::NONE {
                out.insert((user.id, Some(*d)), a);
            }
        }
    }
    out
}

#[test]
fn split_removal_does_exactly_what_the_plan_predicted() {
    let mut g = globex();
    let digest = g.export(g.hanna).unwrap();
    let plan = g.option2();
    let p = separation_plan(&plan).clone();
    let documents: Vec<DocumentId> = g.world.documents_of(g.labs).collect();
    // Documents elsewhere shared with labs are lost too.
    let mut shared_with_labs: Vec<DocumentId> = g
        .world
        .documents_shared_with(Grantee::Organisation(g.labs))
        .collect();
    let mut looked_at = documents.clone();
    looked_at.append(&mut shared_with_labs);
    let before = access_map(&g.world, g.labs, &looked_at);
    let keys_before: Vec<KeyId> = g.world.keys_of(g.labs).to_vec();

    g.authorise(g.hanna, digest, false, Some(plan.clone()))
        .unwrap();
    let events = g.remove().unwrap();
    assert!(matches!(
        events.last(),
        Some(Event::OrganisationRemoved { .. })
    ));
    let after = access_map(&g.world, g.labs, &looked_at);

    // Every loss the plan named happened, and nothing else was lost.
    let mut predicted: BTreeSet<(UserId, Option<DocumentId>)> = BTreeSet::new();
    for l in &p.losses {
        for o in &l.organisations {
            assert_eq!(o.organisation, g.labs);
            predicted.insert((l.user, None));
        }
        for d in &l.documents {
            predicted.insert((l.user, Some(d.document)));
        }
    }
    let lost: BTreeSet<(UserId, Option<DocumentId>)> = before
        .keys()
        .filter(|k| after.get(k).is_none_or(|a| *a != before[k]))
        .copied()
        .collect();
    // A user who loses the whole organisation loses each of its documents with
    // it: the plan names the organisation once for them.
    let lost_beyond_orgs: BTreeSet<_> = lost
        .iter()
        .filter(|(u, d)| d.is_none() || !predicted.contains(&(*u, None)))
        .copied()
        .collect();
    assert_eq!(lost_beyond_orgs, predicted);
    assert!(after.is_empty() || after.keys().all(|(_, d)| d.is_some()));

    // The rest of the cascade.
    assert_eq!(g.world.document_count(g.labs), 0);
    assert!(g.world.members_of(g.labs).is_empty());
    for key in keys_before {
        assert!(!g.world.key(key).unwrap().is_valid());
    }
    let labs = g.world.organisation(g.labs).unwrap();
    assert_eq!(labs.cost_bearer, labs.environment);
    assert!(g.world.registered(&labs.participant_id).is_none());
    assert_eq!(p.documents_deleted, documents.len());
    assert!(g.world.removal_of(g.labs).is_none());
    assert!(g.world.export_of(g.labs).is_none());
}

#[test]
fn split_recreated_organisation_receives_on_its_old_identifier_and_imports_its_bundle() {
    let mut g = globex();
    let manifest = preflight_core::model::bundle::Manifest::of(&g.world, g.labs).unwrap();
    let digest = g.export(g.hanna).unwrap();
    g.authorise(g.hanna, digest, false, None).unwrap();
    g.remove().unwrap();
    let participant_id = g.world.organisation(g.labs).unwrap().participant_id.clone();

    // 4. A user signs up a new environment; 5. adds and activates the organisation.
    let events = g
        .run(
            &Actor::Anonymous,
            Command::SignUp {
                environment_name: "Globex Labs".into(),
                name: "Lena".into(),
                email: "lena@labs.example".into(),
            },
        )
        .unwrap();
    let lena = events
        .iter()
        .find_map(|e| match e {
            Event::UserCreated { user, .. } => Some(*user),
            _ => None,
        })
        .unwrap();
    let events = g.ok(
        lena,
        Command::AddOrganisation {
            name: "Globex Labs BV".into(),
            participant_id: participant_id.clone(),
        },
    );
    let new_labs = events
        .iter()
        .find_map(|e| match e {
            Event::OrganisationAdded { organisation, .. } => Some(*organisation),
            _ => None,
        })
        .unwrap();
    g.ok(
        lena,
        Command::ActivateOrganisation {
            organisation: new_labs,
        },
    );
    assert_eq!(g.world.registered(&participant_id).unwrap().id, new_labs);

    // The bundle restores every document, with its metadata.
    let import = Command::ImportBundle {
        organisation: new_labs,
        bundle: manifest.digest,
        participant_id: participant_id.clone(),
        documents: manifest.documents.clone(),
    };
    assert_eq!(
        Globex::code(g.run(&Actor::user(g.hanna), import.clone())),
        "not_found"
    );
    g.ok(lena, import.clone());
    let restored: Vec<(String, Sha256, DocBox)> = g
        .world
        .documents_of(new_labs)
        .map(|d| {
            let d = g.world.document(d).unwrap();
            (d.name.clone(), d.sha256, d.doc_box)
        })
        .collect();
    let mut expected: Vec<(String, Sha256, DocBox)> = manifest
        .documents
        .iter()
        .map(|d| (d.name.clone(), d.sha256, d.doc_box))
        .collect();
    let mut restored_sorted = restored.clone();
    restored_sorted.sort();
    expected.sort();
    assert_eq!(restored_sorted, expected);
    assert_eq!(Globex::code(g.run(&Actor::user(lena), import)), "conflict");

    // An invoice sent to the old identifier lands in the new environment.
    let events = g
        .run(
            &Actor::Network,
            Command::ReceiveDocument {
                to: participant_id,
                name: "after-the-move.xml".into(),
                sha256: Sha256::of(b"after the move"),
                size: 14,
                summary: None,
            },
        )
        .unwrap();
    let received = events
        .iter()
        .find_map(|e| match e {
            Event::DocumentAdded { document } => Some(document.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(received.organisation, new_labs);
    for old in [g.hanna, g.ivo, g.jade, g.bob, g.alice] {
        assert!(!check(&g.world, old, Action::View, Resource::Document(received.id)).allowed);
    }
    assert!(
        check(
            &g.world,
            lena,
            Action::View,
            Resource::Document(received.id)
        )
        .allowed
    );
}

#[test]
fn split_import_refuses_a_bundle_of_another_identifier() {
    let mut g = globex();
    let manifest = preflight_core::model::bundle::Manifest::of(&g.world, g.labs).unwrap();
    let refused = g.run(
        &Actor::user(g.hanna),
        Command::ImportBundle {
            organisation: g.retail,
            bundle: manifest.digest,
            participant_id: manifest.participant_id.clone(),
            documents: manifest.documents.clone(),
        },
    );
    assert_eq!(Globex::code(refused), "invalid_input");
}

#[test]
fn split_bundle_manifest_detects_tampering() {
    use preflight_core::model::bundle::{BundleCheck, Manifest};
    let g = globex();
    let manifest = Manifest::of(&g.world, g.labs).unwrap();
    assert_eq!(Manifest::parse(&manifest.to_bytes()).unwrap(), manifest);
    // An edited field without a new digest.
    let mut edited = manifest.clone();
    edited.documents[0].name = "renamed.xml".into();
    assert_eq!(
        Manifest::parse(&edited.to_bytes()).unwrap_err().code(),
        "bundle_tampered"
    );
    // A file whose bytes differ from the manifest's digest, a missing file.
    let first = manifest.documents[0].clone();
    let mut check = BundleCheck::new(manifest.clone());
    assert_eq!(
        check
            .file(&first.file(), Sha256::of(b"other bytes"), first.size)
            .unwrap_err()
            .code(),
        "bundle_tampered"
    );
    let check = BundleCheck::new(manifest.clone());
    assert_eq!(check.finish().unwrap_err().code(), "bundle_incomplete");
    let mut check = BundleCheck::new(manifest.clone());
    for (name, (digest, size)) in manifest.files() {
        check.file(&name, digest, size).unwrap();
    }
    assert_eq!(check.finish().unwrap(), manifest);
}

#[test]
fn split_removal_refused_once_the_authorised_plan_is_stale() {
    let mut g = globex();
    let digest = g.export(g.hanna).unwrap();
    let plan = g.option2();
    g.authorise(g.hanna, digest, false, Some(plan)).unwrap();
    // A share of one of its documents changes what the plan said.
    g.share_a_labs_invoice_with_ivo(Level::View);
    let refused = g.remove().unwrap_err();
    assert_eq!(refused.code(), "stale_plan");
    assert!(refused.to_string().contains("shares"), "{refused}");
    assert!(g.world.document_count(g.labs) > 0);
    // Simulated and authorised again, the removal goes ahead.
    let plan = g.option2();
    g.authorise(g.hanna, digest, false, Some(plan)).unwrap();
    g.remove().unwrap();
    assert_eq!(g.world.document_count(g.labs), 0);
}

#[test]
fn split_removal_refused_once_its_authoriser_is_no_longer_an_administrator() {
    let mut g = globex();
    let digest = g.export(g.hanna).unwrap();
    // A second Administrator authorises, then loses the role.
    g.ok(
        g.hanna,
        Command::AssignRole {
            user: g.ivo,
            role: EnvRole::Administrator,
        },
    );
    g.authorise(g.ivo, digest, false, None).unwrap();
    g.ok(
        g.hanna,
        Command::AssignRole {
            user: g.ivo,
            role: EnvRole::AdvancedUser,
        },
    );
    assert_eq!(Globex::code(g.remove()), "removal_not_authorised");
    g.authorise(g.hanna, digest, false, None).unwrap();
    g.remove().unwrap();
}

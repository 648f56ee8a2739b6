//! One test per rule of the rule book (DOMAIN §1–6 and §8), named after the rule.
//!
//! Every world here is built by running real commands through
//! [`preflight_core::execute`] and applying their events, so each fixture is a
//! world the rules allow. A refused command is checked three ways: its machine
//! code, a message that names what is missing, and a world left exactly as it was.

use preflight_core::generate::belgian_enterprise_number;
use preflight_core::project::Visibility;
use preflight_core::*;

// ---------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------

/// 2026-11-18 11:06 UTC; every command runs one minute after the previous one.
const T0: i64 = 1_795_000_000_000;

fn support() -> Actor {
    Actor::Support { name: "s".into() }
}

fn by(user: UserId) -> Actor {
    Actor::user(user)
}

/// "ada@acme.test" → "Ada".
fn name_of(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    let mut chars = local.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

struct Fixture {
    world: World,
    step: u64,
    n_orgs: u64,
    n_docs: u64,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            world: World::new(),
            step: 0,
            n_orgs: 0,
            n_docs: 0,
        }
    }

    fn next_context(&mut self) -> Context {
        self.step += 1;
        Context::deterministic(
            Timestamp(T0 + self.step as i64 * 60_000),
            u128::from(self.step),
        )
    }

    /// The time of the latest command.
    fn now(&self) -> Timestamp {
        Timestamp(T0 + self.step as i64 * 60_000)
    }

    /// Decides `command` and, when it is accepted, applies its events.
    fn run(&mut self, actor: &Actor, command: Command) -> Result<Vec<Event>, CommandError> {
        let ctx = self.next_context();
        let result = execute(&self.world, actor, command, &ctx);
        if let Ok(events) = &result {
            for event in events {
                self.world.apply(event);
            }
        }
        result
    }

    /// Runs a command that the rules must accept.
    fn ok_as(&mut self, actor: &Actor, command: Command) -> Vec<Event> {
        let kind = command.kind();
        match self.run(actor, command) {
            Ok(events) => events,
            Err(e) => panic!("{kind} by {actor:?} was refused ({}): {e}", e.code()),
        }
    }

    fn ok(&mut self, user: UserId, command: Command) -> Vec<Event> {
        self.ok_as(&by(user), command)
    }

    /// Runs a command that the rules must refuse with `code` and a message
    /// containing `needle`; the world must not change, and the preview must say
    /// the same.
    fn refuse_as(
        &mut self,
        actor: &Actor,
        command: Command,
        code: &str,
        needle: &str,
    ) -> CommandError {
        let before = self.world.clone();
        let kind = command.kind();
        let ctx = self.next_context();
        let shown = preview(&self.world, actor, command.clone(), &ctx);
        let error = match self.run(actor, command) {
            Ok(events) => panic!("{kind} by {actor:?} was accepted: {events:?}"),
            Err(e) => e,
        };
        assert_eq!(self.world, before, "a refused {kind} changed the world");
        assert_eq!(error.code(), code, "{kind}: {error}");
        assert!(
            error.to_string().contains(needle),
            "{kind}: the message `{error}` does not name `{needle}`"
        );
        assert!(!shown.allowed && shown.events.is_empty(), "{kind}: preview");
        assert_eq!(shown.error.as_ref(), Some(&error), "{kind}: preview error");
        error
    }

    fn refuse(&mut self, user: UserId, command: Command, code: &str, needle: &str) -> CommandError {
        self.refuse_as(&by(user), command, code, needle)
    }

    // ----- building blocks --------------------------------------------------

    fn sign_up(&mut self, environment_name: &str, email: &str) -> (EnvironmentId, UserId) {
        let events = self.ok_as(
            &Actor::Anonymous,
            Command::SignUp {
                environment_name: environment_name.into(),
                name: name_of(email),
                email: email.into(),
            },
        );
        let environment = events
            .iter()
            .find_map(|e| match e {
                Event::EnvironmentCreated { environment, .. } => Some(*environment),
                _ => None,
            })
            .unwrap();
        let user = events
            .iter()
            .find_map(|e| match e {
                Event::UserCreated { user, .. } => Some(*user),
                _ => None,
            })
            .unwrap();
        (environment, user)
    }

    fn invite(&mut self, admin: UserId, email: &str, role: EnvRole) -> UserId {
        let events = self.ok(
            admin,
            Command::InviteUser {
                email: email.into(),
                name: name_of(email),
                role,
            },
        );
        let invitation = events
            .iter()
            .find_map(|e| match e {
                Event::InvitationCreated { invitation } => Some(invitation.id),
                _ => None,
            })
            .unwrap();
        let events = self.ok_as(&Actor::Anonymous, Command::AcceptInvitation { invitation });
        events
            .iter()
            .find_map(|e| match e {
                Event::UserCreated { user, .. } => Some(*user),
                _ => None,
            })
            .unwrap()
    }

    fn add_org(&mut self, admin: UserId, name: &str, participant_id: &str) -> OrganisationId {
        let events = self.ok(
            admin,
            Command::AddOrganisation {
                name: name.into(),
                participant_id: participant_id.into(),
            },
        );
        events
            .iter()
            .find_map(|e| match e {
                Event::OrganisationAdded { organisation, .. } => Some(*organisation),
                _ => None,
            })
            .unwrap()
    }

    fn next_participant(&mut self) -> String {
        self.n_orgs += 1;
        belgian_enterprise_number(self.n_orgs)
    }

    /// An organisation with a fresh valid Belgian id, active on Peppol.
    fn org(&mut self, admin: UserId, name: &str) -> OrganisationId {
        let participant_id = self.next_participant();
        let organisation = self.add_org(admin, name, &participant_id);
        self.ok(admin, Command::ActivateOrganisation { organisation });
        organisation
    }

    fn participant(&self, organisation: OrganisationId) -> String {
        self.world
            .organisation(organisation)
            .unwrap()
            .participant_id
            .clone()
    }

    fn env_of(&self, user: UserId) -> EnvironmentId {
        self.world.user(user).unwrap().environment
    }

    fn environment(&self, environment: EnvironmentId) -> &Environment {
        self.world.environment(environment).unwrap()
    }

    fn credit(&self, environment: EnvironmentId) -> i64 {
        self.environment(environment).credit
    }

    fn set_plan(&mut self, environment: EnvironmentId, plan: Plan) {
        if self.environment(environment).plan != plan {
            self.ok_as(&support(), Command::SetPlan { environment, plan });
        }
    }

    fn set_add_on(&mut self, environment: EnvironmentId, enabled: bool) {
        self.ok_as(
            &support(),
            Command::SetAddOn {
                environment,
                add_on: AddOn::WorkflowEngine,
                enabled,
            },
        );
    }

    fn request(&mut self, from_user: UserId, email: &str) -> RequestId {
        let events = self.ok(
            from_user,
            Command::SendAuthorisationRequest {
                email: email.into(),
            },
        );
        match events.as_slice() {
            [Event::PartnershipRequested { request }] => request.id,
            other => panic!("unexpected events {other:?}"),
        }
    }

    fn accept(&mut self, accepter: UserId, request: RequestId) -> PartnershipId {
        let events = self.ok(accepter, Command::AcceptPartnershipRequest { request });
        events
            .iter()
            .find_map(|e| match e {
                Event::PartnershipCreated { partnership, .. } => Some(*partnership),
                _ => None,
            })
            .unwrap()
    }

    /// An authorisation request from `from_user` (whose plan is raised to Basic
    /// if need be) to `to_email`, accepted by `accepter`.
    fn partner(&mut self, from_user: UserId, to_email: &str, accepter: UserId) -> PartnershipId {
        let environment = self.env_of(from_user);
        if self.environment(environment).plan < Plan::Basic {
            self.set_plan(environment, Plan::Basic);
        }
        let request = self.request(from_user, to_email);
        self.accept(accepter, request)
    }

    fn end(&mut self, admin: UserId, partnership: PartnershipId) -> Vec<Event> {
        self.ok(admin, Command::EndPartnership { partnership })
    }

    fn member(&mut self, admin: UserId, organisation: OrganisationId, user: UserId, role: OrgRole) {
        self.ok(
            admin,
            Command::AddMember {
                organisation,
                user,
                role,
            },
        );
    }

    fn upload(
        &mut self,
        user: UserId,
        organisation: OrganisationId,
        doc_box: DocBox,
    ) -> DocumentId {
        self.n_docs += 1;
        let name = format!("invoice-{}.xml", self.n_docs);
        let events = self.ok(
            user,
            Command::UploadDocument {
                organisation,
                doc_box,
                sha256: Sha256::of(name.as_bytes()),
                name,
                size: 100,
                summary: None,
            },
        );
        match events.as_slice() {
            [Event::DocumentAdded { document }] => document.id,
            other => panic!("unexpected events {other:?}"),
        }
    }

    /// A document delivered by the Peppol network into `organisation`'s Inbox IN.
    fn receive(&mut self, organisation: OrganisationId) -> DocumentId {
        self.n_docs += 1;
        let name = format!("received-{}.xml", self.n_docs);
        let to = self.participant(organisation);
        let events = self.ok_as(
            &Actor::Network,
            Command::ReceiveDocument {
                to,
                sha256: Sha256::of(name.as_bytes()),
                name,
                size: 100,
                summary: None,
            },
        );
        events
            .iter()
            .find_map(|e| match e {
                Event::DocumentAdded { document } => Some(document.id),
                _ => None,
            })
            .unwrap()
    }

    fn share(&mut self, user: UserId, document: DocumentId, grantee: Grantee, level: Level) {
        self.ok(
            user,
            Command::ShareDocument {
                document,
                grantee,
                level,
            },
        );
    }

    fn group(&mut self, user: UserId, name: &str) -> GroupId {
        let events = self.ok(user, Command::CreateGroup { name: name.into() });
        match events.as_slice() {
            [Event::GroupCreated { group, .. }] => *group,
            other => panic!("unexpected events {other:?}"),
        }
    }

    fn group_member(&mut self, editor: UserId, group: GroupId, user: UserId) {
        self.ok(editor, Command::AddGroupMember { group, user });
    }

    fn key(&mut self, user: UserId, organisation: OrganisationId) -> KeyId {
        let events = self.ok(user, Command::RetrieveConnectionKey { organisation });
        match events.as_slice() {
            [Event::ConnectionKeyIssued { key, .. }] => *key,
            other => panic!("unexpected events {other:?}"),
        }
    }

    fn key_valid(&self, key: KeyId) -> bool {
        self.world.key(key).unwrap().is_valid()
    }

    fn key_revoked_because(&self, key: KeyId) -> Option<RevokeReason> {
        self.world
            .key(key)
            .unwrap()
            .revoked
            .map(|(_, reason)| reason)
    }

    fn start_task(&mut self, user: UserId, document: DocumentId, assignee: UserId) -> TaskId {
        let events = self.ok(
            user,
            Command::StartApprovalTask {
                document,
                assignee,
                note: None,
            },
        );
        match events.as_slice() {
            [Event::TaskStarted { task, .. }] => *task,
            other => panic!("unexpected events {other:?}"),
        }
    }

    fn task(&self, task: TaskId) -> &Task {
        self.world.task(task).unwrap()
    }

    fn set_relationship_manager(&mut self, admin: UserId, user: UserId) {
        self.ok(
            admin,
            Command::SetRelationshipManager {
                user,
                enabled: true,
            },
        );
    }
}

/// Asserts that `user` may (or may not) do `action` to `resource`.
fn expect(world: &World, user: UserId, action: Action, resource: Resource, allowed: bool) {
    let decision = check(world, user, action, resource);
    let who = world.user(user).map_or("?".to_string(), |u| u.name.clone());
    assert_eq!(
        decision.allowed,
        allowed,
        "{who} {} {:?} on {}: {:?}",
        if allowed {
            "should be allowed"
        } else {
            "should be denied"
        },
        action,
        resource.name(world),
        decision.explain(world)
    );
}

fn sentences(world: &World, user: UserId, action: Action, resource: Resource) -> Vec<String> {
    check(world, user, action, resource).explain(world)
}

fn org_res(organisation: OrganisationId) -> Resource {
    Resource::Organisation(organisation)
}

fn doc_res(document: DocumentId) -> Resource {
    Resource::Document(document)
}

// ---------------------------------------------------------------------------
// Scenario: an accounting firm and its client (DOMAIN §9)
// ---------------------------------------------------------------------------

/// The client environment "Acme" with its organisation "Bakery BV", and the
/// accounting firm "Acme Accountants", partnered through an authorisation
/// request. The firm's accountant (an AdvancedUser) is a Member of Bakery BV.
struct Firm {
    f: Fixture,
    acme: EnvironmentId,
    acme_admin: UserId,
    /// A plain User of Acme, not a member of anything yet.
    clerk: UserId,
    bakery: OrganisationId,
    firm: EnvironmentId,
    firm_admin: UserId,
    accountant: UserId,
    partnership: PartnershipId,
}

const ACME_ADMIN: &str = "ada@acme.test";

fn firm() -> Firm {
    let mut f = Fixture::new();
    let (acme, acme_admin) = f.sign_up("Acme", ACME_ADMIN);
    let clerk = f.invite(acme_admin, "cleo@acme.test", EnvRole::User);
    let bakery = f.org(acme_admin, "Bakery BV");
    let (firm, firm_admin) = f.sign_up("Acme Accountants", "fred@firm.test");
    let accountant = f.invite(firm_admin, "anna@firm.test", EnvRole::AdvancedUser);
    let partnership = f.partner(firm_admin, ACME_ADMIN, acme_admin);
    f.member(acme_admin, bakery, accountant, OrgRole::Member);
    Firm {
        f,
        acme,
        acme_admin,
        clerk,
        bakery,
        firm,
        firm_admin,
        accountant,
        partnership,
    }
}

// ---------------------------------------------------------------------------
// §1 Tenancy: environments, users, administration
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// §2 Partnerships
// ---------------------------------------------------------------------------

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
    let rob =
        f.f.invite(f.firm_admin, "rob@firm.test", EnvRole::AdvancedUser);
    f.f.set_relationship_manager(f.firm_admin, rob);
    let partnership = f.partnership;
    f.f.ok(
        f.firm_admin,
        Command::ConnectRelationshipManager {
            partnership,
            user: rob,
        },
    );
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
    let rob =
        f.f.invite(f.firm_admin, "rob@firm.test", EnvRole::AdvancedUser);
    f.f.set_relationship_manager(f.firm_admin, rob);
    let partnership = f.partnership;
    f.f.ok(
        f.firm_admin,
        Command::ConnectRelationshipManager {
            partnership,
            user: rob,
        },
    );
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
    let rob =
        f.f.invite(f.firm_admin, "rob@firm.test", EnvRole::AdvancedUser);
    f.f.set_relationship_manager(f.firm_admin, rob);
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

// ---------------------------------------------------------------------------
// §3 Documents, sharing, groups
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// §4 Organisation actions and connection keys
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// §5 Workflow engine
// ---------------------------------------------------------------------------

#[test]
fn workflow_needs_add_on_of_acting_users_environment() {
    let mut f = firm();
    let doc = f.f.receive(f.bakery);
    let start = |assignee| Command::StartApprovalTask {
        document: doc,
        assignee,
        note: None,
    };
    f.f.refuse(
        f.accountant,
        start(f.acme_admin),
        "add_on_missing",
        "Acme Accountants does not have the Workflow Engine add-on",
    );
    // The client's add-on does not help the accountant.
    f.f.set_add_on(f.acme, true);
    f.f.refuse(
        f.accountant,
        start(f.acme_admin),
        "add_on_missing",
        "Acme Accountants",
    );
    f.f.set_add_on(f.firm, true);
    f.f.start_task(f.accountant, doc, f.acme_admin);
    // And the firm's add-on does not help the client.
    f.f.set_add_on(f.acme, false);
    f.f.refuse(
        f.acme_admin,
        start(f.accountant),
        "add_on_missing",
        "Acme does not have the Workflow Engine add-on",
    );
}

#[test]
fn assignee_acts_whatever_their_environment_has() {
    let mut f = firm();
    f.f.set_add_on(f.firm, true);
    f.f.member(f.acme_admin, f.bakery, f.clerk, OrgRole::Member);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.accountant, doc, f.acme_admin);
    assert!(!f.f.environment(f.acme).has_add_on(AddOn::WorkflowEngine));
    // The client, without the add-on, delegates to a colleague and back.
    f.f.ok(f.acme_admin, Command::DelegateTask { task, to: f.clerk });
    f.f.ok(
        f.clerk,
        Command::DelegateTask {
            task,
            to: f.acme_admin,
        },
    );
    f.f.ok(
        f.acme_admin,
        Command::ApproveTask {
            task,
            comment: Some("ok".into()),
        },
    );
    assert_eq!(f.f.task(task).status, TaskStatus::Approved);
    let second = f.f.start_task(f.accountant, doc, f.clerk);
    f.f.ok(
        f.clerk,
        Command::RejectTask {
            task: second,
            reason: "wrong amount".into(),
        },
    );
    // Someone who is not the assignee needs the add-on to move a task.
    let third = f.f.start_task(f.accountant, doc, f.accountant);
    f.f.refuse(
        f.acme_admin,
        Command::DelegateTask {
            task: third,
            to: f.clerk,
        },
        "add_on_missing",
        "Acme does not have the Workflow Engine add-on",
    );
}

#[test]
fn approval_task_is_started_on_received_document_by_someone_with_edit() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let received = f.f.receive(f.bakery);
    let sales = f.f.upload(f.acme_admin, f.bakery, DocBox::InboxOut);
    f.f.share(f.acme_admin, received, Grantee::User(f.clerk), Level::View);
    f.f.refuse(
        f.clerk,
        Command::StartApprovalTask {
            document: received,
            assignee: f.acme_admin,
            note: None,
        },
        "not_permitted",
        "has View access; this needs Edit",
    );
    f.f.refuse(
        f.acme_admin,
        Command::StartApprovalTask {
            document: sales,
            assignee: f.clerk,
            note: None,
        },
        "invalid_input",
        "Inbox IN",
    );
    let events = f.f.ok(
        f.acme_admin,
        Command::StartApprovalTask {
            document: received,
            assignee: f.accountant,
            note: Some("please check".into()),
        },
    );
    let [Event::TaskStarted { task, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    let t = f.f.task(*task);
    assert_eq!(t.assignee, f.accountant);
    assert_eq!(t.note.as_deref(), Some("please check"));
    assert!(t.is_open());
}

#[test]
fn approval_task_assignee_must_be_able_to_view() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    f.f.refuse(
        f.acme_admin,
        Command::StartApprovalTask {
            document: doc,
            assignee: f.firm_admin,
            note: None,
        },
        "not_permitted",
        "Fred cannot view this document",
    );
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    f.f.refuse(
        f.accountant,
        Command::DelegateTask { task, to: f.clerk },
        "not_permitted",
        "Cleo cannot view this document",
    );
}

#[test]
fn only_assignee_approves_or_rejects() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    f.f.refuse(
        f.acme_admin,
        Command::ApproveTask {
            task,
            comment: None,
        },
        "not_permitted",
        "only the task's assignee",
    );
    f.f.refuse(
        f.acme_admin,
        Command::RejectTask {
            task,
            reason: "no".into(),
        },
        "not_permitted",
        "only the task's assignee",
    );
    // Someone who cannot see the document is told the task does not exist.
    f.f.refuse(
        f.clerk,
        Command::ApproveTask {
            task,
            comment: None,
        },
        "not_found",
        "task",
    );
    f.f.ok(
        f.accountant,
        Command::ApproveTask {
            task,
            comment: None,
        },
    );
}

#[test]
fn reject_needs_a_reason() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    for reason in ["", "   "] {
        f.f.refuse(
            f.accountant,
            Command::RejectTask {
                task,
                reason: reason.into(),
            },
            "invalid_input",
            "reason: a rejection needs a reason",
        );
    }
    f.f.ok(
        f.accountant,
        Command::RejectTask {
            task,
            reason: " Not our order ".into(),
        },
    );
    assert_eq!(
        f.f.task(task).status,
        TaskStatus::Rejected {
            reason: "Not our order".into()
        }
    );
}

#[test]
fn closed_task_cannot_be_acted_on() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    f.f.ok(
        f.accountant,
        Command::ApproveTask {
            task,
            comment: None,
        },
    );
    f.f.refuse(
        f.accountant,
        Command::ApproveTask {
            task,
            comment: None,
        },
        "conflict",
        "closed",
    );
    f.f.refuse(
        f.accountant,
        Command::RejectTask {
            task,
            reason: "x".into(),
        },
        "conflict",
        "closed",
    );
    f.f.refuse(
        f.accountant,
        Command::DelegateTask {
            task,
            to: f.acme_admin,
        },
        "conflict",
        "closed",
    );
}

#[test]
fn every_task_step_is_recorded_in_the_audit_trail() {
    let mut f = firm();
    f.f.set_add_on(f.firm, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.accountant, doc, f.acme_admin);
    let started = f.f.now();
    f.f.ok(
        f.acme_admin,
        Command::DelegateTask {
            task,
            to: f.accountant,
        },
    );
    let delegated = f.f.now();
    f.f.ok(
        f.accountant,
        Command::RejectTask {
            task,
            reason: "duplicate".into(),
        },
    );
    let rejected = f.f.now();
    let trail = &f.f.task(task).trail;
    assert_eq!(
        trail,
        &[
            TrailEntry {
                at: started,
                step: TrailStep::Started {
                    by: f.accountant,
                    assignee: f.acme_admin
                }
            },
            TrailEntry {
                at: delegated,
                step: TrailStep::Delegated {
                    by: f.acme_admin,
                    from: f.acme_admin,
                    to: f.accountant
                }
            },
            TrailEntry {
                at: rejected,
                step: TrailStep::Rejected {
                    by: f.accountant,
                    reason: "duplicate".into()
                }
            },
        ]
    );
}

#[test]
fn client_sees_task_in_own_environment() {
    let mut f = firm();
    f.f.set_add_on(f.firm, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.accountant, doc, f.acme_admin);
    let slice = project(&f.f.world, f.acme_admin);
    assert_eq!(slice.task(task).map(|t| t.assignee), Some(f.acme_admin));
    assert_eq!(slice.open_tasks_of(f.acme_admin), &[task]);
    // Someone who cannot view the document does not see the task.
    assert!(project(&f.f.world, f.clerk).task(task).is_none());
}

#[test]
fn disabled_assignees_open_tasks_go_back() {
    let mut f = firm();
    f.f.set_add_on(f.acme, true);
    let doc = f.f.receive(f.bakery);
    let task = f.f.start_task(f.acme_admin, doc, f.accountant);
    f.f.ok(f.firm_admin, Command::DisableUser { user: f.accountant });
    let t = f.f.task(task);
    assert_eq!(t.assignee, f.acme_admin);
    assert_eq!(
        t.trail.last().unwrap().step,
        TrailStep::Reassigned {
            from: f.accountant,
            to: f.acme_admin,
            why: ReassignReason::AssigneeDisabled
        }
    );
}

// ---------------------------------------------------------------------------
// §6 Credit and Peppol
// ---------------------------------------------------------------------------

/// Acme (Bakery BV) and Mill (Mill NV), both active on Peppol, not partnered.
struct Trade {
    f: Fixture,
    acme: EnvironmentId,
    ada: UserId,
    bakery: OrganisationId,
    mill_env: EnvironmentId,
    mill: OrganisationId,
}

fn trade() -> Trade {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", ACME_ADMIN);
    let bakery = f.org(ada, "Bakery BV");
    let (mill_env, max) = f.sign_up("Mill", "max@mill.test");
    let mill = f.org(max, "Mill NV");
    Trade {
        f,
        acme,
        ada,
        bakery,
        mill_env,
        mill,
    }
}

#[test]
fn send_charges_each_sides_cost_bearer_one_credit() {
    let mut t = trade();
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let to = t.f.participant(t.mill);
    let events = t.f.ok(
        t.ada,
        Command::SendDocument {
            document: doc,
            to: to.clone(),
        },
    );
    assert_eq!(t.f.credit(t.acme), 24);
    assert_eq!(t.f.credit(t.mill_env), 24);
    let sent = t.f.world.ledger_of(t.acme).last().unwrap().clone();
    assert_eq!((sent.amount, sent.organisation), (-1, Some(t.bakery)));
    assert_eq!(sent.reason, LedgerReason::Sent { document: doc });
    let delivered = events
        .iter()
        .find_map(|e| match e {
            Event::DocumentSent {
                delivered_as,
                to: sent_to,
                ..
            } => {
                assert_eq!(sent_to, &to);
                Some(*delivered_as)
            }
            _ => None,
        })
        .unwrap();
    let received = t.f.world.ledger_of(t.mill_env).last().unwrap().clone();
    assert_eq!((received.amount, received.organisation), (-1, Some(t.mill)));
    assert_eq!(
        received.reason,
        LedgerReason::Received {
            document: delivered
        }
    );
}

#[test]
fn registered_organisation_is_reachable() {
    let mut t = trade();
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let to = t.f.participant(t.mill);
    let events = t.f.ok(t.ada, Command::SendDocument { document: doc, to });
    let landed = events
        .iter()
        .find_map(|e| match e {
            Event::DocumentAdded { document } => Some(document.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(landed.organisation, t.mill);
    assert_eq!(landed.environment, t.mill_env);
    assert_eq!(landed.doc_box, DocBox::InboxIn);
    assert_eq!(landed.sha256, t.f.world.document(doc).unwrap().sha256);
    // The sender's people do not see what landed at the recipient.
    expect(&t.f.world, t.ada, Action::View, doc_res(landed.id), false);
    // From outside the platform too.
    let received = t.f.receive(t.bakery);
    let doc = t.f.world.document(received).unwrap();
    assert_eq!((doc.organisation, doc.doc_box), (t.bakery, DocBox::InboxIn));
    expect(&t.f.world, t.ada, Action::View, doc_res(received), true);
}

#[test]
fn sending_with_too_little_credit_is_refused_and_changes_nothing() {
    let mut t = trade();
    for _ in 0..24 {
        t.f.receive(t.bakery);
    }
    assert_eq!(t.f.credit(t.acme), 1);
    let first = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let second = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let to = t.f.participant(t.mill);
    // Exactly enough.
    t.f.ok(
        t.ada,
        Command::SendDocument {
            document: first,
            to: to.clone(),
        },
    );
    assert_eq!(t.f.credit(t.acme), 0);
    let mill_credit = t.f.credit(t.mill_env);
    let error = t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: second,
            to,
        },
        "insufficient_credit",
        "Acme has 0 transaction credit; sending needs 1",
    );
    assert_eq!(error.code(), "insufficient_credit");
    assert_eq!(t.f.credit(t.mill_env), mill_credit);
    assert_eq!(t.f.world.document_count(t.mill), 1);
}

#[test]
fn receiving_is_never_refused_balance_may_go_negative() {
    let mut t = trade();
    for _ in 0..27 {
        t.f.receive(t.bakery);
    }
    assert_eq!(t.f.credit(t.acme), -2);
    assert_eq!(
        t.f.world.ledger_of(t.acme).last().unwrap().balance_after,
        -2
    );
    assert_eq!(t.f.world.document_count(t.bakery), 27);
    // Sending, though, is refused until Support tops up.
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let to = t.f.participant(t.mill);
    t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: doc,
            to: to.clone(),
        },
        "insufficient_credit",
        "-2",
    );
    t.f.ok_as(
        &support(),
        Command::TopUpCredit {
            environment: t.acme,
            amount: 3,
        },
    );
    t.f.ok(t.ada, Command::SendDocument { document: doc, to });
}

#[test]
fn send_to_unknown_identifier_is_refused_and_charges_nothing() {
    let mut t = trade();
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let nobody = belgian_enterprise_number(999);
    t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: doc,
            to: nobody.clone(),
        },
        "unknown_recipient",
        &format!("`{nobody}`; nothing was sent or charged"),
    );
    // An organisation that is added but not active is not reachable either.
    let max = t.f.world.users_of(t.mill_env)[0];
    let participant_id = t.f.next_participant();
    t.f.add_org(max, "Mill Two", &participant_id);
    t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: doc,
            to: participant_id.clone(),
        },
        "unknown_recipient",
        &participant_id,
    );
    t.f.refuse_as(
        &Actor::Network,
        Command::ReceiveDocument {
            to: participant_id,
            name: "x.xml".into(),
            sha256: Sha256::of(b"x"),
            size: 1,
            summary: None,
        },
        "unknown_recipient",
        "no active organisation",
    );
    t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: doc,
            to: "1234:5".into(),
        },
        "invalid_participant_id",
        "1234",
    );
    assert_eq!(t.f.credit(t.acme), 25);
}

#[test]
fn only_inbox_out_documents_of_active_organisations_are_sent() {
    let mut t = trade();
    let to = t.f.participant(t.mill);
    let draft = t.f.upload(t.ada, t.bakery, DocBox::Documents);
    t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: draft,
            to: to.clone(),
        },
        "invalid_input",
        "Inbox OUT",
    );
    let participant_id = t.f.next_participant();
    let dairy = t.f.add_org(t.ada, "Dairy", &participant_id);
    let doc = t.f.upload(t.ada, dairy, DocBox::InboxOut);
    t.f.refuse(
        t.ada,
        Command::SendDocument { document: doc, to },
        "not_permitted",
        "Dairy is not active on Peppol",
    );
}

#[test]
fn sending_needs_edit() {
    let mut t = trade();
    let cleo = t.f.invite(t.ada, "cleo@acme.test", EnvRole::User);
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    t.f.share(t.ada, doc, Grantee::User(cleo), Level::View);
    let to = t.f.participant(t.mill);
    t.f.refuse(
        cleo,
        Command::SendDocument {
            document: doc,
            to: to.clone(),
        },
        "not_permitted",
        "needs Edit",
    );
    t.f.ok(
        t.ada,
        Command::ShareDocument {
            document: doc,
            grantee: Grantee::User(cleo),
            level: Level::Edit,
        },
    );
    t.f.ok(cleo, Command::SendDocument { document: doc, to });
}

#[test]
fn only_the_network_delivers_documents() {
    let mut t = trade();
    let to = t.f.participant(t.bakery);
    t.f.refuse(
        t.ada,
        Command::ReceiveDocument {
            to,
            name: "x.xml".into(),
            sha256: Sha256::of(b"x"),
            size: 1,
            summary: None,
        },
        "not_permitted",
        "only the Peppol network",
    );
}

#[test]
fn activation_requires_valid_unique_identifier() {
    let mut t = trade();
    // Well-formed but with wrong check digits: added, not activated.
    let valid = belgian_enterprise_number(500);
    let mut wrong = valid.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let dairy = t.f.add_org(t.ada, "Dairy", &wrong);
    t.f.refuse(
        t.ada,
        Command::ActivateOrganisation {
            organisation: dairy,
        },
        "invalid_participant_id",
        &wrong["0208:".len()..],
    );
    assert_eq!(
        t.f.world.organisation(dairy).unwrap().status,
        OrgStatus::Inactive
    );
    // Malformed or of an unsupported scheme: not even added.
    for malformed in ["0208", "9999:123", "0208:"] {
        t.f.refuse(
            t.ada,
            Command::AddOrganisation {
                name: "X".into(),
                participant_id: malformed.into(),
            },
            "invalid_participant_id",
            "",
        );
    }
    // Unique among registered participants, however it is written.
    let max = t.f.world.users_of(t.mill_env)[0];
    let taken = t.f.participant(t.mill);
    for spelling in [
        taken.clone(),
        format!("iso6523-actorid-upis::{taken}"),
        format!("  {taken} "),
    ] {
        let twin = t.f.add_org(t.ada, "Twin", &spelling);
        t.f.refuse(
            t.ada,
            Command::ActivateOrganisation { organisation: twin },
            "conflict",
            "already registered by another organisation",
        );
        let again = t.f.add_org(max, "Mill Twin", &spelling);
        t.f.refuse(
            max,
            Command::ActivateOrganisation {
                organisation: again,
            },
            "conflict",
            "already registered",
        );
    }
    assert_eq!(t.f.world.registered(&taken).unwrap().id, t.mill);
    // A valid, free identifier registers.
    let fresh = t.f.add_org(t.ada, "Fresh", &valid);
    t.f.ok(
        t.ada,
        Command::ActivateOrganisation {
            organisation: fresh,
        },
    );
    assert_eq!(t.f.world.registered(&valid).unwrap().id, fresh);
}

#[test]
fn activation_accepts_every_scheme_of_the_rule_book_and_checks_its_digits() {
    let be = &belgian_enterprise_number(7)["0208:".len()..];
    let cases: [(String, String); 10] = [
        (belgian_enterprise_number(7), {
            let mut s = belgian_enterprise_number(7);
            let d = s.pop().unwrap();
            s.push(if d == '9' { '8' } else { '9' });
            s
        }),
        (format!("9925:BE{be}"), format!("9925:{be}")),
        ("0088:5400001000002".into(), "0088:5400001000003".into()),
        ("0192:923609016".into(), "0192:923609017".into()),
        ("0007:5560360793".into(), "0007:5560360794".into()),
        ("0184:13585628".into(), "0184:13585629".into()),
        ("0106:12345678".into(), "0106:1234567".into()),
        (
            "0190:00000001234567890123".into(),
            "0190:0000000123456789012".into(),
        ),
        ("9944:NL123456789B01".into(), "9944:NL123456789X01".into()),
        ("9930:DE123456789".into(), "9930:DE12345678".into()),
    ];
    let mut t = trade();
    for (n, (valid, invalid)) in cases.into_iter().enumerate() {
        let bad = t.f.add_org(t.ada, &format!("Bad {n}"), &invalid);
        t.f.refuse(
            t.ada,
            Command::ActivateOrganisation { organisation: bad },
            "invalid_participant_id",
            "not a valid",
        );
        let good = t.f.add_org(t.ada, &format!("Good {n}"), &valid);
        t.f.ok(t.ada, Command::ActivateOrganisation { organisation: good });
        assert_eq!(
            t.f.world.registered(&valid).map(|o| o.id),
            Some(good),
            "{valid}"
        );
    }
}

// ---------------------------------------------------------------------------
// §8 Explanations, reverse queries, previews, projections
// ---------------------------------------------------------------------------

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
    use preflight_core::forget::{forget_event, replay_with_owners, FORGOTTEN};
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

//! Fixture.

use preflight_core::generate::belgian_enterprise_number;
use preflight_core::*;

/// 2026-11-18 11:06 UTC; every command runs one minute after the previous one.
pub(crate) const T0: i64 = 1_795_000_000_000;

pub(crate) fn support() -> Actor {
    Actor::Support { name: "s".into() }
}

pub(crate) fn by(user: UserId) -> Actor {
    Actor::user(user)
}

/// "ada@acme.test" → "Ada".
pub(crate) fn name_of(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    let mut chars = local.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) struct Fixture {
    pub(crate) world: World,
    pub(crate) step: u64,
    pub(crate) n_orgs: u64,
    pub(crate) n_docs: u64,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        Fixture {
            world: World::new(),
            step: 0,
            n_orgs: 0,
            n_docs: 0,
        }
    }

    pub(crate) fn next_context(&mut self) -> Context {
        self.step += 1;
        Context::deterministic(
            Timestamp(T0 + self.step as i64 * 60_000),
            u128::from(self.step),
        )
    }

    /// The time of the latest command.
    pub(crate) fn now(&self) -> Timestamp {
        Timestamp(T0 + self.step as i64 * 60_000)
    }

    /// Decides `command` and, when it is accepted, applies its events.
    pub(crate) fn run(
        &mut self,
        actor: &Actor,
        command: Command,
    ) -> Result<Vec<Event>, CommandError> {
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
    pub(crate) fn ok_as(&mut self, actor: &Actor, command: Command) -> Vec<Event> {
        let kind = command.kind();
        match self.run(actor, command) {
            Ok(events) => events,
            Err(e) => panic!("{kind} by {actor:?} was refused ({}): {e}", e.code()),
        }
    }

    pub(crate) fn ok(&mut self, user: UserId, command: Command) -> Vec<Event> {
        self.ok_as(&by(user), command)
    }

    /// Runs a command that the rules must refuse with `code` and a message
    /// containing `needle`; the world must not change, and the preview must say
    /// the same.
    pub(crate) fn refuse_as(
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

    pub(crate) fn refuse(
        &mut self,
        user: UserId,
        command: Command,
        code: &str,
        needle: &str,
    ) -> CommandError {
        self.refuse_as(&by(user), command, code, needle)
    }

    // ----- building blocks --------------------------------------------------

    pub(crate) fn sign_up(
        &mut self,
        environment_name: &str,
        email: &str,
    ) -> (EnvironmentId, UserId) {
        let events = self.ok_as(
            &Actor::Anonymous,
            Command::SignUp {
                environment_name: environment_name.into(),
                name: name_of(email),
                email: email.into(),
            },
        );
        let environment = Created::of(&events).environment.unwrap();
        let user = Created::of(&events).user.unwrap();
        (environment, user)
    }

    pub(crate) fn invite(&mut self, admin: UserId, email: &str, role: EnvRole) -> UserId {
        let events = self.ok(
            admin,
            Command::InviteUser {
                email: email.into(),
                name: name_of(email),
                role,
            },
        );
        let invitation = Created::of(&events).invitation.unwrap();
        let events = self.ok_as(&Actor::Anonymous, Command::AcceptInvitation { invitation });
        Created::of(&events).user.unwrap()
    }

    pub(crate) fn add_org(
        &mut self,
        admin: UserId,
        name: &str,
        participant_id: &str,
    ) -> OrganisationId {
        let events = self.ok(
            admin,
            Command::AddOrganisation {
                name: name.into(),
                participant_id: participant_id.into(),
            },
        );
        Created::of(&events).organisation.unwrap()
    }

    pub(crate) fn next_participant(&mut self) -> String {
        self.n_orgs += 1;
        belgian_enterprise_number(self.n_orgs)
    }

    /// An organisation with a fresh valid Belgian id, active on Peppol.
    pub(crate) fn org(&mut self, admin: UserId, name: &str) -> OrganisationId {
        let participant_id = self.next_participant();
        let organisation = self.add_org(admin, name, &participant_id);
        self.ok(admin, Command::ActivateOrganisation { organisation });
        organisation
    }

    pub(crate) fn participant(&self, organisation: OrganisationId) -> String {
        self.world
            .organisation(organisation)
            .unwrap()
            .participant_id
            .clone()
    }

    pub(crate) fn env_of(&self, user: UserId) -> EnvironmentId {
        self.world.user(user).unwrap().environment
    }

    pub(crate) fn environment(&self, environment: EnvironmentId) -> &Environment {
        self.world.environment(environment).unwrap()
    }

    pub(crate) fn credit(&self, environment: EnvironmentId) -> i64 {
        self.environment(environment).credit
    }

    pub(crate) fn set_plan(&mut self, environment: EnvironmentId, plan: Plan) {
        if self.environment(environment).plan != plan {
            self.ok_as(&support(), Command::SetPlan { environment, plan });
        }
    }

    pub(crate) fn set_add_on(&mut self, environment: EnvironmentId, enabled: bool) {
        self.ok_as(
            &support(),
            Command::SetAddOn {
                environment,
                add_on: AddOn::WorkflowEngine,
                enabled,
            },
        );
    }

    pub(crate) fn request(&mut self, from_user: UserId, email: &str) -> RequestId {
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

    pub(crate) fn accept(&mut self, accepter: UserId, request: RequestId) -> PartnershipId {
        let events = self.ok(accepter, Command::AcceptPartnershipRequest { request });
        Created::of(&events).partnership.unwrap()
    }

    /// An authorisation request from `from_user` (whose plan is raised to Basic
    /// if need be) to `to_email`, accepted by `accepter`.
    pub(crate) fn partner(
        &mut self,
        from_user: UserId,
        to_email: &str,
        accepter: UserId,
    ) -> PartnershipId {
        let environment = self.env_of(from_user);
        if self.environment(environment).plan < Plan::Basic {
            self.set_plan(environment, Plan::Basic);
        }
        let request = self.request(from_user, to_email);
        self.accept(accepter, request)
    }

    pub(crate) fn end(&mut self, admin: UserId, partnership: PartnershipId) -> Vec<Event> {
        self.ok(admin, Command::EndPartnership { partnership })
    }

    pub(crate) fn member(
        &mut self,
        admin: UserId,
        organisation: OrganisationId,
        user: UserId,
        role: OrgRole,
    ) {
        self.ok(
            admin,
            Command::AddMember {
                organisation,
                user,
                role,
            },
        );
    }

    pub(crate) fn upload(
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
    pub(crate) fn receive(&mut self, organisation: OrganisationId) -> DocumentId {
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
        Created::of(&events).document.unwrap()
    }

    pub(crate) fn share(
        &mut self,
        user: UserId,
        document: DocumentId,
        grantee: Grantee,
        level: Level,
    ) {
        self.ok(
            user,
            Command::ShareDocument {
                document,
                grantee,
                level,
            },
        );
    }

    pub(crate) fn group(&mut self, user: UserId, name: &str) -> GroupId {
        let events = self.ok(user, Command::CreateGroup { name: name.into() });
        match events.as_slice() {
            [Event::GroupCreated { group, .. }] => *group,
            other => panic!("unexpected events {other:?}"),
        }
    }

    pub(crate) fn group_member(&mut self, editor: UserId, group: GroupId, user: UserId) {
        self.ok(editor, Command::AddGroupMember { group, user });
    }

    pub(crate) fn key(&mut self, user: UserId, organisation: OrganisationId) -> KeyId {
        let events = self.ok(user, Command::RetrieveConnectionKey { organisation });
        match events.as_slice() {
            [Event::ConnectionKeyIssued { key, .. }] => *key,
            other => panic!("unexpected events {other:?}"),
        }
    }

    pub(crate) fn key_valid(&self, key: KeyId) -> bool {
        self.world.key(key).unwrap().is_valid()
    }

    pub(crate) fn key_revoked_because(&self, key: KeyId) -> Option<RevokeReason> {
        self.world
            .key(key)
            .unwrap()
            .revoked
            .map(|(_, reason)| reason)
    }

    pub(crate) fn start_task(
        &mut self,
        user: UserId,
        document: DocumentId,
        assignee: UserId,
    ) -> TaskId {
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

    pub(crate) fn task(&self, task: TaskId) -> &Task {
        self.world.task(task).unwrap()
    }

    pub(crate) fn set_relationship_manager(&mut self, admin: UserId, user: UserId) {
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
pub(crate) fn expect(
    world: &World,
    user: UserId,
    action: Action,
    resource: Resource,
    allowed: bool,
) {
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

pub(crate) fn sentences(
    world: &World,
    user: UserId,
    action: Action,
    resource: Resource,
) -> Vec<String> {
    check(world, user, action, resource).explain(world)
}

pub(crate) fn org_res(organisation: OrganisationId) -> Resource {
    Resource::Organisation(organisation)
}

pub(crate) fn doc_res(document: DocumentId) -> Resource {
    Resource::Document(document)
}

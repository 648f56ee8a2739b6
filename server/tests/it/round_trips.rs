//! Command round trips over HTTP for every command kind (server issue §7): each
//! kind is sent as JSON by someone allowed to, decided by the server, made
//! durable, and read back from the audit log exactly as it was sent.

use std::collections::BTreeSet;

use preflight_core::generate::{belgian_enterprise_number, DEMO_PASSWORD, SUPPORT_EMAIL};
use serde_json::{json, Value};

use crate::api::{request, session_token as token_of, Api};
use crate::documents::exchange;
use crate::support::demo_world;

/// The run: who sent what, and what came back.
struct Run {
    api: Api,
    /// (token of an Administrator whose audit log holds it, version, command).
    accepted: Vec<(String, u64, Value)>,
    kinds: BTreeSet<String>,
}

/// The first id an event of `kind` carries under `field` (a string or an
/// object's `id`).
fn id_in(events: &Value, kind: &str, field: &str) -> String {
    events
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["type"] == kind)
        .map(|e| match &e[field] {
            Value::String(id) => id.clone(),
            other => other["id"].as_str().unwrap_or_default().to_string(),
        })
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("no {kind}.{field} in {events}"))
}

impl Run {
    /// Sends `command` as `token`; it must be accepted. `audit` is the token of an
    /// Administrator whose environment's log records it.
    fn accept(&mut self, token: &str, audit: &str, command: Value) -> Value {
        let (status, answer) = self.api.call(
            "POST",
            "/api/commands",
            Some(token),
            Some(json!({ "command": command })),
        );
        assert_eq!(status, 200, "{command} was not accepted: {answer}");
        let version = answer["version"].as_u64().expect("a version");
        self.kinds
            .insert(command["type"].as_str().expect("a kind").to_string());
        self.accepted.push((audit.to_string(), version, command));
        answer
    }

    /// Signs up a new environment over `POST /api/signup`; its Administrator's token.
    fn sign_up(&mut self, environment: &str, email: &str) -> String {
        let body = json!({
            "environment_name": environment,
            "name": format!("{environment} Admin"),
            "email": email,
            "password": DEMO_PASSWORD,
        })
        .to_string();
        let (status, cookie, answer) =
            request(self.api.addr(), "POST", "/api/signup", None, Some(&body));
        assert_eq!(status, 200, "sign-up of {environment}: {answer}");
        self.kinds.insert("SignUp".into());
        token_of(&cookie)
    }

    fn me(&self, token: &str) -> (String, String) {
        let (status, me) = self.api.call("GET", "/api/me", Some(token), None);
        assert_eq!(status, 200, "{me}");
        (
            me["user"]["id"].as_str().expect("an id").to_string(),
            me["user"]["environment"]
                .as_str()
                .expect("an environment")
                .to_string(),
        )
    }

    /// Invites a user and accepts the invitation over `POST /api/invitations/accept`.
    fn invite_and_join(&mut self, admin: &str, email: &str, role: &str) -> (String, String) {
        let answer = self.accept(
            admin,
            admin,
            json!({ "type": "InviteUser", "email": email, "name": email, "role": role }),
        );
        let secret = answer["secret"].as_str().expect("the invitation's secret");
        let body = json!({ "secret": secret, "password": DEMO_PASSWORD }).to_string();
        let (status, cookie, joined) = request(
            self.api.addr(),
            "POST",
            "/api/invitations/accept",
            None,
            Some(&body),
        );
        assert_eq!(status, 200, "{joined}");
        self.kinds.insert("AcceptInvitation".into());
        let token = token_of(&cookie);
        let (id, _) = self.me(&token);
        (token, id)
    }

    /// Uploads a file over the upload endpoint; the new document's id.
    fn upload(&mut self, token: &str, organisation: &str, doc_box: &str, name: &str) -> String {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../core/tests/fixtures/peppol/base-example.xml"
        ))
        .expect("the fixture");
        let path = format!("/api/organisations/{organisation}/documents?box={doc_box}&name={name}");
        let cookie = format!("preflight_session={token}");
        let headers = [
            ("Cookie", cookie),
            ("Content-Type", "application/octet-stream".to_string()),
        ];
        let (status, _, body) = exchange(self.api.addr(), "POST", &path, &headers, &bytes);
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 200, "upload into {doc_box}: {body}");
        self.kinds.insert("UploadDocument".into());
        let answer: Value = serde_json::from_str(&body).expect("JSON");
        answer["document"].as_str().expect("a document").to_string()
    }
}

#[test]
fn every_command_kind_round_trips_over_http() {
    let mut run = Run {
        api: Api::start(),
        accepted: Vec::new(),
        kinds: BTreeSet::new(),
    };
    let support = run.api.login(SUPPORT_EMAIL);

    // Two new environments: a firm and its client.
    let firm = run.sign_up("Roundtrip Firm", "admin@roundtrip-firm.example");
    let client = run.sign_up("Roundtrip Client", "admin@roundtrip-client.example");
    let (_, firm_env) = run.me(&firm);
    let (client_admin, client_env) = run.me(&client);

    // Support: plans, add-ons, credit.
    for env in [&firm_env, &client_env] {
        run.accept(
            &support,
            if env == &firm_env { &firm } else { &client },
            json!({ "type": "SetPlan", "environment": env, "plan": "Professional" }),
        );
    }
    run.accept(
        &support,
        &firm,
        json!({ "type": "SetAddOn", "environment": firm_env, "add_on": "WorkflowEngine", "enabled": true }),
    );
    run.accept(
        &support,
        &client,
        json!({ "type": "TopUpCredit", "environment": client_env, "amount": 500 }),
    );

    // Users and roles.
    let (accountant, accountant_id) =
        run.invite_and_join(&firm, "accountant@roundtrip-firm.example", "AdvancedUser");
    let (_junior, junior_id) = run.invite_and_join(&firm, "junior@roundtrip-firm.example", "User");
    let answer = run.accept(
        &firm,
        &firm,
        json!({ "type": "InviteUser", "email": "nobody@roundtrip-firm.example", "name": "Nobody", "role": "User" }),
    );
    let invitation = id_in(&answer["events"], "InvitationCreated", "invitation");
    run.accept(
        &firm,
        &firm,
        json!({ "type": "RevokeInvitation", "invitation": invitation }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "AssignRole", "user": junior_id, "role": "AdvancedUser" }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "AssignRole", "user": junior_id, "role": "User" }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "SetRelationshipManager", "user": accountant_id, "enabled": true }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "DisableUser", "user": junior_id }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "EnableUser", "user": junior_id }),
    );

    // Organisations.
    let answer = run.accept(
        &client,
        &client,
        json!({ "type": "AddOrganisation", "name": "Roundtrip Client BV",
                "participant_id": belgian_enterprise_number(777_001) }),
    );
    let client_org = id_in(&answer["events"], "OrganisationAdded", "organisation");
    run.accept(
        &client,
        &client,
        json!({ "type": "RenameOrganisation", "organisation": client_org, "name": "Roundtrip Client NV" }),
    );
    run.accept(
        &client,
        &client,
        json!({ "type": "ActivateOrganisation", "organisation": client_org }),
    );
    let answer = run.accept(
        &client,
        &client,
        json!({ "type": "RetrieveConnectionKey", "organisation": client_org }),
    );
    let key = id_in(&answer["events"], "ConnectionKeyIssued", "key");
    run.accept(
        &client,
        &client,
        json!({ "type": "ConfigureSoftwareConnection", "organisation": client_org, "software": "Ledger 7" }),
    );
    run.accept(
        &client,
        &client,
        json!({ "type": "RevokeConnectionKey", "key": key }),
    );
    let answer = run.accept(
        &firm,
        &firm,
        json!({ "type": "AddOrganisation", "name": "Roundtrip Firm BV",
                "participant_id": belgian_enterprise_number(777_002) }),
    );
    let firm_org = id_in(&answer["events"], "OrganisationAdded", "organisation");
    run.accept(
        &firm,
        &firm,
        json!({ "type": "ActivateOrganisation", "organisation": firm_org }),
    );

    // Memberships inside the firm.
    run.accept(
        &firm,
        &firm,
        json!({ "type": "AddMember", "organisation": firm_org, "user": junior_id, "role": "Member" }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "ChangeMemberRole", "organisation": firm_org, "user": junior_id, "role": "Manager" }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "RemoveMember", "organisation": firm_org, "user": junior_id }),
    );

    // Partnerships: declined, withdrawn, then accepted.
    let answer = run.accept(
        &client,
        &client,
        json!({ "type": "ProposePartnership", "environment": firm_env }),
    );
    let proposal = id_in(&answer["events"], "PartnershipRequested", "request");
    run.accept(
        &firm,
        &firm,
        json!({ "type": "DeclinePartnershipRequest", "request": proposal }),
    );
    let answer = run.accept(
        &client,
        &client,
        json!({ "type": "ProposePartnership", "environment": firm_env }),
    );
    let proposal = id_in(&answer["events"], "PartnershipRequested", "request");
    run.accept(
        &client,
        &client,
        json!({ "type": "WithdrawPartnershipRequest", "request": proposal }),
    );
    let answer = run.accept(
        &accountant,
        &firm,
        json!({ "type": "SendAuthorisationRequest", "email": "admin@roundtrip-client.example" }),
    );
    let request_id = id_in(&answer["events"], "PartnershipRequested", "request");
    let answer = run.accept(
        &client,
        &client,
        json!({ "type": "AcceptPartnershipRequest", "request": request_id }),
    );
    let partnership = id_in(&answer["events"], "PartnershipCreated", "partnership");
    run.accept(
        &firm,
        &firm,
        json!({ "type": "ConnectRelationshipManager", "partnership": partnership, "user": accountant_id }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "DisconnectRelationshipManager", "partnership": partnership, "user": accountant_id }),
    );
    run.accept(
        &client,
        &client,
        json!({ "type": "AddMember", "organisation": client_org, "user": accountant_id, "role": "Member" }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "TakeOnCosts", "organisation": client_org }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "ReleaseCosts", "organisation": client_org }),
    );

    // Documents, shares, sending.
    let document = run.upload(&client, &client_org, "Documents", "notes.xml");
    run.accept(
        &client,
        &client,
        json!({ "type": "ShareDocument", "document": document,
                "grantee": { "kind": "User", "id": accountant_id }, "level": "View" }),
    );
    run.accept(
        &client,
        &client,
        json!({ "type": "UnshareDocument", "document": document,
                "grantee": { "kind": "User", "id": accountant_id } }),
    );
    run.accept(
        &client,
        &client,
        json!({ "type": "DeleteDocument", "document": document }),
    );
    let outgoing = run.upload(&client, &client_org, "InboxOut", "invoice.xml");
    run.accept(
        &client,
        &client,
        json!({ "type": "SendDocument", "document": outgoing,
                "to": belgian_enterprise_number(777_002) }),
    );

    // Groups.
    let answer = run.accept(
        &accountant,
        &firm,
        json!({ "type": "CreateGroup", "name": "Roundtrip team" }),
    );
    let group = id_in(&answer["events"], "GroupCreated", "group");
    run.accept(
        &accountant,
        &firm,
        json!({ "type": "RenameGroup", "group": group, "name": "Roundtrip finance" }),
    );
    run.accept(
        &accountant,
        &firm,
        json!({ "type": "AddGroupMember", "group": group, "user": client_admin }),
    );
    run.accept(
        &accountant,
        &firm,
        json!({ "type": "RemoveGroupMember", "group": group, "user": client_admin }),
    );
    run.accept(
        &accountant,
        &firm,
        json!({ "type": "DeleteGroup", "group": group }),
    );

    // Workflow, on a purchase invoice of the firm (the firm has the add-on).
    let invoice = run.upload(&firm, &firm_org, "InboxIn", "purchase.xml");
    let (firm_admin, _) = run.me(&firm);
    let answer = run.accept(
        &firm,
        &firm,
        json!({ "type": "StartApprovalTask", "document": invoice, "assignee": firm_admin, "note": "please check" }),
    );
    let task = id_in(&answer["events"], "TaskStarted", "task");
    run.accept(
        &firm,
        &firm,
        json!({ "type": "AddMember", "organisation": firm_org, "user": accountant_id, "role": "Member" }),
    );
    run.accept(
        &firm,
        &firm,
        json!({ "type": "DelegateTask", "task": task, "to": accountant_id }),
    );
    run.accept(
        &accountant,
        &firm,
        json!({ "type": "ApproveTask", "task": task, "comment": "fine" }),
    );
    let answer = run.accept(
        &firm,
        &firm,
        json!({ "type": "StartApprovalTask", "document": invoice, "assignee": firm_admin, "note": null }),
    );
    let task = id_in(&answer["events"], "TaskStarted", "task");
    run.accept(
        &firm,
        &firm,
        json!({ "type": "RejectTask", "task": task, "reason": "wrong amount" }),
    );

    // Splitting, option 1, on the demo's Globex (its plan comes from the server).
    let world = demo_world();
    let labs = crate::support::org_named(&world, "Globex Labs BV");
    let hanna = run.api.login("hanna@globex.example");
    let (status, comparison) = run.api.call(
        "POST",
        "/api/split/compare",
        Some(&hanna),
        Some(json!({ "organisations": [labs] })),
    );
    assert_eq!(status, 200, "{comparison}");
    run.accept(
        &hanna,
        &hanna,
        json!({ "type": "ApplyAccessPlan", "plan": comparison["manage_access"] }),
    );

    // And the end of the partnership.
    run.accept(
        &client,
        &client,
        json!({ "type": "EndPartnership", "partnership": partnership }),
    );

    // Splitting, option 2, on a branch of the client: export, authorise, remove,
    // then recreate it in a new environment and import its bundle.
    let branch_id = belgian_enterprise_number(777_003);
    let answer = run.accept(
        &client,
        &client,
        json!({ "type": "AddOrganisation", "name": "Roundtrip Branch BV", "participant_id": branch_id }),
    );
    let branch = id_in(&answer["events"], "OrganisationAdded", "organisation");
    let cookie = format!("preflight_session={client}");
    let (status, _, bundle) = exchange(
        run.api.addr(),
        "POST",
        &format!("/api/organisations/{branch}/export"),
        &[("Cookie", cookie)],
        &[],
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bundle));
    run.kinds.insert("ExportOrganisation".into());
    let (_, audit) = run
        .api
        .call("GET", "/api/audit?limit=1", Some(&client), None);
    assert_eq!(audit[0]["command"]["type"], "ExportOrganisation", "{audit}");
    let digest = audit[0]["command"]["digest"].clone();
    run.accept(
        &client,
        &client,
        json!({ "type": "AuthoriseRemoval", "organisation": branch, "export": digest,
                "accept_loss": false, "plan": null }),
    );
    run.accept(
        &support,
        &client,
        json!({ "type": "ExecuteRemoval", "organisation": branch }),
    );
    let branch_admin = run.sign_up("Roundtrip Branch", "admin@roundtrip-branch.example");
    let answer = run.accept(
        &branch_admin,
        &branch_admin,
        json!({ "type": "AddOrganisation", "name": "Roundtrip Branch BV", "participant_id": branch_id }),
    );
    let branch = id_in(&answer["events"], "OrganisationAdded", "organisation");
    let cookie = format!("preflight_session={branch_admin}");
    let (status, _, imported) = exchange(
        run.api.addr(),
        "POST",
        &format!("/api/organisations/{branch}/import"),
        &[("Cookie", cookie)],
        &bundle,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&imported));
    run.kinds.insert("ImportBundle".into());
    // Exports and imports are made with their files, not through /api/commands.
    for command in [
        json!({ "type": "ExportOrganisation", "organisation": branch, "digest": digest }),
        json!({ "type": "ImportBundle", "organisation": branch, "bundle": digest,
                "participant_id": branch_id, "documents": [] }),
    ] {
        let (status, refused) = run.api.call(
            "POST",
            "/api/commands",
            Some(&branch_admin),
            Some(json!({ "command": command })),
        );
        assert_eq!(
            (status, refused["code"].as_str()),
            (422, Some("invalid_input")),
            "{command} without its file: {refused}"
        );
    }

    // A document's record is made only from its file: an upload names the upload
    // endpoint, a delivery comes only from the Peppol network.
    let digest = "00".repeat(32);
    for (kind, command) in [
        (
            "ReceiveDocument",
            json!({ "type": "ReceiveDocument", "to": belgian_enterprise_number(777_001),
                    "name": "x.xml", "sha256": digest, "size": 1, "summary": null }),
        ),
        (
            "UploadDocument",
            json!({ "type": "UploadDocument", "organisation": client_org, "doc_box": "Documents",
                    "name": "x.xml", "sha256": digest, "size": 1, "summary": null }),
        ),
    ] {
        let (status, refused) = run.api.call(
            "POST",
            "/api/commands",
            Some(&client),
            Some(json!({ "command": command })),
        );
        assert_eq!(
            (status, refused["code"].as_str()),
            (422, Some("invalid_input")),
            "{kind} without its file: {refused}"
        );
        run.kinds.insert(kind.to_string());
    }

    // Every kind was sent.
    let (_, document) = run.api.call("GET", "/api/openapi.json", None, None);
    let all: BTreeSet<String> = document["components"]["schemas"]["Command"]["oneOf"]
        .as_array()
        .expect("the command kinds")
        .iter()
        .filter_map(|k| {
            k["properties"]["type"]["enum"][0]
                .as_str()
                .map(String::from)
        })
        .collect();
    assert_eq!(all.len(), 50, "{all:?}");
    let missing: Vec<_> = all.difference(&run.kinds).collect();
    assert!(missing.is_empty(), "kinds never sent: {missing:?}");

    // Each accepted command reads back from the audit log exactly as sent.
    for (admin, version, command) in &run.accepted {
        let (status, entries) = run
            .api
            .call("GET", "/api/audit?limit=500", Some(admin), None);
        assert_eq!(status, 200, "{entries}");
        let entry = entries
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["version"].as_u64() == Some(*version))
            .unwrap_or_else(|| panic!("no audit entry at version {version} for {command}"));
        assert_eq!(&entry["command"], command, "the audit log's copy differs");
        assert_eq!(entry["outcome"], "accepted");
    }
}

//! The JSON API over a real socket: sessions, throttling, authority, secrecy,
//! bad input, conflicts (server issue §7).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use preflight_core::generate::DEMO_PASSWORD;
use preflight_core::{check, Action, Resource, World};
use serde_json::{json, Value};

use crate::support::{demo_world, org_named, RunningServer};

/// An HTTP/1.0 exchange with an optional session cookie and JSON body.
pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> (u16, String, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: preflight_session={cookie}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send head");
    stream.write_all(body.as_bytes()).expect("send body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let raw = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let set_cookie = head
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie:"))
        .map(|l| {
            l.split_once(':')
                .map(|x| x.1.trim().to_string())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let value = serde_json::from_str(body).unwrap_or(Value::Null);
    (status, set_cookie, value)
}

/// The session token a `Set-Cookie` header carries.
pub(crate) fn session_token(cookie: &str) -> String {
    cookie
        .split(';')
        .next()
        .and_then(|c| c.strip_prefix("preflight_session="))
        .expect("a session cookie")
        .to_string()
}

pub(crate) struct Api {
    server: RunningServer,
    _data: tempfile::TempDir,
}

impl Api {
    pub(crate) fn start() -> Api {
        Api::start_with(&[])
    }

    /// A server started with extra command-line arguments.
    pub(crate) fn start_with(args: &[&str]) -> Api {
        let data = tempfile::tempdir().expect("a temp dir");
        let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), args);
        Api {
            server,
            _data: data,
        }
    }

    /// The server's data directory.
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self._data.path()
    }

    pub(crate) fn addr(&self) -> &str {
        &self.server.addr
    }

    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let body = body.map(|b| b.to_string());
        let (status, _, value) = request(&self.server.addr, method, path, cookie, body.as_deref());
        (status, value)
    }

    /// Logs in; returns the session token.
    pub(crate) fn login(&self, email: &str) -> String {
        let body = json!({ "email": email, "password": DEMO_PASSWORD }).to_string();
        let (status, cookie, value) =
            request(&self.server.addr, "POST", "/api/session", None, Some(&body));
        assert_eq!(status, 200, "login of {email}: {value}");
        session_token(&cookie)
    }

    fn command(&self, token: &str, command: Value) -> (u16, Value) {
        self.call(
            "POST",
            "/api/commands",
            Some(token),
            Some(json!({ "command": command })),
        )
    }

    pub(crate) fn projection(&self, token: &str) -> World {
        let (status, value) = self.call("GET", "/api/projection", Some(token), None);
        assert_eq!(status, 200, "{value}");
        serde_json::from_value(value["world"].clone()).expect("a world")
    }
}

fn user_id(world: &World, email: &str) -> preflight_core::UserId {
    world.user_by_email(email).expect("a demo user").id
}

#[test]
fn login_me_logout_round_trip_with_a_strict_http_only_cookie() {
    let api = Api::start();
    let body = json!({ "email": "alice@acme.example", "password": DEMO_PASSWORD }).to_string();
    let (status, cookie, me) = request(&api.server.addr, "POST", "/api/session", None, Some(&body));
    assert_eq!(status, 200);
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(me["user"]["email"], "alice@acme.example");
    let token = api.login("alice@acme.example");
    assert_eq!(api.call("GET", "/api/me", Some(&token), None).0, 200);
    assert_eq!(
        api.call("DELETE", "/api/session", Some(&token), None).0,
        204
    );
    let (status, error) = api.call("GET", "/api/me", Some(&token), None);
    assert_eq!(
        (status, error["code"].as_str()),
        (401, Some("unauthenticated"))
    );
}

#[test]
fn failed_logins_are_throttled_per_account() {
    let api = Api::start();
    for _ in 0..5 {
        let (status, error) = api.call(
            "POST",
            "/api/session",
            None,
            Some(json!({ "email": "bob@acme.example", "password": "wrong" })),
        );
        assert_eq!(
            (status, error["code"].as_str()),
            (401, Some("wrong_credentials"))
        );
    }
    let (status, error) = api.call(
        "POST",
        "/api/session",
        None,
        Some(json!({ "email": "bob@acme.example", "password": DEMO_PASSWORD })),
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{error}"
    );
}

#[test]
fn a_forged_session_is_refused() {
    let api = Api::start();
    let (status, error) = api.call("GET", "/api/projection", Some(&"ab".repeat(32)), None);
    assert_eq!(
        (status, error["code"].as_str()),
        (401, Some("unauthenticated"))
    );
}

#[test]
fn a_disabled_user_is_refused_at_once_sessions_included() {
    let api = Api::start();
    let world = demo_world();
    let carla_token = api.login("carla@acme.example");
    let alice = api.login("alice@acme.example");
    let carla = user_id(&world, "carla@acme.example");
    let (status, body) = api.command(&alice, json!({ "type": "DisableUser", "user": carla }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(api.call("GET", "/api/me", Some(&carla_token), None).0, 401);
    let (status, _) = api.call(
        "POST",
        "/api/session",
        None,
        Some(json!({ "email": "carla@acme.example", "password": DEMO_PASSWORD })),
    );
    assert_eq!(status, 403);
}

#[test]
fn a_user_attempting_administrator_actions_is_refused_with_the_reason() {
    let api = Api::start();
    let world = demo_world();
    let carla = api.login("carla@acme.example");
    let office = org_named(&world, "Acme Accountants BV");
    let bob = user_id(&world, "bob@acme.example");
    let (status, error) = api.command(
        &carla,
        json!({ "type": "AddMember", "organisation": office, "user": bob, "role": "Manager" }),
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (403, Some("not_permitted")),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap_or("")
            .contains("Administrator"),
        "{error}"
    );
    // An organisation she cannot see answers as if it did not exist.
    let bakery = org_named(&world, "Bakery BV");
    let (status, error) = api.command(
        &carla,
        json!({ "type": "AddMember", "organisation": bakery, "user": bob, "role": "Member" }),
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("not_found")),
        "{error}"
    );
}

#[test]
fn a_partner_loses_everything_when_the_partnership_ends() {
    let api = Api::start();
    let world = demo_world();
    let bob = api.login("bob@acme.example");
    let owner = api.login("owner@bakerybv.example");
    let bakery = org_named(&world, "Bakery BV");
    assert!(api
        .projection(&bob)
        .documents()
        .any(|d| d.organisation == bakery));
    let acme = world
        .environments()
        .find(|e| e.name == "Acme Accountants")
        .expect("acme")
        .id;
    let bakery_env = world.organisation(bakery).expect("bakery").environment;
    let partnership = world
        .active_partnership(acme, bakery_env)
        .expect("partnered")
        .id;
    let (status, body) = api.command(
        &owner,
        json!({ "type": "EndPartnership", "partnership": partnership }),
    );
    assert_eq!(status, 200, "{body}");
    let slice = api.projection(&bob);
    assert!(!slice.documents().any(|d| d.organisation == bakery));
    let (status, error) = api.command(
        &bob,
        json!({ "type": "RetrieveConnectionKey", "organisation": bakery }),
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("not_found")),
        "{error}"
    );
}

#[test]
fn no_projection_holds_anything_its_user_may_not_see() {
    let api = Api::start();
    let world = demo_world();
    for login in preflight_core::generate::demo()
        .logins
        .iter()
        .filter(|l| !l.email.starts_with("support"))
    {
        let token = api.login(&login.email);
        let me = user_id(&world, &login.email);
        let slice = api.projection(&token);
        for doc in slice.documents() {
            assert!(
                check(&world, me, Action::View, Resource::Document(doc.id)).allowed,
                "{} sees document {}",
                login.email,
                doc.name
            );
        }
        for org in slice
            .organisations()
            .filter(|o| !o.participant_id.is_empty())
        {
            assert!(
                check(
                    &world,
                    me,
                    Action::ViewOrganisation,
                    Resource::Organisation(org.id)
                )
                .allowed,
                "{} sees organisation {}",
                login.email,
                org.name
            );
        }
        let me_user = world.user(me).expect("me");
        for user in slice.users() {
            let same = user.environment == me_user.environment;
            let partner = me_user.is_advanced()
                && world
                    .active_partnership(user.environment, me_user.environment)
                    .is_some();
            assert!(same || partner, "{} sees user {}", login.email, user.email);
        }
    }
}

#[test]
fn a_command_shown_an_outdated_preview_is_refused_and_changes_nothing() {
    let api = Api::start();
    let world = demo_world();
    let owner = api.login("owner@bakerybv.example");
    let bakery = org_named(&world, "Bakery BV");
    let document = world
        .documents()
        .find(|d| d.organisation == bakery)
        .expect("a document")
        .id;
    let finance = user_id(&world, "finance@bakerybv.example");
    let share = json!({ "type": "ShareDocument", "document": document, "grantee": { "kind": "User", "id": finance }, "level": "View" });
    let (status, shown) = api.call(
        "POST",
        "/api/preview",
        Some(&owner),
        Some(json!({ "command": share })),
    );
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["preview"]["allowed"], true);
    // Meanwhile the document is shared with them at Edit: the preview is outdated.
    let edit = json!({ "type": "ShareDocument", "document": document, "grantee": { "kind": "User", "id": finance }, "level": "Edit" });
    assert_eq!(api.command(&owner, edit).0, 200);
    let version = api.projection(&owner).version();
    let (status, error) = api.call(
        "POST",
        "/api/commands",
        Some(&owner),
        Some(json!({ "command": share, "expected": shown["outcome"] })),
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (409, Some("preview_outdated")),
        "{error}"
    );
    assert!(error["outcome"].is_object());
    assert_eq!(api.projection(&owner).version(), version);
}

#[test]
fn bad_input_gets_a_clear_4xx_and_never_a_500() {
    let api = Api::start();
    let alice = api.login("alice@acme.example");
    let cases = [
        json!({ "command": { "type": "NoSuchCommand" } }),
        json!({ "command": { "type": "CreateGroup", "name": "x", "extra": 1 } }),
        json!({ "command": { "type": "CreateGroup", "name": 42 } }),
        json!({ "commandx": {} }),
    ];
    for body in cases {
        let (status, error) = api.call("POST", "/api/commands", Some(&alice), Some(body.clone()));
        assert_eq!(status, 422, "{body} → {error}");
        assert_eq!(error["code"], "invalid_json");
        assert!(!error["message"].as_str().unwrap_or("").is_empty());
    }
    let (status, error) = api.command(&alice, json!({ "type": "CreateGroup", "name": "   " }));
    assert_eq!(
        (status, error["code"].as_str()),
        (422, Some("invalid_input")),
        "{error}"
    );
    let unknown = json!({ "type": "DisableUser", "user": uuid::Uuid::from_u128(7) });
    assert_eq!(api.command(&alice, unknown).0, 404);
    let huge = format!(
        "{{\"command\": {{\"type\": \"CreateGroup\", \"name\": \"{}\"}}}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let (status, _, error) = request(
        &api.server.addr,
        "POST",
        "/api/commands",
        Some(&alice),
        Some(&huge),
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (413, Some("too_large")),
        "{error}"
    );
}

#[test]
fn concurrent_conflicting_commands_have_exactly_one_winner() {
    let api = Api::start();
    let world = demo_world();
    let alice = api.login("alice@acme.example");
    let office = org_named(&world, "Acme Accountants BV");
    let bob = user_id(&world, "bob@acme.example");
    let addr = api.server.addr.clone();
    let command = json!({ "command": { "type": "AddMember", "organisation": office, "user": bob, "role": "Member" } }).to_string();
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (addr, alice, command) = (addr.clone(), alice.clone(), command.clone());
            std::thread::spawn(move || {
                request(&addr, "POST", "/api/commands", Some(&alice), Some(&command)).0
            })
        })
        .collect();
    let statuses: Vec<u16> = threads
        .into_iter()
        .map(|t| t.join().expect("a thread"))
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    // The log replays to what the server holds.
    let members: BTreeSet<_> = api
        .projection(&alice)
        .members_of(office)
        .iter()
        .copied()
        .collect();
    assert!(members.contains(&bob));
}

#[test]
fn administrators_read_their_environments_audit_log_with_refusals() {
    let api = Api::start();
    let alice = api.login("alice@acme.example");
    let carla = api.login("carla@acme.example");
    let (status, _) = api.command(
        &carla,
        json!({ "type": "CreateGroup", "name": "Not allowed" }),
    );
    assert_eq!(status, 403);
    let (status, log) = api.call("GET", "/api/audit?limit=20", Some(&alice), None);
    assert_eq!(status, 200, "{log}");
    let entries = log.as_array().expect("a list");
    assert!(
        entries
            .iter()
            .any(|e| e["outcome"] == "refused" && e["code"] == "not_permitted"),
        "{log}"
    );
    let (status, _) = api.call("GET", "/api/audit", Some(&carla), None);
    assert_eq!(status, 403);
}

#[test]
fn the_audit_log_shows_the_demo_worlds_history() {
    let api = Api::start();
    let alice = api.login("alice@acme.example");
    let (status, log) = api.call("GET", "/api/audit?limit=500", Some(&alice), None);
    assert_eq!(status, 200, "{log}");
    let entries = log.as_array().expect("a list");
    // Acme's own history: its sign-up, Alice inviting Bob.
    assert!(
        entries.iter().any(|e| e["command"]["type"] == "SignUp"
            && e["command"]["environment_name"] == "Acme Accountants"),
        "{log}"
    );
    assert!(
        entries.iter().any(|e| e["command"]["type"] == "InviteUser"
            && e["command"]["email"] == "bob@acme.example"
            && e["actor_name"] == "Alice Admin"),
        "{log}"
    );
    // Nothing of an environment Acme has nothing to do with: another
    // environment's sign-up is not Acme's history.
    assert!(
        entries.iter().all(|e| e["command"]["type"] != "SignUp"
            || e["command"]["environment_name"] == "Acme Accountants"),
        "{log}"
    );
    // Newest first, and every entry of the history was accepted.
    let times: Vec<i64> = entries.iter().filter_map(|e| e["at"].as_i64()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert!(entries.iter().all(|e| e["outcome"] == "accepted"), "{log}");
}

/// How many kill -9 rounds to run: `PREFLIGHT_CRASH_RUNS`, else 5 in the slow
/// suite (`PREFLIGHT_SLOW`, set by CI) and 2 otherwise.
fn crash_runs() -> usize {
    std::env::var("PREFLIGHT_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if std::env::var_os("PREFLIGHT_SLOW").is_some() {
            5
        } else {
            2
        })
}

#[test]
fn a_crash_never_loses_an_acknowledged_command() {
    crash_rounds(&[]);
}

/// The same kill -9 rounds with the log, the audit log and the sessions in
/// PostgreSQL (a fresh database of the test cluster).
#[test]
fn a_crash_never_loses_an_acknowledged_command_on_postgres() {
    let Some(cluster) = crate::stores::cluster() else {
        return;
    };
    let url = crate::stores::fresh_database(&cluster);
    crash_rounds(&["--database-url", &url]);
}

fn crash_rounds(extra_args: &[&str]) {
    let data = tempfile::tempdir().expect("a temp dir");
    let web = data.path().join("no-web-app");
    for round in 0..crash_runs() {
        let mut server = RunningServer::start(data.path(), &web, extra_args);
        let addr = server.addr.clone();
        let login = json!({ "email": "bob@acme.example", "password": DEMO_PASSWORD }).to_string();
        let (_, cookie, _) = request(&addr, "POST", "/api/session", None, Some(&login));
        let token = cookie
            .split(';')
            .next()
            .and_then(|c| c.strip_prefix("preflight_session="))
            .expect("a session")
            .to_string();
        // Several writers at once, so that commands are grouped.
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (addr, token) = (addr.clone(), token.clone());
                std::thread::spawn(move || {
                    let mut acknowledged = Vec::new();
                    for n in 0..10_000 {
                        let name = format!("crash {round}-{w}-{n}");
                        let body = json!({ "command": { "type": "CreateGroup", "name": name } })
                            .to_string();
                        let stream = TcpStream::connect(&addr);
                        if stream.is_err() {
                            break;
                        }
                        let (status, _, _) = std::panic::catch_unwind(|| {
                            request(&addr, "POST", "/api/commands", Some(&token), Some(&body))
                        })
                        .unwrap_or((0, String::new(), Value::Null));
                        match status {
                            200 => acknowledged.push(name),
                            0 => break,
                            other => panic!("unexpected status {other}"),
                        }
                    }
                    acknowledged
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(400 + 150 * round as u64));
        server.kill();
        let acknowledged: Vec<String> = writers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect();
        assert!(
            !acknowledged.is_empty(),
            "no command was acknowledged before the kill"
        );

        let server = RunningServer::start(data.path(), &web, extra_args);
        let (_, cookie, _) = request(&server.addr, "POST", "/api/session", None, Some(&login));
        let token = cookie
            .split(';')
            .next()
            .and_then(|c| c.strip_prefix("preflight_session="))
            .expect("a session");
        let (status, _, value) = request(&server.addr, "GET", "/api/projection", Some(token), None);
        assert_eq!(status, 200);
        let world: World = serde_json::from_value(value["world"].clone()).expect("a world");
        let names: BTreeSet<String> = world.groups().map(|g| g.name.clone()).collect();
        for name in &acknowledged {
            assert!(
                names.contains(name),
                "round {round}: acknowledged `{name}` was lost"
            );
        }
        drop(server);
    }
}

#[test]
fn split_simulation_over_http_then_option_1_applied_once_and_refused_when_stale() {
    let api = Api::start();
    let world = demo_world();
    let labs = org_named(&world, "Globex Labs BV");
    let body = json!({
        "organisations": [labs],
        "questions": { "separate_credit": true, "restrict_employees": false,
                       "client_manages_own_account": true, "central_overview": false },
    });

    // Only an Administrator of the environment may simulate its split.
    let ivo = api.login("ivo@globex.example");
    let (status, error) = api.call("POST", "/api/split/compare", Some(&ivo), Some(body.clone()));
    assert_eq!(
        (status, error["code"].as_str()),
        (403, Some("not_permitted")),
        "{error}"
    );

    let hanna = api.login("hanna@globex.example");
    let (status, comparison) = api.call(
        "POST",
        "/api/split/compare",
        Some(&hanna),
        Some(body.clone()),
    );
    assert_eq!(status, 200, "{comparison}");
    assert_eq!(comparison["recommendation"]["option"], "FullSeparation");
    let separation = &comparison["full_separation"]["impact"];
    assert!(
        separation["documents_deleted"].as_u64().unwrap_or(0) > 0,
        "{separation}"
    );
    let plan = comparison["manage_access"].clone();
    assert!(
        !plan["impact"]["changes"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "option 1 changes memberships: {plan}"
    );

    // Option 1 executes exactly once; the same plan is then stale.
    let (status, answer) = api.command(&hanna, json!({ "type": "ApplyAccessPlan", "plan": plan }));
    assert_eq!(status, 200, "{answer}");
    let (status, error) = api.command(&hanna, json!({ "type": "ApplyAccessPlan", "plan": plan }));
    assert_eq!(
        (status, error["code"].as_str()),
        (409, Some("stale_plan")),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap_or("")
            .contains("memberships"),
        "{error}"
    );

    // A malformed request names the field.
    let (status, error) = api.call(
        "POST",
        "/api/split/compare",
        Some(&hanna),
        Some(json!({ "organisations": [] })),
    );
    assert_eq!(
        (status, error["code"].as_str()),
        (422, Some("invalid_input")),
        "{error}"
    );
}

//! No leak (server issue §7): for every demo user, walk every read endpoint over
//! every id of the whole world, and check that no response names an entity the
//! user's projection does not hold, by id or by name.
//!
//! The projection itself is checked against the rules elsewhere
//! (`no_projection_holds_anything_its_user_may_not_see`, and the core's property
//! test); here it is the yardstick for everything else the server answers.

use std::collections::BTreeSet;

use preflight_core::{Command, World};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::api::{request, Api};
use crate::support::{demo_world, org_named};

/// Every id in a JSON value (strings that are UUIDs).
fn ids_in(value: &Value, out: &mut BTreeSet<Uuid>) {
    match value {
        Value::String(text) => {
            if let Ok(id) = Uuid::parse_str(text) {
                out.insert(id);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| ids_in(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| ids_in(v, out)),
        _ => {}
    }
}

fn ids_of(value: &Value) -> BTreeSet<Uuid> {
    let mut out = BTreeSet::new();
    ids_in(value, &mut out);
    out
}

/// What one user may not learn: ids of the world their projection lacks, and
/// the names that stand only on such entities.
struct Secrets {
    ids: BTreeSet<Uuid>,
    names: Vec<String>,
}

impl Secrets {
    /// `extra` are names of things made since `world` (the demo as seeded).
    fn of(world: &World, slice: &World, extra: &[&str]) -> Secrets {
        let all = ids_of(&serde_json::to_value(world).expect("a world serialises"));
        let visible = ids_of(&serde_json::to_value(slice).expect("a slice serialises"));
        let ids: BTreeSet<Uuid> = all.difference(&visible).copied().collect();
        let slice_text = serde_json::to_string(slice).expect("a slice serialises");
        let mut names = Vec::new();
        let mut hidden_name = |id: Uuid, name: &str| {
            // A name is a secret when its entity is hidden and nothing visible
            // carries the same words (two demo organisations may share a word).
            if ids.contains(&id) && name.len() >= 6 && !slice_text.contains(name) {
                names.push(name.to_string());
            }
        };
        for user in world.users() {
            hidden_name(user.id.0, &user.name);
            hidden_name(user.id.0, &user.email);
        }
        for organisation in world.organisations() {
            hidden_name(organisation.id.0, &organisation.name);
        }
        for environment in world.environments() {
            hidden_name(environment.id.0, &environment.name);
        }
        for document in world.documents() {
            hidden_name(document.id.0, &document.name);
        }
        for group in world.groups() {
            hidden_name(group.id.0, &group.name);
        }
        names.extend(
            extra
                .iter()
                .filter(|name| !slice_text.contains(*name))
                .map(|name| name.to_string()),
        );
        Secrets { ids, names }
    }

    /// Fails the test if `body` (the answer to `what`) names a secret.
    fn assert_kept(&self, who: &str, what: &str, body: &str) {
        let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let leaked: Vec<_> = ids_of(&value).intersection(&self.ids).copied().collect();
        assert!(
            leaked.is_empty(),
            "{who}: {what} reveals ids {leaked:?}: {body}"
        );
        for name in &self.names {
            assert!(
                !body.contains(name.as_str()),
                "{who}: {what} reveals the name {name:?}: {body}"
            );
        }
    }
}

#[test]
fn no_endpoint_reveals_anything_its_user_may_not_see() {
    let api = Api::start();
    let world = demo_world();
    let addr = api.addr().to_string();
    let logins = preflight_core::generate::demo().logins;
    let users: Vec<_> = world.users().map(|u| u.id).collect();
    let documents: Vec<_> = world.documents().map(|d| d.id).collect();
    let organisations: Vec<_> = world.organisations().map(|o| o.id).collect();
    let partnerships: Vec<_> = world.partnerships().map(|p| p.id).collect();
    let mut walked = 0usize;
    for login in logins.iter().filter(|l| !l.email.starts_with("support")) {
        let who = login.email.as_str();
        let token = api.login(who);
        let slice = api.projection(&token);
        let secrets = Secrets::of(&world, &slice, &[]);
        assert!(
            !secrets.ids.is_empty() && !secrets.names.is_empty(),
            "{who} sees the whole demo world: the walk would prove nothing"
        );
        eprintln!(
            "{who}: {} ids and {} names of the world kept from this user",
            secrets.ids.len(),
            secrets.names.len()
        );
        let mut get = |path: String| {
            let (status, body) = raw(&addr, "GET", &path, &token, None);
            assert!(status < 500, "{who}: GET {path} answered {status}: {body}");
            secrets.assert_kept(who, &format!("GET {path}"), &body);
            walked += 1;
        };
        for path in [
            "/api/me",
            "/api/projection",
            "/api/audit",
            "/api/audit?outcome=refused",
        ] {
            get(path.to_string());
        }
        for d in &documents {
            get(format!("/api/check?action=View&resource=document:{d}"));
            get(format!("/api/who-can?action=View&resource=document:{d}"));
            get(format!("/api/documents/{d}/content"));
        }
        for o in &organisations {
            get(format!(
                "/api/check?action=ViewOrganisation&resource=organisation:{o}"
            ));
            get(format!(
                "/api/who-can?action=ViewOrganisation&resource=organisation:{o}"
            ));
        }
        let some_document = documents[0];
        for u in &users {
            get(format!("/api/what-can?user={u}&action=View&kind=Document"));
            get(format!(
                "/api/what-can?user={u}&action=ViewOrganisation&kind=Organisation"
            ));
            get(format!(
                "/api/check?user={u}&action=View&resource=document:{some_document}"
            ));
        }
        let mut post = |path: &str, body: Value| {
            let text = body.to_string();
            let (status, answer) = raw(&addr, "POST", path, &token, Some(&text));
            assert!(
                status < 500,
                "{who}: POST {path} {text} answered {status}: {answer}"
            );
            secrets.assert_kept(who, &format!("POST {path} {text}"), &answer);
            walked += 1;
        };
        for o in &organisations {
            post("/api/split/compare", json!({ "organisations": [o] }));
        }
        // Previews of commands about every user and partnership: what they would
        // change is shown only where the caller may see it.
        for u in &users {
            let command = Command::DisableUser { user: *u };
            post("/api/preview", json!({ "command": command }));
        }
        for p in &partnerships {
            let command = Command::EndPartnership { partnership: *p };
            post("/api/preview", json!({ "command": command }));
        }
    }
    eprintln!("the walk covered {walked} requests");
    assert!(walked > 1000, "the walk covered {walked} requests");
}

/// One request; the status and the raw body.
fn raw(addr: &str, method: &str, path: &str, token: &str, body: Option<&str>) -> (u16, String) {
    let (status, _, value) = request(addr, method, path, Some(token), body);
    (status, value.to_string())
}

/// Reads what arrives on an open event stream for `for_how_long`.
fn drain(stream: &mut std::net::TcpStream, for_how_long: std::time::Duration) -> String {
    use std::io::Read;
    let until = std::time::Instant::now() + for_how_long;
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    while std::time::Instant::now() < until {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(_) => {} // the read timeout: keep listening until the deadline
        }
    }
    String::from_utf8_lossy(&received).to_string()
}

#[test]
fn the_live_stream_carries_nothing_its_user_may_not_see() {
    use std::io::Write;
    let api = Api::start();
    let world = demo_world();
    let addr = api.addr().to_string();
    let logins: Vec<_> = preflight_core::generate::demo()
        .logins
        .into_iter()
        .filter(|l| !l.email.starts_with("support"))
        .collect();
    // Every demo user listens.
    let mut listeners = Vec::new();
    for login in &logins {
        let token = api.login(&login.email);
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_millis(100)))
            .expect("timeout");
        let head = format!(
            "GET /api/events HTTP/1.0\r\nHost: {addr}\r\nCookie: preflight_session={token}\r\nAccept: text/event-stream\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).expect("subscribe");
        listeners.push((login.email.clone(), token, stream));
    }
    // Activity all over the world: each change concerns some of them only.
    let renamed_labs = "Globex Labs Renamed 7e1";
    let renamed_bakery = "Bakery Renamed 3c9";
    let new_group = "Northwind stream group 5d2";
    let invitee = "stream-invitee-8a4@acme.example";
    let activity = [
        (
            "hanna@globex.example",
            json!({ "type": "RenameOrganisation", "organisation": org_named(&world, "Globex Labs BV"), "name": renamed_labs }),
        ),
        (
            "owner@bakerybv.example",
            json!({ "type": "RenameOrganisation", "organisation": org_named(&world, "Bakery BV"), "name": renamed_bakery }),
        ),
        (
            "ahmed@northwind.example",
            json!({ "type": "CreateGroup", "name": new_group }),
        ),
        (
            "alice@acme.example",
            json!({ "type": "InviteUser", "email": invitee, "name": "Stream Invitee", "role": "User" }),
        ),
    ];
    for (email, command) in activity {
        let token = api.login(email);
        let (status, answer) = api.call(
            "POST",
            "/api/commands",
            Some(&token),
            Some(json!({ "command": command })),
        );
        assert_eq!(status, 200, "{email}: {command} → {answer}");
    }
    let extra = [renamed_labs, renamed_bakery, new_group, invitee];
    let mut delivered = 0;
    for (email, token, mut stream) in listeners {
        let received = drain(&mut stream, std::time::Duration::from_millis(300));
        assert!(received.contains("event: hello"), "{email}: {received}");
        let slice = api.projection(&token);
        let secrets = Secrets::of(&world, &slice, &extra);
        for data in received.lines().filter_map(|l| l.strip_prefix("data:")) {
            secrets.assert_kept(&email, "the event stream", data.trim());
            if data.contains("\"events\":[{") {
                delivered += 1;
            }
        }
    }
    // The stream did carry the changes to those who may see them.
    assert!(delivered >= 4, "{delivered} deliveries");
}

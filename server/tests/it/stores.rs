//! One suite, both stores: SQLite (the embedded default) and PostgreSQL (a
//! fresh database in the throwaway cluster `cargo xtask test` starts, named by
//! `PREFLIGHT_TEST_POSTGRES_URL`). The same log, the same audit pages, the
//! same positions; PostgreSQL's also under concurrent writers.

use std::sync::Arc;

use preflight_core::{Actor, Command, EnvironmentId, Event, Timestamp};
use preflight_server::postgres::PostgresStore;
use preflight_server::store::{Recorded, RecordedOutcome, SqliteStore, Store};

/// The cluster's URL, or why the PostgreSQL half cannot run. Under CI (or
/// `cargo xtask test`) the variable is always set.
pub fn cluster() -> Option<String> {
    match std::env::var("PREFLIGHT_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI runs without PREFLIGHT_TEST_POSTGRES_URL: run `cargo xtask test`")
        }
        Err(_) => {
            eprintln!("PREFLIGHT_TEST_POSTGRES_URL is not set: the PostgreSQL half is left to `cargo xtask test`");
            None
        }
    }
}

/// A fresh, empty database in the cluster, and its URL.
pub fn fresh_database(cluster: &str) -> String {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = postgres::Client::connect(cluster, postgres::NoTls).expect("the cluster");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a database");
    let (base, _) = cluster.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{name}")
}

/// Each store, fresh, with its name.
fn stores() -> Vec<(&'static str, Arc<dyn Store>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let sqlite = SqliteStore::open(&dir.path().join("log.sqlite3")).expect("sqlite");
    let mut out: Vec<(&'static str, Arc<dyn Store>, Option<tempfile::TempDir>)> =
        vec![("sqlite", Arc::new(sqlite), Some(dir))];
    if let Some(cluster) = cluster() {
        let store = PostgresStore::connect(&fresh_database(&cluster)).expect("postgres");
        out.push(("postgres", Arc::new(store), None));
    }
    out
}

/// The demo world's first events (sign-ups, users, organisations).
fn some_events(n: usize) -> Vec<Event> {
    preflight_core::generate::demo()
        .events
        .into_iter()
        .take(n)
        .collect()
}

fn environment_of(events: &[Event]) -> EnvironmentId {
    events
        .iter()
        .find_map(|e| match e {
            Event::EnvironmentCreated { environment, .. } => Some(*environment),
            _ => None,
        })
        .expect("an environment")
}

#[test]
fn both_stores_keep_the_log_in_order_and_read_it_back() {
    let events = some_events(40);
    for (name, store, _dir) in stores() {
        let owners = vec![None; 25];
        assert_eq!(
            store.append(&events[..25], &owners, 1).unwrap(),
            25,
            "{name}"
        );
        assert_eq!(
            store.append(&events[25..], &[None; 15], 2).unwrap(),
            40,
            "{name}"
        );
        assert_eq!(store.load_all().unwrap(), events, "{name}: read back whole");
        assert_eq!(
            store.load_after(30).unwrap(),
            events[30..].to_vec(),
            "{name}: the tail"
        );
        assert!(
            store.load_after(40).unwrap().is_empty(),
            "{name}: nothing after the end"
        );
    }
}

#[test]
fn both_stores_record_commands_and_page_the_audit_log_alike() {
    let events = some_events(12);
    let home = environment_of(&events);
    let other = EnvironmentId(uuid::Uuid::from_u128(7));
    let mut answers = Vec::new();
    for (name, store, _dir) in stores() {
        store.append(&events[..10], &[None; 10], 1).unwrap();
        let actor = Actor::Support {
            name: "Support".into(),
        };
        let batch: Vec<Recorded> = (0..30)
            .map(|i| Recorded {
                at: Timestamp(1_000 + i),
                actor: actor.clone(),
                command: Command::CreateGroup {
                    name: format!("Group {i}"),
                },
                content_of: None,
                outcome: if i % 3 == 0 {
                    RecordedOutcome::Refused {
                        code: "not_permitted".into(),
                        message: format!("refused {i}"),
                    }
                } else {
                    RecordedOutcome::Accepted {
                        events: vec![events[10 + (i as usize % 2)].clone()],
                        content_of: vec![None],
                        version: 0,
                    }
                },
                environments: if i % 5 == 0 {
                    vec![home, other]
                } else {
                    vec![home]
                },
            })
            .collect();
        let version = store.record(&batch).unwrap();
        assert_eq!(version, 10 + 20, "{name}: one event per accepted command");
        let page = store.audit(home, None, 7, None).unwrap();
        assert_eq!(page.len(), 7, "{name}");
        assert!(
            page.windows(2).all(|w| w[0].id > w[1].id),
            "{name}: newest first"
        );
        let older = store.audit(home, Some(page[6].id), 100, None).unwrap();
        assert_eq!(older.len(), 23, "{name}: the rest, older");
        let refused = store.audit(home, None, 100, Some("refused")).unwrap();
        assert_eq!(refused.len(), 10, "{name}");
        assert!(refused
            .iter()
            .all(|e| e.code.as_deref() == Some("not_permitted")));
        assert_eq!(
            store.audit(other, None, 100, None).unwrap().len(),
            6,
            "{name}"
        );
        // What the two stores answer is the same, but for the ids' numbering.
        let all: Vec<_> = store
            .audit(home, None, 100, None)
            .unwrap()
            .into_iter()
            .map(|e| (e.at, e.command, e.outcome, e.code, e.message, e.version))
            .collect();
        answers.push((name, all));
    }
    if let [(_, sqlite), (_, postgres)] = answers.as_slice() {
        assert_eq!(sqlite, postgres, "the two stores answer alike");
    }
}

#[test]
fn both_stores_find_an_organisations_content_and_rewrite_it_when_forgotten() {
    let demo = preflight_core::generate::demo();
    let (world, owners) = preflight_core::split::forget::replay_with_owners(&demo.events);
    let organisation = world
        .organisations()
        .find(|o| o.name == "Bakery BV")
        .expect("Bakery BV")
        .id;
    for (name, store, _dir) in stores() {
        store.append(&demo.events, &owners, 1).unwrap();
        let digests = store.content_digests(organisation).unwrap();
        assert!(
            !digests.is_empty(),
            "{name}: its documents' contents are found"
        );
        let forgotten = store.forget_organisation(organisation);
        match name {
            "sqlite" => assert!(forgotten.is_ok(), "{forgotten:?}"),
            // Rewriting rows is not erasure on PostgreSQL: it says so.
            _ => assert!(
                forgotten
                    .as_ref()
                    .is_err_and(|e| e.to_string().contains("not complete")),
                "{forgotten:?}"
            ),
        }
        assert!(
            store.content_digests(organisation).unwrap().is_empty(),
            "{name}: no row names the content any more"
        );
        let replayed = store.load_all().unwrap();
        assert_eq!(replayed.len(), demo.events.len(), "{name}");
    }
}

/// Several writers at once on PostgreSQL (the replicas of issue 22): the
/// positions are gap-free, and a reader following the log never sees a
/// position before an earlier one is committed.
#[test]
fn postgres_positions_are_gap_free_in_commit_order_under_concurrent_writers() {
    let Some(cluster) = cluster() else { return };
    let url = fresh_database(&cluster);
    let events = some_events(8);
    // Four writers, 25 appends each of 1, 2 or 3 events.
    const TOTAL: usize = 4 * (25 + 8 + 2 * 8);
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (url, events) = (url.clone(), events.clone());
            std::thread::spawn(move || {
                let store = PostgresStore::connect(&url).expect("a replica's store");
                let mut versions = Vec::new();
                for round in 0..25 {
                    let batch = &events[..1 + round % 3];
                    versions.push(store.append(batch, &vec![None; batch.len()], 1).unwrap());
                }
                versions
            })
        })
        .collect();
    // A reader follows the log as a replica would.
    let reader = {
        let url = url.clone();
        std::thread::spawn(move || {
            let store = PostgresStore::connect(&url).expect("a reader");
            let mut seen: Vec<Event> = Vec::new();
            let started = std::time::Instant::now();
            while started.elapsed() < std::time::Duration::from_secs(20) {
                let next = store.load_after(seen.len() as u64).unwrap();
                seen.extend(next);
                if seen.len() >= TOTAL {
                    break;
                }
            }
            seen
        })
    };
    let mut all: Vec<u64> = writers
        .into_iter()
        .flat_map(|w| w.join().expect("a writer"))
        .collect();
    all.sort_unstable();
    all.dedup();
    let store = PostgresStore::connect(&url).unwrap();
    let log = store.load_all().unwrap();
    assert_eq!(
        all.last().copied(),
        Some(log.len() as u64),
        "the last append ends the log"
    );
    let seen = reader.join().expect("the reader");
    assert_eq!(
        seen[..],
        log[..seen.len()],
        "what the reader followed is the log's prefix: no position skipped"
    );
    assert_eq!(log.len(), TOTAL);
}

#[test]
fn an_unusable_postgres_url_is_refused_with_one_clear_line() {
    let Some(cluster) = cluster() else { return };
    let (base, _) = cluster.rsplit_once('/').unwrap();
    let missing = PostgresStore::connect(&format!("{base}/no_such_database"))
        .err()
        .expect("refused");
    let text = missing.to_string();
    assert!(
        text.contains("cannot connect") && text.contains("no_such_database"),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
    let unreachable = PostgresStore::connect("postgres://preflight@127.0.0.1:1/postgres")
        .err()
        .expect("refused");
    assert!(
        unreachable.to_string().contains("cannot connect"),
        "{unreachable}"
    );
    let malformed = PostgresStore::connect("postgres://:::")
        .err()
        .expect("refused");
    assert!(malformed.to_string().contains("not one"), "{malformed}");
}

/// The credential tables on both stores: what one handle writes, a fresh
/// handle on the same database (a restart, or another replica) reads.
#[test]
fn both_stores_keep_credentials_sessions_devices_and_secrets_alike() {
    use preflight_core::{InvitationId, KeyId, UserId};
    use preflight_server::accounts::{Accounts, Subject};
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("accounts.sqlite3");
    type Opener = Box<dyn Fn() -> Accounts>;
    let mut backends: Vec<(&str, Opener)> = vec![(
        "sqlite",
        Box::new(move || Accounts::open(&path).expect("sqlite accounts")),
    )];
    if let Some(cluster) = cluster() {
        let url = fresh_database(&cluster);
        backends.push((
            "postgres",
            Box::new(move || {
                Accounts::on_postgres(preflight_server::postgres::pool(&url).expect("a pool"))
            }),
        ));
    }
    for (name, open) in backends {
        let (a, b) = (open(), open());
        let ann = Subject::User(UserId(uuid::Uuid::from_u128(5)));
        assert!(!a.has_email("Ann@Example.org").unwrap(), "{name}");
        a.set_password_hash(&ann, "Ann@Example.org", "hash-1")
            .unwrap();
        assert!(
            b.has_email("ann@example.org").unwrap(),
            "{name}: emails compare lowercased"
        );
        a.set_password_hash(&ann, "ann@example.org", "hash-2")
            .unwrap();
        assert_eq!(
            b.credentials(" ANN@example.org ").unwrap(),
            Some((ann.clone(), "hash-2".to_string())),
            "{name}: the new hash replaces the old"
        );
        assert_eq!(b.credentials("bob@example.org").unwrap(), None, "{name}");

        let first = a.create_session(&ann).unwrap();
        let second = a.create_session(&ann).unwrap();
        assert_eq!(open().session(&first).unwrap(), Some(ann.clone()), "{name}");
        a.end_session(&first).unwrap();
        assert_eq!(open().session(&first).unwrap(), None, "{name}: signed out");
        assert_eq!(
            open().session(&second).unwrap(),
            Some(ann.clone()),
            "{name}"
        );
        a.end_sessions_of(&ann).unwrap();
        assert_eq!(
            open().session(&second).unwrap(),
            None,
            "{name}: every session ends"
        );
        assert_eq!(open().session("not-a-token").unwrap(), None, "{name}");

        let device = a.remember_device("Ann@Example.org").unwrap();
        assert!(
            b.is_known_device(&device, "ann@example.org").unwrap(),
            "{name}"
        );
        assert!(
            !b.is_known_device(&device, "bob@example.org").unwrap(),
            "{name}"
        );

        let key = KeyId(uuid::Uuid::from_u128(9));
        a.store_key_secret(key, "key-secret").unwrap();
        assert_eq!(b.key_for_secret("key-secret").unwrap(), Some(key), "{name}");
        assert_eq!(b.key_for_secret("other").unwrap(), None, "{name}");
        let invitation = InvitationId(uuid::Uuid::from_u128(11));
        a.store_invitation_secret(invitation, "join-secret")
            .unwrap();
        assert_eq!(
            b.invitation_for_secret("join-secret").unwrap(),
            Some(invitation),
            "{name}"
        );
        assert_eq!(b.invitation_for_secret("nope").unwrap(), None, "{name}");
    }
}

/// A server on PostgreSQL: a second one on the same database is refused in
/// one line (until replicas decide writes together), and a removal, which
/// PostgreSQL could not erase yet, is refused before anything changes.
#[test]
fn one_server_writes_to_a_postgres_database_and_no_removal_is_executed_there() {
    use crate::client;
    use crate::support::RunningServer;
    use serde_json::json;
    let Some(cluster) = cluster() else { return };
    let url = fresh_database(&cluster);
    let data = tempfile::tempdir().expect("a temp dir");
    let web = data.path().join("no-web-app");
    let server = RunningServer::start(data.path(), &web, &["--database-url", &url]);

    let other = tempfile::tempdir().expect("a temp dir");
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_preflight-server"))
        .args(["--addr", "127.0.0.1:0", "--database-url", &url])
        .arg("--data")
        .arg(other.path())
        .env("RUST_LOG", "error")
        .output()
        .expect("the second server runs");
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "a second writer started: {said}");
    assert!(said.contains("another server already writes"), "{said}");

    let login = json!({ "email": "support@preflight.example", "password": preflight_core::generate::DEMO_PASSWORD });
    let reply = client::json(&server.addr, None, "POST", "/api/session", None, &login)
        .expect("Support signs in");
    assert_eq!(reply.status, 200, "{}", reply.json());
    let session = reply.cookie("preflight_session").expect("a session");
    let organisation = crate::support::org_named(&crate::support::demo_world(), "Bakery BV");
    let reply = client::json(
        &server.addr,
        None,
        "POST",
        "/api/commands",
        Some(&session),
        &json!({ "command": { "type": "ExecuteRemoval", "organisation": organisation } }),
    )
    .expect("an answer");
    assert!((400..500).contains(&reply.status), "{}", reply.json());
    assert!(
        reply.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("PostgreSQL") && m.contains("nothing was changed")),
        "{}",
        reply.json()
    );
    // The server still serves, and its log is in PostgreSQL.
    assert_eq!(server.get("/api/health").status, 200);
    // The demo's documents were stored there too: an owner downloads one.
    let login = json!({ "email": "owner@bakerybv.example", "password": preflight_core::generate::DEMO_PASSWORD });
    let owner = client::json(&server.addr, None, "POST", "/api/session", None, &login)
        .and_then(|reply| reply.cookie("preflight_session"))
        .expect("the owner signs in");
    let world = crate::support::demo_world();
    let document = world
        .documents()
        .find(|d| d.organisation == organisation && d.summary.is_some())
        .expect("an invoice of Bakery BV");
    let reply = client::json(
        &server.addr,
        None,
        "GET",
        &format!("/api/documents/{}/content", document.id),
        Some(&owner),
        &json!({}),
    )
    .expect("an answer");
    assert_eq!(reply.status, 200);
    assert_eq!(preflight_core::Sha256::of(&reply.body), document.sha256);
    let store = PostgresStore::connect(&url).expect("the database");
    assert_eq!(
        store.load_all().unwrap().len(),
        crate::support::n_demo_events(),
        "the demo world seeded into PostgreSQL"
    );
}

/// Document bytes on both stores, and the platform's signing key in
/// PostgreSQL: what one server writes, another on the same database reads.
#[test]
fn both_stores_keep_document_bytes_and_postgres_keeps_the_signing_key() {
    use preflight_server::blobs::Blobs;
    use preflight_server::bundle::Signer;
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut backends = vec![("files", Blobs::new(dir.path().join("blobs")), None)];
    if let Some(cluster) = cluster() {
        let url = fresh_database(&cluster);
        let pool = preflight_server::postgres::pool(&url).expect("a pool");
        backends.push((
            "postgres",
            Blobs::in_postgres(pool.clone()),
            Some((url, pool)),
        ));
    }
    for (name, blobs, postgres) in backends {
        let (a, b) = (b"first document".as_slice(), b"second document".as_slice());
        let digest = blobs.put(a).unwrap();
        assert_eq!(digest, preflight_core::Sha256::of(a), "{name}");
        assert_eq!(blobs.put(a).unwrap(), digest, "{name}: the same bytes once");
        assert!(blobs.has(&digest), "{name}");
        assert_eq!(blobs.get(&digest).unwrap().as_deref(), Some(a), "{name}");
        let many = blobs.put_many([a, b]).unwrap();
        assert_eq!(many.len(), 2, "{name}");
        assert_eq!(blobs.get(&many[1]).unwrap().as_deref(), Some(b), "{name}");
        assert!(blobs.delete(&digest).unwrap(), "{name}");
        assert!(!blobs.delete(&digest).unwrap(), "{name}: deleted once");
        assert!(
            !blobs.has(&digest) && blobs.get(&digest).unwrap().is_none(),
            "{name}"
        );
        if let Some((url, pool)) = postgres {
            // Another server on the same database reads the same bytes and
            // signs with the same key.
            let other = preflight_server::postgres::pool(&url).expect("another pool");
            assert_eq!(
                Blobs::in_postgres(other.clone())
                    .get(&many[1])
                    .unwrap()
                    .as_deref(),
                Some(b)
            );
            let first = Signer::load_or_create_in(&pool).unwrap();
            let second = Signer::load_or_create_in(&other).unwrap();
            let signed = first.sign(b"a bundle");
            assert!(
                second.verify(b"a bundle", &signed),
                "one key for the platform"
            );
        }
    }
}

//! Seeding, restarting and `--empty`, against the real binary and a temp data dir.

use crate::support::{demo_world, n_demo_events, RunningServer};

fn n_stored_events(data_dir: &std::path::Path) -> usize {
    let connection = rusqlite::Connection::open(data_dir.join("preflight.sqlite3"))
        .expect("the database exists");
    connection
        .query_row("SELECT COUNT(*) FROM events", [], |row| {
            row.get::<_, i64>(0)
        })
        .map(|count| usize::try_from(count).expect("a count is not negative"))
        .expect("the events table exists")
}

#[test]
fn health_reports_the_demo_world_on_a_fresh_data_dir() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), &[]);

    let response = server.get("/api/health");

    assert_eq!(response.status, 200, "{}", response.body);
    let body = response.json();
    let world = demo_world();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], world.version());
    assert_eq!(
        body["stats"],
        serde_json::to_value(world.stats()).expect("stats serialise")
    );
    assert!(
        server
            .banner
            .iter()
            .any(|line| line.contains("demo world seeded now")),
        "banner: {:?}",
        server.banner
    );
}

#[test]
fn restart_on_the_same_data_dir_keeps_the_version_and_does_not_seed_twice() {
    let data = tempfile::tempdir().expect("temp dir");
    let no_web_app = data.path().join("no-web-app");
    let first_version = {
        let server = RunningServer::start(data.path(), &no_web_app, &[]);
        server.get("/api/health").json()["version"].clone()
    };

    let server = RunningServer::start(data.path(), &no_web_app, &[]);
    let second_version = server.get("/api/health").json()["version"].clone();
    drop(server);

    assert_eq!(first_version, second_version);
    assert_eq!(n_stored_events(data.path()), n_demo_events());
}

#[test]
fn empty_flag_starts_without_the_demo_world() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = RunningServer::start(data.path(), &data.path().join("no-web-app"), &["--empty"]);

    let body = server.get("/api/health").json();

    assert_eq!(body["version"], 0);
    assert_eq!(body["stats"]["organisations"], 0);
}

#[test]
fn database_url_names_the_database_file() {
    let data = tempfile::tempdir().expect("temp dir");
    let database = data.path().join("elsewhere.db");
    let url = format!("sqlite://{}", database.display());
    let server = RunningServer::start(
        &data.path().join("unused"),
        &data.path().join("no-web-app"),
        &["--database-url", &url],
    );

    assert_eq!(server.get("/api/health").status, 200);
    assert!(database.is_file());
    assert!(!data.path().join("unused/preflight.sqlite3").exists());
}

#[test]
fn start_up_begins_from_the_latest_snapshot_and_replays_only_what_follows() {
    use preflight_server::store::{SqliteStore, Store};
    let data = tempfile::tempdir().expect("a temp dir");
    let web = data.path().join("no-web-app");
    drop(crate::support::RunningServer::start(data.path(), &web, &[]));
    // Snapshot the log as it is, marking the snapshot so that we can tell it was used.
    let store =
        SqliteStore::open(&preflight_server::database_in(data.path())).expect("the store opens");
    let mut world = preflight_core::World::default();
    for event in store.load_all().expect("events") {
        world.apply(&event);
    }
    let version = world.version();
    preflight_server::snapshot::write(data.path(), &world).expect("a snapshot");
    drop(store);
    let server = crate::support::RunningServer::start(data.path(), &web, &[]);
    let line = server
        .banner
        .iter()
        .find(|l| l.contains("database"))
        .expect("a database line");
    assert!(
        line.contains(&format!("snapshot at version {version} + 0 events")),
        "{line}"
    );
    let health = server.get("/api/health").json();
    assert_eq!(health["version"].as_u64(), Some(version));
}

/// Every file under `dir`, recursively, as bytes.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("a readable directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).expect("a readable file")));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn forgetting_an_organisation_leaves_its_document_content_in_no_file() {
    use preflight_core::split::forget::{command_content_owner, event_content_owner, FORGOTTEN};
    use preflight_core::{Actor, Command, Context, DocBox, Event, Sha256, Timestamp, World};
    use preflight_server::store::{Recorded, RecordedOutcome, SqliteStore, Store};

    let data = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&data.path().join("preflight.sqlite3")).expect("a store");
    // The demo world, stored as the server seeds it.
    let demo = preflight_core::generate::demo();
    let (mut world, owners) = preflight_core::split::forget::replay_with_owners(&demo.events);
    store.append(&demo.events, &owners, 1).expect("seeded");
    // The firm's own office: its environment has the Workflow Engine.
    let bakery = world
        .organisations()
        .find(|o| o.name == "Acme Accountants BV")
        .expect("the firm's office")
        .clone();
    let owner = world
        .user_by_email("alice@acme.example")
        .expect("its Administrator")
        .id;
    let actor = Actor::user(owner);

    // Content that stands only in this organisation's documents: a file's name
    // and digest, what the invoice says (its number), an approval note, a
    // rejection's reason, a refusal quoting a name.
    let secret_name = "zebra-invoice-91f2.xml";
    let secret_number = "Snippet1";
    let secret_note = "walrus-note-55e1";
    let secret_reason = "heron-reason-0c7d";
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/fixtures/peppol/base-example.xml"
    ))
    .expect("the fixture");
    let digest = Sha256::of(&bytes).to_string();
    let record = |world: &mut World, command: Command, at: i64| {
        let ctx = Context::deterministic(Timestamp(at), at as u128);
        let events = preflight_core::execute(world, &actor, command.clone(), &ctx)
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        let mut content_of = Vec::new();
        for event in &events {
            world.apply(event);
            content_of.push(event_content_owner(world, event));
        }
        store
            .record(&[Recorded {
                at: Timestamp(at),
                actor: actor.clone(),
                content_of: command_content_owner(world, &command),
                command,
                outcome: RecordedOutcome::Accepted {
                    events: events.clone(),
                    content_of,
                    version: world.version(),
                },
                environments: vec![bakery.environment],
            }])
            .expect("recorded");
        events
    };
    let (upload, _) = preflight_core::peppol::upload_command(
        bakery.id,
        DocBox::InboxIn,
        secret_name.into(),
        &bytes,
    )
    .expect("a readable invoice");
    let events = record(&mut world, upload, 10);
    let document = events
        .iter()
        .find_map(|e| match e {
            Event::DocumentAdded { document } => Some(document.id),
            _ => None,
        })
        .expect("a document");
    let events = record(
        &mut world,
        Command::StartApprovalTask {
            document,
            assignee: owner,
            note: Some(secret_note.into()),
        },
        11,
    );
    let task = events
        .iter()
        .find_map(|e| match e {
            Event::TaskStarted { task, .. } => Some(*task),
            _ => None,
        })
        .expect("a task");
    record(
        &mut world,
        Command::RejectTask {
            task,
            reason: secret_reason.into(),
        },
        12,
    );
    store
        .record(&[Recorded {
            at: Timestamp(13),
            actor: actor.clone(),
            content_of: Some(bakery.id),
            command: Command::DeleteDocument { document },
            outcome: RecordedOutcome::Refused {
                code: "not_permitted".into(),
                message: format!("you may not delete {secret_name}"),
            },
            environments: vec![bakery.environment],
        }])
        .expect("recorded");
    let secrets = [
        secret_name,
        secret_number,
        secret_note,
        secret_reason,
        digest.as_str(),
    ];
    let everything = files_under(data.path());
    for secret in secrets {
        assert!(
            everything.iter().any(|(_, bytes)| contains(bytes, secret)),
            "{secret} should be stored before it is forgotten"
        );
    }

    let forgotten = store.forget_organisation(bakery.id).expect("forgotten");
    assert!(
        forgotten.events >= 3 && forgotten.commands >= 3,
        "{forgotten:?}"
    );
    drop(store);

    for (path, bytes) in files_under(data.path()) {
        for secret in secrets {
            assert!(
                !contains(&bytes, secret),
                "{} still holds {secret}",
                path.display()
            );
        }
    }
    // The log still replays, version for version, to the same world, less
    // what the documents said.
    let store = SqliteStore::open(&data.path().join("preflight.sqlite3")).expect("reopened");
    let mut replayed = World::default();
    for event in store.load_all().expect("the log reads") {
        replayed.apply(&event);
    }
    assert_eq!(replayed.version(), world.version());
    let kept = replayed
        .document(document)
        .expect("the document's existence is kept");
    assert_eq!(kept.name, FORGOTTEN);
    assert_eq!(kept.sha256, Sha256::default());
    assert_eq!(
        replayed.documents().count(),
        world.documents().count(),
        "no document appears or disappears"
    );
    let audit = store
        .audit(bakery.environment, None, 500, None)
        .expect("the audit log reads");
    assert!(audit.len() >= 4);
}

#[test]
fn settling_the_store_empties_the_write_ahead_log_a_seed_left_long() {
    use preflight_server::store::{SqliteStore, Store};
    let data = tempfile::tempdir().expect("a temp dir");
    let database = preflight_server::database_in(data.path());
    let store = SqliteStore::open(&database).expect("the store opens");
    let demo = preflight_core::generate::demo();
    let owners = vec![None; demo.events.len()];
    store
        .append(&demo.events, &owners, 0)
        .expect("the demo's events are appended");
    let wal = database.with_extension("sqlite3-wal");
    let before = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert!(before > 0, "appending wrote to the write-ahead log");
    store.settle();
    assert_eq!(std::fs::metadata(&wal).map_or(0, |m| m.len()), 0);
    // Nothing was lost on the way into the database.
    assert_eq!(store.load_all().expect("events").len(), demo.events.len());
}

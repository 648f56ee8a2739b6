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

//! The Preflight server: the authority over the world.
//!
//! Durable state is an append-only event log (`store`); the `World` is rebuilt from
//! it at start and kept in memory. The same `preflight-core` runs in the browser, but
//! only the server's decisions count. The HTTP API lives under `/api`; every other
//! path serves the built web app, with `index.html` for client-side routes.

pub mod accounts;
pub mod api;
pub mod blobs;
pub mod bundle;
pub mod caller;
pub mod documents;
pub mod engine;
pub mod error;
pub mod listener;
pub mod lock;
pub mod openapi;
pub mod passwords;
pub mod postgres;
pub mod removal;
pub mod snapshot;
pub mod store;
pub mod support;
pub mod throttle;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{DefaultBodyLimit, OriginalUri, Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderName, HeaderValue, StatusCode, Version};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use preflight_core::generate::{self, DemoLogin, DEMO_PASSWORD};
use preflight_core::{Event, UserId, World, WorldStats};
use serde::Serialize;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::{AccountError, Accounts, Subject};
use crate::blobs::Blobs;
use crate::engine::Engine;
pub use crate::error::AppError;
use crate::store::{Recorded, RecordedOutcome, SqliteStore, Store, StoreError};
use preflight_core::split::forget::{command_content_owner, event_content_owner};

/// The largest request body the API accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The header that carries each request's id, set when the client sent none and
/// echoed in the response.
const REQUEST_ID_HEADER: &str = "x-request-id";

/// How the server is started (see `main.rs` for the command line).
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    /// The SQLite database file (or `:memory:`); with `postgres`, only its
    /// directory is used (the signing key, document bytes).
    pub database: PathBuf,
    /// The PostgreSQL database that holds the event log, the audit log and
    /// the credentials instead of the SQLite file.
    pub postgres: Option<String>,
    /// Append the demo world's events when the database holds none.
    pub seed_demo: bool,
    /// Seed the benchmark world (`SyntheticConfig::default()`, a million
    /// documents) instead of the demo world; for load tests.
    pub seed_synthetic: bool,
    /// Write a snapshot every this many events (0: never).
    pub snapshot_every: u64,
    /// The built web app (Trunk's dist directory).
    pub static_dir: PathBuf,
    /// The Support operator's password; printed once when generated.
    pub support_password: Option<String>,
    /// Mark the session cookie `Secure` (when served behind TLS).
    pub secure_cookies: bool,
    /// The largest export bundle an import accepts.
    pub max_bundle_bytes: u64,
    /// The proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: throttle::TrustedProxies,
    /// The most connections served at once (see [`listener`]).
    pub max_connections: usize,
}

/// The database file inside a data directory.
pub fn database_in(data_dir: &Path) -> PathBuf {
    data_dir.join("preflight.sqlite3")
}

/// What `--database-url` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file: a plain path, `sqlite:PATH` or `sqlite://PATH`.
    File(PathBuf),
    /// A PostgreSQL database: `postgres://…` or `postgresql://…`.
    Postgres(String),
}

/// Reads `--database-url`. Another kind of URL (`mysql://…`, say) is refused
/// with a sentence that says what this server stores its data in, rather than
/// taken for a file name.
pub fn database_from_url(url: &str) -> Result<DatabaseUrl, String> {
    let trimmed = url.trim();
    if let Some(path) = trimmed
        .strip_prefix("sqlite://")
        .or_else(|| trimmed.strip_prefix("sqlite:"))
    {
        if path.is_empty() {
            return Err("--database-url `sqlite://` names no file: give sqlite://PATH".into());
        }
        return Ok(DatabaseUrl::File(PathBuf::from(path)));
    }
    if trimmed.is_empty() {
        return Err(
            "--database-url is empty: give a SQLite file, e.g. sqlite://./data/preflight.sqlite3, or a postgres:// URL"
                .into(),
        );
    }
    if let Some((scheme, _)) = trimmed.split_once("://") {
        return match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Ok(DatabaseUrl::Postgres(trimmed.to_string())),
            other => {
                let engine = match other {
                    "mysql" | "mariadb" => "a MySQL URL",
                    _ => "a URL",
                };
                Err(format!(
                    "--database-url `{scheme}://…` is {engine}; this server keeps its data in SQLite or PostgreSQL: give a file path, sqlite://PATH or postgres://…"
                ))
            }
        };
    }
    Ok(DatabaseUrl::File(PathBuf::from(trimmed)))
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The single writer, and the latest published world.
    pub engine: Engine,
    pub accounts: Arc<Accounts>,
    /// Document bytes, by digest.
    pub blobs: Blobs,
    pub static_dir: PathBuf,
    /// Mark the session cookie `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// The data directory: snapshots, uploads in progress, the signing key.
    pub data_dir: PathBuf,
    /// The platform's key for export bundles.
    pub signer: Arc<bundle::Signer>,
    pub max_bundle_bytes: u64,
    /// The data directory's lock, held while the server runs (`None` for an
    /// in-memory database).
    pub lock: Option<Arc<lock::DataDirLock>>,
    /// On PostgreSQL, the claim of the one writing server, held while it runs.
    pub postgres_writer: Option<Arc<postgres::Writer>>,
    /// Hashes and checks passwords, fairly and with bounded memory.
    pub passwords: passwords::Passwords,
    /// Sign-in delays per account and per client address.
    pub throttle: Arc<throttle::Throttle>,
    /// The proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<throttle::TrustedProxies>,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Locked(#[from] lock::LockError),
    #[error("cannot open the event store: {0}")]
    Store(#[from] StoreError),
    #[error("a start-up task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Http(std::io::Error),
    #[error("cannot set up accounts: {0}")]
    Accounts(#[from] AccountError),
    #[error("cannot store the demo documents: {0}")]
    Blobs(std::io::Error),
    #[error("cannot finish erasing a removed organisation: {0}")]
    Erase(String),
}

/// Deletes what a crash left half written in `data_dir`: snapshot and upload
/// files now, temporary blob files on a background thread.
fn remove_leftovers(data_dir: &Path, blobs: &Blobs) {
    snapshot::remove_unfinished(data_dir);
    let _ = std::fs::remove_dir_all(data_dir.join("uploads"));
    let blobs = blobs.clone();
    let spawned = std::thread::Builder::new()
        .name("preflight-leftovers".into())
        .spawn(move || {
            // It walks the whole blob directory: give way to start-up and requests.
            let _ =
                thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
            match blobs.remove_leftovers() {
                Ok(0) => {}
                Ok(n) => tracing::info!(n, "removed temporary blob files left by a crash"),
                Err(error) => tracing::warn!(%error, "cannot remove temporary blob files"),
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the clean-up thread");
    }
}

/// What start-up did, for the banner.
pub struct Startup {
    /// The version of the snapshot start-up began from (0: none).
    pub from_snapshot: u64,
    /// The events replayed (after the snapshot).
    pub n_events: usize,
    pub seeded_demo: bool,
    /// The Support password, when start-up generated it (printed once).
    pub generated_support_password: Option<String>,
}

/// The Support operator's login.
pub const SUPPORT_EMAIL: &str = generate::SUPPORT_EMAIL;

/// Opens the store, seeds the demo world into an empty one (unless told not to) and
/// rebuilds the world from every stored event.
pub async fn open_state(config: &Config) -> Result<(AppState, Startup), ServeError> {
    let data_dir = config
        .database
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    // Before anything in the directory is opened: one server per directory.
    let lock = if config.database.as_os_str() == ":memory:" {
        None
    } else {
        let dir = if data_dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            data_dir.clone()
        };
        Some(Arc::new(
            tokio::task::spawn_blocking(move || lock::DataDirLock::acquire(&dir)).await??,
        ))
    };
    // On PostgreSQL: the writer's claim first, then the connections (which
    // migrate the schema), shared by the store and the credentials.
    let postgres = match config.postgres.clone() {
        Some(url) => Some(
            tokio::task::spawn_blocking(move || {
                let writer = postgres::Writer::claim(&url)?;
                Ok::<_, StoreError>((Arc::new(writer), postgres::pool(&url)?))
            })
            .await??,
        ),
        None => None,
    };
    let database = config.database.clone();
    let store: Arc<dyn Store> = match &postgres {
        Some((_, pool)) => Arc::new(postgres::PostgresStore::on(pool.clone())),
        None => Arc::new(tokio::task::spawn_blocking(move || SqliteStore::open(&database)).await??),
    };

    // The latest snapshot, if one is readable, then the events after it. On
    // PostgreSQL the world is replayed from the log alone: a snapshot in a
    // directory could belong to another database.
    let mut world = World::default();
    let latest = if postgres.is_some() {
        None
    } else {
        snapshot::latest(&data_dir)
    };
    if let Some((version, path)) = latest {
        match tokio::task::spawn_blocking(move || snapshot::load(&path)).await? {
            Ok(loaded) => world = loaded,
            Err(error) => tracing::warn!(version, %error, "skipping an unreadable snapshot"),
        }
    }
    let from_snapshot = world.version();
    let after = {
        let store = Arc::clone(&store);
        tokio::task::spawn_blocking(move || store.load_after(from_snapshot)).await??
    };
    let events = after;
    let n_events;
    let mut seeded_demo = false;
    // An empty database gets the benchmark world or the demo world, if asked for.
    let seed = if !events.is_empty() || from_snapshot > 0 {
        None
    } else if config.seed_synthetic {
        let mut synthetic = Vec::new();
        generate::synthetic(&generate::SyntheticConfig::default(), &mut |e| {
            synthetic.push(e)
        });
        Some(Seed::Synthetic(synthetic))
    } else if config.seed_demo {
        Some(Seed::Demo(Box::new(generate::demo())))
    } else {
        None
    };
    let blobs = match &postgres {
        Some((_, pool)) => Blobs::in_postgres(pool.clone()),
        None => Blobs::new(data_dir.join("blobs")),
    };
    if let Some(seed) = seed {
        // The bytes first: a crash between the two leaves unused files, never a
        // document without its bytes.
        if let Seed::Demo(demo) = &seed {
            let writer = blobs.clone();
            let contents = demo.contents.clone();
            tokio::task::spawn_blocking(move || {
                contents
                    .values()
                    .try_for_each(|bytes| writer.put(bytes).map(drop))
            })
            .await?
            .map_err(ServeError::Blobs)?;
        }
        let what = seed.what();
        let store = Arc::clone(&store);
        let (seeded, n) = tokio::task::spawn_blocking(move || seed.store(store.as_ref())).await??;
        tracing::info!(n_events = n, version = seeded.version(), "seeded {what}");
        world = seeded;
        n_events = n;
        seeded_demo = true;
    } else {
        for event in &events {
            world.apply(event);
        }
        n_events = events.len();
    }

    let database = config.database.clone();
    let accounts = Arc::new(match &postgres {
        Some((_, pool)) => Accounts::on_postgres(pool.clone()),
        None => tokio::task::spawn_blocking(move || Accounts::open(&database)).await??,
    });
    let generated_support_password =
        set_up_accounts(&accounts, &world, seeded_demo, config).await?;

    // What a crash can leave behind: snapshots and uploads half written (which
    // may hold documents since removed), temporary blob files.
    remove_leftovers(&data_dir, &blobs);
    // A crash between a removal and its erasure leaves work to finish.
    let world = {
        let (store, blobs, dir) = (Arc::clone(&store), blobs.clone(), data_dir.clone());
        tokio::task::spawn_blocking(move || {
            removal::recover(store.as_ref(), &blobs, &dir, &world).map(|_| world)
        })
        .await?
        .map_err(|e| ServeError::Erase(e.to_string()))?
    };
    let signer = {
        let dir = data_dir.clone();
        let pool = postgres.as_ref().map(|(_, pool)| pool.clone());
        Arc::new(
            tokio::task::spawn_blocking(move || match pool {
                Some(pool) => bundle::Signer::load_or_create_in(&pool),
                None => bundle::Signer::load_or_create(&dir),
            })
            .await?
            .map_err(ServeError::Blobs)?,
        )
    };
    // Seeding or a long replay leaves a long write-ahead log: it is emptied now,
    // before the first command, not in the middle of the first commands.
    {
        let store = Arc::clone(&store);
        tokio::task::spawn_blocking(move || store.settle()).await?;
    }
    let snapshots = (config.snapshot_every > 0 && postgres.is_none())
        .then(|| (data_dir.clone(), config.snapshot_every));
    let engine = Engine::start(world, Arc::clone(&store), snapshots);
    let state = AppState {
        store,
        engine,
        accounts,
        blobs,
        static_dir: config.static_dir.clone(),
        secure_cookies: config.secure_cookies,
        signer,
        data_dir,
        max_bundle_bytes: config.max_bundle_bytes,
        lock,
        postgres_writer: postgres.map(|(writer, _)| writer),
        passwords: passwords::Passwords::per_core(),
        throttle: Arc::new(throttle::Throttle::default()),
        trusted_proxies: Arc::new(config.trusted_proxies.clone()),
    };
    let startup = Startup {
        from_snapshot,
        n_events,
        seeded_demo,
        generated_support_password,
    };
    Ok((state, startup))
}

/// Gives the demo users their password (one argon2 hash, shared: they are demo
/// accounts) and makes sure a Support operator exists.
async fn set_up_accounts(
    accounts: &Arc<Accounts>,
    world: &World,
    seeded_demo: bool,
    config: &Config,
) -> Result<Option<String>, ServeError> {
    let demo_users: Vec<(UserId, String)> = if seeded_demo {
        world.users().map(|u| (u.id, u.email.clone())).collect()
    } else {
        Vec::new()
    };
    let accounts = Arc::clone(accounts);
    let wanted = config.support_password.clone();
    let generated = tokio::task::spawn_blocking(move || -> Result<Option<String>, AccountError> {
        if !demo_users.is_empty() {
            let hash = accounts::hash_password(DEMO_PASSWORD)?;
            for (user, email) in &demo_users {
                accounts.set_password_hash(&Subject::User(*user), email, &hash)?;
            }
        }
        let support = Subject::Support {
            email: SUPPORT_EMAIL.to_string(),
        };
        let (password, generated) = match wanted {
            Some(password) => (password, None),
            None if accounts.has_email(SUPPORT_EMAIL)? => return Ok(None),
            None if seeded_demo => (DEMO_PASSWORD.to_string(), None),
            None => {
                let password = accounts::new_secret()?.chars().take(20).collect::<String>();
                (password.clone(), Some(password))
            }
        };
        let hash = accounts::hash_password(&password)?;
        accounts.set_password_hash(&support, SUPPORT_EMAIL, &hash)?;
        Ok(generated)
    })
    .await??;
    Ok(generated)
}

/// Loads the whole event log off the async runtime.
pub async fn load_events(store: &Arc<dyn Store>) -> Result<Vec<Event>, ServeError> {
    let store = Arc::clone(store);
    Ok(tokio::task::spawn_blocking(move || store.load_all()).await??)
}

/// Appends events off the async runtime, each with the organisation whose
/// document content it carries; gives them back with the new version.
/// What an empty database is seeded with.
enum Seed {
    /// The benchmark world: events only.
    Synthetic(Vec<Event>),
    /// The demo world, stored as the commands that made it, so that its audit
    /// logs hold its history.
    Demo(Box<generate::Demo>),
}

impl Seed {
    fn what(&self) -> &'static str {
        match self {
            Seed::Synthetic(_) => "the synthetic benchmark world",
            Seed::Demo(_) => "the demo world",
        }
    }

    /// Stores the seed in one transaction; returns the world it makes and its
    /// number of events. Each event is stored with the organisation whose
    /// document content it carries, which the world after it tells.
    fn store(self, store: &dyn Store) -> Result<(World, usize), StoreError> {
        match self {
            Seed::Synthetic(events) => {
                let (world, owners) = preflight_core::split::forget::replay_with_owners(&events);
                store.append(&events, &owners, now_ms())?;
                Ok((world, events.len()))
            }
            Seed::Demo(demo) => {
                let mut world = World::default();
                let mut records = Vec::with_capacity(demo.history.len());
                for step in &demo.history {
                    let events = demo
                        .events
                        .get(step.events.clone())
                        .unwrap_or_default()
                        .to_vec();
                    let mut content_of = Vec::with_capacity(events.len());
                    for event in &events {
                        world.apply(event);
                        content_of.push(event_content_owner(&world, event));
                    }
                    records.push(Recorded {
                        at: step.at,
                        actor: step.actor.clone(),
                        content_of: command_content_owner(&world, &step.command),
                        command: step.command.clone(),
                        outcome: RecordedOutcome::Accepted {
                            events,
                            content_of,
                            version: world.version(),
                        },
                        environments: step.environments.clone(),
                    });
                }
                store.record(&records)?;
                Ok((world, demo.events.len()))
            }
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// The whole HTTP surface, without a socket (tests call it with `oneshot`).
pub fn app(state: AppState) -> Router {
    let (api, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(api::routes())
        .routes(routes!(health_get))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .merge(documents::routes())
        .merge(removal::routes())
        .merge(support::routes())
        .split_for_parts();
    let document = Arc::new(document);
    let api = api
        .route(
            "/openapi.json",
            get(move || {
                let document = Arc::clone(&document);
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .fallback(api_not_found)
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(json_compression());

    let index = state.static_dir.join("index.html");
    let router = Router::new().nest("/api", api);
    let router = if index.is_file() {
        // `cargo xtask` leaves a Zopfli gzip copy next to each built asset
        // (`*.wasm.gz`): sent as it is to browsers that accept gzip.
        // `Vary`, so that a shared cache does not hand the gzip copy to a client
        // that did not ask for it.
        let static_files = ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                header::VARY,
                HeaderValue::from_static("accept-encoding"),
            ))
            .service(
                ServeDir::new(&state.static_dir)
                    .precompressed_gzip()
                    .fallback(ServeFile::new(index)),
            );
        router.fallback_service(static_files)
    } else {
        router.fallback(web_app_missing)
    };

    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    router.with_state(state).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &Request| {
                        let request_id = request
                            .headers()
                            .get(REQUEST_ID_HEADER)
                            .and_then(|value| value.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!(
                            "request",
                            request_id,
                            method = %request.method(),
                            uri = %request.uri(),
                        )
                    })
                    .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::new(request_id)),
    )
}

/// gzip for the API's JSON answers (a projection is mostly repeated keys and
/// ids: 170 KB of it is 20-30 KB on the wire), for clients that ask for it.
/// Only JSON: the live stream must not be buffered, and document bytes and
/// bundles are sent as they are stored.
fn json_compression() -> CompressionLayer<impl Predicate> {
    let json = |_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| {
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"))
    };
    CompressionLayer::new()
        .no_br()
        .no_deflate()
        .no_zstd()
        .compress_when(DefaultPredicate::new().and(json))
}

/// `GET /api/health`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthResponse {
    pub status: &'static str,
    pub version: u64,
    pub stats: WorldStats,
}

/// Whether the server is up, and what its world holds.
#[utoipa::path(get, path = "/health", tag = "server", security(()),
    responses((status = 200, description = "Up.", body = HealthResponse)))]
async fn health_get(State(state): State<AppState>) -> Result<Json<HealthResponse>, AppError> {
    let world = state.engine.world();
    Ok(Json(HealthResponse {
        status: "ok",
        version: world.version(),
        stats: world.stats(),
    }))
}

async fn api_not_found(OriginalUri(uri): OriginalUri) -> AppError {
    AppError::NotFound(uri.path().to_string())
}

async fn web_app_missing() -> impl IntoResponse {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "The Preflight web app has not been built, or --static points at the wrong directory.\n\
         Run `cargo xtask run` from the repository root: it builds the web app and starts the server.\n\
         The API is up: try /api/health.\n",
    )
}

/// Serves `app(state)` on `listener` until `shutdown` completes, then lets
/// in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: listener::Limits,
) -> Result<(), ServeError> {
    listener::serve(listener, app(state), shutdown, limits)
        .await
        .map_err(ServeError::Http)
}

/// Starts the server as the binary does: open, seed, listen, print the banner,
/// serve until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> Result<(), ServeError> {
    let (state, startup) = open_state(&config).await?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.addr,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(ServeError::Http)?;
    let version = state.engine.world().version();
    print_banner(&config, &startup, version, local_addr);
    let limits = listener::Limits {
        max_connections: config.max_connections,
        ..listener::Limits::default()
    };
    serve(listener, state, shutdown_signal(), limits).await?;
    tracing::info!("stopped");
    Ok(())
}

fn print_banner(config: &Config, startup: &Startup, version: u64, local_addr: SocketAddr) {
    println!("preflight listening on http://{local_addr}");
    println!(
        "  database    {} ({}{} events{}, world version {version})",
        config.database.display(),
        if startup.from_snapshot > 0 {
            format!("snapshot at version {} + ", startup.from_snapshot)
        } else {
            String::new()
        },
        startup.n_events,
        if startup.seeded_demo {
            ", demo world seeded now"
        } else {
            ""
        },
    );
    let web_app = if config.static_dir.join("index.html").is_file() {
        String::new()
    } else {
        " (missing: run `cargo xtask run`)".to_string()
    };
    println!("  web app     {}{web_app}", config.static_dir.display());
    if let Some(password) = &startup.generated_support_password {
        println!();
        println!("Support operator: {SUPPORT_EMAIL} / {password}  (shown once; set PREFLIGHT_SUPPORT_PASSWORD to choose it)");
    }
    if config.seed_demo {
        println!();
        println!("demo logins (password for all: {DEMO_PASSWORD})");
        print!("{}", logins_table(&generate::demo().logins));
    }
}

/// The demo logins as an aligned text table: email, password, role.
pub fn logins_table(logins: &[DemoLogin]) -> String {
    let header = ("email", "password", "role");
    let email_width = logins
        .iter()
        .map(|login| login.email.len())
        .chain([header.0.len()])
        .max()
        .unwrap_or_default();
    let password_width = DEMO_PASSWORD.len().max(header.1.len());
    let mut table = format!(
        "  {:email_width$}  {:password_width$}  {}\n",
        header.0, header.1, header.2
    );
    for login in logins {
        table.push_str(&format!(
            "  {:email_width$}  {:password_width$}  {} ({})\n",
            login.email, DEMO_PASSWORD, login.role, login.environment
        ));
    }
    table
}

/// Completes on Ctrl-C or SIGTERM. A signal that cannot be listened for is ignored
/// rather than taken as a request to stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

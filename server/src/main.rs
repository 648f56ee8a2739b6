//! `preflight-server`: parses the command line, sets up logging, runs the server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// The Preflight server: API under /api, the web app everywhere else.
#[derive(Debug, Parser)]
#[command(name = "preflight-server", version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "PREFLIGHT_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,

    /// Directory for the SQLite database (`preflight.sqlite3`), the signing
    /// key and document bytes.
    #[arg(long, env = "PREFLIGHT_DATA", default_value = "./data")]
    data: PathBuf,

    /// The database: a SQLite file (a path, `sqlite:PATH` or `sqlite://PATH`,
    /// instead of the one in --data), or PostgreSQL 15 or newer
    /// (`postgres://user:password@host:port/database`), which then holds the
    /// event log, the audit log and the credentials.
    #[arg(long, env = "PREFLIGHT_DATABASE_URL")]
    database_url: Option<String>,

    /// Start without seeding the demo world into an empty database.
    #[arg(long)]
    empty: bool,

    /// Seed the benchmark world (a million documents) into an empty database
    /// instead of the demo world; its Administrators and Advanced users log in
    /// with the demo password. For load tests.
    #[arg(long, hide = true)]
    seed_synthetic: bool,

    /// Write a snapshot of the world every this many events (0: never).
    #[arg(long, env = "PREFLIGHT_SNAPSHOT_EVERY", default_value_t = preflight_server::snapshot::SNAPSHOT_EVERY)]
    snapshot_every: u64,

    /// The built web app (Trunk's output).
    #[arg(
        long = "static",
        env = "PREFLIGHT_STATIC",
        default_value = "frontend/dist"
    )]
    static_dir: PathBuf,

    /// The Support operator's password (else the demo password with the demo
    /// world, or a generated one printed once).
    #[arg(long, env = "PREFLIGHT_SUPPORT_PASSWORD", hide_env_values = true)]
    support_password: Option<String>,

    /// Mark the session cookie `Secure` (set when serving behind TLS).
    #[arg(long, env = "PREFLIGHT_SECURE_COOKIES")]
    secure_cookies: bool,

    /// The largest export bundle an import accepts, in bytes.
    #[arg(long, env = "PREFLIGHT_MAX_BUNDLE_BYTES", default_value_t = preflight_server::removal::MAX_BUNDLE_BYTES)]
    max_bundle_bytes: u64,

    /// The proxies in front of the server whose `X-Forwarded-For` names the
    /// client, as addresses or networks (`10.0.0.1,10.1.0.0/16`); none by
    /// default, so the header is ignored.
    #[arg(long, env = "PREFLIGHT_TRUSTED_PROXIES", default_value = "")]
    trusted_proxies: String,

    /// The most connections served at once; past it the quietest is closed.
    #[arg(long, env = "PREFLIGHT_MAX_CONNECTIONS", default_value_t = preflight_server::listener::MAX_CONNECTIONS)]
    max_connections: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let (database, postgres) = match &args.database_url {
        Some(url) => match preflight_server::database_from_url(url) {
            Ok(preflight_server::DatabaseUrl::File(path)) => (path, None),
            // The data directory still keeps the signing key and document bytes.
            Ok(preflight_server::DatabaseUrl::Postgres(url)) => {
                // Unusable (unreachable, refused, older than 15): said in one
                // line before anything is created.
                if let Err(error) = preflight_server::postgres::pool(&url) {
                    eprintln!("preflight-server: --database-url: {error}");
                    return ExitCode::from(2);
                }
                (preflight_server::database_in(&args.data), Some(url))
            }
            Err(message) => {
                eprintln!("preflight-server: {message}");
                return ExitCode::from(2);
            }
        },
        None => (preflight_server::database_in(&args.data), None),
    };
    let trusted_proxies =
        match preflight_server::throttle::TrustedProxies::parse(&args.trusted_proxies) {
            Ok(proxies) => proxies,
            Err(message) => {
                eprintln!("preflight-server: --trusted-proxies: {message}");
                return ExitCode::from(2);
            }
        };
    let config = preflight_server::Config {
        addr: args.addr,
        database,
        postgres,
        seed_demo: !args.empty,
        seed_synthetic: args.seed_synthetic,
        snapshot_every: args.snapshot_every,
        static_dir: args.static_dir,
        support_password: args.support_password,
        secure_cookies: args.secure_cookies,
        max_bundle_bytes: args.max_bundle_bytes,
        trusted_proxies,
        max_connections: args.max_connections.max(1),
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("preflight-server: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(preflight_server::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("preflight-server: {error}");
            ExitCode::FAILURE
        }
    }
}

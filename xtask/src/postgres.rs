//! A throwaway PostgreSQL cluster for the tests: Debian's `postgresql`
//! (installed with apt when missing), `initdb` into a directory under
//! `target/`, a free loopback port, trust authentication on loopback only.
//! As root (CI), the cluster runs as the package's unprivileged `postgres`
//! user. Stopped and removed when dropped, also when a test fails.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where Debian puts the server's programs, newest major version first.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Debian's PostgreSQL server programs, installed if missing.
pub fn ensure_installed() -> Result<PathBuf, String> {
    if let Some(bin) = bin_dir() {
        return Ok(bin);
    }
    if !is_root() {
        return Err(
            "PostgreSQL is missing and this is not root: run `sudo apt-get install -y postgresql`, then `cargo xtask test` again"
                .into(),
        );
    }
    for args in [
        vec!["update"],
        vec!["install", "-y", "--no-install-recommends", "postgresql"],
    ] {
        let status = Command::new("apt-get")
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        if !status.success() {
            return Err(format!("apt-get {} failed ({status})", args.join(" ")));
        }
    }
    bin_dir().ok_or_else(|| "apt-get installed postgresql, but no initdb was found".into())
}

/// A running cluster; see the module documentation.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    /// The unprivileged user it runs as, when this is root.
    user: Option<&'static str>,
}

impl Cluster {
    /// Starts a fresh cluster under `target`.
    pub fn start(target: &Path) -> Result<Cluster, String> {
        let bin = ensure_installed()?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port for PostgreSQL: {e}"))?
            .port();
        let dir = target.join(format!("postgres-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let user = is_root().then_some("postgres");
        if let Some(user) = user {
            // initdb refuses to run as root: the directory goes to the
            // package's user, and so does every directory above it that it
            // must pass through (they are only made searchable).
            let status = Command::new("chown")
                .args(["-R", &format!("{user}:{user}")])
                .arg(&dir)
                .status()
                .map_err(|e| format!("cannot run chown: {e}"))?;
            if !status.success() {
                return Err(format!("chown of {} failed", dir.display()));
            }
            let mut above = dir.parent();
            while let Some(path) = above {
                let _ = Command::new("chmod").arg("o+x").arg(path).status();
                above = path.parent();
            }
        }
        let cluster = Cluster {
            bin,
            dir,
            port,
            user,
        };
        let data = cluster.dir.join("data");
        cluster.run(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-U",
                "preflight",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )?;
        let options = format!(
            "-h 127.0.0.1 -p {port} -k {} -c fsync=on -c max_connections=200",
            cluster.dir.display()
        );
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-l",
                &cluster.dir.join("log").to_string_lossy(),
                "-o",
                &options,
                "-w",
                "start",
            ],
        )?;
        Ok(cluster)
    }

    /// The URL of its `postgres` database, for the superuser `preflight`.
    pub fn url(&self) -> String {
        format!("postgres://preflight@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let path = self.bin.join(program);
        let mut command = match self.user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let out = command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self.run(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
        let _ = fs::remove_dir_all(&self.dir);
    }
}

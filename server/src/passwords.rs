//! Password hashing, bounded and fair.
//!
//! An argon2id hash takes about 19 MiB and tens of milliseconds on purpose. On
//! the blocking pool, one hash per request, fifty concurrent wrong passwords
//! would be fifty threads each allocating 19 MiB, memory the allocator keeps
//! long after, and a real sign-in would wait behind them. Here a fixed set of worker threads, one per core (at most four), each owns
//! one block of argon2 memory, allocated and filled when it starts and reused
//! for every hash: the memory hashing needs is fixed, part of the server's
//! resident size from the start, and never grows. Work waits in a queue that is fair between clients: each client
//! (address) has its own line, and the workers take one job from each line in
//! turn, so a flood from one address delays another address by at most a job
//! per worker. A line holds at most [`PER_CLIENT`] jobs and the queue at most
//! [`QUEUED`]: beyond that the request is answered at once, without hashing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

/// The most jobs one client may have waiting or running.
pub const PER_CLIENT: usize = 4;
/// The most jobs waiting in all.
pub const QUEUED: usize = 1024;
/// The most workers: sign-ins need no more hashing at once, and each holds
/// its block of memory for good.
pub const MAX_WORKERS: usize = 4;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("too many sign-ins at once from your address; try again in a moment")]
    TooManyFromClient,
    #[error("the server is busy checking passwords; try again in a moment")]
    Busy,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("no random source: {0}")]
    Random(String),
    #[error("the password workers stopped")]
    Stopped,
}

enum Work {
    Hash {
        password: String,
        reply: oneshot::Sender<Result<String, PasswordError>>,
    },
    Verify {
        password: String,
        hash: String,
        reply: oneshot::Sender<Result<bool, PasswordError>>,
    },
}

/// The clients' lines, served in turn.
#[derive(Default)]
struct Lines {
    /// Clients with work waiting, in the order they are served next.
    turn: VecDeque<String>,
    waiting: HashMap<String, VecDeque<Work>>,
    /// Jobs per client, waiting or running.
    per_client: HashMap<String, usize>,
    queued: usize,
}

impl Lines {
    fn push(&mut self, client: &str, work: Work) -> Result<(), PasswordError> {
        let mine = self.per_client.get(client).copied().unwrap_or(0);
        if mine >= PER_CLIENT {
            return Err(PasswordError::TooManyFromClient);
        }
        if self.queued >= QUEUED {
            return Err(PasswordError::Busy);
        }
        *self.per_client.entry(client.to_string()).or_default() += 1;
        self.queued += 1;
        let line = self.waiting.entry(client.to_string()).or_default();
        if line.is_empty() {
            self.turn.push_back(client.to_string());
        }
        line.push_back(work);
        Ok(())
    }

    /// The next job, from the client whose turn it is.
    fn pop(&mut self) -> Option<(String, Work)> {
        let client = self.turn.pop_front()?;
        let line = self.waiting.get_mut(&client)?;
        let work = line.pop_front()?;
        if line.is_empty() {
            self.waiting.remove(&client);
        } else {
            self.turn.push_back(client.clone());
        }
        self.queued -= 1;
        Some((client, work))
    }

    fn done(&mut self, client: &str) {
        if let Some(n) = self.per_client.get_mut(client) {
            *n -= 1;
            if *n == 0 {
                self.per_client.remove(client);
            }
        }
    }
}

struct Shared {
    lines: Mutex<Lines>,
    ready: Condvar,
}

/// See the module documentation.
#[derive(Clone)]
pub struct Passwords {
    shared: Arc<Shared>,
}

impl Passwords {
    /// Starts `workers` hashing threads (at least one).
    pub fn start(workers: usize) -> Passwords {
        let shared = Arc::new(Shared {
            lines: Mutex::new(Lines::default()),
            ready: Condvar::new(),
        });
        for n in 0..workers.max(1) {
            let shared = Arc::clone(&shared);
            let spawned = std::thread::Builder::new()
                .name(format!("preflight-passwords-{n}"))
                .spawn(move || work(&shared));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password worker");
            }
        }
        Passwords { shared }
    }

    /// One worker per core the process may use, at most [`MAX_WORKERS`].
    pub fn per_core() -> Passwords {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Passwords::start(cores.min(MAX_WORKERS))
    }

    fn submit(&self, client: &str, work: Work) -> Result<(), PasswordError> {
        let mut lines = self
            .shared
            .lines
            .lock()
            .map_err(|_| PasswordError::Stopped)?;
        lines.push(client, work)?;
        drop(lines);
        self.shared.ready.notify_one();
        Ok(())
    }

    /// An argon2id hash of `password` in PHC form, in `client`'s line.
    pub async fn hash(&self, client: &str, password: String) -> Result<String, PasswordError> {
        let (reply, answer) = oneshot::channel();
        self.submit(client, Work::Hash { password, reply })?;
        answer.await.unwrap_or(Err(PasswordError::Stopped))
    }

    /// Whether `password` matches `hash` (PHC form), in `client`'s line.
    pub async fn verify(
        &self,
        client: &str,
        password: String,
        hash: String,
    ) -> Result<bool, PasswordError> {
        let (reply, answer) = oneshot::channel();
        self.submit(
            client,
            Work::Verify {
                password,
                hash,
                reply,
            },
        )?;
        answer.await.unwrap_or(Err(PasswordError::Stopped))
    }
}

/// A worker: takes jobs in turn, with one block of argon2 memory for all.
fn work(shared: &Shared) {
    // Filled now, at start: the memory is the server's from the beginning,
    // the same before, during and after a flood. (Freed and allocated again
    // per hash, it stayed with the allocator's per-thread arenas anyway.)
    let mut memory: Vec<Block> = vec![Block::default(); Params::default().block_count()];
    loop {
        let (client, job) = {
            let Ok(mut lines) = shared.lines.lock() else {
                return;
            };
            loop {
                if let Some(next) = lines.pop() {
                    break next;
                }
                lines = match shared.ready.wait(lines) {
                    Ok(lines) => lines,
                    Err(_) => return,
                };
            }
        };
        match job {
            Work::Hash { password, reply } => {
                let _ = reply.send(hash_with(&mut memory, &password));
            }
            Work::Verify {
                password,
                hash,
                reply,
            } => {
                let _ = reply.send(verify_with(&mut memory, &password, &hash));
            }
        }
        if let Ok(mut lines) = shared.lines.lock() {
            lines.done(&client);
        }
    }
}

fn hash_error(error: impl std::fmt::Display) -> PasswordError {
    PasswordError::Hash(error.to_string())
}

/// `memory` grown to what `params` needs (it is kept for the next job).
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    &mut memory[..needed]
}

/// An argon2id hash with the default parameters, in PHC form.
fn hash_with(memory: &mut Vec<Block>, password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(hash_error)?;
    let params = Params::default();
    let mut raw = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut raw,
            blocks(memory, &params),
        )
        .map_err(hash_error)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(hash_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&raw).map_err(hash_error)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches `phc`; a hash that cannot be read matches nothing.
fn verify_with(memory: &mut Vec<Block>, password: &str, phc: &str) -> Result<bool, PasswordError> {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return Ok(false);
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return Ok(false);
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(version)) => version,
        Some(Err(_)) => return Ok(false),
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return Ok(false);
    };
    let mut raw = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut raw,
            blocks(memory, &params),
        )
        .map_err(hash_error)?;
    // `Output`'s equality takes the same time whatever the bytes.
    Ok(Output::new(&raw).is_ok_and(|computed| computed == expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

    #[test]
    fn a_hash_verifies_its_password_with_the_standard_verifier_and_ours() {
        let mut memory = Vec::new();
        let hash = hash_with(&mut memory, "correct horse").unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        assert!(verify_with(&mut memory, "correct horse", &hash).unwrap());
        assert!(!verify_with(&mut memory, "wrong horse", &hash).unwrap());
        assert!(!verify_with(&mut memory, "x", "not a hash").unwrap());
    }

    #[test]
    fn hashes_made_by_the_standard_hasher_verify() {
        let hash = crate::accounts::hash_password("s3cret-enough").unwrap();
        let mut memory = Vec::new();
        assert!(verify_with(&mut memory, "s3cret-enough", &hash).unwrap());
    }

    #[test]
    fn clients_are_served_in_turn_and_lines_are_bounded() {
        let mut lines = Lines::default();
        let job = || {
            let (reply, _) = oneshot::channel();
            Work::Hash {
                password: String::new(),
                reply,
            }
        };
        for _ in 0..PER_CLIENT {
            lines.push("flood", job()).unwrap();
        }
        assert!(matches!(
            lines.push("flood", job()),
            Err(PasswordError::TooManyFromClient)
        ));
        lines.push("other", job()).unwrap();
        let order: Vec<String> = std::iter::from_fn(|| lines.pop().map(|(client, _)| client))
            .take(3)
            .collect();
        assert_eq!(order, ["flood", "other", "flood"]);
    }
}

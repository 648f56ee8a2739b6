//! The single writer: decides commands in order, makes them durable in groups,
//! and publishes the new world.
//!
//! Every command goes through one thread that owns the live [`World`]. It takes
//! whatever commands are waiting (up to [`MAX_BATCH`]), decides each with
//! `preflight_core` on the world as the previous ones left it, writes all their
//! events in one transaction (one fsync: group commit), and only then answers
//! them and publishes the new world to readers. A command is therefore always
//! decided on the latest version: optimistic concurrency without retries, and
//! conflicting commands see each other's effects. If the write fails, the world
//! is put back as it was and every command of the group is answered with the
//! error: nothing acknowledged is ever lost, nothing unacknowledged is applied.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use preflight_core::preview::{execute_as_previewed, Outcome, Refusal};
use preflight_core::split::forget::{command_content_owner, event_content_owner};
use preflight_core::{Actor, Command, CommandError, Context, Event, Timestamp, World};
use tokio::sync::{broadcast, oneshot};
use uuid::Uuid;

use crate::store::{Recorded, RecordedOutcome, Store, StoreError};

/// The most commands decided and written together.
pub const MAX_BATCH: usize = 512;

/// What a command became.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The world's version after the command's events.
    pub version: u64,
    pub actor: Actor,
    pub at: Timestamp,
    pub events: Vec<Event>,
}

/// Why the writer did not accept a command.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Refused(#[from] CommandError),
    /// The outcome the user was shown is no longer what executing would do.
    #[error("the state changed since the preview was computed")]
    PreviewOutdated {
        now: Box<Outcome>,
        /// Why executing it now is refused, when it is.
        refused: Option<CommandError>,
    },
    #[error("the event log could not be written: {0}")]
    Store(#[from] StoreError),
    #[error("the server is shutting down")]
    Stopped,
    #[error("the server is overloaded; try again")]
    Busy,
}

/// Where a command's answer goes.
type Reply = oneshot::Sender<Result<Committed, EngineError>>;

struct Job {
    actor: Actor,
    command: Command,
    /// The outcome the user saw (restricted to what they may see), if any.
    expected: Option<Outcome>,
    reply: Reply,
}

/// The handle through which requests submit commands and read the world.
#[derive(Clone)]
pub struct Engine {
    jobs: SyncSender<Job>,
    world: Arc<RwLock<Arc<World>>>,
    committed: broadcast::Sender<Arc<Committed>>,
}

impl Engine {
    /// Starts the writer thread over `world`, writing to `store` and, when given
    /// a directory and an interval, snapshots every that many events.
    pub fn start(
        world: World,
        store: Arc<dyn Store>,
        snapshots: Option<(std::path::PathBuf, u64)>,
    ) -> Engine {
        let (jobs, receiver) = sync_channel::<Job>(16 * MAX_BATCH);
        let published = Arc::new(RwLock::new(Arc::new(world.clone())));
        let (committed, _) = broadcast::channel(1024);
        let snapshots = snapshots
            .map(|(dir, every)| crate::snapshot::Snapshotter::new(dir, every, world.version()));
        let writer = Writer {
            world,
            store,
            published: Arc::clone(&published),
            committed: committed.clone(),
            snapshots,
        };
        std::thread::Builder::new()
            .name("preflight-writer".into())
            .spawn(move || writer.run(receiver))
            .map(|_| ())
            .unwrap_or_else(|error| tracing::error!(%error, "cannot start the writer thread"));
        Engine {
            jobs,
            world: published,
            committed,
        }
    }

    /// The latest published world (cheap: a shared pointer).
    pub fn world(&self) -> Arc<World> {
        match self.world.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Every committed command from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>> {
        self.committed.subscribe()
    }

    /// Decides and durably records `command`; answers once it is on disk.
    pub async fn submit(
        &self,
        actor: Actor,
        command: Command,
        expected: Option<Outcome>,
    ) -> Result<Committed, EngineError> {
        let (reply, answer) = oneshot::channel();
        match self.jobs.try_send(Job {
            actor,
            command,
            expected,
            reply,
        }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(EngineError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(EngineError::Stopped),
        }
        answer.await.unwrap_or(Err(EngineError::Stopped))
    }
}

struct Writer {
    world: World,
    store: Arc<dyn Store>,
    published: Arc<RwLock<Arc<World>>>,
    committed: broadcast::Sender<Arc<Committed>>,
    /// Where to write snapshots, and after how many events.
    snapshots: Option<crate::snapshot::Snapshotter>,
}

pub(crate) fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Timestamp(i64::try_from(ms).unwrap_or(i64::MAX))
}

fn fresh_context() -> Context {
    Context {
        now: now(),
        new_ids: (0..Context::IDS_NEEDED).map(|_| Uuid::new_v4()).collect(),
    }
}

impl Writer {
    fn run(mut self, receiver: Receiver<Job>) {
        while let Ok(first) = receiver.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.decide_batch(batch);
        }
        tracing::info!("the writer stopped: every acknowledged command is on disk");
    }

    fn decide_batch(&mut self, batch: Vec<Job>) {
        let before = self.world.clone();
        let mut answers: Vec<(Reply, Result<Committed, EngineError>)> =
            Vec::with_capacity(batch.len());
        let mut records = Vec::with_capacity(batch.len());
        for job in batch {
            let ctx = fresh_context();
            let decided = execute_as_previewed(
                &self.world,
                &job.actor,
                job.command.clone(),
                &ctx,
                job.expected.as_ref(),
            )
            .map_err(|refusal| match refusal {
                Refusal::Refused(error) => EngineError::Refused(error),
                Refusal::Outdated { now, refused } => EngineError::PreviewOutdated {
                    now: Box::new(now),
                    refused,
                },
            });
            let outcome = match &decided {
                Ok(events) => {
                    let mut content_of = Vec::with_capacity(events.len());
                    for event in events {
                        self.world.apply(event);
                        content_of.push(event_content_owner(&self.world, event));
                    }
                    RecordedOutcome::Accepted {
                        events: events.clone(),
                        content_of,
                        version: self.world.version(),
                    }
                }
                Err(EngineError::Refused(error)) => RecordedOutcome::Refused {
                    code: error.code().to_string(),
                    message: error.to_string(),
                },
                Err(other) => RecordedOutcome::Refused {
                    code: error_code(other).to_string(),
                    message: other.to_string(),
                },
            };
            let environments = match &decided {
                Ok(events) => {
                    preflight_core::audit::environments_of(&self.world, &job.actor, events)
                }
                Err(_) => preflight_core::audit::environments_of(&self.world, &job.actor, &[]),
            };
            records.push(Recorded {
                at: ctx.now,
                content_of: command_content_owner(&self.world, &job.command),
                actor: job.actor.clone(),
                command: job.command,
                outcome,
                environments,
            });
            let answer = decided.map(|events| Committed {
                version: self.world.version(),
                actor: job.actor,
                at: ctx.now,
                events,
            });
            answers.push((job.reply, answer));
        }
        match record_with_retries(self.store.as_ref(), &records) {
            Ok(_) => {
                if let Some(snapshots) = &mut self.snapshots {
                    snapshots.after_commit(&self.world);
                }
                let snapshot = Arc::new(self.world.clone());
                match self.published.write() {
                    Ok(mut guard) => *guard = snapshot,
                    Err(poisoned) => *poisoned.into_inner() = snapshot,
                }
                for (reply, answer) in answers {
                    if let Ok(committed) = &answer {
                        if !committed.events.is_empty() {
                            let _ = self.committed.send(Arc::new(committed.clone()));
                        }
                    }
                    let _ = reply.send(answer);
                }
                self.store.between_groups();
            }
            Err(error) => {
                tracing::error!(%error, "writing a group of commands failed; none of them was applied");
                self.world = before;
                let message = error.to_string();
                for (reply, _) in answers {
                    let _ =
                        reply.send(Err(EngineError::Store(StoreError::Failed(message.clone()))));
                }
            }
        }
    }
}

/// How often a group is written again when the database stayed busy past the
/// busy timeout (another writer of the same file held it that long).
const BUSY_RETRIES: u32 = 3;

/// Writes a group, again when the database was busy: such a failure wrote
/// nothing, and ordinary concurrency must not refuse commands.
fn record_with_retries(store: &dyn Store, records: &[Recorded]) -> Result<u64, StoreError> {
    let mut attempt = 0;
    loop {
        match store.record(records) {
            Err(error) if error.is_busy() && attempt < BUSY_RETRIES => {
                attempt += 1;
                tracing::warn!(%error, attempt, "the database was busy; writing the group again");
                std::thread::sleep(std::time::Duration::from_millis(50 * u64::from(attempt)));
            }
            other => return other,
        }
    }
}

/// The stable code of an engine error.
pub fn error_code(error: &EngineError) -> &'static str {
    match error {
        EngineError::Refused(e) => e.code(),
        EngineError::PreviewOutdated { .. } => "preview_outdated",
        EngineError::Store(_) => "internal",
        EngineError::Stopped => "unavailable",
        EngineError::Busy => "busy",
    }
}

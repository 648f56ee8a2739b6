//! The offline demo: the whole platform in the browser, no server.
//!
//! The world starts as core's seeded demo world (DOMAIN §9). Every command runs
//! through `preflight_core::preview::execute_as_previewed`, the function the
//! server's writer runs, so the demo refuses and explains exactly as the server
//! would. What is kept is the log of commands that were accepted after the seed
//! (with the time and ids they were decided with), plus uploaded files: loading
//! replays that log through the rules, so a stored or imported file that the
//! rules do not accept is refused as a whole and nothing half-applies.

use std::collections::BTreeMap;

use preflight_core::generate::{self, DemoLogin};
use preflight_core::peppol::{upload_command, Finding};
use preflight_core::preview::{execute_as_previewed, Outcome, Refusal};
use preflight_core::{
    check, project, Action, Actor, Command, Context, Created, DocBox, DocumentId, Event,
    OrganisationId, Resource, Sha256, Timestamp, UserId, World,
};
use serde::{Deserialize, Serialize};

/// What the saved state says it is.
pub const FORMAT: &str = "preflight-offline-demo";
/// The version of the saved state's layout; older saves are reset, with a message.
pub const FORMAT_VERSION: u32 = 1;
/// Where the state is kept in the browser.
pub const STORAGE_KEY: &str = "preflight.offline-demo";
/// The largest import accepted, in bytes.
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

/// One accepted command, with what it was decided with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub actor: Actor,
    pub command: Command,
    pub context: Context,
}

/// The saved (and exported) form.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    pub format: String,
    pub version: u32,
    pub acting: UserId,
    pub steps: Vec<Step>,
    /// Files uploaded during the demo (the seeded files are regenerated).
    pub uploads: Vec<Vec<u8>>,
}

/// The fields of [`Saved`] that say what a file is; everything else is ignored.
#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    version: Option<u64>,
}

/// Why a saved or imported state was not loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("this is not a Preflight demo file ({0})")]
    Malformed(String),
    #[error("this file is a {0}, not a Preflight demo")]
    Foreign(String),
    #[error("this demo was saved by an older version of Preflight (format {0}; this one reads {FORMAT_VERSION})")]
    OldVersion(u32),
    #[error("this demo was saved by a newer version of Preflight (format {0}; this one reads {FORMAT_VERSION})")]
    NewerVersion(u32),
    #[error("step {step} of the file is refused by the rules: {message}")]
    Refused { step: usize, message: String },
    #[error("the file is too large ({0} bytes; the limit is {MAX_IMPORT_BYTES})")]
    TooLarge(usize),
    #[error("the acting user of the file is not in the demo world")]
    UnknownUser,
}

/// Why a command was not run in the demo.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Refused(Refusal),
    #[error("{message}")]
    Unreadable { code: &'static str, message: String },
}

/// The demo's whole state.
#[derive(Clone, Debug)]
pub struct Offline {
    /// The whole world (the demo plays every part; screens show the acting user's
    /// projection of it, as the server would send it).
    world: World,
    contents: BTreeMap<Sha256, Vec<u8>>,
    steps: Vec<Step>,
    uploads: Vec<Vec<u8>>,
    acting: UserId,
    logins: Vec<DemoLogin>,
    /// The commands that made the demo world, for the audit logs.
    history: std::sync::Arc<Vec<generate::Step>>,
}

impl Offline {
    /// The seeded demo world, acting as its first demo login.
    pub fn fresh() -> Offline {
        let demo = generate::demo();
        let acting = demo
            .logins
            .iter()
            .find_map(|login| demo.world.user_by_email(&login.email).map(|u| u.id))
            .or_else(|| demo.world.users().next().map(|u| u.id))
            .unwrap_or(UserId(uuid::Uuid::nil()));
        Offline {
            world: demo.world,
            contents: demo.contents,
            steps: Vec::new(),
            uploads: Vec::new(),
            acting,
            logins: demo.logins,
            history: std::sync::Arc::new(demo.history),
        }
    }

    /// Loads a saved or imported state: checks what it is, then replays its steps
    /// through the rules on a fresh demo world.
    pub fn load(json: &str) -> Result<Offline, LoadError> {
        if json.len() > MAX_IMPORT_BYTES {
            return Err(LoadError::TooLarge(json.len()));
        }
        // What the file says it is, read before the rest so that a foreign or
        // older file is named as such rather than as malformed.
        let header: Header =
            serde_json::from_str(json).map_err(|e| LoadError::Malformed(e.to_string()))?;
        match header.format.as_deref() {
            Some(FORMAT) => {}
            Some(other) => return Err(LoadError::Foreign(format!("“{other}” file"))),
            None => return Err(LoadError::Foreign("JSON file without a format".into())),
        }
        match header.version {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) if v < u64::from(FORMAT_VERSION) => {
                return Err(LoadError::OldVersion(v as u32))
            }
            Some(v) => {
                return Err(LoadError::NewerVersion(
                    u32::try_from(v).unwrap_or(u32::MAX),
                ))
            }
            None => return Err(LoadError::Malformed("no version".into())),
        }
        let saved: Saved =
            serde_json::from_str(json).map_err(|e| LoadError::Malformed(e.to_string()))?;
        let mut offline = Offline::fresh();
        for bytes in saved.uploads {
            offline.contents.insert(Sha256::of(&bytes), bytes.clone());
            offline.uploads.push(bytes);
        }
        for (index, step) in saved.steps.into_iter().enumerate() {
            offline.apply(step).map_err(|message| LoadError::Refused {
                step: index + 1,
                message,
            })?;
        }
        if offline.world.user(saved.acting).is_none() {
            return Err(LoadError::UnknownUser);
        }
        offline.acting = saved.acting;
        Ok(offline)
    }

    /// The state to save or export.
    pub fn to_json(&self) -> String {
        let saved = Saved {
            format: FORMAT.to_string(),
            version: FORMAT_VERSION,
            acting: self.acting,
            steps: self.steps.clone(),
            uploads: self.uploads.clone(),
        };
        serde_json::to_string(&saved).unwrap_or_default()
    }

    fn apply(&mut self, step: Step) -> Result<(), String> {
        let events = preflight_core::execute(
            &self.world,
            &step.actor,
            step.command.clone(),
            &step.context,
        )
        .map_err(|e| e.to_string())?;
        self.commit(step, &events);
        Ok(())
    }

    fn commit(&mut self, step: Step, events: &[Event]) {
        for event in events {
            self.world.apply(event);
        }
        self.steps.push(step);
    }

    /// Runs a command as the acting user, as the server would (with the outcome the
    /// user was shown, refused if it would differ). Returns the new version.
    pub fn run(
        &mut self,
        command: Command,
        expected: Option<&Outcome>,
        context: Context,
    ) -> Result<u64, DemoError> {
        let actor = Actor::user(self.acting);
        let events = execute_as_previewed(&self.world, &actor, command.clone(), &context, expected)
            .map_err(DemoError::Refused)?;
        self.commit(
            Step {
                actor,
                command,
                context,
            },
            &events,
        );
        Ok(self.world.version())
    }

    /// Uploads a file into a box as the acting user, by the server's rules.
    pub fn upload(
        &mut self,
        organisation: OrganisationId,
        doc_box: DocBox,
        name: String,
        bytes: Vec<u8>,
        context: Context,
    ) -> Result<(DocumentId, Vec<Finding>), DemoError> {
        let (command, findings) =
            upload_command(organisation, doc_box, name, &bytes).map_err(|error| {
                DemoError::Unreadable {
                    code: error.code(),
                    message: error.to_string(),
                }
            })?;
        let actor = Actor::user(self.acting);
        let events = preflight_core::execute(&self.world, &actor, command.clone(), &context)
            .map_err(|e| DemoError::Refused(Refusal::Refused(e)))?;
        let document = Created::of(&events)
            .document
            .ok_or_else(|| DemoError::Unreadable {
                code: "internal",
                message: "the upload added no document".into(),
            })?;
        let digest = Sha256::of(&bytes);
        if let std::collections::btree_map::Entry::Vacant(entry) = self.contents.entry(digest) {
            entry.insert(bytes.clone());
            self.uploads.push(bytes);
        }
        self.commit(
            Step {
                actor,
                command,
                context,
            },
            &events,
        );
        Ok((document, findings))
    }

    /// The bytes of a document, if the acting user may view it.
    pub fn content(&self, document: DocumentId) -> Option<Vec<u8>> {
        if !check(
            &self.world,
            self.acting,
            Action::View,
            Resource::Document(document),
        )
        .allowed
        {
            return None;
        }
        let doc = self.world.document(document)?;
        self.contents.get(&doc.sha256).cloned()
    }

    /// What the acting user would receive from the server.
    pub fn projection(&self) -> World {
        project(&self.world, self.acting)
    }

    pub fn acting(&self) -> UserId {
        self.acting
    }

    /// Acts as another user of the demo world.
    pub fn act_as(&mut self, user: UserId) -> bool {
        if self.world.user(user).is_some() {
            self.acting = user;
            true
        } else {
            false
        }
    }

    /// The whole world (for the user switcher: every user the presenter may pick).
    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn logins(&self) -> &[DemoLogin] {
        &self.logins
    }

    /// The commands that concern the acting user's environment, newest first,
    /// as the server's audit log lists them: those accepted since the seed
    /// (made by its users), then the demo's history. Administrators only,
    /// as on the server.
    pub fn audit(&self) -> Result<Vec<crate::api::AuditEntry>, String> {
        let me = self.world.user(self.acting).ok_or("no acting user")?;
        let may = preflight_core::check(
            &self.world,
            me.id,
            preflight_core::Action::ReadAuditLog,
            preflight_core::Resource::Environment(me.environment),
        );
        if !may.allowed {
            return Err(format!(
                "you may not read the audit log: {}",
                may.explain(&self.world).join("; ")
            ));
        }
        let vis = preflight_core::project::Visibility::of(&self.world, me.id);
        Ok(self
            .steps
            .iter()
            .rev()
            .filter(|step| match &step.actor {
                Actor::User { id } => self
                    .world
                    .user(*id)
                    .is_some_and(|u| u.environment == me.environment),
                _ => false,
            })
            .map(|step| (step.context.now, &step.actor, &step.command))
            // Then the demo's own history, as the server seeds its audit logs.
            .chain(
                self.history
                    .iter()
                    .rev()
                    .filter(|step| step.environments.contains(&me.environment))
                    .map(|step| (step.at, &step.actor, &step.command)),
            )
            .map(|(at, actor, command)| crate::api::AuditEntry {
                id: None,
                at,
                actor: actor.clone(),
                // What it carries of things the reader may not see stays out.
                command: vis
                    .as_ref()
                    .map_or_else(|| command.clone(), |vis| vis.command(command)),
                outcome: "accepted".into(),
                code: None,
                message: None,
                version: None,
                actor_name: actor
                    .user_id()
                    .and_then(|id| self.world.user(id))
                    .map(|u| u.name.clone()),
            })
            .collect())
    }

    /// Commands accepted since the seed.
    pub fn n_steps(&self) -> usize {
        self.steps.len()
    }
}

/// A context with the time now and fresh random ids.
pub fn fresh_context(now: Timestamp, random: impl Fn() -> u128) -> Context {
    Context {
        now,
        new_ids: (0..Context::IDS_NEEDED)
            .map(|_| uuid::Builder::from_random_bytes(random().to_le_bytes()).into_uuid())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use preflight_core::{Grantee, Level};

    fn counter() -> impl Fn() -> u128 {
        let next = std::cell::Cell::new(1u128);
        move || {
            let n = next.get();
            next.set(n + 1);
            n.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
        }
    }

    /// The demo, acting as the owner of Bakery BV (DOMAIN §9).
    fn as_bakery_owner() -> Offline {
        let mut offline = Offline::fresh();
        let owner = offline
            .world()
            .user_by_email("owner@bakerybv.example")
            .unwrap()
            .id;
        assert!(offline.act_as(owner));
        offline
    }

    fn share_something(offline: &mut Offline) -> (DocumentId, UserId) {
        let world = offline.world().clone();
        let me = offline.acting();
        let document = world
            .documents()
            .find(|d| check(&world, me, Action::Manage, Resource::Document(d.id)).allowed)
            .map(|d| d.id)
            .unwrap();
        let other = world
            .users()
            .find(|u| {
                u.id != me
                    && !check(&world, u.id, Action::View, Resource::Document(document)).allowed
                    && u.environment == world.user(me).unwrap().environment
            })
            .map(|u| u.id)
            .unwrap();
        let random = counter();
        offline
            .run(
                Command::ShareDocument {
                    document,
                    grantee: Grantee::User(other),
                    level: Level::View,
                },
                None,
                fresh_context(Timestamp(1_800_000_000_000), &random),
            )
            .unwrap();
        (document, other)
    }

    #[test]
    fn offline_demo_saved_state_replays_to_the_same_world() {
        let mut offline = as_bakery_owner();
        let (document, other) = share_something(&mut offline);
        let loaded = Offline::load(&offline.to_json()).unwrap();
        assert_eq!(loaded.world(), offline.world());
        assert!(
            check(
                loaded.world(),
                other,
                Action::View,
                Resource::Document(document)
            )
            .allowed
        );
    }

    #[test]
    fn offline_demo_refuses_foreign_old_and_malformed_files() {
        assert!(matches!(Offline::load("{"), Err(LoadError::Malformed(_))));
        assert!(matches!(
            Offline::load(r#"{"format":"something-else","version":1}"#),
            Err(LoadError::Foreign(_))
        ));
        assert!(matches!(
            Offline::load(r#"{"format":"preflight-offline-demo","version":0}"#),
            Err(LoadError::OldVersion(0))
        ));
        let mut offline = as_bakery_owner();
        share_something(&mut offline);
        // A step the rules refuse (sharing as a user who may not) spoils the file.
        let mut saved: Saved = serde_json::from_str(&offline.to_json()).unwrap();
        let outsider = offline
            .world()
            .users()
            .find(|u| u.environment != offline.world().user(offline.acting()).unwrap().environment)
            .unwrap()
            .id;
        saved.steps[0].actor = Actor::user(outsider);
        let tampered = serde_json::to_string(&saved).unwrap();
        assert!(matches!(
            Offline::load(&tampered),
            Err(LoadError::Refused { step: 1, .. })
        ));
    }

    #[test]
    fn offline_demo_serves_contents_only_to_who_may_view() {
        let mut offline = as_bakery_owner();
        let document = offline
            .world()
            .documents()
            .find(|d| offline.content(d.id).is_some())
            .map(|d| d.id)
            .unwrap();
        let outsider = offline
            .world()
            .users()
            .find(|u| {
                !check(
                    offline.world(),
                    u.id,
                    Action::View,
                    Resource::Document(document),
                )
                .allowed
            })
            .unwrap()
            .id;
        offline.act_as(outsider);
        assert!(offline.content(document).is_none());
    }
}

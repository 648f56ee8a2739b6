//! The signed-in user and their projection of the world, as one reactive store,
//! and the one place that knows where the data comes from.
//!
//! Pages read the store and ask `preflight-core` every question; nothing here
//! decides anything. Commands, files and reloads go through [`Session`], which
//! sends them to the server or, in the offline demo, runs them through the same
//! core function the server's writer runs (`execute_as_previewed`). The screens
//! are the same in both.

use std::sync::Arc;

use leptos::prelude::*;
use preflight_core::peppol::Finding;
use preflight_core::preview::{Outcome, Refusal};
use preflight_core::{Command, DocBox, DocumentId, OrganisationId, User, UserId, World};

use crate::api::{self, ApiError, Me};
use crate::offline::{self, DemoError, Offline};

/// A signed-in user with their slice of the world.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub me: User,
    pub environment_name: String,
    pub world: Arc<World>,
    /// Whether this is the offline demo (no server; the presenter acts as anyone).
    pub offline: bool,
}

/// Where the session stands.
#[derive(Clone, Debug)]
pub enum SessionState {
    /// Asking the server who is signed in (or building the offline demo).
    Loading,
    SignedOut,
    /// A platform Support operator: the removals to execute.
    Support {
        email: String,
    },
    SignedIn(SignedIn),
    /// The server could not be asked.
    Failed(ApiError),
}

/// Whether the live stream of the server's events is connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    Off,
    Connecting,
    Connected,
    /// The connection dropped; the browser retries on its own.
    Retrying,
}

/// The store, shared through the context.
#[derive(Clone, Copy)]
pub struct Session {
    pub state: RwSignal<SessionState>,
    /// A message for the whole app (an offline demo that had to be reset, a lost
    /// session), dismissed by the user.
    pub banner: RwSignal<Option<String>>,
    pub live: RwSignal<Live>,
    offline: StoredValue<Option<Offline>, LocalStorage>,
    stream: StoredValue<Option<web_sys::EventSource>, LocalStorage>,
    /// A reload is running; another was asked for meanwhile.
    reloading: StoredValue<(bool, bool)>,
}

/// The time now, for previews and commands (`Context::now`).
pub fn now() -> preflight_core::Timestamp {
    preflight_core::Timestamp(js_sys::Date::now() as i64)
}

/// 128 random bits from the browser.
fn random_u128() -> u128 {
    let mut bits = 0u128;
    for _ in 0..4 {
        bits = (bits << 32) | ((js_sys::Math::random() * 4_294_967_296.0) as u128);
    }
    bits
}

/// Set while the offline demo runs in this browser, so a reload resumes it.
const ACTIVE_KEY: &str = "preflight.offline-demo.active";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Whether the app should start as the offline demo: built as the static demo
/// (`cargo xtask demo` marks its `index.html`), asked for with `?demo`, or left
/// running in this browser.
fn offline_requested() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let marked = window
        .document()
        .and_then(|d| {
            d.query_selector("meta[name='preflight-offline']")
                .ok()
                .flatten()
        })
        .is_some();
    let asked = window.location().search().is_ok_and(|q| {
        q.trim_start_matches('?')
            .split('&')
            .any(|p| p == "demo" || p.starts_with("demo="))
    });
    let running = storage()
        .and_then(|s| s.get_item(ACTIVE_KEY).ok().flatten())
        .is_some();
    marked || asked || running
}

/// Whether this build is the static offline demo, with no server behind it.
pub fn static_demo() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector("meta[name='preflight-offline']")
                .ok()
                .flatten()
        })
        .is_some()
}

fn demo_error(error: DemoError) -> ApiError {
    match error {
        DemoError::Refused(Refusal::Refused(error)) => ApiError::Server {
            status: 403,
            code: error.code().to_string(),
            message: error.to_string(),
        },
        DemoError::Refused(refusal @ Refusal::Outdated { .. }) => ApiError::Server {
            status: 409,
            code: "preview_outdated".to_string(),
            message: refusal.to_string(),
        },
        DemoError::Unreadable { code, message } => ApiError::Server {
            status: 422,
            code: code.to_string(),
            message,
        },
    }
}

impl Session {
    /// Creates the store, provides it and starts: the offline demo when asked for,
    /// else by asking the server who is signed in.
    pub fn provide() -> Session {
        let session = Session {
            state: RwSignal::new(SessionState::Loading),
            banner: RwSignal::new(None),
            live: RwSignal::new(Live::Off),
            offline: StoredValue::new_local(None),
            stream: StoredValue::new_local(None),
            reloading: StoredValue::new((false, false)),
        };
        provide_context(session);
        if offline_requested() {
            session.start_offline();
            return session;
        }
        leptos::task::spawn_local(async move {
            let state = match api::me().await {
                Ok(Some(me)) => session.state_for(me).await,
                Ok(None) => SessionState::SignedOut,
                Err(error) => SessionState::Failed(error),
            };
            session.enter(state);
        });
        session
    }

    /// The signed-in user, reactively.
    pub fn signed_in(self) -> Option<SignedIn> {
        match self.state.get() {
            SessionState::SignedIn(signed_in) => Some(signed_in),
            _ => None,
        }
    }

    /// Whether the offline demo is running.
    pub fn is_offline(self) -> bool {
        self.offline.with_value(Option::is_some)
    }

    fn enter(self, state: SessionState) {
        let signed_in = matches!(state, SessionState::SignedIn(_));
        self.state.set(state);
        if signed_in && !self.is_offline() {
            self.connect_live();
        }
    }

    /// Signs in and loads the projection.
    pub async fn sign_in(self, email: &str, password: &str) -> Result<(), ApiError> {
        let me = api::sign_in(email, password).await?;
        let state = self.state_for(me).await;
        if let SessionState::Failed(error) = state {
            return Err(error);
        }
        self.enter(state);
        Ok(())
    }

    /// Signs out (or leaves the offline demo, keeping its state for next time).
    pub async fn sign_out(self) -> Result<(), ApiError> {
        if self.is_offline() {
            if let Some(storage) = storage() {
                let _ = storage.remove_item(ACTIVE_KEY);
            }
            self.offline.set_value(None);
            self.state.set(SessionState::SignedOut);
            return Ok(());
        }
        api::sign_out().await?;
        self.disconnect_live();
        self.state.set(SessionState::SignedOut);
        Ok(())
    }

    /// Loads the projection again (after a command, an event, or when a preview
    /// was outdated). Reloads asked for while one runs are folded into one more.
    pub async fn reload(self) -> Result<(), ApiError> {
        if self.is_offline() {
            self.show_offline();
            return Ok(());
        }
        let (running, _) = self.reloading.get_value();
        if running {
            self.reloading.set_value((true, true));
            return Ok(());
        }
        loop {
            self.reloading.set_value((true, false));
            let result = api::projection().await;
            let (_, again) = self.reloading.get_value();
            self.reloading.set_value((false, false));
            let projection = result?;
            self.state.update(|state| {
                if let SessionState::SignedIn(signed_in) = state {
                    if let Some(me) = projection.world.user(signed_in.me.id) {
                        signed_in.me = me.clone();
                    }
                    signed_in.world = Arc::new(projection.world);
                }
            });
            if !again {
                return Ok(());
            }
        }
    }

    /// Sends a command with the outcome its preview showed; refused with
    /// `preview_outdated` when executing it now would give another outcome.
    /// Returns the world's version after it, and a secret shown once (a
    /// connection key, an invitation), which only the server issues.
    pub async fn submit(
        self,
        command: &Command,
        expected: Option<&Outcome>,
    ) -> Result<api::Accepted, ApiError> {
        if self.is_offline() {
            let context = offline::fresh_context(now(), random_u128);
            let result = self
                .offline
                .try_update_value(|demo| {
                    demo.as_mut()
                        .map(|demo| demo.run(command.clone(), expected, context))
                })
                .flatten();
            let version = match result {
                Some(result) => result.map_err(demo_error)?,
                None => {
                    return Err(ApiError::Unreachable(
                        "the offline demo is not running".into(),
                    ))
                }
            };
            self.save_offline();
            self.show_offline();
            return Ok(api::Accepted {
                version,
                secret: None,
            });
        }
        api::submit(command, expected).await
    }

    /// The audit log of the user's environment, newest first.
    pub async fn audit(self) -> Result<Vec<api::AuditEntry>, ApiError> {
        if self.is_offline() {
            return match self.with_offline(Offline::audit) {
                Some(Ok(entries)) => Ok(entries),
                Some(Err(message)) => Err(ApiError::Server {
                    status: 403,
                    code: "not_permitted".into(),
                    message,
                }),
                None => Ok(Vec::new()),
            };
        }
        api::audit(None).await
    }

    /// The page of the audit log before entry `before` (the offline demo
    /// gives its whole log at once: nothing is older).
    pub async fn audit_older(self, before: i64) -> Result<Vec<api::AuditEntry>, ApiError> {
        if self.is_offline() {
            return Ok(Vec::new());
        }
        api::audit(Some(before)).await
    }

    /// Both options of splitting the user's environment. The server computes them
    /// on the authoritative world (the plan's fingerprint must be its own); the
    /// offline demo on its whole world.
    pub async fn compare_split(
        self,
        organisations: Vec<OrganisationId>,
        questions: preflight_core::split::SplitQuestions,
    ) -> Result<preflight_core::split::SplitComparison, ApiError> {
        if self.is_offline() {
            let result = self.with_offline(|demo| {
                let world = demo.world();
                let me = world.user(demo.acting())?;
                let vis = preflight_core::project::Visibility::of(world, me.id)?;
                Some(
                    preflight_core::compare_split(
                        world,
                        &preflight_core::Actor::user(me.id),
                        me.environment,
                        &organisations,
                        None,
                        None,
                        questions,
                    )
                    .map(|mut comparison| {
                        comparison.restrict_to(|user| vis.user(user));
                        comparison
                    }),
                )
            });
            return match result.flatten() {
                Some(Ok(comparison)) => Ok(comparison),
                Some(Err(error)) => Err(ApiError::Server {
                    status: 403,
                    code: error.code().to_string(),
                    message: error.to_string(),
                }),
                None => Err(ApiError::Unreachable(
                    "the offline demo is not running".into(),
                )),
            };
        }
        api::compare_split(&organisations, questions).await
    }

    /// Signs up a new environment and signs its Administrator in.
    pub async fn sign_up(
        self,
        environment_name: &str,
        name: &str,
        email: &str,
        password: &str,
    ) -> Result<(), ApiError> {
        let me = api::sign_up(environment_name, name, email, password).await?;
        let state = self.state_for(me).await;
        if let SessionState::Failed(error) = state {
            return Err(error);
        }
        self.enter(state);
        Ok(())
    }

    /// Accepts an invitation (the secret of its link) with a new password, and
    /// enters signed in.
    pub async fn accept_invitation(self, secret: &str, password: &str) -> Result<(), ApiError> {
        let me = api::accept_invitation(secret, password).await?;
        let state = self.state_for(me).await;
        if let SessionState::Failed(error) = state {
            return Err(error);
        }
        self.enter(state);
        Ok(())
    }

    /// The bytes of a document the user may view.
    pub async fn document_content(self, document: DocumentId) -> Result<Vec<u8>, ApiError> {
        if self.is_offline() {
            return self
                .offline
                .with_value(|demo| demo.as_ref().and_then(|demo| demo.content(document)))
                .ok_or_else(|| ApiError::Server {
                    status: 404,
                    code: "not_found".into(),
                    message: "the document was not found or is not visible to you".into(),
                });
        }
        api::document_content(document).await
    }

    /// Uploads a file into one of an organisation's boxes.
    pub async fn upload(
        self,
        organisation: OrganisationId,
        doc_box: DocBox,
        name: String,
        bytes: Vec<u8>,
    ) -> Result<(DocumentId, Vec<Finding>), ApiError> {
        if self.is_offline() {
            let context = offline::fresh_context(now(), random_u128);
            let result = self
                .offline
                .try_update_value(|demo| {
                    demo.as_mut()
                        .map(|demo| demo.upload(organisation, doc_box, name, bytes, context))
                })
                .flatten()
                .ok_or_else(|| ApiError::Unreachable("the offline demo is not running".into()))?
                .map_err(demo_error)?;
            self.save_offline();
            self.show_offline();
            return Ok(result);
        }
        let uploaded = api::upload(organisation, doc_box, &name, &bytes).await?;
        self.reload().await?;
        Ok((uploaded.document, uploaded.findings))
    }

    async fn state_for(self, me: Me) -> SessionState {
        match me {
            Me::Support { email } => SessionState::Support { email },
            Me::User {
                user,
                environment_name,
            } => match api::projection().await {
                Ok(projection) => SessionState::SignedIn(SignedIn {
                    me: user,
                    environment_name,
                    world: Arc::new(projection.world),
                    offline: false,
                }),
                Err(error) => SessionState::Failed(error),
            },
        }
    }

    // --- live updates from the server

    fn connect_live(self) {
        self.disconnect_live();
        let Ok(source) = web_sys::EventSource::new("/api/events") else {
            self.live.set(Live::Off);
            return;
        };
        self.live.set(Live::Connecting);
        let on_open = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            self.live.set(Live::Connected);
        });
        let on_error = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            self.live.set(Live::Retrying);
        });
        // Any visible change, or a stream that fell behind: load the projection
        // again; previews recompute from it by themselves.
        let on_change = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            leptos::task::spawn_local(async move {
                if let Err(error) = self.reload().await {
                    self.banner.set(Some(format!(
                        "Could not load the latest changes: {}",
                        error.message()
                    )));
                }
            });
        });
        // The server ends the stream for a disabled user.
        let on_ended = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            self.disconnect_live();
            self.banner.set(Some(
                "Your account was disabled or your session ended. Sign in again to continue."
                    .into(),
            ));
            self.state.set(SessionState::SignedOut);
        });
        use wasm_bindgen::JsCast;
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let _ =
            source.add_event_listener_with_callback("events", on_change.as_ref().unchecked_ref());
        let _ =
            source.add_event_listener_with_callback("resync", on_change.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("ended", on_ended.as_ref().unchecked_ref());
        // The callbacks live as long as the page: one stream per session.
        on_open.forget();
        on_error.forget();
        on_change.forget();
        on_ended.forget();
        self.stream.set_value(Some(source));
    }

    fn disconnect_live(self) {
        if let Some(source) = self.stream.try_update_value(Option::take).flatten() {
            source.close();
        }
        self.live.set(Live::Off);
    }

    // --- the offline demo

    /// Starts the offline demo from this browser's saved state, or afresh.
    pub fn start_offline(self) {
        let saved = storage().and_then(|s| s.get_item(offline::STORAGE_KEY).ok().flatten());
        let demo = match saved.map(|json| Offline::load(&json)) {
            None => Offline::fresh(),
            Some(Ok(demo)) => demo,
            Some(Err(error)) => {
                self.banner.set(Some(format!(
                    "The demo saved in this browser could not be loaded ({error}), so it was reset."
                )));
                Offline::fresh()
            }
        };
        self.disconnect_live();
        if let Some(storage) = storage() {
            let _ = storage.set_item(ACTIVE_KEY, "1");
        }
        self.offline.set_value(Some(demo));
        self.save_offline();
        self.show_offline();
    }

    /// Starts the demo again from the seed, still acting as the same user.
    pub fn reset_offline(self) {
        let mut fresh = Offline::fresh();
        if let Some(acting) = self.with_offline(Offline::acting) {
            fresh.act_as(acting);
        }
        self.offline.set_value(Some(fresh));
        self.save_offline();
        self.show_offline();
    }

    /// Replaces the demo's state with an exported file; on error the current state
    /// stays as it was.
    pub fn import_offline(self, json: &str) -> Result<(), offline::LoadError> {
        let demo = Offline::load(json)?;
        self.offline.set_value(Some(demo));
        self.save_offline();
        self.show_offline();
        Ok(())
    }

    /// The demo's state as a file.
    pub fn export_offline(self) -> Option<String> {
        self.offline
            .with_value(|demo| demo.as_ref().map(Offline::to_json))
    }

    /// Acts as another demo user.
    pub fn act_as(self, user: UserId) {
        let switched = self
            .offline
            .try_update_value(|demo| demo.as_mut().map(|demo| demo.act_as(user)))
            .flatten()
            .unwrap_or(false);
        if switched {
            self.save_offline();
            self.show_offline();
        }
    }

    /// Reads the offline demo, if it runs.
    pub fn with_offline<T>(self, read: impl FnOnce(&Offline) -> T) -> Option<T> {
        self.offline.with_value(|demo| demo.as_ref().map(read))
    }

    fn save_offline(self) {
        let Some(json) = self.export_offline() else {
            return;
        };
        if let Some(storage) = storage() {
            if storage.set_item(offline::STORAGE_KEY, &json).is_err() {
                self.banner.set(Some(
                    "This browser's storage is full: the demo keeps running, but will not survive a reload."
                        .into(),
                ));
            }
        }
    }

    fn show_offline(self) {
        let state = self.offline.with_value(|demo| {
            demo.as_ref().and_then(|demo| {
                let world = demo.world();
                let me = world.user(demo.acting())?.clone();
                let environment_name = world
                    .environment(me.environment)
                    .map(|e| e.name.clone())
                    .unwrap_or_default();
                Some(SessionState::SignedIn(SignedIn {
                    me,
                    environment_name,
                    world: Arc::new(demo.projection()),
                    offline: true,
                }))
            })
        });
        self.state.set(state.unwrap_or(SessionState::SignedOut));
    }
}

/// The store provided by [`crate::App`].
pub fn use_session() -> Session {
    expect_context::<Session>()
}

//! The signed-in user and their projection of the world, as one reactive store.
//!
//! The store holds what the server sent: `me` and the projected `World`. Pages read
//! it and ask `preflight-core` every question; nothing here decides anything.

use std::sync::Arc;

use leptos::prelude::*;
use preflight_core::{User, World};

use crate::api::{self, ApiError, Me};

/// A signed-in user with their slice of the world.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub me: User,
    pub environment_name: String,
    pub world: Arc<World>,
}

/// Where the session stands.
#[derive(Clone, Debug)]
pub enum SessionState {
    /// Asking the server who is signed in.
    Loading,
    SignedOut,
    /// Support operators have no web app yet; they use the API.
    Support {
        email: String,
    },
    SignedIn(SignedIn),
    /// The server could not be asked.
    Failed(ApiError),
}

/// The store, shared through the context.
#[derive(Clone, Copy)]
pub struct Session {
    pub state: RwSignal<SessionState>,
}

impl Session {
    /// Creates the store, provides it and starts asking the server who is signed in.
    pub fn provide() -> Session {
        let session = Session {
            state: RwSignal::new(SessionState::Loading),
        };
        provide_context(session);
        leptos::task::spawn_local(async move {
            let state = match api::me().await {
                Ok(Some(me)) => session.state_for(me).await,
                Ok(None) => SessionState::SignedOut,
                Err(error) => SessionState::Failed(error),
            };
            session.state.set(state);
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

    /// Signs in and loads the projection.
    pub async fn sign_in(self, email: &str, password: &str) -> Result<(), ApiError> {
        let me = api::sign_in(email, password).await?;
        let state = self.state_for(me).await;
        if let SessionState::Failed(error) = state {
            return Err(error);
        }
        self.state.set(state);
        Ok(())
    }

    /// Signs out.
    pub async fn sign_out(self) -> Result<(), ApiError> {
        api::sign_out().await?;
        self.state.set(SessionState::SignedOut);
        Ok(())
    }

    /// Loads the projection again (after a command, or when a preview was outdated).
    pub async fn reload(self) -> Result<(), ApiError> {
        let projection = api::projection().await?;
        self.state.update(|state| {
            if let SessionState::SignedIn(signed_in) = state {
                signed_in.world = Arc::new(projection.world);
            }
        });
        Ok(())
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
                }),
                Err(error) => SessionState::Failed(error),
            },
        }
    }
}

/// The store provided by [`crate::App`].
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The time now, for previews (`Context::now`).
pub fn now() -> preflight_core::Timestamp {
    preflight_core::Timestamp(js_sys::Date::now() as i64)
}

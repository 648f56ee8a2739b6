//! Who calls: the session cookie, looked up, as the signed-in [`Caller`].

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use preflight_core::{Actor, User, World};

use crate::accounts::Subject;
use crate::error::AppError;
use crate::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "preflight_session";

/// The signed-in caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub subject: Subject,
    pub token: String,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        match &self.subject {
            Subject::User(id) => Actor::user(*id),
            Subject::Support { email } => Actor::Support {
                name: email.clone(),
            },
        }
    }

    /// The calling user, who must still be active in `world`.
    pub fn user<'w>(&self, world: &'w World) -> Result<&'w User, AppError> {
        match &self.subject {
            Subject::User(id) => world
                .user(*id)
                .filter(|u| u.is_active())
                .ok_or(AppError::Unauthenticated),
            Subject::Support { .. } => Err(AppError::NotPermitted(
                "Support operators have no user projection".into(),
            )),
        }
    }
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = session_token(&parts.headers).ok_or(AppError::Unauthenticated)?;
        // Live sessions are in memory; only an unknown token goes to the database.
        let subject = match state.accounts.cached_session(&token) {
            Some(known) => known,
            None => {
                let accounts = Arc::clone(&state.accounts);
                let lookup = token.clone();
                tokio::task::spawn_blocking(move || accounts.session(&lookup)).await??
            }
        };
        let subject = subject.ok_or(AppError::Unauthenticated)?;
        // A disabled user is refused at once, whatever their session says.
        if let Subject::User(id) = &subject {
            let world = state.engine.world();
            if !world.user(*id).is_some_and(|u| u.is_active()) {
                return Err(AppError::Unauthenticated);
            }
        }
        Ok(Caller { subject, token })
    }
}

/// The value of the cookie `name`, if the request carries it.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

//! One error type for every handler, answered as `{ "code", "message" }`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use preflight_core::preview::Outcome;
use preflight_core::CommandError;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::accounts::AccountError;
use crate::engine::EngineError;
use crate::passwords::PasswordError;
use crate::store::StoreError;

/// Everything a request can fail with.
///
/// Client-facing variants say what went wrong; internal ones are logged (inside the
/// request's span, which carries the request id) and answered with a generic message,
/// so no internals reach the client.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no such {0}")]
    NotFound(String),
    #[error("sign in first: no valid session")]
    Unauthenticated,
    /// The software API without a usable connection key; says what is wrong.
    #[error("{0}")]
    BadKey(String),
    #[error("{0}")]
    NotPermitted(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A path or query parameter that does not parse.
    #[error("{0}")]
    BadParameter(String),
    #[error("{0}")]
    BadJson(String),
    #[error("the body is larger than the {} the server accepts", megabytes(*limit))]
    TooLarge { limit: u64 },
    /// A document that cannot be read as an invoice where one is required.
    #[error("{message}")]
    Unreadable { code: &'static str, message: String },
    #[error(transparent)]
    Refused(#[from] CommandError),
    #[error("{}", outdated_message(.1.as_ref()))]
    PreviewOutdated(Box<Outcome>, Option<CommandError>),
    #[error("too many failed sign-ins; try again in {0} seconds")]
    Throttled(u64),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("the email or the password is wrong")]
    WrongCredentials,
    #[error("the server is busy; try again")]
    Busy,
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
    #[error("a background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl From<EngineError> for AppError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Refused(e) => AppError::Refused(e),
            EngineError::PreviewOutdated { now, refused } => {
                AppError::PreviewOutdated(now, refused)
            }
            EngineError::Store(e) => AppError::Store(e),
            EngineError::Busy => AppError::Busy,
            EngineError::Stopped => AppError::Internal("the writer stopped".into()),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(error: AccountError) -> Self {
        AppError::Internal(error.to_string())
    }
}

impl AppError {
    /// The stable, machine-readable code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::Unauthenticated => "unauthenticated",
            AppError::BadKey(_) => "invalid_connection_key",
            AppError::NotPermitted(_) => "not_permitted",
            AppError::Invalid { .. } => "invalid_input",
            AppError::BadParameter(_) => "bad_request",
            AppError::BadJson(_) => "invalid_json",
            AppError::TooLarge { .. } => "too_large",
            AppError::Unreadable { code, .. } => code,
            AppError::Refused(e) => e.code(),
            AppError::PreviewOutdated(..) => "preview_outdated",
            AppError::Throttled(_) => "too_many_attempts",
            AppError::Password(PasswordError::TooManyFromClient) => "too_many_attempts",
            AppError::Password(PasswordError::Busy) => "busy",
            AppError::Password(_) => "internal",
            AppError::WrongCredentials => "wrong_credentials",
            AppError::Busy => "busy",
            AppError::Store(_) | AppError::Internal(_) | AppError::Task(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadParameter(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated | AppError::WrongCredentials | AppError::BadKey(_) => {
                StatusCode::UNAUTHORIZED
            }
            AppError::NotPermitted(_) => StatusCode::FORBIDDEN,
            AppError::Invalid { .. } | AppError::BadJson(_) | AppError::Unreadable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::PreviewOutdated(..) => StatusCode::CONFLICT,
            AppError::Throttled(_) | AppError::Password(PasswordError::TooManyFromClient) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Password(PasswordError::Busy) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Password(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Refused(e) => match e {
                CommandError::NotFound(_) => StatusCode::NOT_FOUND,
                CommandError::NotPermitted(_)
                | CommandError::PartnershipRequired(_)
                | CommandError::PlanTooLow { .. }
                | CommandError::AddOnMissing(_)
                | CommandError::LastAdministrator(_)
                | CommandError::RemovalNotAuthorised(_) => StatusCode::FORBIDDEN,
                CommandError::InvalidParticipantId(_) | CommandError::InvalidInput { .. } => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                CommandError::Conflict(_)
                | CommandError::InsufficientCredit(_)
                | CommandError::UnknownRecipient(_)
                | CommandError::StalePlan(_)
                | CommandError::ExportRequired(_)
                | CommandError::ExportOutdated(_) => StatusCode::CONFLICT,
                CommandError::MissingIds => StatusCode::INTERNAL_SERVER_ERROR,
            },
            AppError::Store(_) | AppError::Internal(_) | AppError::Task(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// The answer of every endpoint that needs a session, without one: described
/// once for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[response(status = 401, description = "Not signed in (`unauthenticated`).")]
#[allow(dead_code)] // Only described: handlers answer with `AppError::Unauthenticated`.
pub struct NotSignedIn(ErrorBody);

/// A path or query parameter that does not parse: described once.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 400,
    description = "A path or query parameter is missing or does not parse (`bad_request`)."
)]
#[allow(dead_code)] // Only described: the framework's rejection, in the API's shape.
pub struct BadParameters(ErrorBody);

/// What a JSON body can fail with before the handler sees it: described once.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only described: `ApiJson` answers with these.
pub enum BadJsonBody {
    #[response(
        status = 413,
        description = "The body is larger than the limit (`too_large`)."
    )]
    TooLarge(ErrorBody),
    #[response(
        status = 422,
        description = "The body is not the JSON this endpoint takes (`invalid_json`), or a field is unusable (`invalid_input`)."
    )]
    Invalid(ErrorBody),
}

/// A Support operator where only a user of an environment has a slice of the
/// world: described once.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 403,
    description = "Support operators have no user projection (`not_permitted`)."
)]
#[allow(dead_code)] // Only described: `Caller::user` answers with it.
pub struct NotAUser(ErrorBody);

/// A user or resource the caller may not see, or that does not exist: described once.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 404,
    description = "The user or resource does not exist or is not visible to the caller (`not_found`)."
)]
#[allow(dead_code)] // Only described: handlers answer with `AppError`.
pub struct NotVisible(ErrorBody);

/// An organisation the caller may not see, or that does not exist: described once.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 404,
    description = "No such organisation, or not visible (`not_found`)."
)]
#[allow(dead_code)] // Only described: handlers answer with `AppError`.
pub struct OrganisationNotVisible(ErrorBody);

/// An upload over its size limit: described once.
#[derive(utoipa::IntoResponses)]
#[response(status = 413, description = "Larger than the limit (`too_large`).")]
#[allow(dead_code)] // Only described: handlers answer with `AppError`.
pub struct TooLarge(ErrorBody);

/// Too many password checks at once from one address: described once.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 429,
    description = "Too many sign-ins at once from this address (`too_many_attempts`)."
)]
#[allow(dead_code)] // Only described: handlers answer with `AppError`.
pub struct SignInsAtOnce(ErrorBody);

/// Every password worker or the command queue full: described once.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 503,
    description = "The server is busy hashing passwords, or too many commands wait (`busy`)."
)]
#[allow(dead_code)] // Only described: handlers answer with `AppError`.
pub struct HashingBusy(ErrorBody);

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: &'static str,
    pub message: String,
    /// With `preview_outdated`: the outcome executing would now have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            // Logged inside the request span, so the line carries the request id.
            tracing::error!(error = %self, "request failed");
            "internal error; the server log has the details under this request's x-request-id"
                .to_string()
        } else {
            self.to_string()
        };
        let outcome = match &self {
            AppError::PreviewOutdated(now, _) => Some((**now).clone()),
            _ => None,
        };
        let retry_after = match &self {
            AppError::Throttled(seconds) => Some(*seconds),
            AppError::Password(PasswordError::TooManyFromClient | PasswordError::Busy)
            | AppError::Busy => Some(1),
            _ => None,
        };
        let body = ErrorBody {
            code: self.code(),
            message,
            outcome,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// Every error the API answers is `{code, message}`, also those the framework
/// makes itself (a query string or path that does not parse, a body over the
/// limit, a method the route does not have): their plain-text answers are
/// rewritten here, keeping their status and their sentence.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "not_permitted",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_input",
        StatusCode::TOO_MANY_REQUESTS => "too_many_attempts",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ if status.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if status.is_server_error() {
        tracing::error!(%status, body = %text, "request failed");
        "internal error; the server log has the details under this request's x-request-id"
            .to_string()
    } else if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("the request cannot be answered")
            .to_lowercase()
    } else {
        text
    };
    let body = serde_json::to_vec(&ErrorBody {
        code,
        message,
        outcome: None,
    })
    .unwrap_or_default();
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// `Json` whose rejections answer in the API's error shape, naming the problem.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::BytesRejection(rejection))
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(AppError::TooLarge {
                    limit: crate::MAX_BODY_BYTES as u64,
                })
            }
            Err(JsonRejection::BytesRejection(_)) => Err(AppError::BadJson(
                "the body broke off or stalled before its end".into(),
            )),
            Err(rejection) => Err(AppError::BadJson(rejection.body_text())),
        }
    }
}

fn outdated_message(refused: Option<&CommandError>) -> String {
    match refused {
        Some(error) => format!(
            "the outcome differs from your preview: executing it now is refused ({error}); nothing changed"
        ),
        None => "the state changed since your preview; look at the new preview and confirm again"
            .to_string(),
    }
}

/// A size limit as people read it: "1 MB", "20.5 MB", "512 KB".
fn megabytes(bytes: u64) -> String {
    let tenths = |unit: u64| {
        let tenths = (bytes * 10 + unit / 2) / unit;
        match tenths % 10 {
            0 => format!("{}", tenths / 10),
            d => format!("{}.{d}", tenths / 10),
        }
    };
    if bytes >= 1_000_000 {
        format!("{} MB", tenths(1_000_000))
    } else if bytes >= 1_000 {
        format!("{} KB", tenths(1_000))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_too_large_body_is_refused_naming_the_limit() {
        let error = AppError::TooLarge { limit: 20_000 };
        assert_eq!(
            error.to_string(),
            "the body is larger than the 20 KB the server accepts"
        );
        assert_eq!(megabytes(1024 * 1024), "1 MB");
        assert_eq!(megabytes(268_435_456), "268.4 MB");
        assert_eq!(megabytes(512), "512 bytes");
    }
}

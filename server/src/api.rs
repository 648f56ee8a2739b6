//! The JSON API: sessions, the user's slice of the world, commands and previews,
//! access questions, the audit log and the live event stream.
//!
//! Handlers are thin: they resolve who is calling, hand the question to
//! `preflight_core` (or the command to the [`crate::engine`]) and answer with only
//! what the caller may see. Something the caller may not see answers exactly like
//! something that does not exist.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::Stream;
use preflight_core::access::{self, Decision};
use preflight_core::preview::{Outcome, Preview};
use preflight_core::project::Visibility;
use preflight_core::{
    check, project, what_can, who_can, Action, Actor, Command, Created, Event, Resource,
    ResourceKind, UserId, World,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::{self, Ended, Subject};
use crate::caller::{cookie, Caller, SESSION_COOKIE};
use crate::engine::Committed;
use crate::error::{
    ApiJson, AppError, BadJsonBody, BadParameters, ErrorBody, NotAUser, NotSignedIn,
};
use crate::throttle::ClientAddress;
use crate::AppState;

/// The API routes, nested under `/api` by [`crate::app`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session_get, session_post, session_delete))
        .routes(routes!(signup_post))
        .routes(routes!(invitation_accept))
        .routes(routes!(me_get))
        .routes(routes!(projection_get))
        .routes(routes!(commands_post))
        .routes(routes!(preview_post))
        .routes(routes!(check_get))
        .routes(routes!(who_can_get))
        .routes(routes!(what_can_get))
        .routes(routes!(audit_get))
        .routes(routes!(split_compare_post))
        .routes(routes!(events_get))
}

fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = accounts::SESSION_TTL.as_secs();
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("preflight_session=; Path=/"))
}

fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static("preflight_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

pub use preflight_core::model::wire::Me;

fn me_of(state: &AppState, subject: &Subject) -> Result<Me, AppError> {
    match subject {
        Subject::User(id) => {
            let world = state.engine.world();
            let user = world
                .user(*id)
                .filter(|u| u.is_active())
                .ok_or(AppError::Unauthenticated)?
                .clone();
            let environment_name = world
                .environment(user.environment)
                .map(|e| e.name.clone())
                .unwrap_or_default();
            Ok(Me::User {
                user,
                environment_name,
            })
        }
        Subject::Support { email } => Ok(Me::Support {
            email: email.clone(),
        }),
    }
}

/// Who holds this session.
#[utoipa::path(get, path = "/session", tag = "session",
    responses((status = 200, description = "The signed-in caller.", body = Me), NotSignedIn))]
async fn session_get(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, AppError> {
    Ok(Json(me_of(&state, &caller.subject)?))
}

/// Who is signed in.
#[utoipa::path(get, path = "/me", tag = "session",
    responses((status = 200, description = "The signed-in caller.", body = Me), NotSignedIn))]
async fn me_get(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, AppError> {
    Ok(Json(me_of(&state, &caller.subject)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// The name of the cookie that marks a browser that signed in to an account
/// before (see `crate::throttle`): sent only to the sign-in endpoint.
pub const DEVICE_COOKIE: &str = "preflight_device";

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        Ok(ClientAddress::of(
            peer,
            &parts.headers,
            &state.trusted_proxies,
        ))
    }
}

fn device_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = accounts::DEVICE_TTL.as_secs();
    HeaderValue::from_str(&format!(
        "{DEVICE_COOKIE}={token}; Path=/api/session; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("preflight_device=; Path=/api/session"))
}

/// Signs `subject` in: a session cookie, and the device cookie that spares
/// this browser the account's sign-in delays (`email` is the account's).
async fn start_session(
    state: &AppState,
    subject: Subject,
    email: String,
) -> Result<Response, AppError> {
    let accounts = Arc::clone(&state.accounts);
    let for_session = subject.clone();
    let (token, device) = tokio::task::spawn_blocking(move || {
        let token = accounts.create_session(&for_session)?;
        let device = accounts.remember_device(&email)?;
        Ok::<_, accounts::AccountError>((token, device))
    })
    .await??;
    let me = me_of(state, &subject)?;
    let mut response = Json(me).into_response();
    let headers = response.headers_mut();
    headers.append(SET_COOKIE, session_cookie(&token, state.secure_cookies));
    headers.append(SET_COOKIE, device_cookie(&device, state.secure_cookies));
    Ok(response)
}

/// Signs in with email and password; sets the session cookie (HttpOnly,
/// SameSite=Strict). Failed attempts slow further ones down, per account and
/// per client address (`crate::throttle`); a browser that signed in to the
/// account before is spared the account's delays.
#[utoipa::path(post, path = "/session", tag = "session", request_body = LoginRequest, security(()),
    responses(
        (status = 200, description = "Signed in; the `preflight_session` cookie is set.", body = Me),
        (status = 401, description = "Wrong email or password (`wrong_credentials`).", body = ErrorBody),
        (status = 403, description = "The account is disabled (`not_permitted`).", body = ErrorBody),
        BadJsonBody,
        (status = 429, description = "Too many failed attempts, or sign-ins at once, from this address or for this account (`too_many_attempts`); `Retry-After` says when to try again.", body = ErrorBody),
        (status = 503, description = "The server is busy checking passwords (`busy`).", body = ErrorBody)))]
async fn session_post(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    ApiJson(login): ApiJson<LoginRequest>,
) -> Result<Response, AppError> {
    let email = login.email.trim().to_lowercase();
    let trusted_device = match cookie(&headers, DEVICE_COOKIE) {
        Some(token) => {
            let accounts = Arc::clone(&state.accounts);
            let email = email.clone();
            tokio::task::spawn_blocking(move || accounts.is_known_device(&token, &email)).await??
        }
        None => false,
    };
    state
        .throttle
        .admit(&email, &client.0, trusted_device)
        .map_err(AppError::Throttled)?;
    let accounts = Arc::clone(&state.accounts);
    let lookup = email.clone();
    let found = tokio::task::spawn_blocking(move || accounts.credentials(&lookup)).await??;
    // An unknown email is checked against a decoy: it takes as long.
    let hash = found.as_ref().map_or_else(
        || accounts::DECOY_HASH.to_string(),
        |(_, hash)| hash.clone(),
    );
    let matches = state
        .passwords
        .verify(&client.0, login.password, hash)
        .await?;
    let subject = match found {
        Some((subject, _)) if matches => subject,
        _ => {
            state.throttle.failed(&email, &client.0);
            return Err(AppError::WrongCredentials);
        }
    };
    state.throttle.succeeded(&email);
    if let Subject::User(id) = &subject {
        if !state
            .engine
            .world()
            .user(*id)
            .is_some_and(|u| u.is_active())
        {
            return Err(AppError::NotPermitted("this account is disabled".into()));
        }
    }
    start_session(&state, subject, email).await
}

/// Signs out: ends the session (and the live event stream it holds open) and
/// clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "session",
    responses((status = 204, description = "Signed out."), NotSignedIn))]
async fn session_delete(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, AppError> {
    let accounts = Arc::clone(&state.accounts);
    tokio::task::spawn_blocking(move || accounts.end_session(&caller.token)).await??;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(SET_COOKIE, cleared_cookie());
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub environment_name: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: String,
}

/// The longest password accepted, in characters.
const MAX_PASSWORD: usize = 1024;

fn check_password(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if n < 10 {
        return Err(AppError::Invalid {
            field: "password".into(),
            message: "must have at least 10 characters".into(),
        });
    }
    if n > MAX_PASSWORD {
        return Err(AppError::Invalid {
            field: "password".into(),
            message: format!("must have at most {MAX_PASSWORD} characters"),
        });
    }
    Ok(())
}

/// Creates a new environment whose first user, the caller, is its Administrator,
/// and signs them in.
#[utoipa::path(post, path = "/signup", tag = "session", request_body = SignupRequest, security(()),
    responses(
        (status = 200, description = "The environment exists; signed in as its Administrator.", body = Me),
        (status = 409, description = "The email is taken (`conflict`).", body = ErrorBody),
        BadJsonBody,
        crate::error::SignInsAtOnce,
        crate::error::HashingBusy))]
async fn signup_post(
    State(state): State<AppState>,
    client: ClientAddress,
    ApiJson(request): ApiJson<SignupRequest>,
) -> Result<Response, AppError> {
    check_password(&request.password)?;
    let command = Command::SignUp {
        environment_name: request.environment_name,
        name: request.name,
        email: request.email.clone(),
    };
    let committed = state.engine.submit(Actor::Anonymous, command, None).await?;
    set_password_and_sign_in(&state, &client, &committed, request.password).await
}

/// Gives the user a command just created their password and starts a session.
async fn set_password_and_sign_in(
    state: &AppState,
    client: &ClientAddress,
    committed: &Committed,
    password: String,
) -> Result<Response, AppError> {
    let created = Created::of(&committed.events);
    let (Some(user), Some(email)) = (created.user, created.email) else {
        return Err(AppError::Internal("the command created no user".into()));
    };
    let hash = state.passwords.hash(&client.0, password).await?;
    let accounts = Arc::clone(&state.accounts);
    let for_account = email.clone();
    tokio::task::spawn_blocking(move || {
        accounts.set_password_hash(&Subject::User(user), &for_account, &hash)
    })
    .await??;
    start_session(state, Subject::User(user), email).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    /// The secret of the invitation's link.
    pub secret: String,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: String,
}

/// Accepts an invitation with its secret, sets the new user's password and signs
/// them in.
#[utoipa::path(post, path = "/invitations/accept", tag = "session", request_body = AcceptInvitationRequest, security(()),
    responses(
        (status = 200, description = "The account exists; signed in.", body = Me),
        (status = 404, description = "No invitation has this secret (`not_found`).", body = ErrorBody),
        (status = 409, description = "The invitation was used or revoked, or its email has an account by now (`conflict`).", body = ErrorBody),
        BadJsonBody,
        crate::error::SignInsAtOnce,
        crate::error::HashingBusy))]
async fn invitation_accept(
    State(state): State<AppState>,
    client: ClientAddress,
    ApiJson(request): ApiJson<AcceptInvitationRequest>,
) -> Result<Response, AppError> {
    check_password(&request.password)?;
    let accounts = Arc::clone(&state.accounts);
    let secret = request.secret.clone();
    let invitation = tokio::task::spawn_blocking(move || accounts.invitation_for_secret(&secret))
        .await??
        .ok_or_else(|| AppError::NotFound("invitation".into()))?;
    let committed = state
        .engine
        .submit(
            Actor::Anonymous,
            Command::AcceptInvitation { invitation },
            None,
        )
        .await?;
    set_password_and_sign_in(&state, &client, &committed, request.password).await
}

/// The caller's slice of the world.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectionResponse {
    pub version: u64,
    /// `preflight_core::World`, holding only what the caller may see.
    #[schema(value_type = Object)]
    pub world: World,
}

/// The caller's slice of the world (`preflight_core::project`): everything the
/// caller may see and nothing else, for the browser's previews.
#[utoipa::path(get, path = "/projection", tag = "world",
    responses((status = 200, description = "The projection.", body = ProjectionResponse), NotSignedIn, NotAUser))]
async fn projection_get(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ProjectionResponse>, AppError> {
    let world = state.engine.world();
    let user = caller.user(&world)?.id;
    let slice = tokio::task::spawn_blocking(move || project(&world, user)).await?;
    Ok(Json(ProjectionResponse {
        version: slice.version(),
        world: slice,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandRequest {
    pub command: Command,
    /// The outcome the user was shown; if executing now would differ, the
    /// command is refused with `preview_outdated`.
    #[serde(default)]
    pub expected: Option<Outcome>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommandResponse {
    pub version: u64,
    /// The command's events that the caller may see (`preflight_core::Event`).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Event>,
    /// A secret shown once: a connection key, or an invitation's secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// The events of `committed` that `user` may see on `world` (the world after them).
pub fn visible_events(world: &World, user: UserId, events: &[Event]) -> Vec<Event> {
    match Visibility::of(world, user) {
        Some(vis) => vis.events(events),
        None => Vec::new(),
    }
}

/// Executes a command: the server decides it again on the whole world, whatever
/// the browser previewed, and answers once its events are durable.
#[utoipa::path(post, path = "/commands", tag = "commands", request_body = CommandRequest,
    responses(
        (status = 200, description = "Accepted and durable.", body = CommandResponse),
        NotSignedIn,
        (status = 403, description = "Refused by the rules; the message says what is missing (`not_permitted`, `partnership_required`, `plan_too_low`, …).", body = ErrorBody),
        (status = 404, description = "Something the command names does not exist or is not visible to the caller (`not_found`).", body = ErrorBody),
        (status = 409, description = "The state does not allow it now (`conflict`, `stale_plan`), or executing it now would differ from the preview sent (`preview_outdated`, with the new `outcome`).", body = ErrorBody),
        (status = 413, description = "The body is larger than the limit (`too_large`).", body = ErrorBody),
        (status = 422, description = "A field is unusable (`invalid_input`, `invalid_participant_id`) or the body is malformed (`invalid_json`).", body = ErrorBody),
        (status = 503, description = "Too many commands waiting; nothing was done, try again (`busy`).", body = ErrorBody)))]
async fn commands_post(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<CommandRequest>,
) -> Result<Json<CommandResponse>, AppError> {
    if let Subject::User(_) = caller.subject {
        caller.user(&state.engine.world())?;
    }
    refuse_file_commands(&request.command)?;
    if state.postgres_writer.is_some() && matches!(request.command, Command::ExecuteRemoval { .. })
    {
        return Err(AppError::Invalid {
            field: "command".into(),
            message: "a removal cannot be executed on a PostgreSQL deployment yet: PostgreSQL keeps old row versions, so the content could not be erased; nothing was changed".into(),
        });
    }
    let committed = state
        .engine
        .submit(caller.actor(), request.command, request.expected)
        .await?;
    let secret = after_commit(&state, &committed).await?;
    let world = state.engine.world();
    let events = match &caller.subject {
        Subject::User(id) => visible_events(&world, *id, &committed.events),
        Subject::Support { .. } => committed.events.clone(),
    };
    Ok(Json(CommandResponse {
        version: committed.version,
        events,
        secret,
    }))
}

/// A document's record is made only from its file, read by the server: an upload
/// goes through the upload endpoint (which reads the file and builds the command
/// with core), and a delivery comes only from the Peppol network. A command that
/// claims a file's digest and summary without the file is refused here.
fn refuse_file_commands(command: &Command) -> Result<(), AppError> {
    let message = match command {
        Command::UploadDocument { organisation, .. } => format!(
            "a document is uploaded with its file: send the file to POST /api/organisations/{organisation}/documents"
        ),
        Command::ReceiveDocument { .. } => {
            "documents arrive from the Peppol network, not from a signed-in caller".to_string()
        }
        Command::ExportOrganisation { organisation, .. } => format!(
            "an export is made with its bundle: POST /api/organisations/{organisation}/export"
        ),
        Command::ImportBundle { organisation, .. } => format!(
            "a bundle is imported with its file: send it to POST /api/organisations/{organisation}/import"
        ),
        _ => return Ok(()),
    };
    Err(AppError::Invalid {
        field: "command".into(),
        message,
    })
}

/// What the server does beyond the world once a command is durable: secrets for
/// new keys and invitations, ending a disabled user's sessions, erasing a
/// removed organisation's documents.
async fn after_commit(state: &AppState, committed: &Committed) -> Result<Option<String>, AppError> {
    let mut secret = None;
    for event in &committed.events {
        match event {
            Event::OrganisationRemoved { organisation, .. } => {
                crate::removal::erase(state, *organisation, committed.version).await?;
            }
            Event::ConnectionKeyIssued { key, .. } => {
                let value = accounts::new_secret()?;
                let accounts = Arc::clone(&state.accounts);
                let (key, stored) = (*key, value.clone());
                tokio::task::spawn_blocking(move || accounts.store_key_secret(key, &stored))
                    .await??;
                secret = Some(value);
            }
            Event::InvitationCreated { invitation } => {
                let value = accounts::new_secret()?;
                let accounts = Arc::clone(&state.accounts);
                let (id, stored) = (invitation.id, value.clone());
                tokio::task::spawn_blocking(move || accounts.store_invitation_secret(id, &stored))
                    .await??;
                secret = Some(value);
            }
            Event::UserDisabled { user } => {
                let accounts = Arc::clone(&state.accounts);
                let subject = Subject::User(*user);
                tokio::task::spawn_blocking(move || accounts.end_sessions_of(&subject)).await??;
            }
            _ => {}
        }
    }
    Ok(secret)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub command: Command,
}

/// A preview as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResponse {
    pub version: u64,
    /// `preflight_core::Preview`: allowed or why not, the events, the access
    /// changes with their reasons, restricted to what the caller may see.
    #[schema(value_type = Object)]
    pub preview: Preview,
    pub outcome: Outcome,
}

/// Previews a command on the authoritative world without executing it.
#[utoipa::path(post, path = "/preview", tag = "commands", request_body = PreviewRequest,
    responses((status = 200, description = "What executing it now would do.", body = PreviewResponse), NotSignedIn, NotAUser,
        BadJsonBody))]
async fn preview_post(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> Result<Json<PreviewResponse>, AppError> {
    let world = state.engine.world();
    caller.user(&world)?;
    let actor = caller.actor();
    let response = tokio::task::spawn_blocking(move || {
        let ctx = preflight_core::Context::deterministic(crate::engine::now(), 0);
        let shown = preflight_core::preview(&world, &actor, request.command, &ctx);
        let outcome = preflight_core::preview::visible_outcome(&world, &actor, &shown);
        let preview = preflight_core::preview::visible_preview(&world, &actor, shown);
        PreviewResponse {
            version: world.version(),
            preview,
            outcome,
        }
    })
    .await?;
    Ok(Json(response))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CheckQuery {
    /// Whose access; the caller's own when absent.
    pub user: Option<UserId>,
    pub action: Action,
    /// `document:<id>`, `organisation:<id>` or `environment:<id>`.
    pub resource: String,
}

fn parse_resource(text: &str) -> Result<Resource, AppError> {
    let invalid = || {
        AppError::BadParameter(format!(
            "resource: `{text}` is not `document:<id>`, `organisation:<id>` or `environment:<id>`"
        ))
    };
    let (kind, id) = text.split_once(':').ok_or_else(invalid)?;
    let id = uuid::Uuid::parse_str(id).map_err(|_| invalid())?;
    match kind {
        "document" => Ok(Resource::Document(preflight_core::DocumentId(id))),
        "organisation" => Ok(Resource::Organisation(preflight_core::OrganisationId(id))),
        "environment" => Ok(Resource::Environment(preflight_core::EnvironmentId(id))),
        _ => Err(invalid()),
    }
}

/// A decision with its reasons as sentences.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplainedDecision {
    pub allowed: bool,
    pub decision: Decision,
    pub explanation: Vec<String>,
}

/// May the caller ask about (`user`, `resource`)? Everyone about themselves; an
/// Administrator about users they see, for their own environment's resources.
fn may_ask(vis: &Visibility<'_>, user: UserId, resource: Resource) -> bool {
    let viewer = vis.viewer();
    if user == viewer.id {
        return true;
    }
    vis.pair(user, resource)
}

/// Whether a user (the caller when absent) may do an action to a resource, with
/// the reasons: the grant paths when allowed, what is missing when not.
#[utoipa::path(get, path = "/check", tag = "access", params(CheckQuery),
    responses((status = 200, description = "The decision.", body = ExplainedDecision), BadParameters, NotSignedIn, NotAUser, crate::error::NotVisible))]
async fn check_get(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<CheckQuery>,
) -> Result<Json<ExplainedDecision>, AppError> {
    let world = state.engine.world();
    let me = caller.user(&world)?.id;
    let resource = parse_resource(&query.resource)?;
    let user = query.user.unwrap_or(me);
    let vis = Visibility::of(&world, me).ok_or(AppError::Unauthenticated)?;
    if user != me && !may_ask(&vis, user, resource) {
        return Err(AppError::NotFound("user or resource".into()));
    }
    let decision = check(&world, user, query.action, resource);
    // Answers about resources the caller cannot see never say more than "no".
    let visible = vis.resource(resource);
    if !visible {
        return Err(AppError::NotFound("resource".into()));
    }
    let explanation = decision.explain_for(&vis);
    Ok(Json(ExplainedDecision {
        allowed: decision.allowed,
        decision,
        explanation,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WhoCanQuery {
    pub action: Action,
    pub resource: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WhoCanEntry {
    pub user: UserId,
    pub name: String,
    pub explanation: Vec<String>,
    pub access: access::UserAccess,
}

/// Who may do an action to a resource, each with the reasons; only users the
/// caller may see are listed.
#[utoipa::path(get, path = "/who-can", tag = "access", params(WhoCanQuery),
    responses((status = 200, description = "The users, with their reasons.", body = Vec<WhoCanEntry>), BadParameters, NotSignedIn, NotAUser, crate::error::NotVisible))]
async fn who_can_get(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<WhoCanQuery>,
) -> Result<Json<Vec<WhoCanEntry>>, AppError> {
    let world = state.engine.world();
    let me = caller.user(&world)?.id;
    let resource = parse_resource(&query.resource)?;
    let vis = Visibility::of(&world, me).ok_or(AppError::Unauthenticated)?;
    let visible = vis.resource(resource);
    if !visible {
        return Err(AppError::NotFound("resource".into()));
    }
    let entries = who_can(&world, query.action, resource)
        .into_iter()
        .filter(|a| may_ask(&vis, a.user, resource))
        .map(|a| WhoCanEntry {
            user: a.user,
            name: world
                .user(a.user)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            explanation: a.reasons.iter().map(|r| r.render_for(&vis)).collect(),
            access: a,
        })
        .collect();
    Ok(Json(entries))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WhatCanQuery {
    pub user: Option<UserId>,
    pub action: Action,
    pub kind: ResourceKind,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WhatCanEntry {
    pub resource: Resource,
    pub name: String,
    pub explanation: Vec<String>,
}

/// What a user (the caller when absent) may do an action to, among resources of
/// one kind, each with the reasons.
#[utoipa::path(get, path = "/what-can", tag = "access", params(WhatCanQuery),
    responses((status = 200, description = "The resources, with their reasons.", body = Vec<WhatCanEntry>), BadParameters, NotSignedIn, NotAUser, crate::error::NotVisible))]
async fn what_can_get(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<WhatCanQuery>,
) -> Result<Json<Vec<WhatCanEntry>>, AppError> {
    let world = state.engine.world();
    let me = caller.user(&world)?.id;
    let user = query.user.unwrap_or(me);
    let vis = Visibility::of(&world, me).ok_or(AppError::Unauthenticated)?;
    if !vis.user(user) {
        return Err(AppError::NotFound("user".into()));
    }
    let entries = what_can(&world, user, query.action, query.kind)
        .into_iter()
        .filter(|a| may_ask(&vis, user, a.resource))
        .map(|a| WhatCanEntry {
            name: a.resource.name_for(&vis),
            explanation: a.reasons.iter().map(|r| r.render_for(&vis)).collect(),
            resource: a.resource,
        })
        .collect();
    Ok(Json(entries))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    pub before: Option<i64>,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub outcome: Option<String>,
}

/// The caller's environment's audit log, newest first, accepted and refused
/// commands alike (Administrators only).
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "A page of entries.", body = Vec<crate::store::AuditEntry>), BadParameters, NotSignedIn,
        (status = 403, description = "Only Administrators read the log (`not_permitted`).", body = ErrorBody)))]
async fn audit_get(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<crate::store::AuditEntry>>, AppError> {
    let world = state.engine.world();
    let me = caller.user(&world)?.clone();
    let may = check(
        &world,
        me.id,
        Action::ReadAuditLog,
        Resource::Environment(me.environment),
    );
    if !may.allowed {
        return Err(AppError::NotPermitted(format!(
            "you may not read the audit log: {}",
            may.explain(&world).join("; ")
        )));
    }
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let store = Arc::clone(&state.store);
    let environment = me.environment;
    let outcome = query.outcome;
    let mut entries = tokio::task::spawn_blocking(move || {
        store.audit(environment, query.before, limit, outcome.as_deref())
    })
    .await??;
    // What a command carries of things the reader may not see stays out.
    let vis = preflight_core::project::Visibility::of(&world, me.id);
    for entry in &mut entries {
        if let Actor::User { id } = entry.actor {
            entry.actor_name = world.user(id).map(|u| u.name.clone());
        }
        if let Some(vis) = &vis {
            entry.command = vis.command(&entry.command);
        }
    }
    Ok(Json(entries))
}

/// What the stream sends: a version, and the events of it the user may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamMessage {
    pub version: u64,
    /// `preflight_core::Event`s.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Event>,
}

/// One event of the live stream as `text/event-stream` frames it: its name,
/// and its data, the JSON of a [`StreamMessage`] (`{}` for `resync` and
/// `ended`). Only described: the stream writes the frames.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StreamEvent {
    /// `hello` (the version now), `events` (a committed version), `resync`
    /// (reload the projection: too far behind), `ended` (the session ended).
    #[schema(pattern = "^(hello|events|resync|ended)$")]
    pub event: String,
    /// JSON: a `StreamMessage`, or `{}`.
    pub data: String,
}

/// A server-sent-events stream: each committed version, with the events of it
/// the caller may see (`data:` is a `StreamMessage`).
#[utoipa::path(get, path = "/events", tag = "world",
    responses((status = 200, description = "`text/event-stream` of `StreamMessage`s; a keep-alive comment every 15 s; an `ended` event when the session ends.", content_type = "text/event-stream", body = StreamEvent), NotSignedIn, NotAUser))]
async fn events_get(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, AppError> {
    let user = caller.user(&state.engine.world())?.id;
    let mut receiver = state.engine.subscribe();
    let mut ended = state.accounts.ended();
    let engine = state.engine.clone();
    let accounts = Arc::clone(&state.accounts);
    let token = caller.token;
    let own_session = accounts::digest(&token);
    let subject = caller.subject;
    let stream = async_stream::stream! {
        let hello = StreamMessage { version: engine.world().version(), events: Vec::new() };
        if let Ok(data) = serde_json::to_string(&hello) {
            yield Ok(SseEvent::default().event("hello").data(data));
        }
        // A session can also lapse quietly (it expires): looked at now and then.
        let mut check = tokio::time::interval(SESSION_CHECK_EVERY);
        check.tick().await;
        loop {
            tokio::select! {
                received = receiver.recv() => match received {
                    Ok(committed) => {
                        let world = engine.world();
                        // A user disabled meanwhile gets nothing more.
                        if !world.user(user).is_some_and(|u| u.is_active()) {
                            yield Ok(SseEvent::default().event("ended").data("{}"));
                            break;
                        }
                        let events = visible_events(&world, user, &committed.events);
                        if events.is_empty() {
                            continue;
                        }
                        let message = StreamMessage { version: committed.version, events };
                        if let Ok(data) = serde_json::to_string(&message) {
                            yield Ok(SseEvent::default().event("events").data(data));
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        // Too far behind: tell the browser to reload its projection.
                        yield Ok(SseEvent::default().event("resync").data("{}"));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
                end = ended.recv() => {
                    let this_session = match end {
                        Ok(Ended::Session(hash)) => hash == own_session,
                        Ok(Ended::Subject(ended_subject)) => ended_subject == subject,
                        // Missed some: whether this session is still live is asked below.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            accounts.cached_session(&token).flatten().is_none()
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => true,
                    };
                    if this_session {
                        yield Ok(SseEvent::default().event("ended").data("{}"));
                        break;
                    }
                }
                _ = check.tick() => {
                    if accounts.cached_session(&token).flatten().is_none() {
                        yield Ok(SseEvent::default().event("ended").data("{}"));
                        break;
                    }
                }
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE_EVERY)))
}

/// How often the live stream sends a keep-alive comment, which also keeps the
/// connection from counting as idle.
pub const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(15);

/// How often the live stream looks whether its session is still live.
const SESSION_CHECK_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitCompareRequest {
    /// Organisations of the caller's environment to split off.
    pub organisations: Vec<preflight_core::OrganisationId>,
    /// The Administrator's answers to the seed's four questions
    /// (`preflight_core::split::SplitQuestions`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub questions: preflight_core::split::SplitQuestions,
}

/// Both options of splitting the caller's environment, side by side, computed on
/// the authoritative world: a plan's fingerprint must be the server's for
/// `ApplyAccessPlan` to accept it.
#[utoipa::path(post, path = "/split/compare", tag = "split", request_body = SplitCompareRequest,
    responses(
        (status = 200, description = "`preflight_core::split::SplitComparison`: option 1 and option 2 side by side, with a recommendation.", body = serde_json::Value),
        NotSignedIn,
        (status = 403, description = "Only the environment's Administrator simulates a split (`not_permitted`).", body = ErrorBody),
        (status = 404, description = "An organisation does not exist or is not visible (`not_found`).", body = ErrorBody),
        BadJsonBody))]
async fn split_compare_post(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<SplitCompareRequest>,
) -> Result<Json<preflight_core::split::SplitComparison>, AppError> {
    let world = state.engine.world();
    let me = caller.user(&world)?.clone();
    if request.organisations.is_empty() {
        return Err(AppError::Invalid {
            field: "organisations".into(),
            message: "choose at least one organisation to split off".into(),
        });
    }
    let comparison = tokio::task::spawn_blocking(move || {
        let mut comparison = preflight_core::compare_split(
            &world,
            &Actor::user(me.id),
            me.environment,
            &request.organisations,
            None,
            None,
            request.questions,
        )?;
        // Only the users the caller may see are named.
        if let Some(vis) = Visibility::of(&world, me.id) {
            comparison.restrict_to(|user| vis.user(user));
        }
        Ok::<_, preflight_core::CommandError>(comparison)
    })
    .await??;
    Ok(Json(comparison))
}

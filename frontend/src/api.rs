//! A typed client for the server's HTTP API.
//!
//! Every call returns `Result<T, ApiError>`: the pages show errors, they never
//! panic on a failed request or an unexpected body.

use gloo_net::http::{Request, Response};
use preflight_core::preview::{Outcome, Preview};
use preflight_core::{Command, World};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Why a call to the server failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The request never got an answer (server down, network gone).
    #[error("no answer from the server: {0}")]
    Unreachable(String),
    /// The server answered with an error status and (usually) `{ code, message }`.
    #[error("{message} (HTTP {status}, `{code}`)")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// The server answered, but not with what this client understands.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

/// Counts of what a world holds (the server's `WorldStats` on the wire).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Stats {
    pub environments: usize,
    pub users: usize,
    pub organisations: usize,
    pub documents: usize,
    pub partnerships: usize,
}

impl From<preflight_core::WorldStats> for Stats {
    fn from(stats: preflight_core::WorldStats) -> Stats {
        Stats {
            environments: stats.environments,
            users: stats.users,
            organisations: stats.organisations,
            documents: stats.documents,
            partnerships: stats.partnerships,
        }
    }
}

/// `GET /api/health`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Health {
    pub status: String,
    /// The version of the server's world: how many events it has applied.
    pub version: u64,
    pub stats: Stats,
}

/// The error body every API error carries.
#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
}

/// Asks the server whether it is up, and what its world holds.
pub async fn health() -> Result<Health, ApiError> {
    get_json("/api/health").await
}

pub use preflight_core::model::wire::Me;

/// The caller's slice of the world (`GET /api/projection`).
#[derive(Clone, Debug, Deserialize)]
pub struct Projection {
    pub version: u64,
    pub world: World,
}

/// The server's answer to an accepted command (`POST /api/commands`).
#[derive(Clone, Debug, Deserialize)]
pub struct Accepted {
    pub version: u64,
    /// A secret shown once (a connection key, an invitation's secret).
    #[serde(default)]
    pub secret: Option<String>,
}

#[derive(Serialize)]
struct LoginBody<'a> {
    email: &'a str,
    password: &'a str,
}

#[derive(Serialize)]
struct CommandBody<'a> {
    command: &'a Command,
    expected: Option<&'a Outcome>,
}

/// The signed-in caller, or `None` when nobody is signed in (HTTP 401).
pub async fn me() -> Result<Option<Me>, ApiError> {
    match get_json::<Me>("/api/me").await {
        Ok(me) => Ok(Some(me)),
        Err(ApiError::Server { status: 401, .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Signs in; the server sets the session cookie.
pub async fn sign_in(email: &str, password: &str) -> Result<Me, ApiError> {
    let request = Request::post("/api/session")
        .json(&LoginBody { email, password })
        .map_err(|error| ApiError::Decode(error.to_string()))?;
    read_json(send(request).await?).await
}

/// Ends the session.
pub async fn sign_out() -> Result<(), ApiError> {
    let response = send(
        Request::delete("/api/session")
            .build()
            .map_err(unreachable)?,
    )
    .await?;
    if response.ok() {
        Ok(())
    } else {
        Err(server_error(response).await)
    }
}

/// The caller's projection of the world.
pub async fn projection() -> Result<Projection, ApiError> {
    get_json("/api/projection").await
}

/// Submits a command with the outcome its preview showed; the server refuses it
/// with `preview_outdated` if executing it now would give another outcome.
pub async fn submit(command: &Command, expected: Option<&Outcome>) -> Result<Accepted, ApiError> {
    let request = Request::post("/api/commands")
        .json(&CommandBody { command, expected })
        .map_err(|error| ApiError::Decode(error.to_string()))?;
    read_json(send(request).await?).await
}

/// The server's preview of a command on the whole world (`POST /api/preview`),
/// as the caller may see it: what the browser asks for when its own preview
/// rests on facts the projection lacks.
#[derive(Clone, Debug, Deserialize)]
pub struct ServerPreview {
    pub version: u64,
    pub preview: Preview,
    pub outcome: Outcome,
}

pub async fn preview(command: &Command) -> Result<ServerPreview, ApiError> {
    #[derive(Serialize)]
    struct Body<'a> {
        command: &'a Command,
    }
    let request = Request::post("/api/preview")
        .json(&Body { command })
        .map_err(|error| ApiError::Decode(error.to_string()))?;
    read_json(send(request).await?).await
}

fn unreachable(error: gloo_net::Error) -> ApiError {
    ApiError::Unreachable(error.to_string())
}

async fn send(request: Request) -> Result<Response, ApiError> {
    request.send().await.map_err(unreachable)
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if !response.ok() {
        return Err(server_error(response).await);
    }
    response
        .json::<T>()
        .await
        .map_err(|error| ApiError::Decode(error.to_string()))
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path).send().await.map_err(unreachable)?;
    read_json(response).await
}

async fn server_error(response: Response) -> ApiError {
    let status = response.status();
    let status_text = response.status_text();
    error_of(status, response.json::<ErrorBody>().await.ok(), status_text)
}

/// The error of an answer with `status`, from its `{ code, message }` body if
/// it had one.
fn error_of(status: u16, body: Option<ErrorBody>, status_text: String) -> ApiError {
    match body {
        Some(body) => ApiError::Server {
            status,
            code: body.code,
            message: body.message,
        },
        // A proxy or a stopped server answers without our JSON body.
        None => ApiError::Server {
            status,
            code: format!("http_{status}"),
            message: if status_text.is_empty() {
                "the server could not answer".to_string()
            } else {
                status_text
            },
        },
    }
}

impl ApiError {
    /// The server's machine code, when the server answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    /// What to tell the person: the server's own message when it gave one.
    /// The message as a person reads it.
    pub fn message(&self) -> String {
        match self {
            ApiError::Server { message, .. } => crate::words::plain(message),
            other => crate::words::plain(&other.to_string()),
        }
    }
}

/// The bytes of a document the caller may view.
pub async fn document_content(document: preflight_core::DocumentId) -> Result<Vec<u8>, ApiError> {
    let response = Request::get(&format!("/api/documents/{document}/content"))
        .send()
        .await
        .map_err(unreachable)?;
    if !response.ok() {
        return Err(server_error(response).await);
    }
    response
        .binary()
        .await
        .map_err(|error| ApiError::Decode(error.to_string()))
}

/// The server's answer to an upload.
#[derive(Clone, Debug, Deserialize)]
pub struct Uploaded {
    pub document: preflight_core::DocumentId,
    pub version: u64,
    /// Business rules whose figures do not add up (the document is kept).
    pub findings: Vec<preflight_core::peppol::Finding>,
}

/// Uploads a file into one of an organisation's boxes.
pub async fn upload(
    organisation: preflight_core::OrganisationId,
    doc_box: preflight_core::DocBox,
    name: &str,
    bytes: &[u8],
) -> Result<Uploaded, ApiError> {
    let query = js_sys::encode_uri_component(name);
    let url = format!("/api/organisations/{organisation}/documents?box={doc_box:?}&name={query}");
    let body = js_sys::Uint8Array::from(bytes);
    let request = Request::post(&url)
        .header("content-type", "application/octet-stream")
        .body(body)
        .map_err(|error| ApiError::Decode(error.to_string()))?;
    read_json(send(request).await?).await
}

/// One entry of an environment's audit log (`GET /api/audit`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AuditEntry {
    /// The entry's place in the log (the server's; none in the offline demo).
    #[serde(default)]
    pub id: Option<i64>,
    pub at: preflight_core::Timestamp,
    pub actor: preflight_core::Actor,
    pub command: Command,
    /// `accepted` or `refused`.
    pub outcome: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub version: Option<u64>,
    /// The acting user's name, kept by the log (DOMAIN §1).
    #[serde(default)]
    pub actor_name: Option<String>,
}

/// The caller's environment's audit log, newest first (Administrators only).
/// How many audit entries one request asks for.
pub const AUDIT_PAGE: usize = 200;

/// A page of the audit log, newest first, older than entry `before` if given.
pub async fn audit(before: Option<i64>) -> Result<Vec<AuditEntry>, ApiError> {
    let path = match before {
        Some(before) => format!("/api/audit?limit={AUDIT_PAGE}&before={before}"),
        None => format!("/api/audit?limit={AUDIT_PAGE}"),
    };
    get_json(&path).await
}

#[derive(Serialize)]
struct SignupBody<'a> {
    environment_name: &'a str,
    name: &'a str,
    email: &'a str,
    password: &'a str,
}

/// Creates an environment whose first user (the caller) is its Administrator,
/// and signs them in.
pub async fn sign_up(
    environment_name: &str,
    name: &str,
    email: &str,
    password: &str,
) -> Result<Me, ApiError> {
    let request = Request::post("/api/signup")
        .json(&SignupBody {
            environment_name,
            name,
            email,
            password,
        })
        .map_err(|error| ApiError::Decode(error.to_string()))?;
    read_json(send(request).await?).await
}

#[derive(Serialize)]
struct AcceptBody<'a> {
    secret: &'a str,
    password: &'a str,
}

/// Accepts an invitation with the secret of its link, sets the new user's
/// password and signs them in.
pub async fn accept_invitation(secret: &str, password: &str) -> Result<Me, ApiError> {
    let request = Request::post("/api/invitations/accept")
        .json(&AcceptBody { secret, password })
        .map_err(|error| ApiError::Decode(error.to_string()))?;
    read_json(send(request).await?).await
}

#[derive(Serialize)]
struct SplitBody<'a> {
    organisations: &'a [preflight_core::OrganisationId],
    questions: preflight_core::split::SplitQuestions,
}

/// Both options of splitting the caller's environment, computed by the server.
pub async fn compare_split(
    organisations: &[preflight_core::OrganisationId],
    questions: preflight_core::split::SplitQuestions,
) -> Result<preflight_core::split::SplitComparison, ApiError> {
    let request = Request::post("/api/split/compare")
        .json(&SplitBody {
            organisations,
            questions,
        })
        .map_err(|error| ApiError::Decode(error.to_string()))?;
    read_json(send(request).await?).await
}

/// What an import restored (the server's `ImportResponse`).
#[derive(Deserialize)]
pub struct Imported {
    pub documents: u64,
}

/// Reads a JSON body that arrived as bytes. Through `from_str`, as gloo-net
/// reads every other answer: one JSON reader in the wasm instead of two.
pub fn json_of<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()
}

/// A progress share (0.0 to 1.0) as a whole percentage for a `<progress>` bar.
pub fn percent(share: f64) -> u32 {
    (share.clamp(0.0, 1.0) * 100.0).round() as u32
}

/// What a transfer with progress brought back.
pub struct Transferred {
    pub bytes: Vec<u8>,
    /// The `X-Bundle-Digest` header, when the server sent one.
    pub digest: Option<String>,
}

/// Sends `body` (if any) to `url` with `method`, telling `progress` the share
/// done so far (0.0 to 1.0) of the upload, then of the download. `fetch` cannot
/// report an upload's progress; `XMLHttpRequest` can.
pub async fn transfer(
    method: &str,
    url: &str,
    content_type: &str,
    body: Option<&web_sys::Blob>,
    progress: impl Fn(f64) + 'static,
) -> Result<Transferred, ApiError> {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let broken = |what: &str| ApiError::Unreachable(format!("the browser could not {what}"));
    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| broken("start the transfer"))?;
    xhr.open(method, url)
        .map_err(|_| broken("start the transfer"))?;
    xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);
    xhr.set_request_header("content-type", content_type)
        .map_err(|_| broken("start the transfer"))?;
    let progress = std::rc::Rc::new(progress);
    let sending = body.is_some();
    let on_upload = {
        let progress = std::rc::Rc::clone(&progress);
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
            if event.length_computable() && event.total() > 0.0 {
                progress(event.loaded() / event.total() * if sending { 0.9 } else { 0.0 });
            }
        })
    };
    let on_download = {
        let progress = std::rc::Rc::clone(&progress);
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
            if event.length_computable() && event.total() > 0.0 {
                let start = if sending { 0.9 } else { 0.0 };
                progress(start + (1.0 - start) * event.loaded() / event.total());
            }
        })
    };
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_upload.as_ref().unchecked_ref()));
    }
    xhr.set_onprogress(Some(on_download.as_ref().unchecked_ref()));
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        xhr.set_onload(Some(&resolve));
        xhr.set_onerror(Some(&reject));
        xhr.set_onabort(Some(&reject));
    });
    match body {
        Some(blob) => xhr.send_with_opt_blob(Some(blob)),
        None => xhr.send(),
    }
    .map_err(|_| broken("send the request"))?;
    wasm_bindgen_futures::JsFuture::from(done)
        .await
        .map_err(|_| ApiError::Unreachable("the transfer broke off".into()))?;
    drop((on_upload, on_download));
    let status = xhr.status().unwrap_or(0);
    let bytes = xhr
        .response()
        .ok()
        .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec())
        .unwrap_or_default();
    if !(200..300).contains(&status) {
        let body = json_of::<ErrorBody>(&bytes);
        return Err(error_of(
            status,
            body,
            xhr.status_text().unwrap_or_default(),
        ));
    }
    progress(1.0);
    Ok(Transferred {
        bytes,
        digest: xhr.get_response_header("x-bundle-digest").ok().flatten(),
    })
}

/// A removal an Administrator authorised, as Support sees it (`GET /api/removals`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PendingRemoval {
    pub organisation: preflight_core::OrganisationId,
    pub organisation_name: String,
    pub participant_id: String,
    pub environment_name: String,
    pub authorised_by: String,
    pub at: preflight_core::Timestamp,
    pub export: String,
    pub documents: usize,
    pub documents_not_exported: usize,
    pub accept_loss: bool,
}

/// The removals waiting for Support (Support only).
pub async fn removals() -> Result<Vec<PendingRemoval>, ApiError> {
    get_json("/api/removals").await
}

/// An environment as platform Support manages it (`GET /api/environments`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct EnvironmentSummary {
    pub id: preflight_core::EnvironmentId,
    pub name: String,
    pub plan: preflight_core::Plan,
    pub add_ons: Vec<preflight_core::AddOn>,
    pub credit: i64,
    pub flagged: bool,
    pub users: usize,
    pub organisations: usize,
}

/// The environments whose names contain `search`, flagged ones first (Support only).
pub async fn environments(
    search: &str,
    flagged: bool,
) -> Result<Vec<EnvironmentSummary>, ApiError> {
    let mut path = format!("/api/environments?flagged={flagged}");
    if !search.trim().is_empty() {
        let search: String = js_sys::encode_uri_component(search.trim()).into();
        path.push_str(&format!("&search={search}"));
    }
    get_json(&path).await
}

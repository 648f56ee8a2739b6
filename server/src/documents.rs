//! Document bytes over HTTP: upload into an organisation's box (from the browser,
//! or from accounting software holding a connection key), download, and the
//! organisation-scoped software API.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use preflight_core::peppol::{self, Finding, MAX_DOCUMENT_BYTES};
use preflight_core::{
    check, Action, Actor, Created, DocBox, Document, DocumentId, OrganisationId, Resource, UserId,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::caller::Caller;
use crate::error::{AppError, BadParameters, ErrorBody, NotSignedIn};
use crate::AppState;

/// The routes of this module, nested under `/api`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(documents_upload))
        .routes(routes!(documents_content))
        .routes(routes!(software_list, software_upload))
        .routes(routes!(software_content))
        .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 64 * 1024))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    #[serde(rename = "box")]
    pub doc_box: DocBox,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResponse {
    pub document: DocumentId,
    pub version: u64,
    pub sha256: String,
    /// Business rules whose figures do not add up (the document is kept).
    pub findings: Vec<Finding>,
}

/// The answer of the software API without a usable key: described once for the
/// OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 401,
    description = "No valid connection key (`invalid_connection_key`): absent, unknown, revoked, or its holder may no longer retrieve it; the message says which."
)]
#[allow(dead_code)] // Only described: the extractor answers with `AppError::BadKey`.
struct NoConnectionKey(ErrorBody);

/// What both upload endpoints answer, besides their own authentication error.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only described: the handlers answer with `UploadResponse` or `AppError`.
enum UploadAnswers {
    #[response(status = 200, description = "Read, stored and recorded.")]
    Stored(UploadResponse),
    #[response(
        status = 403,
        description = "The caller may not upload into this organisation (`not_permitted`)."
    )]
    NotPermitted(ErrorBody),
    #[response(
        status = 404,
        description = "No such organisation, or not visible (`not_found`)."
    )]
    NotFound(ErrorBody),
    #[response(status = 413, description = "Larger than the limit (`too_large`).")]
    TooLarge(ErrorBody),
    #[response(
        status = 422,
        description = "Not a readable UBL invoice or credit note for an inbox (`malformed_xml`, `dtd_forbidden`, `not_ubl`, `missing_field`, `invalid_field`, …), or a bad query (`invalid_input`)."
    )]
    Unreadable(ErrorBody),
}

/// Reads, stores and records an uploaded document for `user`.
async fn upload(
    state: &AppState,
    user: UserId,
    organisation: OrganisationId,
    query: UploadQuery,
    bytes: Bytes,
) -> Result<UploadResponse, AppError> {
    if bytes.is_empty() {
        return Err(AppError::Invalid {
            field: "body".into(),
            message: "the document is empty".into(),
        });
    }
    let (command, findings) =
        peppol::upload_command(organisation, query.doc_box, query.name, &bytes).map_err(
            |error| AppError::Unreadable {
                code: error.code(),
                message: error.to_string(),
            },
        )?;
    let blobs = state.blobs.clone();
    let stored = bytes.clone();
    // No erasure may delete these bytes before the document's record is durable.
    let _kept = state.blobs.keep().await;
    let sha256 = tokio::task::spawn_blocking(move || blobs.put(&stored))
        .await?
        .map_err(|e| AppError::Internal(format!("cannot store the document: {e}")))?;
    let committed = state
        .engine
        .submit(Actor::user(user), command, None)
        .await?;
    let document = Created::of(&committed.events)
        .document
        .ok_or_else(|| AppError::Internal("an upload added no document".into()))?;
    Ok(UploadResponse {
        document,
        version: committed.version,
        sha256: sha256.to_hex(),
        findings,
    })
}

/// Uploads a file into one of an organisation's boxes; the body is the file's
/// bytes. A file into an inbox must be a readable UBL invoice or credit note.
#[utoipa::path(post, path = "/organisations/{organisation}/documents", tag = "documents",
    params(("organisation" = OrganisationId, Path, description = "The organisation."), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        UploadAnswers,
        BadParameters,
        NotSignedIn))]
async fn documents_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(organisation): Path<OrganisationId>,
    Query(query): Query<UploadQuery>,
    bytes: Bytes,
) -> Result<Json<UploadResponse>, AppError> {
    let user = caller.user(&state.engine.world())?.id;
    Ok(Json(
        upload(&state, user, organisation, query, bytes).await?,
    ))
}

/// The bytes of a document the caller may view.
async fn content_of(
    state: &AppState,
    user: UserId,
    document: DocumentId,
) -> Result<Response, AppError> {
    let world = state.engine.world();
    if !check(&world, user, Action::View, Resource::Document(document)).allowed {
        return Err(AppError::NotFound("document".into()));
    }
    let doc = world
        .document(document)
        .ok_or_else(|| AppError::NotFound("document".into()))?
        .clone();
    let blobs = state.blobs.clone();
    let digest = doc.sha256;
    let bytes = tokio::task::spawn_blocking(move || blobs.get(&digest))
        .await?
        .map_err(|e| AppError::Internal(format!("cannot read the document: {e}")))?
        .ok_or_else(|| AppError::NotFound("document content".into()))?;
    let mut response = bytes.into_response();
    let content_type = if doc.summary.is_some() {
        "application/xml"
    } else {
        "application/octet-stream"
    };
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// The bytes of a document the caller may view.
#[utoipa::path(get, path = "/documents/{document}/content", tag = "documents",
    params(("document" = DocumentId, Path, description = "The document.")),
    responses(
        (status = 200, description = "The file (`application/xml` for UBL).", body = Vec<u8>, content_type = "application/octet-stream"),
        BadParameters,
        NotSignedIn,
        (status = 404, description = "No such document, or not visible (`not_found`).", body = ErrorBody)))]
async fn documents_content(
    State(state): State<AppState>,
    caller: Caller,
    Path(document): Path<DocumentId>,
) -> Result<Response, AppError> {
    let user = caller.user(&state.engine.world())?.id;
    content_of(&state, user, document).await
}

/// Accounting software holding a valid connection key for one organisation.
pub struct Software {
    pub organisation: OrganisationId,
    pub holder: UserId,
}

impl FromRequestParts<AppState> for Software {
    type Rejection = AppError;

    /// Says what is wrong with the key, never whose it would be.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                AppError::BadKey(
                    "no connection key: send it as `Authorization: Bearer <key>`".into(),
                )
            })?;
        let secret = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|secret| !secret.is_empty())
            .ok_or_else(|| {
                AppError::BadKey("the Authorization header is not `Bearer <connection key>`".into())
            })?
            .to_string();
        let accounts = Arc::clone(&state.accounts);
        let key = tokio::task::spawn_blocking(move || accounts.key_for_secret(&secret))
            .await??
            .ok_or_else(|| {
                AppError::BadKey(
                    "this connection key is not known: check that it was copied whole".into(),
                )
            })?;
        let world = state.engine.world();
        let works = preflight_core::access::use_connection_key(&world, key);
        let key = match world.key(key) {
            Some(k) if works.allowed => k,
            Some(_) => {
                return Err(AppError::BadKey(format!(
                    "this connection key does not work: {}; retrieve a new one",
                    works.explain(&world).join("; ")
                )))
            }
            None => {
                return Err(AppError::BadKey(
                    "this connection key is not known: check that it was copied whole".into(),
                ))
            }
        };
        Ok(Software {
            organisation: key.organisation,
            holder: key.holder,
        })
    }
}

/// Accounting software holding a connection key (`Authorization: Bearer …`):
/// the documents of the key's organisation.
#[utoipa::path(get, path = "/software/documents", tag = "software", security(("connection_key" = [])),
    responses(
        (status = 200, description = "`preflight_core::Document` metadata, every box.", body = Vec<serde_json::Value>),
        NoConnectionKey))]
async fn software_list(
    State(state): State<AppState>,
    software: Software,
) -> Result<Json<Vec<Document>>, AppError> {
    let world = state.engine.world();
    let documents = world
        .documents_of(software.organisation)
        .filter_map(|d| world.document(d).cloned())
        .collect();
    Ok(Json(documents))
}

/// Accounting software: the bytes of one of the organisation's documents.
#[utoipa::path(get, path = "/software/documents/{document}", tag = "software", security(("connection_key" = [])),
    params(("document" = DocumentId, Path, description = "The document.")),
    responses(
        (status = 200, description = "The file.", body = Vec<u8>, content_type = "application/octet-stream"),
        BadParameters,
        NoConnectionKey,
        (status = 404, description = "Not a document of the key's organisation (`not_found`).", body = ErrorBody)))]
async fn software_content(
    State(state): State<AppState>,
    software: Software,
    Path(document): Path<DocumentId>,
) -> Result<Response, AppError> {
    let world = state.engine.world();
    if world.document(document).map(|d| d.organisation) != Some(software.organisation) {
        return Err(AppError::NotFound("document".into()));
    }
    content_of(&state, software.holder, document).await
}

/// Accounting software: uploads a file into one of the organisation's boxes.
#[utoipa::path(post, path = "/software/documents", tag = "software", security(("connection_key" = [])),
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        UploadAnswers,
        BadParameters,
        NoConnectionKey))]
async fn software_upload(
    State(state): State<AppState>,
    software: Software,
    Query(query): Query<UploadQuery>,
    bytes: Bytes,
) -> Result<Json<UploadResponse>, AppError> {
    Ok(Json(
        upload(&state, software.holder, software.organisation, query, bytes).await?,
    ))
}

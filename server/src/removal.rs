//! Option 2 of splitting an environment over HTTP (DOMAIN §7): the export
//! bundle streamed out, a bundle uploaded and imported, the removals Support has
//! to execute, and what the server erases once a removal is recorded.
//!
//! The rules (who may export, authorise, remove, import) are the core's; these
//! handlers build the manifest and the archive, check signatures and checksums,
//! and hand the command to the engine, which decides it again.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt as _;
use preflight_core::model::bundle::Manifest;
use preflight_core::{
    check, Action, Command, OrganisationId, Resource, Sha256, Timestamp, UserId, World,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::blobs::Blobs;
use crate::bundle::{self, Upload};
use crate::caller::Caller;
use crate::error::{AppError, ErrorBody, NotSignedIn};
use crate::store::Store;
use crate::AppState;

/// The largest bundle an import accepts, unless `PREFLIGHT_MAX_BUNDLE_BYTES` says otherwise.
pub const MAX_BUNDLE_BYTES: u64 = 2 << 30;

/// The routes of this module, nested under `/api`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_post))
        .routes(routes!(import_post))
        .routes(routes!(removals_get))
}

/// The organisation `caller` names, if they may see it; otherwise 404. Asked
/// before an export's manifest is built, so nobody makes the server digest an
/// organisation they cannot see (the core then decides the export itself).
fn visible_organisation(
    world: &World,
    user: UserId,
    organisation: OrganisationId,
) -> Result<(), AppError> {
    let org = world
        .organisation(organisation)
        .ok_or_else(|| AppError::NotFound("organisation".into()))?;
    let own = world
        .user(user)
        .is_some_and(|u| u.environment == org.environment);
    if own
        || check(
            world,
            user,
            Action::ViewOrganisation,
            Resource::Organisation(organisation),
        )
        .allowed
    {
        Ok(())
    } else {
        Err(AppError::NotFound("organisation".into()))
    }
}

/// Decides `command` on `world` without recording it: whether it would be
/// accepted now, asked before work that must not start for a refused one.
fn decide(world: &World, actor: &preflight_core::Actor, command: &Command) -> Result<(), AppError> {
    preflight_core::execute(
        world,
        actor,
        command.clone(),
        &preflight_core::Context::deterministic(Timestamp(0), 0),
    )?;
    Ok(())
}

fn header(value: String) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(&value).map_err(|e| AppError::Internal(e.to_string()))
}

/// Exports every document of an organisation as a signed bundle (a tar archive:
/// `manifest.json`, `manifest.sig`, then `documents/<sha256>`), and records the
/// export. The same documents always give the same bytes.
#[utoipa::path(post, path = "/organisations/{organisation}/export", tag = "split",
    params(("organisation" = OrganisationId, Path, description = "The organisation.")),
    responses(
        (status = 200, description = "The bundle, streamed; `X-Bundle-Digest` holds the manifest's digest.", body = Vec<u8>, content_type = "application/x-tar"),
        crate::error::BadParameters,
        NotSignedIn,
        (status = 403, description = "Only an Administrator of the organisation's environment exports it (`not_permitted`).", body = ErrorBody),
        crate::error::OrganisationNotVisible,
        (status = 409, description = "Its documents changed while the bundle was made (`conflict`); export again.", body = ErrorBody)))]
async fn export_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(organisation): Path<OrganisationId>,
) -> Result<Response, AppError> {
    let world = state.engine.world();
    let user = caller.user(&world)?.id;
    visible_organisation(&world, user, organisation)?;
    let blobs = state.blobs.clone();
    let decided = Arc::clone(&world);
    let manifest = tokio::task::spawn_blocking(move || {
        let manifest = Manifest::of(&world, organisation)?;
        // Every file must be there before the export is recorded as made.
        let missing = manifest
            .documents
            .iter()
            .filter(|d| !blobs.has(&d.sha256))
            .count();
        Some((manifest, missing))
    })
    .await?
    .ok_or_else(|| AppError::NotFound("organisation".into()))?;
    let (manifest, missing) = manifest;
    if missing > 0 {
        return Err(AppError::Internal(format!(
            "{missing} document file(s) of the organisation are missing from the data directory"
        )));
    }
    // Whether the caller may export is decided before a byte is sent; the export
    // is recorded once every document has been sent, just before the archive's
    // end, so an export the caller did not receive whole is never on record. If
    // recording fails (the documents changed meanwhile), the archive breaks off.
    let command = Command::ExportOrganisation {
        organisation,
        digest: manifest.digest,
    };
    decide(&decided, &caller.actor(), &command)?;
    let (entries, length) = bundle::entries(&manifest, &state.signer);
    let blobs = state.blobs.clone();
    let engine = state.engine.clone();
    let actor = caller.actor();
    let body = futures_util::stream::iter(entries.into_iter().map(Some).chain([None])).then(
        move |entry| {
            let blobs = blobs.clone();
            let (engine, actor, command) = (engine.clone(), actor.clone(), command.clone());
            async move {
                match entry {
                    Some(entry) => {
                        tokio::task::spawn_blocking(move || bundle::entry_bytes(&entry, &blobs))
                            .await
                            .map_err(std::io::Error::other)?
                            .map(Bytes::from)
                    }
                    None => {
                        engine.submit(actor, command, None).await.map_err(|error| {
                            tracing::warn!(%error, "an export was not recorded; its archive breaks off");
                            std::io::Error::other(error.to_string())
                        })?;
                        Ok(Bytes::from(bundle::trailer()))
                    }
                }
            }
        },
    );
    let file = format!(
        "{}-{}.tar",
        slug(&manifest.name),
        &manifest.digest.to_hex()[..12]
    );
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-tar"));
    headers.insert(CONTENT_LENGTH, header(length.to_string())?);
    headers.insert(
        CONTENT_DISPOSITION,
        header(format!("attachment; filename=\"{file}\""))?,
    );
    headers.insert("x-bundle-digest", header(manifest.digest.to_hex())?);
    headers.insert(
        "x-bundle-documents",
        header(manifest.documents.len().to_string())?,
    );
    Ok(response)
}

/// A file name made of a name's letters and digits.
fn slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() {
        "organisation".into()
    } else {
        slug
    }
}

/// What an import restored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub version: u64,
    /// The bundle's manifest digest.
    pub bundle: String,
    pub documents: usize,
}

/// Imports a bundle exported from this platform into the organisation with the
/// same Peppol identifier. The body is the archive. Every checksum and the
/// signature are verified before anything is stored; a tampered, truncated or
/// foreign bundle is refused and nothing is imported.
#[utoipa::path(post, path = "/organisations/{organisation}/import", tag = "split",
    params(("organisation" = OrganisationId, Path, description = "The organisation to restore into.")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The bundle as exported: a tar archive (`application/x-tar` or `application/octet-stream`)."),
    responses(
        (status = 200, description = "Verified, stored and recorded.", body = ImportResponse),
        crate::error::BadParameters,
        NotSignedIn,
        (status = 403, description = "Only an Administrator of the organisation's environment imports (`not_permitted`).", body = ErrorBody),
        crate::error::OrganisationNotVisible,
        (status = 409, description = "Already imported (`conflict`).", body = ErrorBody),
        crate::error::TooLarge,
        (status = 422, description = "Not a bundle of this platform, or not intact: `bundle_malformed`, `bundle_tampered`, `bundle_incomplete`, `bundle_signature_invalid`; or exported from another identifier (`invalid_input`).", body = ErrorBody)))]
async fn import_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(organisation): Path<OrganisationId>,
    body: Body,
) -> Result<Json<ImportResponse>, AppError> {
    let user = {
        let world = state.engine.world();
        let user = caller.user(&world)?.id;
        // Whether the caller may import here at all (an organisation they cannot
        // see answers as absent) is decided before the body is read: only an
        // Administrator of the environment sends gigabytes.
        let participant_id = world
            .organisation(organisation)
            .map(|o| o.participant_id.clone())
            .unwrap_or_default();
        let probe = Command::ImportBundle {
            organisation,
            bundle: Sha256::default(),
            participant_id,
            documents: Vec::new(),
        };
        decide(&world, &caller.actor(), &probe)?;
        user
    };
    // The upload goes to a temporary file, a chunk at a time, up to the limit.
    let uploads = state.data_dir.join("uploads");
    let (upload, file) = tokio::task::spawn_blocking(move || Upload::new(&uploads))
        .await?
        .map_err(|e| AppError::Internal(format!("cannot receive the bundle: {e}")))?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut stream = body.into_data_stream();
    let mut received: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| AppError::Invalid {
            field: "body".into(),
            message: format!("the upload broke off: {e}"),
        })?;
        received += chunk.len() as u64;
        if received > state.max_bundle_bytes {
            return Err(AppError::TooLarge {
                limit: state.max_bundle_bytes,
            });
        }
        writer
            .write_all(&chunk)
            .map_err(|e| AppError::Internal(format!("cannot receive the bundle: {e}")))?;
    }
    writer
        .flush()
        .map_err(|e| AppError::Internal(format!("cannot receive the bundle: {e}")))?;
    drop(writer);
    if received == 0 {
        return Err(AppError::Invalid {
            field: "body".into(),
            message: "the bundle is empty".into(),
        });
    }

    let signer = Arc::clone(&state.signer);
    let blobs = state.blobs.clone();
    let manifest = tokio::task::spawn_blocking(move || {
        let manifest = bundle::verify(&upload.path, &signer)?;
        // Whether the caller may import is decided before a byte is stored.
        Ok::<_, bundle::ReadError>((manifest, upload))
    })
    .await?
    .map_err(read_error)?;
    let (manifest, upload) = manifest;
    let command = Command::ImportBundle {
        organisation,
        bundle: manifest.digest,
        participant_id: manifest.participant_id.clone(),
        documents: manifest.documents.clone(),
    };
    decide(&state.engine.world(), &caller.actor(), &command)?;
    let stored_manifest = manifest.clone();
    // No erasure may delete these bytes before the import is recorded.
    let _kept = state.blobs.keep().await;
    tokio::task::spawn_blocking(move || {
        bundle::store_documents(&upload.path, &stored_manifest, &blobs)
    })
    .await?
    .map_err(read_error)?;
    let committed = state.engine.submit(caller.actor(), command, None).await?;
    tracing::info!(%organisation, user = %user.0, documents = manifest.documents.len(), "bundle imported");
    Ok(Json(ImportResponse {
        version: committed.version,
        bundle: manifest.digest.to_hex(),
        documents: manifest.documents.len(),
    }))
}

fn read_error(error: bundle::ReadError) -> AppError {
    match error {
        bundle::ReadError::Bundle(error) => AppError::Unreadable {
            code: error.code(),
            message: error.to_string(),
        },
        bundle::ReadError::Io(error) => AppError::Internal(format!("cannot import: {error}")),
    }
}

/// A removal an Administrator authorised, as Support sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingRemoval {
    #[schema(value_type = String)]
    pub organisation: OrganisationId,
    pub organisation_name: String,
    pub participant_id: String,
    pub environment_name: String,
    pub authorised_by: String,
    #[schema(value_type = Object)]
    pub at: Timestamp,
    /// The export it relies on.
    pub export: String,
    pub documents: usize,
    /// Documents that the export lacks (only when the Administrator accepted
    /// losing them; otherwise the removal is refused).
    pub documents_not_exported: usize,
    pub accept_loss: bool,
}

/// The removals Administrators authorised and Support has yet to execute
/// (Support only).
#[utoipa::path(get, path = "/removals", tag = "split",
    responses(
        (status = 200, description = "Pending removals, oldest first.", body = Vec<PendingRemoval>),
        NotSignedIn,
        (status = 403, description = "Support only (`not_permitted`).", body = ErrorBody)))]
async fn removals_get(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PendingRemoval>>, AppError> {
    if !preflight_core::access::check_platform(&caller.actor(), Action::ExecuteRemoval).allowed {
        return Err(AppError::NotPermitted(
            "only platform Support sees the removals to execute".into(),
        ));
    }
    let world = state.engine.world();
    let mut out: Vec<PendingRemoval> = world
        .removals()
        .filter_map(|r| {
            let org = world.organisation(r.organisation)?;
            let export = world.export_of(r.organisation);
            let documents = world.document_count(r.organisation);
            let not_exported = world
                .documents_of(r.organisation)
                .filter(|d| export.is_none_or(|e| e.documents.binary_search(d).is_err()))
                .count();
            Some(PendingRemoval {
                organisation: org.id,
                organisation_name: org.name.clone(),
                participant_id: org.participant_id.clone(),
                environment_name: world
                    .environment(org.environment)
                    .map_or_else(String::new, |e| e.name.clone()),
                authorised_by: world
                    .user(r.by)
                    .map_or_else(String::new, |u| format!("{} <{}>", u.name, u.email)),
                at: r.at,
                export: r.export.to_hex(),
                documents,
                documents_not_exported: not_exported,
                accept_loss: r.accept_loss,
            })
        })
        .collect();
    out.sort_by_key(|r| r.at);
    Ok(Json(out))
}

/// Erases what the server stores of a removed organisation's documents beyond
/// the world, in an order that a crash at any point can resume (see
/// [`recover`]): every snapshot older than `version` first, then the bytes no
/// other document shares, then their content in the event and audit logs.
/// DOMAIN §7: afterwards none of it can be read back.
pub fn erase_blocking(
    store: &dyn Store,
    blobs: &Blobs,
    dir: &std::path::Path,
    world: &World,
    organisation: OrganisationId,
    version: u64,
) -> Result<(), AppError> {
    let snapshots = crate::snapshot::purge_before(dir, version)
        .map_err(|e| AppError::Internal(format!("cannot delete old snapshots: {e}")))?;
    let mut unused: BTreeSet<Sha256> = store.content_digests(organisation)?.into_iter().collect();
    for document in world.documents() {
        unused.remove(&document.sha256);
    }
    let mut deleted = 0;
    for digest in &unused {
        if blobs
            .delete(digest)
            .map_err(|e| AppError::Internal(format!("cannot delete a document's bytes: {e}")))?
        {
            deleted += 1;
        }
    }
    let forgotten = store.forget_organisation(organisation)?;
    tracing::info!(
        %organisation,
        events = forgotten.events,
        commands = forgotten.commands,
        snapshots,
        blobs = deleted,
        "removed organisation erased"
    );
    Ok(())
}

/// Once a removal is durable: [`erase_blocking`], on a task of its own so that a
/// caller who goes away does not stop it, retried a few times (a reader can
/// hold the write-ahead log for a moment); what still fails is finished at the
/// next start ([`recover`]).
pub async fn erase(
    state: &AppState,
    organisation: OrganisationId,
    version: u64,
) -> Result<(), AppError> {
    let state = state.clone();
    let task = tokio::spawn(async move {
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Uploads in flight keep their bytes; the world is read once they are
            // recorded, so bytes a new document shares are never deleted.
            let swept = state.blobs.sweep().await;
            let store = Arc::clone(&state.store);
            let blobs = state.blobs.clone();
            let dir = state.data_dir.clone();
            let world = state.engine.world();
            let result = tokio::task::spawn_blocking(move || {
                erase_blocking(store.as_ref(), &blobs, &dir, &world, organisation, version)
            })
            .await
            .map_err(AppError::from)
            .and_then(|r| r);
            drop(swept);
            match result {
                Ok(()) => return Ok(()),
                Err(error) if attempt < 5 => {
                    tracing::warn!(%organisation, %error, attempt, "erasing a removed organisation failed; trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                }
                Err(error) => {
                    tracing::error!(%organisation, %error, "erasing a removed organisation failed; the next start finishes it");
                    return Err(error);
                }
            }
        }
    });
    task.await?
}

/// At start-up, finishes erasing any removed organisation whose erasure a crash
/// interrupted: one whose documents the log still names.
pub fn recover(
    store: &dyn Store,
    blobs: &Blobs,
    dir: &std::path::Path,
    world: &World,
) -> Result<usize, AppError> {
    let mut recovered = 0;
    for org in world.organisations() {
        if org.status == preflight_core::OrgStatus::Removed
            && !store.content_digests(org.id)?.is_empty()
        {
            tracing::warn!(organisation = %org.id, "finishing the erasure of a removed organisation");
            erase_blocking(store, blobs, dir, world, org.id, world.version())?;
            recovered += 1;
        }
    }
    Ok(recovered)
}

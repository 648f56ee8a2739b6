//! The export bundle of an organisation (DOMAIN §7, option 2, step 1): what it
//! holds, how its manifest is digested, and how a bundle read back is checked.
//!
//! A bundle is a tar archive, built deterministically by the server: first
//! [`MANIFEST_FILE`] (this module's [`Manifest`] as JSON), then [`SIGNATURE_FILE`]
//! (the platform's Ed25519 signature of the manifest's bytes), then one file per
//! distinct document content under `documents/<sha256>`. The manifest names every
//! document with its metadata and SHA-256, and carries a digest of all of it, so
//! the manifest alone says what the bundle must hold; the signature makes an
//! edited manifest (even one whose digests were recomputed) useless.
//!
//! Everything here is pure: the server reads the files and checks the signature,
//! and hands each file's digest to a [`BundleCheck`].

use crate::model::entities::{DocBox, DocSummary};
use crate::model::ids::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The format written in every manifest; another format is refused.
pub const FORMAT: &str = "preflight-bundle/1";
/// The manifest's name in the archive (its first entry).
pub const MANIFEST_FILE: &str = "manifest.json";
/// The signature's name in the archive (its second entry).
pub const SIGNATURE_FILE: &str = "manifest.sig";

/// One document of a bundle: its metadata and the digest of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleDocument {
    /// Its id where it was exported from (an import gives it a new one).
    pub id: DocumentId,
    pub doc_box: DocBox,
    pub name: String,
    pub sha256: Sha256,
    pub size: u64,
    /// When it was first stored.
    pub at: Timestamp,
    pub summary: Option<Box<DocSummary>>,
}

impl BundleDocument {
    /// The name of its bytes in the archive. Identical contents share a file.
    pub fn file(&self) -> String {
        file_of(&self.sha256)
    }
}

/// The name in the archive of the content with `digest`.
pub fn file_of(digest: &Sha256) -> String {
    format!("documents/{}", digest.to_hex())
}

/// What a bundle holds, and the digest of all of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub organisation: OrganisationId,
    pub environment: EnvironmentId,
    pub name: String,
    pub participant_id: String,
    /// Sorted by id.
    pub documents: Vec<BundleDocument>,
    /// The SHA-256 of everything above (see [`Manifest::compute_digest`]): the
    /// bundle's digest, which the export, the authorisation and the import name.
    pub digest: Sha256,
}

impl Manifest {
    /// The SHA-256 of the manifest's canonical JSON without its digest.
    pub fn compute_digest(&self) -> Sha256 {
        let covered = Covered {
            format: &self.format,
            organisation: self.organisation,
            environment: self.environment,
            name: &self.name,
            participant_id: &self.participant_id,
            documents: &self.documents,
        };
        // Serialising plain structs of strings and numbers cannot fail.
        let bytes = serde_json::to_vec(&covered).unwrap_or_default();
        Sha256::of(&bytes)
    }

    /// The manifest as the bundle stores it (and as it is signed).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Reads a manifest and checks that it is well formed and its digest is its
    /// own. Whether the platform signed it is the caller's to check.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, BundleError> {
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| BundleError::Malformed(format!("the manifest is unreadable: {e}")))?;
        if manifest.format != FORMAT {
            return Err(BundleError::Malformed(format!(
                "the manifest's format is `{}`, not `{FORMAT}`",
                manifest.format
            )));
        }
        let in_order = manifest
            .documents
            .iter()
            .zip(manifest.documents.iter().skip(1))
            .all(|(a, b)| a.id < b.id);
        if !in_order {
            return Err(BundleError::Malformed(
                "the manifest's documents are not in order or repeat".into(),
            ));
        }
        if manifest.compute_digest() != manifest.digest {
            return Err(BundleError::Tampered(
                "the manifest does not match its own digest".into(),
            ));
        }
        Ok(manifest)
    }

    /// The distinct contents the bundle must hold, by file name.
    pub fn files(&self) -> BTreeMap<String, (Sha256, u64)> {
        self.documents
            .iter()
            .map(|d| (d.file(), (d.sha256, d.size)))
            .collect()
    }
}

/// The part of a manifest its digest covers, in a fixed order.
#[derive(Serialize)]
struct Covered<'a> {
    format: &'a str,
    organisation: OrganisationId,
    environment: EnvironmentId,
    name: &'a str,
    participant_id: &'a str,
    documents: &'a [BundleDocument],
}

/// Checks the files of a bundle, in any order, against its manifest.
#[derive(Debug)]
pub struct BundleCheck {
    manifest: Manifest,
    expected: BTreeMap<String, (Sha256, u64)>,
    seen: BTreeSet<String>,
}

impl BundleCheck {
    pub fn new(manifest: Manifest) -> BundleCheck {
        let expected = manifest.files();
        BundleCheck {
            manifest,
            expected,
            seen: BTreeSet::new(),
        }
    }

    /// The manifest being checked against.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Whether `name` is a document file the manifest names (its bytes can be
    /// digested; anything else is refused by [`BundleCheck::file`]).
    pub fn expects(&self, name: &str) -> bool {
        self.expected.contains_key(name)
    }

    /// One file of the bundle, with the SHA-256 and size of its bytes.
    pub fn file(&mut self, name: &str, digest: Sha256, size: u64) -> Result<(), BundleError> {
        let Some((expected, expected_size)) = self.expected.get(name) else {
            return Err(BundleError::Tampered(format!(
                "the bundle holds `{name}`, which its manifest does not name"
            )));
        };
        if !self.seen.insert(name.to_string()) {
            return Err(BundleError::Malformed(format!(
                "the bundle holds `{name}` twice"
            )));
        }
        if *expected != digest || *expected_size != size {
            return Err(BundleError::Tampered(format!(
                "`{name}` does not match the SHA-256 its manifest gives"
            )));
        }
        Ok(())
    }

    /// Every file the manifest names was there and matched: the manifest.
    pub fn finish(self) -> Result<Manifest, BundleError> {
        let missing = self.expected.len() - self.seen.len();
        if missing > 0 {
            return Err(BundleError::Incomplete(format!(
                "{missing} of the {} document files the manifest names are missing: the bundle is truncated or incomplete",
                self.expected.len()
            )));
        }
        Ok(self.manifest)
    }
}

/// Why a bundle is refused. Nothing of a refused bundle is imported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle this platform writes: not a tar archive, no manifest first,
    /// an unknown format, a file twice.
    #[error("{0}")]
    Malformed(String),
    /// A file or the manifest does not match what it claims.
    #[error("{0}")]
    Tampered(String),
    /// Files the manifest names are missing.
    #[error("{0}")]
    Incomplete(String),
    /// The signature is not this platform's.
    #[error("{0}")]
    Unsigned(String),
}

impl BundleError {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Malformed(_) => "bundle_malformed",
            BundleError::Tampered(_) => "bundle_tampered",
            BundleError::Incomplete(_) => "bundle_incomplete",
            BundleError::Unsigned(_) => "bundle_signature_invalid",
        }
    }
}

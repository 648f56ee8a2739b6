//! The export bundle's manifest, made from what an organisation holds now.

use crate::model::bundle::{BundleDocument, Manifest, FORMAT};
use crate::model::ids::*;
use crate::world::World;

impl Manifest {
    /// The manifest of every document `organisation` holds now, or `None` for an
    /// unknown organisation.
    pub fn of(world: &World, organisation: OrganisationId) -> Option<Manifest> {
        let org = world.organisation(organisation)?;
        let documents = world
            .documents_of(organisation)
            .filter_map(|d| world.document(d))
            .map(|d| BundleDocument {
                id: d.id,
                doc_box: d.doc_box,
                name: d.name.clone(),
                sha256: d.sha256,
                size: d.size,
                at: d.at,
                summary: d.summary.clone(),
            })
            .collect();
        let mut manifest = Manifest {
            format: FORMAT.to_string(),
            organisation,
            environment: org.environment,
            name: org.name.clone(),
            participant_id: org.participant_id.clone(),
            documents,
            digest: Sha256::default(),
        };
        manifest.digest = manifest.compute_digest();
        Some(manifest)
    }
}

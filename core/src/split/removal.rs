//! The cascade of removing organisations (DOMAIN §7, option 2), shared by the
//! split plan and by the removal itself, so that what the plan shows is what
//! removal does.

use crate::model::command::Event;
use crate::model::ids::*;
use crate::model::split::*;
use crate::model::*;
use crate::project::Visibility;
use crate::world::World;

/// Option 2's impact.
/// What removing organisations changes besides deleting their documents: their
/// memberships, the shares of other documents with them, their valid connection
/// keys and the cost bearing that reverts.
pub(crate) struct Cascade {
    /// Membership, key and cost-bearing events.
    pub cascade: Vec<Event>,
    /// The shares of other organisations' documents with the removed ones.
    pub revoked: Vec<Event>,
    /// Those shares as they stand.
    pub shares: Vec<Share>,
    pub keys: Vec<KeyImpact>,
    pub cost_bearing: Vec<CostBearing>,
}

/// The cascade of removing `selected` (sorted), shared by the split plan and by
/// [`Command::ExecuteRemoval`], so that what the plan shows is what removal does.
pub(crate) fn removal_cascade(
    world: &World,
    selected: &[OrganisationId],
    at: Timestamp,
) -> Cascade {
    let mut out = Cascade {
        cascade: Vec::new(),
        revoked: Vec::new(),
        shares: Vec::new(),
        keys: Vec::new(),
        cost_bearing: Vec::new(),
    };
    for o in selected {
        for u in world.members_of(*o) {
            out.cascade.push(Event::MembershipRemoved {
                user: *u,
                organisation: *o,
            });
        }
        for d in world.documents_shared_with(Grantee::Organisation(*o)) {
            let elsewhere = world
                .document(d)
                .is_some_and(|doc| selected.binary_search(&doc.organisation).is_err());
            if !elsewhere {
                continue;
            }
            if let Some(share) = world
                .shares_of(d)
                .iter()
                .find(|s| s.grantee == Grantee::Organisation(*o))
            {
                out.shares.push(*share);
            }
            out.revoked.push(Event::ShareRevoked {
                document: d,
                grantee: Grantee::Organisation(*o),
            });
        }
        for key in world.keys_of(*o) {
            if world.key(*key).is_some_and(|k| k.is_valid()) {
                out.keys.extend(key_impact(world, *key));
                out.cascade.push(Event::ConnectionKeyRevoked {
                    key: *key,
                    reason: RevokeReason::OrganisationRemoved,
                    at,
                });
            }
        }
        if let Some(org) = world.organisation(*o) {
            if org.cost_bearer != org.environment {
                out.cost_bearing.push(CostBearing {
                    organisation: *o,
                    bearer: org.cost_bearer,
                });
                out.cascade.push(Event::CostBearerChanged {
                    organisation: *o,
                    bearer: org.environment,
                });
            }
        }
    }
    out
}

pub(crate) fn key_impact(world: &World, key: KeyId) -> Option<KeyImpact> {
    world.key(key).map(|k| KeyImpact {
        key,
        organisation: k.organisation,
        holder: k.holder,
    })
}

/// Who is told of the steps of a full separation: the environment's
/// Administrators; of the removal itself, also whoever knew the organisation
/// by name.
pub(crate) fn sees(vis: &Visibility, event: &Event) -> bool {
    match event {
        Event::OrganisationExported { organisation, .. }
        | Event::RemovalAuthorised { organisation, .. }
        | Event::BundleImported { organisation, .. } => vis.administers(*organisation),
        Event::OrganisationRemoved { organisation, .. } => {
            vis.organisation_name(*organisation) || vis.administers(*organisation)
        }
        _ => false,
    }
}

/// An authorisation is shown without the plan's fingerprint.
pub(crate) fn redact(_: &Visibility, event: &mut Event) {
    if let Event::RemovalAuthorised { fingerprint, .. } = event {
        *fingerprint = None;
    }
}

//! What a split plan rests on: one digest per category of fact about the
//! organisations and users it looked at.

use crate::model::ids::*;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A category of fact a plan rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// The organisations' status and Peppol identifiers.
    Organisations,
    /// Roles and status of the users involved (the environment's Administrators,
    /// members, grantees).
    Users,
    Memberships,
    Documents,
    Shares,
    Groups,
    Tasks,
    Keys,
    Partnerships,
    CostBearing,
    /// The selected organisations' own credit transactions.
    Credit,
}

impl Fact {
    pub const ALL: [Fact; 11] = [
        Fact::Organisations,
        Fact::Users,
        Fact::Memberships,
        Fact::Documents,
        Fact::Shares,
        Fact::Groups,
        Fact::Tasks,
        Fact::Keys,
        Fact::Partnerships,
        Fact::CostBearing,
        Fact::Credit,
    ];
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fact::Organisations => "organisations",
            Fact::Users => "users",
            Fact::Memberships => "memberships",
            Fact::Documents => "documents",
            Fact::Shares => "shares",
            Fact::Groups => "groups",
            Fact::Tasks => "tasks",
            Fact::Keys => "connection keys",
            Fact::Partnerships => "partnerships",
            Fact::CostBearing => "cost bearing",
            Fact::Credit => "credit transactions",
        })
    }
}

/// The digest of one category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FactDigest {
    pub fact: Fact,
    pub digest: Sha256,
}

/// What a plan rests on: the organisations and users it looked at, and one
/// SHA-256 per category of fact about them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    pub environment: EnvironmentId,
    /// The organisations looked at: the selection and, under option 1, every
    /// organisation a membership change touches. Sorted.
    pub organisations: Vec<OrganisationId>,
    /// Users looked at beyond the organisations' members (option 1's chosen users).
    pub users: Vec<UserId>,
    /// In [`Fact::ALL`] order.
    pub facts: Vec<FactDigest>,
}

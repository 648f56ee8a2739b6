//! The plain data of the platform: entities, ids, commands and events, errors,
//! the vocabulary of access questions, split plans and export bundles.
//!
//! Data only: no rules live here and nothing here reads the world. The rules
//! are in the domain modules ([`crate::tenancy`] … [`crate::split`]), access in
//! [`crate::access`], and relations between entities are kept by
//! [`crate::World`] in indexes.

pub mod bundle;
pub mod command;
pub mod entities;
pub mod error;
pub mod fingerprint;
pub mod ids;
pub mod permission;
pub mod split;
pub mod wire;

pub use entities::*;

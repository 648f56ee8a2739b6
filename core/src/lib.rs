//! The whole domain of preflight, pure.
//!
//! This crate decides every access question and every command of the platform.
//! It performs no I/O, reads no clock, draws no random numbers and spawns no
//! threads: the caller passes the time and fresh ids in ([`Context`]). That is what
//! lets the browser run the very same code as the server and preview an outcome
//! that the server will then confirm.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod access;
pub mod audit;
pub mod bundle;
pub mod cards;
pub mod command;
pub mod cow_map;
pub mod error;
pub mod execute;
mod flat;
pub mod forget;
pub mod generate;
pub mod homes;
pub mod ids;
pub mod model;
pub mod numbers;
pub mod peppol;
pub mod preview;
pub mod project;
pub mod sort;
pub mod split;
pub mod tagged;
pub mod wire;
pub mod world;

pub use access::{check, what_can, who_can, Action, Decision, Reason, Resource, ResourceKind};
pub use command::{Actor, Command, Context, Event};
pub use error::CommandError;
pub use execute::execute;
pub use ids::*;
pub use model::*;
pub use preview::{preview, AccessChange, Preview, Unconfirmed};
pub use project::project;
pub use split::{check_fresh, compare_split, plan_split, SplitOption, SplitPlan, StalePlan};
pub use world::{Standing, World, WorldStats};

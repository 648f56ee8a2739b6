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
mod consequences;
mod credit;
mod decider;
mod documents;
mod exchange;
pub mod execute;
pub mod generate;
mod groups;
pub mod model;
mod organisations;
mod partnerships;
pub mod peppol;
pub mod preview;
pub mod project;
pub mod split;
mod stream;
mod tenancy;
pub mod util;
mod workflow;
pub mod world;

pub use access::{check, what_can, who_can, Action, Decision, Reason, Resource, ResourceKind};
pub use execute::execute;
pub use model::command::{Actor, Command, Context, Created, Event};
pub use model::error::CommandError;
pub use model::ids::*;
pub use model::*;
pub use preview::{preview, AccessChange, Preview, Unconfirmed};
pub use project::project;
pub use split::{check_fresh, compare_split, plan_split, SplitOption, SplitPlan, StalePlan};
pub use world::{World, WorldStats};

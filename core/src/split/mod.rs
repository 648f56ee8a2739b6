//! The split simulator (DOMAIN §7): what each way of splitting an environment
//! would change, computed before anything changes.
//!
//! An Administrator who wants to separate some organisations from the rest of
//! their environment has two ways (seed `000`): keep one environment and manage
//! access per organisation (option 1), or remove the organisations and recreate
//! them in a new environment (option 2, irreversible for the stored documents).
//! [`plan_split`] shows the full impact of either, [`compare_split`] shows both
//! side by side with the seed's "Which option suits you?" answered.
//!
//! Nothing here re-states an access rule: who has what is always asked of the
//! access engine ([`crate::access`]), and what a cascade would change is found by
//! applying its events to a copy of the world and comparing, with the machinery
//! of [`crate::preview`].
//!
//! A plan is bound to the facts it was computed on. It carries a [`Fingerprint`]:
//! one digest per category of fact it would alter or report (memberships, shares,
//! documents, ... of the selected organisations), and [`check_fresh`] names the
//! categories that changed since. Facts about other organisations are not in it, so
//! an invoice arriving elsewhere does not make a plan stale. Executing option 1
//! ([`Command::ApplyAccessPlan`]) refuses a stale plan with `stale_plan`.

mod commands;
mod export;
pub mod forget;
pub(crate) mod freshness;
mod option1;
pub(crate) mod removal;
mod simulate;

pub use crate::model::fingerprint::*;
pub use crate::model::split::*;
pub use freshness::{check_fingerprint, check_fresh, fingerprint};
pub(crate) use removal::{redact, sees};
pub use simulate::{compare_split, plan_split};

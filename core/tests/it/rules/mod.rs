//! One test per rule of the rule book (DOMAIN §1–6 and §8), named after the rule.
//!
//! Every world here is built by running real commands through
//! [`preflight_core::execute`] and applying their events, so each fixture is a
//! world the rules allow. A refused command is checked three ways: its machine
//! code, a message that names what is missing, and a world left exactly as it was.

mod credit;
mod documents;
mod explanations;
mod fixture;
mod organisations;
mod partnerships;
mod scenario;
mod tenancy;
mod workflow;

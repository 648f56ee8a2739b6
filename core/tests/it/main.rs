//! The core's integration tests: one binary (see STYLE.md).

mod demo;
mod model;
mod probing;
mod props;
mod rules;
mod split;

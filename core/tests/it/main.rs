//! The core's integration tests: one binary (see STYLE.md).

mod demo;
mod model;
mod props;
mod rules;
mod split;

//! Display pieces shared by pages. They take plain data and decide nothing: every
//! decision they show comes from a `preflight-core` call.

pub mod action_form;
pub mod demo_bar;
pub mod invoice;
pub mod logins_table;
pub mod preview_panel;
pub mod reasons;
pub mod stats_grid;
pub mod upload;

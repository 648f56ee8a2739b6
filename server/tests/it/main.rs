//! Server integration tests: the real binary on an ephemeral port, and the router
//! without a socket.

mod api;
mod client;
mod documents;
mod hardening;
mod http_surface;
mod leaks;
mod persistence;
mod round_trips;
mod separation;
mod stores;
mod subscriptions;
mod support;

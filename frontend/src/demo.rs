//! The demo world, built in the browser by the same core the server runs.

use preflight_core::generate::{self, DemoLogin};
use preflight_core::World;

use crate::api::Stats;

/// What building the demo world in the browser produced.
pub struct BrowserDemo {
    pub n_events: usize,
    pub version: u64,
    pub stats: Stats,
    pub logins: Vec<DemoLogin>,
    /// Wall time of generating and applying the events, when the browser can tell.
    pub took_ms: Option<f64>,
}

/// Generates the demo events and applies them to an empty world, exactly as the
/// server does when it seeds a new database.
pub fn build() -> BrowserDemo {
    let started = now_ms();
    let demo = generate::demo();
    let mut world = World::default();
    for event in &demo.events {
        world.apply(event);
    }
    let took_ms = started.zip(now_ms()).map(|(start, end)| end - start);
    BrowserDemo {
        n_events: demo.events.len(),
        version: world.version(),
        stats: Stats::from(world.stats()),
        logins: demo.logins,
        took_ms,
    }
}

/// The browser's monotonic clock (`performance.now()`); `None` outside a browser.
fn now_ms() -> Option<f64> {
    if !cfg!(target_arch = "wasm32") {
        return None;
    }
    web_sys::window()
        .and_then(|window| window.performance())
        .map(|performance| performance.now())
}

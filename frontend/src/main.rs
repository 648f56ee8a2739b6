//! Mounts the app; everything else lives in the library so it can be tested.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(preflight_frontend::App);
}

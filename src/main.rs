//! Lacquer: an in-browser mastering studio. This binary only mounts the app.

mod app;
mod components;
mod engine;
mod state;
mod studio;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

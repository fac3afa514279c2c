//! The page: header, file loading, transport, meters and export.

use crate::components::{
    analysis_card::AnalysisCard,
    drop_zone::DropZone, error_banner::ErrorBanner, export_panel::{ExportPanel, MasterReportCard},
    file_card::FileCard, loudness_view::LoudnessView, meters::Meters, spectrum_view::SpectrumView,
    tonal_balance::TonalBalance,
    transport::Transport, waveform::Waveform,
};
use crate::engine::Engine;
use crate::state::AppState;
use leptos::prelude::*;

/// The engine, shared through context as a `Copy` handle.
pub type EngineHandle = StoredValue<Engine, LocalStorage>;

/// The engine from context.
pub fn use_engine() -> Engine {
    expect_context::<EngineHandle>().get_value()
}

/// The app's signals from context.
pub fn use_state() -> AppState {
    expect_context::<AppState>()
}

/// Mounts its children in a task of their own, after the page around them:
/// the studio appears in several short tasks instead of one long one, so
/// the page never freezes when a file lands.
#[component]
fn Later(children: ChildrenFn) -> impl IntoView {
    let ready = RwSignal::new(false);
    set_timeout(move || ready.set(true), std::time::Duration::ZERO);
    view! { <Show when=move || ready.get()>{children()}</Show> }
}

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    provide_context::<EngineHandle>(StoredValue::new_local(Engine::new(state)));
    let has_file = move || state.file.with(Option::is_some);
    let engine = use_engine();
    // `L` loops the selection (or stops looping), unless typing in a field.
    let _ = window_event_listener(leptos::ev::keydown, move |ev| {
        let typing = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        if ev.key().eq_ignore_ascii_case("l") && state.selection.get_untracked().is_some() {
            let on = !state.looping.get_untracked();
            state.looping.set(on);
            engine.set_loop(if on { state.selection.get_untracked() } else { None });
        }
    });

    view! {
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <span class="logo" aria-hidden="true"></span>
                    <span class="name">"Lacquer"</span>
                    <span class="tag">"mastering studio"</span>
                </div>
                <div class="privacy" title="Lacquer runs entirely in this page. Your audio never leaves your computer.">
                    <span class="dot"></span>
                    "Local only · nothing is uploaded"
                </div>
            </header>
            <ErrorBanner/>
            <main class="studio" class:empty=move || !has_file()>
                <DropZone/>
                <Show when=has_file>
                    <section class="deck">
                        <FileCard/>
                        <Later><Waveform/></Later>
                        <Transport/>
                        <Later><LoudnessView/></Later>
                        <Later><AnalysisCard/></Later>
                        <MasterReportCard/>
                    </section>
                    <section class="side">
                        <Later><Meters/></Later>
                        <Later><SpectrumView/></Later>
                        <Later><TonalBalance/></Later>
                        <ExportPanel/>
                    </section>
                </Show>
            </main>
            <footer class="foot">
                "The chain runs as WebAssembly in an AudioWorklet. Loudness per ITU-R BS.1770 / EBU R 128."
            </footer>
        </div>
    }
}

//! The page: header, file loading, the studio (target, sound, compare),
//! transport, views, meters and export.

use crate::components::{
    analysis_card::AnalysisCard, compare_panel::ComparePanel, controls::SoundPanel, shortcuts::Shortcuts,
    target_panel::TargetPanel,
    drop_zone::DropZone, error_banner::ErrorBanner, export_panel::{ExportPanel, MasterReportCard},
    file_card::FileCard, loudness_view::LoudnessView, meters::Meters, spectrum_view::SpectrumView,
    tonal_balance::TonalBalance,
    transport::Transport, waveform::Waveform,
};
use crate::engine::Engine;
use crate::state::AppState;
use crate::studio::Studio;
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

/// The studio's choices from context.
pub fn use_studio() -> Studio {
    expect_context::<Studio>()
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
    let studio = Studio::restore();
    provide_context(state);
    provide_context(studio);
    let engine = Engine::new(state, studio);
    crate::studio::driver::drive(studio, state, engine.clone());
    provide_context::<EngineHandle>(StoredValue::new_local(engine));
    let has_file = move || state.file.with(Option::is_some);

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
                    <Shortcuts/>
                    <section class="deck">
                        <FileCard/>
                        <Later><Waveform/></Later>
                        <Transport/>
                        <Later><LoudnessView/></Later>
                        <Later><ComparePanel/></Later>
                        <Later><SoundPanel/></Later>
                        <Later><AnalysisCard/></Later>
                        <Later><MasterReportCard/></Later>
                    </section>
                    <section class="side">
                        <Later><TargetPanel/></Later>
                        <Later><Meters/></Later>
                        <Later><SpectrumView/></Later>
                        <Later><TonalBalance/></Later>
                        <Later><ExportPanel/></Later>
                    </section>
                </Show>
            </main>
            <footer class="foot">
                "The chain runs as WebAssembly in an AudioWorklet. Loudness per ITU-R BS.1770 / EBU R 128."
            </footer>
        </div>
    }
}

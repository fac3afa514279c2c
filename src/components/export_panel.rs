//! Export: render the master through the chain and download a 24-bit WAV.

use crate::app::{use_engine, use_state};
use crate::state::ExportState;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The export panel with its target, button, progress and result.
#[component]
pub fn ExportPanel() -> impl IntoView {
    let state = use_state();
    let engine = use_engine();
    let running = move || matches!(state.export.get(), ExportState::Running { .. });
    let start = move |_| {
        let engine = engine.clone();
        spawn_local(async move { engine.export_wav().await });
    };
    view! {
        <div class="card export">
            <h2>"Export"</h2>
            <div class="target">
                <span class="k">"Target"</span>
                <span class="v">"Spotify Normal · −14 LUFS · −1 dBTP"</span>
            </div>
            <div class="target">
                <span class="k">"Format"</span>
                <span class="v">{move || state.file.with(|f| f.as_ref().map_or(String::new(), |f|
                    format!("WAV · 24-bit · {:.1} kHz", f.sample_rate as f64 / 1000.0)))}</span>
            </div>
            <button class="button primary" data-testid="export" disabled=running on:click=start>
                {move || if running() { "Rendering…" } else { "Export WAV" }}
            </button>
            {move || match state.export.get() {
                ExportState::Idle => None,
                ExportState::Running { fraction, phase } => Some(view! {
                    <div class="progress" data-testid="export-progress">
                        <div class="track"><div class="fill" style:width=format!("{:.1}%", fraction * 100.0)></div></div>
                        <span>{format!("{phase} · {:.0}%", fraction * 100.0)}</span>
                    </div>
                }.into_any()),
                ExportState::Done { file_name, summary } => Some(view! {
                    <div class="done" data-testid="export-done">
                        <div class="file">{format!("✓ {file_name}")}</div>
                        <div class="summary">{summary}</div>
                    </div>
                }.into_any()),
            }}
        </div>
    }
}

//! Play, pause and seek. Playback runs through the worklet chain.

use super::fmt_time;
use crate::app::{use_engine, use_state};
use leptos::prelude::*;

/// Transport controls with a seek bar.
#[component]
pub fn Transport() -> impl IntoView {
    let state = use_state();
    let engine = use_engine();
    let duration = move || state.file.with(|f| f.as_ref().map_or(0.0, |f| f.duration_s));
    let toggle = {
        let engine = engine.clone();
        move |_| {
            if state.playing.get_untracked() {
                engine.pause();
            } else {
                engine.play();
            }
        }
    };
    let on_seek = move |ev: web_sys::Event| {
        if let Ok(t) = event_target_value(&ev).parse::<f64>() {
            engine.seek(t);
        }
    };
    let progress_pct = move || {
        let d = duration();
        if d > 0.0 { 100.0 * state.position_s.get() / d } else { 0.0 }
    };

    view! {
        <div class="card transport">
            <button
                class="button play"
                class:playing=move || state.playing.get()
                data-testid="play"
                aria-label=move || if state.playing.get() { "Pause" } else { "Play" }
                on:click=toggle
            >
                {move || if state.playing.get() { "❚❚ Pause" } else { "▶ Play" }}
            </button>
            <div class="seek">
                <input
                    type="range"
                    min="0"
                    step="0.01"
                    max=move || duration().to_string()
                    prop:value=move || state.position_s.get().to_string()
                    style:--progress=move || format!("{:.2}%", progress_pct())
                    data-testid="seek"
                    aria-label="Position"
                    on:change=on_seek
                />
                <div class="times">
                    <span data-testid="position" data-seconds=move || format!("{:.3}", state.position_s.get())>{move || fmt_time(state.position_s.get())}</span>
                    <span>{move || fmt_time(duration())}</span>
                </div>
            </div>
        </div>
    }
}

//! Loading a file: drop it anywhere on the zone, or pick it with the file input.

use crate::app::{use_engine, use_state};
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{DragEvent, Event, File, HtmlInputElement};

/// The drop zone. Large and inviting when nothing is loaded; a slim bar after.
#[component]
pub fn DropZone() -> impl IntoView {
    let state = use_state();
    let engine = use_engine();
    let dragging = RwSignal::new(false);
    // A `Copy` handle for the progress view, which is re-rendered as it moves.
    let handle = expect_context::<crate::app::EngineHandle>();

    let load = {
        let engine = engine.clone();
        move |file: File| {
            let engine = engine.clone();
            spawn_local(async move { engine.load_file(file).await });
        }
    };
    let load_from_input = {
        let load = load.clone();
        move |ev: Event| {
            let input: HtmlInputElement = event_target(&ev);
            if let Some(f) = input.files().and_then(|l| l.get(0)) {
                load(f);
            }
            // Allow picking the same file again.
            input.set_value("");
        }
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(f) = ev.data_transfer().and_then(|d| d.files()).and_then(|l| l.get(0)) {
            load(f);
        }
    };
    let compact = move || state.file.with(Option::is_some);

    view! {
        <section
            class="dropzone"
            class:compact=compact
            class:dragging=move || dragging.get()
            on:dragover=move |ev: DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <div class="drop-inner">
                <Show
                    when=compact
                    fallback=|| view! {
                        <h1>"Drop your mix here"</h1>
                        <p class="hint">"WAV, FLAC, MP3, Ogg, Opus or AAC · decoded at its own sample rate, on this machine"</p>
                    }
                >
                    <span class="hint">"Drop another file to replace it"</span>
                </Show>
                <label class="button primary pick">
                    <input
                        type="file"
                        accept="audio/*,.wav,.flac,.mp3,.ogg,.opus,.m4a,.aac"
                        data-testid="file-input"
                        on:change=load_from_input
                    />
                    {move || if compact() { "Open another file…" } else { "Choose a file…" }}
                </label>
                {move || state.work.get().map(|w| view! {
                    <span class="loading" data-testid="loading" role="status">
                        {format!("{} · {:.0}%", capitalise(&w.phase), w.fraction * 100.0)}
                    </span>
                    <button class="button small" data-testid="load-cancel"
                        on:click=move |_| handle.with_value(|e| e.cancel_load())>"Cancel"</button>
                })}
            </div>
        </section>
    }
}

/// "analysing" → "Analysing".
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

//! Presets: the settings saved to and loaded from JSON files, in the same
//! format as the CLI's `--settings` (a partial file is fine). A file that
//! cannot be used (not JSON, wrong types, values out of range, unknown
//! fields, too large) gets a message and changes nothing.

use crate::app::use_studio;
use crate::studio::Studio;
use lacquer_dsp::settings::preset::preset_size_error;
use lacquer_dsp::Settings;
use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The file name a preset is saved under.
const PRESET_FILE: &str = "lacquer-preset.json";

/// Offers the current settings as a preset file.
fn save(studio: Studio) {
    let json = studio.settings.with_untracked(Settings::to_json);
    let parts = js_sys::Array::of1(&json.into());
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/json");
    let result = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(crate::engine::js_err)
        .and_then(|b| crate::engine::download(&b, PRESET_FILE));
    match result {
        Ok(()) => studio.notice.set(Some(format!("Preset saved as {PRESET_FILE}."))),
        Err(e) => studio.notice.set(Some(format!("The preset could not be saved: {e}"))),
    }
}

/// Reads a chosen preset file and applies it, or says why not.
async fn load(studio: Studio, file: web_sys::File) {
    let name = file.name();
    if let Some(e) = preset_size_error(file.size() as u64) {
        studio.notice.set(Some(format!("“{name}”: {e}. Nothing was changed.")));
        return;
    }
    let text = match JsFuture::from(file.text()).await {
        Ok(t) => t.as_string().unwrap_or_default(),
        Err(e) => {
            studio.notice.set(Some(format!("“{name}” could not be read: {}", crate::engine::js_err(e))));
            return;
        }
    };
    match Settings::from_preset_json(&text) {
        Ok(s) => {
            studio.style.set(None);
            studio.settings.set(s);
            studio.notice.set(Some(format!("Preset “{name}” loaded.")));
        }
        Err(e) => studio.notice.set(Some(format!("“{name}”: {e}. Nothing was changed."))),
    }
}

/// Save and load buttons.
#[component]
pub fn Presets() -> impl IntoView {
    let studio = use_studio();
    let input = NodeRef::<leptos::html::Input>::new();
    view! {
        <div class="presets">
            <button class="button small" data-testid="preset-save" on:click=move |_| save(studio)>"Save preset"</button>
            <button class="button small" data-testid="preset-load"
                on:click=move |_| if let Some(i) = input.get() { i.click() }>"Load preset…"</button>
            <input type="file" accept=".json,application/json" class="hidden-file" node_ref=input
                data-testid="preset-file" aria-label="Preset file to load" tabindex="-1"
                on:change=move |ev| {
                    let el: web_sys::HtmlInputElement = event_target(&ev);
                    if let Some(f) = el.files().and_then(|l| l.get(0)) {
                        leptos::task::spawn_local(load(studio, f));
                    }
                    el.set_value("");
                }/>
        </div>
        {move || studio.notice.get().map(|n| view! {
            <p class="notice" role="status" data-testid="studio-notice">
                {n}
                <button class="close" aria-label="Dismiss" on:click=move |_| studio.notice.set(None)>"×"</button>
            </p>
        })}
    }
}

//! The sound panel: simple mode (a style and its intensity) first, the
//! advanced panel (every field, by module) on request, the global bypass,
//! and presets.

mod advanced;
mod field_control;
mod presets;
mod simple;

use crate::app::use_studio;
use leptos::prelude::*;

/// The sound card.
#[component]
pub fn SoundPanel() -> impl IntoView {
    let studio = use_studio();
    let tree = Memo::new(move |_| serde_json::to_value(studio.settings.get()).unwrap_or_default());
    let advanced = move || studio.advanced.get();
    view! {
        <section class="card sound-panel" aria-labelledby="sound-title">
            <div class="card-head">
                <h2 id="sound-title">"Sound"</h2>
                <div class="tabs" role="group" aria-label="Controls">
                    <button class="seg" class:on=move || !advanced() aria-pressed=move || (!advanced()).to_string()
                        data-testid="mode-simple" on:click=move |_| studio.advanced.set(false)>"Simple"</button>
                    <button class="seg" class:on=advanced aria-pressed=move || advanced().to_string()
                        data-testid="mode-advanced" on:click=move |_| studio.advanced.set(true)>"Advanced"</button>
                </div>
            </div>
            <label class="check bypass-all">
                <input type="checkbox" role="switch" data-testid="bypass-all"
                    prop:checked=move || studio.bypass_all.get()
                    on:change=move |ev| studio.bypass_all.set(event_target_checked(&ev))/>
                <span>"Bypass the whole chain"</span>
            </label>
            <Show when=move || !advanced() fallback=move || view! { <advanced::Advanced tree/> }>
                <simple::Simple/>
            </Show>
            <presets::Presets/>
        </section>
    }
}

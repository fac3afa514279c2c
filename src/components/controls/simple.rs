//! Simple mode: a style and how much of it. Each style is a documented
//! preset of the settings in `lacquer-dsp`; intensity scales the processing
//! (EQ moves, compression depth, width), never the loudness target or the
//! ceiling. Picking either rebuilds the settings from the style, keeping the
//! ceiling and the output stage's dither choices.

use crate::app::use_studio;
use lacquer_dsp::settings::styles::{styled, Style, STYLES};
use leptos::prelude::*;

/// A style's id, as presets and `localStorage` keep it ("warm").
pub fn style_id(s: Style) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// The style with this id.
fn style_by_id(id: &str) -> Option<Style> {
    STYLES.iter().copied().find(|s| style_id(*s) == id)
}

/// Rebuilds the settings from `style` at `intensity_pct`.
fn apply(style: Style, intensity_pct: f32) {
    let studio = use_studio();
    let current = studio.settings.get_untracked();
    let mut s = styled(style, intensity_pct);
    s.limiter.ceiling_dbtp = current.limiter.ceiling_dbtp;
    s.output.dither = current.output.dither;
    s.output.dither_bits = current.output.dither_bits;
    s.output.noise_shaping = current.output.noise_shaping;
    s.output.dither_seed = current.output.dither_seed;
    studio.style.set(Some(style_id(style)));
    studio.intensity_pct.set(intensity_pct);
    studio.settings.set(s);
}

/// The style chips and the intensity slider.
#[component]
pub fn Simple() -> impl IntoView {
    let studio = use_studio();
    let chips = STYLES
        .iter()
        .map(|&style| {
            let id = style_id(style);
            let id2 = id.clone();
            let checked = move || studio.style.with(|s| s.as_deref() == Some(id2.as_str()));
            let chip_checked = checked.clone();
            view! {
                <label class="style-chip" class:checked=chip_checked title=style.description() data-style=id>
                    <input type="radio" name="style" checked=checked
                        on:change=move |_| apply(style, studio.intensity_pct.get_untracked())/>
                    <span class="s-name">{style.label()}</span>
                    <span class="s-desc">{style.description()}</span>
                </label>
            }
        })
        .collect_view();
    let current = move || studio.style.with(|s| s.as_deref().and_then(style_by_id));
    let intensity = move || studio.intensity_pct.get();
    view! {
        <fieldset class="styles">
            <legend>"Style"</legend>
            {chips}
        </fieldset>
        <Show when=move || current().is_none()>
            <p class="hint" data-testid="custom-style">"Custom settings: pick a style to start again from one."</p>
        </Show>
        <div class="field number intensity">
            <label for="intensity">"Intensity"</label>
            <input type="range" id="intensity" min="0" max="100" step="1" data-testid="intensity"
                prop:value=move || intensity().to_string()
                aria-valuetext=move || format!("{:.0} %", intensity())
                disabled=move || current().is_none()
                on:input=move |ev| {
                    if let (Ok(v), Some(style)) = (event_target_value(&ev).parse::<f32>(), current()) {
                        apply(style, v);
                    }
                }/>
            <span class="typed"><span class="value">{move || format!("{:.0}", intensity())}</span><span class="unit">"%"</span></span>
        </div>
    }
}

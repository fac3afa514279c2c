//! The studio's keyboard: Space plays and pauses, ←/→ seek 5 s (1 s with
//! Shift), Home goes to the start, `B` switches between the master and the
//! mix, `L` loops the selection. Keys typed into a field, or pressed on a
//! control that uses them itself (a button's Space, a slider's arrows), are
//! left to it.

use crate::app::{use_engine, use_state, use_studio};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Seek step, s.
const SEEK_S: f64 = 5.0;
/// Seek step with Shift, s.
const FINE_SEEK_S: f64 = 1.0;

/// True when the key belongs to the focused element: a text field, a list,
/// a slider, or (for Space and Enter) a button or checkbox.
fn owned_by_focus(ev: &web_sys::KeyboardEvent) -> bool {
    let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return false };
    let tag = el.tag_name();
    let kind = el.get_attribute("type").unwrap_or_default();
    let role = el.get_attribute("role").unwrap_or_default();
    match tag.as_str() {
        "TEXTAREA" | "SELECT" => true,
        "INPUT" if matches!(kind.as_str(), "checkbox" | "button") => ev.key() == " " || ev.key() == "Enter",
        "INPUT" => true,
        "BUTTON" | "SUMMARY" => ev.key() == " " || ev.key() == "Enter",
        _ => matches!(role.as_str(), "slider" | "radio" | "switch" | "button") || el.get_attribute("contenteditable").is_some(),
    }
}

/// Registers the shortcuts for as long as it is mounted.
#[component]
pub fn Shortcuts() -> impl IntoView {
    let (state, studio, engine) = (use_state(), use_studio(), use_engine());
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.default_prevented() || owned_by_focus(&ev) {
            return;
        }
        if state.file.with_untracked(Option::is_none) {
            return;
        }
        let step = if ev.shift_key() { FINE_SEEK_S } else { SEEK_S };
        match ev.key().as_str() {
            " " => {
                if state.playing.get_untracked() {
                    engine.pause();
                } else {
                    engine.play();
                }
            }
            "ArrowLeft" => engine.seek(state.position_s.get_untracked() - step),
            "ArrowRight" => engine.seek(state.position_s.get_untracked() + step),
            "Home" => engine.seek(0.0),
            "b" | "B" => studio.toggle_source(),
            "l" | "L" if state.selection.get_untracked().is_some() => {
                let on = !state.looping.get_untracked();
                state.looping.set(on);
                engine.set_loop(if on { state.selection.get_untracked() } else { None });
            }
            _ => return,
        }
        ev.prevent_default();
    });
    on_cleanup(move || handle.remove());
}

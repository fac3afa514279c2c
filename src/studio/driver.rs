//! Keeps the engine in step with the studio: the settings the worklet
//! plays, the monitor, the master found again after a change, and the
//! choices kept across reloads. Started once by the app.

use super::Studio;
use crate::engine::Engine;
use crate::state::AppState;
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

/// Quiet time after the last change before the master is found again.
pub const REMASTER_AFTER: Duration = Duration::from_millis(600);

/// Starts the effects that drive `engine` from `studio`.
pub fn drive(studio: Studio, state: AppState, engine: Engine) {
    // Kept on every change: a reload never loses the artist's work.
    Effect::new(move |_| {
        if let Err(e) = super::persist::store(&studio.saved()) {
            studio.notice.set(Some(format!("Settings are not kept across reloads: {e}.")));
        }
    });

    // What the worklet plays: every change is heard at once (the chain
    // smooths it, so it never clicks).
    let e = engine.clone();
    Effect::new(move |_| e.set_heard(studio.heard_settings()));

    // The monitor follows the A/B, listening and bypass choices and the
    // loudness of the mix and the master.
    let e = engine.clone();
    Effect::new(move |_| {
        let listening = studio.listening();
        let setup = state.analysis.with(|mix| {
            studio.mastered.with(|m| listening.setup(mix.as_ref().map(|a| &a.loudness), m.as_ref().map(|m| &m.report.output_loudness)))
        });
        e.set_monitor(setup);
    });

    // After a change the master is found again, once the artist pauses.
    let generation = Rc::new(Cell::new(0u64));
    Effect::new(move |_| {
        let analysed = state.analysis.with(Option::is_some);
        let stale = !studio.on_target();
        let _ = (studio.settings.get(), studio.target.get());
        let g = generation.get() + 1;
        generation.set(g);
        if !(analysed && stale) || studio.mastered.with_untracked(Option::is_none) {
            // Before the first master the engine masters as soon as the
            // analysis is in (see `Engine::remaster`'s callers).
            return;
        }
        let (generation, engine) = (generation.clone(), engine.clone());
        set_timeout(
            move || {
                if generation.get() == g {
                    engine.remaster();
                }
            },
            REMASTER_AFTER,
        );
    });
}

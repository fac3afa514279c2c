//! The engine's side of the studio: the settings and monitor the worklet
//! plays, and master-to-target in the worker for the studio's choices.

use super::Engine;
use crate::studio::monitor::MonitorSetup;
use crate::studio::{Mastered, Mastering};
use js_sys::{Object, Reflect};
use lacquer_dsp::job::MasterReport;
use lacquer_dsp::loudness::target::Target;
use lacquer_dsp::Settings;
use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// A master-to-target job asked of the worker: what it was asked for.
#[derive(Clone, Debug)]
pub(super) struct Asked {
    /// The command id.
    pub id: u32,
    /// The artist's settings.
    pub settings: Settings,
    /// The target.
    pub target: Option<Target>,
}

/// The worker's report of a finished master: `{settings, report}`.
#[derive(serde::Deserialize)]
pub(super) struct JobReport {
    /// The settings of the master (with the gains found).
    pub settings: Settings,
    /// Its measurements.
    pub report: MasterReport,
}

/// The `settingsJson` and `target` fields of a master or export command.
pub(super) fn job_fields(settings: &Settings, target: Option<Target>) -> [(&'static str, JsValue); 2] {
    let t = match target {
        Some(t) => {
            let o = Object::new();
            let _ = Reflect::set(&o, &"lufs".into(), &t.lufs.into());
            let _ = Reflect::set(&o, &"ceilingDbtp".into(), &t.ceiling_dbtp.into());
            o.into()
        }
        None => JsValue::NULL,
    };
    [("settingsJson", settings.to_json().into()), ("target", t)]
}

impl Engine {
    /// Plays `settings` in the worklet (kept for a worklet made later).
    pub fn set_heard(&self, settings: Settings) {
        let mut inner = self.inner.borrow_mut();
        if inner.heard == Some(settings) {
            return;
        }
        inner.heard = Some(settings);
        if let Some(p) = &inner.playback {
            p.send("settings", &[("json", settings.to_json().into())]);
        }
    }

    /// Sets the worklet's monitor (kept for a worklet made later).
    pub fn set_monitor(&self, setup: MonitorSetup) {
        let mut inner = self.inner.borrow_mut();
        inner.monitor = Some(setup);
        if let Some(p) = &inner.playback {
            send_monitor(p, &setup);
        }
    }

    /// Brings a new worklet up to the studio's state.
    pub(super) fn sync_playback(&self) {
        let inner = self.inner.borrow();
        let Some(p) = &inner.playback else { return };
        if let Some(s) = inner.heard {
            p.send("settings", &[("json", s.to_json().into())]);
        }
        if let Some(m) = &inner.monitor {
            send_monitor(p, m);
        }
    }

    /// Finds the master for the studio's current settings and target, in
    /// the worker, with progress; the views and the worklet then show and
    /// play it.
    pub fn remaster(&self) {
        if self.state.analysis.with_untracked(Option::is_none) {
            return;
        }
        let st = self.studio;
        let settings = st.settings.get_untracked();
        let target = st.master_target_untracked();
        let id = self.next_id();
        self.inner.borrow_mut().preview = Some(Asked { id, settings, target });
        st.mastering.set(Some(Mastering { fraction: 0.0, phase: "starting".into() }));
        let fields = job_fields(&settings, target);
        self.with_worker(|w| w.send("preview", id, &fields, &[]));
    }

    /// Progress of the master being found.
    pub(super) fn mastering_progress(&self, id: u32, fraction: f64, phase: String) {
        if self.inner.borrow().preview.as_ref().is_some_and(|a| a.id == id) {
            self.studio.mastering.set(Some(Mastering { fraction, phase }));
        }
    }

    /// The master was found: keep it (the worklet plays it from here).
    pub(super) fn mastered(&self, id: u32, report: JsValue) {
        let Some(asked) = self.inner.borrow().preview.clone().filter(|a| a.id == id) else { return };
        self.studio.mastering.set(None);
        match serde_wasm_bindgen::from_value::<JobReport>(report) {
            Ok(r) => self.studio.mastered.set(Some(Mastered {
                asked: asked.settings,
                target: asked.target,
                settings: r.settings,
                report: r.report,
            })),
            Err(e) => self.state.error.set(Some(format!("The master's report could not be read: {e}"))),
        }
    }

    /// A master job ended without a result (cancelled or replaced).
    pub(super) fn mastering_stopped(&self, id: u32) {
        if self.inner.borrow().preview.as_ref().is_some_and(|a| a.id == id) {
            self.studio.mastering.set(None);
        }
    }
}

fn send_monitor(p: &super::playback::Playback, m: &MonitorSetup) {
    let limiter = m.limiter;
    p.send(
        "monitor",
        &[
            ("dry", m.dry.into()),
            ("masterGainDb", m.master_gain_db.into()),
            ("mixGainDb", m.mix_gain_db.into()),
            ("limiter", limiter.is_some().into()),
            ("limiterDbfs", limiter.map_or(0.0, |l| l.threshold_dbfs).into()),
            ("limiterAttackMs", limiter.map_or(0.0, |l| l.attack_ms).into()),
            ("limiterReleaseMs", limiter.map_or(0.0, |l| l.release_ms).into()),
        ],
    );
}

//! The audio engine: the bridge from the page to the engine worker and the
//! Web Audio API, and nothing more.
//!
//! ```text
//! File ──► worker (decoded audio, once) ──► summaries ──► page (signals, views)
//!               │ chunks ahead of the playhead (own MessageChannel)
//!               ▼
//!          AudioWorklet (transport + chain + dry path + meters) ──► destination
//! worker ──► export: rendered, metered and encoded a piece at a time ──► file ──► download
//! ```
//!
//! - [`worker`]: the engine worker, which owns the session: it reads WAV
//!   files in pieces, analyses, masters and exports.
//! - [`loading`]: recognising a dropped file and handing it over; bringing
//!   back the file before when a load fails or is cancelled.
//! - [`decode`]: formats the worker does not read go through the browser's
//!   `decodeAudioData`; their channels move to the worker and the page
//!   drops them.
//! - [`playback`]: the `AudioContext` at the file's own rate, and the
//!   worklet, which is the transport.
//! - [`download`]: offering the finished file.
//! - [`export`]: release files and the release bundle, each checked before
//!   it is offered ([`verify`]: decoded again by the browser, measured in
//!   the worker, and the streaming master through Opus and back).
//!
//! Components never see this struct's insides: they get [`AppState`] signals
//! and call the methods below. The page keeps only the dropped `File` (a
//! handle, not its bytes), so a restarted worker can load it again.

mod checker;
mod decode;
mod download;
mod export;
mod loading;
mod playback;
mod studio;
mod verify;
mod worker;

pub use download::download;

use crate::state::{AppState, Analysis, ExportState, Work};
use crate::studio::Studio;
use js_sys::{ArrayBuffer, Promise};
use lacquer_dsp::probe::Container;
use lacquer_dsp::Settings;
use leptos::prelude::*;
use leptos::task::spawn_local;
use playback::Playback;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;
use export::Running;
use worker::{Event, WorkerLink};

/// Worker restarts allowed before the engine gives up and asks for a reload.
const MAX_RESTARTS: u32 = 3;

/// The file being loaded or loaded: what the page knows of it.
#[derive(Clone)]
struct Source {
    /// The command id that loads it (the worker's name for it).
    id: u32,
    /// The dropped file (a handle: its bytes stay on disk).
    file: File,
    /// What the container header says.
    container: Container,
    /// The rate to decode at when the browser decodes it, Hz.
    rate: u32,
    /// True when the container states its rate.
    native_rate: bool,
}

/// Engine state, alive between calls.
#[derive(Default)]
struct Inner {
    /// The engine worker.
    worker: Option<Rc<WorkerLink>>,
    /// The checker worker, once started ([`checker`]).
    checker: Option<Rc<WorkerLink>>,
    /// The context and worklet, at the loaded file's rate.
    playback: Option<Playback>,
    /// The DSP wasm bytes for the worklet, fetched once.
    dsp_wasm: Option<ArrayBuffer>,
    /// The last command id used.
    last_id: u32,
    /// The file being loaded, until it is loaded or fails.
    loading: Option<Source>,
    /// The loaded file.
    loaded: Option<Source>,
    /// The file loaded before it, brought back if loading is cancelled.
    previous: Option<Source>,
    /// The export in progress.
    export: Option<Running>,
    /// Worker restarts so far.
    restarts: u32,
    /// The latest waveform query (older answers are dropped).
    peaks_id: u32,
    /// The latest master-to-target job for the studio.
    preview: Option<studio::Asked>,
    /// The settings the worklet plays.
    heard: Option<Settings>,
    /// The worklet's monitor.
    monitor: Option<crate::studio::monitor::MonitorSetup>,
}

/// Handle to the engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    /// Shared state.
    inner: Rc<RefCell<Inner>>,
    /// Signals the engine writes.
    state: AppState,
    /// The studio's choices, which the engine plays and masters.
    studio: Studio,
}

/// Turns any JS error into a readable string.
pub(crate) fn js_err(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Lets the browser paint and handle input.
pub(crate) async fn yield_to_browser() {
    let p = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(p).await;
}

impl Engine {
    /// An engine writing into `state`; its worker starts at once.
    pub fn new(state: AppState, studio: Studio) -> Self {
        let engine = Self { inner: Rc::new(RefCell::new(Inner::default())), state, studio };
        if let Err(e) = engine.start_worker() {
            state.error.set(Some(e));
        }
        spawn_local(playback::warm_up());
        engine
    }

    fn start_worker(&self) -> Result<(), String> {
        let weak: Weak<RefCell<Inner>> = Rc::downgrade(&self.inner);
        let (state, studio) = (self.state, self.studio);
        let link = WorkerLink::start(move |ev| {
            if let Some(inner) = weak.upgrade() {
                Engine { inner, state, studio }.on_event(ev);
            }
        })?;
        let mut inner = self.inner.borrow_mut();
        if let Some(p) = &inner.playback {
            link.connect_feed(&p.new_feed()?);
        }
        inner.worker = Some(Rc::new(link));
        Ok(())
    }

    fn next_id(&self) -> u32 {
        let mut inner = self.inner.borrow_mut();
        inner.last_id += 1;
        inner.last_id
    }

    fn with_worker(&self, f: impl FnOnce(&WorkerLink)) {
        match self.inner.borrow().worker.as_ref() {
            Some(w) => f(w),
            None => self.state.error.set(Some("The audio engine is not running; reload the page.".into())),
        }
    }

    /// A message from the worker.
    fn on_event(&self, ev: Event) {
        let st = self.state;
        match ev {
            Event::Progress { id, stage, phase, fraction } => {
                if stage == "export" || stage == "verify" {
                    if self.inner.borrow().export.as_ref().is_some_and(|r| r.id == id) {
                        st.export.set(ExportState::Running { fraction, phase });
                    }
                } else if stage == "preview" {
                    self.mastering_progress(id, fraction, phase);
                } else if self.is_current(id) {
                    st.work.set(Some(Work { phase, fraction }));
                }
            }
            Event::Loaded { id, channels, frames, rate } => {
                let Some(src) = self.inner.borrow().loading.clone().filter(|s| s.id == id) else { return };
                // For the views' timing test: the file is decoded.
                if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
                    let _ = p.mark("lacquer:loaded");
                }
                let engine = self.clone();
                spawn_local(async move { engine.loaded(src, channels, frames, rate).await });
            }
            Event::Analysis { id, summary } => {
                if self.is_current(id) {
                    match serde_wasm_bindgen::from_value::<Analysis>(summary) {
                        Ok(a) => st.analysis.set(Some(a)),
                        Err(e) => st.error.set(Some(format!("The analysis could not be read: {e}"))),
                    }
                    st.work.set(None);
                    self.remaster();
                }
            }
            Event::Master { id, summary, report } => {
                if self.inner.borrow().preview.as_ref().is_some_and(|a| a.id == id) {
                    match serde_wasm_bindgen::from_value::<Analysis>(summary) {
                        Ok(a) => st.master_analysis.set(Some(a)),
                        Err(e) => st.error.set(Some(format!("The master's analysis could not be read: {e}"))),
                    }
                    self.mastered(id, report);
                }
            }
            Event::Overview { id, overview } => {
                if self.is_current(id) {
                    if let Ok(o) = serde_wasm_bindgen::from_value(overview) {
                        st.overview.set(Some(o));
                    }
                }
            }
            Event::Decode { id } => self.decode_here(id),
            Event::Peaks { id, start, end, columns, channels, mix, master } => {
                if self.inner.borrow().peaks_id == id {
                    if let Some(mix) = mix {
                        st.zoom_peaks.set(Some(crate::state::ZoomPeaks {
                            start_frame: start,
                            end_frame: end,
                            columns: columns as usize,
                            channels: channels as usize,
                            mix,
                            master,
                        }));
                    }
                }
            }
            Event::Exported { id, file, report, ms } => self.exported(id, file, report, ms),
            Event::Release { kind, id, data } => self.release_event(&kind, id, data),
            Event::Cancelled { id } => {
                self.release_stopped(id);
                self.mastering_stopped(id);
                if self.inner.borrow().export.as_ref().is_some_and(|r| r.id == id) {
                    self.inner.borrow_mut().export = None;
                    st.export.set(ExportState::Cancelled);
                    self.preview_if_missing();
                } else if self.is_current(id) && st.analysis.get_untracked().is_none() {
                    self.cancelled_load(id);
                }
            }
            Event::Failed { id, message, fatal } => {
                self.release_stopped(id);
                if fatal {
                    // Not from inside the dying worker's own handler, which the restart drops.
                    let engine = self.clone();
                    spawn_local(async move { engine.restart(&message) });
                } else if self.inner.borrow().export.as_ref().is_some_and(|r| r.id == id) {
                    self.inner.borrow_mut().export = None;
                    st.export.set(ExportState::Idle);
                    st.error.set(Some(format!("Export failed: {message}")));
                } else if self.inner.borrow().loading.as_ref().is_some_and(|s| s.id == id) {
                    let name = self.inner.borrow().loading.as_ref().map(|s| s.file.name()).unwrap_or_default();
                    self.load_failed(id, format!("“{name}” could not be loaded: {message}"));
                } else {
                    st.error.set(Some(message));
                }
            }
        }
    }

    /// True when `id` loads the file being loaded or the one loaded.
    fn is_current(&self, id: u32) -> bool {
        let inner = self.inner.borrow();
        inner.loading.as_ref().is_some_and(|s| s.id == id) || inner.loaded.as_ref().is_some_and(|s| s.id == id)
    }

    /// The context and worklet at `rate`, made (or remade) if needed.
    async fn ensure_playback(&self, rate: u32) -> Result<(), String> {
        if self.inner.borrow().playback.as_ref().is_some_and(|p| p.rate() == rate) {
            return Ok(());
        }
        self.inner.borrow_mut().playback = None;
        let cached = self.inner.borrow().dsp_wasm.clone();
        let wasm = match cached {
            Some(w) => w,
            None => playback::fetch_dsp_wasm().await?,
        };
        self.inner.borrow_mut().dsp_wasm = Some(wasm.clone());
        let (p, feed) = Playback::start(rate, &wasm, self.state).await?;
        let sp = self.state.spectrum_settings.get_untracked();
        p.set_spectrum(sp.slope_db_per_oct, sp.smoothing_n);
        {
            let mut inner = self.inner.borrow_mut();
            if let Some(w) = &inner.worker {
                w.connect_feed(&feed);
            }
            inner.playback = Some(p);
        }
        self.sync_playback();
        Ok(())
    }

    /// The worker died (a wasm trap, or an error it could not handle):
    /// start a new one and load the file again. Settings live in the page
    /// and are untouched.
    fn restart(&self, why: &str) {
        let st = self.state;
        let (restarts, file) = {
            let mut inner = self.inner.borrow_mut();
            inner.worker = None;
            inner.restarts += 1;
            inner.export = None;
            let file = inner.loading.take().or_else(|| inner.loaded.take());
            (inner.restarts, file)
        };
        st.export.set(ExportState::Idle);
        st.loading.set(false);
        st.work.set(None);
        if restarts > MAX_RESTARTS {
            st.error.set(Some(format!("The audio engine stopped ({why}) and could not be restarted. Reload the page.")));
            return;
        }
        if let Err(e) = self.start_worker() {
            st.error.set(Some(e));
            return;
        }
        match file {
            Some(src) => {
                st.error.set(Some(format!(
                    "The audio engine stopped ({why}). It was restarted and “{}” is being loaded again.",
                    src.file.name()
                )));
                self.start_load(Source { id: self.next_id(), ..src });
            }
            None => st.error.set(Some(format!("The audio engine stopped ({why}). It was restarted."))),
        }
    }

    /// Starts playback from the playhead.
    pub fn play(&self) {
        if let Some(p) = &self.inner.borrow().playback {
            p.play();
            self.state.playing.set(true);
        }
    }

    /// Pauses at the playhead.
    pub fn pause(&self) {
        if let Some(p) = &self.inner.borrow().playback {
            p.pause();
        }
        self.state.playing.set(false);
    }

    /// Moves the playhead to `t_s` seconds, carrying on playing if it was.
    pub fn seek(&self, t_s: f64) {
        let Some(f) = self.state.file.get_untracked() else { return };
        let t = t_s.clamp(0.0, f.duration_s);
        if let Some(p) = &self.inner.borrow().playback {
            p.seek((t * f.sample_rate as f64).round());
        }
        self.state.position_s.set(t);
    }

    /// Shows the live spectrum with this slope and smoothing.
    pub fn set_spectrum(&self, settings: crate::state::SpectrumSettings) {
        self.state.spectrum_settings.set(settings);
        if let Some(p) = &self.inner.borrow().playback {
            p.set_spectrum(settings.slope_db_per_oct, settings.smoothing_n);
        }
    }

    /// Restarts the live integrated loudness.
    pub fn reset_integrated(&self) {
        if let Some(p) = &self.inner.borrow().playback {
            p.reset_integrated();
        }
    }

    /// Clears the live spectrum's peak-hold lines.
    pub fn reset_spectrum_peaks(&self) {
        if let Some(p) = &self.inner.borrow().playback {
            p.reset_spectrum_peaks();
        }
    }

    /// Asks the worker for `columns` waveform columns over `start_s..end_s`.
    pub fn request_peaks(&self, start_s: f64, end_s: f64, columns: u32) {
        let rate = self.state.file.with_untracked(|f| f.as_ref().map_or(0.0, |f| f.sample_rate as f64));
        if rate <= 0.0 || columns == 0 {
            return;
        }
        let id = self.next_id();
        self.inner.borrow_mut().peaks_id = id;
        let (a, b) = ((start_s * rate).floor(), (end_s * rate).ceil());
        self.with_worker(|w| {
            w.send("peaks", id, &[("start", a.into()), ("end", b.into()), ("columns", columns.into())], &[])
        });
    }

    /// Loops `range` (seconds) sample-accurately in the worklet, or stops looping.
    pub fn set_loop(&self, range: Option<(f64, f64)>) {
        let rate = self.state.file.with_untracked(|f| f.as_ref().map_or(0.0, |f| f.sample_rate as f64));
        if let Some(p) = &self.inner.borrow().playback {
            match range {
                Some((a, b)) if b > a => p.set_loop((a * rate).round(), (b * rate).round()),
                _ => p.set_loop(-1.0, -1.0),
            }
        }
    }

    /// Previews the master again if an export started before the last
    /// preview finished (the worker runs one master job at a time).
    fn preview_if_missing(&self) {
        if self.state.master_analysis.with_untracked(Option::is_none) && self.state.analysis.with_untracked(Option::is_some) {
            self.remaster();
        }
    }
}



//! The link to the engine worker (`lacquer-worker.js`): starting it,
//! sending it commands, and turning its messages into typed events.
//!
//! The worker owns the session: the decoded audio, its analysis and the
//! export. The page only sends commands and receives progress, summaries
//! and finished files.

use super::js_err;
use js_sys::{Array, Object, Reflect};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, MessagePort, Worker};

/// URL of the worker script, relative to the page.
const WORKER_URL: &str = "lacquer-worker.js";
/// The checker's name (the worker script reads it as `self.name`).
const CHECKER_NAME: &str = "lacquer-checker";

/// A message from the worker.
pub(crate) enum Event {
    /// Progress of the command `id`.
    Progress { id: u32, stage: String, phase: String, fraction: f64 },
    /// The file of command `id` is in the worker's storage: playable.
    Loaded { id: u32, channels: u32, frames: f64, rate: u32 },
    /// The waveform overview of the file of command `id`, as soon as it is loaded.
    Overview { id: u32, overview: JsValue },
    /// The analysis of the file of command `id`.
    Analysis { id: u32, summary: JsValue },
    /// The file of command `id` is not one the worker reads: the page decodes it.
    Decode { id: u32 },
    /// The preview `id` is finished: the master's summary (drawn as it will be exported).
    Master { id: u32, summary: JsValue, report: JsValue },
    /// The export `id` is finished: the file and its report.
    Exported { id: u32, file: web_sys::Blob, report: JsValue, ms: f64 },
    /// Waveform columns for frames `start..end`: `[col][ch][min, max]` of
    /// the mix and, once there is one, the master.
    Peaks { id: u32, start: f64, end: f64, columns: u32, channels: u32, mix: Option<Vec<f32>>, master: Option<Vec<f32>> },
    /// A release message (`bundle-file`: a file of the bundle, made;
    /// `bundled`: the finished bundle; `verified`: a delivered file's
    /// check, from the checker), handled by the engine's export.
    Release { kind: String, id: u32, data: JsValue },
    /// The command `id` was cancelled.
    Cancelled { id: u32 },
    /// The command `id` failed; `fatal` when the worker cannot go on.
    Failed { id: u32, message: String, fatal: bool },
}

/// The fields every worker message has.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: u32,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    phase: String,
    #[serde(default)]
    fraction: f64,
    #[serde(default)]
    channels: u32,
    #[serde(default)]
    frames: f64,
    #[serde(default)]
    rate: u32,
    #[serde(default)]
    message: String,
    #[serde(default)]
    fatal: bool,
    #[serde(default)]
    ms: f64,
    #[serde(default)]
    start: f64,
    #[serde(default)]
    end: f64,
    #[serde(default)]
    columns: u32,
}

fn field(data: &JsValue, name: &str) -> JsValue {
    Reflect::get(data, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Reads one worker message; `None` for messages the page does not use.
fn parse(data: JsValue) -> Option<Event> {
    // Only the plain fields go through serde; objects (File, summaries) are taken as they are.
    let plain = Object::new();
    for k in ["type", "id", "stage", "phase", "fraction", "channels", "frames", "rate", "message", "fatal", "ms", "start", "end", "columns"] {
        let v = field(&data, k);
        if !v.is_undefined() {
            let _ = Reflect::set(&plain, &k.into(), &v);
        }
    }
    let h: Head = serde_wasm_bindgen::from_value(plain.into()).ok()?;
    let id = h.id;
    Some(match h.kind.as_str() {
        "progress" => Event::Progress { id, stage: h.stage, phase: h.phase, fraction: h.fraction },
        "loaded" => Event::Loaded { id, channels: h.channels, frames: h.frames, rate: h.rate },
        "analysis" => Event::Analysis { id, summary: field(&data, "summary") },
        "overview" => Event::Overview { id, overview: field(&data, "overview") },
        "decode" => Event::Decode { id },
        "master" => Event::Master { id, summary: field(&data, "summary"), report: field(&data, "report") },
        "exported" => Event::Exported { id, file: field(&data, "file").dyn_into().ok()?, report: field(&data, "report"), ms: h.ms },
        "cancelled" => Event::Cancelled { id },
        "bundled" | "bundle-file" | "verified" | "codec-checked" | "verify-ack" => Event::Release { kind: h.kind.clone(), id, data },
        "peaks" => {
            let floats = |k: &str| field(&data, k).dyn_into::<js_sys::Float32Array>().ok().map(|a| a.to_vec());
            Event::Peaks {
                id,
                start: h.start,
                end: h.end,
                columns: h.columns,
                channels: h.channels,
                mix: floats("mix"),
                master: floats("master"),
            }
        }
        "error" => Event::Failed { id, message: h.message, fatal: h.fatal },
        _ => return None,
    })
}

/// A running worker and the handlers that keep its messages flowing.
pub(crate) struct WorkerLink {
    /// The worker.
    worker: Worker,
    /// Keeps the message handler alive.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    /// Keeps the error handler alive.
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl WorkerLink {
    /// Starts a worker; `on_event` gets every message it sends, and a
    /// `Failed { fatal: true }` if it dies.
    pub(crate) fn start(on_event: impl Fn(Event) + Clone + 'static) -> Result<Self, String> {
        let worker = Worker::new(WORKER_URL).map_err(|e| format!("the engine worker could not start: {}", js_err(e)))?;
        Self::attach(worker, on_event)
    }

    /// Starts the checker: the same worker script under [`CHECKER_NAME`],
    /// which measures files and leaves the engine's exports alone.
    pub(crate) fn start_checker(on_event: impl Fn(Event) + Clone + 'static) -> Result<Self, String> {
        let options = web_sys::WorkerOptions::new();
        options.set_name(CHECKER_NAME);
        let worker = Worker::new_with_options(WORKER_URL, &options)
            .map_err(|e| format!("the checker could not start: {}", js_err(e)))?;
        Self::attach(worker, on_event)
    }

    fn attach(worker: Worker, on_event: impl Fn(Event) + Clone + 'static) -> Result<Self, String> {
        let on = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(e) = parse(ev.data()) {
                on(e);
            }
        });
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            let message = if ev.message().is_empty() { "the engine worker failed".to_string() } else { ev.message() };
            on_event(Event::Failed { id: 0, message, fatal: true });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self { worker, _on_message: on_message, _on_error: on_error })
    }

    /// Sends a command: `kind` plus the fields in `fields`.
    pub(crate) fn send(&self, kind: &str, id: u32, fields: &[(&str, JsValue)], transfer: &[JsValue]) {
        let msg = Object::new();
        let _ = Reflect::set(&msg, &"type".into(), &kind.into());
        let _ = Reflect::set(&msg, &"id".into(), &id.into());
        for (k, v) in fields {
            let _ = Reflect::set(&msg, &(*k).into(), v);
        }
        let list: Array = transfer.iter().collect();
        if let Err(e) = self.worker.post_message_with_transfer(&msg, &list) {
            web_sys::console::error_1(&e);
        }
    }

    /// Hands the worker its end of the channel to the worklet.
    pub(crate) fn connect_feed(&self, port: &MessagePort) {
        self.send("port", 0, &[("port", port.into())], &[port.into()]);
    }
}

impl Drop for WorkerLink {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

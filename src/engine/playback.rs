//! Playback: an `AudioContext` at the file's own rate with the chain's
//! AudioWorklet node. The worklet is the transport; it takes the audio from
//! the worker over a `MessageChannel` of its own, so no audio passes
//! through the page. Transport commands go to the worklet as messages.

use super::js_err;
use crate::state::{AppState, LiveMeters};
use js_sys::{Array, ArrayBuffer, Object, Reflect};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, AudioContextOptions, AudioWorkletNode, AudioWorkletNodeOptions, MessageChannel, MessageEvent,
    MessagePort, Response,
};

/// URL of the AudioWorklet processor script, relative to the page.
const PROCESSOR_URL: &str = "lacquer-processor.js";
/// URL of the DSP wasm the worklet runs, relative to the page.
const DSP_WASM_URL: &str = "lacquer_dsp.wasm";

/// A context and its worklet, at one sample rate.
pub(crate) struct Playback {
    /// The context.
    ctx: AudioContext,
    /// The chain's worklet node.
    node: AudioWorkletNode,
    /// Sample rate, Hz.
    rate: u32,
    /// Number of the last transport command sent; the worklet echoes it, so
    /// reports sent before it took effect do not undo what the page shows.
    seq: std::rc::Rc<std::cell::Cell<u32>>,
    /// Keeps the worklet port's handler alive.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// Fetches the DSP wasm bytes (the worklet compiles them).
pub(crate) async fn fetch_dsp_wasm() -> Result<ArrayBuffer, String> {
    let fail = |e: JsValue| format!("the audio engine could not start (DSP module: {})", js_err(e));
    let window = web_sys::window().ok_or("no window")?;
    let resp: Response = JsFuture::from(window.fetch_with_str(DSP_WASM_URL)).await.map_err(fail)?.unchecked_into();
    if !resp.ok() {
        return Err(format!("the audio engine could not start (DSP module: HTTP {})", resp.status()));
    }
    Ok(JsFuture::from(resp.array_buffer().map_err(fail)?).await.map_err(fail)?.unchecked_into())
}

/// Brings up the browser's audio system while the page is idle. The first
/// `AudioContext` a page creates blocks the main thread for about 60 ms
/// while the audio output starts; later ones take a few. A throwaway
/// context at page start keeps that pause out of loading a file.
pub(crate) async fn warm_up() {
    super::yield_to_browser().await;
    if let Ok(ctx) = AudioContext::new() {
        if let Ok(p) = ctx.close() {
            let _ = JsFuture::from(p).await;
        }
    }
    // The app has finished starting (tests wait for this before timing).
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark("lacquer:started");
    }
}

impl Playback {
    /// A context at `rate` with the chain's worklet, and the worklet's end of
    /// a new channel to the worker (the caller hands the worker the other end).
    pub(crate) async fn start(rate: u32, wasm: &ArrayBuffer, state: AppState) -> Result<(Self, MessagePort), String> {
        let fail = |what: &str, e: JsValue| format!("the audio engine could not start ({what}: {})", js_err(e));
        let opts = AudioContextOptions::new();
        opts.set_sample_rate(rate as f32);
        let ctx = AudioContext::new_with_context_options(&opts)
            .map_err(|e| format!("the browser cannot play audio at {rate} Hz: {}", js_err(e)))?;
        let worklet = ctx.audio_worklet().map_err(|e| fail("AudioWorklet", e))?;
        JsFuture::from(worklet.add_module(PROCESSOR_URL).map_err(|e| fail("processor", e))?)
            .await
            .map_err(|e| fail("processor", e))?;
        let processor_options = Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&processor_options, &k.into(), v);
        set("wasmBytes", wasm).map_err(js_err)?;
        set("settingsJson", &lacquer_dsp::Settings::default().to_json().into()).map_err(js_err)?;
        let node_opts = AudioWorkletNodeOptions::new();
        node_opts.set_number_of_inputs(0);
        node_opts.set_number_of_outputs(1);
        node_opts.set_output_channel_count(&Array::of1(&2.into()));
        node_opts.set_processor_options(Some(&processor_options));
        let node = AudioWorkletNode::new_with_options(&ctx, "lacquer", &node_opts).map_err(|e| fail("worklet node", e))?;
        node.connect_with_audio_node(&ctx.destination()).map_err(js_err)?;
        let seq = std::rc::Rc::new(std::cell::Cell::new(0));
        let sent = seq.clone();
        let on_message =
            Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| on_worklet_message(state, rate, sent.get(), ev.data()));
        let port = node.port().map_err(js_err)?;
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let playback = Self { ctx, node, rate, seq, _on_message: on_message };
        let feed = playback.new_feed()?;
        Ok((playback, feed))
    }

    /// A new channel between the worklet and the worker (after the worker
    /// restarts): the worklet gets one end, the caller hands the worker the other.
    pub(crate) fn new_feed(&self) -> Result<MessagePort, String> {
        let channel = MessageChannel::new().map_err(js_err)?;
        let to_worklet = channel.port1();
        let msg = Object::new();
        let _ = Reflect::set(&msg, &"type".into(), &"feed".into());
        let _ = Reflect::set(&msg, &"port".into(), &to_worklet);
        let port = self.node.port().map_err(js_err)?;
        port.post_message_with_transferable(&msg, &Array::of1(&to_worklet)).map_err(js_err)?;
        Ok(channel.port2())
    }

    /// Sample rate, Hz.
    pub(crate) fn rate(&self) -> u32 {
        self.rate
    }

    /// Sends the worklet a message: `kind` and `fields`.
    pub(crate) fn send(&self, kind: &str, fields: &[(&str, JsValue)]) {
        let msg = Object::new();
        let _ = Reflect::set(&msg, &"type".into(), &kind.into());
        for (k, v) in fields {
            let _ = Reflect::set(&msg, &(*k).into(), v);
        }
        if let Ok(port) = self.node.port() {
            let _ = port.post_message(&msg);
        }
    }

    /// Sends a transport command, numbered.
    fn command(&self, kind: &str, fields: &[(&str, JsValue)]) {
        self.seq.set(self.seq.get() + 1);
        let mut all = vec![("seq", JsValue::from(self.seq.get()))];
        all.extend(fields.iter().cloned());
        self.send(kind, &all);
    }

    /// A new source: `sid` names it in the worker, `frames` long.
    pub(crate) fn set_source(&self, sid: u32, frames: f64, channels: u32) {
        self.command("source", &[("sid", sid.into()), ("frames", frames.into()), ("channels", channels.into())]);
    }

    /// Starts playing from the playhead (resuming the context if the browser suspended it).
    pub(crate) fn play(&self) {
        let _ = self.ctx.resume();
        self.command("play", &[]);
    }

    /// Pauses at the playhead.
    pub(crate) fn pause(&self) {
        self.command("pause", &[]);
    }

    /// Loops frames `start..end` (−1 for both: no loop).
    pub(crate) fn set_loop(&self, start: f64, end: f64) {
        self.command("loop", &[("start", start.into()), ("end", end.into())]);
    }

    /// How the live spectrum is shown: slope (dB/octave) and smoothing (1/n octave).
    pub(crate) fn set_spectrum(&self, slope_db_per_oct: f32, smoothing_n: u32) {
        self.send("spectrum-settings", &[("slope", slope_db_per_oct.into()), ("smoothing", smoothing_n.into())]);
    }

    /// Restarts the integrated loudness meter.
    pub(crate) fn reset_integrated(&self) {
        self.send("reset-integrated", &[]);
    }

    /// Clears the spectrum's peak-hold lines.
    pub(crate) fn reset_spectrum_peaks(&self) {
        self.send("spectrum-reset-peaks", &[]);
    }

    /// Moves the playhead to `frame`.
    pub(crate) fn seek(&self, frame: f64) {
        self.command("seek", &[("frame", frame.into())]);
    }
}

impl Drop for Playback {
    fn drop(&mut self) {
        if let Ok(port) = self.node.port() {
            port.set_onmessage(None);
        }
        let _ = self.node.disconnect();
        let _ = self.ctx.close();
    }
}

/// Meters, the playhead and errors from the worklet. Transport state from a
/// report older than the last command (`seq`) is ignored.
fn on_worklet_message(state: AppState, rate: u32, seq: u32, data: JsValue) {
    let get = |k: &str| Reflect::get(&data, &k.into()).ok().and_then(|v| v.as_f64());
    let kind = Reflect::get(&data, &"type".into()).ok().and_then(|v| v.as_string());
    match kind.as_deref() {
        Some("meters") => {
            state.meter_reports.update(|n| *n += 1);
            state.meters.set(LiveMeters {
                peak: [get("peakL").unwrap_or(0.0) as f32, get("peakR").unwrap_or(0.0) as f32],
                in_peak: get("inPeak").unwrap_or(0.0) as f32,
                limiter_gr_db: get("limiterGrDb").unwrap_or(0.0) as f32,
                comp_gr_db: get("compGrDb").unwrap_or(0.0) as f32,
                correlation: get("correlation").unwrap_or(0.0) as f32,
                frames: get("frames").unwrap_or(0.0),
                momentary_lufs: get("momentaryLufs").map(|v| v as f32),
                short_term_lufs: get("shortTermLufs").map(|v| v as f32),
                integrated_lufs: get("integratedLufs").map(|v| v as f32),
                true_peak: [get("truePeakL").unwrap_or(0.0) as f32, get("truePeakR").unwrap_or(0.0) as f32],
            });
            if get("seq").is_some_and(|s| (s as u32) < seq) {
                return;
            }
            if let Some(pos) = get("position") {
                let t = pos / rate as f64;
                if state.position_s.get_untracked() != t {
                    state.position_s.set(t);
                }
            }
            let playing = Reflect::get(&data, &"playing".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
            if state.playing.get_untracked() != playing {
                state.playing.set(playing);
            }
        }
        Some("spectrum-grid") => {
            if let Ok(f) = Reflect::get(&data, &"freqs".into()).and_then(|v| v.dyn_into::<js_sys::Float32Array>()) {
                state.spectrum_freqs.set(f.to_vec());
            }
        }
        Some("spectrum") => {
            let points = get("points").unwrap_or(0.0) as usize;
            if let Ok(d) = Reflect::get(&data, &"data".into()).and_then(|v| v.dyn_into::<js_sys::Float32Array>()) {
                let all = d.to_vec();
                if points > 0 && all.len() >= 4 * points {
                    let part = |k: usize| all[k * points..(k + 1) * points].to_vec();
                    state.spectrum.set(crate::state::LiveSpectrum {
                        input: part(0),
                        output: part(1),
                        input_peak: part(2),
                        output_peak: part(3),
                    });
                    state.spectrum_frames.update(|n| *n += 1);
                }
            }
        }
        Some("ended") => {
            state.playing.set(false);
            state.position_s.set(0.0);
        }
        Some("error") => {
            let msg = Reflect::get(&data, &"message".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
            state.error.set(Some(format!("The audio engine stopped: {msg}")));
        }
        _ => {}
    }
}

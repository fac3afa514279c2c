//! The audio engine: the Web Audio work and nothing more.
//!
//! - Decodes a dropped file with `decodeAudioData` in an `AudioContext` created at
//!   the file's own sample rate (read from the container header by
//!   `lacquer_dsp::probe`), so nothing is silently resampled.
//! - Plays `AudioBufferSourceNode → AudioWorkletNode (lacquer-dsp chain) →
//!   destination`. The worklet gets the DSP wasm bytes from here and posts meter
//!   readings back at about 30 Hz.
//! - Exports by running `lacquer_dsp::job::MasterJob` in time-sliced steps on the
//!   main thread, yielding to the event loop between slices, then downloads the
//!   24-bit WAV.
//!
//! Components never see this struct's insides: they get [`AppState`] signals and
//! call the methods below.

mod export;

use crate::state::{AppState, FileInfo, LiveMeters};
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use lacquer_dsp::probe::{self, Container};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioBuffer, AudioBufferSourceNode, AudioContext, AudioScheduledSourceNode, AudioContextOptions, AudioWorkletNode,
    AudioWorkletNodeOptions, Event, File, MessageEvent, Response,
};

/// URL of the AudioWorklet processor script, relative to the page.
const PROCESSOR_URL: &str = "lacquer-processor.js";
/// URL of the DSP wasm the worklet runs, relative to the page.
const DSP_WASM_URL: &str = "lacquer_dsp.wasm";
/// Rate used when a container does not state its own.
const FALLBACK_RATE: u32 = 48_000;

/// A decoded file.
pub(crate) struct Loaded {
    /// Playback buffer.
    buffer: AudioBuffer,
    /// The same samples, planar, for the offline export.
    channels: Rc<Vec<Vec<f32>>>,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// File name.
    name: String,
}

/// Web Audio objects, alive between calls.
#[derive(Default)]
struct Inner {
    /// The context, created at the loaded file's rate.
    ctx: Option<AudioContext>,
    /// The worklet node running the chain in `ctx`.
    node: Option<AudioWorkletNode>,
    /// The DSP wasm bytes, fetched once.
    dsp_wasm: Option<ArrayBuffer>,
    /// The playing source, if any.
    source: Option<AudioBufferSourceNode>,
    /// The loaded file.
    loaded: Option<Loaded>,
    /// `ctx.currentTime` at which file position 0 would have played, s.
    anchor_s: f64,
    /// Position to resume from when paused, s.
    offset_s: f64,
    /// Keeps the worklet port's message handler alive.
    on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    /// Keeps the source's `ended` handler alive.
    on_ended: Option<Closure<dyn FnMut(Event)>>,
}

/// Handle to the engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    /// Shared Web Audio state.
    inner: Rc<RefCell<Inner>>,
    /// Signals the engine writes.
    state: AppState,
}

/// Turns any JS error into a readable string.
fn js_err(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

impl Engine {
    /// An engine writing into `state`.
    pub fn new(state: AppState) -> Self {
        Self { inner: Rc::new(RefCell::new(Inner::default())), state }
    }

    /// Reads, probes and decodes `file`. On failure the previous file stays loaded
    /// and the message is shown.
    pub async fn load_file(&self, file: File) {
        let st = self.state;
        st.loading.set(true);
        st.error.set(None);
        match self.load_inner(&file).await {
            Ok(info) => {
                st.position_s.set(0.0);
                st.export.set(crate::state::ExportState::Idle);
                st.file.set(Some(info));
            }
            Err(msg) => st.error.set(Some(msg)),
        }
        st.loading.set(false);
    }

    async fn load_inner(&self, file: &File) -> Result<FileInfo, String> {
        let name = file.name();
        let size = file.size() as u64;
        if size == 0 {
            return Err(format!("“{name}” is empty (0 bytes)."));
        }
        let data: ArrayBuffer = JsFuture::from(file.array_buffer())
            .await
            .map_err(|e| format!("“{name}” could not be read: {}", js_err(e)))?
            .unchecked_into();
        let head_len = data.byte_length().min(64 * 1024);
        let head = Uint8Array::new_with_byte_offset_and_length(&data, 0, head_len).to_vec();
        let p = probe::probe(&head);
        match p.container {
            Container::Aiff => {
                return Err(format!(
                    "“{name}” is an AIFF file, which this browser cannot decode. \
                     Export the mix as WAV or FLAC and drop that instead."
                ))
            }
            Container::Unknown if !looks_like_audio(&name) => {
                return Err(format!(
                    "“{name}” does not look like an audio file. Lacquer reads WAV, FLAC, \
                     MP3, Ogg Vorbis, Opus and AAC."
                ))
            }
            _ => {}
        }
        if let Some(r) = p.sample_rate {
            if !(8_000..=192_000).contains(&r) {
                return Err(format!(
                    "“{name}” is at {r} Hz; Lacquer works with sample rates from 8 to 192 kHz."
                ));
            }
        }
        if let Some(c) = p.channels {
            if c > 2 {
                return Err(format!(
                    "“{name}” has {c} channels; Lacquer masters mono and stereo files."
                ));
            }
        }
        let native_rate = p.sample_rate.is_some();
        let rate = p.sample_rate.unwrap_or(FALLBACK_RATE);
        self.stop_source();
        let ctx = self.context_at(rate)?;
        let decoded = JsFuture::from(ctx.decode_audio_data(&data).map_err(js_err)?)
            .await
            .map_err(|e| {
                format!(
                    "“{name}” could not be decoded ({}): {}. The file may be damaged, or in a \
                     format this browser does not support.",
                    p.container.name(),
                    js_err(e)
                )
            })?;
        let buffer: AudioBuffer = decoded.unchecked_into();
        let channels = buffer.number_of_channels();
        if channels == 0 || channels > 2 {
            return Err(format!(
                "“{name}” has {channels} channels; Lacquer masters mono and stereo files."
            ));
        }
        if buffer.length() == 0 {
            return Err(format!("“{name}” holds no audio."));
        }
        let mut planar = Vec::with_capacity(channels as usize);
        for c in 0..channels {
            planar.push(buffer.get_channel_data(c).map_err(js_err)?);
        }
        self.ensure_worklet(&ctx).await?;
        let info = FileInfo {
            name: name.clone(),
            container: p.container.name().to_string(),
            duration_s: buffer.duration(),
            sample_rate: buffer.sample_rate() as u32,
            native_rate,
            channels,
            bytes: size,
        };
        let mut inner = self.inner.borrow_mut();
        inner.offset_s = 0.0;
        inner.loaded = Some(Loaded {
            buffer,
            channels: Rc::new(planar),
            sample_rate: info.sample_rate,
            name,
        });
        Ok(info)
    }

    /// The context at `rate`, creating it (and dropping the old one and its
    /// worklet) if the rate differs.
    fn context_at(&self, rate: u32) -> Result<AudioContext, String> {
        let mut inner = self.inner.borrow_mut();
        if let Some(ctx) = &inner.ctx {
            if ctx.sample_rate() as u32 == rate {
                return Ok(ctx.clone());
            }
            let _ = ctx.close();
            inner.node = None;
            inner.on_message = None;
        }
        let opts = AudioContextOptions::new();
        opts.set_sample_rate(rate as f32);
        let ctx = AudioContext::new_with_context_options(&opts)
            .map_err(|e| format!("the browser cannot play audio at {rate} Hz: {}", js_err(e)))?;
        inner.ctx = Some(ctx.clone());
        Ok(ctx)
    }

    /// Loads the processor into `ctx` and creates the chain's worklet node.
    async fn ensure_worklet(&self, ctx: &AudioContext) -> Result<(), String> {
        if self.inner.borrow().node.is_some() {
            return Ok(());
        }
        let fail = |what: &str, e: JsValue| format!("the audio engine could not start ({what}: {})", js_err(e));
        let worklet = ctx.audio_worklet().map_err(|e| fail("AudioWorklet", e))?;
        JsFuture::from(worklet.add_module(PROCESSOR_URL).map_err(|e| fail("processor", e))?)
            .await
            .map_err(|e| fail("processor", e))?;
        let wasm = match self.inner.borrow().dsp_wasm.clone() {
            Some(w) => w,
            None => {
                let window = web_sys::window().ok_or("no window")?;
                let resp: Response = JsFuture::from(window.fetch_with_str(DSP_WASM_URL))
                    .await
                    .map_err(|e| fail("DSP module", e))?
                    .unchecked_into();
                if !resp.ok() {
                    return Err(format!("the audio engine could not start (DSP module: HTTP {})", resp.status()));
                }
                let buf: ArrayBuffer =
                    JsFuture::from(resp.array_buffer().map_err(|e| fail("DSP module", e))?)
                        .await
                        .map_err(|e| fail("DSP module", e))?
                        .unchecked_into();
                buf
            }
        };
        self.inner.borrow_mut().dsp_wasm = Some(wasm.clone());
        let processor_options = Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&processor_options, &k.into(), v);
        set("wasmBytes", &wasm).map_err(js_err)?;
        set("settingsJson", &lacquer_dsp::Settings::default().to_json().into()).map_err(js_err)?;
        let opts = AudioWorkletNodeOptions::new();
        opts.set_number_of_inputs(1);
        opts.set_number_of_outputs(1);
        opts.set_output_channel_count(&Array::of1(&2.into()));
        opts.set_processor_options(Some(&processor_options));
        let node = AudioWorkletNode::new_with_options(ctx, "lacquer", &opts)
            .map_err(|e| fail("worklet node", e))?;
        node.connect_with_audio_node(&ctx.destination()).map_err(js_err)?;
        let state = self.state;
        let inner_weak = Rc::downgrade(&self.inner);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            let get = |k: &str| Reflect::get(&data, &k.into()).ok().and_then(|v| v.as_f64());
            let kind = Reflect::get(&data, &"type".into()).ok().and_then(|v| v.as_string());
            match kind.as_deref() {
                Some("meters") => {
                    state.meters.set(LiveMeters {
                        peak: [get("peakL").unwrap_or(0.0) as f32, get("peakR").unwrap_or(0.0) as f32],
                        in_peak: get("inPeak").unwrap_or(0.0) as f32,
                        limiter_gr_db: get("limiterGrDb").unwrap_or(0.0) as f32,
                        comp_gr_db: get("compGrDb").unwrap_or(0.0) as f32,
                        correlation: get("correlation").unwrap_or(0.0) as f32,
                        frames: get("frames").unwrap_or(0.0),
                        momentary_lufs: get("momentaryLufs").map(|v| v as f32),
                        short_term_lufs: get("shortTermLufs").map(|v| v as f32),
                    });
                    if let Some(inner) = inner_weak.upgrade() {
                        if let Ok(inner) = inner.try_borrow() {
                            if let (Some(ctx), Some(l), true) =
                                (&inner.ctx, &inner.loaded, inner.source.is_some())
                            {
                                let pos = (ctx.current_time() - inner.anchor_s)
                                    .clamp(0.0, l.buffer.duration());
                                state.position_s.set(pos);
                            }
                        }
                    }
                }
                Some("error") => {
                    let msg = Reflect::get(&data, &"message".into())
                        .ok()
                        .and_then(|v| v.as_string())
                        .unwrap_or_default();
                    state.error.set(Some(format!("The audio engine stopped: {msg}")));
                }
                _ => {}
            }
        });
        let port = node.port().map_err(js_err)?;
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.node = Some(node);
        inner.on_message = Some(on_message);
        Ok(())
    }

    /// Starts playback from the current position.
    pub fn play(&self) {
        if let Err(e) = self.play_inner() {
            self.state.error.set(Some(format!("Playback failed: {e}")));
        }
    }

    fn play_inner(&self) -> Result<(), String> {
        self.stop_source();
        let mut inner = self.inner.borrow_mut();
        let (Some(ctx), Some(node), Some(loaded)) = (&inner.ctx, &inner.node, &inner.loaded) else {
            return Ok(());
        };
        let _ = ctx.resume();
        let src = ctx.create_buffer_source().map_err(js_err)?;
        src.set_buffer(Some(&loaded.buffer));
        src.connect_with_audio_node(node).map_err(js_err)?;
        let mut offset = inner.offset_s;
        if offset >= loaded.buffer.duration() {
            offset = 0.0;
        }
        src.start_with_when_and_grain_offset(0.0, offset).map_err(js_err)?;
        let anchor = ctx.current_time() - offset;
        let state = self.state;
        let weak = Rc::downgrade(&self.inner);
        let on_ended = Closure::<dyn FnMut(Event)>::new(move |_| {
            // Reached the end of the file (manual stops detach this handler first).
            if let Some(inner) = weak.upgrade() {
                if let Ok(mut inner) = inner.try_borrow_mut() {
                    inner.source = None;
                    inner.offset_s = 0.0;
                }
            }
            state.playing.set(false);
            state.position_s.set(0.0);
        });
        scheduled(&src).set_onended(Some(on_ended.as_ref().unchecked_ref()));
        inner.anchor_s = anchor;
        inner.offset_s = offset;
        inner.source = Some(src);
        inner.on_ended = Some(on_ended);
        drop(inner);
        self.state.position_s.set(offset);
        self.state.playing.set(true);
        Ok(())
    }

    /// Stops the current source, if any, without touching the position.
    fn stop_source(&self) {
        let mut inner = self.inner.borrow_mut();
        if let Some(src) = inner.source.take() {
            scheduled(&src).set_onended(None);
            let _ = scheduled(&src).stop();
            let _ = src.disconnect();
        }
        inner.on_ended = None;
    }

    /// Pauses, remembering the position.
    pub fn pause(&self) {
        let pos = {
            let inner = self.inner.borrow();
            match (&inner.ctx, inner.source.is_some()) {
                (Some(ctx), true) => Some(ctx.current_time() - inner.anchor_s),
                _ => None,
            }
        };
        self.stop_source();
        if let Some(p) = pos {
            self.inner.borrow_mut().offset_s = p.max(0.0);
            self.state.position_s.set(p.max(0.0));
        }
        self.state.playing.set(false);
    }

    /// Moves the playhead to `t_s` seconds, carrying on playing if it was.
    pub fn seek(&self, t_s: f64) {
        let duration = self.inner.borrow().loaded.as_ref().map_or(0.0, |l| l.buffer.duration());
        let t = t_s.clamp(0.0, duration);
        let was_playing = self.inner.borrow().source.is_some();
        self.stop_source();
        self.inner.borrow_mut().offset_s = t;
        self.state.position_s.set(t);
        if was_playing {
            self.play();
        }
    }

    /// The loaded audio for the export: shared samples, rate and name.
    pub(crate) fn export_input(&self) -> Option<(Rc<Vec<Vec<f32>>>, u32, String)> {
        let inner = self.inner.borrow();
        inner.loaded.as_ref().map(|l| (l.channels.clone(), l.sample_rate, l.name.clone()))
    }

    /// Renders the master and downloads it.
    pub async fn export_wav(&self) {
        export::run(self, self.state).await;
    }
}

/// The source as its scheduling base class (start/stop/onended live there).
fn scheduled(src: &AudioBufferSourceNode) -> &AudioScheduledSourceNode {
    src.as_ref()
}

/// True when the extension names an audio format the browser may decode even
/// though its header was not recognised (e.g. raw AAC/ADTS).
fn looks_like_audio(name: &str) -> bool {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    matches!(ext.as_str(), "aac" | "adts" | "m4a" | "mp4" | "mp3" | "webm" | "weba" | "caf")
}

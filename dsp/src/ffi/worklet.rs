//! The AudioWorklet's engine: the chain, a latency-aligned dry path for A/B,
//! the monitoring stage (path gains, crossfade, a platform's playback
//! limiter) and the live meters of what is heard.
//!
//! The worklet instantiates the raw wasm module synchronously and drives it with
//! plain numbers and pointers into wasm memory, so it needs no generated glue:
//!
//! 1. `lq_create(sample_rate, max_block)` allocates an engine with preallocated
//!    input and output buffers (`lq_input_ptr` / `lq_output_ptr`, per channel,
//!    `max_block` f32 each).
//! 2. Per render quantum the worklet copies input into those buffers, calls
//!    `lq_process(engine, frames)`, and copies the output back out. Nothing is
//!    allocated per quantum.
//! 3. Settings arrive as JSON on parameter messages: the worklet writes UTF-8 into
//!    `lq_settings_buf(engine, len)` and calls `lq_apply_settings(engine, len)`,
//!    which returns −1 and keeps the previous settings for JSON that
//!    [`Settings::from_json`] refuses (invalid, unknown fields, wrong types,
//!    values out of range).
//! 4. Meter readings are read from `lq_meters_ptr(engine)`, `LQ_METERS` f32 values,
//!    laid out as in [`Meter`] (new slots are only ever added at the end).
//!    The meters measure what is heard: the final output, after the monitor
//!    and the platform limiter (the compressor and limiter gain reduction
//!    and the correlation are the chain's own). It is metered for loudness
//!    (BS.1770 momentary, short-term and integrated) every quantum; the
//!    readings are computed into the array by `lq_update_loudness`, which
//!    the worklet calls only when it sends meters (each reading sums a 3 s
//!    window). Loudness slots read −∞ until something is measured. The
//!    sample peak and the true peak of each output channel (BS.1770
//!    Annex 2, 4× oversampled below 96 kHz: see [`TruePeak`]) are the
//!    largest over each quantum, written every quantum. The integrated
//!    loudness covers everything played since the engine was created or
//!    since `lq_reset_integrated(engine)` (the worklet calls it when play
//!    starts); `lq_reset` (seek) leaves it running. It is counted on
//!    `ebur128`'s fixed histogram, so it never allocates however long play
//!    lasts, and reads within 0.05 LU of the exact figure
//!    ([`LiveIntegrated`]).
//! 5. `lq_set_meter_channels(engine, 1 | 2)` tells the loudness meter whether the
//!    source is mono (one channel at weight 1, as BS.1770 measures mono) or
//!    stereo. Both meters are preallocated; switching allocates nothing and
//!    restarts the loudness readings. 0 switches the BS.1770 meters off
//!    (loudness and true peak), for a host that does not show them.
//! 6. The monitor ([`monitor`]). The input, delayed by exactly the chain's
//!    latency, is the dry path.
//!    - `lq_set_monitor_gains(engine, master_gain_db, mix_gain_db)` sets a
//!      gain on the master path and on the dry path, before the crossfade
//!      (the mix at the master's integrated loudness for a matched A/B; or
//!      each path at a platform's playback gain, from
//!      [`crate::loudness::platforms::listening`], to listen as on it).
//!      Changes ramp over [`GAIN_RAMP_S`]; a path at exactly 0 dB is left
//!      untouched once its ramp is over. 0, or −1 for a gain refused.
//!    - `lq_set_monitor(engine, 0 | 1)` chooses what the output carries: the
//!      master (0) or the dry input (1), crossfading over [`MONITOR_FADE_S`].
//!    - `lq_set_platform_limiter(engine, on, threshold_dbfs, attack_ms,
//!      release_ms)` switches the platform limiter after the crossfade on or
//!      off, with its figures (Spotify Loud's: −1 dBFS, 5 ms, 100 ms,
//!      [`crate::loudness::platforms::SPOTIFY_LOUD_LIMITER`]). It holds every
//!      sample at or under the threshold. 0, or −1 for figures refused.
//!    - The platform limiter delays the audio by its lookahead
//!      ([`crate::loudness::platforms::PLAYBACK_LIMITER_MAX_ATTACK_MS`]) on or
//!      off, so `lq_latency(engine)` is the chain's latency plus that
//!      lookahead, always, and switching anything never moves the audio in
//!      time. With the dry path chosen, its gain at 0 dB and the limiter
//!      off, once the fade is over the output is the input delayed by
//!      `lq_latency`, bit for bit.
//! 7. The live spectrum analyser ([`LiveSpectrum`]) sees the chain's input
//!    (the mix, before the chain and the dry path) and output (the master,
//!    before the monitor) every quantum; the worklet calls
//!    `lq_spectrum_update(engine)` at the display rate (about 30 Hz), then
//!    reads `lq_spectrum_points(engine)` (480) × 4 f32 from
//!    `lq_spectrum_ptr(engine)`, in dB (never below −150):
//!    `[input × points, output × points, input peak × points, output peak × points]`.
//!    The grid's frequencies, in Hz, are `points` f32 at
//!    `lq_spectrum_freqs_ptr(engine)`, fixed for the engine's life.
//!    `lq_spectrum_set(engine, slope_x10, smoothing)` sets the display slope
//!    in tenths of a dB per octave (0, 30 or 45) and the smoothing as the n
//!    of 1/n octave (3, 6 or 12): 0 if both are accepted, −1 (nothing
//!    changes) if not. `lq_spectrum_reset_peaks(engine)` clears the peak
//!    lines. Nothing here allocates after `lq_create`, so pointers and
//!    views into wasm memory stay valid.

use crate::analysis::live_spectrum::LiveSpectrum;
use crate::chain::util::max2_f32;
use crate::chain::Master;
use crate::loudness::meter::{LiveIntegrated, LiveMeter, TruePeak};
use crate::settings::Settings;

#[path = "monitor.rs"]
pub mod monitor;
use monitor::Monitor;
pub use monitor::{GAIN_RAMP_S, MONITOR_FADE_S, MONITOR_GAIN_RANGE_DB};

/// Meter slots in the array behind `lq_meters_ptr`.
#[repr(usize)]
#[derive(Clone, Copy)]
pub enum Meter {
    /// Peak of what is heard over the last quantum, left, linear.
    PeakL = 0,
    /// Peak of what is heard over the last quantum, right, linear.
    PeakR = 1,
    /// Compressor gain reduction, dB.
    CompGrDb = 2,
    /// Limiter gain reduction, dB.
    LimiterGrDb = 3,
    /// Output correlation, −1..1.
    Correlation = 4,
    /// Frames processed since creation (as f32; exact up to 2^24).
    Frames = 5,
    /// Input peak of the last quantum, both channels, linear.
    InPeak = 6,
    /// Momentary loudness (400 ms) of what is heard, LUFS; −∞ for silence.
    MomentaryLufs = 7,
    /// Short-term loudness (3 s) of what is heard, LUFS; −∞ for silence.
    ShortTermLufs = 8,
    /// True peak of what is heard over the last quantum, left, linear.
    TruePeakL = 9,
    /// True peak of what is heard over the last quantum, right, linear.
    TruePeakR = 10,
    /// Integrated loudness of what is heard since play started (gated,
    /// BS.1770), LUFS; −∞ before the first 400 ms and for silence.
    IntegratedLufs = 11,
    /// Platform limiter gain reduction over the last quantum, dB (0 when
    /// off or not engaged).
    PlatformLimiterGrDb = 12,
}

/// Number of meter slots.
pub const LQ_METERS: usize = 13;

/// One worklet engine.
pub struct Engine {
    /// The chain.
    master: Master,
    /// Largest quantum, frames.
    max_block: usize,
    /// Input buffers, left and right.
    input: [Vec<f32>; 2],
    /// Output buffers, left and right.
    output: [Vec<f32>; 2],
    /// UTF-8 settings JSON written by the worklet.
    settings_buf: Vec<u8>,
    /// Meter readings.
    meters: [f32; LQ_METERS],
    /// Frames processed.
    frames: u64,
    /// Loudness meters of the output: mono and stereo.
    live: [LiveMeter; 2],
    /// Channels of the source (1 or 2): which live meter runs; 0 when the
    /// loudness meter is off.
    live_channels: usize,
    /// Integrated loudness meters of the output: mono and stereo.
    integrated: [LiveIntegrated; 2],
    /// True-peak detectors of the output, left and right.
    true_peak: [TruePeak; 2],
    /// The output with NaN and ±Inf as 0, for the true-peak detectors,
    /// `max_block` samples.
    true_peak_scratch: Vec<f32>,
    /// The live spectrum of the input and the output.
    spectrum: LiveSpectrum,
    /// The monitoring stage: dry path, path gains, crossfade, platform limiter.
    monitor: Monitor,
    /// Sample rate, Hz.
    sample_rate: f32,
}

/// Creates an engine. Returns null for a sample rate outside 8–192 kHz.
#[no_mangle]
pub extern "C" fn lq_create(sample_rate: f32, max_block: u32) -> *mut Engine {
    if !(8_000.0..=192_000.0).contains(&sample_rate) || max_block == 0 {
        return core::ptr::null_mut();
    }
    let max_block = max_block as usize;
    let mut master = Master::new(Settings::default());
    master.prepare(sample_rate as f64, max_block);
    let sr = sample_rate as u32;
    let (Ok(mono), Ok(stereo)) = (LiveMeter::new(1, sr), LiveMeter::new(2, sr)) else {
        return core::ptr::null_mut();
    };
    let (Ok(int_mono), Ok(int_stereo)) = (LiveIntegrated::new(1, sr), LiveIntegrated::new(2, sr)) else {
        return core::ptr::null_mut();
    };
    let mut spectrum = LiveSpectrum::new();
    spectrum.prepare(sample_rate as f64);
    let mut meters = [0.0; LQ_METERS];
    for slot in [Meter::MomentaryLufs, Meter::ShortTermLufs, Meter::IntegratedLufs] {
        meters[slot as usize] = f32::NEG_INFINITY;
    }
    let latency = master.latency_samples();
    Box::into_raw(Box::new(Engine {
        master,
        max_block,
        input: [vec![0.0; max_block], vec![0.0; max_block]],
        output: [vec![0.0; max_block], vec![0.0; max_block]],
        settings_buf: Vec::new(),
        meters,
        frames: 0,
        live: [mono, stereo],
        live_channels: 2,
        integrated: [int_mono, int_stereo],
        true_peak: [TruePeak::new(sr), TruePeak::new(sr)],
        true_peak_scratch: vec![0.0; max_block],
        spectrum,
        monitor: Monitor::new(sample_rate, latency),
        sample_rate,
    }))
}

/// Frees an engine.
///
/// # Safety
/// `e` must come from `lq_create` and not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lq_destroy(e: *mut Engine) {
    if !e.is_null() {
        drop(Box::from_raw(e));
    }
}

/// Pointer to input channel `ch` (0 or 1), `max_block` f32.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_input_ptr(e: *mut Engine, ch: u32) -> *mut f32 {
    (*e).input[(ch as usize).min(1)].as_mut_ptr()
}

/// Pointer to output channel `ch` (0 or 1), `max_block` f32.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_output_ptr(e: *mut Engine, ch: u32) -> *mut f32 {
    (*e).output[(ch as usize).min(1)].as_mut_ptr()
}

/// Processes `frames` (≤ max_block) frames from the input buffers into the output
/// buffers. No allocation.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_process(e: *mut Engine, frames: u32) {
    let e = &mut *e;
    let n = (frames as usize).min(e.max_block);
    let mut in_peak = 0.0f32;
    for ch in 0..2 {
        let (src, dst) = (&e.input[ch][..n], &mut e.output[ch][..n]);
        for (d, s) in dst.iter_mut().zip(src) {
            let a = s.abs();
            in_peak = max2_f32(a, in_peak);
            *d = *s;
        }
    }
    let [l, r] = &mut e.output;
    e.master.process(&mut l[..n], &mut r[..n]);
    // The mix (the input buffers, before the dry path delays them) and the master.
    e.spectrum.push(&e.input[0][..n], &e.input[1][..n], &l[..n], &r[..n]);
    e.monitor.process(&mut e.output, &mut e.input, n);
    // Everything below meters what is heard.
    let [l, r] = &e.output;
    if let Some(i) = e.live_channels.checked_sub(1) {
        if let Some(m) = e.live.get_mut(i) {
            m.process(&l[..n], &r[..n]);
        }
        if let Some(m) = e.integrated.get_mut(i) {
            m.process(&l[..n], &r[..n]);
        }
        let scratch = &mut e.true_peak_scratch[..n];
        for ((tp, out), slot) in e.true_peak.iter_mut().zip(&e.output).zip([Meter::TruePeakL, Meter::TruePeakR]) {
            for (d, s) in scratch.iter_mut().zip(&out[..n]) {
                *d = if s.is_finite() { *s } else { 0.0 };
            }
            tp.add(scratch);
            e.meters[slot as usize] = tp.take_tick_peak() as f32;
        }
    } else {
        e.meters[Meter::TruePeakL as usize] = 0.0;
        e.meters[Meter::TruePeakR as usize] = 0.0;
    }
    for (out, slot) in e.output.iter().zip([Meter::PeakL, Meter::PeakR]) {
        e.meters[slot as usize] = out[..n].iter().fold(0.0f32, |p, s| max2_f32(s.abs(), p));
    }
    let m = e.master.meters();
    e.frames += n as u64;
    e.meters[Meter::CompGrDb as usize] = m.comp_gr_db;
    e.meters[Meter::LimiterGrDb as usize] = m.limiter_gr_db;
    e.meters[Meter::Correlation as usize] = m.correlation;
    e.meters[Meter::Frames as usize] = e.frames as f32;
    e.meters[Meter::PlatformLimiterGrDb as usize] = e.monitor.limiter.gain_reduction_db();
    e.meters[Meter::InPeak as usize] = in_peak;
}

/// Chooses what the output carries: 0, the master; 1, the dry input delayed
/// by the chain's latency (each at its gain, see `lq_set_monitor_gains`).
/// The change crossfades over [`MONITOR_FADE_S`].
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_set_monitor(e: *mut Engine, dry: u32) {
    (*e).monitor.set_dry(dry != 0);
}

/// Sets the gain of the master path and of the dry (mix) path, dB, applied
/// before the crossfade: the mix at the master's loudness for a matched
/// A/B, or both at a platform's playback gain to listen as on it. Each
/// change ramps over [`GAIN_RAMP_S`]; a path at exactly 0 dB is not
/// touched once its ramp is over. Returns 0, or −1 (nothing changes) for a
/// gain that is not finite or outside [`MONITOR_GAIN_RANGE_DB`]. No
/// allocation.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_set_monitor_gains(e: *mut Engine, master_gain_db: f32, mix_gain_db: f32) -> i32 {
    if (*e).monitor.set_gains(master_gain_db, mix_gain_db) {
        0
    } else {
        -1
    }
}

/// Switches the platform limiter after the monitor mix on (`on` ≠ 0) or off,
/// with its threshold (−20 to 0 dBFS, sample values), attack (more than 0,
/// at most the lookahead, 5 ms) and release (1 to 5000 ms): Spotify Loud's
/// are [`crate::loudness::platforms::SPOTIFY_LOUD_LIMITER`]. Off, the
/// figures are ignored. No sample leaves it above the threshold. The audio
/// is delayed by the lookahead whether it is on or off (see `lq_latency`),
/// and switching is click-free. Returns 0, or −1 (nothing changes) for
/// figures out of range. No allocation.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_set_platform_limiter(
    e: *mut Engine,
    on: u32,
    threshold_dbfs: f32,
    attack_ms: f32,
    release_ms: f32,
) -> i32 {
    if (*e).monitor.limiter.set(on != 0, threshold_dbfs as f64, attack_ms as f64, release_ms as f64) {
        0
    } else {
        -1
    }
}

/// Returns a buffer of `len` bytes for settings JSON (allocates; call on messages only).
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_settings_buf(e: *mut Engine, len: u32) -> *mut u8 {
    let e = &mut *e;
    e.settings_buf.resize(len as usize, 0);
    e.settings_buf.as_mut_ptr()
}

/// Applies the JSON settings in the settings buffer. Returns 0 on success, −1 if
/// the JSON is invalid or out of range (the previous settings stay).
///
/// A new limiter lookahead changes the chain's latency: the chain is then
/// prepared again (this allocates; settings arrive on messages only), the
/// dry path takes the new latency (`lq_latency`), and the monitor starts
/// afresh at its defaults (the master, 0 dB, no platform limiter), so the
/// host sets it again. Other changes are smoothed and never click.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_apply_settings(e: *mut Engine, len: u32) -> i32 {
    let e = &mut *e;
    let n = (len as usize).min(e.settings_buf.len());
    match core::str::from_utf8(&e.settings_buf[..n]).ok().and_then(|s| Settings::from_json(s).ok())
    {
        Some(s) if s.limiter.lookahead_ms == e.master.settings().limiter.lookahead_ms => {
            e.master.set_settings(&s);
            0
        }
        Some(s) => {
            // A new lookahead is a new latency: the chain is prepared again
            // and the dry path follows it. The monitor starts afresh (the
            // host sets it again), and the chain's memory is cleared.
            let mut master = Master::new(s);
            master.prepare(e.sample_rate as f64, e.max_block);
            e.monitor = Monitor::new(e.sample_rate, master.latency_samples());
            e.master = master;
            0
        }
        None => -1,
    }
}

/// Clears the chain's state (on seek or stop), the dry path and the platform
/// limiter, with the momentary and short-term loudness and the true-peak
/// detectors. The integrated loudness
/// (see `lq_reset_integrated`) and the spectrum keep running.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_reset(e: *mut Engine) {
    let e = &mut *e;
    e.master.reset();
    e.live.iter_mut().for_each(LiveMeter::reset);
    e.true_peak.iter_mut().for_each(TruePeak::reset);
    e.monitor.reset();
}

/// Restarts the integrated loudness (when play starts): the slot reads −∞
/// until 400 ms have been metered again. No allocation.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_reset_integrated(e: *mut Engine) {
    let e = &mut *e;
    e.integrated.iter_mut().for_each(LiveIntegrated::reset);
    e.meters[Meter::IntegratedLufs as usize] = f32::NEG_INFINITY;
}

/// Sets the source's channel count for the loudness meter (1: mono, 2 or
/// more: stereo; 0 switches the loudness meter off, for a host that does not
/// show it) and restarts the meter if it changes. No allocation.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_set_meter_channels(e: *mut Engine, channels: u32) {
    let e = &mut *e;
    let c = (channels as usize).min(2);
    if c != e.live_channels {
        e.live_channels = c;
        if let Some(i) = c.checked_sub(1) {
            e.live[i].reset();
            e.integrated[i].reset();
        }
        e.true_peak.iter_mut().for_each(TruePeak::reset);
    }
}

/// Computes the momentary, short-term and integrated loudness into the
/// meter array. No allocation; sums a 3 s window, so call it at the meter
/// rate, not per quantum.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_update_loudness(e: *mut Engine) {
    let e = &mut *e;
    let f = |v: Option<f64>| v.map_or(f32::NEG_INFINITY, |x| x as f32);
    let (m, s, i) = match e.live_channels.checked_sub(1) {
        Some(c) => (e.live[c].momentary_lufs(), e.live[c].short_term_lufs(), e.integrated[c].integrated_lufs()),
        None => (None, None, None),
    };
    e.meters[Meter::MomentaryLufs as usize] = f(m);
    e.meters[Meter::ShortTermLufs as usize] = f(s);
    e.meters[Meter::IntegratedLufs as usize] = f(i);
}

/// Analyses the newest audio and recomputes the spectrum display behind
/// `lq_spectrum_ptr`. No allocation; two transforms of 8192 samples at
/// 44.1 and 48 kHz, so call it at the display rate (about 30 Hz).
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_spectrum_update(e: *mut Engine) {
    (*e).spectrum.update();
}

/// Pointer to the spectrum display: `4 × lq_spectrum_points` f32, dB,
/// `[input, output, input peak, output peak]`, each `points` long.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_spectrum_ptr(e: *mut Engine) -> *const f32 {
    (*e).spectrum.values().as_ptr()
}

/// Points on the spectrum grid (480).
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_spectrum_points(e: *mut Engine) -> u32 {
    (*e).spectrum.points() as u32
}

/// Pointer to the spectrum grid's frequencies: `lq_spectrum_points` f32, Hz,
/// from 20 Hz to 20 kHz, log-spaced.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_spectrum_freqs_ptr(e: *mut Engine) -> *const f32 {
    (*e).spectrum.freqs_hz().as_ptr()
}

/// Sets the spectrum's display slope, in tenths of a dB per octave (0, 30 or
/// 45), and smoothing, as the n of 1/n octave (3, 6 or 12). Returns 0, or
/// −1 if either is refused (then nothing changes). No allocation.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_spectrum_set(e: *mut Engine, slope_x10: u32, smoothing: u32) -> i32 {
    let s = &mut (*e).spectrum;
    if !matches!(slope_x10, 0 | 30 | 45) || !matches!(smoothing, 3 | 6 | 12) {
        return -1;
    }
    let ok = s.set_slope_db_per_oct(slope_x10 as f32 / 10.0) && s.set_smoothing_octave_fraction(smoothing);
    if ok {
        0
    } else {
        -1
    }
}

/// Clears the spectrum's peak-hold lines. No allocation.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_spectrum_reset_peaks(e: *mut Engine) {
    (*e).spectrum.reset_peaks();
}

/// Pointer to the meter array (`LQ_METERS` f32).
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_meters_ptr(e: *mut Engine) -> *const f32 {
    (*e).meters.as_ptr()
}

/// The engine's latency, frames: the chain's latency plus the platform
/// limiter's lookahead (a fixed delay, on or off). The output, master or
/// dry, is the input this many frames late.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_latency(e: *mut Engine) -> u32 {
    ((*e).master.latency_samples() + (*e).monitor.latency()) as u32
}

#[cfg(test)]
#[path = "worklet_tests.rs"]
mod tests;

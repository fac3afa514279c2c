//! The AudioWorklet's engine: the chain, a latency-aligned dry path for A/B,
//! and the live meters.
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
//!    `lq_settings_buf(engine, len)` and calls `lq_apply_settings(engine, len)`.
//! 4. Meter readings are read from `lq_meters_ptr(engine)`, `LQ_METERS` f32 values,
//!    laid out as in [`Meter`]. The chain's output is also metered for
//!    loudness (BS.1770 momentary and short-term) every quantum; the readings
//!    are computed into the array by `lq_update_loudness`, which the worklet
//!    calls only when it sends meters (each reading sums a 3 s window).
//! 5. `lq_set_meter_channels(engine, 1 | 2)` tells the loudness meter whether the
//!    source is mono (one channel at weight 1, as BS.1770 measures mono) or
//!    stereo. Both meters are preallocated; switching allocates nothing.
//! 6. The input, delayed by exactly the chain's latency, is the dry path.
//!    `lq_set_monitor(engine, 0 | 1)` chooses what the output carries: the
//!    master (0) or the dry input (1), crossfading over [`MONITOR_FADE_S`].
//!    Once the fade is over the dry output is the input, delayed, bit for bit.

use crate::chain::util::max2_f32;
use crate::chain::Master;
use crate::loudness::meter::LiveMeter;
use crate::settings::Settings;

/// Meter slots in the array behind `lq_meters_ptr`.
#[repr(usize)]
#[derive(Clone, Copy)]
pub enum Meter {
    /// Output peak of the last quantum, left, linear.
    PeakL = 0,
    /// Output peak of the last quantum, right, linear.
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
    /// Momentary loudness (400 ms) of the output, LUFS; −∞ for silence.
    MomentaryLufs = 7,
    /// Short-term loudness (3 s) of the output, LUFS; −∞ for silence.
    ShortTermLufs = 8,
}

/// Number of meter slots.
pub const LQ_METERS: usize = 9;

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
    /// The dry path: the last `latency` input frames, left and right.
    dry_delay: [Vec<f32>; 2],
    /// Next slot of `dry_delay` to read and overwrite.
    dry_pos: usize,
    /// Monitor mix now: 0 = the master, 1 = the dry input.
    monitor_mix: f32,
    /// Monitor mix being faded to, 0 or 1.
    monitor_target: f32,
    /// Change of `monitor_mix` per frame while fading.
    monitor_step: f32,
}

/// Length of the crossfade between the master and the dry path, s.
pub const MONITOR_FADE_S: f32 = 0.010;

/// Creates an engine. Returns null for a sample rate outside 8–192 kHz.
#[no_mangle]
pub extern "C" fn lq_create(sample_rate: f32, max_block: u32) -> *mut Engine {
    if !(8_000.0..=192_000.0).contains(&sample_rate) || max_block == 0 {
        return core::ptr::null_mut();
    }
    let max_block = max_block as usize;
    let mut master = Master::new(Settings::default());
    master.prepare(sample_rate as f64, max_block);
    let (Ok(mono), Ok(stereo)) = (LiveMeter::new(1, sample_rate as u32), LiveMeter::new(2, sample_rate as u32)) else {
        return core::ptr::null_mut();
    };
    let latency = master.latency_samples();
    Box::into_raw(Box::new(Engine {
        master,
        max_block,
        input: [vec![0.0; max_block], vec![0.0; max_block]],
        output: [vec![0.0; max_block], vec![0.0; max_block]],
        settings_buf: Vec::new(),
        meters: [0.0; LQ_METERS],
        frames: 0,
        live: [mono, stereo],
        live_channels: 2,
        dry_delay: [vec![0.0; latency], vec![0.0; latency]],
        dry_pos: 0,
        monitor_mix: 0.0,
        monitor_target: 0.0,
        monitor_step: 1.0 / (MONITOR_FADE_S * sample_rate).max(1.0),
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
    if let Some(m) = e.live_channels.checked_sub(1).and_then(|i| e.live.get_mut(i)) {
        m.process(&l[..n], &r[..n]);
    }
    e.dry_and_monitor(n);
    let m = e.master.meters();
    e.frames += n as u64;
    e.meters[Meter::PeakL as usize] = m.out_peak[0];
    e.meters[Meter::PeakR as usize] = m.out_peak[1];
    e.meters[Meter::CompGrDb as usize] = m.comp_gr_db;
    e.meters[Meter::LimiterGrDb as usize] = m.limiter_gr_db;
    e.meters[Meter::Correlation as usize] = m.correlation;
    e.meters[Meter::Frames as usize] = e.frames as f32;
    e.meters[Meter::InPeak as usize] = in_peak;
}

impl Engine {
    /// Runs the dry path over the quantum's `n` input frames (after the
    /// chain has written its output) and mixes the output the monitor asks
    /// for. The input buffers become the delayed dry signal.
    fn dry_and_monitor(&mut self, n: usize) {
        let lat = self.dry_delay[0].len();
        if lat > 0 {
            for (input, delay) in self.input.iter_mut().zip(self.dry_delay.iter_mut()) {
                let mut pos = self.dry_pos;
                for x in &mut input[..n] {
                    let d = delay[pos];
                    delay[pos] = *x;
                    *x = d;
                    pos += 1;
                    if pos == lat {
                        pos = 0;
                    }
                }
            }
            self.dry_pos = (self.dry_pos + n) % lat;
        }
        if self.monitor_mix == 0.0 && self.monitor_target == 0.0 {
            return;
        }
        let [dl, dr] = &self.input;
        let [ol, or] = &mut self.output;
        if self.monitor_mix == 1.0 && self.monitor_target == 1.0 {
            ol[..n].copy_from_slice(&dl[..n]);
            or[..n].copy_from_slice(&dr[..n]);
            return;
        }
        let step = if self.monitor_target > self.monitor_mix { self.monitor_step } else { -self.monitor_step };
        let mut mix = self.monitor_mix;
        for i in 0..n {
            mix = (mix + step).clamp(0.0, 1.0);
            ol[i] = ol[i] * (1.0 - mix) + dl[i] * mix;
            or[i] = or[i] * (1.0 - mix) + dr[i] * mix;
        }
        self.monitor_mix = mix;
    }
}

/// Chooses what the output carries: 0, the master; 1, the dry input delayed
/// by the chain's latency. The change crossfades over [`MONITOR_FADE_S`].
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_set_monitor(e: *mut Engine, dry: u32) {
    (*e).monitor_target = if dry != 0 { 1.0 } else { 0.0 };
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
/// the JSON is invalid (the previous settings stay).
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_apply_settings(e: *mut Engine, len: u32) -> i32 {
    let e = &mut *e;
    let n = (len as usize).min(e.settings_buf.len());
    match core::str::from_utf8(&e.settings_buf[..n]).ok().and_then(|s| Settings::from_json(s).ok())
    {
        Some(s) => {
            e.master.set_settings(&s);
            0
        }
        None => -1,
    }
}

/// Clears the chain's state (on seek or stop).
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_reset(e: *mut Engine) {
    let e = &mut *e;
    e.master.reset();
    e.live.iter_mut().for_each(LiveMeter::reset);
    e.dry_delay.iter_mut().for_each(|d| d.fill(0.0));
    e.dry_pos = 0;
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
        if let Some(m) = c.checked_sub(1).and_then(|i| e.live.get_mut(i)) {
            m.reset();
        }
    }
}

/// Computes the momentary and short-term loudness into the meter array. No
/// allocation; sums a 3 s window, so call it at the meter rate, not per quantum.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_update_loudness(e: *mut Engine) {
    let e = &mut *e;
    let f = |v: Option<f64>| v.map_or(f32::NEG_INFINITY, |x| x as f32);
    let (m, s) = match e.live_channels.checked_sub(1).and_then(|i| e.live.get(i)) {
        Some(m) => (m.momentary_lufs(), m.short_term_lufs()),
        None => (None, None),
    };
    e.meters[Meter::MomentaryLufs as usize] = f(m);
    e.meters[Meter::ShortTermLufs as usize] = f(s);
}

/// Pointer to the meter array (`LQ_METERS` f32).
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_meters_ptr(e: *mut Engine) -> *const f32 {
    (*e).meters.as_ptr()
}

/// The chain's latency, frames.
///
/// # Safety
/// `e` must be a live engine.
#[no_mangle]
pub unsafe extern "C" fn lq_latency(e: *mut Engine) -> u32 {
    (*e).master.latency_samples() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives an engine like the worklet does: 128-frame quanta of a 997 Hz
    /// sine at `dbfs` in every channel of the source.
    fn run(channels: u32, dbfs: f64, secs: f64) -> (f32, f32) {
        let sr = 48_000.0;
        let e = lq_create(sr, 128);
        assert!(!e.is_null());
        let amp = libm::pow(10.0, dbfs / 20.0);
        let n = (secs * sr as f64) as usize;
        unsafe {
            lq_set_meter_channels(e, channels);
            let (l, r) = (lq_input_ptr(e, 0), lq_input_ptr(e, 1));
            for q in 0..n / 128 {
                for i in 0..128 {
                    let t = (q * 128 + i) as f64 / sr as f64;
                    let v = (amp * libm::sin(2.0 * core::f64::consts::PI * 997.0 * t)) as f32;
                    *l.add(i) = v;
                    *r.add(i) = v;
                }
                lq_process(e, 128);
            }
            let read = |slot: Meter| *lq_meters_ptr(e).add(slot as usize);
            lq_update_loudness(e);
            let out = (read(Meter::MomentaryLufs), read(Meter::ShortTermLufs));
            lq_reset(e);
            lq_update_loudness(e);
            assert_eq!(read(Meter::MomentaryLufs), f32::NEG_INFINITY);
            lq_destroy(e);
            out
        }
    }

    #[test]
    fn dry_path_is_the_input_delayed_by_the_latency_bit_for_bit() {
        let sr = 48_000.0;
        let e = lq_create(sr, 128);
        let x: Vec<f32> = crate::test_signals::noise(128 * 200, 0.5, 5);
        let mut outs = Vec::new();
        unsafe {
            let lat = lq_latency(e) as usize;
            assert!(lat > 0);
            lq_set_monitor(e, 1);
            for q in 0..200 {
                let (l, r) = (lq_input_ptr(e, 0), lq_input_ptr(e, 1));
                for i in 0..128 {
                    *l.add(i) = x[q * 128 + i];
                    *r.add(i) = -x[q * 128 + i];
                }
                lq_process(e, 128);
                for i in 0..128 {
                    outs.push((*lq_output_ptr(e, 0).add(i), *lq_output_ptr(e, 1).add(i)));
                }
            }
            // After the fade (10 ms), exactly the input, `lat` frames late.
            let fade = (0.010 * sr) as usize + 1;
            for (k, &(l, r)) in outs.iter().enumerate().skip(fade.max(lat)) {
                assert_eq!((l, r), (x[k - lat], -x[k - lat]), "frame {k}");
            }
            // Back to the master: it crossfades without a step larger than the signal's own.
            lq_set_monitor(e, 0);
            let (l, r) = (lq_input_ptr(e, 0), lq_input_ptr(e, 1));
            for i in 0..128 {
                *l.add(i) = x[i];
                *r.add(i) = -x[i];
            }
            lq_process(e, 128);
            lq_destroy(e);
        }
    }

    #[test]
    fn live_loudness_of_the_output_stereo_and_mono() {
        // A −20 dBFS sine passes the default chain unchanged (below the
        // compressor's threshold and the limiter's ceiling): −20 LUFS in both
        // channels of stereo (EBU Tech 3341 case 1), −23 LUFS as mono.
        let (m, s) = run(2, -20.0, 4.0);
        assert!((m + 20.0).abs() < 0.1 && (s + 20.0).abs() < 0.1, "{m} {s}");
        let (m, s) = run(1, -20.0, 4.0);
        assert!((m + 23.01).abs() < 0.1 && (s + 23.01).abs() < 0.1, "{m} {s}");
        // Switched off, the meter reads nothing.
        let (m, s) = run(0, -20.0, 4.0);
        assert_eq!((m, s), (f32::NEG_INFINITY, f32::NEG_INFINITY));
    }
}

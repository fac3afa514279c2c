//! The mastering chain. [`Master`] composes the processors in mastering order:
//!
//! input gain → DC removal → [`eq`] → [`compressor`] → [`stereo`] →
//! [`limiter`] (true peak) → amount (latency-aligned dry/wet) → output gain →
//! dither ([`output`]).
//!
//! Lifecycle: `prepare(sample_rate, max_block)` may allocate; `reset()`,
//! `set_settings()` and `process(..)` never allocate, lock or panic.
//!
//! Block-size invariance: parameters are re-evaluated at absolute sample
//! positions that are multiples of [`util::CONTROL_PERIOD`], and every gain is
//! ramped per sample between those points. The output therefore does not depend
//! on how the host splits the stream into blocks. All internal processing is in
//! f64; transcendental functions come from `libm` (or are pure arithmetic), so the
//! native and wasm builds give identical bits.
//!
//! At `amount_pct` below 100 the dry part is not limited: the true-peak ceiling
//! is guaranteed at 100 %.

pub mod biquad;
pub mod compressor;
pub mod crossover;
pub mod eq;
pub mod lanes;
pub mod limiter;
pub mod output;
pub mod platform_limiter;
pub mod stereo;
pub mod util;

use crate::settings::Settings;
use compressor::Compressor;
use eq::Eq;
use limiter::Limiter;
use output::{DcBlocker, Output};
use stereo::Stereo;
use util::{db_to_lin, max2_f32, one_pole_coef, sanitize, Smoothed, CONTROL_PERIOD, SMOOTH_MS};

/// Readings for the meters, refreshed by every `process` call.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChainMeters {
    /// Largest sample magnitude of the output in the last call, linear (L, R).
    pub out_peak: [f32; 2],
    /// Compressor gain reduction, dB (≥ 0).
    pub comp_gr_db: f32,
    /// Limiter gain reduction, dB (≥ 0).
    pub limiter_gr_db: f32,
    /// Stereo correlation of the output, −1..1.
    pub correlation: f32,
}

/// The whole chain for one stereo stream.
pub struct Master {
    /// Current settings (targets; the modules smooth towards them).
    settings: Settings,
    /// Sample rate, Hz.
    sample_rate: f64,
    /// Largest block `process` is prepared for, frames (longer calls are split).
    max_block: usize,
    /// Absolute position, frames since prepare/reset.
    pos: u64,
    /// Control smoothing coefficient.
    coef: f64,
    /// Input gain, linear, smoothed.
    input_gain: Smoothed,
    /// Amount (wet fraction 0..1), smoothed.
    amount: Smoothed,
    /// DC blockers, left and right.
    dc: [DcBlocker; 2],
    /// Whether DC removal is on.
    dc_on: bool,
    /// EQ.
    eq: Eq,
    /// Compressor.
    comp: Compressor,
    /// Stereo stage.
    stereo: Stereo,
    /// True-peak limiter.
    limiter: Limiter,
    /// Output gain and dither.
    output: Output,
    /// Dry delay line (latency-aligned for `amount`), left and right.
    dry: [Vec<f64>; 2],
    /// Dry delay write position.
    dry_pos: usize,
    /// Meter readings.
    meters: ChainMeters,
    /// Whether the output stage (gain, dither) runs; see [`Master::set_output_stage`].
    output_stage: bool,
}

impl Master {
    /// A chain with these settings; call [`Master::prepare`] before processing.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            sample_rate: 48_000.0,
            max_block: 0,
            pos: 0,
            coef: 1.0,
            input_gain: Smoothed::default(),
            amount: Smoothed::default(),
            dc: [DcBlocker::default(); 2],
            dc_on: true,
            eq: Eq::new(),
            comp: Compressor::new(),
            stereo: Stereo::new(),
            limiter: Limiter::new(),
            output: Output::new(),
            dry: [Vec::new(), Vec::new()],
            dry_pos: 0,
            meters: ChainMeters::default(),
            output_stage: true,
        }
    }

    /// Allocates and computes everything for `sample_rate` (8–192 kHz) and blocks of
    /// up to `max_block` frames, snapping every parameter to the current settings.
    pub fn prepare(&mut self, sample_rate: f64, max_block: usize) {
        let fs = sample_rate.clamp(8_000.0, 192_000.0);
        self.sample_rate = fs;
        self.max_block = max_block.max(1);
        self.coef = one_pole_coef(SMOOTH_MS, fs / CONTROL_PERIOD as f64);
        let s = self.settings;
        for d in &mut self.dc {
            d.prepare(fs);
        }
        self.eq.prepare(fs, &s.eq);
        self.comp.prepare(fs, &s.compressor);
        self.stereo.prepare(fs, &s.stereo);
        self.limiter.prepare(fs, &s.limiter);
        self.output.prepare(fs, &s.output);
        let lat = self.limiter.latency();
        self.dry = [vec![0.0; lat + 1], vec![0.0; lat + 1]];
        self.snap();
        self.reset();
    }

    fn snap(&mut self) {
        let s = self.settings;
        self.input_gain.snap(db_to_lin((s.input_gain_db as f64).clamp(-60.0, 60.0)));
        self.amount.snap((s.amount_pct as f64).clamp(0.0, 100.0) / 100.0);
        self.dc_on = s.output.dc_remove;
    }

    /// Clears all state, as if silence had been playing forever with the current
    /// settings: smoothed parameters jump to their targets. No allocation.
    pub fn reset(&mut self) {
        self.pos = 0;
        let s = self.settings;
        self.snap();
        self.eq.snap(&s.eq);
        self.comp.snap(&s.compressor);
        self.stereo.snap(&s.stereo);
        self.limiter.snap(&s.limiter);
        self.output.snap(&s.output);
        for d in &mut self.dc {
            d.reset();
        }
        self.eq.reset();
        self.comp.reset();
        self.stereo.reset();
        self.limiter.reset();
        self.output.reset();
        for d in &mut self.dry {
            d.iter_mut().for_each(|v| *v = 0.0);
        }
        self.dry_pos = 0;
        self.meters = ChainMeters::default();
    }

    /// Replaces the settings; changes are smoothed, so this never clicks. The
    /// limiter's lookahead takes effect at the next `prepare` (it sets the
    /// latency). No allocation.
    pub fn set_settings(&mut self, settings: &Settings) {
        self.settings = *settings;
    }

    /// Turns the output stage (output gain and dither) on (the default) or off.
    /// Off, `process` emits exactly what the output stage would receive; the
    /// master-to-target search renders its passes this way, then runs
    /// [`output::Output`] once over the chosen pass with the gain trim it
    /// found ([`crate::render::OutputRender`]), which gives the same samples as
    /// a full render with that output gain. No allocation.
    pub fn set_output_stage(&mut self, on: bool) {
        self.output_stage = on;
    }

    /// Current settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Latency of the chain, frames.
    pub fn latency_samples(&self) -> usize {
        self.limiter.latency()
    }

    /// Control-rate update of every module.
    fn control(&mut self) {
        self.control_front();
        self.control_back();
    }

    /// Control-rate update of the front half (see [`Master::process_front`]),
    /// and of `amount`, which both halves read.
    fn control_front(&mut self) {
        let s = self.settings;
        self.input_gain.tick(db_to_lin((s.input_gain_db as f64).clamp(-60.0, 60.0)), self.coef);
        self.amount.tick((s.amount_pct as f64).clamp(0.0, 100.0) / 100.0, self.coef);
        self.dc_on = s.output.dc_remove;
        self.eq.control(&s.eq);
        self.comp.control(&s.compressor);
        self.stereo.control(&s.stereo);
    }

    /// Control-rate update of the back half (see [`Master::process_back`]).
    fn control_back(&mut self) {
        let s = self.settings;
        self.limiter.control(&s.limiter);
        self.output.control(&s.output);
    }

    /// Whether the dry path is left out: `amount` at 100 % and settled.
    fn wet_only(&self) -> bool {
        self.amount.settled() && self.amount.to == 1.0
    }

    /// Processes a stereo block in place. `left` and `right` have the same length,
    /// which may be anything. NaN and ±Inf input samples are replaced with 0.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let mut peak = [0.0f32; 2];
        self.segments(n, |m, i, e, phase| {
            if phase == 0 {
                m.control();
            }
            m.segment(&mut left[i..e], &mut right[i..e], phase, &mut peak);
        });
        self.meters = ChainMeters {
            out_peak: peak,
            comp_gr_db: self.comp.gain_reduction_db() as f32,
            limiter_gr_db: self.limiter.gain_reduction_db() as f32,
            correlation: self.stereo.correlation() as f32,
        };
    }

    /// The front half of the chain over a block, for hosts that run the two
    /// halves on two threads: input gain, DC removal, the dry path, EQ,
    /// compressor and stereo, from `left`/`right` into `l`/`r` (and the
    /// latency-aligned dry signal into `dry_l`/`dry_r`, which is only
    /// meaningful below 100 % amount), all the same length. One `Master`
    /// runs only the front over the stream and another, prepared with the
    /// same settings, only [`Master::process_back`] over what it gives: the
    /// result is exactly what one `Master` running `process` gives. The
    /// settings must not change in between; meters read from the back are
    /// the limiter's only. No allocation.
    #[allow(clippy::too_many_arguments)]
    pub fn process_front(
        &mut self,
        left: &[f32],
        right: &[f32],
        l: &mut [f64],
        r: &mut [f64],
        dry_l: &mut [f64],
        dry_r: &mut [f64],
    ) {
        let n = left.len();
        assert!(right.len() == n && l.len() == n && r.len() == n && dry_l.len() == n && dry_r.len() == n);
        self.segments(n, |m, i, e, phase| {
            if phase == 0 {
                m.control_front();
            }
            let wet_only = m.wet_only();
            m.front(&left[i..e], &right[i..e], &mut l[i..e], &mut r[i..e], &mut dry_l[i..e], &mut dry_r[i..e], phase, wet_only);
        });
    }

    /// The back half of the chain over a block (see [`Master::process_front`]):
    /// limiter, amount, and the output stage if on, from `l`/`r` (and the dry
    /// signal) into `left`/`right`. No allocation.
    pub fn process_back(&mut self, l: &mut [f64], r: &mut [f64], dry_l: &[f64], dry_r: &[f64], left: &mut [f32], right: &mut [f32]) {
        let n = left.len();
        assert!(right.len() == n && l.len() == n && r.len() == n && dry_l.len() == n && dry_r.len() == n);
        let mut peak = [0.0f32; 2];
        self.segments(n, |m, i, e, phase| {
            if phase == 0 {
                // `amount` is ticked with the front half's modules (both read it).
                m.amount.tick((m.settings.amount_pct as f64).clamp(0.0, 100.0) / 100.0, m.coef);
                m.control_back();
            }
            let wet_only = m.wet_only();
            m.back(&mut l[i..e], &mut r[i..e], &dry_l[i..e], &dry_r[i..e], &mut left[i..e], &mut right[i..e], phase, wet_only, &mut peak);
        });
        self.meters = ChainMeters {
            out_peak: peak,
            limiter_gr_db: self.limiter.gain_reduction_db() as f32,
            ..ChainMeters::default()
        };
    }

    /// Splits the next `n` frames into segments that never cross a control
    /// period and calls `seg(self, start, end, phase)` for each in order,
    /// advancing the stream position past it.
    #[inline(always)]
    fn segments(&mut self, n: usize, mut seg: impl FnMut(&mut Self, usize, usize, usize)) {
        let mut i = 0;
        while i < n {
            let phase = (self.pos % CONTROL_PERIOD as u64) as usize;
            let e = i + (CONTROL_PERIOD - phase).min(n - i);
            seg(self, i, e, phase);
            self.pos += (e - i) as u64;
            i = e;
        }
    }

    /// One segment within a control period.
    fn segment(&mut self, left: &mut [f32], right: &mut [f32], phase: usize, peak: &mut [f32; 2]) {
        let n = left.len();
        let mut l = [0.0f64; CONTROL_PERIOD];
        let mut r = [0.0f64; CONTROL_PERIOD];
        let mut dry_l = [0.0f64; CONTROL_PERIOD];
        let mut dry_r = [0.0f64; CONTROL_PERIOD];
        // The dry path is read only while `amount` is below 100 % (it is always
        // written, so it is ready when the amount moves).
        let wet_only = self.wet_only();
        let (l, r, dry_l, dry_r) = (&mut l[..n], &mut r[..n], &mut dry_l[..n], &mut dry_r[..n]);
        self.front(left, right, l, r, dry_l, dry_r, phase, wet_only);
        self.back(l, r, dry_l, dry_r, left, right, phase, wet_only, peak);
    }

    /// The front half of one segment: input conditioning, dry path, EQ,
    /// compressor, stereo.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn front(
        &mut self,
        left: &[f32],
        right: &[f32],
        l: &mut [f64],
        r: &mut [f64],
        dry_l: &mut [f64],
        dry_r: &mut [f64],
        phase: usize,
        wet_only: bool,
    ) {
        let n = left.len();
        // Re-sliced to `n` so the loop below needs no bounds checks.
        let (right, l, r, dry_l, dry_r) = (&right[..n], &mut l[..n], &mut r[..n], &mut dry_l[..n], &mut dry_r[..n]);
        let ring = self.dry[0].len();
        let mut p = self.dry_pos;
        // Local copies: the DC blockers' feedback stays in registers.
        let [mut dc_l, mut dc_r] = self.dc;
        let dc_on = self.dc_on;
        let gain = self.input_gain;
        let [dry0, dry1] = &mut self.dry;
        for k in 0..n {
            let (a, b) = (sanitize(left[k]) as f64, sanitize(right[k]) as f64);
            // Dry path, delayed by the chain's latency.
            if !wet_only {
                dry_l[k] = dry0[p];
                dry_r[k] = dry1[p];
            }
            dry0[p] = a;
            dry1[p] = b;
            p = if p + 1 == ring { 0 } else { p + 1 };
            // A settled gain is its target (the ramp adds exactly zero).
            let g = if gain.settled() { gain.to } else { gain.at(phase + k) };
            let (mut a, mut b) = (a * g, b * g);
            if dc_on {
                a = dc_l.tick(a);
                b = dc_r.tick(b);
            }
            l[k] = a;
            r[k] = b;
        }
        self.dry_pos = p;
        dc_l.flush();
        dc_r.flush();
        self.dc = [dc_l, dc_r];
        self.eq.process(l, r, phase);
        self.comp.process(l, r, phase);
        self.stereo.process(l, r, phase);
    }

    /// The back half of one segment: limiter, amount, output stage; writes
    /// `left`/`right` and their peaks.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn back(
        &mut self,
        l: &mut [f64],
        r: &mut [f64],
        dry_l: &[f64],
        dry_r: &[f64],
        left: &mut [f32],
        right: &mut [f32],
        phase: usize,
        wet_only: bool,
        peak: &mut [f32; 2],
    ) {
        let n = l.len();
        // Re-sliced to `n` so the loops below need no bounds checks.
        let (r, dry_l, dry_r, left, right) = (&mut r[..n], &dry_l[..n], &dry_r[..n], &mut left[..n], &mut right[..n]);
        self.limiter.process(l, r, phase);
        if !wet_only {
            for k in 0..n {
                let w = self.amount.at(phase + k);
                l[k] = dry_l[k] + (l[k] - dry_l[k]) * w;
                r[k] = dry_r[k] + (r[k] - dry_r[k]) * w;
            }
        }
        // The output stage takes f32 values (the precision of a rendered
        // stream), so running it later over a render made without it is exact.
        for k in 0..n {
            l[k] = l[k] as f32 as f64;
            r[k] = r[k] as f32 as f64;
        }
        if self.output_stage {
            self.output.process(l, r, phase);
        }
        for k in 0..n {
            left[k] = l[k] as f32;
            right[k] = r[k] as f32;
            let (a, b) = (left[k].abs(), right[k].abs());
            peak[0] = max2_f32(a, peak[0]);
            peak[1] = max2_f32(b, peak[1]);
        }
    }

    /// Meter readings from the last `process` call.
    pub fn meters(&self) -> ChainMeters {
        self.meters
    }

    /// True when no filter or envelope state holds a subnormal number.
    pub fn state_is_clean(&self) -> bool {
        self.dc.iter().all(DcBlocker::is_clean)
            && self.eq.state_is_clean()
            && self.comp.state_is_clean()
            && self.stereo.state_is_clean()
            && self.limiter.state_is_clean()
    }
}

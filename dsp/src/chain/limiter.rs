//! Stereo-linked lookahead true-peak limiter.
//!
//! **Band limit.** The input first goes through a 6th-order Butterworth low-pass
//! at 0.45·fs (19.8 kHz at 44.1 kHz; within 0.1 dB of flat up to 0.43·fs). Content in
//! the last few hundred hertz below Nyquist is what makes reconstructed peaks hard
//! to predict with a short interpolator (full-band noise reads up to 2 dB above a
//! 12-tap estimate); without it, the ceiling could not be held to 0.05 dB.
//!
//! **Detection.** Every interval between two samples is reconstructed at 4× with
//! a 32-tap-per-phase Kaiser-windowed-sinc interpolator (the polyphase structure
//! ITU-R BS.1770-5 Annex 2 describes for true-peak metering, with longer phases),
//! and the largest magnitude is refined by a parabola through its neighbours. A
//! 0.1 dB margin covers the residual under-read. Both channels are linked: one
//! gain for the pair.
//!
//! **Gain.** The required gain `min(1, ceiling / peak)` goes through a sliding
//! minimum over the lookahead window, a program-dependent release (slower when
//! gain reduction has been sustained, fast after isolated transients), and a
//! moving average over the lookahead window. Because every value averaged for an
//! output sample is at most the gain that sample needs, the ceiling holds by
//! construction; the average makes the attack a smooth ramp.
//!
//! **Latency.** `lookahead + 16` frames (the interpolator looks 16 samples ahead),
//! plus the band-limit filter's low-frequency group delay rounded to whole frames
//! (2 frames), so offline renders line up with the input.
//! The lookahead is fixed when the limiter is prepared, because it sets the
//! latency; every other parameter is smoothed.

use super::biquad::{Coefs, PairCoefs, PairState};
use super::lanes::{F32x4, F64x2};
use super::util::{db_to_lin, flush, max2, min2, one_pole_coef, Smoothed, CONTROL_PERIOD, SMOOTH_MS};
use crate::settings::LimiterSettings;

/// Interpolator taps per phase.
const TAPS: usize = 32;
/// Samples the interpolator reads ahead of the interval it reconstructs.
const FIR_AHEAD: usize = TAPS / 2;
/// Oversampling factor of detection.
const OVERSAMPLE: usize = 4;
/// Longest lookahead supported, ms.
pub const MAX_LOOKAHEAD_MS: f64 = 20.0;
/// Headroom kept under the ceiling for the detector's residual error, dB.
const DETECTION_MARGIN_DB: f64 = 0.1;
/// Band limit of the limiter's input, as a fraction of the sample rate.
const BAND_LIMIT: f64 = 0.45;
/// Butterworth Q values of the three sections of a 6th-order low-pass.
const BUTTER6_Q: [f64; 3] = [0.517_638_090_205_041_5, core::f64::consts::FRAC_1_SQRT_2, 1.931_851_652_578_136_6];
/// Band-limit sections.
const BAND_SECTIONS: usize = 3;
/// Kaiser window β of the interpolator.
const KAISER_BETA: f64 = 8.0;
/// Time constant of the sustained-gain-reduction tracker, ms.
const SUSTAIN_MS: f64 = 1000.0;
/// Sustained gain reduction at which release reaches its slowest, dB.
const SUSTAIN_FULL_DB: f64 = 6.0;
/// Slowest release as a multiple of the base release.
const SUSTAIN_RELEASE_FACTOR: f64 = 2.5;

/// Zeroth-order modified Bessel function of the first kind (series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..64 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < 1e-17 * sum {
            break;
        }
    }
    sum
}

/// Interpolator coefficients: `h[p][k]` weights `x[n - 5 + k]` for the point at
/// `n + p / OVERSAMPLE` (p = 1..3; row 0 is unused).
fn design_interpolator() -> [[f32; TAPS]; OVERSAMPLE] {
    let mut h = [[0.0f64; TAPS]; OVERSAMPLE];
    let half = TAPS as f64 / 2.0;
    let i0b = bessel_i0(KAISER_BETA);
    for (p, row) in h.iter_mut().enumerate().skip(1) {
        let d = p as f64 / OVERSAMPLE as f64;
        let mut sum = 0.0;
        for (k, c) in row.iter_mut().enumerate() {
            // Distance from the interpolated point to tap k's sample.
            let t = d - (k as f64 - (FIR_AHEAD as f64 - 1.0));
            let sinc = if t == 0.0 {
                1.0
            } else {
                libm::sin(core::f64::consts::PI * t) / (core::f64::consts::PI * t)
            };
            let u = t / half;
            let w = if u.abs() < 1.0 { bessel_i0(KAISER_BETA * libm::sqrt(1.0 - u * u)) / i0b } else { 0.0 };
            *c = sinc * w;
            sum += *c;
        }
        // Unity gain at DC.
        for c in row.iter_mut() {
            *c /= sum;
        }
    }
    h.map(|row| row.map(|c| c as f32))
}

/// Refined peak magnitude of point `b` given its neighbours (parabolic fit on the
/// signed values, oriented so the extremum is a maximum).
#[inline(always)]
fn refine(a: f64, b: f64, c: f64) -> f64 {
    let (a, b, c) = if b < 0.0 { (-a, -b, -c) } else { (a, b, c) };
    if b >= a && b >= c {
        let den = a - 2.0 * b + c;
        if den < 0.0 {
            return b - (a - c) * (a - c) / (8.0 * den);
        }
    }
    b
}

/// Peak (both channels) of the interval between the window's samples
/// `FIR_AHEAD − 1` and `FIR_AHEAD` (the window is the last `TAPS` frames of the
/// detector history), reconstructed at 4× and refined by a parabola.
/// `prev_q3` holds each channel's point at n − 1/4 of the previous interval and
/// is updated.
#[inline(always)]
fn interval_peak(h: &[[f32; TAPS]; OVERSAMPLE], win: [&[f32]; 2], prev_q3: &mut [f64; 2], ceiling: f64) -> f64 {
    let mut peak = 0.0f64;
    for (ch, w) in win.into_iter().enumerate() {
        let w: &[f32; TAPS] = w.try_into().expect("window");
        let x0 = w[FIR_AHEAD - 1] as f64;
        let x1 = w[FIR_AHEAD] as f64;
        let mut q = [0.0f64; OVERSAMPLE - 1];
        for (p, out) in q.iter_mut().enumerate() {
            let h = &h[p + 1];
            // Eight interleaved partial sums (two four-lane vectors) in a fixed
            // order, reduced as (lo + hi), then (a0 + a2) + (a1 + a3): the same
            // bits on every host.
            let (mut lo, mut hi) = (F32x4::zero(), F32x4::zero());
            for k in (0..TAPS).step_by(8) {
                lo = lo + F32x4::load(&h[k..]) * F32x4::load(&w[k..]);
                hi = hi + F32x4::load(&h[k + 4..]) * F32x4::load(&w[k + 4..]);
            }
            *out = (lo + hi).sum_pairs() as f64;
        }
        let pts = [prev_q3[ch], x0, q[0], q[1], q[2], x1];
        // Refine the largest point (the parabola adds well under 12 %, so
        // points further below the ceiling need no refinement).
        // Branch-free arg-max (the winner is data-dependent, so branches
        // would mispredict): the first of equal maxima wins, as in a scan.
        let mags = [pts[1].abs(), pts[2].abs(), pts[3].abs(), pts[4].abs()];
        let (mut jm, mut top) = (1usize, mags[0]);
        for j in 2..5 {
            let better = mags[j - 1] > top;
            jm = if better { j } else { jm };
            top = max2(mags[j - 1], top);
        }
        peak = max2(peak, if top * 1.12 > ceiling { refine(pts[jm - 1], pts[jm], pts[jm + 1]) } else { top });
        prev_q3[ch] = q[2];
    }
    peak
}

/// The sliding-minimum deque over the limiter's lookahead window, on the
/// limiter's buffers (capacity a power of two).
struct Deque<'a> {
    /// Sample indices.
    idx: &'a mut [u64],
    /// Values.
    val: &'a mut [f64],
    /// Head slot.
    head: usize,
    /// Entries.
    len: usize,
}

impl Deque<'_> {
    /// Pushes `g` (for sample `n`) and returns the minimum over the last
    /// `lookahead + 1` samples.
    #[inline(always)]
    fn push_min(&mut self, g: f64, n: u64, lookahead: u64) -> f64 {
        let mask = self.idx.len() - 1;
        // Drop larger values from the back.
        while self.len > 0 {
            let back = (self.head + self.len - 1) & mask;
            if self.val[back] >= g {
                self.len -= 1;
            } else {
                break;
            }
        }
        let slot = (self.head + self.len) & mask;
        self.idx[slot] = n;
        self.val[slot] = g;
        self.len += 1;
        // Drop values that left the window of lookahead + 1 samples.
        let oldest = n.saturating_sub(lookahead);
        while self.idx[self.head] < oldest {
            self.head = (self.head + 1) & mask;
            self.len -= 1;
        }
        self.val[self.head]
    }
}

/// The limiter.
pub struct Limiter {
    /// Sample rate, Hz.
    fs: f64,
    /// Control smoothing coefficient.
    coef: f64,
    /// Interpolator coefficients (f32: detection needs no more, and runs twice as
    /// wide in SIMD).
    h: [[f32; TAPS]; OVERSAMPLE],
    /// Sum of |h| of the worst phase (bound used to skip detection in quiet passages).
    h_l1: f64,
    /// Lookahead, frames.
    lookahead: usize,
    /// Band-limited input history per channel, mirrored (length 2·`hist_len`) for
    /// contiguous reads.
    hist: [Vec<f64>; 2],
    /// The same history in f32, for the detector.
    det: [Vec<f32>; 2],
    /// Length of one half of the history, frames.
    hist_len: usize,
    /// Write position in the history.
    pos: usize,
    /// Interpolated point at n − 1/4 of the previous interval, per channel.
    prev_q3: [f64; 2],
    /// Peak of the previous interval (both channels), linear.
    prev_peak: f64,
    /// Largest |input| of each of the last four 8-frame blocks (both channels).
    blk_max: [f64; 4],
    /// Largest |input| of the block being filled.
    blk_cur: f64,
    /// Frames in the block being filled.
    blk_fill: usize,
    /// Next slot of `blk_max`.
    blk_pos: usize,
    /// Largest value in `blk_max`.
    blk_ring_max: f64,
    /// Sliding-minimum deque: sample indices.
    dq_idx: Vec<u64>,
    /// Sliding-minimum deque: values.
    dq_val: Vec<f64>,
    /// Deque head.
    dq_head: usize,
    /// Deque length.
    dq_len: usize,
    /// Gain after release, linear.
    released: f64,
    /// Ring of released gains for the moving average.
    avg_ring: Vec<f64>,
    /// Running sum of `avg_ring`.
    avg_sum: f64,
    /// Next slot of `avg_ring` to overwrite.
    avg_pos: usize,
    /// Frames of gain computed so far.
    n: u64,
    /// Ceiling (linear, margin applied), smoothed.
    ceiling: Smoothed,
    /// Base release, ms.
    release_ms: f64,
    /// Release coefficient per sample (current).
    rel_coef: f64,
    /// Sustained gain reduction tracker, dB.
    sustain_db: f64,
    /// `sustain_db` when the release coefficient was last computed.
    release_at_db: f64,
    /// Sustain tracker coefficient per control period.
    sustain_coef: f64,
    /// Wet (limiter in) mix, smoothed.
    wet: Smoothed,
    /// Smallest gain applied in the current control period.
    min_gain: f64,
    /// Smallest gain of the last finished control period (for meters).
    gr_gain: f64,
    /// Unfiltered input history per channel (for bypass), `hist_len` long.
    raw: [Vec<f64>; 2],
    /// Band-limit low-pass sections.
    band: [Coefs; BAND_SECTIONS],
    /// The same coefficients in both lanes.
    band_pair: [PairCoefs; BAND_SECTIONS],
    /// Band-limit group delay compensated in the latency, frames.
    band_delay: usize,
    /// Band-limit states, per section (left and right in the two lanes).
    band_st: [PairState; BAND_SECTIONS],
    /// Settings at the last control update (skips the update while unchanged).
    last: Option<LimiterSettings>,
    /// True when every smoothed parameter has reached its target.
    idle: bool,
}

impl Default for Limiter {
    fn default() -> Self {
        Self::new()
    }
}

impl Limiter {
    /// An unprepared limiter.
    pub fn new() -> Self {
        let h = design_interpolator();
        let h_l1 = h.iter().skip(1).map(|r| r.iter().map(|c| c.abs() as f64).sum::<f64>()).fold(1.0, f64::max);
        Self {
            last: None,
            idle: false,
            fs: 48_000.0,
            coef: 1.0,
            h,
            h_l1,
            lookahead: 1,
            hist: [Vec::new(), Vec::new()],
            det: [Vec::new(), Vec::new()],
            hist_len: 0,
            pos: 0,
            prev_q3: [0.0; 2],
            prev_peak: 0.0,
            blk_max: [0.0; 4],
            blk_cur: 0.0,
            blk_fill: 0,
            blk_pos: 0,
            blk_ring_max: 0.0,
            dq_idx: Vec::new(),
            dq_val: Vec::new(),
            dq_head: 0,
            dq_len: 0,
            released: 1.0,
            avg_ring: Vec::new(),
            avg_sum: 0.0,
            avg_pos: 0,
            n: 0,
            ceiling: Smoothed::default(),
            release_ms: 80.0,
            rel_coef: 0.0,
            sustain_db: 0.0,
            release_at_db: 0.0,
            sustain_coef: 0.0,
            wet: Smoothed::default(),
            min_gain: 1.0,
            gr_gain: 1.0,
            raw: [Vec::new(), Vec::new()],
            band: [Coefs::IDENTITY; BAND_SECTIONS],
            band_pair: [PairCoefs::from(Coefs::IDENTITY); BAND_SECTIONS],
            band_delay: 0,
            band_st: [PairState::default(); BAND_SECTIONS],
        }
    }

    /// Allocates for `fs` and the lookahead in `s`, and snaps to `s`.
    pub fn prepare(&mut self, fs: f64, s: &LimiterSettings) {
        self.fs = fs;
        self.coef = one_pole_coef(SMOOTH_MS, fs / CONTROL_PERIOD as f64);
        let la_ms = (s.lookahead_ms as f64).clamp(0.1, MAX_LOOKAHEAD_MS);
        self.lookahead = ((la_ms * fs / 1000.0).round() as usize).max(1);
        let dq_cap = (self.lookahead + 2).next_power_of_two();
        self.dq_idx = vec![0; dq_cap];
        self.dq_val = vec![0.0; dq_cap];
        self.avg_ring = vec![1.0; self.lookahead + 1];
        self.sustain_coef = one_pole_coef(SUSTAIN_MS, fs / CONTROL_PERIOD as f64);
        for (c, q) in self.band.iter_mut().zip(BUTTER6_Q) {
            *c = Coefs::lowpass(BAND_LIMIT * fs, q, fs);
        }
        self.band_pair = self.band.map(PairCoefs::from);
        self.band_delay = self.band_group_delay();
        // History covers the interpolator window, the lookahead and the band delay.
        self.hist_len = (self.lookahead + TAPS + FIR_AHEAD + self.band_delay + 2).next_power_of_two();
        self.hist = [vec![0.0; 2 * self.hist_len], vec![0.0; 2 * self.hist_len]];
        self.det = [vec![0.0; 2 * self.hist_len], vec![0.0; 2 * self.hist_len]];
        self.raw = [vec![0.0; self.hist_len], vec![0.0; self.hist_len]];
        self.apply(s, None);
        self.reset();
    }

    /// Clears all state (silence, no gain reduction). No allocation.
    pub fn reset(&mut self) {
        for h in self.hist.iter_mut().chain(self.raw.iter_mut()) {
            h.iter_mut().for_each(|v| *v = 0.0);
        }
        for h in &mut self.det {
            h.iter_mut().for_each(|v| *v = 0.0);
        }
        self.pos = 0;
        self.prev_q3 = [0.0; 2];
        self.prev_peak = 0.0;
        self.blk_max = [0.0; 4];
        self.blk_cur = 0.0;
        self.blk_fill = 0;
        self.blk_pos = 0;
        self.blk_ring_max = 0.0;
        self.dq_head = 0;
        self.dq_len = 0;
        self.released = 1.0;
        self.avg_ring.iter_mut().for_each(|v| *v = 1.0);
        self.avg_sum = self.avg_ring.len() as f64;
        self.avg_pos = 0;
        self.n = 0;
        self.sustain_db = 0.0;
        self.min_gain = 1.0;
        self.gr_gain = 1.0;
        self.band_st = [PairState::default(); BAND_SECTIONS];
        self.update_release();
    }

    /// Latency, frames.
    pub fn latency(&self) -> usize {
        self.lookahead + FIR_AHEAD + self.band_delay
    }

    /// Group delay of the band-limit filter at low frequencies, frames (by the
    /// phase slope at fs/1000), rounded.
    fn band_group_delay(&self) -> usize {
        let w = 2.0 * core::f64::consts::PI / 1000.0;
        let phase = |c: &Coefs, w: f64| {
            let (nr, ni) = (c.b0 + c.b1 * libm::cos(w) + c.b2 * libm::cos(2.0 * w), -(c.b1 * libm::sin(w) + c.b2 * libm::sin(2.0 * w)));
            let (dr, di) = (1.0 + c.a1 * libm::cos(w) + c.a2 * libm::cos(2.0 * w), -(c.a1 * libm::sin(w) + c.a2 * libm::sin(2.0 * w)));
            libm::atan2(ni, nr) - libm::atan2(di, dr)
        };
        let total: f64 = self.band.iter().map(|c| -phase(c, w) / w).sum();
        libm::round(total).max(0.0) as usize
    }

    fn apply(&mut self, s: &LimiterSettings, coef: Option<f64>) {
        let ceil = db_to_lin((s.ceiling_dbtp as f64).clamp(-30.0, 0.0) - DETECTION_MARGIN_DB);
        let wet = if s.bypass { 0.0 } else { 1.0 };
        let release_ms = (s.release_ms as f64).clamp(1.0, 2000.0);
        if release_ms != self.release_ms {
            self.release_ms = release_ms;
            self.update_release();
        }
        match coef {
            None => {
                self.ceiling.snap(ceil);
                self.wet.snap(wet);
            }
            Some(c) => {
                self.ceiling.tick(ceil, c);
                self.wet.tick(wet, c);
            }
        }
    }

    fn update_release(&mut self) {
        self.release_at_db = self.sustain_db;
        let amount = (self.sustain_db / SUSTAIN_FULL_DB).clamp(0.0, 1.0);
        let t = self.release_ms * (1.0 + (SUSTAIN_RELEASE_FACTOR - 1.0) * amount);
        self.rel_coef = one_pole_coef(t, self.fs);
    }

    /// Jumps every smoothed parameter to `s` (no ramp). No allocation.
    pub fn snap(&mut self, s: &LimiterSettings) {
        self.apply(s, None);
        self.last = Some(*s);
        self.idle = true;
    }

    /// True when no smoothed parameter is moving.
    fn all_settled(&self) -> bool {
        self.ceiling.settled() && self.wet.settled()
    }

    /// Control-rate update. No allocation.
    pub fn control(&mut self, s: &LimiterSettings) {
        if !(self.idle && self.last == Some(*s)) {
            self.apply(s, Some(self.coef));
            self.last = Some(*s);
            self.idle = self.all_settled();
        }
        self.gr_gain = self.min_gain;
        self.min_gain = 1.0;
        let gr_db = if self.gr_gain < 1.0 { -20.0 * libm::log10(self.gr_gain.max(1e-6)) } else { 0.0 };
        let before = self.sustain_db;
        self.sustain_db += self.sustain_coef * (gr_db - self.sustain_db);
        self.sustain_db = flush(self.sustain_db);
        // The release time follows the sustained reduction; recompute its
        // coefficient only when that has moved by a noticeable amount.
        if (self.sustain_db - self.release_at_db).abs() > 0.05 || (self.sustain_db == 0.0 && before != 0.0) {
            self.update_release();
        }
    }

    /// Gain reduction of the last control period, dB (≥ 0).
    pub fn gain_reduction_db(&self) -> f64 {
        -20.0 * libm::log10(self.gr_gain.max(1e-6))
    }

    /// Limits a segment of at most one control period starting `phase` frames in.
    ///
    /// The per-sample loop works on local copies of the state and on plain
    /// slices of the buffers (no `Vec` or `self` indirection inside the loop),
    /// and writes the state back at the end.
    pub fn process(&mut self, l: &mut [f64], r: &mut [f64], phase: usize) {
        let n_frames = l.len().min(r.len());
        let ceiling = self.ceiling.to;
        // No reconstructed point can exceed (largest |sample| in the window) × Σ|h|.
        let quiet_limit = ceiling / self.h_l1;
        // Filtered audio is read `lookahead + FIR_AHEAD` frames back (where the gain
        // was computed for); the raw input for bypass also lags by the band delay.
        let delay = self.lookahead + FIR_AHEAD;
        let raw_delay = delay + self.band_delay;
        let hl = self.hist_len;
        let mask = hl - 1;
        let lookahead = self.lookahead as u64;
        let rel_coef = self.rel_coef;
        let wet = self.wet;
        let wet_full = wet.settled() && wet.to == 1.0;
        let band = self.band_pair;
        let mut band_st = self.band_st;
        let Limiter { h, hist, det, raw, dq_idx, dq_val, avg_ring, .. } = self;
        let h: &[[f32; TAPS]; OVERSAMPLE] = h;
        let [hist0, hist1] = hist;
        let (hist0, hist1) = (hist0.as_mut_slice(), hist1.as_mut_slice());
        let [det0, det1] = det;
        let (det0, det1) = (det0.as_mut_slice(), det1.as_mut_slice());
        let [raw0, raw1] = raw;
        let (raw0, raw1) = (raw0.as_mut_slice(), raw1.as_mut_slice());
        let mut dq = Deque {
            idx: dq_idx.as_mut_slice(),
            val: dq_val.as_mut_slice(),
            head: self.dq_head,
            len: self.dq_len,
        };
        let avg_ring = avg_ring.as_mut_slice();
        let ring = avg_ring.len();
        let mut pos = self.pos;
        let mut prev_q3 = self.prev_q3;
        let mut prev_peak = self.prev_peak;
        let mut blk_max = self.blk_max;
        let mut blk_cur = self.blk_cur;
        let mut blk_fill = self.blk_fill;
        let mut blk_pos = self.blk_pos;
        let mut blk_ring_max = self.blk_ring_max;
        let mut released = self.released;
        let mut avg_sum = self.avg_sum;
        let mut avg_pos = self.avg_pos;
        let mut count = self.n;
        let mut min_gain = self.min_gain;
        // What `prepare` sets up, checked once per call; every unchecked
        // access in the loop follows from it: `pos` and `dd` are masked below
        // `hl`, so `p + hl < 2·hl`; the detector window `p + hl + 1 − TAPS ..
        // p + hl + 1` and the output index `p + hl − delay` lie in `0..2·hl`;
        // `avg_pos` stays below the ring length.
        assert!(
            [hist0.len(), hist1.len(), det0.len(), det1.len()].iter().all(|&n| n == 2 * hl)
                && raw0.len() == hl
                && raw1.len() == hl
                && hl.is_power_of_two()
                && pos < hl
                && delay <= hl
                && raw_delay <= hl
                && TAPS <= hl + 1
                && avg_pos < ring,
            "limiter used before prepare"
        );
        for i in 0..n_frames {
            let (a, b) = (l[i], r[i]);
            // SAFETY: pos < hl (checked above, kept masked).
            unsafe {
                *raw0.get_unchecked_mut(pos) = a;
                *raw1.get_unchecked_mut(pos) = b;
            }
            // Both channels through the band limit at once, in two lanes.
            let mut v = F64x2::new(a, b);
            for (st, c) in band_st.iter_mut().zip(&band) {
                v = st.tick(c, v);
            }
            let (a, b) = v.split();
            let p = pos;
            // SAFETY: p < hl and the histories are 2·hl long (checked above).
            unsafe {
                *hist0.get_unchecked_mut(p) = a;
                *hist0.get_unchecked_mut(p + hl) = a;
                *hist1.get_unchecked_mut(p) = b;
                *hist1.get_unchecked_mut(p + hl) = b;
                *det0.get_unchecked_mut(p) = a as f32;
                *det0.get_unchecked_mut(p + hl) = a as f32;
                *det1.get_unchecked_mut(p) = b as f32;
                *det1.get_unchecked_mut(p + hl) = b as f32;
            }
            // Running bound on the last 32–39 frames (covers the interpolator window).
            blk_cur = max2(blk_cur, max2(a.abs(), b.abs()));
            let bound = max2(blk_ring_max, blk_cur);
            blk_fill += 1;
            if blk_fill == 8 {
                blk_max[blk_pos] = blk_cur;
                blk_pos = (blk_pos + 1) & 3;
                blk_cur = 0.0;
                blk_fill = 0;
                blk_ring_max = blk_max.iter().fold(0.0, |m, v| max2(m, *v));
            }
            // Gain the interval (and both its end samples) needs.
            let g_req = if bound < quiet_limit && prev_peak < ceiling {
                // Quiet: no reconstruction can reach the ceiling. Keep the history of
                // interpolated points coherent for the next loud interval.
                prev_q3 = [0.0; 2];
                prev_peak = 0.0;
                1.0
            } else {
                let base = p + hl + 1 - TAPS;
                // SAFETY: TAPS ≤ hl + 1 and p < hl, so base..base + TAPS ⊂ 0..2·hl.
                let win = unsafe { [det0.get_unchecked(base..base + TAPS), det1.get_unchecked(base..base + TAPS)] };
                let pk = interval_peak(h, win, &mut prev_q3, ceiling);
                let both = max2(pk, prev_peak);
                prev_peak = pk;
                if both > ceiling {
                    ceiling / both
                } else {
                    1.0
                }
            };
            let smin = dq.push_min(g_req, count, lookahead);
            // Program-dependent release towards unity, never above the window minimum.
            let rel = released + (1.0 - released) * rel_coef;
            released = min2(rel, smin);
            // Moving average over lookahead + 1 frames.
            let slot = avg_pos;
            // SAFETY: avg_pos < ring (checked above; it wraps to 0 at ring − 1).
            let leaving = std::mem::replace(unsafe { avg_ring.get_unchecked_mut(slot) }, released);
            avg_sum += released - leaving;
            if slot == ring - 1 {
                // Re-sum once per window so rounding never accumulates.
                avg_sum = avg_ring.iter().sum();
                avg_pos = 0;
            } else {
                avg_pos = slot + 1;
            }
            let g = min2(avg_sum / ring as f64, 1.0);
            count += 1;
            // Output: the frame `delay` frames ago.
            let d = p + hl - delay;
            // SAFETY: delay ≤ hl and p < hl, so d ∈ 0..2·hl.
            let (dl, dr) = unsafe { (*hist0.get_unchecked(d), *hist1.get_unchecked(d)) };
            min_gain = min2(g, min_gain);
            if wet_full {
                l[i] = dl * g;
                r[i] = dr * g;
            } else {
                // Crossfade to the unfiltered, equally delayed input.
                let w = wet.at(phase + i);
                let dd = (p + hl - raw_delay) & mask;
                // SAFETY: dd is masked below hl.
                let (rl, rr) = unsafe { (*raw0.get_unchecked(dd), *raw1.get_unchecked(dd)) };
                l[i] = rl + (dl * g - rl) * w;
                r[i] = rr + (dr * g - rr) * w;
            }
            pos = (p + 1) & mask;
        }
        for st in &mut band_st {
            st.flush();
        }
        self.dq_head = dq.head;
        self.dq_len = dq.len;
        self.band_st = band_st;
        self.pos = pos;
        self.prev_q3 = prev_q3;
        self.prev_peak = prev_peak;
        self.blk_max = blk_max;
        self.blk_cur = blk_cur;
        self.blk_fill = blk_fill;
        self.blk_pos = blk_pos;
        self.blk_ring_max = blk_ring_max;
        self.released = released;
        self.avg_sum = avg_sum;
        self.avg_pos = avg_pos;
        self.n = count;
        self.min_gain = min_gain;
    }

    /// True when no filter state is subnormal.
    pub fn state_is_clean(&self) -> bool {
        self.band_st.iter().all(PairState::is_clean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolator_rows_reconstruct_a_slow_sine() {
        let h = design_interpolator();
        // A low-frequency sine is reconstructed almost exactly at every phase.
        let f = 0.01;
        for p in 1..OVERSAMPLE {
            let t0 = 100.0;
            let want = libm::sin(2.0 * core::f64::consts::PI * f * (t0 + p as f64 / 4.0));
            let mut got = 0.0;
            for k in 0..TAPS {
                let n = t0 - (FIR_AHEAD as f64 - 1.0) + k as f64;
                got += h[p][k] as f64 * libm::sin(2.0 * core::f64::consts::PI * f * n);
            }
            assert!((got - want).abs() < 1e-4, "phase {p}: {got} vs {want}");
        }
    }

    #[test]
    fn parabolic_refinement_finds_the_vertex() {
        // Samples of 1 − (t − 0.3)² at t = −1, 0, 1: vertex value 1.
        let f = |t: f64| 1.0 - (t - 0.3) * (t - 0.3);
        assert!((refine(f(-1.0), f(0.0), f(1.0)) - 1.0).abs() < 1e-12);
        assert!((refine(-f(-1.0), -f(0.0), -f(1.0)) - 1.0).abs() < 1e-12);
    }
}

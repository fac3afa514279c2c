//! Streaming loudness meters over the `ebur128` crate (ITU-R BS.1770 / EBU R128).
//!
//! - [`Meter`]: the offline meter. Fed block by block, it gives momentary,
//!   short-term and integrated loudness, loudness range (EBU Tech 3342), sample
//!   and true peak, PLR, and records short-term loudness every 100 ms for the
//!   loudness-over-time curve (and the loudness of each 100 ms, and on
//!   request each 100 ms's true peak, for statistics of any range:
//!   [`crate::analysis::range`]). [`Meter::report`] summarises it as a
//!   [`LoudnessReport`]; [`analyze`] meters a whole file.
//! - [`LiveMeter`]: the AudioWorklet meter: momentary, short-term and sample peak.
//!   `new` allocates; `process` and `reset` never allocate, lock or panic.
//! - [`LiveIntegrated`]: the AudioWorklet's integrated loudness since play
//!   started, on `ebur128`'s fixed histogram (nothing grows however long it
//!   plays; within 0.05 LU of the exact figure).
//!
//! ## Channels
//! Stereo is metered as left + right (BS.1770 weights 1.0 each); 3 to 5 channels
//! (for analysis and the Tech 3341 5.0 case) as L, R, C, Ls, Rs with the
//! surrounds weighted 1.41. A mono file is
//! one channel reproduced over one loudspeaker: BS.1770 sums the weighted mean
//! square of each channel present, so a mono programme is its single channel with
//! weight 1.0 (no +3 dB "dual mono" term). `ebur128`'s default map happens to call
//! channel 0 of a 1-channel stream "Left" (weight 1.0, so the number is the same);
//! we set it to `Center` (ITU M+000, weight 1.0) explicitly so the intent is
//! stated and does not hang on a default. This is what pyloudnorm and ffmpeg's
//! `ebur128` filter (without `dualmono`) report too.
//!
//! ## True peak
//! True peak is measured by [`TruePeak`]: 4× oversampling below 96 kHz (2× below
//! 192 kHz), as BS.1770 Annex 2 asks, with a 128-tap Kaiser-windowed sinc
//! interpolator whose passband reaches close to Nyquist. `ebur128`'s own scanner
//! (a 48-tap interpolator) meets Tech 3341's sine cases, but on material with
//! energy near Nyquist — hi-hats, or a limiter or clipper's edges — it reads up
//! to about 1 dB under what a reconstruction filter (and ffmpeg's 192 kHz
//! measurement) produces, and master-to-target relies on this figure to keep
//! masters under their ceiling. The sample peak (the largest |sample|) is
//! taken while the samples are sanitised, which spares `ebur128` a pass over
//! them. Everything else (K-weighting, gating, momentary, short-term,
//! integrated, LRA) is `ebur128`'s.
//!
//! ## Bad values
//! NaN and ±Inf samples are metered as 0 (they would otherwise poison every
//! later reading).
//!
//! ## References
//! - ITU-R BS.1770-5 (2023): K-weighting, gating, true peak (Annex 2).
//! - EBU R 128; EBU Tech 3341 (loudness metering, "EBU mode"); EBU Tech 3342 (LRA).

use crate::chain::util::{max2, max2_f32};
use crate::error::DspError;
use ebur128::{Channel, EbuR128, Mode};
use serde::{Deserialize, Serialize};

/// Frames sanitised per internal chunk (NaN/Inf → 0 before metering).
const CHUNK: usize = 1024;

/// Most channels the offline meter takes (5.0: L, R, C, Ls, Rs, as BS.1770
/// weights them). The app and the live meter use mono or stereo.
pub const MAX_CHANNELS: usize = 5;

/// Converts a linear amplitude to dB; `None` for zero (digital silence).
pub fn lin_to_db(x: f64) -> Option<f64> {
    (x > 0.0 && x.is_finite()).then(|| 20.0 * libm::log10(x))
}

/// Taps per polyphase branch of the true-peak interpolator.
const TP_TAPS: usize = 32;

/// Outputs per skip decision of the true-peak detector, frames.
const TP_SPAN: usize = 32;

/// Oversampled true-peak detector for one channel (ITU-R BS.1770 Annex 2's
/// method with a longer interpolator; see the module docs). Allocates in
/// `new`; `add` and `reset` never allocate. Block-size invariant.
///
/// Speed: every interpolated value is a weighted sum of the last `TP_TAPS`
/// samples, so it cannot exceed (largest |sample| in the window) × (largest
/// Σ|tap| of any branch). Spans of `TP_SPAN` outputs whose bound cannot beat
/// the peak found so far are skipped: the result is exactly what interpolating
/// every sample gives, at a fraction of the cost once the loud parts are past.
/// The branches are stored tap-major (`[tap][phase]`), so the four phases of
/// one output are computed together (one 4-lane f32 multiply-add per tap).
/// f32 sums of 32 products are good to about 1e-6 dB, far inside any true-peak
/// tolerance.
///
/// Per tick: [`TruePeak::take_tick_peak`] reads the largest value since the
/// previous call and starts the next tick; spans are then skipped against
/// the tick's peak, so each tick's value is exact too (reading ticks costs
/// more interpolation, and changes nothing in [`TruePeak::peak`]).
#[derive(Clone, Debug)]
pub struct TruePeak {
    /// Polyphase coefficients, tap-major: `coefs[j][k]` is tap `j` of branch
    /// `k`, each branch at unity DC gain; unused phases are zero.
    coefs: Vec<[f32; 4]>,
    /// Oversampling factor (1, 2 or 4).
    phases: usize,
    /// Largest Σ|tap| over the branches (with headroom for f32 rounding).
    gain_bound: f32,
    /// The last `TP_TAPS − 1` samples, then room for a span of new ones.
    buf: Vec<f32>,
    /// Largest interpolated magnitude so far, linear.
    peak: f32,
    /// Largest interpolated magnitude since the last
    /// [`TruePeak::take_tick_peak`] (so far, if never taken), linear.
    tick_peak: f32,
    /// Spans that cannot reach this are not interpolated ([`TruePeak::set_floor`]).
    floor: f32,
}

/// Zeroth-order modified Bessel function (series), for the Kaiser window.
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    while term > 1e-12 * sum {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        k += 1.0;
    }
    sum
}

impl TruePeak {
    /// A detector for `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        let phases = if sample_rate < 96_000 {
            4
        } else if sample_rate < 192_000 {
            2
        } else {
            1
        };
        let n = phases * TP_TAPS;
        let centre = (n as f64 - 1.0) / 2.0;
        // Cut-off just under the input's Nyquist, in cycles per output sample.
        let fc = 0.49 / phases as f64;
        let beta = 8.0;
        let i0b = bessel_i0(beta);
        let proto: Vec<f64> = (0..n)
            .map(|m| {
                let t = m as f64 - centre;
                let sinc = if t == 0.0 {
                    2.0 * fc
                } else {
                    libm::sin(2.0 * std::f64::consts::PI * fc * t) / (std::f64::consts::PI * t)
                };
                let r = t / centre;
                let w = bessel_i0(beta * libm::sqrt((1.0 - r * r).max(0.0))) / i0b;
                sinc * w
            })
            .collect();
        let mut coefs = vec![[0.0; 4]; TP_TAPS];
        let mut gain_bound = 1.0f64;
        if phases > 1 {
            for k in 0..phases {
                let branch: Vec<f64> = (0..TP_TAPS).map(|j| proto[j * phases + k]).collect();
                let dc: f64 = branch.iter().sum();
                for (j, c) in branch.iter().enumerate() {
                    coefs[j][k] = (c / dc) as f32;
                }
                gain_bound = gain_bound.max(branch.iter().map(|c| (c / dc).abs()).sum::<f64>());
            }
        }
        // Headroom for f32 coefficients and sums, so the bound is never optimistic.
        let gain_bound = (gain_bound * (1.0 + 1e-4)) as f32;
        Self { coefs, phases, gain_bound, buf: vec![0.0; TP_TAPS - 1 + TP_SPAN], peak: 0.0, tick_peak: 0.0, floor: 0.0 }
    }

    /// Feeds samples (already free of NaN/Inf).
    pub fn add(&mut self, x: &[f32]) {
        const H: usize = TP_TAPS - 1;
        for span in x.chunks(TP_SPAN) {
            let len = span.len();
            let mut m = 0.0f32;
            for (d, &v) in self.buf[H..H + len].iter_mut().zip(span) {
                *d = v;
                m = max2_f32(v.abs(), m);
            }
            self.tick_peak = max2_f32(m, self.tick_peak);
            if self.phases > 1 {
                let hist = self.buf[..H].iter().fold(0.0f32, |acc, v| max2_f32(v.abs(), acc));
                if m.max(hist) * self.gain_bound > self.tick_peak.max(self.floor) {
                    self.interpolate(len);
                }
            }
            self.peak = max2_f32(self.tick_peak, self.peak);
            // Keep the last H samples as the next span's history.
            self.buf.copy_within(len..len + H, 0);
        }
    }

    /// Interpolates the `len` newest samples in `buf` and updates the tick's peak.
    /// Every interpolated value is the same f32 sum, tap by tap in order, on
    /// every path, so the peak is the same to the bit whichever runs: on
    /// x86-64 with AVX-512 or AVX, 16 or 8 consecutive outputs of each phase
    /// at once (one unaligned load of the window per tap, no shuffles), and
    /// in wasm with SIMD128 4 of them; the rest four outputs at a time, four
    /// phases per lane group.
    fn interpolate(&mut self, len: usize) {
        #[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
        let (mut peak, start) = wide::interpolate(&self.coefs, &self.buf, len, self.tick_peak);
        #[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
        let (mut peak, start) = (self.tick_peak, 0);
        self.interpolate_from(start, len, &mut peak);
        self.tick_peak = peak;
    }

    /// The portable interpolation of outputs `start..len` (see [`Self::interpolate`]).
    fn interpolate_from(&self, start: usize, len: usize, peak_out: &mut f32) {
        let mut peak = *peak_out;
        let mut keep = |acc: [f32; 4]| {
            for a in acc {
                peak = max2_f32(a.abs(), peak);
            }
        };
        let mut i = start;
        while i + 4 <= len {
            // Windows oldest to newest: buf[i + o .. i + o + TP_TAPS].
            let win = &self.buf[i..i + TP_TAPS + 3];
            let mut acc = [[0.0f32; 4]; 4];
            for (j, c) in self.coefs.iter().enumerate() {
                for (o, a) in acc.iter_mut().enumerate() {
                    let w = win[j + o];
                    for k in 0..4 {
                        a[k] += c[k] * w;
                    }
                }
            }
            acc.into_iter().for_each(&mut keep);
            i += 4;
        }
        while i < len {
            let win = &self.buf[i..i + TP_TAPS];
            let mut acc = [0.0f32; 4];
            for (c, &w) in self.coefs.iter().zip(win) {
                for k in 0..4 {
                    acc[k] += c[k] * w;
                }
            }
            keep(acc);
            i += 1;
        }
        *peak_out = peak;
    }

    /// Largest true peak so far (never below the sample peak), linear.
    pub fn peak(&self) -> f64 {
        self.peak as f64
    }

    /// Largest true peak since the last [`TruePeak::take_tick_peak`] (so far,
    /// if never taken), linear.
    pub fn tick_peak(&self) -> f64 {
        self.tick_peak as f64
    }

    /// [`TruePeak::tick_peak`], and starts the next tick. An interpolated
    /// value counts in the tick whose sample completes its window (a lag of
    /// `TP_TAPS / 2` = 16 input samples, 0.33 ms at 48 kHz). Never allocates.
    pub fn take_tick_peak(&mut self) -> f64 {
        std::mem::take(&mut self.tick_peak) as f64
    }

    /// From now on, readings under `floor` need not be exact: a span whose
    /// bound cannot exceed `floor` is not interpolated, so a tick that stays
    /// under it reads at least its largest sample and at most `floor`. For a
    /// caller that only asks whether a tick goes over `floor` (the 16×
    /// meter's pre-reading, which interpolates only the blocks whose reading
    /// comes near its best value so far); a reading over `floor` is exact.
    /// 0, the default: every reading exact.
    pub fn set_floor(&mut self, floor: f32) {
        self.floor = floor;
    }

    /// Forgets everything. Never allocates.
    pub fn reset(&mut self) {
        self.buf.iter_mut().for_each(|h| *h = 0.0);
        self.peak = 0.0;
        self.tick_peak = 0.0;
        self.floor = 0.0;
    }
}

/// The true-peak interpolator on wasm SIMD128 vectors (the worker's and the
/// worklet's builds have them).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wide {
    use super::TP_TAPS;
    use core::arch::wasm32::*;

    /// 4 consecutive outputs of each of the four phases at a time, as the
    /// x86-64 `avx` path computes 8: each lane is output `i + lane`, the sum
    /// over taps j in order of `coefs[j][k] × buf[i + lane + j]`, a multiply
    /// then an add (SIMD128 has no fused form), as the portable path computes
    /// it. Returns the peak so far (starting from `peak`) and the first
    /// output not yet interpolated.
    pub(super) fn interpolate(coefs: &[[f32; 4]], buf: &[f32], len: usize, peak: f32) -> (f32, usize) {
        assert!(coefs.len() == TP_TAPS && len + TP_TAPS - 1 <= buf.len());
        let mut top = f32x4_splat(peak);
        let mut i = 0;
        while i + 4 <= len {
            let mut acc = [f32x4_splat(0.0); 4];
            for (j, c) in coefs.iter().enumerate() {
                // SAFETY: i + j + 4 <= len + TP_TAPS − 1 <= buf.len(); wasm
                // loads need no alignment.
                let w = unsafe { v128_load(buf.as_ptr().add(i + j) as *const v128) };
                for (a, &ck) in acc.iter_mut().zip(c) {
                    *a = f32x4_add(*a, f32x4_mul(f32x4_splat(ck), w));
                }
            }
            for a in acc {
                // pmax(top, x) = top < x ? x : top: the larger (no NaN here).
                top = f32x4_pmax(top, f32x4_abs(a));
            }
            i += 4;
        }
        let lanes = [
            f32x4_extract_lane::<0>(top),
            f32x4_extract_lane::<1>(top),
            f32x4_extract_lane::<2>(top),
            f32x4_extract_lane::<3>(top),
        ];
        (lanes.iter().fold(peak, |m, &v| super::max2_f32(v, m)), i)
    }
}

/// The true-peak interpolator on wide x86-64 vectors, chosen at run time.
#[cfg(target_arch = "x86_64")]
mod wide {
    use super::TP_TAPS;
    use std::arch::x86_64::*;

    /// Interpolates as many whole groups of outputs `0..len` as the CPU's widest
    /// vectors allow. Returns the peak so far (starting from `peak`) and the
    /// first output not yet interpolated.
    pub(super) fn interpolate(coefs: &[[f32; 4]], buf: &[f32], len: usize, peak: f32) -> (f32, usize) {
        assert!(coefs.len() == TP_TAPS && len + TP_TAPS - 1 <= buf.len());
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F; the bounds are checked above.
            unsafe { avx512(coefs, buf, len, peak) }
        } else if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX; the bounds are checked above.
            unsafe { avx(coefs, buf, len, peak) }
        } else {
            (peak, 0)
        }
    }

    /// 16 outputs of each of the four phases at a time. Each lane is output
    /// `i + lane`: Σ over taps j in order of `coefs[j][k] × buf[i + lane + j]`,
    /// a multiply then an add (never fused), as the portable path computes it.
    ///
    /// # Safety
    /// The CPU must have AVX-512F, and `len + TP_TAPS − 1 <= buf.len()`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512(coefs: &[[f32; 4]], buf: &[f32], len: usize, peak: f32) -> (f32, usize) {
        let mut top = _mm512_set1_ps(peak);
        let mut i = 0;
        while i + 16 <= len {
            let mut acc = [_mm512_setzero_ps(); 4];
            for (j, c) in coefs.iter().enumerate() {
                // SAFETY: i + j + 16 <= len + TP_TAPS − 1 <= buf.len().
                let w = unsafe { _mm512_loadu_ps(buf.as_ptr().add(i + j)) };
                for (a, &ck) in acc.iter_mut().zip(c) {
                    *a = _mm512_add_ps(*a, _mm512_mul_ps(_mm512_set1_ps(ck), w));
                }
            }
            for a in acc {
                // max(|a|, top): `top` where `|a| > top` is false, as `max2_f32`.
                top = _mm512_max_ps(_mm512_abs_ps(a), top);
            }
            i += 16;
        }
        (_mm512_reduce_max_ps(top), i)
    }

    /// [`avx512`] with 8 outputs at a time.
    ///
    /// # Safety
    /// The CPU must have AVX, and `len + TP_TAPS − 1 <= buf.len()`.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn avx(coefs: &[[f32; 4]], buf: &[f32], len: usize, peak: f32) -> (f32, usize) {
        let sign = _mm256_set1_ps(-0.0);
        let mut top = _mm256_set1_ps(peak);
        let mut i = 0;
        while i + 8 <= len {
            let mut acc = [_mm256_setzero_ps(); 4];
            for (j, c) in coefs.iter().enumerate() {
                // SAFETY: i + j + 8 <= len + TP_TAPS − 1 <= buf.len().
                let w = unsafe { _mm256_loadu_ps(buf.as_ptr().add(i + j)) };
                for (a, &ck) in acc.iter_mut().zip(c) {
                    *a = _mm256_add_ps(*a, _mm256_mul_ps(_mm256_set1_ps(ck), w));
                }
            }
            for a in acc {
                top = _mm256_max_ps(_mm256_andnot_ps(sign, a), top);
            }
            i += 8;
        }
        let mut lanes = [0.0f32; 8];
        // SAFETY: `lanes` holds 8 f32.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), top) };
        (lanes.iter().fold(peak, |m, &v| super::max2_f32(v, m)), i)
    }
}

/// A loudness value as `Option`: −∞ and NaN (silence, not enough audio) → `None`.
fn finite(v: Result<f64, ebur128::Error>) -> Option<f64> {
    v.ok().filter(|x| x.is_finite())
}

fn map_err(e: ebur128::Error) -> DspError {
    DspError::Unsupported(format!("cannot meter this audio ({e:?})"))
}

/// Builds an `EbuR128` with Lacquer's channel map (see the module docs).
fn new_ebu(channels: usize, sample_rate: u32, mode: Mode) -> Result<EbuR128, DspError> {
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(DspError::Unsupported(format!(
            "{channels} channels: Lacquer meters mono, stereo and up to 5.0"
        )));
    }
    if !(8_000..=384_000).contains(&sample_rate) {
        return Err(DspError::Unsupported(format!("{sample_rate} Hz cannot be metered")));
    }
    let mut ebu = EbuR128::new(channels as u32, sample_rate, mode).map_err(map_err)?;
    use Channel::{Center as C, Left as L, LeftSurround as Ls, Right as R, RightSurround as Rs};
    let map: &[Channel] = match channels {
        1 => &[C],
        2 => &[L, R],
        3 => &[L, R, C],
        4 => &[L, R, Ls, Rs],
        _ => &[L, R, C, Ls, Rs],
    };
    ebu.set_channel_map(map).map_err(map_err)?;
    Ok(ebu)
}

/// Copies `src` into `dst`, replacing NaN and ±Inf with 0.
#[inline]
fn sanitize(src: &[f32], dst: &mut [f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = if s.is_finite() { *s } else { 0.0 };
    }
}

/// [`sanitize`], returning the largest magnitude copied.
fn sanitize_peak(src: &[f32], dst: &mut [f32]) -> f32 {
    let mut m = 0.0f32;
    for (d, s) in dst.iter_mut().zip(src) {
        let v = if s.is_finite() { *s } else { 0.0 };
        *d = v;
        m = max2_f32(v.abs(), m);
    }
    m
}

/// Everything Lacquer reports about a programme's loudness. Serialises to JSON
/// with `null` for values that do not exist (silence), never NaN.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoudnessReport {
    /// Integrated (gated) loudness, LUFS; `None` when everything is below the
    /// absolute gate (silence or near-silence).
    pub integrated_lufs: Option<f64>,
    /// Loudness range after EBU Tech 3342, LU (0 for silence or < 3 s of audio).
    pub lra_lu: f64,
    /// Maximum true peak over all channels, dBTP (4× oversampled below 96 kHz);
    /// `None` for digital silence.
    pub true_peak_dbtp: Option<f64>,
    /// Maximum sample peak over all channels, dBFS; `None` for digital silence.
    pub sample_peak_dbfs: Option<f64>,
    /// Peak-to-loudness ratio, true peak − integrated loudness, dB.
    pub plr_db: Option<f64>,
    /// Highest momentary loudness (400 ms), read every 100 ms, LUFS.
    pub max_momentary_lufs: Option<f64>,
    /// Highest short-term loudness (3 s), read every 100 ms, LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Interval between points of `short_term_curve`, s.
    pub curve_interval_s: f64,
    /// Short-term loudness, LUFS, at the end of every 100 ms of programme
    /// (`None` where the 3 s window holds silence).
    pub short_term_curve: Vec<Option<f64>>,
    /// Programme length, s.
    pub duration_s: f64,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Channels metered (1 or 2).
    pub channels: usize,
}

/// The offline (whole-programme) meter. Results do not depend on how the
/// programme is split into blocks.
pub struct Meter {
    /// The BS.1770 meter.
    ebu: EbuR128,
    /// Channels, 1 or 2.
    channels: usize,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Frames in 100 ms (as `ebur128` rounds it), frames.
    frames_per_tick: usize,
    /// Frames still to come before the next curve point, frames.
    until_tick: usize,
    /// Frames metered so far, frames.
    frames: u64,
    /// Short-term loudness every 100 ms, LUFS.
    curve: Vec<Option<f64>>,
    /// Loudness of each 100 ms tick alone, LUFS.
    tick_curve: Vec<Option<f64>>,
    /// Largest true peak of every 100 ms, dBTP, when asked for
    /// ([`Meter::with_true_peak_curve`]).
    true_peak_curve: Option<Vec<Option<f64>>>,
    /// Highest momentary reading so far, LUFS.
    max_momentary: Option<f64>,
    /// Highest short-term reading so far, LUFS.
    max_short_term: Option<f64>,
    /// Mean-square energy of each of the last 30 ticks (100 ms each), a ring:
    /// short-term is the mean of all 30, momentary of the newest 4. Reading
    /// one 100 ms window per tick instead of the 3 s and 400 ms windows makes
    /// the curve ~30× cheaper, with the same numbers.
    sub_energy: [f64; 30],
    /// Next write position in `sub_energy`.
    sub_pos: usize,
    /// Full meter (curve, LRA) or the integrated-and-peaks meter.
    full: bool,
    /// Sanitised copies of the current chunk, one per channel.
    scratch: Vec<Vec<f32>>,
    /// True-peak detectors, one per channel.
    true_peaks: Vec<TruePeak>,
    /// Largest sample magnitude so far, per channel, linear (taken while the
    /// samples are sanitised, so `ebur128` needs no sample-peak pass).
    sample_peak: [f32; MAX_CHANNELS],
}

/// A meter's true-peak detectors, split off to run on another thread (see
/// [`Meter::split_true_peak`]).
pub struct TruePeaks {
    /// One detector per channel (none for a loudness-only meter).
    detectors: Vec<TruePeak>,
    /// A sanitised copy of the current chunk.
    scratch: Vec<f32>,
}

impl TruePeaks {
    /// Feeds the next frames, one slice per channel, as [`Meter::add`] would.
    pub fn add(&mut self, planar: &[&[f32]]) {
        for (tp, src) in self.detectors.iter_mut().zip(planar) {
            for chunk in src.chunks(CHUNK) {
                sanitize(chunk, &mut self.scratch[..chunk.len()]);
                tp.add(&self.scratch[..chunk.len()]);
            }
        }
    }
}

impl Meter {
    /// A meter for `channels` (1 or 2) at `sample_rate` Hz. Allocates.
    pub fn new(channels: usize, sample_rate: u32) -> Result<Self, DspError> {
        Self::with_mode(channels, sample_rate, true)
    }

    /// Like [`Meter::new`]; `full = false` gives a lighter meter for the
    /// master-to-target search: integrated loudness, sample and true peak
    /// only (loudness range reads 0, no curve, no momentary or short-term maxima).
    pub fn with_mode(channels: usize, sample_rate: u32, full: bool) -> Result<Self, DspError> {
        let mode = if full {
            Mode::I | Mode::S | Mode::LRA
        } else {
            Mode::I
        };
        let ebu = new_ebu(channels, sample_rate, mode)?;
        let frames_per_tick = ((sample_rate as usize) + 5) / 10;
        Ok(Self {
            ebu,
            channels,
            sample_rate,
            frames_per_tick,
            until_tick: frames_per_tick,
            frames: 0,
            curve: Vec::new(),
            tick_curve: Vec::new(),
            true_peak_curve: None,
            max_momentary: None,
            max_short_term: None,
            sub_energy: [0.0; 30],
            sub_pos: 0,
            full,
            scratch: vec![vec![0.0; CHUNK]; channels],
            true_peaks: vec![TruePeak::new(sample_rate); channels],
            sample_peak: [0.0; MAX_CHANNELS],
        })
    }

    /// The lightest meter: integrated loudness and sample peak only (no true
    /// peak, which is the most expensive reading). The master-to-target
    /// search uses it where the chain's true-peak limiter already bounds the
    /// peaks, and over its excerpts.
    pub fn loudness_only(channels: usize, sample_rate: u32) -> Result<Self, DspError> {
        let mut m = Self::with_mode(channels, sample_rate, false)?;
        m.true_peaks.clear();
        Ok(m)
    }

    /// A 100 ms tick: records short-term loudness for the curve and the
    /// momentary and short-term maxima.
    fn tick(&mut self) {
        // `loudness_window(100)` is the mean square of the last 100 ms (as
        // −0.691 + 10·log10 of it); turn it back into energy.
        let l = self.ebu.loudness_window(100).ok().filter(|l| l.is_finite());
        let e = l.map_or(0.0, |l| libm::pow(10.0, (l + 0.691) / 10.0));
        self.tick_curve.push(l);
        self.sub_energy[self.sub_pos] = e;
        self.sub_pos = (self.sub_pos + 1) % self.sub_energy.len();
        let n = self.sub_energy.len();
        let short: f64 = self.sub_energy.iter().sum::<f64>() / n as f64;
        let moment: f64 = (1..=4).map(|k| self.sub_energy[(self.sub_pos + n - k) % n]).sum::<f64>() / 4.0;
        let to_lufs = |e: f64| (e > 0.0).then(|| -0.691 + 10.0 * libm::log10(e));
        let st = to_lufs(short);
        self.curve.push(st);
        self.max_short_term = max_opt(self.max_short_term, st);
        self.max_momentary = max_opt(self.max_momentary, to_lufs(moment));
        if let Some(c) = self.true_peak_curve.as_mut() {
            let tp = self.true_peaks.iter_mut().map(TruePeak::take_tick_peak).fold(0.0f64, f64::max);
            c.push(lin_to_db(tp));
        }
    }

    /// Also records the largest true peak of every 100 ms tick (a full
    /// meter, fed with [`Meter::add`]: not with its true peak split off).
    /// The ticks' peaks cost more interpolation than the whole
    /// programme's alone; the report is the same.
    pub fn with_true_peak_curve(mut self) -> Self {
        self.true_peak_curve = Some(Vec::new());
        self
    }

    /// Frames in each 100 ms tick of the curves (as `ebur128` rounds 100 ms).
    pub fn tick_frames(&self) -> usize {
        self.frames_per_tick
    }

    /// Short-term loudness (3 s) at the end of every 100 ms tick, LUFS (the
    /// report's `short_term_curve`).
    pub fn short_term_curve(&self) -> &[Option<f64>] {
        &self.curve
    }

    /// The loudness of every 100 ms tick alone, LUFS (`None` for digital
    /// silence): the energies the short-term (mean of 30) and momentary
    /// (mean of 4) readings are made of. From the fourth tick on, the mean
    /// of four is the energy of one of `ebur128`'s gating blocks (BS.1770:
    /// 400 ms, 75 % overlap), which integrated loudness is gated from.
    pub fn tick_curve(&self) -> &[Option<f64>] {
        &self.tick_curve
    }

    /// The largest true peak of every 100 ms tick over all channels, dBTP
    /// (`None` for digital silence), then of the frames after the last whole
    /// tick if there are any; `None` unless asked for
    /// ([`Meter::with_true_peak_curve`]). Its largest value is the report's
    /// true peak.
    pub fn true_peak_curve(&self) -> Option<Vec<Option<f64>>> {
        let mut c = self.true_peak_curve.clone()?;
        if self.until_tick != self.frames_per_tick {
            let tp = self.true_peaks.iter().map(TruePeak::tick_peak).fold(0.0f64, f64::max);
            c.push(lin_to_db(tp));
        }
        Some(c)
    }

    /// Like [`Meter::add`], with the true-peak detectors on a second thread
    /// alongside the BS.1770 meter (native builds; the result is the same).
    /// Worth it for long stretches: it starts a thread per call.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn add_parallel(&mut self, planar: &[&[f32]]) {
        let mut peaks = self.split_true_peak();
        std::thread::scope(|sc| {
            sc.spawn(|| peaks.add(planar));
            self.add(planar);
        });
        self.join_true_peak(peaks);
    }

    /// Takes the true-peak detectors out of the meter, so that they can be
    /// fed on another thread: until [`Meter::join_true_peak`] puts them back,
    /// [`Meter::add`] meters everything but the true peak, and the caller
    /// feeds the same frames to the detectors.
    pub fn split_true_peak(&mut self) -> TruePeaks {
        TruePeaks { detectors: std::mem::take(&mut self.true_peaks), scratch: vec![0.0; CHUNK] }
    }

    /// Puts back what [`Meter::split_true_peak`] took.
    pub fn join_true_peak(&mut self, peaks: TruePeaks) {
        self.true_peaks = peaks.detectors;
    }

    /// Meters the next frames: one slice per channel, all the same length.
    pub fn add(&mut self, planar: &[&[f32]]) {
        debug_assert_eq!(planar.len(), self.channels);
        let n = planar.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut pos = 0;
        while pos < n {
            let len = (n - pos).min(CHUNK).min(self.until_tick);
            for (c, src) in planar.iter().enumerate().take(self.channels) {
                let m = sanitize_peak(&src[pos..pos + len], &mut self.scratch[c][..len]);
                self.sample_peak[c] = max2_f32(m, self.sample_peak[c]);
                if let Some(tp) = self.true_peaks.get_mut(c) {
                    tp.add(&self.scratch[c][..len]);
                }
            }
            let mut refs: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
            for (r, s) in refs.iter_mut().zip(&self.scratch) {
                *r = &s[..len];
            }
            let r = self.ebu.add_frames_planar_f32(&refs[..self.channels]);
            debug_assert!(r.is_ok());
            pos += len;
            self.frames += len as u64;
            self.until_tick -= len;
            if self.until_tick == 0 {
                self.until_tick = self.frames_per_tick;
                if self.full {
                    self.tick();
                }
            }
        }
    }

    /// Meters frames `start..end` of planar owned channels (`Vec<Vec<f32>>`).
    pub fn add_channels(&mut self, channels: &[Vec<f32>], start: usize, end: usize) {
        let mut refs: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        let n = channels.len().min(self.channels);
        for (r, c) in refs.iter_mut().zip(channels).take(n) {
            *r = &c[start..end];
        }
        self.add(&refs[..n]);
    }

    /// [`Meter::add_parallel`] over frames `start..end` of planar owned channels.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn add_channels_parallel(&mut self, channels: &[Vec<f32>], start: usize, end: usize) {
        let refs: Vec<&[f32]> = channels.iter().take(self.channels).map(|c| &c[start..end]).collect();
        self.add_parallel(&refs);
    }

    /// Integrated loudness so far, LUFS (`None` below the absolute gate).
    pub fn integrated_lufs(&self) -> Option<f64> {
        finite(self.ebu.loudness_global())
    }

    /// Momentary loudness (last 400 ms), LUFS.
    pub fn momentary_lufs(&self) -> Option<f64> {
        finite(self.ebu.loudness_momentary())
    }

    /// Short-term loudness (last 3 s), LUFS.
    pub fn short_term_lufs(&self) -> Option<f64> {
        finite(self.ebu.loudness_shortterm())
    }

    /// Maximum true peak over all channels so far, dBTP.
    pub fn true_peak_dbtp(&self) -> Option<f64> {
        let tp = self.true_peaks.iter().map(TruePeak::peak).fold(0.0f64, f64::max);
        lin_to_db(tp)
    }

    /// Maximum sample peak over all channels so far, dBFS.
    pub fn sample_peak_dbfs(&self) -> Option<f64> {
        let sp = self.sample_peak[..self.channels].iter().fold(0.0f32, |m, v| max2_f32(*v, m));
        lin_to_db(sp as f64)
    }

    /// Loudness range so far, LU (0 when unavailable or not metered).
    pub fn lra_lu(&self) -> f64 {
        self.ebu.loudness_range().ok().filter(|x| x.is_finite()).unwrap_or(0.0)
    }

    /// Frames metered so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Summarises everything metered so far.
    pub fn report(&self) -> LoudnessReport {
        let integrated_lufs = self.integrated_lufs();
        let true_peak_dbtp = self.true_peak_dbtp();
        LoudnessReport {
            integrated_lufs,
            lra_lu: if integrated_lufs.is_some() { self.lra_lu() } else { 0.0 },
            true_peak_dbtp,
            sample_peak_dbfs: self.sample_peak_dbfs(),
            plr_db: match (true_peak_dbtp, integrated_lufs) {
                (Some(tp), Some(i)) => Some(tp - i),
                _ => None,
            },
            max_momentary_lufs: self.max_momentary,
            max_short_term_lufs: self.max_short_term,
            curve_interval_s: 0.1,
            short_term_curve: self.curve.clone(),
            duration_s: self.frames as f64 / self.sample_rate as f64,
            sample_rate: self.sample_rate,
            channels: self.channels,
        }
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Meters a whole file (planar, 1 to 5 channels). Audio that cannot be metered
/// (no channels, more than two, an unusable rate) gives an empty report.
pub fn analyze(channels: &[Vec<f32>], sample_rate: u32) -> LoudnessReport {
    let Ok(mut m) = Meter::new(channels.len(), sample_rate) else {
        return LoudnessReport { sample_rate, channels: channels.len(), ..Default::default() };
    };
    let n = channels.iter().map(Vec::len).min().unwrap_or(0);
    m.add_channels(channels, 0, n);
    m.report()
}

/// Decodes a programme while metering it: `decode` fills the next frames of
/// every channel (one slice per channel, all the same length) and is called
/// over the whole programme, in order, on a second thread, which also runs
/// the true-peak detectors, while this one meters each piece (BS.1770) as
/// soon as it is filled. Returns the decoded channels and the meter, which
/// has metered all of them: the same report as metering them afterwards.
#[cfg(not(target_arch = "wasm32"))]
pub fn decode_and_measure(
    channels: usize,
    frames: usize,
    sample_rate: u32,
    mut decode: impl FnMut(&mut [&mut [f32]]) -> Result<(), DspError> + Send,
) -> Result<(Vec<Vec<f32>>, Meter), DspError> {
    /// Frames decoded and metered at a time (about a second).
    const PIECE: usize = 1 << 16;
    let mut meter = Meter::new(channels, sample_rate)?;
    let mut peaks = meter.split_true_peak();
    let mut input = crate::render::zeroed(channels, frames);
    let decoded = std::thread::scope(|sc| {
        let (tx, rx) = std::sync::mpsc::channel::<Vec<&[f32]>>();
        let input = &mut input;
        let decoding = sc.spawn(move || -> Result<TruePeaks, DspError> {
            for mut piece in crate::render::in_step(input.iter_mut().map(|c| c.chunks_mut(PIECE)).collect()) {
                decode(&mut piece)?;
                let piece: Vec<&[f32]> = piece.into_iter().map(|c| &*c).collect();
                // The meter only stops early if it panicked: the scope reports it.
                let _ = tx.send(piece.clone());
                peaks.add(&piece);
            }
            Ok(peaks)
        });
        for piece in rx {
            meter.add(&piece);
        }
        decoding.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
    });
    meter.join_true_peak(decoded?);
    Ok((input, meter))
}

/// The AudioWorklet's meter: momentary and short-term loudness and the sample
/// peak, updated block by block.
///
/// Lifecycle: [`LiveMeter::new`] allocates; [`LiveMeter::process`],
/// [`LiveMeter::reset`] and the readers never allocate, lock or panic.
pub struct LiveMeter {
    /// The BS.1770 meter (momentary and short-term modes only, so no history
    /// grows; the sample peak is tracked here).
    ebu: EbuR128,
    /// Channels, 1 or 2.
    channels: usize,
    /// Largest sample magnitude since the last [`LiveMeter::take_sample_peak_dbfs`], linear.
    peak_lin: f64,
    /// Sanitised copies of the current chunk, one per channel.
    scratch: [Vec<f32>; 2],
}

impl LiveMeter {
    /// A live meter for `channels` (1 or 2) at `sample_rate` Hz. Allocates.
    pub fn new(channels: usize, sample_rate: u32) -> Result<Self, DspError> {
        if channels > 2 {
            return Err(DspError::Unsupported(format!("{channels} channels: the live meter is mono or stereo")));
        }
        let ebu = new_ebu(channels, sample_rate, Mode::S)?;
        Ok(Self { ebu, channels, peak_lin: 0.0, scratch: [vec![0.0; CHUNK], vec![0.0; CHUNK]] })
    }

    /// Meters one block. For a mono meter `right` is ignored. Any block length.
    /// Never allocates.
    pub fn process(&mut self, left: &[f32], right: &[f32]) {
        let n = if self.channels == 2 { left.len().min(right.len()) } else { left.len() };
        let mut pos = 0;
        while pos < n {
            let len = (n - pos).min(CHUNK);
            let [a, b] = &mut self.scratch;
            let ma = sanitize_peak(&left[pos..pos + len], &mut a[..len]);
            self.peak_lin = max2(ma as f64, self.peak_lin);
            let r = if self.channels == 2 {
                let mb = sanitize_peak(&right[pos..pos + len], &mut b[..len]);
                self.peak_lin = max2(mb as f64, self.peak_lin);
                self.ebu.add_frames_planar_f32(&[&a[..len], &b[..len]])
            } else {
                self.ebu.add_frames_planar_f32(&[&a[..len]])
            };
            debug_assert!(r.is_ok());
            pos += len;
        }
    }

    /// Clears all state, as if silence had been playing forever. Never allocates.
    pub fn reset(&mut self) {
        self.ebu.reset();
        self.peak_lin = 0.0;
    }

    /// Momentary loudness (last 400 ms), LUFS; `None` for silence.
    pub fn momentary_lufs(&self) -> Option<f64> {
        finite(self.ebu.loudness_momentary())
    }

    /// Short-term loudness (last 3 s), LUFS; `None` for silence.
    pub fn short_term_lufs(&self) -> Option<f64> {
        finite(self.ebu.loudness_shortterm())
    }

    /// Largest sample peak since the previous call, dBFS, and restarts the hold.
    pub fn take_sample_peak_dbfs(&mut self) -> Option<f64> {
        let p = lin_to_db(self.peak_lin);
        self.peak_lin = 0.0;
        p
    }
}

/// The AudioWorklet's integrated loudness: BS.1770 gated loudness of
/// everything fed since `new` or [`LiveIntegrated::reset`], however long.
///
/// `ebur128`'s plain [`Mode::I`] keeps every 400 ms gating block in a queue
/// that grows by ten blocks a second (a reallocation after 500 s of audio),
/// so this meter runs it with [`Mode::HISTOGRAM`]: the blocks are counted in
/// a fixed histogram of 1000 bins 0.1 LU wide from −70 to +30 LUFS,
/// allocated once. Each block counts as the energy at its bin's centre, so
/// the reading is within 0.05 LU of the exact gated mean (and a block within
/// 0.1 LU of the relative gate may fall on either side of it), far inside the
/// ±0.1 LU EBU Tech 3341 allows a meter.
///
/// Lifecycle: [`LiveIntegrated::new`] allocates; [`LiveIntegrated::process`],
/// [`LiveIntegrated::reset`] and [`LiveIntegrated::integrated_lufs`] never
/// allocate, lock or panic.
pub struct LiveIntegrated {
    /// The BS.1770 meter, integrated mode on a histogram.
    ebu: EbuR128,
    /// Channels, 1 or 2.
    channels: usize,
    /// Sanitised copies of the current chunk, one per channel.
    scratch: [Vec<f32>; 2],
}

impl LiveIntegrated {
    /// A meter for `channels` (1 or 2) at `sample_rate` Hz, weighted as
    /// [`Meter`] weights them. Allocates.
    pub fn new(channels: usize, sample_rate: u32) -> Result<Self, DspError> {
        if channels > 2 {
            return Err(DspError::Unsupported(format!("{channels} channels: the live meter is mono or stereo")));
        }
        let ebu = new_ebu(channels, sample_rate, Mode::I | Mode::HISTOGRAM)?;
        Ok(Self { ebu, channels, scratch: [vec![0.0; CHUNK], vec![0.0; CHUNK]] })
    }

    /// Meters one block (NaN and ±Inf as 0). For a mono meter `right` is
    /// ignored. Any block length. Never allocates.
    pub fn process(&mut self, left: &[f32], right: &[f32]) {
        let n = if self.channels == 2 { left.len().min(right.len()) } else { left.len() };
        let mut pos = 0;
        while pos < n {
            let len = (n - pos).min(CHUNK);
            let [a, b] = &mut self.scratch;
            sanitize(&left[pos..pos + len], &mut a[..len]);
            let r = if self.channels == 2 {
                sanitize(&right[pos..pos + len], &mut b[..len]);
                self.ebu.add_frames_planar_f32(&[&a[..len], &b[..len]])
            } else {
                self.ebu.add_frames_planar_f32(&[&a[..len]])
            };
            debug_assert!(r.is_ok());
            pos += len;
        }
    }

    /// Forgets everything metered. Never allocates.
    pub fn reset(&mut self) {
        self.ebu.reset();
    }

    /// Integrated loudness so far, LUFS; `None` before the first 400 ms
    /// block and while every block is below the absolute gate (−70 LUFS).
    pub fn integrated_lufs(&self) -> Option<f64> {
        finite(self.ebu.loudness_global())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, dbfs: f64, secs: f64, sr: u32) -> Vec<f32> {
        let a = libm::pow(10.0, dbfs / 20.0);
        (0..(secs * sr as f64) as usize)
            .map(|i| (a * libm::sin(2.0 * core::f64::consts::PI * freq * i as f64 / sr as f64)) as f32)
            .collect()
    }

    #[test]
    fn mono_is_one_channel_at_weight_one() {
        let s = sine(997.0, -20.0, 5.0, 48_000);
        let mono = analyze(&[s.clone()], 48_000).integrated_lufs.unwrap();
        let stereo = analyze(&[s.clone(), s], 48_000).integrated_lufs.unwrap();
        // Two identical channels carry twice the power of one: +3.01 dB.
        assert!((stereo - mono - 10.0 * libm::log10(2.0)).abs() < 1e-6, "{mono} {stereo}");
        // −20 dBFS sine in both channels of stereo reads −20 LUFS (Tech 3341 case 2).
        assert!((stereo + 20.0).abs() < 0.1, "{stereo}");
    }

    #[test]
    fn sample_peak_is_what_ebur128_reports() {
        // Our sample peak (taken while sanitising) against ebur128's own
        // sample-peak mode, on noise with a NaN and an infinity in it.
        let mut seed = 3u32;
        let mut ch = || -> Vec<f32> {
            (0..50_000)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as f32 / u32::MAX as f32 - 0.5
                })
                .collect()
        };
        let (mut l, r) = (ch(), ch());
        l[100] = f32::NAN;
        l[200] = f32::INFINITY;
        let mut m = Meter::new(2, 48_000).unwrap();
        m.add(&[&l, &r]);
        let mut e = EbuR128::new(2, 48_000, Mode::SAMPLE_PEAK).unwrap();
        let (mut lc, mut rc) = (vec![0.0; l.len()], vec![0.0; r.len()]);
        sanitize(&l, &mut lc);
        sanitize(&r, &mut rc);
        e.add_frames_planar_f32(&[&lc, &rc]).unwrap();
        let want = e.sample_peak(0).unwrap().max(e.sample_peak(1).unwrap());
        assert_eq!(m.sample_peak_dbfs(), lin_to_db(want));
    }

    #[test]
    fn silence_is_none_and_json_has_no_nan() {
        let r = analyze(&[vec![0.0; 96_000], vec![0.0; 96_000]], 48_000);
        assert_eq!(r.integrated_lufs, None);
        assert_eq!(r.true_peak_dbtp, None);
        assert_eq!(r.plr_db, None);
        assert_eq!(r.lra_lu, 0.0);
        assert_eq!(r.short_term_curve.len(), 20);
        let j = serde_json::to_string(&r).unwrap();
        assert!(!j.contains("NaN") && !j.contains("inf"), "{j}");
        let empty = analyze(&[], 48_000);
        assert_eq!(empty.integrated_lufs, None);
    }

    #[test]
    fn block_size_does_not_change_the_report() {
        let s = sine(440.0, -12.0, 4.0, 44_100);
        let whole = analyze(&[s.clone(), s.clone()], 44_100);
        let mut m = Meter::new(2, 44_100).unwrap();
        for chunk in (0..s.len()).step_by(127) {
            let e = (chunk + 127).min(s.len());
            m.add(&[&s[chunk..e], &s[chunk..e]]);
        }
        assert_eq!(m.report(), whole);
        assert_eq!(whole.short_term_curve.len(), 40);
    }

    /// A noise burst pattern with level changes inside and across 3 s windows.
    fn bursts(sr: u32, secs: f64, seed: u32) -> Vec<f32> {
        let mut x = seed;
        (0..(secs * sr as f64) as usize)
            .map(|i| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let level = [0.5, 0.05, 0.2, 0.0, 0.8][(i / (sr as usize * 7 / 10)) % 5];
                level * ((x >> 8) as f32 / (1u32 << 23) as f32 - 1.0)
            })
            .collect()
    }

    #[test]
    fn curve_matches_the_short_term_and_momentary_windows() {
        // The curve is built from 100 ms sub-windows; it must read what
        // ebur128's own 3 s and 400 ms windows read at every tick.
        for sr in [44_100, 48_000] {
            let (l, r) = (bursts(sr, 9.0, 1), bursts(sr, 9.0, 2));
            let mut m = Meter::new(2, sr).unwrap();
            let tick = sr as usize / 10;
            let (mut max_m, mut max_s) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
            for (k, start) in (0..l.len()).step_by(tick).enumerate() {
                m.add(&[&l[start..start + tick], &r[start..start + tick]]);
                let want = m.short_term_lufs();
                let got = m.curve[k];
                match (want, got) {
                    (Some(w), Some(g)) => assert!((w - g).abs() < 1e-9, "{sr} tick {k}: {w} vs {g}"),
                    (w, g) => assert_eq!(w, g, "{sr} tick {k}"),
                }
                // Momentary: the mean energy of the last four ticks.
                let e = |j: usize| m.tick_curve()[j].map_or(0.0, |l| libm::pow(10.0, (l + 0.691) / 10.0));
                let moment = (k.saturating_sub(3)..=k).map(e).sum::<f64>() / 4.0;
                let got = (moment > 0.0).then(|| -0.691 + 10.0 * libm::log10(moment));
                match (m.momentary_lufs(), got) {
                    (Some(w), Some(g)) => assert!((w - g).abs() < 1e-9, "{sr} tick {k}: {w} vs {g}"),
                    (w, g) => assert_eq!(w, g, "{sr} tick {k}"),
                }
                max_s = max_s.max(want.unwrap_or(f64::NEG_INFINITY));
                max_m = max_m.max(m.momentary_lufs().unwrap_or(f64::NEG_INFINITY));
            }
            assert_eq!(m.tick_curve().len(), m.short_term_curve().len());
            assert!((m.max_short_term.unwrap() - max_s).abs() < 1e-9);
            assert!((m.max_momentary.unwrap() - max_m).abs() < 1e-9);
        }
    }

    #[test]
    fn light_meter_reads_the_same_integrated_loudness_and_peaks() {
        let sr = 48_000;
        let (l, r) = (bursts(sr, 6.0, 3), bursts(sr, 6.0, 4));
        let full = analyze(&[l.clone(), r.clone()], sr);
        let mut m = Meter::with_mode(2, sr, false).unwrap();
        m.add(&[&l, &r]);
        let light = m.report();
        // Same gating blocks; the sums may differ in the last bit because the
        // two modes keep different ring-buffer lengths.
        assert!((light.integrated_lufs.unwrap() - full.integrated_lufs.unwrap()).abs() < 1e-9);
        assert_eq!(light.true_peak_dbtp, full.true_peak_dbtp);
        assert_eq!(light.sample_peak_dbfs, full.sample_peak_dbfs);
        assert!(light.short_term_curve.is_empty() && light.lra_lu == 0.0);
    }

    #[test]
    fn true_peak_skipping_is_exact() {
        // Interpolating every sample (the reference here) and the detector,
        // which skips spans that cannot beat the running peak, agree exactly.
        let sr = 44_100;
        let x = bursts(sr, 3.0, 5);
        let mut tp = TruePeak::new(sr);
        for c in x.chunks(100) {
            tp.add(c);
        }
        let mut reference = 0.0f32;
        let padded: Vec<f32> = std::iter::repeat_n(0.0, TP_TAPS - 1).chain(x.iter().copied()).collect();
        for w in padded.windows(TP_TAPS) {
            let mut acc = [0.0f32; 4];
            for (c, &v) in tp.coefs.iter().zip(w) {
                for k in 0..4 {
                    acc[k] += c[k] * v;
                }
            }
            reference = acc.iter().fold(reference.max(w[TP_TAPS - 1].abs()), |m, a| m.max(a.abs()));
        }
        assert_eq!(tp.peak(), reference as f64);
        assert!(tp.peak() > x.iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64);
    }

    #[test]
    fn true_peak_curve_is_exact_per_tick() {
        // Every interpolated value (no skipping) and every sample, each in
        // the tick of the sample that completes its window: the curve's
        // ticks are their maxima exactly, and the report's true peak their
        // maximum; the report is the one without a curve. A partial last
        // tick has its own point.
        for sr in [44_100, 96_000] {
            let (l, r) = (bursts(sr, 3.25, 21), bursts(sr, 3.25, 22));
            let mut m = Meter::new(2, sr).unwrap().with_true_peak_curve();
            for (a, b) in l.chunks(1000).zip(r.chunks(1000)) {
                m.add(&[a, b]);
            }
            let tick = m.tick_frames();
            let ticks = l.len().div_ceil(tick);
            let mut want = vec![0.0f32; ticks];
            for x in [&l, &r] {
                let tp = TruePeak::new(sr);
                let padded: Vec<f32> = std::iter::repeat_n(0.0, TP_TAPS - 1).chain(x.iter().copied()).collect();
                for (i, w) in padded.windows(TP_TAPS).enumerate() {
                    let mut acc = [0.0f32; 4];
                    for (c, &v) in tp.coefs.iter().zip(w) {
                        for k in 0..4 {
                            acc[k] += c[k] * v;
                        }
                    }
                    let t = &mut want[i / tick];
                    *t = acc.iter().fold(t.max(w[TP_TAPS - 1].abs()), |m, a| m.max(a.abs()));
                }
            }
            let want: Vec<Option<f64>> = want.iter().map(|&v| lin_to_db(v as f64)).collect();
            let curve = m.true_peak_curve().unwrap();
            assert_eq!(curve, want, "{sr}");
            assert_eq!(curve.len(), m.short_term_curve().len() + 1);
            let top = curve.iter().flatten().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            assert_eq!(Some(top), m.true_peak_dbtp());
            let mut plain = Meter::new(2, sr).unwrap();
            plain.add(&[&l, &r]);
            assert_eq!(plain.report(), m.report());
            assert_eq!(plain.true_peak_curve(), None);
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn true_peak_wide_paths_match_the_portable_one() {
        // Every path this CPU has gives the same peak, to the bit, on loud
        // noise with overs (values past ±1) and on quiet noise.
        for (sr, gain) in [(44_100, 1.7f32), (48_000, 0.01), (96_000, 1.0)] {
            let mut tp = TruePeak::new(sr);
            let x = bursts(sr, 0.2, 9);
            for span in x.chunks(TP_SPAN) {
                let h = TP_TAPS - 1;
                tp.buf.copy_within(TP_SPAN.., 0);
                tp.buf[h..h + span.len()].iter_mut().zip(span).for_each(|(d, s)| *d = s * gain);
                let len = span.len();
                let mut portable = 0.0;
                tp.interpolate_from(0, len, &mut portable);
                assert!(portable > 0.0);
                let check = |(p, done): (f32, usize)| {
                    let mut rest = p;
                    tp.interpolate_from(done, len, &mut rest);
                    assert_eq!(rest, portable);
                };
                if std::is_x86_feature_detected!("avx512f") {
                    check(unsafe { wide::avx512(&tp.coefs, &tp.buf, len, 0.0) });
                }
                if std::is_x86_feature_detected!("avx") {
                    check(unsafe { wide::avx(&tp.coefs, &tp.buf, len, 0.0) });
                }
            }
        }
    }

    #[test]
    fn decoding_while_metering_gives_the_same_report() {
        let sr = 48_000;
        let x: Vec<Vec<f32>> = (0..2).map(|c| bursts(sr, 9.3, 11 + c)).collect();
        let mut at = 0;
        let (got, m) = decode_and_measure(2, x[0].len(), sr, |piece| {
            let n = piece[0].len();
            piece.iter_mut().zip(&x).for_each(|(p, c)| p.copy_from_slice(&c[at..at + n]));
            at += n;
            Ok(())
        })
        .unwrap();
        assert_eq!(got, x);
        assert_eq!(m.report(), analyze(&x, sr));
        assert!(m.report().true_peak_dbtp.is_some());
        let failed = decode_and_measure(1, 10, sr, |_| Err(DspError::BadInput("cut short".into())));
        assert!(failed.is_err());
    }

    #[test]
    fn parallel_metering_gives_the_same_report() {
        let sr = 44_100;
        let (mut l, r) = (bursts(sr, 7.0, 8), bursts(sr, 7.0, 9));
        l[5000] = f32::NAN;
        let whole = analyze(&[l.clone(), r.clone()], sr);
        let mut m = Meter::new(2, sr).unwrap();
        m.add_channels_parallel(&[l.clone(), r.clone()], 0, 100_000);
        m.add_channels_parallel(&[l.clone(), r.clone()], 100_000, l.len());
        assert_eq!(m.report(), whole);
    }

    #[test]
    fn nan_is_metered_as_zero() {
        let mut s = sine(1000.0, -20.0, 3.0, 48_000);
        let clean = analyze(&[s.clone()], 48_000);
        s[100] = f32::NAN;
        s[200] = f32::INFINITY;
        let dirty = analyze(&[s], 48_000);
        assert!(dirty.integrated_lufs.unwrap().is_finite());
        assert!((dirty.integrated_lufs.unwrap() - clean.integrated_lufs.unwrap()).abs() < 0.01);
    }
}

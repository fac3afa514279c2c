//! Stereo-linked feed-forward compressor, single band or three band.
//!
//! - Level detection on the linked stereo signal: peak (max of |L|, |R|) or RMS
//!   (mean square of both channels through a one-pole average).
//! - Gain computer with a quadratic soft knee, and attack/release smoothing of the
//!   gain reduction in dB (D. Giannoulis, M. Massberg, J. D. Reiss, "Digital dynamic
//!   range compressor design — a tutorial and analysis", JAES 60(6), 2012).
//! - Single-band mode high-passes the sidechain (RBJ high-pass) so bass does not
//!   pump the whole mix.
//! - Three-band mode splits with Linkwitz–Riley crossovers ([`super::crossover`]);
//!   with neutral bands the sum is flat.
//! - The detector runs every sample; the gain computer and envelope run every
//!   [`GAIN_STEP`] samples (at absolute positions, so output is block-size
//!   invariant) and the gain is ramped linearly in between. At 48 kHz that is a
//!   12 kHz control rate, far finer than any attack time the UI offers.

use super::biquad::{Coefs, State};
use super::crossover::ThreeWay;
use super::util::{
    fast_amp_to_db, fast_db_to_amp, fast_pow_to_db, flush, if_greater, max2, one_pole_coef, Smoothed,
    CONTROL_PERIOD, SMOOTH_MS,
};
use crate::settings::{CompressorMode, CompressorSettings, Detector, Dynamics};

/// RMS averaging time constant, ms.
const RMS_MS: f64 = 10.0;
/// Samples per gain-computer step.
pub const GAIN_STEP: usize = 4;

/// Gain computer and envelope for one band.
#[derive(Clone, Copy, Debug, Default)]
struct Band {
    /// Threshold, dBFS (smoothed).
    threshold_db: Smoothed,
    /// 1/ratio − 1 (smoothed).
    slope: Smoothed,
    /// Knee width, dB (smoothed).
    knee_db: Smoothed,
    /// Makeup gain, dB (smoothed).
    makeup_db: Smoothed,
    /// Attack coefficient per sample.
    att: f64,
    /// Release coefficient per sample.
    rel: f64,
    /// Mean-square detector state (RMS mode), linear power.
    ms: f64,
    /// Largest |sample| in the current step (peak mode), linear.
    step_peak: f64,
    /// Smoothed gain reduction, dB (≥ 0).
    env_db: f64,
    /// Gain at the start of the current step's ramp, linear.
    g_from: f64,
    /// Gain at the end of the current step's ramp, linear.
    g_to: f64,
}

impl Band {
    fn targets(d: &Dynamics) -> (f64, f64, f64, f64) {
        let ratio = (d.ratio as f64).clamp(1.0, 100.0);
        (
            (d.threshold_db as f64).clamp(-80.0, 0.0),
            1.0 / ratio - 1.0,
            (d.knee_db as f64).clamp(0.0, 24.0),
            (d.makeup_db as f64).clamp(-24.0, 24.0),
        )
    }

    fn set(&mut self, d: &Dynamics, fs: f64, coef: Option<f64>) {
        let (t, s, k, m) = Self::targets(d);
        match coef {
            None => {
                self.threshold_db.snap(t);
                self.slope.snap(s);
                self.knee_db.snap(k);
                self.makeup_db.snap(m);
            }
            Some(c) => {
                self.threshold_db.tick(t, c);
                self.slope.tick(s, c);
                self.knee_db.tick(k, c);
                self.makeup_db.tick(m, c);
            }
        }
        let step_rate = fs / GAIN_STEP as f64;
        self.att = 1.0 - one_pole_coef((d.attack_ms as f64).clamp(0.1, 500.0), step_rate);
        self.rel = 1.0 - one_pole_coef((d.release_ms as f64).clamp(1.0, 5000.0), step_rate);
    }

    /// Gain reduction (dB ≥ 0) the static curve asks for at `level_db`.
    #[inline(always)]
    fn curve(&self, level_db: f64) -> f64 {
        let t = self.threshold_db.to;
        let w = self.knee_db.to;
        let s = self.slope.to; // 1/R − 1 (≤ 0)
        let over = level_db - t;
        if 2.0 * over <= -w {
            0.0
        } else if w > 0.0 && 2.0 * over.abs() <= w {
            // 1/(2w) does not depend on the level, so it is off the
            // detector's dependency path.
            let z = over + w / 2.0;
            (-s * z * z) * (0.5 / w)
        } else {
            -s * over
        }
    }

    /// Feeds one linked detector sample.
    #[inline(always)]
    fn detect(&mut self, detector: Detector, l: f64, r: f64, rms_coef: f64) {
        match detector {
            Detector::Peak => self.step_peak = max2(self.step_peak, max2(l.abs(), r.abs())),
            Detector::Rms => {
                let p = 0.5 * (l * l + r * r);
                self.ms += rms_coef * (p - self.ms);
            }
        }
    }

    /// Gain for sample `j` (0..GAIN_STEP) of the current step.
    #[inline(always)]
    fn ramp(&self, j: usize) -> f64 {
        self.g_from + (self.g_to - self.g_from) * ((j + 1) as f64 / GAIN_STEP as f64)
    }

    /// Ends a step: runs the gain computer and envelope on the detected level and
    /// sets the next ramp's target (makeup at control position `k`).
    #[inline(always)]
    fn step(&mut self, detector: Detector, k: usize) {
        let level_db = match detector {
            Detector::Peak => fast_amp_to_db(core::mem::take(&mut self.step_peak)),
            Detector::Rms => fast_pow_to_db(self.ms),
        };
        let target = self.curve(level_db);
        let a = if_greater(target, self.env_db, self.att, self.rel);
        self.env_db = target + a * (self.env_db - target);
        let makeup = self.makeup_db.at(k);
        self.g_from = self.g_to;
        self.g_to = if self.env_db < 1e-9 && makeup == 0.0 {
            1.0
        } else {
            fast_db_to_amp(makeup - self.env_db)
        };
    }

    fn reset(&mut self) {
        self.ms = 0.0;
        self.step_peak = 0.0;
        self.env_db = 0.0;
        let g = fast_db_to_amp(self.makeup_db.to);
        self.g_from = g;
        self.g_to = g;
    }
}

/// The compressor.
pub struct Compressor {
    /// Sample rate, Hz.
    fs: f64,
    /// Control smoothing coefficient.
    coef: f64,
    /// RMS averaging coefficient per sample.
    rms_coef: f64,
    /// Full-band dynamics.
    single: Band,
    /// Per-band dynamics, low/mid/high.
    bands: [Band; 3],
    /// Crossovers, left and right.
    split: [ThreeWay; 2],
    /// Smoothed crossover frequencies, log2(Hz).
    xover: [Smoothed; 2],
    /// Sidechain high-pass coefficients (identity when off).
    sc_hp: Coefs,
    /// Sidechain high-pass state, left and right.
    sc_st: [State; 2],
    /// Wet (compressor in) mix, smoothed.
    wet: Smoothed,
    /// Multiband mix (1 = three band), smoothed.
    multiband: Smoothed,
    /// Detector mode.
    detector: Detector,
    /// Largest gain reduction in the last control period, dB.
    gr_db: f64,
    /// Settings at the last control update (skips the update while unchanged).
    last: Option<CompressorSettings>,
    /// True when every smoothed parameter has reached its target.
    idle: bool,
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

impl Compressor {
    /// A compressor; call `prepare` before use.
    pub fn new() -> Self {
        Self {
            last: None,
            idle: false,
            fs: 48_000.0,
            coef: 1.0,
            rms_coef: 1.0,
            single: Band::default(),
            bands: [Band::default(); 3],
            split: [ThreeWay::new(200.0, 3000.0, 48_000.0); 2],
            xover: [Smoothed::default(); 2],
            sc_hp: Coefs::IDENTITY,
            sc_st: [State::default(); 2],
            wet: Smoothed::default(),
            multiband: Smoothed::default(),
            detector: Detector::Rms,
            gr_db: 0.0,
        }
    }

    /// Sets the rate and snaps to `s`. No allocation.
    pub fn prepare(&mut self, fs: f64, s: &CompressorSettings) {
        self.fs = fs;
        self.coef = one_pole_coef(SMOOTH_MS, fs / CONTROL_PERIOD as f64);
        self.rms_coef = one_pole_coef(RMS_MS, fs);
        self.apply(s, None);
        self.reset();
    }

    /// Clears all state.
    pub fn reset(&mut self) {
        self.single.reset();
        for b in &mut self.bands {
            b.reset();
        }
        for s in &mut self.split {
            s.reset();
        }
        self.sc_st = [State::default(); 2];
        self.gr_db = 0.0;
    }

    fn xover_targets(s: &CompressorSettings, fs: f64) -> (f64, f64) {
        let f1 = (s.crossover_low_hz as f64).clamp(20.0, 0.4 * fs);
        let f2 = (s.crossover_high_hz as f64).clamp(f1 * 1.5, 0.45 * fs);
        (libm::log2(f1), libm::log2(f2))
    }

    fn apply(&mut self, s: &CompressorSettings, coef: Option<f64>) {
        let fs = self.fs;
        self.single.set(&s.single, fs, coef);
        for (b, d) in self.bands.iter_mut().zip(&s.bands) {
            b.set(d, fs, coef);
        }
        self.detector = s.detector;
        let (f1, f2) = Self::xover_targets(s, fs);
        let wet = if s.bypass { 0.0 } else { 1.0 };
        let mb = if s.mode == CompressorMode::Multiband { 1.0 } else { 0.0 };
        match coef {
            None => {
                self.xover[0].snap(f1);
                self.xover[1].snap(f2);
                self.wet.snap(wet);
                self.multiband.snap(mb);
                for sp in &mut self.split {
                    sp.set_freqs(libm::exp2(f1), libm::exp2(f2), fs);
                }
            }
            Some(c) => {
                self.xover[0].tick(f1, c);
                self.xover[1].tick(f2, c);
                self.wet.tick(wet, c);
                self.multiband.tick(mb, c);
                if !(self.xover[0].settled() && self.xover[1].settled()) {
                    let (a, b) = (libm::exp2(self.xover[0].to), libm::exp2(self.xover[1].to));
                    for sp in &mut self.split {
                        sp.set_freqs(a, b, fs);
                    }
                }
            }
        }
        let sc = s.sidechain_hpf_hz as f64;
        self.sc_hp = if sc > 0.0 {
            Coefs::highpass(sc.min(0.45 * fs), core::f64::consts::FRAC_1_SQRT_2, fs)
        } else {
            Coefs::IDENTITY
        };
    }

    /// Jumps every smoothed parameter to `s` (no ramp). No allocation.
    pub fn snap(&mut self, s: &CompressorSettings) {
        self.apply(s, None);
        self.last = Some(*s);
        self.idle = true;
    }

    /// True when no smoothed parameter is moving.
    fn all_settled(&self) -> bool {
        self.wet.settled() && self.multiband.settled() && self.xover.iter().all(Smoothed::settled) && core::iter::once(&self.single).chain(self.bands.iter()).all(|b| b.threshold_db.settled() && b.slope.settled() && b.knee_db.settled() && b.makeup_db.settled())
    }

    /// Control-rate update. No allocation.
    pub fn control(&mut self, s: &CompressorSettings) {
        if !(self.idle && self.last == Some(*s)) {
            self.apply(s, Some(self.coef));
            self.last = Some(*s);
            self.idle = self.all_settled();
        }
        self.gr_db = 0.0;
    }

    /// The single band's gain for the sample (L `x`, R `y`) at control position
    /// `k`: side-chain filter, detector, gain ramp, and at the end of a gain
    /// step the gain computer.
    #[inline(always)]
    fn single_gain(&mut self, x: f64, y: f64, k: usize, det: Detector, rc: f64) -> f64 {
        let j = k % GAIN_STEP;
        let (a, b) = if self.sc_hp.is_identity() {
            (x, y)
        } else {
            (self.sc_st[0].tick(&self.sc_hp, x), self.sc_st[1].tick(&self.sc_hp, y))
        };
        self.single.detect(det, a, b, rc);
        let g = self.single.ramp(j);
        if j == GAIN_STEP - 1 {
            self.single.step(det, k);
            self.gr_db = max2(self.gr_db, self.single.env_db);
        }
        g
    }

    /// Compresses a segment of at most one control period starting `phase` frames in.
    pub fn process(&mut self, l: &mut [f64], r: &mut [f64], phase: usize) {
        let wet_off = self.wet.settled() && self.wet.to == 0.0;
        if wet_off {
            return;
        }
        let mb_mix = self.multiband;
        let use_single = !(mb_mix.settled() && mb_mix.to == 1.0);
        let use_multi = !(mb_mix.settled() && mb_mix.to == 0.0);
        let det = self.detector;
        let rc = self.rms_coef;
        let n = l.len().min(r.len());
        if !use_multi && self.wet.settled() && self.wet.to == 1.0 && n <= CONTROL_PERIOD {
            // Single band, fully in: detection and gains first, then the gains
            // applied in a loop of their own (the same arithmetic).
            let mut gains = [0.0f64; CONTROL_PERIOD];
            for (i, g) in gains[..n].iter_mut().enumerate() {
                *g = self.single_gain(l[i], r[i], phase + i, det, rc);
            }
            for ((x, y), g) in l.iter_mut().zip(r.iter_mut()).zip(&gains[..n]) {
                *x *= g;
                *y *= g;
            }
            self.flush_state();
            return;
        }
        for i in 0..l.len() {
            let (x, y) = (l[i], r[i]);
            let k = phase + i;
            let j = k % GAIN_STEP;
            let (mut sl, mut sr) = (x, y);
            if use_single {
                let g = self.single_gain(x, y, k, det, rc);
                sl = x * g;
                sr = y * g;
            }
            if use_multi {
                let bl = self.split[0].split(x);
                let br = self.split[1].split(y);
                let (mut ml, mut mr) = (0.0, 0.0);
                for (band, (a, b)) in self.bands.iter_mut().zip(bl.into_iter().zip(br)) {
                    band.detect(det, a, b, rc);
                    let g = band.ramp(j);
                    ml += a * g;
                    mr += b * g;
                    if j == GAIN_STEP - 1 {
                        band.step(det, k);
                        self.gr_db = max2(self.gr_db, band.env_db);
                    }
                }
                if use_single {
                    let m = mb_mix.at(k);
                    sl += (ml - sl) * m;
                    sr += (mr - sr) * m;
                } else {
                    sl = ml;
                    sr = mr;
                }
            }
            if self.wet.settled() {
                l[i] = sl;
                r[i] = sr;
            } else {
                let w = self.wet.at(k);
                l[i] = x + (sl - x) * w;
                r[i] = y + (sr - y) * w;
            }
        }
        self.flush_state();
    }

    fn flush_state(&mut self) {
        for b in core::iter::once(&mut self.single).chain(self.bands.iter_mut()) {
            b.ms = flush(b.ms);
            b.step_peak = flush(b.step_peak);
            b.env_db = flush(b.env_db);
        }
        for s in &mut self.split {
            s.flush();
        }
        for s in &mut self.sc_st {
            s.flush();
        }
    }

    /// Largest gain reduction since the last control update, dB.
    pub fn gain_reduction_db(&self) -> f64 {
        self.gr_db
    }

    /// True when no state is subnormal.
    pub fn state_is_clean(&self) -> bool {
        let ok = |x: f64| x == 0.0 || x.is_normal();
        core::iter::once(&self.single)
            .chain(self.bands.iter())
            .all(|b| ok(b.ms) && ok(b.env_db))
            && self.split.iter().all(ThreeWay::is_clean)
            && self.sc_st.iter().all(State::is_clean)
    }
}

/// The three-band split on its own, for tests and displays: returns the bands of
/// a mono signal.
pub fn split_three(x: &[f64], f1_hz: f64, f2_hz: f64, fs: f64) -> [Vec<f64>; 3] {
    let mut s = ThreeWay::new(f1_hz, f2_hz, fs);
    let mut out = [Vec::with_capacity(x.len()), Vec::with_capacity(x.len()), Vec::with_capacity(x.len())];
    for &v in x {
        let b = s.split(v);
        for j in 0..3 {
            out[j].push(b[j]);
        }
    }
    out
}

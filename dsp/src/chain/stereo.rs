//! Stereo image: mid/side width (0–200 %), mono bass below an adjustable
//! crossover, and a running correlation reading.
//!
//! Mono bass uses a Linkwitz–Riley split of the side signal: the side keeps only
//! its high band, while the mid goes through the matching all-pass, so mid and
//! side stay phase-aligned above the crossover.

use super::biquad::{Coefs, State};
use super::crossover::Lr4;
use super::util::{flush, one_pole_coef, Smoothed, CONTROL_PERIOD, SMOOTH_MS};
use crate::settings::StereoSettings;
use core::f64::consts::FRAC_1_SQRT_2;

/// Correlation averaging time constant, ms.
const CORR_MS: f64 = 300.0;

/// The stereo stage.
pub struct Stereo {
    /// Sample rate, Hz.
    fs: f64,
    /// Control smoothing coefficient.
    coef: f64,
    /// Side gain (width / 100), smoothed.
    side_gain: Smoothed,
    /// Mono-bass mix (1 = on), smoothed.
    mono_bass: Smoothed,
    /// Mono-bass crossover, log2(Hz), smoothed.
    xover: Smoothed,
    /// Side-signal split.
    side_split: Lr4,
    /// Mid all-pass coefficients (the LR4 sum at the crossover).
    mid_ap: Coefs,
    /// Mid all-pass state.
    mid_ap_st: State,
    /// Wet (stage in) mix, smoothed.
    wet: Smoothed,
    /// Correlation averaging coefficient per control period.
    corr_coef: f64,
    /// Sums of L·R, L² and R² over the control period so far.
    corr_acc: [f64; 3],
    /// Running mean of L·R.
    e_lr: f64,
    /// Running mean of L².
    e_ll: f64,
    /// Running mean of R².
    e_rr: f64,
    /// Settings at the last control update (skips the update while unchanged).
    last: Option<StereoSettings>,
    /// True when every smoothed parameter has reached its target.
    idle: bool,
}

impl Default for Stereo {
    fn default() -> Self {
        Self::new()
    }
}

impl Stereo {
    /// A neutral stereo stage; call `prepare` before use.
    pub fn new() -> Self {
        Self {
            last: None,
            idle: false,
            fs: 48_000.0,
            coef: 1.0,
            side_gain: Smoothed::default(),
            mono_bass: Smoothed::default(),
            xover: Smoothed::default(),
            side_split: Lr4::new(120.0, 48_000.0),
            mid_ap: Coefs::IDENTITY,
            mid_ap_st: State::default(),
            wet: Smoothed::default(),
            corr_coef: 0.0,
            corr_acc: [0.0; 3],
            e_lr: 0.0,
            e_ll: 0.0,
            e_rr: 0.0,
        }
    }

    /// Sets the rate and snaps to `s`. No allocation.
    pub fn prepare(&mut self, fs: f64, s: &StereoSettings) {
        self.fs = fs;
        self.coef = one_pole_coef(SMOOTH_MS, fs / CONTROL_PERIOD as f64);
        self.corr_coef = one_pole_coef(CORR_MS, fs / CONTROL_PERIOD as f64);
        self.apply(s, None);
        self.reset();
    }

    /// Clears state.
    pub fn reset(&mut self) {
        self.side_split.reset();
        self.mid_ap_st.reset();
        self.e_lr = 0.0;
        self.e_ll = 0.0;
        self.e_rr = 0.0;
        self.corr_acc = [0.0; 3];
    }

    fn apply(&mut self, s: &StereoSettings, coef: Option<f64>) {
        let side = (s.width_pct as f64).clamp(0.0, 200.0) / 100.0;
        let mb = if s.mono_bass_enabled { 1.0 } else { 0.0 };
        let xo = libm::log2((s.mono_bass_hz as f64).clamp(20.0, 500.0));
        let wet = if s.bypass { 0.0 } else { 1.0 };
        let was = self.xover.to;
        match coef {
            None => {
                self.side_gain.snap(side);
                self.mono_bass.snap(mb);
                self.xover.snap(xo);
                self.wet.snap(wet);
            }
            Some(c) => {
                self.side_gain.tick(side, c);
                self.mono_bass.tick(mb, c);
                self.xover.tick(xo, c);
                self.wet.tick(wet, c);
            }
        }
        if coef.is_none() || self.xover.to != was {
            let f = libm::exp2(self.xover.to);
            self.side_split.set_freq(f, self.fs);
            self.mid_ap = Coefs::allpass(f, FRAC_1_SQRT_2, self.fs);
        }
    }

    /// Jumps every smoothed parameter to `s` (no ramp). No allocation.
    pub fn snap(&mut self, s: &StereoSettings) {
        self.apply(s, None);
        self.last = Some(*s);
        self.idle = true;
    }

    /// True when no smoothed parameter is moving.
    fn all_settled(&self) -> bool {
        self.side_gain.settled() && self.mono_bass.settled() && self.xover.settled() && self.wet.settled()
    }

    /// Control-rate update. No allocation.
    pub fn control(&mut self, s: &StereoSettings) {
        if !(self.idle && self.last == Some(*s)) {
            self.apply(s, Some(self.coef));
            self.last = Some(*s);
            self.idle = self.all_settled();
        }
    }

    /// Processes a segment of at most one control period starting `phase` frames in.
    pub fn process(&mut self, l: &mut [f64], r: &mut [f64], phase: usize) {
        let active = !(self.wet.settled() && self.wet.to == 0.0);
        let neutral = self.side_gain.settled()
            && self.side_gain.to == 1.0
            && self.mono_bass.settled()
            && self.mono_bass.to == 0.0;
        if active && !neutral {
            let mb_on = !(self.mono_bass.settled() && self.mono_bass.to == 0.0);
            for i in 0..l.len() {
                let k = phase + i;
                let (x, y) = (l[i], r[i]);
                let mut mid = 0.5 * (x + y);
                let mut side = 0.5 * (x - y);
                if mb_on {
                    let (_, side_hi) = self.side_split.split(side);
                    let mid_ap = self.mid_ap_st.tick(&self.mid_ap, mid);
                    let m = self.mono_bass.at(k);
                    mid += (mid_ap - mid) * m;
                    side += (side_hi - side) * m;
                }
                side *= self.side_gain.at(k);
                let (a, b) = (mid + side, mid - side);
                let w = self.wet.at(k);
                l[i] = x + (a - x) * w;
                r[i] = y + (b - y) * w;
            }
            self.side_split.flush();
            self.mid_ap_st.flush();
        } else {
            // Idle: start clean when mono bass is next switched on.
            self.side_split.reset();
            self.mid_ap_st.reset();
        }
        // The correlation meter averages per control period: plain sums over
        // the period (no feedback per sample), then one step of the 300 ms
        // average when the period is complete.
        let [mut slr, mut sll, mut srr] = self.corr_acc;
        for (&x, &y) in l.iter().zip(r.iter()) {
            slr += x * y;
            sll += x * x;
            srr += y * y;
        }
        if phase + l.len() >= CONTROL_PERIOD {
            let (c, k) = (self.corr_coef, 1.0 / CONTROL_PERIOD as f64);
            self.e_lr = flush(self.e_lr + c * (slr * k - self.e_lr));
            self.e_ll = flush(self.e_ll + c * (sll * k - self.e_ll));
            self.e_rr = flush(self.e_rr + c * (srr * k - self.e_rr));
            (slr, sll, srr) = (0.0, 0.0, 0.0);
        }
        self.corr_acc = [slr, sll, srr];
    }

    /// Output correlation, −1..1 (0 for silence).
    pub fn correlation(&self) -> f64 {
        let d = libm::sqrt(self.e_ll * self.e_rr);
        if d > 1e-12 {
            (self.e_lr / d).clamp(-1.0, 1.0)
        } else {
            0.0
        }
    }

    /// True when no state is subnormal.
    pub fn state_is_clean(&self) -> bool {
        let ok = |x: f64| x == 0.0 || x.is_normal();
        self.side_split.is_clean()
            && self.mid_ap_st.is_clean()
            && ok(self.e_lr)
            && ok(self.e_ll)
            && ok(self.e_rr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Correlation after a second of `f(i)` (left, right) at 48 kHz, fed in
    /// control-period segments split at `split` frames.
    fn correlation(f: impl Fn(usize) -> (f64, f64), split: usize) -> f64 {
        let mut st = Stereo::new();
        st.prepare(48_000.0, &StereoSettings::default());
        let mut pos = 0;
        while pos < 48_000 {
            let phase = pos % CONTROL_PERIOD;
            let n = (CONTROL_PERIOD - phase).min(split);
            let (mut l, mut r): (Vec<f64>, Vec<f64>) = (pos..pos + n).map(&f).unzip();
            st.process(&mut l, &mut r, phase);
            pos += n;
        }
        st.correlation()
    }

    #[test]
    fn correlation_reads_in_phase_inverted_and_unrelated() {
        let sine = |i: usize| libm::sin(i as f64 * 0.05);
        let noise = |i: usize| {
            let mut x = (i as u32).wrapping_mul(0x9e37_79b9) ^ 0x5bd1_e995;
            x ^= x >> 15;
            x = x.wrapping_mul(0x2c1b_3c6d);
            x ^= x >> 12;
            x as f64 / u32::MAX as f64 - 0.5
        };
        assert!((correlation(|i| (sine(i), sine(i)), 32) - 1.0).abs() < 1e-9);
        assert!((correlation(|i| (sine(i), -sine(i)), 32) + 1.0).abs() < 1e-9);
        assert!(correlation(|i| (sine(i), noise(i)), 32).abs() < 0.1);
        // The reading does not depend on how the periods are split.
        let f = |i: usize| (sine(i), 0.5 * sine(i) + noise(i));
        assert_eq!(correlation(f, 32), correlation(f, 7));
    }
}

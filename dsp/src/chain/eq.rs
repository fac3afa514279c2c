//! Mastering EQ: subsonic high-pass (12 or 24 dB/oct Butterworth), low shelf,
//! three peaking bands, high shelf, and a tilt (a low and a high shelf of opposite
//! gain around a pivot). RBJ-cookbook biquads with f64 state.
//!
//! Parameters are smoothed at control rate (frequency and Q in the log domain, gain
//! in dB) and the coefficients recomputed while they move, so sweeps never click.
//! Bands at 0 dB are exactly the identity and are skipped.

use super::biquad::{Coefs, StereoBiquad};
use super::util::{one_pole_coef, Smoothed, CONTROL_PERIOD, SMOOTH_MS};
use crate::settings::{EqSettings, Slope};

/// Butterworth Q values for the two sections of a 4th-order high-pass.
const BUTTER4_Q: [f64; 2] = [0.541_196_100_146_197, 1.306_562_964_876_376_5];
/// Butterworth Q for a 2nd-order section.
const BUTTER2_Q: f64 = core::f64::consts::FRAC_1_SQRT_2;

/// What a band is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// High-pass section with fixed Q.
    HighPass,
    /// Low shelf (q holds the slope S).
    LowShelf,
    /// Peaking band.
    Peak,
    /// High shelf (q holds the slope S).
    HighShelf,
}

/// One filter band with smoothed parameters.
#[derive(Clone, Copy, Debug)]
struct Band {
    /// Filter type.
    kind: Kind,
    /// log2 of the frequency, log2(Hz).
    log_f: Smoothed,
    /// Gain, dB.
    gain_db: Smoothed,
    /// log2 of Q (or shelf slope).
    log_q: Smoothed,
    /// The filter.
    filt: StereoBiquad,
}

impl Band {
    fn new(kind: Kind) -> Self {
        Self {
            kind,
            log_f: Smoothed::default(),
            gain_db: Smoothed::default(),
            log_q: Smoothed::default(),
            filt: StereoBiquad::default(),
        }
    }

    fn target(f_hz: f32, gain_db: f32, q: f32) -> (f64, f64, f64) {
        let f = (f_hz as f64).clamp(10.0, 40_000.0);
        let g = (gain_db as f64).clamp(-24.0, 24.0);
        let q = (q as f64).clamp(0.05, 20.0);
        (libm::log2(f), g, libm::log2(q))
    }

    fn set(&mut self, (lf, g, lq): (f64, f64, f64), coef: Option<f64>, fs: f64) {
        match coef {
            None => {
                self.log_f.snap(lf);
                self.gain_db.snap(g);
                self.log_q.snap(lq);
            }
            Some(c) => {
                self.log_f.tick(lf, c);
                self.gain_db.tick(g, c);
                self.log_q.tick(lq, c);
                if self.log_f.settled() && self.gain_db.settled() && self.log_q.settled() {
                    return;
                }
            }
        }
        self.design(fs);
    }

    fn design(&mut self, fs: f64) {
        let f = libm::exp2(self.log_f.to);
        let q = libm::exp2(self.log_q.to);
        let g = self.gain_db.to;
        self.filt.coefs = match self.kind {
            Kind::HighPass => Coefs::highpass(f, q, fs),
            Kind::LowShelf => Coefs::low_shelf(f, q, g, fs),
            Kind::Peak => Coefs::peaking(f, q, g, fs),
            Kind::HighShelf => Coefs::high_shelf(f, q, g, fs),
        };
    }
}

/// Index of each band in `Eq::bands`.
const HP1: usize = 0;
const HP2: usize = 1;
const LOW_SHELF: usize = 2;
const PEAK0: usize = 3;
const HIGH_SHELF: usize = 6;
const TILT_LO: usize = 7;
const TILT_HI: usize = 8;
const BANDS: usize = 9;

/// The EQ.
pub struct Eq {
    /// Sample rate, Hz.
    fs: f64,
    /// Smoothing coefficient per control period.
    coef: f64,
    /// All bands in processing order.
    bands: [Band; BANDS],
    /// Processed/bypassed mix (1 = EQ in), smoothed.
    wet: Smoothed,
    /// High-pass on/off mix, smoothed (the filter runs while it fades).
    hp_on: Smoothed,
    /// Whether the second high-pass section is in use (24 dB/oct).
    hp_steep: bool,
    /// Settings at the last control update (skips the update while unchanged).
    last: Option<EqSettings>,
    /// True when every smoothed parameter has reached its target.
    idle: bool,
}

impl Default for Eq {
    fn default() -> Self {
        Self::new()
    }
}

impl Eq {
    /// A flat EQ; call `prepare` before use.
    pub fn new() -> Self {
        let mut bands = [Band::new(Kind::Peak); BANDS];
        bands[HP1].kind = Kind::HighPass;
        bands[HP2].kind = Kind::HighPass;
        bands[LOW_SHELF].kind = Kind::LowShelf;
        bands[HIGH_SHELF].kind = Kind::HighShelf;
        bands[TILT_LO].kind = Kind::LowShelf;
        bands[TILT_HI].kind = Kind::HighShelf;
        Self {
            last: None,
            idle: false,
            fs: 48_000.0,
            coef: 1.0,
            bands,
            wet: Smoothed::default(),
            hp_on: Smoothed::default(),
            hp_steep: false,
        }
    }

    /// Sets the rate; the next `control` call snaps to its settings. No allocation.
    pub fn prepare(&mut self, fs: f64, s: &EqSettings) {
        self.fs = fs;
        self.coef = one_pole_coef(SMOOTH_MS, fs / CONTROL_PERIOD as f64);
        self.apply(s, None);
        self.reset();
    }

    /// Clears filter state.
    pub fn reset(&mut self) {
        for b in &mut self.bands {
            b.filt.reset();
        }
    }

    /// Band targets from settings.
    fn targets(s: &EqSettings) -> [(f64, f64, f64); BANDS] {
        let (hp_q1, hp_q2) = match s.highpass_slope {
            Slope::Db12 => (BUTTER2_Q, BUTTER2_Q),
            Slope::Db24 => (BUTTER4_Q[0], BUTTER4_Q[1]),
        };
        let half_tilt = s.tilt_db / 2.0;
        let mut t = [(0.0, 0.0, 0.0); BANDS];
        t[HP1] = Band::target(s.highpass_hz, 0.0, hp_q1 as f32);
        t[HP2] = Band::target(s.highpass_hz, 0.0, hp_q2 as f32);
        t[LOW_SHELF] = Band::target(s.low_shelf.freq_hz, s.low_shelf.gain_db, s.low_shelf.slope);
        for i in 0..3 {
            let p = s.peaks[i];
            t[PEAK0 + i] = Band::target(p.freq_hz, p.gain_db, p.q);
        }
        t[HIGH_SHELF] = Band::target(s.high_shelf.freq_hz, s.high_shelf.gain_db, s.high_shelf.slope);
        t[TILT_LO] = Band::target(s.tilt_pivot_hz, -half_tilt, 0.5);
        t[TILT_HI] = Band::target(s.tilt_pivot_hz, half_tilt, 0.5);
        t
    }

    fn apply(&mut self, s: &EqSettings, coef: Option<f64>) {
        let t = Self::targets(s);
        let steep = s.highpass_slope == Slope::Db24;
        if steep != self.hp_steep || coef.is_none() {
            // Changing the slope redesigns both sections at once.
            self.hp_steep = steep;
            self.bands[HP1].set(t[HP1], None, self.fs);
            self.bands[HP2].set(t[HP2], None, self.fs);
        }
        for (i, band) in self.bands.iter_mut().enumerate() {
            if coef.is_some() || !(i == HP1 || i == HP2) {
                band.set(t[i], coef, self.fs);
            }
        }
        let wet = if s.bypass { 0.0 } else { 1.0 };
        let hp = if s.highpass_enabled { 1.0 } else { 0.0 };
        match coef {
            None => {
                self.wet.snap(wet);
                self.hp_on.snap(hp);
            }
            Some(c) => {
                self.wet.tick(wet, c);
                self.hp_on.tick(hp, c);
            }
        }
    }

    /// Jumps every smoothed parameter to `s` (no ramp). No allocation.
    pub fn snap(&mut self, s: &EqSettings) {
        self.apply(s, None);
        self.last = Some(*s);
        self.idle = true;
    }

    /// True when no smoothed parameter is moving.
    fn all_settled(&self) -> bool {
        self.wet.settled() && self.hp_on.settled() && self.bands.iter().all(|b| b.log_f.settled() && b.gain_db.settled() && b.log_q.settled())
    }

    /// Control-rate update towards `s`. No allocation.
    pub fn control(&mut self, s: &EqSettings) {
        if !(self.idle && self.last == Some(*s)) {
            self.apply(s, Some(self.coef));
            self.last = Some(*s);
            self.idle = self.all_settled();
        }
    }

    /// Filters a segment of at most one control period that starts `phase` frames
    /// into the period.
    pub fn process(&mut self, l: &mut [f64], r: &mut [f64], phase: usize) {
        if self.wet.settled() && self.wet.to == 0.0 {
            return;
        }
        // Fast path: nothing fading, so filter in place.
        if self.wet.settled() && self.hp_on.settled() {
            if self.hp_on.to == 1.0 {
                self.bands[HP1].filt.process(l, r);
                if self.hp_steep {
                    self.bands[HP2].filt.process(l, r);
                }
            }
            for band in &mut self.bands[LOW_SHELF..] {
                band.filt.process(l, r);
            }
            return;
        }
        let n = l.len();
        let mut dl = [0.0f64; CONTROL_PERIOD];
        let mut dr = [0.0f64; CONTROL_PERIOD];
        dl[..n].copy_from_slice(l);
        dr[..n].copy_from_slice(r);
        // High-pass, crossfaded when switched.
        let hp_active = !(self.hp_on.settled() && self.hp_on.to == 0.0);
        if hp_active {
            let mut hl = [0.0f64; CONTROL_PERIOD];
            let mut hr = [0.0f64; CONTROL_PERIOD];
            hl[..n].copy_from_slice(l);
            hr[..n].copy_from_slice(r);
            self.bands[HP1].filt.process(&mut hl[..n], &mut hr[..n]);
            if self.hp_steep {
                self.bands[HP2].filt.process(&mut hl[..n], &mut hr[..n]);
            }
            if self.hp_on.settled() {
                l.copy_from_slice(&hl[..n]);
                r.copy_from_slice(&hr[..n]);
            } else {
                for i in 0..n {
                    let m = self.hp_on.at(phase + i);
                    l[i] += (hl[i] - l[i]) * m;
                    r[i] += (hr[i] - r[i]) * m;
                }
            }
        } else {
            self.bands[HP1].filt.reset();
            self.bands[HP2].filt.reset();
        }
        for band in &mut self.bands[LOW_SHELF..] {
            band.filt.process(l, r);
        }
        if !self.wet.settled() || self.wet.to != 1.0 {
            for i in 0..n {
                let m = self.wet.at(phase + i);
                l[i] = dl[i] + (l[i] - dl[i]) * m;
                r[i] = dr[i] + (r[i] - dr[i]) * m;
            }
        }
    }

    /// The steady-state magnitude response at `f_hz` of the current design
    /// (for display and tests).
    pub fn magnitude(&self, f_hz: f64) -> f64 {
        let mut m = 1.0;
        for (i, b) in self.bands.iter().enumerate() {
            if i == HP2 && !self.hp_steep {
                continue;
            }
            if (i == HP1 || i == HP2) && self.hp_on.to == 0.0 {
                continue;
            }
            m *= b.filt.coefs.magnitude(f_hz, self.fs);
        }
        m
    }

    /// True when all filter state is zero or normal (no subnormals).
    pub fn state_is_clean(&self) -> bool {
        self.bands.iter().all(|b| b.filt.st.iter().all(|s| s.is_clean()))
    }
}

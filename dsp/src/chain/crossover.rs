//! Linkwitz–Riley 4th-order (24 dB/oct) crossovers: each side is two cascaded
//! 2nd-order Butterworth sections (Q = 1/√2), so low + high is an all-pass
//! (S. Linkwitz, "Active crossover networks for noncoincident drivers", JAES 1976).
//!
//! [`ThreeWay`] splits into low/mid/high with an all-pass on the low band matching
//! the upper split's phase, so the three bands sum to a flat (all-pass) response.

use super::biquad::{Coefs, State};
use core::f64::consts::FRAC_1_SQRT_2;

/// One LR4 split for one channel.
#[derive(Clone, Copy, Debug)]
pub struct Lr4 {
    /// Low-pass coefficients (used twice).
    lp: Coefs,
    /// High-pass coefficients (used twice).
    hp: Coefs,
    /// Low-pass states, two sections.
    lp_st: [State; 2],
    /// High-pass states, two sections.
    hp_st: [State; 2],
}

impl Lr4 {
    /// A split at `f_hz` for sample rate `fs`.
    pub fn new(f_hz: f64, fs: f64) -> Self {
        Self {
            lp: Coefs::lowpass(f_hz, FRAC_1_SQRT_2, fs),
            hp: Coefs::highpass(f_hz, FRAC_1_SQRT_2, fs),
            lp_st: [State::default(); 2],
            hp_st: [State::default(); 2],
        }
    }

    /// Moves the split frequency, keeping state.
    pub fn set_freq(&mut self, f_hz: f64, fs: f64) {
        self.lp = Coefs::lowpass(f_hz, FRAC_1_SQRT_2, fs);
        self.hp = Coefs::highpass(f_hz, FRAC_1_SQRT_2, fs);
    }

    /// Splits one sample into (low, high).
    #[inline(always)]
    pub fn split(&mut self, x: f64) -> (f64, f64) {
        let lo1 = self.lp_st[0].tick(&self.lp, x);
        let lo = self.lp_st[1].tick(&self.lp, lo1);
        let hi1 = self.hp_st[0].tick(&self.hp, x);
        let hi = self.hp_st[1].tick(&self.hp, hi1);
        (lo, hi)
    }

    /// Flushes near-zero state.
    pub fn flush(&mut self) {
        for s in self.lp_st.iter_mut().chain(self.hp_st.iter_mut()) {
            s.flush();
        }
    }

    /// Clears state.
    pub fn reset(&mut self) {
        self.lp_st = [State::default(); 2];
        self.hp_st = [State::default(); 2];
    }

    /// True when no state is subnormal.
    pub fn is_clean(&self) -> bool {
        self.lp_st.iter().chain(self.hp_st.iter()).all(State::is_clean)
    }
}

/// A three-band LR4 split for one channel.
#[derive(Clone, Copy, Debug)]
pub struct ThreeWay {
    /// Low/mid split.
    pub low: Lr4,
    /// Mid/high split.
    pub high: Lr4,
    /// All-pass (LR4 sum at the upper frequency) applied to the low band.
    ap: Coefs,
    /// All-pass state.
    ap_st: State,
}

impl ThreeWay {
    /// Splits at `f1_hz` and `f2_hz` (f1 < f2).
    pub fn new(f1_hz: f64, f2_hz: f64, fs: f64) -> Self {
        Self {
            low: Lr4::new(f1_hz, fs),
            high: Lr4::new(f2_hz, fs),
            ap: Coefs::allpass(f2_hz, FRAC_1_SQRT_2, fs),
            ap_st: State::default(),
        }
    }

    /// Moves both split points, keeping state.
    pub fn set_freqs(&mut self, f1_hz: f64, f2_hz: f64, fs: f64) {
        self.low.set_freq(f1_hz, fs);
        self.high.set_freq(f2_hz, fs);
        self.ap = Coefs::allpass(f2_hz, FRAC_1_SQRT_2, fs);
    }

    /// Splits one sample into [low, mid, high].
    #[inline(always)]
    pub fn split(&mut self, x: f64) -> [f64; 3] {
        let (lo, rest) = self.low.split(x);
        let (mid, hi) = self.high.split(rest);
        [self.ap_st.tick(&self.ap, lo), mid, hi]
    }

    /// Flushes near-zero state.
    pub fn flush(&mut self) {
        self.low.flush();
        self.high.flush();
        self.ap_st.flush();
    }

    /// Clears state.
    pub fn reset(&mut self) {
        self.low.reset();
        self.high.reset();
        self.ap_st.reset();
    }

    /// True when no state is subnormal.
    pub fn is_clean(&self) -> bool {
        self.low.is_clean() && self.high.is_clean() && self.ap_st.is_clean()
    }
}

//! RBJ-cookbook biquads with f64 coefficients and state.
//!
//! Coefficient formulas: R. Bristow-Johnson, *Cookbook formulae for audio EQ
//! biquad filter coefficients* (W3C Audio EQ Cookbook). Frequencies are clamped
//! to just under Nyquist, so the designs are valid at any rate from 8 to 192 kHz.

use super::util::flush;
use core::f64::consts::PI;

/// Normalised biquad coefficients (a0 = 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefs {
    /// Feed-forward b0.
    pub b0: f64,
    /// Feed-forward b1.
    pub b1: f64,
    /// Feed-forward b2.
    pub b2: f64,
    /// Feedback a1.
    pub a1: f64,
    /// Feedback a2.
    pub a2: f64,
}

impl Coefs {
    /// The identity filter.
    pub const IDENTITY: Coefs = Coefs { b0: 1.0, b1: 0.0, b2: 0.0, a1: 0.0, a2: 0.0 };

    fn norm(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        Coefs { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 }
    }

    /// ω0, sin ω0 and cos ω0 for `f_hz` at `fs`, with f clamped below Nyquist.
    fn omega(f_hz: f64, fs: f64) -> (f64, f64) {
        let f = f_hz.clamp(1.0, 0.49 * fs);
        let w0 = 2.0 * PI * f / fs;
        (libm::sin(w0), libm::cos(w0))
    }

    /// Second-order low-pass with quality `q`.
    pub fn lowpass(f_hz: f64, q: f64, fs: f64) -> Self {
        let (s, c) = Self::omega(f_hz, fs);
        let alpha = s / (2.0 * q);
        Self::norm((1.0 - c) / 2.0, 1.0 - c, (1.0 - c) / 2.0, 1.0 + alpha, -2.0 * c, 1.0 - alpha)
    }

    /// Second-order high-pass with quality `q`.
    pub fn highpass(f_hz: f64, q: f64, fs: f64) -> Self {
        let (s, c) = Self::omega(f_hz, fs);
        let alpha = s / (2.0 * q);
        Self::norm((1.0 + c) / 2.0, -(1.0 + c), (1.0 + c) / 2.0, 1.0 + alpha, -2.0 * c, 1.0 - alpha)
    }

    /// Second-order all-pass with quality `q`.
    pub fn allpass(f_hz: f64, q: f64, fs: f64) -> Self {
        let (s, c) = Self::omega(f_hz, fs);
        let alpha = s / (2.0 * q);
        Self::norm(1.0 - alpha, -2.0 * c, 1.0 + alpha, 1.0 + alpha, -2.0 * c, 1.0 - alpha)
    }

    /// Peaking EQ: `gain_db` at `f_hz`, bandwidth from `q`.
    pub fn peaking(f_hz: f64, q: f64, gain_db: f64, fs: f64) -> Self {
        if gain_db == 0.0 {
            return Self::IDENTITY;
        }
        let a = libm::pow(10.0, gain_db / 40.0);
        let (s, c) = Self::omega(f_hz, fs);
        let alpha = s / (2.0 * q);
        Self::norm(1.0 + alpha * a, -2.0 * c, 1.0 - alpha * a, 1.0 + alpha / a, -2.0 * c, 1.0 - alpha / a)
    }

    /// Shelf `alpha` from the shelf slope S (cookbook eq. for shelves).
    fn shelf_alpha(a: f64, sin_w0: f64, slope: f64) -> f64 {
        let s = slope.clamp(0.05, 1.0);
        sin_w0 / 2.0 * libm::sqrt((a + 1.0 / a) * (1.0 / s - 1.0) + 2.0)
    }

    /// Low shelf: `gain_db` below `f_hz`, slope S.
    pub fn low_shelf(f_hz: f64, slope: f64, gain_db: f64, fs: f64) -> Self {
        if gain_db == 0.0 {
            return Self::IDENTITY;
        }
        let a = libm::pow(10.0, gain_db / 40.0);
        let (s, c) = Self::omega(f_hz, fs);
        let alpha = Self::shelf_alpha(a, s, slope);
        let k = 2.0 * libm::sqrt(a) * alpha;
        Self::norm(
            a * ((a + 1.0) - (a - 1.0) * c + k),
            2.0 * a * ((a - 1.0) - (a + 1.0) * c),
            a * ((a + 1.0) - (a - 1.0) * c - k),
            (a + 1.0) + (a - 1.0) * c + k,
            -2.0 * ((a - 1.0) + (a + 1.0) * c),
            (a + 1.0) + (a - 1.0) * c - k,
        )
    }

    /// High shelf: `gain_db` above `f_hz`, slope S.
    pub fn high_shelf(f_hz: f64, slope: f64, gain_db: f64, fs: f64) -> Self {
        if gain_db == 0.0 {
            return Self::IDENTITY;
        }
        let a = libm::pow(10.0, gain_db / 40.0);
        let (s, c) = Self::omega(f_hz, fs);
        let alpha = Self::shelf_alpha(a, s, slope);
        let k = 2.0 * libm::sqrt(a) * alpha;
        Self::norm(
            a * ((a + 1.0) + (a - 1.0) * c + k),
            -2.0 * a * ((a - 1.0) + (a + 1.0) * c),
            a * ((a + 1.0) + (a - 1.0) * c - k),
            (a + 1.0) - (a - 1.0) * c + k,
            2.0 * ((a - 1.0) - (a + 1.0) * c),
            (a + 1.0) - (a - 1.0) * c - k,
        )
    }

    /// True for the identity filter (which processing may skip).
    pub fn is_identity(&self) -> bool {
        *self == Self::IDENTITY
    }

    /// Magnitude response at `f_hz`, evaluated from the coefficients.
    pub fn magnitude(&self, f_hz: f64, fs: f64) -> f64 {
        let w = 2.0 * PI * f_hz / fs;
        let (c1, s1, c2, s2) = (libm::cos(w), libm::sin(w), libm::cos(2.0 * w), libm::sin(2.0 * w));
        let nr = self.b0 + self.b1 * c1 + self.b2 * c2;
        let ni = -(self.b1 * s1 + self.b2 * s2);
        let dr = 1.0 + self.a1 * c1 + self.a2 * c2;
        let di = -(self.a1 * s1 + self.a2 * s2);
        libm::sqrt((nr * nr + ni * ni) / (dr * dr + di * di))
    }
}

/// Transposed direct form II state for one channel.
#[derive(Clone, Copy, Debug, Default)]
pub struct State {
    /// First state variable.
    s1: f64,
    /// Second state variable.
    s2: f64,
}

impl State {
    /// Filters one sample.
    #[inline(always)]
    pub fn tick(&mut self, c: &Coefs, x: f64) -> f64 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }

    /// Flushes near-zero state to zero (call once per block).
    #[inline]
    pub fn flush(&mut self) {
        self.s1 = flush(self.s1);
        self.s2 = flush(self.s2);
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        *self = State::default();
    }

    /// True when both state variables are exactly zero or normal numbers.
    pub fn is_clean(&self) -> bool {
        (self.s1 == 0.0 || self.s1.is_normal()) && (self.s2 == 0.0 || self.s2.is_normal())
    }
}

/// A stereo biquad: shared coefficients, one state per channel.
#[derive(Clone, Copy, Debug)]
pub struct StereoBiquad {
    /// Coefficients.
    pub coefs: Coefs,
    /// Left and right states.
    pub st: [State; 2],
}

impl Default for StereoBiquad {
    fn default() -> Self {
        Self { coefs: Coefs::IDENTITY, st: [State::default(); 2] }
    }
}

impl StereoBiquad {
    /// Filters a stereo segment in place (skips the identity filter).
    #[inline]
    pub fn process(&mut self, l: &mut [f64], r: &mut [f64]) {
        if self.coefs.is_identity() {
            return;
        }
        let c = self.coefs;
        let [sl, sr] = &mut self.st;
        for (a, b) in l.iter_mut().zip(r.iter_mut()) {
            *a = sl.tick(&c, *a);
            *b = sr.tick(&c, *b);
        }
        sl.flush();
        sr.flush();
    }

    /// Clears state.
    pub fn reset(&mut self) {
        self.st = [State::default(); 2];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_at_zero_gain_and_unity_dc_for_lowpass() {
        assert!(Coefs::peaking(1000.0, 1.0, 0.0, 48_000.0).is_identity());
        let lp = Coefs::lowpass(1000.0, 0.707, 48_000.0);
        assert!((lp.magnitude(0.0, 48_000.0) - 1.0).abs() < 1e-12);
        let hs = Coefs::high_shelf(5000.0, 1.0, 6.0, 48_000.0);
        assert!((20.0 * hs.magnitude(23_000.0, 48_000.0).log10() - 6.0).abs() < 0.1);
    }
}

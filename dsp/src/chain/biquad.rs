//! RBJ-cookbook biquads with f64 coefficients and state.
//!
//! Coefficient formulas: R. Bristow-Johnson, *Cookbook formulae for audio EQ
//! biquad filter coefficients* (W3C Audio EQ Cookbook). Frequencies are clamped
//! to just under Nyquist, so the designs are valid at any rate from 8 to 192 kHz.

use super::lanes::F64x2;
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

/// Direct form I state for one channel, for filters whose state can stay in
/// registers through a loop (copy it into a local, run the loop, store it back).
///
/// Of everything a new output needs, only the term `a1·y[n−1]` waits for the
/// previous output, so the feedback path is one multiply and one subtraction
/// per sample; transposed direct form II ([`State`]) chains an addition, a
/// multiply, a subtraction and another addition through its first state
/// variable, and a lone filter runs at the speed of that chain. Where the
/// state lives in memory between samples (the limiter's band limit, inside its
/// long per-sample loop), [`State`] is the better choice: half the state to
/// load and store. With f64 state both forms are accurate far beyond what the
/// chain needs at every corner frequency it uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Df1 {
    /// Previous input.
    x1: f64,
    /// Input two samples ago.
    x2: f64,
    /// Previous output.
    y1: f64,
    /// Output two samples ago.
    y2: f64,
}

impl Df1 {
    /// Filters one sample.
    #[inline(always)]
    pub fn tick(&mut self, c: &Coefs, x: f64) -> f64 {
        let ready = c.b0 * x + c.b1 * self.x1 + c.b2 * self.x2 - c.a2 * self.y2;
        let y = ready - c.a1 * self.y1;
        self.x2 = self.x1;
        self.x1 = x;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }

    /// Flushes near-zero state to zero (call once per block).
    #[inline]
    pub fn flush(&mut self) {
        self.x1 = flush(self.x1);
        self.x2 = flush(self.x2);
        self.y1 = flush(self.y1);
        self.y2 = flush(self.y2);
    }

    /// True when every state variable is exactly zero or a normal number.
    pub fn is_clean(&self) -> bool {
        [self.x1, self.x2, self.y1, self.y2].iter().all(|v| *v == 0.0 || v.is_normal())
    }
}

/// A biquad's coefficients in both lanes of an [`F64x2`].
#[derive(Clone, Copy, Debug, Default)]
pub struct PairCoefs {
    /// b0 in both lanes.
    b0: F64x2,
    /// b1 in both lanes.
    b1: F64x2,
    /// b2 in both lanes.
    b2: F64x2,
    /// a1 in both lanes.
    a1: F64x2,
    /// a2 in both lanes.
    a2: F64x2,
}

impl From<Coefs> for PairCoefs {
    fn from(c: Coefs) -> Self {
        Self {
            b0: F64x2::splat(c.b0),
            b1: F64x2::splat(c.b1),
            b2: F64x2::splat(c.b2),
            a1: F64x2::splat(c.a1),
            a2: F64x2::splat(c.a2),
        }
    }
}

/// Transposed direct form II state of two channels in the two lanes of an
/// [`F64x2`]: each lane computes exactly what [`State::tick`] computes for its
/// channel, with half the instructions.
#[derive(Clone, Copy, Debug, Default)]
pub struct PairState {
    /// First state variable (left, right).
    s1: F64x2,
    /// Second state variable (left, right).
    s2: F64x2,
}

impl PairState {
    /// Filters one sample of each channel.
    #[inline(always)]
    pub fn tick(&mut self, c: &PairCoefs, x: F64x2) -> F64x2 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }

    /// Flushes near-zero state to zero (call once per block).
    pub fn flush(&mut self) {
        let f = |v: F64x2| {
            let (a, b) = v.split();
            F64x2::new(flush(a), flush(b))
        };
        self.s1 = f(self.s1);
        self.s2 = f(self.s2);
    }

    /// True when every state variable is exactly zero or a normal number.
    pub fn is_clean(&self) -> bool {
        let (a, b) = self.s1.split();
        let (c, d) = self.s2.split();
        [a, b, c, d].iter().all(|v| *v == 0.0 || v.is_normal())
    }
}

/// A stereo biquad: shared coefficients, one state per channel.
#[derive(Clone, Copy, Debug)]
pub struct StereoBiquad {
    /// Coefficients.
    pub coefs: Coefs,
    /// Left and right states.
    pub st: [Df1; 2],
}

impl Default for StereoBiquad {
    fn default() -> Self {
        Self { coefs: Coefs::IDENTITY, st: [Df1::default(); 2] }
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
        // Local copies stay in registers through the loop.
        let [mut sl, mut sr] = self.st;
        for (a, b) in l.iter_mut().zip(r.iter_mut()) {
            *a = sl.tick(&c, *a);
            *b = sr.tick(&c, *b);
        }
        sl.flush();
        sr.flush();
        self.st = [sl, sr];
    }

    /// Clears state.
    pub fn reset(&mut self) {
        self.st = [Df1::default(); 2];
    }

    /// True when no state is subnormal.
    pub fn is_clean(&self) -> bool {
        self.st.iter().all(Df1::is_clean)
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

    #[test]
    fn lanes_give_what_each_channel_gives_alone() {
        // Two-lane TDF2 and one state per channel: the same bits.
        let c = Coefs::lowpass(19_000.0, 0.52, 44_100.0);
        let pc = PairCoefs::from(c);
        let (mut pair, mut l, mut r) = (PairState::default(), State::default(), State::default());
        let mut seed = 7u32;
        for i in 0..10_000 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let a = seed as f64 / u32::MAX as f64 - 0.5;
            let b = libm::sin(i as f64 * 0.3);
            let (ya, yb) = pair.tick(&pc, F64x2::new(a, b)).split();
            assert_eq!((ya.to_bits(), yb.to_bits()), (l.tick(&c, a).to_bits(), r.tick(&c, b).to_bits()), "sample {i}");
        }
    }

    #[test]
    fn direct_form_one_matches_transposed_form_two() {
        // Same transfer function: outputs agree to rounding. The forms round
        // differently and a 20 Hz high-pass (poles at 0.998) amplifies rounding
        // by its noise gain, ~1e5–1e6 × 2^-53; 1e-9 (−180 dB) bounds that with
        // margin and is 100× finer than a 24-bit step.
        let c = Coefs::highpass(20.0, core::f64::consts::FRAC_1_SQRT_2, 48_000.0);
        let (mut d, mut t) = (Df1::default(), State::default());
        for i in 0..48_000 {
            let x = libm::sin(i as f64 * 0.01) + if i % 480 == 0 { 1.0 } else { 0.0 };
            let (yd, yt) = (d.tick(&c, x), t.tick(&c, x));
            assert!((yd - yt).abs() < 1e-9, "sample {i}: {yd} vs {yt}");
        }
    }
}

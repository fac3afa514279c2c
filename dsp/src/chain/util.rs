//! Small shared pieces: dB conversions, denormal flushing, parameter smoothing.
//!
//! Everything here is deterministic arithmetic (transcendentals via `libm`), so
//! native and wasm builds produce the same bits.

/// Control-rate period, frames. Parameters are re-evaluated at absolute sample
/// positions that are multiples of this, so output never depends on host blocks.
pub const CONTROL_PERIOD: usize = 32;

/// dB to linear amplitude.
#[inline]
pub fn db_to_lin(db: f64) -> f64 {
    libm::pow(10.0, db / 20.0)
}

/// Linear amplitude to dB (−∞ for 0).
#[inline]
pub fn lin_to_db(x: f64) -> f64 {
    20.0 * libm::log10(x)
}

/// Flushes values too small to matter (and subnormals) to zero. WebAssembly has
/// no flush-to-zero mode, so feedback paths call this explicitly.
#[inline(always)]
pub fn flush(x: f64) -> f64 {
    if x.abs() < 1e-25 {
        0.0
    } else {
        x
    }
}

/// Replaces NaN and ±Inf with 0.
#[inline(always)]
pub fn sanitize(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

/// One-pole coefficient for a time constant, per step at `rate_hz` steps/s.
pub fn one_pole_coef(time_ms: f64, rate_hz: f64) -> f64 {
    if time_ms <= 0.0 {
        1.0
    } else {
        1.0 - libm::exp(-1000.0 / (time_ms * rate_hz))
    }
}

/// A parameter smoothed at control rate (one pole, ~`SMOOTH_MS` time constant),
/// giving a per-sample linear ramp across each control period so gain changes
/// never click.
#[derive(Clone, Copy, Debug, Default)]
pub struct Smoothed {
    /// Value at the start of the current control period.
    pub from: f64,
    /// Value at the end of the current control period.
    pub to: f64,
}

/// Time constant of parameter smoothing, ms.
pub const SMOOTH_MS: f64 = 15.0;

impl Smoothed {
    /// Jumps straight to `v` (used at prepare/reset: no ramp from nothing).
    pub fn snap(&mut self, v: f64) {
        self.from = v;
        self.to = v;
    }

    /// Advances one control period towards `target` with coefficient `coef`.
    pub fn tick(&mut self, target: f64, coef: f64) {
        self.from = self.to;
        let d = target - self.to;
        self.to = if d.abs() < 1e-9 { target } else { self.to + d * coef };
    }

    /// True when not moving.
    pub fn settled(&self) -> bool {
        self.from == self.to
    }

    /// Value `i` frames into a control period of `CONTROL_PERIOD` frames.
    #[inline(always)]
    pub fn at(&self, i: usize) -> f64 {
        self.from + (self.to - self.from) * ((i + 1) as f64 / CONTROL_PERIOD as f64)
    }
}

/// Fast base-2 logarithm for normal x > 0 (absolute error < 1e-11).
/// Pure arithmetic on the IEEE-754 bits, so it is identical on every host.
#[inline(always)]
pub fn fast_log2(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > core::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // log2(m) = 2/ln2 · atanh(t), t = (m − 1)/(m + 1) ∈ (−0.172, 0.172].
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let p = t * (1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0 + t2 * (1.0 / 11.0 + t2 / 13.0))))));
    e as f64 + p * (2.0 / core::f64::consts::LN_2)
}

/// Fast 2^y (relative error < 1e-9 for |y| < 1000). Identical on every host.
#[inline(always)]
pub fn fast_exp2(y: f64) -> f64 {
    let y = y.clamp(-1000.0, 1000.0);
    let i = libm::floor(y);
    let f = (y - i) * core::f64::consts::LN_2; // e^f, f ∈ [0, ln 2)
    // Taylor series of e^f to f^10/10! (error < 3e-10 on [0, ln 2)).
    let mut p = 1.0 / 3_628_800.0;
    for k in (1..10).rev() {
        p = p * f + 1.0 / FACT[k];
    }
    let p = p * f + 1.0;
    p * f64::from_bits(((i as i64 + 1023) as u64) << 52)
}

/// k! for k = 0..10.
const FACT: [f64; 10] = [1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362_880.0];

/// Fast dB from a power (mean square) value: 10·log10(p).
#[inline(always)]
pub fn fast_pow_to_db(p: f64) -> f64 {
    fast_log2(p.max(1e-30)) * (10.0 * core::f64::consts::LOG10_2)
}

/// Fast dB from an amplitude: 20·log10(a).
#[inline(always)]
pub fn fast_amp_to_db(a: f64) -> f64 {
    fast_log2(a.max(1e-15)) * (20.0 * core::f64::consts::LOG10_2)
}

/// Fast amplitude from dB: 10^(db/20).
#[inline(always)]
pub fn fast_db_to_amp(db: f64) -> f64 {
    fast_exp2(db * (core::f64::consts::LOG2_10 / 20.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_log_exp_are_accurate() {
        for i in 0..2000 {
            let x = 1e-12 * libm::pow(1.03, i as f64);
            let err = (fast_log2(x) - libm::log2(x)).abs();
            assert!(err < 1e-11, "log2({x}) off by {err}");
        }
        for i in -3000..3000 {
            let y = i as f64 * 0.0137;
            let e = fast_exp2(y);
            let r = libm::exp2(y);
            assert!(((e - r) / r).abs() < 1e-9, "exp2({y})");
        }
        assert!((fast_db_to_amp(-6.0) - db_to_lin(-6.0)).abs() < 1e-12);
    }
}

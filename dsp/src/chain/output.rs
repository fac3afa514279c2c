//! Output stage: DC removal (at the chain's input), output gain, and TPDF dither
//! with optional first-order noise shaping.
//!
//! With dither on, this stage also quantises to the target word length, so the
//! samples it emits are exact multiples of one LSB and the file writer's rounding
//! is the identity. TPDF: the sum of two independent uniform variables spanning
//! one LSB each (±1 LSB peak), which makes the quantisation error's first two
//! moments independent of the signal (Lipshitz, Wannamaker, Vanderkooy, "Quantization
//! and dither: a theoretical survey", JAES 40(5), 1992). The two uniforms are the
//! halves of one draw of a seeded xorshift generator (16-bit resolution each, far
//! finer than the LSB they dither): the same seed gives the same samples everywhere.

use super::util::{db_to_lin, flush, max2, min2, one_pole_coef, round_fast, Smoothed, CONTROL_PERIOD, SMOOTH_MS};
use crate::settings::OutputSettings;

/// DC-blocker corner, Hz.
const DC_HZ: f64 = 5.0;

/// First-order DC blocker for one channel.
#[derive(Clone, Copy, Debug, Default)]
pub struct DcBlocker {
    /// Previous input.
    x1: f64,
    /// Previous output.
    y1: f64,
    /// Pole radius.
    r: f64,
}

impl DcBlocker {
    /// Sets the pole for `fs`.
    pub fn prepare(&mut self, fs: f64) {
        self.r = 1.0 - 2.0 * core::f64::consts::PI * DC_HZ / fs;
        self.reset();
    }

    /// Clears state.
    pub fn reset(&mut self) {
        self.x1 = 0.0;
        self.y1 = 0.0;
    }

    /// Filters one sample.
    #[inline(always)]
    pub fn tick(&mut self, x: f64) -> f64 {
        let y = x - self.x1 + self.r * self.y1;
        self.x1 = x;
        self.y1 = y;
        y
    }

    /// Flushes near-zero state.
    pub fn flush(&mut self) {
        self.x1 = flush(self.x1);
        self.y1 = flush(self.y1);
    }

    /// True when no state is subnormal.
    pub fn is_clean(&self) -> bool {
        let ok = |x: f64| x == 0.0 || x.is_normal();
        ok(self.x1) && ok(self.y1)
    }
}

/// xorshift32 (Marsaglia 2003): tiny, fast, deterministic.
#[derive(Clone, Copy, Debug)]
struct XorShift32 {
    /// Generator state (never 0).
    s: u32,
}

impl XorShift32 {
    fn new(seed: u32) -> Self {
        // Scramble so nearby seeds give unrelated streams; avoid the zero state.
        let mut s = seed.wrapping_mul(0x9e37_79b9) ^ 0x85eb_ca6b;
        if s == 0 {
            s = 0x6d2b_79f5;
        }
        Self { s }
    }

    /// Next 32 random bits.
    #[inline(always)]
    fn next_u32(&mut self) -> u32 {
        let mut x = self.s;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.s = x;
        x
    }

    /// TPDF value in (−1, 1): the difference of two independent 16-bit uniforms
    /// taken from one 32-bit draw.
    #[inline(always)]
    fn next_tpdf(&mut self) -> f64 {
        let x = self.next_u32();
        ((x & 0xffff) as f64 - (x >> 16) as f64) * (1.0 / 65_536.0)
    }
}

/// Rounds `v` (in LSB units) to the nearest step, clamped to the word's range
/// `-scale..=top`.
#[inline(always)]
fn quantise(v: f64, top: f64, scale: f64) -> f64 {
    min2(max2(round_fast(v), -scale), top)
}

/// The output stage (gain and dither; the DC blocker is applied by the chain at
/// its input).
pub struct Output {
    /// Output gain, linear, smoothed.
    gain: Smoothed,
    /// Control smoothing coefficient.
    coef: f64,
    /// Dither on.
    dither: bool,
    /// Quantisation steps per unit (2^(bits−1)).
    scale: f64,
    /// Noise shaping on.
    shaping: bool,
    /// Random sources, left and right.
    rng: [XorShift32; 2],
    /// Seed the generators were started with.
    seed: u32,
    /// Previous quantisation error per channel (noise shaping), in units.
    err: [f64; 2],
    /// Settings at the last control update (skips the update while unchanged).
    last: Option<OutputSettings>,
    /// True when every smoothed parameter has reached its target.
    idle: bool,
}

impl Default for Output {
    fn default() -> Self {
        Self::new()
    }
}

impl Output {
    /// An unprepared output stage.
    pub fn new() -> Self {
        Self {
            last: None,
            idle: false,
            gain: Smoothed::default(),
            coef: 1.0,
            dither: false,
            scale: 8_388_608.0,
            shaping: false,
            rng: [XorShift32::new(0), XorShift32::new(1)],
            seed: 0,
            err: [0.0; 2],
        }
    }

    /// Sets the rate and snaps to `s`. No allocation.
    pub fn prepare(&mut self, fs: f64, s: &OutputSettings) {
        self.coef = one_pole_coef(SMOOTH_MS, fs / CONTROL_PERIOD as f64);
        self.apply(s, None);
        self.reset();
    }

    /// Restarts the random sources and clears the error feedback.
    pub fn reset(&mut self) {
        self.rng = [XorShift32::new(self.seed), XorShift32::new(self.seed ^ 0x5bd1_e995)];
        self.err = [0.0; 2];
    }

    fn apply(&mut self, s: &OutputSettings, coef: Option<f64>) {
        let g = db_to_lin((s.gain_db as f64).clamp(-60.0, 0.0));
        match coef {
            None => self.gain.snap(g),
            Some(c) => self.gain.tick(g, c),
        }
        self.dither = s.dither;
        let bits = s.dither_bits.clamp(8, 24);
        self.scale = (1u32 << (bits - 1)) as f64;
        self.shaping = s.noise_shaping;
        if s.dither_seed != self.seed {
            self.seed = s.dither_seed;
            self.rng = [XorShift32::new(self.seed), XorShift32::new(self.seed ^ 0x5bd1_e995)];
        }
    }

    /// Jumps every smoothed parameter to `s` (no ramp). No allocation.
    pub fn snap(&mut self, s: &OutputSettings) {
        self.apply(s, None);
        self.last = Some(*s);
        self.idle = true;
    }

    /// True when no smoothed parameter is moving.
    fn all_settled(&self) -> bool {
        self.gain.settled()
    }

    /// Control-rate update. No allocation.
    pub fn control(&mut self, s: &OutputSettings) {
        if !(self.idle && self.last == Some(*s)) {
            self.apply(s, Some(self.coef));
            self.last = Some(*s);
            self.idle = self.all_settled();
        }
    }

    /// Applies gain and dither to a segment starting `phase` frames into the period.
    /// Gives exactly what [`Output::process_channel`] gives for each channel; the
    /// two channels run in one loop so that their random sources (each a serial
    /// chain of shifts) overlap.
    pub fn process(&mut self, l: &mut [f64], r: &mut [f64], phase: usize) {
        if self.shaping || l.len() != r.len() {
            self.process_channel(0, l, phase);
            self.process_channel(1, r, phase);
            return;
        }
        self.apply_gain(l, phase);
        self.apply_gain(r, phase);
        if !self.dither {
            return;
        }
        let scale = self.scale;
        let inv = 1.0 / scale;
        let top = scale - 1.0;
        let [mut gl, mut gr] = self.rng;
        for (a, b) in l.iter_mut().zip(r.iter_mut()) {
            *a = quantise(*a * scale + gl.next_tpdf(), top, scale) * inv;
            *b = quantise(*b * scale + gr.next_tpdf(), top, scale) * inv;
        }
        self.rng = [gl, gr];
    }

    /// Applies the (ramped) output gain to one channel of a segment.
    #[inline(always)]
    fn apply_gain(&self, buf: &mut [f64], phase: usize) {
        if !(self.gain.settled() && self.gain.to == 1.0) {
            for (i, x) in buf.iter_mut().enumerate() {
                *x *= self.gain.at(phase + i);
            }
        }
    }

    /// Applies gain and dither to one channel (0 left, 1 right) of a segment.
    /// The channels are independent: each has its own random source and
    /// error feedback, and the gain ramp is a function of the position only.
    pub fn process_channel(&mut self, ch: usize, buf: &mut [f64], phase: usize) {
        self.apply_gain(buf, phase);
        if !self.dither {
            return;
        }
        let scale = self.scale;
        // `scale` is a power of two, so multiplying by its reciprocal is exact.
        let inv = 1.0 / scale;
        let top = scale - 1.0;
        for x in buf.iter_mut() {
            let d = self.rng[ch].next_tpdf();
            let v = *x * scale - if self.shaping { self.err[ch] } else { 0.0 };
            let q = quantise(v + d, top, scale);
            if self.shaping {
                let e = q - v;
                self.err[ch] = if e > 2.0 { 2.0 } else if e < -2.0 { -2.0 } else { e };
            }
            *x = q * inv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_loop_gives_what_each_channel_gives_alone() {
        // 16-bit dither while the output gain ramps: the two-channel loop and
        // the one-channel path (which the offline export runs per channel)
        // give the same samples.
        let s = OutputSettings { dither_bits: 16, gain_db: -3.0, ..OutputSettings::default() };
        let (mut a, mut b) = (Output::new(), Output::new());
        a.prepare(48_000.0, &OutputSettings::default());
        b.prepare(48_000.0, &OutputSettings::default());
        let sig = |ch: usize, i: usize| libm::sin(0.01 * i as f64 + ch as f64) * 0.5;
        for seg in 0..64 {
            a.control(&s);
            b.control(&s);
            let mut l: Vec<f64> = (0..CONTROL_PERIOD).map(|i| sig(0, seg * CONTROL_PERIOD + i)).collect();
            let mut r: Vec<f64> = (0..CONTROL_PERIOD).map(|i| sig(1, seg * CONTROL_PERIOD + i)).collect();
            let (mut l1, mut r1) = (l.clone(), r.clone());
            a.process(&mut l, &mut r, 0);
            b.process_channel(0, &mut l1, 0);
            b.process_channel(1, &mut r1, 0);
            assert_eq!((l, r), (l1, r1), "segment {seg}");
        }
    }
}

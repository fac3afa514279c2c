//! The delivery's last arithmetic: gain, TPDF dither (optionally with
//! first-order noise shaping) and quantisation to the file's word length.
//!
//! TPDF dither of ±1 LSB peak (the sum of two independent uniforms of one LSB
//! each) makes the quantisation error's first two moments independent of the
//! signal: no distortion products, a constant noise floor (Lipshitz,
//! Wannamaker, Vanderkooy, "Quantization and dither: a theoretical survey",
//! JAES 40(5), 1992). The uniforms are the two 16-bit halves of one draw of a
//! seeded xorshift32 generator (Marsaglia, "Xorshift RNGs", J. Stat. Softw.
//! 8(14), 2003), one generator per channel: the same seed gives the same
//! samples natively and in wasm. Everything here is IEEE basic arithmetic in
//! f64 (no transcendental functions), so the bits are the same everywhere.
//!
//! Processing never allocates.

/// xorshift32: tiny, fast, deterministic.
#[derive(Clone, Copy, Debug)]
struct XorShift32 {
    /// State (never 0).
    s: u32,
}

impl XorShift32 {
    fn new(seed: u32) -> Self {
        // Scramble so nearby seeds give unrelated streams; avoid the zero state.
        let s = seed.wrapping_mul(0x9e37_79b9) ^ 0x85eb_ca6b;
        Self { s: if s == 0 { 0x6d2b_79f5 } else { s } }
    }

    #[inline(always)]
    fn next_u32(&mut self) -> u32 {
        let mut x = self.s;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.s = x;
        x
    }

    /// TPDF value in (−1, 1) LSB.
    #[inline(always)]
    fn tpdf(&mut self) -> f64 {
        let x = self.next_u32();
        ((x & 0xffff) as f64 - (x >> 16) as f64) * (1.0 / 65_536.0)
    }
}

/// How a file's samples are dithered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DitherSpec {
    /// TPDF dither on (always on for 16-bit files).
    pub on: bool,
    /// First-order noise shaping (error feedback) of the dither.
    pub noise_shaping: bool,
    /// Seed of the random source.
    pub seed: u32,
}

impl Default for DitherSpec {
    fn default() -> Self {
        Self { on: true, noise_shaping: false, seed: 0x1ac9_0e12 }
    }
}

/// Gain, dither and quantisation of planar f32 to interleaved integers.
#[derive(Clone, Debug)]
pub struct Quantizer {
    /// Quantisation steps per unit (2^(bits − 1)).
    scale: f64,
    /// Dither on.
    dither: bool,
    /// Noise shaping on.
    shaping: bool,
    /// Seed.
    seed: u32,
    /// Random source per channel.
    rng: Vec<XorShift32>,
    /// Previous quantisation error per channel (noise shaping), LSB.
    err: Vec<f64>,
}

impl Quantizer {
    /// A quantiser to `bits` bits for `channels` channels.
    pub fn new(channels: usize, bits: u16, spec: DitherSpec) -> Self {
        let mut q = Self {
            scale: (1u32 << (bits - 1)) as f64,
            dither: spec.on,
            shaping: spec.on && spec.noise_shaping,
            seed: spec.seed,
            rng: Vec::new(),
            err: vec![0.0; channels],
        };
        q.rng = (0..channels).map(|c| XorShift32::new(q.seed ^ (c as u32).wrapping_mul(0x5bd1_e995))).collect();
        q
    }

    /// Starts again from the seed (the same samples in, the same out).
    pub fn reset(&mut self) {
        let seed = self.seed;
        for (c, r) in self.rng.iter_mut().enumerate() {
            *r = XorShift32::new(seed ^ (c as u32).wrapping_mul(0x5bd1_e995));
        }
        self.err.iter_mut().for_each(|e| *e = 0.0);
    }

    /// Full scale of the word, LSB (2^(bits − 1)).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Quantises `piece` (one slice per channel) times `gain` into `out`,
    /// interleaved; `out` must hold exactly the piece's samples.
    pub fn run(&mut self, piece: &[&[f32]], gain: f64, out: &mut [i32]) {
        let ch = piece.len();
        let (scale, top) = (self.scale, self.scale - 1.0);
        for (c, x) in piece.iter().enumerate() {
            let rng = &mut self.rng[c];
            let mut err = self.err[c];
            for (o, &v) in out[c..].iter_mut().step_by(ch).zip(x.iter()) {
                let v = if v.is_finite() { v as f64 } else { 0.0 } * gain * scale - err;
                let d = if self.dither { rng.tpdf() } else { 0.0 };
                let t = v + d;
                // Round half away from zero, as the WAV writer does.
                let r = if t < 0.0 { -((-t + 0.5) as i64 as f64) } else { (t + 0.5) as i64 as f64 };
                let q = r.clamp(-scale, top);
                if self.shaping {
                    err = (q - v).clamp(-2.0, 2.0);
                }
                *o = q as i32;
            }
            self.err[c] = err;
        }
    }
}

/// 32-bit float output: `piece` times `gain`, interleaved, as f32.
pub fn to_float(piece: &[&[f32]], gain: f64, out: &mut [f32]) {
    let ch = piece.len();
    for (c, x) in piece.iter().enumerate() {
        for (o, &v) in out[c..].iter_mut().step_by(ch).zip(x.iter()) {
            *o = if gain == 1.0 { v } else { (v as f64 * gain) as f32 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_dither_it_rounds_and_clips() {
        let mut q = Quantizer::new(1, 16, DitherSpec { on: false, ..Default::default() });
        let x = [0.0f32, 1.0, -1.0, 0.5 / 32768.0, -0.5 / 32768.0, 2.0, 100.0 / 32768.0];
        let mut out = [0i32; 7];
        q.run(&[&x], 1.0, &mut out);
        assert_eq!(out, [0, 32767, -32768, 1, -1, 32767, 100]);
    }

    #[test]
    fn dither_is_seeded_and_bounded() {
        let x: Vec<f32> = (0..10_000).map(|i| (i as f32 * 0.01).sin() * 0.3).collect();
        let run = |seed| {
            let mut q = Quantizer::new(2, 16, DitherSpec { seed, ..Default::default() });
            let mut out = vec![0i32; 20_000];
            q.run(&[&x, &x], 1.0, &mut out);
            out
        };
        let a = run(1);
        assert_eq!(a, run(1));
        assert_ne!(a, run(2));
        for (i, &v) in a.iter().enumerate() {
            let exact = x[i / 2] as f64 * 32768.0;
            assert!((v as f64 - exact).abs() <= 1.5, "TPDF error within ±1.5 LSB");
        }
        assert_ne!(a[0..20_000].iter().step_by(2).collect::<Vec<_>>(), a[1..].iter().step_by(2).collect::<Vec<_>>(), "independent channels");
    }
}

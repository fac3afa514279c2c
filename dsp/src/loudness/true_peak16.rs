//! A second true-peak meter, at 16× oversampling, for checking delivered files.
//!
//! [`TruePeak`](super::meter::TruePeak), the meter's detector, oversamples 4×
//! (as ITU-R BS.1770-5 Annex 2 asks) with 32 taps per phase. A 4× grid can
//! miss the top of a peak that falls between its points: by Bernstein's
//! inequality, a signal band-limited to half the sample rate can rise at most
//! π²/128 ≈ 7.7 % of its largest value (0.70 dB) between points a quarter of a
//! sample apart. The release bundle checks every file against its ceiling with
//! this meter instead: 16 phases per sample (every sixteenth of a sample),
//! each a Kaiser-windowed sinc (β = 10) of 64 taps either side, four times the
//! detector's length, so the two share neither grid nor filter.
//!
//! ## Where it looks
//! Interpolating every sixteenth of a sample with 128 taps is about 2 000
//! multiply-adds per sample, far too slow for whole files. Almost all of a
//! programme cannot hold its peak, though: the 4× detector reads each block of
//! [`BLOCK`] samples first (cheap, and vectorised), and the 16× interpolation
//! runs only over the blocks whose 4× reading comes within [`MARGIN_DB`] of the
//! largest 16× value found so far, taken loudest first. The margin covers the
//! 0.70 dB that the 4× grid can miss, and the difference between the two
//! filters near the Nyquist frequency; the tests compare the result with the
//! interpolation of every sample. For a mastered song, about 1 % of blocks
//! qualify. Fed a piece at a time ([`TruePeak16Stream`]), the meter also
//! spares the 4× detector the spans that cannot reach that margin of the
//! best value so far ([`TruePeak::set_floor`]): their blocks would not be
//! interpolated whatever they read, and the largest 4× reading is still
//! exact, since the block that holds it comes within the margin.
//!
//! Outside the file the signal is silence, as a converter plays it: the
//! ringing of the first and last samples into the silence around them counts.
//!
//! Arithmetic is f32, summed in a fixed order (eight partial sums, lane by
//! lane, then added pairwise), so every platform gives the same bits.
//!
//! References: ITU-R BS.1770-5 Annex 2 (true-peak measurement); S. N.
//! Bernstein's inequality for band-limited functions (|f′| ≤ πB‖f‖∞ … here
//! applied twice, to bound the fall from a maximum).

use super::meter::TruePeak;
// (f32::max handles NaN, which wasm compiles to a call; no NaN reaches these.)
use crate::chain::util::max2_f32;

/// Oversampling factor.
pub const OVERSAMPLE: usize = 16;
/// Taps either side of the interpolated point.
const HALF: usize = 64;
/// Taps per phase.
const TAPS: usize = 2 * HALF;
/// Kaiser window's β.
const BETA: f64 = 10.0;
/// Samples per block of the 4× pre-reading.
pub const BLOCK: usize = 64;
/// A block is interpolated at 16× when its 4× reading is within this many dB
/// of the largest 16× value found so far (at 44.1 and 48 kHz; see
/// [`margin_factor`] for higher rates).
pub const MARGIN_DB: f64 = 1.5;

/// What the 16× meter reads on one channel or a whole programme.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Peak16 {
    /// True peak by 16× interpolation, linear (at least the sample peak).
    pub true_peak_16x: f64,
    /// True peak by the meter's 4× detector, linear.
    pub true_peak_4x: f64,
    /// Largest |sample|, linear.
    pub sample_peak: f64,
    /// Blocks of [`BLOCK`] samples interpolated at 16×, blocks.
    pub blocks_interpolated: usize,
    /// Blocks in the programme, blocks.
    pub blocks: usize,
}

impl Peak16 {
    /// The larger of two readings (of two channels), counting both's blocks.
    pub fn max(self, o: Peak16) -> Peak16 {
        Peak16 {
            true_peak_16x: self.true_peak_16x.max(o.true_peak_16x),
            true_peak_4x: self.true_peak_4x.max(o.true_peak_4x),
            sample_peak: self.sample_peak.max(o.sample_peak),
            blocks_interpolated: self.blocks_interpolated + o.blocks_interpolated,
            blocks: self.blocks + o.blocks,
        }
    }
}

/// Zeroth-order modified Bessel function (series), for the Kaiser window.
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    while term > 1e-16 * sum {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        k += 1.0;
    }
    sum
}

/// The 15 fractional phases' kernels: `k[p − 1][j]` weighs sample
/// `i − HALF + 1 + j` for the point `i + p/16`.
fn kernels() -> Vec<[f32; TAPS]> {
    let i0b = bessel_i0(BETA);
    (1..OVERSAMPLE)
        .map(|p| {
            let d = p as f64 / OVERSAMPLE as f64;
            let mut k = [0.0f32; TAPS];
            for (j, c) in k.iter_mut().enumerate() {
                let t = d - (j as f64 - (HALF as f64 - 1.0));
                let pt = std::f64::consts::PI * t;
                let sinc = libm::sin(pt) / pt;
                let u = t / HALF as f64;
                let w = if u.abs() < 1.0 { bessel_i0(BETA * libm::sqrt(1.0 - u * u)) / i0b } else { 0.0 };
                *c = (sinc * w) as f32;
            }
            k
        })
        .collect()
}

/// Dot product of a kernel and a window in a fixed order: eight partial sums
/// (lane `l` adds taps `l, l + 8, …`), then added pairwise.
#[inline]
fn dot(k: &[f32; TAPS], w: &[f32]) -> f32 {
    let w: &[f32; TAPS] = w.try_into().expect("a window of TAPS samples");
    let mut acc = [0.0f32; 8];
    for (kc, wc) in k.chunks_exact(8).zip(w.chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += kc[l] * wc[l];
        }
    }
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

/// How far under the best 16× value a block's 4× reading may be and still be
/// interpolated, as a factor: [`MARGIN_DB`] where the detector oversamples
/// 4× (below 96 kHz); 4.4 dB at 2× (a half-sample grid can miss 31 % by
/// Bernstein's bound); 6 dB at 192 kHz, where the detector reads samples only
/// (which holds for programme with nothing above a quarter of the rate, as
/// music at 192 kHz has).
pub fn margin_factor(sample_rate: u32) -> f64 {
    let db = if sample_rate < 96_000 {
        MARGIN_DB
    } else if sample_rate < 192_000 {
        4.4
    } else {
        6.0
    };
    libm::pow(10.0, -db / 20.0)
}

/// The 16× meter. [`TruePeak16::new`] builds the kernels (allocates);
/// [`TruePeak16::measure`] reads one channel.
pub struct TruePeak16 {
    /// The 15 fractional phases' kernels.
    kernels: Vec<[f32; TAPS]>,
    /// Sample rate, Hz (sets the 4× detector and the margin).
    sample_rate: u32,
}

impl TruePeak16 {
    /// A meter for programme at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        Self { kernels: kernels(), sample_rate }
    }

    /// The true peak of one channel (NaN and ±Inf read as 0).
    pub fn measure(&self, x: &[f32]) -> Peak16 {
        let n = x.len();
        // A zero-padded copy, free of NaN and Inf, so every window is whole.
        let mut padded = vec![0.0f32; n + 2 * TAPS];
        for (d, &v) in padded[TAPS..TAPS + n].iter_mut().zip(x) {
            *d = if v.is_finite() { v } else { 0.0 };
        }
        let x = &padded[TAPS..TAPS + n];
        // The 4× reading of every block, then of a block of silence that
        // flushes the detector's lag.
        let mut tp = TruePeak::new(self.sample_rate);
        let blocks = n.div_ceil(BLOCK) + 1;
        let mut reads = Vec::with_capacity(blocks);
        let zeros = [0.0f32; BLOCK];
        for b in 0..blocks {
            let s = (b * BLOCK).min(n);
            let e = ((b + 1) * BLOCK).min(n);
            if s < e {
                tp.add(&x[s..e]);
            } else {
                tp.add(&zeros);
            }
            reads.push(tp.take_tick_peak() as f32);
        }
        let sample_peak = x.iter().fold(0.0f32, |m, v| max2_f32(v.abs(), m)) as f64;
        let peak_4x = reads.iter().fold(0.0f32, |m, &v| m.max(v)) as f64;
        let factor = margin_factor(self.sample_rate);
        let mut order: Vec<usize> = (0..blocks).filter(|&b| reads[b] as f64 >= peak_4x * factor * factor).collect();
        order.sort_by(|&a, &b| reads[b].total_cmp(&reads[a]).then(a.cmp(&b)));
        let mut best = sample_peak as f32;
        let mut done = 0;
        for b in order {
            if (reads[b] as f64) < best as f64 * factor {
                break;
            }
            best = best.max(self.block_peak(&padded, n, b));
            done += 1;
        }
        Peak16 {
            true_peak_16x: best as f64,
            true_peak_4x: peak_4x,
            sample_peak,
            blocks_interpolated: done,
            blocks,
        }
    }

    /// The largest 16× value over the intervals a block's 4× reading covers:
    /// the detector counts a point in the block whose sample completes its
    /// window, 16 samples late, so the block's intervals start 16 before it
    /// (20 here, and 4 past its end, to spare the exact lag).
    fn block_peak(&self, padded: &[f32], n: usize, b: usize) -> f32 {
        self.intervals_peak(padded, -(TAPS as isize), block_intervals(b, n))
    }

    /// The largest 16× value over intervals `first..last` (interval `i` lies
    /// between samples `i` and `i + 1`), from `samples`, whose first element
    /// is sample `base` and which holds every window (zeros outside the file).
    fn intervals_peak(&self, samples: &[f32], base: isize, (first, last): (isize, isize)) -> f32 {
        let mut peak = 0.0f32;
        for i in first..last {
            // Window for interval i: samples i − 63 ..= i + 64.
            let start = (i - (HALF as isize - 1) - base) as usize;
            let w = &samples[start..start + TAPS];
            for k in &self.kernels {
                peak = max2_f32(dot(k, w).abs(), peak);
            }
        }
        peak
    }
}

/// The intervals block `b` of a file of `n` samples covers (see
/// [`TruePeak16::block_peak`]): `i` from `64b − 20` (at least −1, the
/// ringing before the first sample) to `64b + 68` (at most `n`).
fn block_intervals(b: usize, n: usize) -> (isize, isize) {
    let first = ((b * BLOCK) as isize - 20).max(-1);
    let last = (((b + 1) * BLOCK + 4) as isize).min(n as isize);
    (first, last)
}

/// Samples after a block's start that its last window reaches: the block
/// (64), the 4 intervals past it and the 64 taps after the last one.
const LOOKAHEAD: usize = BLOCK + 4 + HALF;
/// Samples before a block's start that its first window reaches.
const LOOKBEHIND: usize = 20 + HALF - 1;

/// The 16× meter on one channel fed a piece at a time, with the same
/// reading as [`TruePeak16::measure`] of the whole channel, to the bit.
///
/// Each block's 4× reading is taken as its samples arrive; the block waits
/// until the [`LOOKAHEAD`] samples after its start have come (or the end),
/// and is then interpolated at 16× if its reading comes within the margin
/// of the best value so far (the sample peak so far, and the blocks
/// interpolated). The block that holds the file's largest 16× value passes
/// that test whatever the order, since the best so far never exceeds it:
/// the reading is the whole-channel one. Only the samples the waiting blocks
/// still need are held.
pub struct TruePeak16Stream {
    /// The kernels.
    meter: TruePeak16,
    /// The 4× detector, read once per block.
    detector: TruePeak,
    /// Samples from sample `base` on, free of NaN and Inf (zeros before the first).
    buf: Vec<f32>,
    /// Index of `buf[0]` in the channel.
    base: isize,
    /// Samples taken, samples.
    n: usize,
    /// Samples taken into the block in progress.
    in_block: usize,
    /// Blocks read at 4× and waiting for the samples after them: (block, reading).
    pending: std::collections::VecDeque<(usize, f32)>,
    /// Blocks read.
    blocks: usize,
    /// Largest 16× value of the blocks interpolated.
    best: f32,
    /// Largest |sample|.
    sample_peak: f32,
    /// Largest 4× reading.
    peak_4x: f32,
    /// Blocks interpolated at 16×.
    interpolated: usize,
    /// [`margin_factor`] at the rate.
    factor: f64,
}

impl TruePeak16Stream {
    /// A meter for one channel at `sample_rate` Hz. Allocates.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            meter: TruePeak16::new(sample_rate),
            detector: TruePeak::new(sample_rate),
            buf: vec![0.0; TAPS],
            base: -(TAPS as isize),
            n: 0,
            in_block: 0,
            pending: std::collections::VecDeque::new(),
            blocks: 0,
            best: 0.0,
            sample_peak: 0.0,
            peak_4x: 0.0,
            interpolated: 0,
            factor: margin_factor(sample_rate),
        }
    }

    /// Takes the next samples (NaN and ±Inf read as 0).
    pub fn add(&mut self, x: &[f32]) {
        let mut rest = x;
        while !rest.is_empty() {
            let take = rest.len().min(BLOCK - self.in_block);
            let at = self.buf.len();
            self.buf.extend(rest[..take].iter().map(|&v| if v.is_finite() { v } else { 0.0 }));
            let new = &self.buf[at..];
            self.sample_peak = new.iter().fold(self.sample_peak, |m, v| max2_f32(v.abs(), m));
            // A block read under the margin of the best value so far is not
            // interpolated (the best only grows), so the detector need not
            // read it exactly: kept a hair under that threshold, so that
            // every block that qualifies reads as it would in full.
            let threshold = self.best.max(self.sample_peak) as f64 * self.factor;
            self.detector.set_floor((threshold * (1.0 - 1e-6)) as f32);
            self.detector.add(new);
            self.n += take;
            self.in_block += take;
            rest = &rest[take..];
            if self.in_block == BLOCK {
                self.end_block();
            }
        }
        self.interpolate_ready(false);
        self.trim();
    }

    /// Reads the block in progress at 4× and queues it.
    fn end_block(&mut self) {
        let read = self.detector.take_tick_peak() as f32;
        self.peak_4x = self.peak_4x.max(read);
        self.pending.push_back((self.blocks, read));
        self.blocks += 1;
        self.in_block = 0;
    }

    /// Interpolates the waiting blocks whose samples have all come (all of
    /// them at the end).
    fn interpolate_ready(&mut self, end: bool) {
        while let Some(&(b, read)) = self.pending.front() {
            if !end && self.n < b * BLOCK + LOOKAHEAD {
                break;
            }
            let best = self.best.max(self.sample_peak);
            if read as f64 >= best as f64 * self.factor {
                let p = self.meter.intervals_peak(&self.buf, self.base, block_intervals(b, self.n));
                self.best = self.best.max(p);
                self.interpolated += 1;
            }
            self.pending.pop_front();
        }
    }

    /// Drops the samples no waiting block needs (in runs, to keep it cheap).
    fn trim(&mut self) {
        let next = self.pending.front().map_or(self.blocks, |&(b, _)| b);
        let keep_from = (next * BLOCK) as isize - LOOKBEHIND as isize;
        let drop = keep_from - self.base;
        if drop > (1 << 14) {
            self.buf.drain(..drop as usize);
            self.base = keep_from;
        }
    }

    /// The reading, after the end of the channel: the last part block and a
    /// block of silence (the detector's lag) are read, and every block still
    /// waiting is interpolated against the silence after the channel.
    pub fn finish(mut self) -> Peak16 {
        if self.in_block > 0 {
            self.end_block();
        }
        self.detector.add(&[0.0; BLOCK]);
        self.end_block();
        self.buf.resize(self.buf.len() + 2 * TAPS, 0.0);
        self.interpolate_ready(true);
        Peak16 {
            true_peak_16x: self.best.max(self.sample_peak) as f64,
            true_peak_4x: self.peak_4x as f64,
            sample_peak: self.sample_peak as f64,
            blocks_interpolated: self.interpolated,
            blocks: self.blocks,
        }
    }
}

/// The 16× reading of planar channels (the largest over them): natively,
/// the channels on threads of their own.
pub fn measure_channels(channels: &[&[f32]], sample_rate: u32) -> Peak16 {
    let meter = TruePeak16::new(sample_rate);
    #[cfg(not(target_arch = "wasm32"))]
    if channels.len() > 1 {
        let meter = &meter;
        return std::thread::scope(|sc| {
            let handles: Vec<_> = channels[1..].iter().map(|c| sc.spawn(move || meter.measure(c))).collect();
            let first = meter.measure(channels[0]);
            handles.into_iter().fold(first, |acc, h| acc.max(h.join().expect("true-peak thread")))
        });
    }
    channels.iter().map(|c| meter.measure(c)).fold(Peak16::default(), Peak16::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every interval of the zero-padded signal at 16×, no blocks skipped.
    fn full(x: &[f32]) -> f32 {
        let m = TruePeak16::new(48_000);
        let n = x.len();
        let mut padded = vec![0.0f32; n + 2 * TAPS];
        padded[TAPS..TAPS + n].copy_from_slice(x);
        let mut peak = x.iter().fold(0.0f32, |a, v| a.max(v.abs()));
        for b in 0..n.div_ceil(BLOCK) + 1 {
            peak = peak.max(m.block_peak(&padded, n, b));
        }
        peak
    }

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    #[test]
    fn kernels_interpolate_and_hit_the_samples() {
        // A sine at fs/4 with 45° phase: samples at ±0.707 of its amplitude,
        // the true peak between them.
        let x: Vec<f32> = (0..4000)
            .map(|i| (0.5 * libm::sin(std::f64::consts::FRAC_PI_2 * i as f64 + std::f64::consts::FRAC_PI_4)) as f32)
            .collect();
        let p = TruePeak16::new(48_000).measure(&x);
        assert!((p.sample_peak - 0.5 * std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        // The onset and end ring a little above the steady amplitude.
        assert!(p.true_peak_16x > 0.4995 && p.true_peak_16x < 0.52, "{p:?}");
    }

    #[test]
    fn pruned_reading_equals_the_full_one() {
        let mut seed = 7u64;
        let n = 20_000;
        let noise: Vec<f32> = (0..n).map(|_| 0.6 * lcg(&mut seed)).collect();
        let mut near_nyquist = vec![0.0f32; n];
        for (i, v) in near_nyquist.iter_mut().enumerate() {
            let t = i as f64 / 48_000.0;
            *v = (0.3 * libm::sin(2.0 * std::f64::consts::PI * 23_500.0 * t)
                + 0.3 * libm::sin(2.0 * std::f64::consts::PI * 21_000.0 * t + 1.0)) as f32;
        }
        let square: Vec<f32> = (0..n).map(|i| if (i / 37) % 2 == 0 { 0.9 } else { -0.9 }).collect();
        let mut clicks = vec![0.0f32; n];
        for i in (100..n).step_by(997) {
            clicks[i] = if i % 2 == 0 { 0.8 } else { -0.7 };
            clicks[i + 1] = -clicks[i];
        }
        for (name, x) in [("noise", noise), ("near nyquist", near_nyquist), ("square", square), ("clicks", clicks)] {
            let p = TruePeak16::new(48_000).measure(&x);
            assert_eq!(p.true_peak_16x as f32, full(&x), "{name}");
            assert!(p.true_peak_16x >= p.sample_peak && p.true_peak_16x >= p.true_peak_4x * 0.999, "{name}: {p:?}");
        }
    }

    /// Fed in pieces of any size, the streaming meter reads what the
    /// whole-channel meter reads, to the bit (and the same blocks at 4×).
    #[test]
    fn streaming_reads_what_the_whole_channel_reads() {
        let mut seed = 11u64;
        let n = 30_011;
        let noise: Vec<f32> = (0..n).map(|_| 0.6 * lcg(&mut seed)).collect();
        // Quiet first, loud later: early blocks pass the margin against a low best.
        let swell: Vec<f32> = (0..n).map(|i| lcg(&mut seed) * (i as f32 / n as f32).powi(3)).collect();
        let near_nyquist: Vec<f32> = (0..n)
            .map(|i| {
                let t = i as f64 / 44_100.0;
                (0.45 * libm::sin(2.0 * std::f64::consts::PI * 21_900.0 * t)) as f32
            })
            .collect();
        let mut bad = noise.clone();
        bad[5] = f32::NAN;
        bad[n - 3] = f32::INFINITY;
        // Loud and limited, with quieter passages: most spans are near the
        // best value, some far under it (the detector's floor skips those).
        let limited: Vec<f32> = (0..n)
            .map(|i| {
                let level = if (i / 4000) % 3 == 2 { 0.3 } else { 1.0 };
                (level * libm::tanh(3.0 * lcg(&mut seed) as f64) * 0.89) as f32
            })
            .collect();
        let sets = [("noise", noise), ("swell", swell), ("near nyquist", near_nyquist), ("bad values", bad), ("limited", limited)];
        for (name, x) in sets {
            for rate in [44_100, 96_000] {
                let whole = TruePeak16::new(rate).measure(&x);
                for len in [1, 63, 64, 65, 1000, 20_000, n] {
                    for cut in [n, n - 1, 64 * 100, 65, 0] {
                        let x = &x[..cut];
                        let whole = if cut == n { whole } else { TruePeak16::new(rate).measure(x) };
                        let mut s = TruePeak16Stream::new(rate);
                        x.chunks(len).for_each(|p| s.add(p));
                        let r = s.finish();
                        assert_eq!(r.true_peak_16x, whole.true_peak_16x, "{name} {rate} Hz, pieces of {len}, {cut} samples");
                        assert_eq!(r.true_peak_4x, whole.true_peak_4x, "{name}");
                        assert_eq!(r.sample_peak, whole.sample_peak, "{name}");
                        assert_eq!(r.blocks, whole.blocks, "{name}");
                    }
                }
            }
        }
    }

    #[test]
    fn silence_and_bad_values() {
        let p = TruePeak16::new(44_100).measure(&[0.0; 1000]);
        assert_eq!(p.true_peak_16x, 0.0);
        let p = TruePeak16::new(44_100).measure(&[f32::NAN, 0.0, f32::INFINITY]);
        assert_eq!(p.true_peak_16x, 0.0);
        assert_eq!(TruePeak16::new(44_100).measure(&[]).true_peak_16x, 0.0);
    }
}

//! The peak pyramid: multi-resolution min/max envelopes for drawing a
//! waveform at any zoom without the audio.
//!
//! ## Layout
//! - **Level 0** holds one bucket per [`BUCKET_FRAMES`] (512) frames: at
//!   48 kHz a bucket is 10.7 ms, so a 1000-column view is drawn from the
//!   pyramid down to about 11 s across; closer than that, columns share
//!   buckets (a view that close can ask the worker for the samples). The
//!   last bucket may hold fewer frames.
//! - **Each further level** merges [`LEVEL_FACTOR`] (4) buckets of the level
//!   below, so a column never has to merge more than a few buckets, and the
//!   levels above level 0 add only a third to its size. Levels are added until
//!   one has at most [`MAX_TOP_BUCKETS`] (1024) buckets.
//! - **Per bucket and channel** the smallest and largest sample, as `i16`
//!   scaled by [`SCALE`] (32767) and rounded outward (the minimum down, the
//!   maximum up), so the drawn envelope never under-reads. Samples beyond
//!   ±1.0 (overs) saturate at the i16 range; NaN and ±Inf are taken as 0, as
//!   the meters take them.
//!
//! A 60-minute 48 kHz stereo file has 337 500 level-0 buckets: 2.7 MB at
//! level 0 (8 bytes per bucket for two channels) and 3.6 MB in all.
//!
//! ## Columns
//! [`PeakPyramid::columns`] splits a frame range into equal columns (edges
//! rounded down to whole frames), takes the coarsest level whose bucket is no
//! wider than a column, and merges, for each column, every bucket that
//! overlaps its frames. A column's min/max is therefore exactly the min/max
//! of the samples in its frame range widened to that level's bucket
//! boundaries, quantised outward: it never under-reads, and it over-reads
//! only by what lies in the partial buckets at its two ends. Where columns
//! are narrower than a level-0 bucket, neighbouring columns share buckets.

use serde::{Deserialize, Serialize};

/// Frames per level-0 bucket.
pub const BUCKET_FRAMES: usize = 512;

/// Buckets of one level merged into one bucket of the next.
pub const LEVEL_FACTOR: usize = 4;

/// The coarsest level has at most this many buckets.
pub const MAX_TOP_BUCKETS: usize = 1024;

/// Scale from a sample (full scale ±1.0) to the stored `i16`.
pub const SCALE: f32 = 32767.0;

/// A stored minimum: `floor(v × 32767)`, clamped to the i16 range. The
/// product is exact in f64 (24-bit mantissa × 15-bit constant), so the floor
/// is never above `v`.
#[inline]
fn quantise_min(v: f32) -> i16 {
    (v as f64 * SCALE as f64).floor().clamp(i16::MIN as f64, i16::MAX as f64) as i16
}

/// A stored maximum: `ceil(v × 32767)`, clamped to the i16 range.
#[inline]
fn quantise_max(v: f32) -> i16 {
    (v as f64 * SCALE as f64).ceil().clamp(i16::MIN as f64, i16::MAX as f64) as i16
}

/// A stored value back as a sample value. `q / 32767` is correctly rounded
/// in f32, and rounding is monotonic, so a value rounded outward on the way
/// in stays outward on the way out.
#[inline]
fn dequantise(q: i16) -> f32 {
    q as f32 / SCALE
}

/// Smallest and largest sample of `x`, NaN and ±Inf taken as 0;
/// `(+∞, −∞)` for an empty slice. Eight samples at a time on explicit
/// vectors (SSE on x86-64, SIMD128 in wasm builds with `simd128`, eight
/// independent lanes elsewhere): a bad value is masked to 0 (`|x| < ∞` is
/// false for NaN and ±Inf), then `min`/`max` as the compare-and-choose
/// `a < b ? a : b`, which the vector instructions compute exactly (no NaN
/// reaches them), so every path gives the same values.
fn min_max(x: &[f32]) -> (f32, f32) {
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    let (mut lo, mut hi) = min_max_8(chunks);
    for &s in rest {
        let v = if s.is_finite() { s } else { 0.0 };
        lo = if v < lo { v } else { lo };
        hi = if v > hi { v } else { hi };
    }
    (lo, hi)
}

/// [`min_max`] over whole groups of eight (x86-64: SSE, part of the baseline).
#[cfg(target_arch = "x86_64")]
fn min_max_8(chunks: std::slice::ChunksExact<'_, f32>) -> (f32, f32) {
    use std::arch::x86_64::*;
    // SAFETY: SSE is part of the x86-64 baseline; each chunk holds 8 floats,
    // so both 4-float loads are in bounds.
    unsafe {
        let inf = _mm_set1_ps(f32::INFINITY);
        let sign = _mm_set1_ps(-0.0);
        let clean = |v: __m128| _mm_and_ps(v, _mm_cmplt_ps(_mm_andnot_ps(sign, v), inf));
        let (mut lo0, mut hi0) = (inf, _mm_set1_ps(f32::NEG_INFINITY));
        let (mut lo1, mut hi1) = (lo0, hi0);
        for c in chunks {
            let a = clean(_mm_loadu_ps(c.as_ptr()));
            let b = clean(_mm_loadu_ps(c.as_ptr().add(4)));
            lo0 = _mm_min_ps(a, lo0);
            hi0 = _mm_max_ps(a, hi0);
            lo1 = _mm_min_ps(b, lo1);
            hi1 = _mm_max_ps(b, hi1);
        }
        let (mut l, mut h) = ([0f32; 4], [0f32; 4]);
        _mm_storeu_ps(l.as_mut_ptr(), _mm_min_ps(lo0, lo1));
        _mm_storeu_ps(h.as_mut_ptr(), _mm_max_ps(hi0, hi1));
        reduce(&l, &h)
    }
}

/// [`min_max`] over whole groups of eight (wasm SIMD128).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn min_max_8(chunks: std::slice::ChunksExact<'_, f32>) -> (f32, f32) {
    use core::arch::wasm32::*;
    let inf = f32x4_splat(f32::INFINITY);
    let clean = |v: v128| v128_and(v, f32x4_lt(f32x4_abs(v), inf));
    let (mut lo0, mut hi0) = (inf, f32x4_splat(f32::NEG_INFINITY));
    let (mut lo1, mut hi1) = (lo0, hi0);
    for c in chunks {
        // SAFETY: each chunk holds 8 floats; wasm loads need no alignment.
        let (a, b) = unsafe { (v128_load(c.as_ptr() as *const v128), v128_load(c.as_ptr().add(4) as *const v128)) };
        let (a, b) = (clean(a), clean(b));
        // pmin(x, y) = y < x ? y : x; pmax(x, y) = x < y ? y : x.
        lo0 = f32x4_pmin(lo0, a);
        hi0 = f32x4_pmax(hi0, a);
        lo1 = f32x4_pmin(lo1, b);
        hi1 = f32x4_pmax(hi1, b);
    }
    let (lo, hi) = (f32x4_pmin(lo0, lo1), f32x4_pmax(hi0, hi1));
    let lanes = |v: v128| [f32x4_extract_lane::<0>(v), f32x4_extract_lane::<1>(v), f32x4_extract_lane::<2>(v), f32x4_extract_lane::<3>(v)];
    reduce(&lanes(lo), &lanes(hi))
}

/// [`min_max`] over whole groups of eight (eight independent lanes).
#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
fn min_max_8(chunks: std::slice::ChunksExact<'_, f32>) -> (f32, f32) {
    let mut lo = [f32::INFINITY; 8];
    let mut hi = [f32::NEG_INFINITY; 8];
    for c in chunks {
        for k in 0..8 {
            let v = if c[k].is_finite() { c[k] } else { 0.0 };
            lo[k] = if v < lo[k] { v } else { lo[k] };
            hi[k] = if v > hi[k] { v } else { hi[k] };
        }
    }
    reduce(&lo, &hi)
}

/// The smallest of the lanes' minima and the largest of their maxima.
#[inline]
fn reduce(lo: &[f32], hi: &[f32]) -> (f32, f32) {
    let lo = lo.iter().fold(f32::INFINITY, |m, &v| if v < m { v } else { m });
    let hi = hi.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    (lo, hi)
}

/// One level of the pyramid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeakLevel {
    /// Frames per bucket (the level's last bucket may hold fewer), frames.
    pub bucket_frames: usize,
    /// `[min, max]` per bucket and channel, bucket-major (`[bucket × channels
    /// + channel]`), as sample × [`SCALE`] rounded outward.
    pub min_max: Vec<[i16; 2]>,
}

/// Min/max envelopes of a whole file at every zoom (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeakPyramid {
    /// Frames summarised, frames.
    frames: usize,
    /// Channels, 1 or 2.
    channels: usize,
    /// Level 0 (finest, [`BUCKET_FRAMES`] per bucket) first; each next level
    /// [`LEVEL_FACTOR`] times coarser.
    levels: Vec<PeakLevel>,
}

impl PeakPyramid {
    /// Frames summarised.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Bytes the envelopes occupy (4 per bucket and channel, all levels).
    pub fn bytes(&self) -> usize {
        self.levels.iter().map(|l| l.min_max.len() * std::mem::size_of::<[i16; 2]>()).sum()
    }

    /// The levels, finest first (for sending the pyramid elsewhere as binary).
    pub fn levels(&self) -> &[PeakLevel] {
        &self.levels
    }

    /// Min/max per channel of `columns` equal columns over frames
    /// `start_frame..end_frame`, flat: `[column][channel][min, max]`, as
    /// sample values (full scale ±1.0). Column `i` covers frames
    /// `start + i·len/columns .. start + (i+1)·len/columns` (rounded down);
    /// its values are the min/max of those frames widened to the chosen
    /// level's bucket boundaries (see the module docs). A column with no
    /// frames (more columns than frames) reads the bucket at its start;
    /// columns past the end of the file read 0.
    pub fn columns(&self, start_frame: usize, end_frame: usize, columns: usize) -> Vec<f32> {
        self.columns_quantised(start_frame, end_frame, columns)
            .into_iter()
            .flat_map(|[lo, hi]| [dequantise(lo), dequantise(hi)])
            .collect()
    }

    /// [`PeakPyramid::columns`] as the stored `i16` values, `[column][channel]`.
    pub fn columns_quantised(&self, start_frame: usize, end_frame: usize, columns: usize) -> Vec<[i16; 2]> {
        let mut out = vec![[0i16; 2]; columns * self.channels];
        if columns == 0 || end_frame <= start_frame || self.levels.is_empty() {
            return out;
        }
        let span = (end_frame - start_frame) as u64;
        let width = span as f64 / columns as f64;
        // The coarsest level whose bucket is no wider than a column (level 0
        // when even that is wider).
        let level = self.levels.iter().rposition(|l| l.bucket_frames as f64 <= width).unwrap_or(0);
        let PeakLevel { bucket_frames, min_max } = &self.levels[level];
        let b = *bucket_frames as u64;
        let ch = self.channels;
        let frames = self.frames as u64;
        for (i, col) in out.chunks_exact_mut(ch).enumerate() {
            let a = start_frame as u64 + i as u64 * span / columns as u64;
            let mut e = start_frame as u64 + (i as u64 + 1) * span / columns as u64;
            if a >= frames {
                continue;
            }
            e = e.min(frames).max(a + 1);
            let (first, last) = ((a / b) as usize, ((e - 1) / b) as usize);
            for (c, v) in col.iter_mut().enumerate() {
                let mut acc = [i16::MAX, i16::MIN];
                for bucket in first..=last {
                    let [lo, hi] = min_max[bucket * ch + c];
                    acc = [acc[0].min(lo), acc[1].max(hi)];
                }
                *v = acc;
            }
        }
        out
    }
}

/// Builds a [`PeakPyramid`] from frames fed in order, in pieces of any size
/// (the result does not depend on them).
#[derive(Clone, Debug)]
pub(crate) struct PeakBuilder {
    /// Channels.
    channels: usize,
    /// Frames fed so far, frames.
    frames: usize,
    /// Frames in the bucket being filled, frames.
    in_bucket: usize,
    /// Running (min, max) of the bucket being filled, per channel.
    current: Vec<(f32, f32)>,
    /// Level 0 so far, as in [`PeakLevel::min_max`].
    level0: Vec<[i16; 2]>,
}

impl PeakBuilder {
    /// A builder for `channels`, reserving room for `frames_hint` frames.
    pub(crate) fn new(channels: usize, frames_hint: usize) -> Self {
        Self {
            channels,
            frames: 0,
            in_bucket: 0,
            current: vec![(f32::INFINITY, f32::NEG_INFINITY); channels],
            level0: Vec::with_capacity(frames_hint.div_ceil(BUCKET_FRAMES).saturating_mul(channels)),
        }
    }

    /// Feeds the next frames, one slice per channel (all the same length).
    pub(crate) fn add(&mut self, planar: &[&[f32]]) {
        let n = planar.iter().take(self.channels).map(|c| c.len()).min().unwrap_or(0);
        let mut pos = 0;
        while pos < n {
            let len = (n - pos).min(BUCKET_FRAMES - self.in_bucket);
            for (cur, src) in self.current.iter_mut().zip(planar) {
                let (lo, hi) = min_max(&src[pos..pos + len]);
                *cur = (cur.0.min(lo), cur.1.max(hi));
            }
            pos += len;
            self.in_bucket += len;
            if self.in_bucket == BUCKET_FRAMES {
                self.close_bucket();
            }
        }
        self.frames += n;
    }

    /// Stores the bucket being filled and starts the next.
    fn close_bucket(&mut self) {
        for cur in &mut self.current {
            self.level0.push([quantise_min(cur.0), quantise_max(cur.1)]);
            *cur = (f32::INFINITY, f32::NEG_INFINITY);
        }
        self.in_bucket = 0;
    }

    /// Closes the last (partial) bucket and builds the coarser levels.
    pub(crate) fn finish(mut self) -> PeakPyramid {
        if self.in_bucket > 0 {
            self.close_bucket();
        }
        let ch = self.channels;
        let mut levels = vec![PeakLevel { bucket_frames: BUCKET_FRAMES, min_max: self.level0 }];
        loop {
            let below = levels.last().expect("level 0 exists");
            if below.min_max.len() / ch.max(1) <= MAX_TOP_BUCKETS {
                break;
            }
            let buckets = below.min_max.len() / ch;
            let mut min_max = Vec::with_capacity(buckets.div_ceil(LEVEL_FACTOR) * ch);
            for group in 0..buckets.div_ceil(LEVEL_FACTOR) {
                let members = group * LEVEL_FACTOR..((group + 1) * LEVEL_FACTOR).min(buckets);
                for c in 0..ch {
                    let mut acc = [i16::MAX, i16::MIN];
                    for m in members.clone() {
                        let [lo, hi] = below.min_max[m * ch + c];
                        acc = [acc[0].min(lo), acc[1].max(hi)];
                    }
                    min_max.push(acc);
                }
            }
            let bucket_frames = below.bucket_frames * LEVEL_FACTOR;
            levels.push(PeakLevel { bucket_frames, min_max });
        }
        PeakPyramid { frames: self.frames, channels: ch, levels }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::noise_bursts;

    /// Seeded signals with structure at every scale: noise bursts times a slow
    /// swell, plus isolated spikes.
    fn signal(n: usize, seed: u32) -> Vec<f32> {
        let mut x = noise_bursts(n, 0.5, seed, 1.6);
        for (i, v) in x.iter_mut().enumerate() {
            *v *= 0.3 + 0.7 * libm::sinf(i as f32 * 1e-4).abs();
        }
        for k in (0..n).step_by(9_973) {
            x[k] = if k % 2 == 0 { 0.999 } else { -0.999 };
        }
        x
    }

    fn build(chans: &[Vec<f32>], piece: usize) -> PeakPyramid {
        let mut b = PeakBuilder::new(chans.len(), chans[0].len());
        for refs in crate::render::in_step(chans.iter().map(|c| c.chunks(piece)).collect()) {
            b.add(&refs);
        }
        b.finish()
    }

    /// What a column must read: the min/max of its frames widened to the
    /// level's bucket boundaries, quantised outward.
    fn brute(pyr: &PeakPyramid, chans: &[Vec<f32>], start: usize, end: usize, cols: usize) -> Vec<[i16; 2]> {
        let width = (end - start) as f64 / cols as f64;
        let level = pyr.levels.iter().rposition(|l| l.bucket_frames as f64 <= width).unwrap_or(0);
        let b = pyr.levels[level].bucket_frames;
        let n = pyr.frames;
        let mut out = Vec::new();
        for i in 0..cols {
            let a = start + i * (end - start) / cols;
            let e = start + (i + 1) * (end - start) / cols;
            for c in chans {
                if a >= n {
                    out.push([0, 0]);
                    continue;
                }
                let e = e.min(n).max(a + 1);
                let (lo_f, hi_f) = (a / b * b, (e.div_ceil(b) * b).min(n));
                let (lo, hi) = min_max(&c[lo_f..hi_f]);
                out.push([quantise_min(lo), quantise_max(hi)]);
            }
        }
        out
    }

    #[test]
    fn columns_match_brute_force_min_max() {
        let n = 3_000_017;
        let chans = vec![signal(n, 1), signal(n, 2)];
        let pyr = build(&chans, 10_007);
        assert_eq!(pyr.frames(), n);
        assert_eq!(pyr.channels(), 2);
        // Levels: 5860 buckets of 512 frames, then 1465 of 2048, then 367 of 8192.
        let sizes: Vec<(usize, usize)> = pyr.levels.iter().map(|l| (l.bucket_frames, l.min_max.len() / 2)).collect();
        assert_eq!(sizes, [(512, 5860), (2048, 1465), (8192, 367)]);
        for (start, end, cols) in [
            (0, n, 800),                  // whole file: level 1
            (0, n, 200),                  // level 2
            (0, n, 1),                    // one column
            (12_345, 412_345, 333),       // unaligned, level 0, columns of 2 to 3 buckets
            (12_345, 98_765, 333),        // columns a little narrower than a bucket
            (777, 5_000, 1000),           // columns far narrower: shared buckets
            (2_900_000, 3_200_000, 97),   // running past the end
            (n - 3, n, 10),               // more columns than frames
            (5, 6, 3),
        ] {
            let got = pyr.columns_quantised(start, end, cols);
            assert_eq!(got, brute(&pyr, &chans, start, end, cols), "{start}..{end} / {cols}");
            let f = pyr.columns(start, end, cols);
            assert_eq!(f.len(), cols * 2 * 2);
        }
        // Columns on bucket boundaries read the exact min/max of their frames
        // (to the quantisation step, outward).
        let whole = pyr.columns(0, 8192 * 1024, 1024);
        for (i, col) in whole.chunks_exact(4).enumerate().take(367) {
            let (lo, hi) = min_max(&chans[1][i * 8192..((i + 1) * 8192).min(n)]);
            assert!(col[2] <= lo && lo - col[2] < 1.0 / 32767.0);
            assert!(col[3] >= hi && col[3] - hi < 1.0 / 32767.0);
        }
        assert!(whole[367 * 4..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn piece_sizes_do_not_change_the_pyramid() {
        let n = 100_003;
        let chans = vec![signal(n, 5)];
        let whole = build(&chans, n);
        for piece in [1, 511, 512, 777, 4096] {
            assert_eq!(build(&chans, piece), whole, "pieces of {piece}");
        }
    }

    #[test]
    fn rounding_is_outward() {
        let mut s = 12345u32;
        let mut vals: Vec<f32> = (0..200_000)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect();
        // Exact grid points, their neighbours, and the ends of the range.
        for q in [-32768i32, -32767, -1, 0, 1, 12345, 32766, 32767] {
            let v = q as f32 / 32767.0;
            vals.extend([v, f32::from_bits(v.to_bits() + 1), f32::from_bits(v.to_bits().max(1) - 1)]);
        }
        vals.extend([1.0, -1.0, 0.0, -0.0, 1e-30, -1e-30]);
        for v in vals.into_iter().filter(|v| v.abs() <= 1.0) {
            let (lo, hi) = (dequantise(quantise_min(v)), dequantise(quantise_max(v)));
            assert!(lo <= v && v <= hi, "{v}: {lo} {hi}");
            assert!(v - lo <= 1.0 / 32767.0 && hi - v <= 1.0 / 32767.0, "{v}");
        }
        // Overs saturate; bad values are 0.
        assert_eq!((quantise_min(-3.0), quantise_max(3.0)), (i16::MIN, i16::MAX));
        assert_eq!(min_max(&[f32::NAN, 0.5, f32::INFINITY, -0.25, f32::NEG_INFINITY]), (-0.25, 0.5));
    }

    #[test]
    fn vector_min_max_is_the_plain_one() {
        let plain = |x: &[f32]| {
            x.iter().map(|&v| if v.is_finite() { v } else { 0.0 }).fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)))
        };
        let x = signal(5000, 9);
        for (start, len) in [(0, 0), (0, 1), (3, 7), (1, 8), (5, 9), (0, 512), (17, 1000), (0, 5000)] {
            let s = &x[start..start + len];
            assert_eq!(min_max(s), plain(s), "{start} {len}");
            // Bad values in every lane position, and everything bad.
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 5.0, -5.0] {
                for at in 0..len.min(9) {
                    let mut y = s.to_vec();
                    y[at] = bad;
                    assert_eq!(min_max(&y), plain(&y), "{start} {len} {bad} at {at}");
                }
                let all = vec![bad; len];
                assert_eq!(min_max(&all), plain(&all));
            }
        }
    }

    #[test]
    fn silence_and_empty_files() {
        let empty = build(&[vec![], vec![]], 100);
        assert_eq!(empty.frames(), 0);
        assert_eq!(empty.columns(0, 1000, 4), vec![0.0; 16]);
        assert_eq!(empty.columns(0, 0, 0), Vec::<f32>::new());
        let silent = build(&[vec![0.0; 48_000]], 4096);
        assert_eq!(silent.columns(0, 48_000, 7), vec![0.0; 14]);
        assert!(silent.bytes() > 0);
        let b = PeakBuilder::new(1, 0);
        assert_eq!(b.finish().levels().len(), 1);
    }

    #[test]
    fn an_hour_at_48k_stereo_is_a_few_megabytes() {
        // Built from level 0's size alone: 60 min × 48 kHz in buckets of 512.
        let buckets = (60 * 60 * 48_000usize).div_ceil(BUCKET_FRAMES);
        let mut b = PeakBuilder::new(2, 0);
        b.level0 = vec![[0, 0]; buckets * 2];
        b.frames = 60 * 60 * 48_000;
        let pyr = b.finish();
        assert!(pyr.levels.last().unwrap().min_max.len() / 2 <= MAX_TOP_BUCKETS);
        let mb = pyr.bytes() as f64 / 1e6;
        assert!((3.0..4.0).contains(&mb), "{mb} MB");
    }
}

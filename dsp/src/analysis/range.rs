//! Loudness statistics of any stretch of a file, from its 100 ms curves
//! alone: what the page shows for a selection without the audio.
//!
//! [`LoudnessCurves`] holds, for every 100 ms tick of the file, the
//! loudness of that tick alone and its largest true peak
//! ([`crate::loudness::meter::Meter`] records them). Every BS.1770 reading
//! is a mean of these tick energies: momentary loudness (400 ms) of four,
//! short-term (3 s) of thirty, the meter's own readings to rounding. So
//! the ticks are all that is stored or sent (half the size of the two
//! curves); the momentary and short-term curves are derived from them
//! ([`LoudnessCurves::from_ticks`], and on deserialising).
//! [`range_stats`] computes, for a time range:
//!
//! - **Integrated loudness** (ITU-R BS.1770-5; EBU Tech 3341): the gating
//!   blocks are the momentary windows (400 ms long, 75 % overlap: one ends
//!   at every tick) that lie inside the range; blocks below the absolute
//!   gate (−70 LUFS) are dropped, then those below the relative gate (10 LU
//!   under the mean energy of the rest), and the loudness of the mean energy
//!   of what remains is the result. Over the whole file these are exactly
//!   `ebur128`'s gating blocks (the first ends 400 ms in, then one every
//!   100 ms), so the result is the report's to rounding (about 1e-10 LU: a
//!   block's energy is summed from four tick energies, each through LUFS and
//!   back). At rates that are not a multiple of 10 Hz (11 025 Hz) a tick's
//!   energy is read over `rate / 10` frames rounded down while the ticks
//!   step by `rate / 10` rounded to nearest: a frame apart.
//! - **Loudness range** (EBU Tech 3342): short-term windows inside the
//!   range, one every second from the range's start (the first ends 3 s
//!   in), as `ebur128` takes them from a programme's start; gated at
//!   −70 LUFS absolute and 20 LU under the mean energy of the rest, then the
//!   spread between the 10th and 95th percentiles (indices rounded as
//!   `ebur128` rounds them). Over the whole file this is the report's
//!   loudness range to rounding, and over a range starting on a tick edge
//!   what metering that stretch alone reports. (Taking a window every
//!   100 ms instead would part from the report's figure by up to a few
//!   tenths of an LU on material with sudden level changes.)
//! - **True peak**: the largest tick value among the ticks that overlap the
//!   range, so it includes up to 100 ms either side of a range whose ends
//!   are not on tick edges. A tick counts an interpolated value when the
//!   sample that completes its window arrives, 16 samples (0.33 ms at
//!   48 kHz) after the point it interpolates: a range starting on a tick
//!   edge can show an overshoot from up to 0.33 ms before it, and one ending
//!   on a tick edge misses the overshoot (not the sample) of a peak in its
//!   last 0.33 ms, as metering the range alone would. The true-peak curve
//!   has one point more than the loudness ticks when the file ends partway
//!   through a tick.
//! - **Highest momentary and short-term loudness**: the largest readings
//!   at the ends of the ticks inside the range, each window's ticks before
//!   the range read as silence, as a meter started at the range's start
//!   reads them (over the whole file, the report's maxima).
//!
//! So every figure is what metering the range on its own reports, for a
//! range on tick edges (to the K-weighting filters' first milliseconds,
//! which start from rest in a meter of their own).
//!
//! Ticks rounded to 0.01 LU (the page's summary) move any of these readings
//! by at most 0.005 LU.
//!
//! ## References
//! - ITU-R BS.1770-5 (2023): gating of 400 ms blocks with 75 % overlap,
//!   absolute −70 LKFS and relative −10 LU gates.
//! - EBU Tech 3341 (momentary, short-term, integrated) and Tech 3342
//!   (loudness range: 3 s windows, −70 LUFS and −20 LU gates, 10th to 95th
//!   percentile).

use serde::{Deserialize, Serialize};

/// Momentary windows are this many ticks long (400 ms).
const MOMENTARY_TICKS: usize = 4;

/// Short-term windows are this many ticks long (3 s).
const SHORT_TERM_TICKS: usize = 30;

/// Short-term windows for the loudness range are taken this many ticks
/// apart (1 s, as `ebur128` takes them).
const LRA_STEP_TICKS: usize = 10;

/// Absolute gate of integrated loudness and of the loudness range, LUFS.
const ABSOLUTE_GATE_LUFS: f64 = -70.0;

/// Relative gate of integrated loudness, LU under the absolutely gated mean.
const RELATIVE_GATE_LU: f64 = -10.0;

/// Relative gate of the loudness range, LU under the absolutely gated mean.
const LRA_RELATIVE_GATE_LU: f64 = -20.0;

/// Slack when a range edge falls on a tick edge, ticks.
const EDGE_TICKS: f64 = 1e-6;

/// A file's loudness and true peak every 100 ms (see the module docs).
/// Serialises as its ticks alone: `{ "interval_s", "duration_s",
/// "tick_lufs", "true_peak_dbtp" }`; the momentary and short-term curves
/// are derived again when it is read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Ticks", into = "Ticks")]
pub struct LoudnessCurves {
    /// Length of a tick (100 ms as `ebur128` counts it: `(rate + 5) / 10`
    /// frames), s.
    pub interval_s: f64,
    /// Length of the file, s.
    pub duration_s: f64,
    /// Loudness of each tick alone (K-weighted, channel-weighted mean
    /// square, BS.1770), LUFS; `None` for digital silence. Tick `k` covers
    /// `k·interval_s .. (k + 1)·interval_s`; a partial last tick is left out.
    pub tick_lufs: Vec<Option<f64>>,
    /// Momentary loudness (400 ms) read at the end of every tick, LUFS;
    /// `None` where the window holds silence (the first three windows reach
    /// back before the file, read as silence, as a meter reads them).
    /// Derived from `tick_lufs`.
    pub momentary_lufs: Vec<Option<f64>>,
    /// Short-term loudness (3 s) read at the end of every tick, LUFS, as
    /// `momentary_lufs` (the report's `short_term_curve`, to rounding).
    /// Derived from `tick_lufs`.
    pub short_term_lufs: Vec<Option<f64>>,
    /// Largest true peak of every tick over all channels, dBTP (4×
    /// oversampled below 96 kHz); `None` for digital silence. A last point
    /// covers the frames after the last whole tick, if any.
    pub true_peak_dbtp: Vec<Option<f64>>,
}

/// What [`range_stats`] gives for a stretch of a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RangeStats {
    /// Integrated (gated) loudness, LUFS; `None` without a gating block
    /// above the absolute gate (silence, or less than 400 ms).
    pub integrated_lufs: Option<f64>,
    /// Loudness range, LU (0 with fewer than two short-term values left
    /// after gating, as for less than 3 s).
    pub lra_lu: f64,
    /// Largest true peak, dBTP; `None` for digital silence.
    pub true_peak_dbtp: Option<f64>,
    /// Highest short-term loudness read in the range, LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Highest momentary loudness read in the range, LUFS.
    pub max_momentary_lufs: Option<f64>,
}

/// A loudness as the mean-square energy BS.1770 sums (0 for `None`).
fn energy(lufs: Option<f64>) -> f64 {
    lufs.map_or(0.0, |l| libm::pow(10.0, (l + 0.691) / 10.0))
}

/// An energy as loudness, LUFS; `None` for 0.
fn loudness(e: f64) -> Option<f64> {
    (e > 0.0).then(|| -0.691 + 10.0 * libm::log10(e))
}

/// [`LoudnessCurves`] as it is serialised: the ticks alone.
#[derive(Serialize, Deserialize)]
pub(crate) struct Ticks {
    /// Length of a tick, s.
    #[serde(default)]
    interval_s: f64,
    /// Length of the file, s.
    #[serde(default)]
    duration_s: f64,
    /// Loudness of each tick alone, LUFS.
    #[serde(default)]
    tick_lufs: Vec<Option<f64>>,
    /// Largest true peak of every tick, dBTP.
    #[serde(default)]
    true_peak_dbtp: Vec<Option<f64>>,
}

impl From<Ticks> for LoudnessCurves {
    fn from(t: Ticks) -> Self {
        Self::from_ticks(t.interval_s, t.duration_s, t.tick_lufs, t.true_peak_dbtp)
    }
}

impl From<LoudnessCurves> for Ticks {
    fn from(c: LoudnessCurves) -> Self {
        Self { interval_s: c.interval_s, duration_s: c.duration_s, tick_lufs: c.tick_lufs, true_peak_dbtp: c.true_peak_dbtp }
    }
}

impl LoudnessCurves {
    /// The curves of a file `duration_s` long in ticks of `interval_s`,
    /// from each tick's loudness and true peak: derives the momentary and
    /// short-term curves (an hour's take about 4 ms natively).
    pub fn from_ticks(
        interval_s: f64,
        duration_s: f64,
        tick_lufs: Vec<Option<f64>>,
        true_peak_dbtp: Vec<Option<f64>>,
    ) -> Self {
        let e: Vec<f64> = tick_lufs.iter().map(|&l| energy(l)).collect();
        let curve = |len: usize| (0..e.len()).map(|k| loudness(window_mean(&e, k, len))).collect();
        Self {
            interval_s,
            duration_s,
            momentary_lufs: curve(MOMENTARY_TICKS),
            short_term_lufs: curve(SHORT_TERM_TICKS),
            tick_lufs,
            true_peak_dbtp,
        }
    }

    /// The same curves with every value rounded to 0.01 (LU, dB), the
    /// derived ones derived again from the rounded ticks.
    pub fn rounded(&self) -> Self {
        let round = |v: &[Option<f64>]| v.iter().map(|x| x.map(|x| (x * 100.0).round() / 100.0)).collect();
        Self::from_ticks(self.interval_s, self.duration_s, round(&self.tick_lufs), round(&self.true_peak_dbtp))
    }
}

/// Mean energy of the `len` ticks ending with `e[k]` (ticks before `e[0]`
/// read as silence). Summed afresh for every window: a running sum
/// would carry a loud passage's rounding into the quiet one after it.
fn window_mean(e: &[f64], k: usize, len: usize) -> f64 {
    e[(k + 1).saturating_sub(len)..=k].iter().sum::<f64>() / len as f64
}

/// The largest of the values (`None` when there are none).
fn max_of(v: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    v.flatten().reduce(f64::max)
}

/// Integrated loudness, loudness range, true peak and the highest momentary
/// and short-term readings of `start_s..end_s` (clamped to the file), from
/// the curves alone (see the module docs for what each takes). Allocates
/// (the tick energies of the range, and the loudness range's values); a
/// whole hour takes about 7 ms natively.
pub fn range_stats(curves: &LoudnessCurves, start_s: f64, end_s: f64) -> RangeStats {
    let iv = curves.interval_s;
    let start_s = start_s.max(0.0);
    let end_s = end_s.min(curves.duration_s);
    // (False for NaN too.)
    let valid = iv > 0.0 && end_s > start_s;
    if !valid {
        return RangeStats::default();
    }
    let (a, b) = (start_s / iv, end_s / iv);
    let ticks = curves.tick_lufs.len();
    // Whole ticks inside the range: first..end (tick k spans k..k + 1).
    let first = (libm::ceil(a - EDGE_TICKS).max(0.0) as usize).min(ticks);
    let end = (libm::floor(b + EDGE_TICKS).max(0.0) as usize).clamp(first, ticks);
    // Tick k is e[k − first]; windows reaching back before the range read
    // silence there.
    let e: Vec<f64> = curves.tick_lufs[first..end].iter().map(|&l| energy(l)).collect();
    let mean = |k: usize, len: usize| window_mean(&e, k - first, len);
    // Windows inside the range: those ending at tick k >= first + len − 1.
    let inside = |len: usize| (first + len - 1)..end;

    let blocks: Vec<f64> = inside(MOMENTARY_TICKS).map(|k| mean(k, MOMENTARY_TICKS)).collect();
    let integrated_lufs = gated_mean(&blocks, RELATIVE_GATE_LU).and_then(loudness);
    let short: Vec<f64> = inside(SHORT_TERM_TICKS).step_by(LRA_STEP_TICKS).map(|k| mean(k, SHORT_TERM_TICKS)).collect();
    let lra_lu = loudness_range(short);
    let max_momentary_lufs = max_of((first..end).map(|k| loudness(mean(k, MOMENTARY_TICKS))));
    let max_short_term_lufs = max_of((first..end).map(|k| loudness(mean(k, SHORT_TERM_TICKS))));

    // Ticks overlapping the range, for the peak.
    let tp = &curves.true_peak_dbtp;
    let tp_from = (libm::floor(a + EDGE_TICKS).max(0.0) as usize).min(tp.len());
    let tp_to = (libm::ceil(b - EDGE_TICKS).max(0.0) as usize).clamp(tp_from, tp.len());

    RangeStats {
        integrated_lufs,
        lra_lu,
        true_peak_dbtp: max_of(tp[tp_from..tp_to].iter().copied()),
        max_short_term_lufs,
        max_momentary_lufs,
    }
}

/// Mean energy of the blocks that pass the absolute gate and then the
/// relative gate `relative_lu` under the mean of those; `None` when none
/// pass the absolute gate. As `ebur128` gates: a block passes a gate at or
/// above its threshold.
fn gated_mean(blocks: &[f64], relative_lu: f64) -> Option<f64> {
    let absolute = energy(Some(ABSOLUTE_GATE_LUFS));
    let (n, sum) = blocks.iter().filter(|&&e| e >= absolute).fold((0usize, 0.0), |(n, s), &e| (n + 1, s + e));
    if n == 0 {
        return None;
    }
    let relative = sum / n as f64 * libm::pow(10.0, relative_lu / 10.0);
    let (n, sum) = blocks
        .iter()
        .filter(|&&e| e >= absolute && e >= relative)
        .fold((0usize, 0.0), |(n, s), &e| (n + 1, s + e));
    Some(sum / n as f64)
}

/// EBU Tech 3342's loudness range of short-term energies, LU: gated at
/// −70 LUFS and 20 LU under the mean of the rest, then the 95th percentile
/// over the 10th (indices rounded as `ebur128` rounds them).
fn loudness_range(mut short: Vec<f64>) -> f64 {
    let absolute = energy(Some(ABSOLUTE_GATE_LUFS));
    short.retain(|&e| e >= absolute);
    if short.is_empty() {
        return 0.0;
    }
    let mean = short.iter().sum::<f64>() / short.len() as f64;
    let relative = mean * libm::pow(10.0, LRA_RELATIVE_GATE_LU / 10.0);
    short.retain(|&e| e >= relative);
    short.sort_unstable_by(f64::total_cmp);
    let Some(last) = short.len().checked_sub(1) else { return 0.0 };
    let hi = short[(last as f64 * 0.95 + 0.5) as usize];
    let lo = short[(last as f64 * 0.1 + 0.5) as usize];
    match (loudness(hi), loudness(lo)) {
        (Some(h), Some(l)) => h - l,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Analysis, Analyzer};
    use crate::loudness::meter::Meter;

    fn analyse(chans: &[Vec<f32>], sr: u32) -> Analysis {
        let mut a = Analyzer::new(chans.len(), sr, chans[0].len()).unwrap();
        for piece in crate::render::in_step(chans.iter().map(|c| c.chunks(48_000)).collect()) {
            a.add(&piece);
        }
        a.finish()
    }

    /// Music-like stereo: noise shaped by a slow swell, phrases with rests,
    /// a louder chorus and a tone, different in each channel.
    fn music(sr: u32, secs: f64, seed: u32) -> Vec<Vec<f32>> {
        let n = (secs * sr as f64) as usize;
        let mut s = seed;
        let mut l = Vec::with_capacity(n);
        let mut r = Vec::with_capacity(n);
        for i in 0..n {
            let t = i as f64 / sr as f64;
            let swell = 0.5 + 0.4 * libm::sin(t * 0.31);
            let phrase = if (t % 4.0) < 3.4 { 1.0 } else { 0.15 };
            let chorus = if (t % 40.0) > 28.0 { 2.2 } else { 1.0 };
            let g = (0.12 * swell * phrase * chorus) as f32;
            let mut rnd = || {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            };
            let tone = libm::sin(2.0 * std::f64::consts::PI * 110.0 * t) as f32;
            l.push(g * (rnd() + 0.5 * tone));
            r.push(g * (rnd() - 0.3 * tone));
        }
        vec![l, r]
    }

    #[test]
    fn whole_file_matches_the_report() {
        for (sr, secs, seed) in [(48_000, 75.0, 1), (44_100, 47.3, 2), (96_000, 20.05, 3)] {
            let x = music(sr, secs, seed);
            let a = analyse(&x, sr);
            let rep = &a.loudness;
            let c = &a.curves;
            let st = range_stats(c, 0.0, c.duration_s);
            let (i, want) = (st.integrated_lufs.unwrap(), rep.integrated_lufs.unwrap());
            // The same gating blocks as ebur128's: equal to rounding.
            assert!((i - want).abs() < 1e-6, "{sr}: integrated {i} vs {want}");
            // ebur128's short-term blocks: equal to rounding.
            assert!((st.lra_lu - rep.lra_lu).abs() < 1e-6, "{sr}: LRA {} vs {}", st.lra_lu, rep.lra_lu);
            assert!(rep.lra_lu > 3.0, "{sr}: a programme with a range ({})", rep.lra_lu);
            assert_eq!(st.true_peak_dbtp, rep.true_peak_dbtp);
            let near = |x: Option<f64>, y: Option<f64>| (x.unwrap() - y.unwrap()).abs() < 1e-9;
            assert!(near(st.max_momentary_lufs, rep.max_momentary_lufs), "{sr}: {st:?}");
            assert!(near(st.max_short_term_lufs, rep.max_short_term_lufs), "{sr}: {st:?}");
            // The short-term readings are the report's curve.
            let short = &c.short_term_lufs;
            assert_eq!(short.len(), rep.short_term_curve.len());
            assert!(short.iter().zip(&rep.short_term_curve).all(|(&x, &y)| near(x, y)));
            // Past the ends is clamped.
            assert_eq!(range_stats(c, -5.0, secs + 5.0), st);
            // From curves rounded to 0.01 (as the summary sends them).
            let r = c.rounded();
            let rs = range_stats(&r, 0.0, r.duration_s);
            assert!((rs.integrated_lufs.unwrap() - want).abs() < 0.005, "{sr}: rounded {:?}", rs.integrated_lufs);
            assert!((rs.lra_lu - rep.lra_lu).abs() < 0.01, "{sr}: rounded LRA {}", rs.lra_lu);
            assert!((rs.max_momentary_lufs.unwrap() - rep.max_momentary_lufs.unwrap()).abs() < 0.005);
            assert!(r.short_term_lufs.iter().zip(&rep.short_term_curve).all(|(x, y)| (x.unwrap() - y.unwrap()).abs() < 0.005));
        }
    }

    /// A stereo 997 Hz sine at `dbfs` (Tech 3341: −20 dBFS reads −20 LUFS).
    fn sine(sr: u32, secs: f64, dbfs: f64) -> Vec<f32> {
        let a = libm::pow(10.0, dbfs / 20.0);
        (0..(secs * sr as f64) as usize)
            .map(|i| (a * libm::sin(2.0 * std::f64::consts::PI * 997.0 * i as f64 / sr as f64)) as f32)
            .collect()
    }

    #[test]
    fn a_step_reads_each_side() {
        let sr = 48_000;
        let mut x = sine(sr, 20.0, -30.0);
        let loud = sine(sr, 20.0, -20.0);
        x.extend_from_slice(&loud);
        let a = analyse(&[x.clone(), x.clone()], sr);
        let c = &a.curves;
        assert_eq!(c.tick_lufs.len(), 400);
        assert_eq!(c.momentary_lufs.len(), 400);
        assert!((c.momentary_lufs[100].unwrap() + 30.0).abs() < 0.05);
        let quiet = range_stats(c, 0.0, 20.0);
        let loud = range_stats(c, 20.0, 40.0);
        for (st, level) in [(quiet, -30.0), (loud, -20.0)] {
            assert!((st.integrated_lufs.unwrap() - level).abs() < 0.05, "{st:?}");
            assert!(st.lra_lu < 0.05, "{st:?}");
            assert!((st.max_short_term_lufs.unwrap() - level).abs() < 0.05, "{st:?}");
            assert!((st.max_momentary_lufs.unwrap() - level).abs() < 0.05, "{st:?}");
            assert!((st.true_peak_dbtp.unwrap() - level).abs() < 0.05, "{st:?}");
        }
        // The step itself: a 10 LU range; the −30 half passes the relative
        // gate (10 LU under a mean 2.6 dB under −20), so the whole reads
        // the mean of both halves' energy.
        // (197 quiet blocks, 197 loud and three across the step: 198.5 of
        // each's energy.)
        let all = range_stats(c, 0.0, 40.0);
        assert!((all.integrated_lufs.unwrap() - a.loudness.integrated_lufs.unwrap()).abs() < 1e-6);
        let e = |l: f64| libm::pow(10.0, l / 10.0);
        let mean = 10.0 * libm::log10((e(-30.0) + e(-20.0)) / 2.0);
        assert!((all.integrated_lufs.unwrap() - mean).abs() < 0.05, "{all:?} vs {mean}");
        assert!((all.lra_lu - 10.0).abs() < 0.1, "{all:?}");
        // Half a second either side of the step: the gating blocks that
        // straddle it are left out of neither.
        let around = range_stats(c, 19.5, 20.5);
        let m = |l: f64| e(l) / 4.0;
        // Blocks ending at ticks 198..=204, over ticks 195 + k ..= 198 + k;
        // ticks from 200 on are loud.
        let blocks: Vec<f64> = (0..=6).map(|k| (0..4).map(|i| if k + i < 5 { m(-30.0) } else { m(-20.0) }).sum()).collect();
        let gate = blocks.iter().sum::<f64>() / 7.0 / 10.0;
        let kept: Vec<f64> = blocks.iter().copied().filter(|&b| b >= gate).collect();
        let want = 10.0 * libm::log10(kept.iter().sum::<f64>() / kept.len() as f64);
        assert!((around.integrated_lufs.unwrap() - want).abs() < 0.05, "{around:?} vs {want}");
        assert_eq!(around.lra_lu, 0.0, "under 3 s");
        // Too short for a gating block; a range outside the file.
        assert_eq!(range_stats(c, 10.0, 10.3).integrated_lufs, None);
        assert!(range_stats(c, 10.0, 10.3).true_peak_dbtp.is_some());
        assert_eq!(range_stats(c, 50.0, 60.0), RangeStats::default());
        assert_eq!(range_stats(c, 30.0, 20.0), RangeStats::default());
    }

    #[test]
    fn a_range_reads_what_metering_it_alone_reads() {
        // Ranges on tick edges hold the same gating blocks as a meter run
        // over just those frames (its K-weighting starts from rest, which
        // changes the first milliseconds only).
        let sr = 44_100;
        let x = music(sr, 60.0, 7);
        let a = analyse(&x, sr);
        for (s, e) in [(10.0, 30.0), (0.0, 12.5), (31.3, 58.0)] {
            let (fs, fe) = ((s * sr as f64) as usize, (e * sr as f64) as usize);
            let mut m = Meter::new(2, sr).unwrap();
            m.add(&[&x[0][fs..fe], &x[1][fs..fe]]);
            let want = m.report();
            let got = range_stats(&a.curves, s, e);
            let d = (got.integrated_lufs.unwrap() - want.integrated_lufs.unwrap()).abs();
            assert!(d < 0.01, "{s}..{e}: {got:?} vs {want:?}");
            assert!((got.lra_lu - want.lra_lu).abs() < 0.01, "{s}..{e}: {got:?} vs {want:?}");
            let near = |x: Option<f64>, y: Option<f64>| (x.unwrap() - y.unwrap()).abs() < 0.01;
            assert!(near(got.max_momentary_lufs, want.max_momentary_lufs), "{s}..{e}: {got:?} vs {want:?}");
            assert!(near(got.max_short_term_lufs, want.max_short_term_lufs), "{s}..{e}: {got:?} vs {want:?}");
            // Ticks overlapping the range: never under the range's own peak.
            let tp = got.true_peak_dbtp.unwrap();
            assert!(tp >= want.true_peak_dbtp.unwrap() - 1e-3 && tp < want.true_peak_dbtp.unwrap() + 1.0, "{s}..{e}");
        }
    }

    #[test]
    fn serialised_as_ticks_and_derived_again() {
        let sr = 44_100;
        let a = analyse(&music(sr, 12.0, 5), sr);
        let j = serde_json::to_value(&a.curves).unwrap();
        let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["duration_s", "interval_s", "tick_lufs", "true_peak_dbtp"]);
        let back: LoudnessCurves = serde_json::from_value(j).unwrap();
        assert_eq!(back.tick_lufs.len(), 120);
        let near = |x: &[Option<f64>], y: &[Option<f64>]| x.iter().zip(y).all(|(p, q)| (p.unwrap() - q.unwrap()).abs() < 1e-9);
        assert!(near(&back.momentary_lufs, &a.curves.momentary_lufs));
        assert!(near(&back.short_term_lufs, &a.curves.short_term_lufs));
        // The momentary readings are the meter's maxima.
        let top = back.momentary_lufs.iter().flatten().fold(f64::MIN, |m, &v| m.max(v));
        assert!((top - a.loudness.max_momentary_lufs.unwrap()).abs() < 1e-9);
        assert_eq!(serde_json::from_str::<LoudnessCurves>("{}").unwrap(), LoudnessCurves::default());
    }

    #[test]
    fn silence_and_empty_curves() {
        let sr = 48_000;
        let a = analyse(&[vec![0.0; sr as usize * 5]], sr);
        let st = range_stats(&a.curves, 0.0, 5.0);
        assert_eq!(st, RangeStats::default());
        assert_eq!(a.curves.true_peak_dbtp.len(), 50);
        assert_eq!(range_stats(&LoudnessCurves::default(), 0.0, 10.0), RangeStats::default());
    }
}

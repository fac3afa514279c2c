//! Loudness statistics of any stretch of a file, from its 100 ms curves
//! alone: what the page shows for a selection without the audio.
//!
//! [`LoudnessCurves`] holds, for every 100 ms tick of the file, the
//! momentary (400 ms) and short-term (3 s) loudness read at the tick's end
//! and the tick's largest true peak ([`crate::loudness::meter::Meter`]
//! records them). [`range_stats`] computes from them, for a time range:
//!
//! - **Integrated loudness** (ITU-R BS.1770-5 §2.6; EBU Tech 3341): the
//!   gating blocks are the momentary values, 400 ms long with 75 % overlap,
//!   whose window lies inside the range; blocks below the absolute gate
//!   (−70 LUFS) are dropped, then those below the relative gate (10 LU under
//!   the mean energy of the rest), and the loudness of the mean energy of
//!   what remains is the result. Over the whole file these are exactly
//!   `ebur128`'s gating blocks (the first ends 400 ms in, then one every
//!   100 ms), so the result is the report's to rounding (about 1e-10 LU: each
//!   block's energy is summed from four 100 ms energies and goes through
//!   LUFS and back). At rates that are not a multiple of 10 Hz (11 025 Hz)
//!   the 100 ms energies are read over `rate / 10` frames rounded down while
//!   the blocks step by `rate / 10` rounded to nearest, one frame apart.
//! - **Loudness range** (EBU Tech 3342): short-term values whose 3 s window
//!   lies inside the range, one every second from the range's start (the
//!   first ends 3 s in), as `ebur128` takes them from a programme's start;
//!   gated at −70 LUFS absolute and 20 LU under the mean energy of the
//!   rest, then the spread between the 10th and 95th percentiles (indices
//!   rounded as `ebur128` rounds them). Over the whole file this is the
//!   report's loudness range to rounding, and over a range starting on a
//!   tick edge what metering that stretch alone reports. (Taking all the
//!   100 ms values instead would move the result as the 1 s grid does not,
//!   by up to a few tenths of an LU on material with sudden level changes,
//!   and part from the report's figure.)
//! - **True peak**: the largest tick value among the ticks that overlap the
//!   range (so it never under-reads, and may include up to 100 ms either
//!   side). The true-peak curve has one point more than the loudness curves
//!   when the file ends partway through a tick.
//! - **Highest momentary and short-term loudness**: the largest readings
//!   taken at the ends of the ticks inside the range, as a meter playing the
//!   range would show them (over the whole file, the report's maxima).
//!
//! Curves rounded to 0.01 LU (the page's summary) change an integrated
//! loudness by at most 0.005 LU.
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

/// Short-term values for the loudness range are taken this many ticks
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoudnessCurves {
    /// Time between points (100 ms as `ebur128` counts it: `(rate + 5) / 10`
    /// frames), s.
    pub interval_s: f64,
    /// Length of the file, s.
    pub duration_s: f64,
    /// Momentary loudness (400 ms) at the end of every tick, LUFS; `None`
    /// where the window holds silence. The first three windows reach back
    /// before the file's start (read as silence).
    pub momentary_lufs: Vec<Option<f64>>,
    /// Short-term loudness (3 s) at the end of every tick, LUFS; `None`
    /// where the window holds silence (the report's `short_term_curve`).
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

/// The largest of the values (`None` when there are none).
fn max_of<'a>(v: impl Iterator<Item = &'a Option<f64>>) -> Option<f64> {
    v.flatten().copied().reduce(f64::max)
}

/// Integrated loudness, loudness range, true peak and the highest momentary
/// and short-term readings of `start_s..end_s` (clamped to the file), from
/// the curves alone (see the module docs for what each takes). Allocates a
/// little (the short-term energies, for the percentiles).
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
    let ticks = curves.momentary_lufs.len().min(curves.short_term_lufs.len());
    // Whole ticks inside the range: first..last_end (tick k spans k..k + 1).
    let first = libm::ceil(a - EDGE_TICKS).max(0.0) as usize;
    let last_end = (libm::floor(b + EDGE_TICKS).max(0.0) as usize).min(ticks);
    let inside = first..last_end.max(first);

    // Windows ending at tick k start at k + 1 − length: inside the range
    // and the file from `first + length − 1` on.
    let windows = |len: usize| (first + len - 1)..inside.end.max(first + len - 1);

    let blocks: Vec<f64> = curves.momentary_lufs[windows(MOMENTARY_TICKS)].iter().map(|&m| energy(m)).collect();
    let integrated_lufs = gated_mean(&blocks, RELATIVE_GATE_LU).and_then(|(_, mean)| loudness(mean));

    let short: Vec<f64> =
        curves.short_term_lufs[windows(SHORT_TERM_TICKS)].iter().step_by(LRA_STEP_TICKS).map(|&s| energy(s)).collect();
    let lra_lu = loudness_range(short);

    // Ticks overlapping the range, for the peak.
    let tp = &curves.true_peak_dbtp;
    let tp_from = (libm::floor(a + EDGE_TICKS).max(0.0) as usize).min(tp.len());
    let tp_to = (libm::ceil(b - EDGE_TICKS).max(0.0) as usize).clamp(tp_from, tp.len());

    RangeStats {
        integrated_lufs,
        lra_lu,
        true_peak_dbtp: max_of(tp[tp_from..tp_to].iter()),
        max_short_term_lufs: max_of(curves.short_term_lufs[inside.clone()].iter()),
        max_momentary_lufs: max_of(curves.momentary_lufs[inside].iter()),
    }
}

/// The blocks that pass the absolute gate and then the relative gate
/// `relative_lu` under the mean of those: how many, and their mean energy.
/// `None` when none pass the absolute gate. As `ebur128` gates: a block
/// passes a gate at or above its threshold.
fn gated_mean(blocks: &[f64], relative_lu: f64) -> Option<(usize, f64)> {
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
    Some((n, sum / n as f64))
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
            assert_eq!(st.max_momentary_lufs, rep.max_momentary_lufs);
            assert_eq!(st.max_short_term_lufs, rep.max_short_term_lufs);
            // Past the ends is clamped.
            assert_eq!(range_stats(c, -5.0, secs + 5.0), st);
            // From curves rounded to 0.01 (as the summary sends them).
            let round = |v: &[Option<f64>]| v.iter().map(|x| x.map(|x| (x * 100.0).round() / 100.0)).collect();
            let r = LoudnessCurves {
                momentary_lufs: round(&c.momentary_lufs),
                short_term_lufs: round(&c.short_term_lufs),
                true_peak_dbtp: round(&c.true_peak_dbtp),
                ..c.clone()
            };
            let rs = range_stats(&r, 0.0, r.duration_s);
            assert!((rs.integrated_lufs.unwrap() - want).abs() < 0.005, "{sr}: rounded {:?}", rs.integrated_lufs);
            assert!((rs.lra_lu - rep.lra_lu).abs() < 0.01, "{sr}: rounded LRA {}", rs.lra_lu);
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
        assert_eq!(c.momentary_lufs.len(), 400);
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
            // Ticks overlapping the range: never under the range's own peak.
            let tp = got.true_peak_dbtp.unwrap();
            assert!(tp >= want.true_peak_dbtp.unwrap() - 1e-3 && tp < want.true_peak_dbtp.unwrap() + 1.0, "{s}..{e}");
        }
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

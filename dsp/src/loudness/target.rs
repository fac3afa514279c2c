//! Master-to-target: the gain into the chain at which the whole chain's output
//! reaches an integrated loudness while staying under a true-peak ceiling.
//!
//! The chain (EQ, compressor, limiter) makes output loudness a monotonic but
//! non-linear function of `input_gain_db`. [`Search`] finds the gain with few full
//! passes of the chain over the file:
//!
//! 1. first guess from the input's loudness (`target + aim − input`), since
//!    the chain is near unity gain at moderate levels;
//! 2. then secant steps on the measured gain → loudness curve, kept inside the
//!    bracket of gains known to be too quiet and too loud (regula falsi, with
//!    bisection as the fallback), so it cannot diverge;
//! 3. it stops when a pass is usable, or after [`SearchConfig::max_passes`]
//!    passes, keeping the best pass.
//!
//! Passes are rendered without the chain's output stage, and the output gain
//! then trims the chosen pass down to the target exactly: loudness after the
//! limiter moves dB for dB with a gain after it, and so does the true peak,
//! downwards, so a trim down keeps the ceiling. The search therefore aims
//! [`SearchConfig::aim_lu`] above the target, and a pass is usable when it
//! lands between [`SearchConfig::tolerance_lu`] under the target and
//! [`SearchConfig::trim_window_lu`] over it (at most that much more limiting
//! than the exact gain would need). This usually takes two or three passes,
//! where hitting a ±0.01 LU window directly takes three to five.
//!
//! If a pass measures a true peak over the ceiling, the chain's own limiter
//! ceiling is lowered by the overshoot for the next pass.
//!
//! Gains are rounded to 0.001 dB so that native and wasm builds pick exactly the
//! same gain even if a measurement differs in its last bit.
//!
//! The host (see [`crate::job::MasterJob`]) renders each pass through
//! [`crate::render::Renderer`] and meters the output; this module only decides.

use crate::settings::Settings;
use serde::{Deserialize, Serialize};

/// A loudness target.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Integrated loudness, LUFS.
    pub lufs: f64,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: f64,
}

impl Default for Target {
    /// Spotify Normal: −14 LUFS, −1 dBTP.
    fn default() -> Self {
        Self { lufs: -14.0, ceiling_dbtp: -1.0 }
    }
}

impl Target {
    /// Checks the target is something a master can sensibly aim at.
    pub fn validate(&self) -> Result<(), String> {
        if !self.lufs.is_finite() || !(-60.0..=0.0).contains(&self.lufs) {
            return Err(format!("target {} LUFS is outside −60..0 LUFS", self.lufs));
        }
        if !self.ceiling_dbtp.is_finite() || !(-20.0..=0.0).contains(&self.ceiling_dbtp) {
            return Err(format!("ceiling {} dBTP is outside −20..0 dBTP", self.ceiling_dbtp));
        }
        Ok(())
    }
}

/// Limits of the search.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// Most full passes of the chain, passes.
    pub max_passes: usize,
    /// Accepted shortfall under the target (a pass is never trimmed up), LU.
    pub tolerance_lu: f64,
    /// Where the search aims, above the target, LU.
    pub aim_lu: f64,
    /// Largest excess over the target a pass may have and still be trimmed
    /// down to it, LU.
    pub trim_window_lu: f64,
    /// Largest gain into the chain the search may use, dB.
    pub max_gain_db: f64,
    /// Smallest gain into the chain the search may use, dB.
    pub min_gain_db: f64,
    /// Limiter gain reduction on the loudest passages above which the result
    /// carries a warning, dB.
    pub max_limiting_db: f64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            max_passes: 8,
            tolerance_lu: 0.005,
            aim_lu: 0.1,
            trim_window_lu: 0.25,
            max_gain_db: 30.0,
            min_gain_db: -40.0,
            max_limiting_db: 6.0,
        }
    }
}

/// What one full pass measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassMeasure {
    /// Gain into the chain, dB.
    pub input_gain_db: f64,
    /// The chain's limiter ceiling for this pass, dBTP.
    pub chain_ceiling_dbtp: f64,
    /// Integrated loudness of the output, LUFS.
    pub lufs: Option<f64>,
    /// True peak of the output, dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Limiter gain reduction on the loudest passages (95th percentile of the
    /// per-block reading), dB.
    pub limiter_gr_loud_db: f64,
    /// Largest limiter gain reduction, dB.
    pub limiter_gr_max_db: f64,
}

/// How the search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Within tolerance and under the ceiling.
    Reached,
    /// Reached, but only with more limiting than the configured amount.
    ReachedWithHeavyLimiting,
    /// The target needs more gain than the search allows (very quiet input).
    GainCapped,
    /// The passes ran out before the tolerance was met; the best pass is used.
    PassesExhausted,
    /// The input is silent (below the absolute gate): nothing to normalise.
    Silence,
}

/// The search's verdict, for the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetOutcome {
    /// The target.
    pub target: Target,
    /// How it ended.
    pub status: TargetStatus,
    /// Gain into the chain chosen, dB.
    pub input_gain_db: f64,
    /// The chain's limiter ceiling used, dBTP.
    pub chain_ceiling_dbtp: f64,
    /// Output gain that trims the chosen pass to the target, dB (≤ 0).
    pub output_trim_db: f64,
    /// Output loudness reached, LUFS (the chosen pass plus the trim).
    pub reached_lufs: Option<f64>,
    /// Output true peak, dBTP (the chosen pass plus the trim).
    pub reached_true_peak_dbtp: Option<f64>,
    /// Full passes of the chain used.
    pub passes: usize,
    /// Passes over excerpts of the file that found the first full pass's
    /// gain (see [`crate::job`]).
    pub proxy_passes: usize,
    /// Every pass, in order.
    pub pass_log: Vec<PassMeasure>,
    /// Limiter gain reduction on the loudest passages of the chosen pass, dB.
    pub limiter_gr_loud_db: f64,
    /// A warning to show the artist, if any.
    pub warning: Option<String>,
}

/// The gain search. Call [`Search::next`] for the next pass's settings, render
/// and meter it, hand the measurement to [`Search::record`]; repeat until `next`
/// returns `None`, then read [`Search::outcome`].
#[derive(Clone, Debug)]
pub struct Search {
    /// Limits.
    config: SearchConfig,
    /// The target.
    target: Target,
    /// Settings of the pass to come (gain and limiter ceiling change).
    settings: Settings,
    /// Gain of the pass to come, dB (`None` once finished).
    pending: Option<f64>,
    /// Chain limiter ceiling of the pass to come, dBTP.
    chain_ceiling_dbtp: f64,
    /// Passes so far.
    log: Vec<PassMeasure>,
    /// The input was silent.
    silent: bool,
    /// The gain hit `max_gain_db` and was still too quiet.
    capped: bool,
    /// Slope of loudness against gain to assume before two passes exist.
    prior_slope: f64,
}

/// Rounds a gain to 0.001 dB.
fn round_gain(g: f64) -> f64 {
    libm::round(g * 1000.0) / 1000.0
}

impl Search {
    /// Starts a search from the input's integrated loudness (`None`: silence).
    pub fn new(settings: Settings, target: Target, input_lufs: Option<f64>, config: SearchConfig) -> Self {
        let mut s = Self {
            config,
            target,
            settings,
            pending: None,
            chain_ceiling_dbtp: target.ceiling_dbtp as f32 as f64,
            log: Vec::new(),
            silent: input_lufs.is_none(),
            capped: false,
            prior_slope: 1.0,
        };
        if let Some(l) = input_lufs {
            let g = (target.lufs + config.aim_lu - l).clamp(config.min_gain_db, config.max_gain_db);
            s.pending = Some(round_gain(g));
        }
        s
    }

    /// Starts from a gain, chain ceiling and slope found elsewhere (a search
    /// over excerpts of the file) instead of from the input's loudness. Call
    /// before the first pass.
    pub fn seed(&mut self, gain_db: f64, chain_ceiling_dbtp: f64, slope: Option<f64>) {
        if self.log.is_empty() && self.pending.is_some() {
            self.pending = Some(round_gain(gain_db.clamp(self.config.min_gain_db, self.config.max_gain_db)));
            self.chain_ceiling_dbtp = round_gain(chain_ceiling_dbtp) as f32 as f64;
            if let Some(s) = slope {
                self.prior_slope = s.clamp(0.05, 1.5);
            }
        }
    }

    /// Slope of output loudness against gain between the last two passes
    /// (at different drives), if there are two.
    pub fn slope(&self) -> Option<f64> {
        let pts: Vec<(f64, f64)> = self
            .log
            .iter()
            .filter_map(|p| p.lufs.map(|l| (p.input_gain_db - p.chain_ceiling_dbtp, l - p.chain_ceiling_dbtp)))
            .collect();
        let [.., (d0, y0), (d1, y1)] = pts.as_slice() else { return None };
        ((d1 - d0).abs() > 1e-6).then(|| ((y1 - y0) / (d1 - d0)).clamp(0.05, 1.5))
    }

    /// Settings for the next pass, or `None` when the search is over.
    pub fn next(&self) -> Option<Settings> {
        self.pending.map(|g| {
            let mut s = self.settings;
            s.input_gain_db = g as f32;
            s.limiter.ceiling_dbtp = self.chain_ceiling_dbtp as f32;
            s
        })
    }

    /// The output gain for a pass: down to the target if the pass is louder,
    /// and further down if its true peak would still be over the ceiling;
    /// never up. Rounded down to 0.0001 dB. dB.
    pub fn trim_for(&self, m: &PassMeasure) -> f64 {
        let Some(l) = m.lufs else { return 0.0 };
        let mut trim = (self.target.lufs - l).min(0.0);
        if let Some(tp) = m.true_peak_dbtp {
            trim = trim.min(self.target.ceiling_dbtp - tp);
        }
        libm::floor(trim * 1e4) / 1e4
    }

    /// True if this pass, trimmed, is within tolerance and under the ceiling,
    /// and needs no more than the trim window.
    fn good(&self, m: &PassMeasure) -> bool {
        let Some(l) = m.lufs else { return false };
        let t = self.target.lufs;
        let reached = l + self.trim_for(m);
        reached >= t - self.config.tolerance_lu
            && reached <= t + 1e-3
            && l - t <= self.config.trim_window_lu
    }

    /// Records the measurement of the pass `next` described, and plans the next.
    ///
    /// Model: a chain ending in a limiter (or clipper) at ceiling `c` gives
    /// loudness `L ≈ c + f(g − c)` and true peak `TP ≈ c + o(g − c)`: what
    /// matters is the drive `d = g − c`. Every pass is a point `(d, L − c)` on
    /// one monotone curve, whatever ceiling it was made with, so the secant and
    /// the bracket use them all. If the chain overshoots its own ceiling
    /// (`o > 0`, a chain without true-peak limiting), the next pass lowers the
    /// chain's ceiling by the overshoot; a true-peak limiter keeps `o ≤ 0` and
    /// the ceiling stays at the target's, which makes this a plain secant on gain.
    pub fn record(&mut self, m: PassMeasure) {
        self.log.push(m);
        if self.good(&m) || self.log.len() >= self.config.max_passes {
            self.pending = None;
            return;
        }
        let t = self.target.lufs;
        let Some(l) = m.lufs else {
            // The output is silent at this gain: try much more gain, once.
            let g = (m.input_gain_db + 20.0).min(self.config.max_gain_db);
            self.pending = (g > m.input_gain_db).then_some(round_gain(g));
            return;
        };
        if l < t && m.input_gain_db >= self.config.max_gain_db - 1e-9 {
            self.capped = true;
            self.pending = None;
            return;
        }
        let ceiling = self.target.ceiling_dbtp;
        let over = m.true_peak_dbtp.map_or(0.0, |tp| tp - m.chain_ceiling_dbtp);
        // Points (drive d = g − c, loudness over ceiling y = L − c, overshoot o = TP − c).
        let pts: Vec<(f64, f64, f64)> = self
            .log
            .iter()
            .filter_map(|p| {
                let c = p.chain_ceiling_dbtp;
                p.lufs.map(|l| (p.input_gain_db - c, l - c, p.true_peak_dbtp.map_or(-100.0, |tp| tp - c)))
            })
            .collect();
        let (d_last, y_last, o_last) = pts[pts.len() - 1];
        let prev = (pts.len() >= 2).then(|| pts[pts.len() - 2]).filter(|p| (d_last - p.0).abs() > 1e-6);
        let (c_next, d) = if over > 0.0 {
            // The chain overshoots its ceiling: aim the peak-to-loudness ratio
            // (L − TP depends on the drive only) and set the ceiling from the
            // overshoot expected at the new drive, with a 0.3 dB margin (true-peak
            // meters disagree by tenths of a dB on clipped material).
            const MARGIN_DB: f64 = 0.3;
            let z_want = t + self.config.aim_lu - (ceiling - MARGIN_DB);
            let z_last = y_last - o_last;
            let (s_z, s_o) = match prev {
                Some((d0, y0, o0)) => (
                    (((y_last - o_last) - (y0 - o0)) / (d_last - d0)).clamp(0.05, 1.5),
                    ((o_last - o0) / (d_last - d0)).clamp(0.0, 1.5),
                ),
                None => (0.5, 0.5),
            };
            let d = d_last + ((z_want - z_last) / s_z).clamp(-12.0, 12.0);
            let o = (o_last + s_o * (d - d_last)).max(0.0);
            (ceiling - MARGIN_DB - o, d)
        } else {
            // A plain secant on the drive → loudness curve at the target's
            // ceiling, kept inside the bracket of too-quiet and too-loud passes.
            let y_want = t + self.config.aim_lu - ceiling;
            let lo = pts.iter().copied().filter(|p| p.1 < y_want).max_by(|a, b| a.0.total_cmp(&b.0));
            let hi = pts.iter().copied().filter(|p| p.1 > y_want).min_by(|a, b| a.0.total_cmp(&b.0));
            let slope =
                prev.map_or(self.prior_slope, |(d0, y0, _)| ((y_last - y0) / (d_last - d0)).clamp(0.05, 1.5));
            let mut d = d_last + ((y_want - y_last) / slope).clamp(-12.0, 12.0);
            if let (Some((dl, yl, _)), Some((dh, yh, _))) = (lo, hi) {
                if !(d > dl && d < dh) {
                    // Regula falsi inside the bracket, else bisection.
                    let f = dl + (y_want - yl) * (dh - dl) / (yh - yl);
                    d = if f > dl && f < dh { f } else { 0.5 * (dl + dh) };
                }
            }
            (ceiling, d)
        };
        self.chain_ceiling_dbtp = round_gain(c_next) as f32 as f64;
        let g = round_gain((d + self.chain_ceiling_dbtp).clamp(self.config.min_gain_db, self.config.max_gain_db));
        // Same settings again (converged to the 0.001 dB grid) ends the search.
        let same = (g - m.input_gain_db).abs() < 5e-4
            && (self.chain_ceiling_dbtp - m.chain_ceiling_dbtp).abs() < 5e-4;
        self.pending = if same { None } else { Some(g) };
    }

    /// Index into the pass log of the pass to use: the first good pass, else
    /// the one that lands closest to the target once trimmed (the trim keeps
    /// every pass under the ceiling), the earliest on a tie.
    pub fn best(&self) -> Option<usize> {
        if let Some(i) = self.log.iter().position(|m| self.good(m)) {
            return Some(i);
        }
        let t = self.target.lufs;
        let err = |m: &PassMeasure| m.lufs.map_or(f64::INFINITY, |l| (l + self.trim_for(m) - t).abs());
        self.log
            .iter()
            .enumerate()
            .min_by(|a, b| err(a.1).total_cmp(&err(b.1)).then(a.0.cmp(&b.0)))
            .map(|(i, _)| i)
    }

    /// The settings of the chosen pass (the input settings for silence).
    pub fn best_settings(&self) -> Settings {
        let mut s = self.settings;
        if let Some(m) = self.best().map(|i| self.log[i]) {
            s.input_gain_db = m.input_gain_db as f32;
            s.limiter.ceiling_dbtp = m.chain_ceiling_dbtp as f32;
            s.output.gain_db = self.trim_for(&m) as f32;
        } else {
            s.input_gain_db = 0.0;
            s.limiter.ceiling_dbtp = self.target.ceiling_dbtp as f32;
        }
        s
    }

    /// Passes recorded so far.
    pub fn passes(&self) -> usize {
        self.log.len()
    }

    /// The verdict (call when `next` returns `None`).
    pub fn outcome(&self) -> TargetOutcome {
        let best = self.best().map(|i| self.log[i]);
        let t = self.target;
        let mut o = TargetOutcome {
            target: t,
            status: TargetStatus::Reached,
            input_gain_db: best.map_or(0.0, |m| m.input_gain_db),
            chain_ceiling_dbtp: best.map_or(t.ceiling_dbtp, |m| m.chain_ceiling_dbtp),
            output_trim_db: best.map_or(0.0, |m| self.trim_for(&m)),
            reached_lufs: best.and_then(|m| m.lufs.map(|l| l + self.trim_for(&m))),
            reached_true_peak_dbtp: best.and_then(|m| m.true_peak_dbtp.map(|p| p + self.trim_for(&m))),
            passes: self.log.len(),
            proxy_passes: 0,
            pass_log: self.log.clone(),
            limiter_gr_loud_db: best.map_or(0.0, |m| m.limiter_gr_loud_db),
            warning: None,
        };
        let reached = |l: f64| format!("{l:.2} LUFS");
        if self.silent {
            o.status = TargetStatus::Silence;
            o.warning = Some(
                "the input is silent (below the −70 LUFS absolute gate): left at 0 dB gain".into(),
            );
            return o;
        }
        let Some(m) = best else {
            o.status = TargetStatus::PassesExhausted;
            return o;
        };
        let within = self.good(&m);
        if self.capped || (m.lufs.is_none_or(|l| l < t.lufs) && m.input_gain_db >= self.config.max_gain_db - 1e-9) {
            o.status = TargetStatus::GainCapped;
            o.warning = Some(format!(
                "the input is too quiet to reach {:.1} LUFS within +{:.0} dB of gain: reached {}",
                t.lufs,
                self.config.max_gain_db,
                o.reached_lufs.map_or("silence".into(), reached)
            ));
        } else if !within {
            o.status = TargetStatus::PassesExhausted;
            o.warning = Some(format!(
                "{} passes reached {} (target {:.1} LUFS, true peak {} dBTP)",
                self.log.len(),
                o.reached_lufs.map_or("silence".into(), reached),
                t.lufs,
                o.reached_true_peak_dbtp.map_or("-inf".into(), |p| format!("{p:.2}"))
            ));
        }
        if m.limiter_gr_loud_db > self.config.max_limiting_db {
            if o.status == TargetStatus::Reached {
                o.status = TargetStatus::ReachedWithHeavyLimiting;
            }
            let w = format!(
                "reaching {:.1} LUFS takes {:.1} dB of limiting on the loudest passages \
                 (more than {:.0} dB): reached {}; consider a lower target",
                t.lufs,
                m.limiter_gr_loud_db,
                self.config.max_limiting_db,
                o.reached_lufs.map_or("silence".into(), reached)
            );
            o.warning = Some(match o.warning {
                Some(prev) => format!("{prev}; {w}"),
                None => w,
            });
        }
        o
    }
}

/// 95th percentile and maximum of per-block limiter gain reduction, dB.
pub fn limiter_gr_stats(per_block_db: &[f32]) -> (f64, f64) {
    if per_block_db.is_empty() {
        return (0.0, 0.0);
    }
    let mut v: Vec<f32> = per_block_db.iter().map(|x| if x.is_finite() { x.max(0.0) } else { 0.0 }).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    let k = ((v.len() as f64 * 0.95) as usize).min(v.len() - 1);
    (v[k] as f64, v[v.len() - 1] as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pretend chain: unity below a knee, then 3:1, with a brick wall.
    fn chain(g: f64, input: f64) -> f64 {
        let x = input + g;
        if x < -16.0 { x } else { -16.0 + (x + 16.0) / 3.0 }
    }

    fn run(target: f64, input: f64) -> (Search, usize) {
        let t = Target { lufs: target, ceiling_dbtp: -1.0 };
        let mut s = Search::new(Settings::default(), t, Some(input), SearchConfig::default());
        while let Some(st) = s.next() {
            let g = st.input_gain_db as f64;
            s.record(PassMeasure {
                input_gain_db: g,
                chain_ceiling_dbtp: st.limiter.ceiling_dbtp as f64,
                lufs: Some(chain(g, input)),
                true_peak_dbtp: Some(-1.5),
                limiter_gr_loud_db: 0.0,
                limiter_gr_max_db: 0.0,
            });
        }
        let n = s.passes();
        (s, n)
    }

    #[test]
    fn converges_in_few_passes_on_a_nonlinear_curve() {
        for target in [-9.0, -14.0, -16.0, -23.0] {
            let (s, n) = run(target, -20.0);
            let o = s.outcome();
            assert_eq!(o.status, TargetStatus::Reached, "{target}: {o:?}");
            assert!((o.reached_lufs.unwrap() - target).abs() <= 0.01);
            assert!(n <= 4, "{target}: {n} passes");
        }
    }

    #[test]
    fn silence_and_gain_cap() {
        let s = Search::new(Settings::default(), Target::default(), None, SearchConfig::default());
        assert!(s.next().is_none());
        let o = s.outcome();
        assert_eq!(o.status, TargetStatus::Silence);
        assert_eq!(o.input_gain_db, 0.0);
        let (s, _) = run(-9.0, -65.0);
        let o = s.outcome();
        assert_eq!(o.status, TargetStatus::GainCapped, "{o:?}");
        assert!(o.input_gain_db <= 30.0);
        assert!(o.warning.unwrap().contains("too quiet"));
    }

    #[test]
    fn heavy_limiting_is_reported() {
        let mut s = Search::new(Settings::default(), Target::default(), Some(-14.0), SearchConfig::default());
        let st = s.next().unwrap();
        s.record(PassMeasure {
            input_gain_db: st.input_gain_db as f64,
            chain_ceiling_dbtp: -1.0,
            lufs: Some(-14.0),
            true_peak_dbtp: Some(-1.0),
            limiter_gr_loud_db: 8.0,
            limiter_gr_max_db: 11.0,
        });
        let o = s.outcome();
        assert_eq!(o.status, TargetStatus::ReachedWithHeavyLimiting);
        assert!(o.warning.unwrap().contains("8.0 dB of limiting"));
        assert_eq!(limiter_gr_stats(&[0.0; 10]), (0.0, 0.0));
        let v: Vec<f32> = (0..100).map(|i| i as f32 / 10.0).collect();
        let (p95, max) = limiter_gr_stats(&v);
        assert!((p95 - 9.5).abs() < 1e-6 && (max - 9.9).abs() < 1e-6);
    }
}

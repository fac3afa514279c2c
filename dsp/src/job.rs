//! A whole-file mastering job: meter the input, run the master-to-target search
//! (full passes of the chain), render the final master, and measure it. It runs
//! in bounded steps so the browser can show progress and stay responsive; the CLI
//! runs it to completion. Both get identical samples and an identical report:
//! nothing depends on the step sizes, and every decision is made from
//! deterministic measurements (see [`crate::loudness::target`]).
//!
//! When the search's chosen pass is the last one rendered, its output *is* the
//! final render (same settings, same samples), so it is kept rather than
//! rendered again, and its measurement is the output's re-measure.

use crate::error::DspError;
use crate::loudness::meter::{LoudnessReport, Meter};
use crate::loudness::platforms::{self, PlatformPlayback};
use crate::loudness::target::{self, PassMeasure, Search, SearchConfig, Target, TargetOutcome};
use crate::render::{Renderer, BLOCK};
use crate::settings::Settings;
use serde::{Deserialize, Serialize};

/// What a finished job reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MasterReport {
    /// Integrated loudness of the input, LUFS (None for silence).
    pub input_lufs: Option<f64>,
    /// Integrated loudness of the output, LUFS (None for silence).
    pub output_lufs: Option<f64>,
    /// Gain into the chain that was used, dB.
    pub input_gain_db: f64,
    /// The target, if one was asked for.
    pub target: Option<Target>,
    /// Full loudness measurement of the input.
    pub input_loudness: LoudnessReport,
    /// Full loudness measurement of the output.
    pub output_loudness: LoudnessReport,
    /// How each platform will play the output.
    pub platforms: Vec<PlatformPlayback>,
    /// The master-to-target search's verdict, if a target was asked for.
    pub target_outcome: Option<TargetOutcome>,
    /// Full passes of the chain over the file, including the final render, passes.
    pub passes: usize,
    /// A warning to show the artist (too much limiting, target out of reach, silence).
    pub warning: Option<String>,
}

/// The result of a finished job.
pub struct MasterResult {
    /// The master, planar, same length and channel count as the input.
    pub channels: Vec<Vec<f32>>,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// The settings used for the final render (with the input gain found).
    pub settings: Settings,
    /// Measurements.
    pub report: MasterReport,
}

/// Progress of a job.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Fraction of the whole job done, 0..1.
    pub fraction: f64,
    /// What is happening now, for display.
    pub phase: &'static str,
    /// True when `into_result` may be called.
    pub done: bool,
}

/// Where a job is.
enum Phase {
    /// Metering the input.
    Input { meter: Meter, pos: usize },
    /// Rendering a pass (search pass or final render).
    Render { render: Renderer, settings: Settings, gr_db: Vec<f32> },
    /// Metering a rendered pass.
    Measure { out: Vec<Vec<f32>>, settings: Settings, gr_db: Vec<f32>, meter: Meter, pos: usize },
    /// Finished.
    Done,
}

/// A rendered, measured pass kept as the candidate master.
struct Kept {
    /// Index in the search's pass log (`None` for a render outside the search).
    pass: Option<usize>,
    /// The samples.
    out: Vec<Vec<f32>>,
    /// The settings that produced them.
    settings: Settings,
    /// Their measurement.
    report: LoudnessReport,
}

/// Passes the progress bar expects the search to take before it knows better.
const EXPECTED_PASSES: usize = 3;

/// A mastering job in progress.
pub struct MasterJob {
    /// Input audio, planar.
    input: Vec<Vec<f32>>,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Settings for the final render (the search sets gain and limiter ceiling).
    settings: Settings,
    /// Target, if any.
    target: Option<Target>,
    /// The gain search, once the input is measured.
    search: Option<Search>,
    /// Current phase.
    phase: Phase,
    /// The candidate master.
    kept: Option<Kept>,
    /// Full chain passes rendered, passes.
    passes: usize,
    /// Work done so far, frames (metering and rendering each count).
    work_done: u64,
    /// Largest progress fraction reported, so it never goes backwards.
    last_fraction: f64,
    /// Report filled in as the job goes.
    report: MasterReport,
    /// The finished output.
    output: Option<Vec<Vec<f32>>>,
}

impl MasterJob {
    /// Checks the input and prepares the job.
    pub fn new(
        input: Vec<Vec<f32>>,
        sample_rate: u32,
        settings: Settings,
        target: Option<Target>,
    ) -> Result<Self, DspError> {
        if input.is_empty() || input.len() > 2 {
            return Err(DspError::Unsupported(format!(
                "{} channels: Lacquer masters mono or stereo files",
                input.len()
            )));
        }
        if !(8_000..=192_000).contains(&sample_rate) {
            return Err(DspError::Unsupported(format!(
                "{sample_rate} Hz: Lacquer works at 8 to 192 kHz"
            )));
        }
        let n = input[0].len();
        if input.iter().any(|c| c.len() != n) {
            return Err(DspError::BadInput("channels have different lengths".into()));
        }
        if let Some(t) = target {
            t.validate().map_err(DspError::BadSettings)?;
        }
        let meter = Meter::new(input.len(), sample_rate)?;
        Ok(Self {
            input,
            sample_rate,
            settings,
            target,
            search: None,
            phase: Phase::Input { meter, pos: 0 },
            kept: None,
            passes: 0,
            work_done: 0,
            last_fraction: 0.0,
            report: MasterReport { target, ..Default::default() },
            output: None,
        })
    }

    fn frames(&self) -> usize {
        self.input[0].len()
    }

    fn start_render(&mut self, settings: Settings) {
        let render = Renderer::new(&settings, self.sample_rate, self.input.len(), self.frames());
        self.phase = Phase::Render { render, settings, gr_db: Vec::new() };
    }

    /// After the input is measured, or a pass is measured: what next.
    fn plan(&mut self) {
        if let Some(s) = self.search.as_ref().and_then(Search::next) {
            self.start_render(s);
            return;
        }
        // Search over (or none asked for): is the kept pass the final master?
        let wanted = match &self.search {
            Some(s) => s.best(),
            None => None,
        };
        let final_settings = match &self.search {
            Some(s) => s.best_settings(),
            None => self.settings,
        };
        let have = self.kept.as_ref().is_some_and(|k| k.pass.is_some() && k.pass == wanted)
            || self.kept.as_ref().is_some_and(|k| k.pass.is_none());
        if have {
            self.finish();
        } else {
            self.kept = None;
            self.start_render(final_settings);
        }
    }

    fn finish(&mut self) {
        let k = self.kept.take().expect("a measured master");
        self.settings = k.settings;
        let r = &mut self.report;
        r.input_gain_db = k.settings.input_gain_db as f64;
        r.output_lufs = k.report.integrated_lufs;
        r.platforms = platforms::assess(&k.report);
        r.output_loudness = k.report;
        r.passes = self.passes;
        if let Some(s) = &self.search {
            let o = s.outcome();
            r.warning = o.warning.clone();
            r.target_outcome = Some(o);
        } else if r.input_lufs.is_none() {
            r.warning = Some("the input is silent (below the −70 LUFS absolute gate)".into());
        }
        self.output = Some(k.out);
        self.phase = Phase::Done;
    }

    /// Progress fraction: work done over the work expected (the expectation
    /// grows if the search needs more passes than usual).
    fn fraction(&mut self) -> f64 {
        let n = self.frames().max(1) as u64;
        let searching = self.target.is_some() && self.report.input_lufs.is_some();
        let expected_passes = if searching { EXPECTED_PASSES.max(self.passes + 1) } else { 1 };
        let total = n + 2 * n * expected_passes as u64;
        let f = (self.work_done as f64 / total as f64).min(0.99);
        self.last_fraction = self.last_fraction.max(f);
        self.last_fraction
    }

    /// Does up to about `budget_frames` frames of work (metering or rendering a
    /// frame each count as one; the chain is always driven in whole blocks).
    pub fn step(&mut self, budget_frames: usize) -> Progress {
        let mut budget = budget_frames.max(1);
        let n = self.frames();
        while budget > 0 {
            match &mut self.phase {
                Phase::Done => break,
                Phase::Input { meter, pos } => {
                    let e = (*pos + budget.min(BLOCK * 4)).min(n);
                    meter.add_channels(&self.input, *pos, e);
                    let k = e - *pos;
                    *pos = e;
                    budget = budget.saturating_sub(k.max(1));
                    self.work_done += k as u64;
                    if *pos >= n {
                        let rep = meter.report();
                        self.report.input_lufs = rep.integrated_lufs;
                        self.report.input_loudness = rep;
                        if let Some(t) = self.target {
                            self.search = Some(Search::new(
                                self.settings,
                                t,
                                self.report.input_lufs,
                                SearchConfig::default(),
                            ));
                        }
                        self.plan();
                    }
                }
                Phase::Render { render, gr_db, .. } => {
                    let before = render.progress();
                    let done = render.step(&self.input, BLOCK);
                    gr_db.push(render.meters().limiter_gr_db);
                    let k = ((render.progress() - before) * (n as f64)) as usize;
                    budget = budget.saturating_sub(BLOCK);
                    self.work_done += k as u64;
                    if done {
                        let Phase::Render { render, settings, gr_db } =
                            std::mem::replace(&mut self.phase, Phase::Done)
                        else {
                            unreachable!()
                        };
                        self.passes += 1;
                        let meter = match Meter::new(self.input.len(), self.sample_rate) {
                            Ok(m) => m,
                            Err(_) => unreachable!("validated in new"),
                        };
                        self.phase =
                            Phase::Measure { out: render.into_output(), settings, gr_db, meter, pos: 0 };
                    }
                }
                Phase::Measure { out, meter, pos, .. } => {
                    let e = (*pos + budget.min(BLOCK * 4)).min(n);
                    meter.add_channels(out, *pos, e);
                    let k = e - *pos;
                    *pos = e;
                    budget = budget.saturating_sub(k.max(1));
                    self.work_done += k as u64;
                    if *pos >= n {
                        let Phase::Measure { out, settings, gr_db, meter, .. } =
                            std::mem::replace(&mut self.phase, Phase::Done)
                        else {
                            unreachable!()
                        };
                        self.measured(out, settings, &gr_db, meter.report());
                    }
                }
            }
        }
        if matches!(self.phase, Phase::Done) {
            return Progress { fraction: 1.0, phase: "done", done: true };
        }
        let phase = match (&self.phase, &self.search) {
            (Phase::Input { .. }, _) => "measuring the input",
            (_, Some(s)) if s.next().is_some() => "finding the gain for the target",
            _ => "mastering",
        };
        Progress { fraction: self.fraction(), phase, done: false }
    }

    /// A pass has been rendered and measured.
    fn measured(&mut self, out: Vec<Vec<f32>>, settings: Settings, gr_db: &[f32], rep: LoudnessReport) {
        let in_search = self.search.as_ref().is_some_and(|s| s.next() == Some(settings));
        if !in_search {
            self.kept = Some(Kept { pass: None, out, settings, report: rep });
            self.finish();
            return;
        }
        let search = self.search.as_mut().expect("searching");
        let (loud, max) = target::limiter_gr_stats(gr_db);
        search.record(PassMeasure {
            input_gain_db: settings.input_gain_db as f64,
            chain_ceiling_dbtp: settings.limiter.ceiling_dbtp as f64,
            lufs: rep.integrated_lufs,
            true_peak_dbtp: rep.true_peak_dbtp,
            limiter_gr_loud_db: loud,
            limiter_gr_max_db: max,
        });
        let idx = search.passes() - 1;
        if search.best() == Some(idx) {
            self.kept = Some(Kept { pass: Some(idx), out, settings, report: rep });
        }
        self.plan();
    }

    /// The finished master. Panics if the job is not done.
    pub fn into_result(self) -> MasterResult {
        MasterResult {
            channels: self.output.expect("job finished"),
            sample_rate: self.sample_rate,
            settings: self.settings,
            report: self.report,
        }
    }

    /// Runs the whole job.
    pub fn run(mut self) -> MasterResult {
        while !self.step(usize::MAX).done {}
        self.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, amp: f32, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * amp
            })
            .collect()
    }

    #[test]
    fn step_sizes_do_not_change_the_result() {
        let sr = 44_100;
        let l = noise(sr as usize * 4, 0.1, 1);
        let r = noise(sr as usize * 4, 0.1, 2);
        let t = Some(Target { lufs: -16.0, ceiling_dbtp: -1.0 });
        let a = MasterJob::new(vec![l.clone(), r.clone()], sr, Settings::default(), t).unwrap().run();
        let mut job = MasterJob::new(vec![l, r], sr, Settings::default(), t).unwrap();
        let mut last = 0.0;
        loop {
            let p = job.step(777);
            assert!(p.fraction >= last && p.fraction <= 1.0);
            last = p.fraction;
            if p.done {
                break;
            }
        }
        let b = job.into_result();
        assert_eq!(a.channels, b.channels);
        assert_eq!(a.report, b.report);
        let o = a.report.output_lufs.unwrap();
        assert!((o + 16.0).abs() <= 0.005, "{o}");
        assert_eq!(a.report.platforms.len(), platforms::PLATFORMS.len());
        assert!(a.report.passes >= 1);
    }

    #[test]
    fn silence_gets_a_clear_answer() {
        let sr = 48_000;
        let z = vec![0.0f32; sr as usize * 2];
        let res = MasterJob::new(vec![z.clone(), z], sr, Settings::default(), Some(Target::default()))
            .unwrap()
            .run();
        assert_eq!(res.report.input_gain_db, 0.0);
        assert!(res.report.output_lufs.is_none());
        assert!(res.report.warning.as_deref().unwrap().contains("silent"));
        let j = serde_json::to_string(&res.report).unwrap();
        assert!(!j.contains("NaN"));
    }

    #[test]
    fn no_target_renders_once() {
        let sr = 48_000;
        let l = noise(sr as usize * 2, 0.2, 3);
        let res = MasterJob::new(vec![l], sr, Settings::default(), None).unwrap().run();
        assert_eq!(res.report.passes, 1);
        assert!(res.report.target_outcome.is_none());
        assert_eq!(res.channels.len(), 1);
    }
}

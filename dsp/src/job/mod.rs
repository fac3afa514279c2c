//! A whole-file mastering job: meter the input, run the master-to-target search
//! (full passes of the chain), render the final master, and measure it. It runs
//! in bounded steps so the browser can show progress and stay responsive; the CLI
//! runs it to completion. Both get identical samples and an identical report:
//! nothing depends on the step sizes, and every decision is made from
//! deterministic measurements (see [`crate::loudness::target`]).
//!
//! The job borrows its input, shared ([`MasterJob::shared`]): the browser's
//! worker keeps the file loaded across exports, and a job never copies it
//! (the proxy's excerpts, about [`PROXY_FRACTION`] of it, are a copy). The
//! input may come measured already ([`MasterJob::with_input_report`]).
//!
//! With a target, each search pass renders the chain without its output stage
//! and is metered block by block as it renders, for integrated loudness and
//! true peak (loudness alone when the chain's true-peak limiter bounds the
//! peaks). A pass no larger than [`MasterJob::keep_passes_up_to`] is kept
//! whole: if it is chosen, it goes through the output stage once, with the
//! output gain that trims it to the target
//! ([`crate::render::OutputRender`]). A larger pass keeps only its
//! measurements, and the final pass renders the whole chain again with the
//! chosen settings: the same samples either way. Without a target the chain
//! renders once, output stage included. Either way the master itself is
//! metered in full for the report, piece by piece as it is produced: what
//! the artist reads is measured on what they download.
//!
//! The master is handed out a piece at a time as it is finished
//! ([`MasterJob::step_with`]), so a browser export encodes it as it goes and
//! never holds it whole; [`MasterJob::finish`] then gives the settings and
//! the report. [`MasterJob::step`], [`MasterJob::run`] and
//! [`MasterJob::into_result`] collect the whole master instead.
//!
//! Before the first full pass, a file of [`PROXY_MIN_S`] or more gets a
//! proxy search: the same search over excerpts of the file, one short-term
//! window each, picked at quantiles of the input's short-term loudness. It
//! predicts the whole file's loudness change through the chain, so the first
//! full pass usually lands in the window at once: one or two full passes
//! instead of three to five.
//!
//! Native builds use the second core wherever the order of the work allows
//! ([`MasterJob::run`], and the CLI's [`MasterJob::decode_and_measure`] and
//! [`MasterJob::run_with`]): the input is decoded piece by piece while the
//! pieces are metered, the true peak beside the BS.1770 meter; the excerpts
//! render on two threads; a full pass runs the chain split in two halves on
//! two threads ([`crate::render::Renderer::run_split`]), metered block by
//! block on a third; and the master is finished a piece at a time (the kept
//! pass through the output stage, or the chain once more) while the finished
//! pieces are metered and handed to the encoder. The samples and the report
//! are the same as the browser's single-threaded steps give.

#[cfg(not(target_arch = "wasm32"))]
mod native;
mod phases;
mod proxy;
#[cfg(test)]
mod tests;

use crate::error::DspError;
use crate::loudness::meter::{LoudnessReport, Meter};
use crate::loudness::platforms::PlatformPlayback;
use crate::loudness::target::{Search, Target, TargetOutcome};
use crate::settings::Settings;
use phases::{KeptPass, Phase};
use proxy::Proxy;
pub use proxy::{PROXY_FRACTION, PROXY_MIN_S};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a finished job reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MasterReport {
    /// Integrated loudness of the input, LUFS (None for silence).
    pub input_lufs: Option<f64>,
    /// Integrated loudness of the output, LUFS (None for silence).
    pub output_lufs: Option<f64>,
    /// Gain into the chain that was used, dB.
    pub input_gain_db: f64,
    /// Output gain that was used, dB (with a target: the trim to the target).
    pub output_gain_db: f64,
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
    /// Full passes of the chain over the file, passes: the search's (the
    /// master is the chosen one through the output stage, whether it was
    /// kept or rendered again), or the one render without a search.
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
    /// The settings of the master: a plain render of the input with these
    /// settings gives exactly these samples.
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
    /// True when `finish` or `into_result` may be called.
    pub done: bool,
}

/// Default for [`MasterJob::keep_passes_up_to`], bytes: unlimited natively
/// (the CLI keeps every pass, which saves rendering the chain once more);
/// in wasm 128 MiB, about 5.8 minutes of 48 kHz stereo, so that a long
/// file's passes keep only their measurements.
#[cfg(not(target_arch = "wasm32"))]
pub const DEFAULT_KEEP_PASS_LIMIT_BYTES: usize = usize::MAX;
/// Default for [`MasterJob::keep_passes_up_to`], bytes: unlimited natively
/// (the CLI keeps every pass, which saves rendering the chain once more);
/// in wasm 128 MiB, about 5.8 minutes of 48 kHz stereo, so that a long
/// file's passes keep only their measurements.
#[cfg(target_arch = "wasm32")]
pub const DEFAULT_KEEP_PASS_LIMIT_BYTES: usize = 128 << 20;

/// A mastering job in progress.
pub struct MasterJob {
    /// Input audio, planar, shared with the caller and never written.
    input: Arc<Vec<Vec<f32>>>,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Settings for the final render (the search sets the gains and the limiter ceiling).
    settings: Settings,
    /// Target, if any.
    target: Option<Target>,
    /// The input's measurement, given by the caller and not taken yet.
    input_report: Option<LoudnessReport>,
    /// The gain search, once the input is measured.
    search: Option<Search>,
    /// The proxy search, while it runs.
    proxy: Option<Proxy>,
    /// Current phase.
    phase: Phase,
    /// The search pass chosen so far, if it was kept whole.
    kept: Option<KeptPass>,
    /// Largest search pass kept whole for the output stage, bytes.
    keep_limit_bytes: usize,
    /// Full chain passes counted in the report, passes.
    passes: usize,
    /// Proxy-search passes rendered (over the excerpts), passes.
    proxy_passes: usize,
    /// Work done so far, frames (metering and rendering a frame each count one).
    work_done: u64,
    /// Work the input's measurement counts for, frames (0 when it was given).
    input_work: u64,
    /// Largest progress fraction reported, so it never goes backwards.
    last_fraction: f64,
    /// Report filled in as the job goes.
    report: MasterReport,
    /// The master collected so far by [`MasterJob::step`] (or whole, from
    /// [`MasterJob::run_with`]), planar.
    master: Vec<Vec<f32>>,
    /// Driven by the native [`MasterJob::run_with`]: use a second core, and
    /// stop before the final pass, which `run_with` runs itself.
    parallel: bool,
    /// The outcome of an earlier job with the same input, settings and
    /// target ([`MasterJob::with_known_outcome`]): its settings and report.
    known: Option<(Settings, MasterReport)>,
    /// That job's master, handed out instead of a render
    /// ([`MasterJob::with_known_master`]), until the replay starts.
    known_master: Option<Arc<Vec<Vec<f32>>>>,
}

impl MasterJob {
    /// Whether a job can master this format to this target.
    fn check(channels: usize, sample_rate: u32, target: Option<Target>) -> Result<(), DspError> {
        if channels == 0 || channels > 2 {
            return Err(DspError::Unsupported(format!("{channels} channels: Lacquer masters mono or stereo files")));
        }
        if !(8_000..=192_000).contains(&sample_rate) {
            return Err(DspError::Unsupported(format!("{sample_rate} Hz: Lacquer works at 8 to 192 kHz")));
        }
        match target {
            Some(t) => t.validate().map_err(DspError::BadSettings),
            None => Ok(()),
        }
    }

    /// Checks the input and prepares the job; the job owns the input.
    pub fn new(
        input: Vec<Vec<f32>>,
        sample_rate: u32,
        settings: Settings,
        target: Option<Target>,
    ) -> Result<Self, DspError> {
        Self::shared(Arc::new(input), sample_rate, settings, target)
    }

    /// Checks the input (planar, mono or stereo) and prepares the job. The
    /// job reads the input where it is and never copies it whole; the
    /// caller may keep it for other jobs.
    pub fn shared(
        input: Arc<Vec<Vec<f32>>>,
        sample_rate: u32,
        settings: Settings,
        target: Option<Target>,
    ) -> Result<Self, DspError> {
        Self::check(input.len(), sample_rate, target)?;
        let n = input[0].len();
        if input.iter().any(|c| c.len() != n) {
            return Err(DspError::BadInput("channels have different lengths".into()));
        }
        let meter = Meter::new(input.len(), sample_rate)?;
        let channels = input.len();
        Ok(Self {
            input,
            sample_rate,
            settings,
            target,
            input_report: None,
            search: None,
            proxy: None,
            phase: Phase::Input { meter, pos: 0 },
            kept: None,
            keep_limit_bytes: DEFAULT_KEEP_PASS_LIMIT_BYTES,
            passes: 0,
            proxy_passes: 0,
            work_done: 0,
            input_work: n as u64,
            last_fraction: 0.0,
            report: MasterReport { target, ..Default::default() },
            master: vec![Vec::new(); channels],
            parallel: false,
            known: None,
            known_master: None,
        })
    }

    /// Starts the job with its input measured already: `report` must be
    /// what [`Meter::new`] over the whole input reports (as
    /// [`crate::loudness::meter::analyze`] gives), and the job then skips
    /// metering the input. Same samples, same report. A report that cannot
    /// be that (another channel count, rate or length, or no short-term
    /// curve), or one given after the first step, is ignored: the job
    /// measures the input itself.
    pub fn with_input_report(mut self, report: LoudnessReport) -> Self {
        let (n, sr) = (self.frames(), self.sample_rate);
        let tick = (sr as usize + 5) / 10;
        let fits = report.channels == self.channels()
            && report.sample_rate == sr
            && report.duration_s == n as f64 / sr as f64
            && report.short_term_curve.len() == n / tick;
        if fits && matches!(self.phase, Phase::Input { pos: 0, .. }) {
            self.input_report = Some(report);
            self.input_work = 0;
        }
        self
    }

    /// Starts the job knowing its outcome: `settings` and `report` are what
    /// [`MasterJob::finish`] gave for an earlier job on the same input with
    /// the same settings and target (the search is deterministic, so it
    /// would find them again). The job skips the search and renders the
    /// chain once with those settings: the same samples (a plain render
    /// with the chosen settings gives the master, see [`MasterResult`]) and
    /// the same report, its measurements taken again on the way. Ignored
    /// without a target or after the first step.
    pub fn with_known_outcome(mut self, settings: Settings, report: MasterReport) -> Self {
        if self.target.is_some() && report.target == self.target && matches!(self.phase, Phase::Input { pos: 0, .. }) {
            self.known = Some((settings, report));
        }
        self
    }

    /// [`MasterJob::with_known_outcome`] with that job's master too (its
    /// samples, as it handed them out): the job hands it out a piece at a
    /// time instead of rendering, and its outcome is the known one, report
    /// and all. Ignored when [`MasterJob::with_known_outcome`] would ignore
    /// the outcome, or when the master is not of this job's shape.
    pub fn with_known_master(self, settings: Settings, report: MasterReport, master: Arc<Vec<Vec<f32>>>) -> Self {
        let fits = master.len() == self.channels() && master.iter().all(|c| c.len() == self.frames());
        let mut job = self.with_known_outcome(settings, report);
        if fits && job.known.is_some() {
            job.known_master = Some(master);
        }
        job
    }

    /// The master the job hands out instead of rendering, if it was given
    /// one ([`MasterJob::with_known_master`]) and has not finished.
    pub fn known_master(&self) -> Option<&Arc<Vec<Vec<f32>>>> {
        match &self.phase {
            Phase::Replay { master, .. } => Some(master),
            _ => self.known_master.as_ref(),
        }
    }

    /// Keeps a search pass whole for the output stage when it takes at most
    /// `bytes` (channels × frames × 4); a larger one keeps only its
    /// measurements, and the final pass renders the chain again: the same
    /// samples, without holding a copy of the file (two while a pass renders
    /// and an earlier one is kept). The default is
    /// [`DEFAULT_KEEP_PASS_LIMIT_BYTES`]. Set it before the first step.
    pub fn keep_passes_up_to(mut self, bytes: usize) -> Self {
        self.keep_limit_bytes = bytes;
        self
    }

    /// Frames per channel of the input (and of the master).
    pub fn frames(&self) -> usize {
        self.input[0].len()
    }

    /// Channels of the input (and of the master).
    pub fn channels(&self) -> usize {
        self.input.len()
    }

    /// Sample rate, Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Does up to about `budget_frames` frames of work (metering, rendering
    /// or running the output stage over a frame each count as one; the
    /// chain is always driven in whole blocks), and collects whatever part
    /// of the master became final, for [`MasterJob::into_result`].
    pub fn step(&mut self, budget_frames: usize) -> Progress {
        let mut master = std::mem::take(&mut self.master);
        let frames = self.frames();
        let progress = self.step_with(budget_frames, |piece| collect_into(&mut master, piece, frames));
        self.master = master;
        progress
    }

    /// Like [`MasterJob::step`], but hands the master to `each` instead of
    /// collecting it: one slice per channel, in order, every frame exactly
    /// once over the job, in pieces of up to [`crate::render::PIECE`] frames,
    /// each as soon as it is final. The master is never held whole (unless
    /// the chosen search pass was kept, see [`MasterJob::keep_passes_up_to`]:
    /// it becomes the master in place). Take the outcome with
    /// [`MasterJob::finish`].
    pub fn step_with(&mut self, budget_frames: usize, mut each: impl FnMut(&[&[f32]])) -> Progress {
        self.advance(budget_frames, &mut each);
        self.progress()
    }

    /// The settings of the master and its report, once the job is done
    /// (however the master was taken). Panics if the job is not done.
    pub fn finish(self) -> (Settings, MasterReport) {
        assert!(matches!(self.phase, Phase::Done), "the job is not finished");
        (self.settings, self.report)
    }

    /// The finished master, collected by [`MasterJob::step`] or
    /// [`MasterJob::run`]. Panics if the job is not done, or if any of the
    /// master was handed out by [`MasterJob::step_with`] instead.
    pub fn into_result(mut self) -> MasterResult {
        let frames = self.frames();
        assert!(
            self.master.iter().all(|c| c.len() == frames),
            "the master was handed out by step_with: take the outcome with finish"
        );
        let sample_rate = self.sample_rate;
        let channels = std::mem::take(&mut self.master);
        let (settings, report) = self.finish();
        MasterResult { channels, sample_rate, settings, report }
    }

    /// Runs the whole job (natively, on two cores: [`MasterJob::run_with`]
    /// with nothing to encode).
    pub fn run(self) -> MasterResult {
        #[cfg(not(target_arch = "wasm32"))]
        return self.run_with(|_| Ok::<(), std::convert::Infallible>(())).0;
        #[cfg(target_arch = "wasm32")]
        {
            let mut job = self;
            while !job.step(usize::MAX).done {}
            job.into_result()
        }
    }
}

/// Appends a piece of the master (one slice per channel) to `master`,
/// reserving the whole file's `frames` at the first piece.
pub(crate) fn collect_into(master: &mut [Vec<f32>], piece: &[&[f32]], frames: usize) {
    for (m, p) in master.iter_mut().zip(piece) {
        if m.capacity() == 0 {
            m.reserve_exact(frames);
        }
        m.extend_from_slice(p);
    }
}

//! A whole-file mastering job: meter the input, run the master-to-target search
//! (full passes of the chain), render the final master, and measure it. It runs
//! in bounded steps so the browser can show progress and stay responsive; the CLI
//! runs it to completion. Both get identical samples and an identical report:
//! nothing depends on the step sizes, and every decision is made from
//! deterministic measurements (see [`crate::loudness::target`]).
//!
//! With a target, each search pass renders the chain without its output stage
//! and is metered for integrated loudness and true peak (loudness alone when
//! the chain's true-peak limiter bounds the peaks). The chosen pass then goes
//! through the output stage once, with the output gain that trims it to the
//! target ([`OutputRender`]: the same samples a full render with the final
//! settings gives). Without a target the chain renders once, output stage
//! included. Either way the master itself is metered in full for the report:
//! what the artist reads is measured on what they download.
//!
//! Before the first full pass, a file of [`PROXY_MIN_S`] or more gets a
//! proxy search: the same search over excerpts of the file (about
//! [`PROXY_FRACTION`] of it). Each excerpt is one 3 s short-term window, with
//! half a second of pre-roll so the compressor and limiter have settled before
//! it is metered, and the windows are picked at evenly spaced quantiles of the
//! input's short-term loudness, so the excerpts hold the file's quiet and loud
//! passages in their proportions. The excerpts' loudness change through the
//! chain predicts the whole file's, so the first full pass starts from the
//! proxy's gain and slope and usually lands in the window at once: one or two
//! full passes instead of three to five.
//!
//! Native builds use the second core wherever the order of the work allows
//! ([`MasterJob::run`], and the CLI's [`MasterJob::decode_and_measure`] and
//! [`MasterJob::run_with`]): the input is decoded piece by piece while the
//! pieces are metered, the true peak beside the BS.1770 meter; the excerpts
//! render on two threads; a full pass runs the chain split in two halves on
//! two threads ([`Renderer::run_split`]), metered block by block on a third;
//! and the chosen pass goes through the output stage a piece at a time while
//! the finished pieces are metered and handed to the encoder. The samples and
//! the report are the same as the browser's single-threaded steps give.

use crate::error::DspError;
use crate::loudness::meter::{LoudnessReport, Meter};
use crate::loudness::platforms::{self, PlatformPlayback};
use crate::loudness::target::{self, PassMeasure, Search, SearchConfig, Target, TargetOutcome};
use crate::render::{OutputRender, Renderer, BLOCK};
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
    /// True when `into_result` may be called.
    pub done: bool,
}

/// Where a job is.
enum Phase {
    /// Metering the input.
    Input { meter: Meter, pos: usize },
    /// Rendering a proxy-search pass over the excerpts, one after another
    /// (`render`, once started, is excerpt `done.len()`), or all at once natively.
    Proxy { render: Option<Renderer>, done: Vec<Vec<Vec<f32>>>, settings: Settings, gr_db: Vec<f32> },
    /// Rendering a search pass (without the output stage) or, without a
    /// search, the master.
    Render { render: Renderer, settings: Settings, gr_db: Vec<f32>, search_pass: bool },
    /// Metering a rendered search pass (light meter) or the master (full meter).
    Measure { rendered: Rendered, meter: Meter, pos: usize, search_pass: bool },
    /// Running the output stage over the chosen search pass.
    Output { render: OutputRender, settings: Settings },
    /// Finished.
    Done,
}

/// A rendered pass or master.
struct Rendered {
    /// The chain's warm-up frames (search passes only).
    head: Vec<Vec<f32>>,
    /// The samples.
    out: Vec<Vec<f32>>,
    /// The settings that produced them.
    settings: Settings,
    /// Per-block limiter gain reduction, dB.
    gr_db: Vec<f32>,
}

/// Passes the progress bar expects the search to take before it knows better.
const EXPECTED_PASSES: usize = 2;

/// Shortest file that gets a proxy search, s.
pub const PROXY_MIN_S: f64 = 30.0;
/// Share of the file the proxy's excerpts cover (pre-roll included).
pub const PROXY_FRACTION: f64 = 0.12;
/// Pre-roll rendered before each excerpt and not metered (several times the
/// compressor's and limiter's release), s.
const PROXY_PRE_S: f64 = 0.5;
/// Metered length of each excerpt: one short-term window, in 100 ms ticks.
const PROXY_TICKS: usize = 30;
/// Fewest and most excerpts.
const PROXY_EXCERPTS: (usize, usize) = (4, 32);

/// The proxy search's excerpts, concatenated, and its state. Each excerpt
/// is rendered by a chain of its own (from silence, through its pre-roll), so
/// the excerpts are independent of each other and of their order.
struct Proxy {
    /// The excerpts, pre-roll included, back to back, planar.
    input: Vec<Vec<f32>>,
    /// Each excerpt's range within `input`, frames.
    spans: Vec<(usize, usize)>,
    /// The metered range of each excerpt within `input`, frames.
    measured: Vec<(usize, usize)>,
    /// The search over the excerpts.
    search: Search,
}

impl Proxy {
    /// The proxy for `input` (metered as `report`), or `None` if the file is
    /// too short or the excerpts are silent.
    fn build(input: &[Vec<f32>], report: &LoudnessReport, settings: Settings, target: Target) -> Option<Self> {
        let input_lufs = report.integrated_lufs?;
        let sample_rate = report.sample_rate;
        let frames = input[0].len();
        let fs = sample_rate as f64;
        let secs = frames as f64 / fs;
        if secs < PROXY_MIN_S {
            return None;
        }
        // The meter's tick, frames (see `Meter`): curve point k ends at (k + 1) ticks.
        let tick = (sample_rate as usize + 5) / 10;
        let (pre, meas) = ((PROXY_PRE_S * fs) as usize, PROXY_TICKS * tick);
        let per = (pre + meas) as f64 / fs;
        let count = (libm::round(secs * PROXY_FRACTION / per) as usize).clamp(PROXY_EXCERPTS.0, PROXY_EXCERPTS.1);
        // Whole short-term windows inside the file, quietest to loudest.
        let mut points: Vec<(f64, usize)> = report
            .short_term_curve
            .iter()
            .enumerate()
            .skip(PROXY_TICKS - 1)
            .filter_map(|(k, v)| v.filter(|v| *v > -70.0).map(|v| (v, k)))
            .filter(|&(_, k)| (k + 1) * tick <= frames)
            .collect();
        if points.len() < count {
            return None;
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut ends: Vec<usize> = (0..count).map(|i| (points[(2 * i + 1) * points.len() / (2 * count)].1 + 1) * tick).collect();
        ends.sort_unstable();
        let mut proxy: Vec<Vec<f32>> = input.iter().map(|_| Vec::with_capacity(count * (pre + meas))).collect();
        let mut measured = Vec::with_capacity(count);
        let mut spans = Vec::with_capacity(count);
        for end in ends {
            let start = end - meas;
            let from = start.saturating_sub(pre);
            let at = proxy[0].len();
            for (p, c) in proxy.iter_mut().zip(input) {
                p.extend_from_slice(&c[from..end]);
            }
            measured.push((at + start - from, at + end - from));
            spans.push((at, at + end - from));
        }
        let lufs = Self::measure(&proxy, &measured, sample_rate).integrated_lufs?;
        // Aim the excerpts at the loudness change the whole file needs.
        let config = SearchConfig { max_passes: 4, tolerance_lu: 0.06, aim_lu: 0.0, trim_window_lu: 0.06, ..Default::default() };
        let full_aim = SearchConfig::default().aim_lu;
        let t = Target { lufs: target.lufs + full_aim + (lufs - input_lufs), ceiling_dbtp: target.ceiling_dbtp };
        let search = Search::new(settings, t, Some(lufs), config);
        Some(Self { input: proxy, spans, measured, search })
    }

    /// Excerpt `k`, planar.
    fn excerpt(&self, k: usize) -> Vec<&[f32]> {
        let (a, b) = self.spans[k];
        self.input.iter().map(|c| &c[a..b]).collect()
    }

    /// A renderer for excerpt `k` with `settings`.
    fn renderer(&self, k: usize, settings: &Settings, sample_rate: u32) -> Renderer {
        let (a, b) = self.spans[k];
        Renderer::without_output_stage(settings, sample_rate, self.input.len(), b - a)
    }

    /// Renders every excerpt at once, half of them on a second thread.
    /// Returns the renders in order and the limiter's per-block readings.
    #[cfg(not(target_arch = "wasm32"))]
    fn render_all(&self, settings: &Settings, sample_rate: u32) -> (Vec<Vec<Vec<f32>>>, Vec<f32>) {
        let one = |k: usize| {
            let mut r = self.renderer(k, settings, sample_rate);
            let x = self.excerpt(k);
            let mut gr = Vec::new();
            while !r.step(&x, BLOCK) {
                gr.push(r.meters().limiter_gr_db);
            }
            gr.push(r.meters().limiter_gr_db);
            (r.into_output(), gr)
        };
        let n = self.spans.len();
        let (first, second) = std::thread::scope(|sc| {
            let h = sc.spawn(|| (n / 2..n).map(one).collect::<Vec<_>>());
            let first: Vec<_> = (0..n / 2).map(one).collect();
            (first, h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        let mut outs = Vec::with_capacity(n);
        let mut gr_db = Vec::new();
        for (o, g) in first.into_iter().chain(second) {
            outs.push(o);
            gr_db.extend(g);
        }
        (outs, gr_db)
    }

    /// The excerpts' renders back to back (the layout of `input`).
    fn concat(&self, outs: Vec<Vec<Vec<f32>>>) -> Vec<Vec<f32>> {
        let mut all: Vec<Vec<f32>> = self.input.iter().map(|_| Vec::with_capacity(self.input[0].len())).collect();
        for o in outs {
            for (a, c) in all.iter_mut().zip(o) {
                a.extend_from_slice(&c);
            }
        }
        all
    }

    /// Meters the loudness of the metered ranges of `audio` (the excerpts or their render).
    fn measure(audio: &[Vec<f32>], measured: &[(usize, usize)], sample_rate: u32) -> LoudnessReport {
        let Ok(mut m) = Meter::loudness_only(audio.len(), sample_rate) else {
            unreachable!("channels and rate validated in MasterJob::new")
        };
        for &(a, b) in measured {
            m.add_channels(audio, a, b);
        }
        m.report()
    }
}

/// A mastering job in progress.
pub struct MasterJob {
    /// Input audio, planar.
    input: Vec<Vec<f32>>,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Settings for the final render (the search sets the gains and the limiter ceiling).
    settings: Settings,
    /// Target, if any.
    target: Option<Target>,
    /// The gain search, once the input is measured.
    search: Option<Search>,
    /// The proxy search, while it runs.
    proxy: Option<Proxy>,
    /// Current phase.
    phase: Phase,
    /// The search pass chosen so far.
    kept: Option<Rendered>,
    /// Full chain passes rendered, passes.
    passes: usize,
    /// Proxy-search passes rendered (over the excerpts), passes.
    proxy_passes: usize,
    /// Work done so far, frames (metering and rendering each count).
    work_done: u64,
    /// Largest progress fraction reported, so it never goes backwards.
    last_fraction: f64,
    /// Report filled in as the job goes.
    report: MasterReport,
    /// The finished output.
    output: Option<Vec<Vec<f32>>>,
    /// Driven by the native [`MasterJob::run_with`]: use a second core, and
    /// stop before the output stage, which `run_with` runs in pieces.
    parallel: bool,
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

    /// Checks the input and prepares the job.
    pub fn new(
        input: Vec<Vec<f32>>,
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
        Ok(Self {
            input,
            sample_rate,
            settings,
            target,
            search: None,
            proxy: None,
            phase: Phase::Input { meter, pos: 0 },
            kept: None,
            passes: 0,
            proxy_passes: 0,
            work_done: 0,
            last_fraction: 0.0,
            report: MasterReport { target, ..Default::default() },
            output: None,
            parallel: false,
        })
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

    /// The meter for a render: in full for the master; for a search pass,
    /// integrated loudness and true peak, or loudness alone when the chain's
    /// true-peak limiter bounds the peaks (on, at 100 % amount; the master's
    /// true peak is still measured).
    fn meter(&self, full: bool, settings: &Settings) -> Meter {
        let (ch, sr) = (self.input.len(), self.sample_rate);
        let limited = !settings.limiter.bypass && settings.amount_pct >= 100.0;
        let m = if full {
            Meter::new(ch, sr)
        } else if limited {
            Meter::loudness_only(ch, sr)
        } else {
            Meter::with_mode(ch, sr, false)
        };
        match m {
            Ok(m) => m,
            Err(_) => unreachable!("channels and rate validated in new"),
        }
    }

    fn start_render(&mut self, settings: Settings, search_pass: bool) {
        let (ch, n) = (self.input.len(), self.frames());
        let render = if search_pass {
            Renderer::without_output_stage(&settings, self.sample_rate, ch, n)
        } else {
            Renderer::new(&settings, self.sample_rate, ch, n)
        };
        self.phase = Phase::Render { render, settings, gr_db: Vec::new(), search_pass };
    }

    /// After the input is measured, or a search pass is measured: what next.
    fn plan(&mut self) {
        if let Some(p) = &self.proxy {
            if let Some(s) = p.search.next() {
                self.phase = Phase::Proxy { render: None, done: Vec::new(), settings: s, gr_db: Vec::new() };
                return;
            }
            // Proxy done: seed the full search from its best pass.
            let p = self.proxy.take().expect("proxy");
            if let (Some(full), Some(_)) = (self.search.as_mut(), p.search.best()) {
                let s = p.search.best_settings();
                full.seed(s.input_gain_db as f64, s.limiter.ceiling_dbtp as f64, p.search.slope());
            }
        }
        if let Some(s) = self.search.as_ref().and_then(Search::next) {
            self.start_render(s, true);
            return;
        }
        let final_settings = match &self.search {
            Some(s) => s.best_settings(),
            None => self.settings,
        };
        match self.kept.take() {
            // The chosen pass, through the output stage with the trim.
            Some(k) => {
                let render = OutputRender::new(&final_settings.output, self.sample_rate, k.head, k.out);
                self.phase = Phase::Output { render, settings: final_settings };
            }
            // No search, or nothing to search (silence): one plain render.
            None => self.start_render(final_settings, false),
        }
    }

    fn finish(&mut self, out: Vec<Vec<f32>>, settings: Settings, rep: LoudnessReport) {
        self.settings = settings;
        let r = &mut self.report;
        r.input_gain_db = settings.input_gain_db as f64;
        r.output_gain_db = settings.output.gain_db as f64;
        r.output_lufs = rep.integrated_lufs;
        r.platforms = platforms::assess(&rep);
        r.passes = self.passes;
        if let Some(s) = &self.search {
            let mut o = s.outcome();
            if s.passes() > 0 {
                // What the master measures, rather than the prediction.
                o.reached_lufs = rep.integrated_lufs;
                o.reached_true_peak_dbtp = rep.true_peak_dbtp;
                if let Some(tp) = rep.true_peak_dbtp.filter(|tp| *tp > o.target.ceiling_dbtp) {
                    let w = format!("the master's true peak is {tp:.2} dBTP, over the {:.1} dBTP ceiling", o.target.ceiling_dbtp);
                    o.warning = Some(match o.warning.take() {
                        Some(prev) => format!("{prev}; {w}"),
                        None => w,
                    });
                }
            }
            o.proxy_passes = self.proxy_passes;
            r.warning = o.warning.clone();
            r.target_outcome = Some(o);
        } else if r.input_lufs.is_none() {
            r.warning = Some("the input is silent (below the −70 LUFS absolute gate)".into());
        }
        r.output_loudness = rep;
        self.output = Some(out);
        self.phase = Phase::Done;
    }

    /// Progress fraction: work done over the work expected (the expectation
    /// grows if the search needs more passes than usual).
    fn fraction(&mut self) -> f64 {
        let n = self.frames().max(1) as u64;
        let searching = self.target.is_some() && self.report.input_lufs.is_some();
        let expected_passes = if searching { EXPECTED_PASSES.max(self.passes + 1) } else { 1 };
        let total = n + 2 * n * expected_passes as u64 + if searching { 2 * n } else { 0 };
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
            if self.parallel && matches!(self.phase, Phase::Output { .. }) {
                break;
            }
            #[cfg(not(target_arch = "wasm32"))]
            if self.parallel && matches!(self.phase, Phase::Render { .. }) {
                self.render_and_measure();
                continue;
            }
            match &mut self.phase {
                Phase::Done => break,
                Phase::Input { meter, pos } => {
                    let e = if self.parallel { n } else { (*pos + budget.min(BLOCK * 4)).min(n) };
                    meter_range(meter, &self.input, *pos, e, self.parallel);
                    let k = e - *pos;
                    *pos = e;
                    budget = budget.saturating_sub(k.max(1));
                    self.work_done += k as u64;
                    if *pos >= n {
                        let rep = meter.report();
                        self.input_measured(rep);
                    }
                }
                Phase::Proxy { render, done, settings, gr_db } => {
                    let p = self.proxy.as_ref().expect("proxy");
                    let n_ex = p.spans.len();
                    #[cfg(not(target_arch = "wasm32"))]
                    if self.parallel && done.is_empty() {
                        let (outs, gr) = p.render_all(settings, self.sample_rate);
                        *done = outs;
                        *gr_db = gr;
                        self.work_done += p.input[0].len() as u64;
                    }
                    if done.len() < n_ex {
                        let k = done.len();
                        let r = render.get_or_insert_with(|| p.renderer(k, settings, self.sample_rate));
                        let before = r.progress();
                        let finished = r.step(&p.excerpt(k), BLOCK);
                        gr_db.push(r.meters().limiter_gr_db);
                        let (a, b) = p.spans[k];
                        self.work_done += ((r.progress() - before) * (b - a) as f64) as u64;
                        budget = budget.saturating_sub(BLOCK);
                        if finished {
                            done.push(render.take().expect("renderer").into_output());
                        }
                    }
                    if done.len() == n_ex {
                        let Phase::Proxy { done, settings, gr_db, .. } = std::mem::replace(&mut self.phase, Phase::Done)
                        else {
                            unreachable!()
                        };
                        self.proxy_passes += 1;
                        let p = self.proxy.as_mut().expect("proxy");
                        let out = p.concat(done);
                        let rep = Proxy::measure(&out, &p.measured, self.sample_rate);
                        record(&mut p.search, &settings, &gr_db, &rep);
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
                        let Phase::Render { render, settings, gr_db, search_pass } =
                            std::mem::replace(&mut self.phase, Phase::Done)
                        else {
                            unreachable!()
                        };
                        self.passes += 1;
                        let (head, out) = render.into_parts();
                        let meter = self.meter(!search_pass, &settings);
                        let rendered = Rendered { head, out, settings, gr_db };
                        self.phase = Phase::Measure { rendered, meter, pos: 0, search_pass };
                    }
                }
                Phase::Output { render, .. } => {
                    let before = render.progress();
                    let done = render.step(BLOCK * 4);
                    let k = ((render.progress() - before) * (n as f64)) as usize;
                    budget = budget.saturating_sub(BLOCK);
                    self.work_done += k as u64;
                    if done {
                        let Phase::Output { render, settings } = std::mem::replace(&mut self.phase, Phase::Done)
                        else {
                            unreachable!()
                        };
                        let meter = self.meter(true, &settings);
                        let rendered = Rendered { head: Vec::new(), out: render.into_output(), settings, gr_db: Vec::new() };
                        self.phase = Phase::Measure { rendered, meter, pos: 0, search_pass: false };
                    }
                }
                Phase::Measure { rendered, meter, pos, .. } => {
                    let e = if self.parallel { n } else { (*pos + budget.min(BLOCK * 4)).min(n) };
                    meter_range(meter, &rendered.out, *pos, e, self.parallel);
                    let k = e - *pos;
                    *pos = e;
                    budget = budget.saturating_sub(k.max(1));
                    self.work_done += k as u64;
                    if *pos >= n {
                        let Phase::Measure { rendered, meter, search_pass, .. } =
                            std::mem::replace(&mut self.phase, Phase::Done)
                        else {
                            unreachable!()
                        };
                        self.measured_done(rendered, meter.report(), search_pass);
                    }
                }
            }
        }
        if matches!(self.phase, Phase::Done) {
            return Progress { fraction: 1.0, phase: "done", done: true };
        }
        let phase = match (&self.phase, &self.search) {
            (Phase::Input { .. }, _) => "measuring the input",
            (Phase::Render { search_pass: true, .. } | Phase::Measure { search_pass: true, .. }, _) => {
                "finding the gain for the target"
            }
            _ => "mastering",
        };
        Progress { fraction: self.fraction(), phase, done: false }
    }

    /// The input has been measured: set up the search, and what comes next.
    fn input_measured(&mut self, rep: LoudnessReport) {
        self.report.input_lufs = rep.integrated_lufs;
        self.report.input_loudness = rep;
        if let Some(t) = self.target {
            self.search = Some(Search::new(self.settings, t, self.report.input_lufs, SearchConfig::default()));
            if self.report.input_lufs.is_some() {
                self.proxy = Proxy::build(&self.input, &self.report.input_loudness, self.settings, t);
            }
        }
        self.plan();
    }

    /// A render has been measured: a search pass, or the master.
    fn measured_done(&mut self, rendered: Rendered, rep: LoudnessReport, search_pass: bool) {
        if search_pass {
            self.measured(rendered, rep);
        } else {
            self.finish(rendered.out, rendered.settings, rep);
        }
    }

    /// The whole of a `Render` phase and its `Measure` phase at once, the
    /// meter on a second thread taking each block as the chain finishes it.
    #[cfg(not(target_arch = "wasm32"))]
    fn render_and_measure(&mut self) {
        let Phase::Render { mut render, settings, mut gr_db, search_pass } =
            std::mem::replace(&mut self.phase, Phase::Done)
        else {
            unreachable!()
        };
        let mut meter = self.meter(!search_pass, &settings);
        let input = &self.input;
        std::thread::scope(|sc| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<f32>>>(64);
            let m = &mut meter;
            let metering = sc.spawn(move || {
                for block in rx {
                    let refs: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
                    m.add(&refs);
                }
            });
            let mut sent = 0;
            render.run_split(input, |render| {
                gr_db.push(render.meters().limiter_gr_db);
                let ready = render.frames_done();
                if ready > sent {
                    let block = render.output().iter().map(|c| c[sent..ready].to_vec()).collect();
                    // The meter thread only stops early if it panicked: join reports it.
                    let _ = tx.send(block);
                    sent = ready;
                }
            });
            drop(tx);
            if let Err(e) = metering.join() {
                std::panic::resume_unwind(e);
            }
        });
        self.passes += 1;
        self.work_done += 2 * self.frames() as u64;
        let (head, out) = render.into_parts();
        self.measured_done(Rendered { head, out, settings, gr_db }, meter.report(), search_pass);
    }

    /// A search pass has been rendered and measured.
    fn measured(&mut self, pass: Rendered, rep: LoudnessReport) {
        let search = self.search.as_mut().expect("searching");
        record(search, &pass.settings, &pass.gr_db, &rep);
        let idx = search.passes() - 1;
        if search.best() == Some(idx) {
            self.kept = Some(pass);
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

    /// Runs the whole job like [`MasterJob::run`], handing the master to
    /// `encode` piece by piece (one slice per channel, in order, all of it
    /// exactly once) as soon as each piece is final. With a target, the
    /// chosen pass goes through the output stage a piece at a time on a
    /// second thread, which also takes the true peak and calls `encode`,
    /// while this one meters each piece for the report. Returns the result
    /// and the first error `encode` returned (it is not called after one).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run_with<E: Send>(
        mut self,
        mut encode: impl FnMut(&[&[f32]]) -> Result<(), E> + Send,
    ) -> (MasterResult, Result<(), E>) {
        /// Frames per piece (about a second).
        const PIECE: usize = 1 << 16;
        self.parallel = true;
        while !matches!(self.phase, Phase::Done | Phase::Output { .. }) {
            self.step(usize::MAX);
        }
        let Phase::Output { mut render, settings } = std::mem::replace(&mut self.phase, Phase::Done) else {
            // Rendered and metered in one go (no search): encode the result.
            let result = self.into_result();
            let written = crate::render::in_step(result.channels.iter().map(|c| c.chunks(PIECE)).collect()).try_for_each(|p| encode(&p));
            return (result, written);
        };
        let mut meter = self.meter(true, &settings);
        let mut peaks = meter.split_true_peak();
        let written = std::thread::scope(|sc| {
            let (tx, rx) = std::sync::mpsc::channel::<Vec<&[f32]>>();
            let render = &mut render;
            let finishing = sc.spawn(move || {
                let mut written = Ok(());
                render.run_into(PIECE, |piece| {
                    // The meter thread only stops early if it panicked: the scope reports it.
                    let _ = tx.send(piece.clone());
                    peaks.add(&piece);
                    if written.is_ok() {
                        written = encode(&piece);
                    }
                });
                (peaks, written)
            });
            for piece in rx {
                meter.add(&piece);
            }
            let (peaks, written) = finishing.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            meter.join_true_peak(peaks);
            written
        });
        self.work_done += 2 * self.frames() as u64;
        let rep = meter.report();
        self.finish(render.into_output(), settings, rep);
        (self.into_result(), written)
    }

    /// Like [`MasterJob::new`], for an input that is still to be decoded
    /// (see [`crate::loudness::meter::decode_and_measure`]: each piece is
    /// metered as soon as it is decoded). The job comes back with its input
    /// measured, as [`MasterJob::step`] would have left it.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn decode_and_measure(
        channels: usize,
        frames: usize,
        sample_rate: u32,
        settings: Settings,
        target: Option<Target>,
        decode: impl FnMut(&mut [&mut [f32]]) -> Result<(), DspError> + Send,
    ) -> Result<Self, DspError> {
        Self::check(channels, sample_rate, target)?;
        let (input, meter) = crate::loudness::meter::decode_and_measure(channels, frames, sample_rate, decode)?;
        let mut job = Self::new(input, sample_rate, settings, target)?;
        job.work_done += frames as u64;
        job.input_measured(meter.report());
        Ok(job)
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

/// Meters frames `start..end`, on two threads if asked (native builds).
fn meter_range(meter: &mut Meter, channels: &[Vec<f32>], start: usize, end: usize, parallel: bool) {
    #[cfg(not(target_arch = "wasm32"))]
    if parallel {
        return meter.add_channels_parallel(channels, start, end);
    }
    let _ = parallel;
    meter.add_channels(channels, start, end);
}

/// Hands a pass's measurement to a search.
fn record(search: &mut Search, settings: &Settings, gr_db: &[f32], rep: &LoudnessReport) {
    let (loud, max) = target::limiter_gr_stats(gr_db);
    search.record(PassMeasure {
        input_gain_db: settings.input_gain_db as f64,
        chain_ceiling_dbtp: settings.limiter.ceiling_dbtp as f64,
        lufs: rep.integrated_lufs,
        true_peak_dbtp: rep.true_peak_dbtp,
        limiter_gr_loud_db: loud,
        limiter_gr_max_db: max,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_signals::noise;


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
    fn run_with_encodes_the_master_and_reports_the_same() {
        // With a target (the measurement overlaps the encoding) and without
        // (rendered and metered in one go): `run_with` hands the encoder the
        // master and returns what `run` returns.
        let sr = 48_000;
        let input: Vec<Vec<f32>> = (0..2).map(|c| noise(sr as usize * 3, 0.3, 20 + c as u32)).collect();
        for t in [Some(Target { lufs: -12.0, ceiling_dbtp: -1.0 }), None] {
            let plain = MasterJob::new(input.clone(), sr, Settings::default(), t).unwrap().run();
            let mut encoded: Vec<Vec<f32>> = vec![Vec::new(); 2];
            let (res, written) = MasterJob::new(input.clone(), sr, Settings::default(), t)
                .unwrap()
                .run_with(|piece| {
                    encoded.iter_mut().zip(piece).for_each(|(e, p)| e.extend_from_slice(p));
                    Ok::<(), ()>(())
                });
            assert_eq!(written, Ok(()));
            assert_eq!(encoded, plain.channels);
            assert_eq!(res.channels, plain.channels);
            assert_eq!(res.report, plain.report);
            // An encoder that fails is not called again, and the job still finishes.
            let mut calls = 0;
            let (res, written) = MasterJob::new(input.clone(), sr, Settings::default(), t).unwrap().run_with(|_| {
                calls += 1;
                if calls == 2 { Err("disk full") } else { Ok(()) }
            });
            assert_eq!((written, calls), (Err("disk full"), 2));
            assert_eq!(res.report, plain.report);
            // Stepped partway first (into any phase), then run: the same.
            for stop in [0.2, 0.5, 0.7, 0.9] {
                let mut job = MasterJob::new(input.clone(), sr, Settings::default(), t).unwrap();
                while job.step(3000).fraction < stop {}
                let mut encoded: Vec<Vec<f32>> = vec![Vec::new(); 2];
                let (res, _) = job.run_with(|piece| {
                    encoded.iter_mut().zip(piece).for_each(|(e, p)| e.extend_from_slice(p));
                    Ok::<(), ()>(())
                });
                assert_eq!(encoded, plain.channels, "stopped at {stop}");
                assert_eq!(res.report, plain.report, "stopped at {stop}");
            }
        }
    }

    #[test]
    fn decoding_while_measuring_gives_the_same_master() {
        // The CLI's path (the input decoded piece by piece while it is
        // metered) against decoding first: same samples, same report.
        let sr = 48_000;
        let input: Vec<Vec<f32>> = (0..2).map(|c| noise(sr as usize * 35, 0.2, 30 + c as u32)).collect();
        let bytes = crate::wav::write_pcm(&input, sr, 24);
        let t = Some(Target { lufs: -14.0, ceiling_dbtp: -1.0 });
        let decoded = crate::wav::read(&bytes).unwrap();
        let plain = MasterJob::new(decoded.channels, sr, Settings::default(), t).unwrap().run();
        let mut pcm = crate::wav::PcmStream::new(std::io::Cursor::new(&bytes)).unwrap();
        let job = MasterJob::decode_and_measure(2, pcm.frames(), sr, Settings::default(), t, |piece| pcm.read_into(piece))
            .unwrap();
        let (res, written) = job.run_with(|_| Ok::<(), ()>(()));
        assert_eq!(written, Ok(()));
        assert_eq!(res.channels, plain.channels);
        assert_eq!(res.report, plain.report);
        assert!(res.report.target_outcome.as_ref().unwrap().proxy_passes > 0);
        // A decoding error comes back as the job's error.
        let failed = MasterJob::decode_and_measure(2, 1000, sr, Settings::default(), t, |_| {
            Err(DspError::BadInput("the WAV data cannot be read".into()))
        });
        assert!(failed.is_err());
    }

    #[test]
    fn master_is_a_plain_render_of_its_settings() {
        // The search renders without the output stage and trims afterwards;
        // the master must still be exactly what its reported settings render.
        let sr = 48_000;
        for ch in [1, 2] {
            let input: Vec<Vec<f32>> = (0..ch).map(|c| noise(sr as usize * 3, 0.3, 10 + c as u32)).collect();
            let t = Some(Target { lufs: -11.0, ceiling_dbtp: -1.0 });
            let res = MasterJob::new(input.clone(), sr, Settings::default(), t).unwrap().run();
            let plain = crate::render::render(&input, sr, &res.settings);
            assert_eq!(plain, res.channels, "{ch} channels");
            let r = &res.report;
            assert!(r.output_gain_db <= 0.0 && r.output_gain_db == res.settings.output.gain_db as f64);
            assert!((r.output_lufs.unwrap() + 11.0).abs() <= 0.005, "{r:?}");
            assert!(r.output_loudness.true_peak_dbtp.unwrap() <= -1.0);
            let o = r.target_outcome.as_ref().unwrap();
            assert_eq!(o.reached_lufs, r.output_lufs);
            // The report is what the master measures.
            let m = crate::loudness::meter::analyze(&res.channels, sr);
            let near = |a: Option<f64>, b: Option<f64>, tol: f64| (a.unwrap() - b.unwrap()).abs() <= tol;
            let got = &r.output_loudness;
            assert!(near(got.integrated_lufs, m.integrated_lufs, 1e-6), "{got:?} {m:?}");
            assert!(near(got.true_peak_dbtp, m.true_peak_dbtp, 1e-4));
            assert!(near(got.sample_peak_dbfs, m.sample_peak_dbfs, 1e-4));
            assert!(near(got.max_short_term_lufs, m.max_short_term_lufs, 1e-6));
            assert!((got.lra_lu - m.lra_lu).abs() <= 1e-6);
            assert_eq!(got.short_term_curve.len(), m.short_term_curve.len());
            for (a, b) in got.short_term_curve.iter().zip(&m.short_term_curve) {
                assert!(near(*a, *b, 1e-6));
            }
        }
    }

    #[test]
    fn proxy_search_is_the_same_stepped_and_run() {
        // A file long enough for the proxy search: `run` (two threads) and
        // small steps (one thread, as in the browser) give the same master.
        let sr = 22_050;
        let n = sr as usize * 40;
        let env = |i: usize| if (i / sr as usize) % 10 < 4 { 0.15 } else { 0.6 };
        let l: Vec<f32> = noise(n, 1.0, 21).iter().enumerate().map(|(i, x)| x * env(i)).collect();
        let r: Vec<f32> = noise(n, 1.0, 22).iter().enumerate().map(|(i, x)| x * env(i)).collect();
        let t = Some(Target { lufs: -12.0, ceiling_dbtp: -1.0 });
        let a = MasterJob::new(vec![l.clone(), r.clone()], sr, Settings::default(), t).unwrap().run();
        let mut job = MasterJob::new(vec![l, r], sr, Settings::default(), t).unwrap();
        while !job.step(5000).done {}
        let b = job.into_result();
        assert!(a.report.target_outcome.as_ref().unwrap().proxy_passes > 0);
        assert_eq!(a.channels, b.channels);
        assert_eq!(a.report, b.report);
        assert!((a.report.output_lufs.unwrap() + 12.0).abs() <= 0.005);
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

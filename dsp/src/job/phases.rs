//! A job's phases and how it steps through them on one thread (the browser's
//! way; the native driver in `native.rs` takes some phases whole, on more
//! cores, with the same results).

use super::proxy::{ExcerptRender, Proxy};
use super::{MasterJob, Progress};
use crate::loudness::meter::{LoudnessReport, Meter};
use crate::loudness::platforms;
use crate::loudness::target::{self, PassMeasure, Search, SearchConfig};
use crate::render::{OutputRender, Renderer, BLOCK};
use crate::settings::Settings;
use std::sync::Arc;

/// Passes the progress bar expects the search to take before it knows better.
const EXPECTED_PASSES: usize = 2;

/// Where a job is.
pub(super) enum Phase {
    /// Metering the input (`pos` frames so far), unless it was given.
    Input { meter: Meter, pos: usize },
    /// A proxy-search pass: the excerpts rendered one after another (`done`
    /// of them finished, `render` the next once started, or all at once
    /// natively), their metered windows fed to `meter` in order.
    Proxy { render: Option<ExcerptRender>, done: usize, meter: Meter, settings: Settings, gr_db: Vec<f32> },
    /// A search pass: the chain without its output stage over the whole
    /// file, metered (light meter) as it renders, kept whole if small enough.
    Search { render: Renderer, meter: Meter, settings: Settings },
    /// The master rendered by the whole chain (no search, or the chosen pass
    /// was not kept), metered in full and handed out as it renders.
    Render { render: Renderer, meter: Meter, settings: Settings },
    /// The output stage over the kept chosen pass, in place, metered in full
    /// and handed out as it goes.
    Output { render: OutputRender, meter: Meter, settings: Settings },
    /// The master an earlier job made, handed out as it is (`pos` frames
    /// so far): see [`MasterJob::with_known_master`].
    Replay { master: Arc<Vec<Vec<f32>>>, pos: usize },
    /// Finished.
    Done,
}

/// A search pass kept whole for the output stage.
pub(super) struct KeptPass {
    /// The chain's warm-up frames, per channel.
    pub(super) head: Vec<Vec<f32>>,
    /// The pass, per channel.
    pub(super) body: Vec<Vec<f32>>,
}

/// Frames of chain work a budget buys at `cost` budget per frame: whole
/// blocks (so the blocks never depend on the budget), at least one.
fn blocks_for(budget: usize, cost: usize) -> usize {
    (budget / cost).div_ceil(BLOCK).max(1).saturating_mul(BLOCK)
}

impl MasterJob {
    /// Does up to about `budget_frames` frames of work, handing every piece
    /// of the master that becomes final to `each`. Driven by `run_with`
    /// (`parallel`), it takes the input, the proxy and the search passes
    /// whole, on more cores, and stops before the final pass.
    pub(super) fn advance(&mut self, budget_frames: usize, each: &mut impl FnMut(&[&[f32]])) {
        let mut budget = budget_frames.max(1);
        let (n, sr) = (self.frames(), self.sample_rate);
        while budget > 0 {
            if self.parallel {
                match self.phase {
                    Phase::Render { .. } | Phase::Output { .. } | Phase::Replay { .. } => break,
                    #[cfg(not(target_arch = "wasm32"))]
                    Phase::Search { .. } => {
                        self.search_pass_parallel();
                        continue;
                    }
                    _ => {}
                }
            }
            match &mut self.phase {
                Phase::Done => break,
                Phase::Input { meter, pos } => {
                    if let Some(rep) = self.input_report.take() {
                        self.input_measured(rep);
                        continue;
                    }
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
                Phase::Proxy { render, done, meter, settings, gr_db } => {
                    let p = self.proxy.as_ref().expect("proxy");
                    let count = p.excerpts();
                    #[cfg(not(target_arch = "wasm32"))]
                    if self.parallel && *done == 0 && render.is_none() {
                        *gr_db = p.render_all(settings, sr, meter);
                        *done = count;
                        self.work_done += p.frames() as u64;
                    }
                    if *done < count {
                        let e = render.get_or_insert_with(|| p.start(*done, settings, sr));
                        let chunk = blocks_for(budget, 1);
                        let before = e.frames_done();
                        let finished = p.step(e, chunk, |w| meter.add(w));
                        self.work_done += (e.frames_done() - before) as u64;
                        budget = budget.saturating_sub(chunk);
                        if finished {
                            gr_db.extend_from_slice(e.limiter_gr_db());
                            *render = None;
                            *done += 1;
                        }
                    }
                    if *done == count {
                        let rep = meter.report();
                        let Phase::Proxy { settings, gr_db, .. } = std::mem::replace(&mut self.phase, Phase::Done) else {
                            unreachable!()
                        };
                        self.proxy_passes += 1;
                        let p = self.proxy.as_mut().expect("proxy");
                        record(&mut p.search, &settings, &gr_db, &rep);
                        self.plan();
                    }
                }
                Phase::Search { render, meter, .. } => {
                    let chunk = blocks_for(budget, 2);
                    let before = render.frames_done();
                    let finished = render.step_with(&self.input[..], chunk, |piece| meter.add(piece));
                    self.work_done += 2 * (render.frames_done() - before) as u64;
                    budget = budget.saturating_sub(chunk.saturating_mul(2));
                    if finished {
                        let Phase::Search { render, meter, settings } = std::mem::replace(&mut self.phase, Phase::Done)
                        else {
                            unreachable!()
                        };
                        self.search_pass_done(render, meter, settings);
                    }
                }
                Phase::Render { render, meter, .. } => {
                    let chunk = blocks_for(budget, 2);
                    let before = render.frames_done();
                    let finished = render.step_with(&self.input[..], chunk, |piece| {
                        meter.add(piece);
                        each(piece);
                    });
                    self.work_done += 2 * (render.frames_done() - before) as u64;
                    budget = budget.saturating_sub(chunk.saturating_mul(2));
                    if finished {
                        let Phase::Render { meter, settings, .. } = std::mem::replace(&mut self.phase, Phase::Done)
                        else {
                            unreachable!()
                        };
                        self.master_measured(settings, meter.report());
                    }
                }
                Phase::Replay { master, pos } => {
                    let e = (*pos + budget.min(crate::render::PIECE)).min(n);
                    if e > *pos {
                        let piece: Vec<&[f32]> = master.iter().map(|c| &c[*pos..e]).collect();
                        each(&piece);
                    }
                    self.work_done += 2 * (e - *pos) as u64;
                    budget = budget.saturating_sub((e - *pos).max(1));
                    *pos = e;
                    if e == n {
                        self.replay_done();
                    }
                }
                Phase::Output { render, meter, .. } => {
                    let chunk = blocks_for(budget, 2);
                    let before = render.frames_done();
                    let finished = render.step_with(chunk, |piece| {
                        meter.add(piece);
                        each(piece);
                    });
                    self.work_done += 2 * (render.frames_done() - before) as u64;
                    budget = budget.saturating_sub(chunk.saturating_mul(2));
                    if finished {
                        let Phase::Output { meter, settings, .. } = std::mem::replace(&mut self.phase, Phase::Done)
                        else {
                            unreachable!()
                        };
                        self.master_measured(settings, meter.report());
                    }
                }
            }
        }
    }

    /// Where the job is, for display.
    pub(super) fn progress(&mut self) -> Progress {
        let phase = match self.phase {
            Phase::Done => return Progress { fraction: 1.0, phase: "done", done: true },
            Phase::Input { .. } => "measuring the input",
            Phase::Proxy { .. } | Phase::Search { .. } => "finding the gain for the target",
            Phase::Render { .. } | Phase::Output { .. } | Phase::Replay { .. } => "mastering",
        };
        Progress { fraction: self.fraction(), phase, done: false }
    }

    /// Progress fraction: work done over the work expected (the expectation
    /// grows if the search needs more passes than usual).
    fn fraction(&mut self) -> f64 {
        let n = self.frames().max(1) as u64;
        let searching = self.known.is_none() && self.target.is_some() && self.report.input_lufs.is_some();
        let expected_passes = if searching { EXPECTED_PASSES.max(self.passes + 1) } else { 1 };
        let total = self.input_work + 2 * n * expected_passes as u64 + if searching { 2 * n } else { 0 };
        let f = (self.work_done as f64 / total as f64).min(0.99);
        self.last_fraction = self.last_fraction.max(f);
        self.last_fraction
    }

    /// The meter for a render: in full for the master; for a search pass,
    /// integrated loudness and true peak, or loudness alone when the chain's
    /// true-peak limiter bounds the peaks (on, at 100 % amount; the master's
    /// true peak is still measured).
    fn meter(&self, full: bool, settings: &Settings) -> Meter {
        let (ch, sr) = (self.channels(), self.sample_rate);
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

    /// The input has been measured: set up the search, and what comes next.
    fn input_measured(&mut self, rep: LoudnessReport) {
        self.report.input_lufs = rep.integrated_lufs;
        self.report.input_loudness = rep;
        if let Some((settings, _)) = &self.known {
            // The outcome is known: one render with its settings.
            self.settings = *settings;
            self.plan();
            return;
        }
        if let Some(t) = self.target {
            self.search = Some(Search::new(self.settings, t, self.report.input_lufs, SearchConfig::default()));
            if self.report.input_lufs.is_some() {
                self.proxy = Proxy::build(&self.input, &self.report.input_loudness, self.settings, t);
            }
        }
        self.plan();
    }

    /// After the input is measured, or a search pass is measured: what next.
    fn plan(&mut self) {
        if let Some(p) = &self.proxy {
            if let Some(settings) = p.search.next() {
                let Ok(meter) = Meter::loudness_only(self.channels(), self.sample_rate) else {
                    unreachable!("channels and rate validated in new")
                };
                self.phase = Phase::Proxy { render: None, done: 0, meter, settings, gr_db: Vec::new() };
                return;
            }
            // Proxy done: seed the full search from its best pass.
            let p = self.proxy.take().expect("proxy");
            if let (Some(full), Some(_)) = (self.search.as_mut(), p.search.best()) {
                let s = p.search.best_settings();
                full.seed(s.input_gain_db as f64, s.limiter.ceiling_dbtp as f64, p.search.slope());
            }
        }
        let (ch, n, sr) = (self.channels(), self.frames(), self.sample_rate);
        if let Some(settings) = self.search.as_ref().and_then(Search::next) {
            let bytes = ch.saturating_mul(n).saturating_mul(std::mem::size_of::<f32>());
            let render = if bytes <= self.keep_limit_bytes {
                Renderer::without_output_stage(&settings, sr, ch, n)
            } else {
                Renderer::streaming(&settings, sr, ch, n, false)
            };
            let meter = self.meter(false, &settings);
            self.phase = Phase::Search { render, meter, settings };
            return;
        }
        let settings = match &self.search {
            Some(s) => s.best_settings(),
            None => self.settings,
        };
        if let Some(master) = self.known_master.take() {
            self.phase = Phase::Replay { master, pos: 0 };
            return;
        }
        let meter = self.meter(true, &settings);
        self.phase = match self.kept.take() {
            // The chosen pass, through the output stage with the trim.
            Some(k) => Phase::Output { render: OutputRender::new(&settings.output, sr, k.head, k.body), meter, settings },
            // No search, nothing to search (silence), or the chosen pass was
            // not kept: the whole chain with the final settings, which gives
            // what the output stage over the chosen pass would. Natively the
            // master is returned whole, so the render keeps it.
            None => {
                let render = if self.parallel {
                    Renderer::new(&settings, sr, ch, n)
                } else {
                    Renderer::streaming(&settings, sr, ch, n, true)
                };
                Phase::Render { render, meter, settings }
            }
        };
    }

    /// A search pass has been rendered and measured: record it, keep it if
    /// it was kept whole and is the best so far, and plan what comes next.
    pub(super) fn search_pass_done(&mut self, render: Renderer, meter: Meter, settings: Settings) {
        self.passes += 1;
        let gr_db = render.limiter_gr_db().to_vec();
        let kept = if render.keeps_output() {
            let (head, body) = render.into_parts();
            Some(KeptPass { head, body })
        } else {
            None
        };
        let rep = meter.report();
        let search = self.search.as_mut().expect("searching");
        record(search, &settings, &gr_db, &rep);
        if search.best() == Some(search.passes() - 1) {
            self.kept = kept;
        }
        self.plan();
    }

    /// The known master has been handed out: the outcome is the known one.
    pub(super) fn replay_done(&mut self) {
        let (settings, report) = self.known.take().expect("a replay has a known outcome");
        self.settings = settings;
        self.report = report;
        self.phase = Phase::Done;
    }

    /// The master has been rendered with `settings` and measured as `rep`:
    /// fill in the report.
    pub(super) fn master_measured(&mut self, settings: Settings, rep: LoudnessReport) {
        if self.search.as_ref().and_then(Search::best).is_none() {
            // A render of its own, not the chosen search pass (rendered again or not).
            self.passes += 1;
        }
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
        } else if let Some((_, known)) = self.known.take() {
            // The search's verdict as it was (its figures are this master's).
            r.passes = known.passes;
            r.warning = known.warning;
            r.target_outcome = known.target_outcome;
        } else if r.input_lufs.is_none() {
            r.warning = Some("the input is silent (below the −70 LUFS absolute gate)".into());
        }
        r.output_loudness = rep;
        self.phase = Phase::Done;
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

//! The proxy search: the master-to-target search over excerpts of the file
//! before its first full pass.
//!
//! Each excerpt is one 3 s short-term window, with half a second of pre-roll
//! so the compressor and limiter have settled before it is metered, and the
//! windows are picked at evenly spaced quantiles of the input's short-term
//! loudness, so the excerpts hold the file's quiet and loud passages in their
//! proportions (about [`PROXY_FRACTION`] of the file in all). The excerpts'
//! loudness change through the chain predicts the whole file's, so the first
//! full pass starts from the proxy's gain and slope.
//!
//! The excerpts are a copy; their renders are not kept: each streams, and
//! only its metered window is fed to the pass's meter, in excerpt order.

use crate::loudness::meter::{LoudnessReport, Meter};
use crate::loudness::target::{Search, SearchConfig, Target};
use crate::render::Renderer;
use crate::settings::Settings;

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
pub(super) struct Proxy {
    /// The excerpts, pre-roll included, back to back, planar.
    input: Vec<Vec<f32>>,
    /// Each excerpt's range within `input`, frames.
    spans: Vec<(usize, usize)>,
    /// The metered range of each excerpt within `input`, frames.
    measured: Vec<(usize, usize)>,
    /// The search over the excerpts.
    pub(super) search: Search,
}

impl Proxy {
    /// The proxy for `input` (metered as `report`), or `None` if the file is
    /// too short or the excerpts are silent.
    pub(super) fn build(input: &[Vec<f32>], report: &LoudnessReport, settings: Settings, target: Target) -> Option<Self> {
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

    /// Excerpts, excerpts.
    pub(super) fn excerpts(&self) -> usize {
        self.spans.len()
    }

    /// Frames of all the excerpts, pre-roll included, frames.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn frames(&self) -> usize {
        self.input[0].len()
    }

    /// Excerpt `k`, planar.
    fn excerpt(&self, k: usize) -> Vec<&[f32]> {
        let (a, b) = self.spans[k];
        self.input.iter().map(|c| &c[a..b]).collect()
    }

    /// Starts rendering excerpt `k` with `settings`.
    pub(super) fn start(&self, k: usize, settings: &Settings, sample_rate: u32) -> ExcerptRender {
        let (a, b) = self.spans[k];
        ExcerptRender { k, render: Renderer::streaming(settings, sample_rate, self.input.len(), b - a, false), pos: 0 }
    }

    /// Renders up to `max_frames` more frames of an excerpt (whole blocks,
    /// see [`Renderer::step_with`]), handing the frames of its metered
    /// window to `window`, in order. Returns true when the excerpt is done.
    pub(super) fn step(&self, e: &mut ExcerptRender, max_frames: usize, mut window: impl FnMut(&[&[f32]])) -> bool {
        let (a, _) = self.spans[e.k];
        let (wa, wb) = (self.measured[e.k].0 - a, self.measured[e.k].1 - a);
        let x = self.excerpt(e.k);
        let pos = &mut e.pos;
        e.render.step_with(&x, max_frames, |piece| {
            let len = piece[0].len();
            let (s, t) = (wa.max(*pos), wb.min(*pos + len));
            if s < t {
                let mut w: [&[f32]; 2] = [&[]; 2];
                for (w, c) in w.iter_mut().zip(piece) {
                    *w = &c[s - *pos..t - *pos];
                }
                window(&w[..piece.len()]);
            }
            *pos += len;
        })
    }

    /// Renders every excerpt at once, half of them on a second thread, and
    /// meters their windows in order into `meter`. Returns the limiter's
    /// per-block readings, in excerpt order.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn render_all(&self, settings: &Settings, sample_rate: u32, meter: &mut Meter) -> Vec<f32> {
        let one = |k: usize| {
            let mut e = self.start(k, settings, sample_rate);
            let mut window: Vec<Vec<f32>> = vec![Vec::new(); self.input.len()];
            self.step(&mut e, usize::MAX, |w| window.iter_mut().zip(w).for_each(|(v, w)| v.extend_from_slice(w)));
            (window, e.render.limiter_gr_db().to_vec())
        };
        let n = self.spans.len();
        let (first, second) = std::thread::scope(|sc| {
            let h = sc.spawn(|| (n / 2..n).map(one).collect::<Vec<_>>());
            let first: Vec<_> = (0..n / 2).map(one).collect();
            (first, h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        let mut gr_db = Vec::new();
        for (window, gr) in first.into_iter().chain(second) {
            let w: Vec<&[f32]> = window.iter().map(Vec::as_slice).collect();
            meter.add(&w);
            gr_db.extend(gr);
        }
        gr_db
    }

    /// Meters the loudness of the metered ranges of `audio` (the excerpts).
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

/// An excerpt's render in progress (streaming: only its metered window is
/// handed on).
pub(super) struct ExcerptRender {
    /// Which excerpt.
    k: usize,
    /// The render, without the output stage.
    render: Renderer,
    /// Output frames of the excerpt rendered so far, frames.
    pos: usize,
}

impl ExcerptRender {
    /// Output frames of the excerpt rendered so far, frames.
    pub(super) fn frames_done(&self) -> usize {
        self.render.frames_done()
    }

    /// The limiter's gain reduction after each block so far, dB.
    pub(super) fn limiter_gr_db(&self) -> &[f32] {
        self.render.limiter_gr_db()
    }
}

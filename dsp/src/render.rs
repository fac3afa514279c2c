//! Offline rendering through [`Master`], compensating the chain's latency: the
//! output has exactly the input's length, is time-aligned with it, and keeps the
//! whole tail (the chain is flushed with `latency` frames of silence).
//!
//! Rendering runs in steps so a host can report progress and stay responsive;
//! the result does not depend on the step sizes. A render hands its output
//! out in pieces as it goes, and either keeps it whole as well or streams it,
//! holding one piece at most ([`Renderer::streaming`]), so a whole file can
//! be rendered and metered without a second copy of it.

use crate::chain::output::Output;
use crate::chain::util::CONTROL_PERIOD;
use crate::chain::Master;
use crate::settings::{OutputSettings, Settings};

/// Frames processed per internal block.
pub const BLOCK: usize = 4096;

/// `channels` buffers of `frames` zeros, each allocated on its own.
///
/// Not `vec![vec![0.0; frames]; channels]`: that clones the first buffer,
/// which reads it, and the first read of freshly allocated memory maps the
/// kernel's shared zero page. Every later write to that buffer then replaces
/// a mapped page, and each replacement interrupts every other thread of the
/// process to flush its TLB: writing a whole file that way (decoding or
/// rendering into it while another thread meters) cost Lacquer up to 0.2 s
/// per four minutes of stereo, and slowed the other thread by half as much.
pub fn zeroed(channels: usize, frames: usize) -> Vec<Vec<f32>> {
    (0..channels).map(|_| vec![0.0; frames]).collect()
}

/// Walks several iterators in step: each item holds the next item of every
/// one, until any runs out. Used to go through planar channels a piece at a
/// time (`in_step(channels.iter_mut().map(|c| c.chunks_mut(n)).collect())`).
pub fn in_step<I: Iterator>(mut iters: Vec<I>) -> impl Iterator<Item = Vec<I::Item>> {
    std::iter::from_fn(move || iters.iter_mut().map(Iterator::next).collect())
}

/// Most frames handed to a caller at once (about 1.4 s at 48 kHz): the
/// pieces of [`Renderer::step_with`] and [`OutputRender::step_with`], and the
/// whole output a streaming [`Renderer`] holds.
pub const PIECE: usize = 1 << 16;

/// An offline render of one file in progress.
///
/// It keeps either the whole output ([`Renderer::new`],
/// [`Renderer::without_output_stage`]) or, streaming
/// ([`Renderer::streaming`]), only the frames not yet handed to the caller
/// (at most [`PIECE`] per channel). Either way [`Renderer::step_with`] hands
/// every output frame to the caller once, in order, as soon as it is final.
pub struct Renderer {
    /// The chain.
    master: Master,
    /// Chain latency, frames.
    latency: usize,
    /// Input frames.
    frames: usize,
    /// Input channels (1 or 2).
    channels: usize,
    /// Sample rate, Hz (for the second chain of a split render).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    sample_rate: u32,
    /// Frames fed to the chain so far (input plus flush).
    fed: usize,
    /// Scratch buffers, left and right.
    buf: [Vec<f32>; 2],
    /// Output, one `Vec` per input channel: the whole output (`frames`
    /// long), or, streaming, output frames `base..` (`PIECE` long at most).
    out: Vec<Vec<f32>>,
    /// Keeping the whole output (not streaming).
    whole: bool,
    /// The output frame at `out[c][0]`, frames (0 unless streaming).
    base: usize,
    /// Output frames handed to a caller so far, frames.
    handed: usize,
    /// Without the output stage, keeping the whole output: the chain's first
    /// `latency` output frames (its warm-up, before the first aligned frame),
    /// one `Vec` per channel; empty otherwise.
    head: Vec<Vec<f32>>,
    /// The limiter's gain reduction after each block processed, dB.
    gr_db: Vec<f32>,
}

impl Renderer {
    /// Prepares a render of `frames` frames of `channels` (1 or 2) channels,
    /// keeping the whole output.
    pub fn new(settings: &Settings, sample_rate: u32, channels: usize, frames: usize) -> Self {
        Self::build(settings, sample_rate, channels, frames, true, true)
    }

    /// Like [`Renderer::new`], but renders without the chain's output stage
    /// (gain and dither) and keeps the chain's warm-up frames, so that
    /// [`OutputRender`] can apply the output stage later, exactly.
    pub fn without_output_stage(settings: &Settings, sample_rate: u32, channels: usize, frames: usize) -> Self {
        Self::build(settings, sample_rate, channels, frames, false, true)
    }

    /// Like [`Renderer::new`] (or, without `output_stage`,
    /// [`Renderer::without_output_stage`], but without keeping the warm-up),
    /// keeping only the output frames not yet handed to the caller of
    /// [`Renderer::step_with`]: at most [`PIECE`] frames per channel, however
    /// long the file. The samples are the same.
    pub fn streaming(settings: &Settings, sample_rate: u32, channels: usize, frames: usize, output_stage: bool) -> Self {
        Self::build(settings, sample_rate, channels, frames, output_stage, false)
    }

    fn build(settings: &Settings, sample_rate: u32, channels: usize, frames: usize, output_stage: bool, whole: bool) -> Self {
        assert!(channels == 1 || channels == 2, "Renderer takes mono or stereo");
        let mut master = Master::new(*settings);
        master.prepare(sample_rate as f64, BLOCK);
        master.set_output_stage(output_stage);
        let latency = master.latency_samples();
        let kept = if whole { frames } else { frames.min(PIECE) };
        Self {
            master,
            latency,
            frames,
            channels,
            sample_rate,
            fed: 0,
            buf: [vec![0.0; BLOCK], vec![0.0; BLOCK]],
            out: zeroed(channels, kept),
            whole,
            base: 0,
            handed: 0,
            head: if whole && !output_stage { zeroed(channels, latency) } else { Vec::new() },
            gr_db: Vec::new(),
        }
    }

    /// Total frames the chain will process (input plus latency flush).
    fn total(&self) -> usize {
        self.frames + self.latency
    }

    /// Processes up to `max_frames` more frames of `input` (planar, the channel
    /// count given to `new`). Returns true when the render is complete.
    pub fn step<C: AsRef<[f32]>>(&mut self, input: &[C], max_frames: usize) -> bool {
        self.step_with(input, max_frames, |_| {})
    }

    /// Like [`Renderer::step`], handing the output to `each` (one slice per
    /// channel): every frame once, in order, in pieces of up to [`PIECE`]
    /// frames, each as soon as a block makes it final and at the latest
    /// before returning. The chain runs in blocks of up to [`BLOCK`] frames,
    /// so `max_frames` in multiples of `BLOCK` keep the blocks (and the
    /// limiter readings, [`Renderer::limiter_gr_db`]) the same.
    pub fn step_with<C: AsRef<[f32]>>(&mut self, input: &[C], max_frames: usize, mut each: impl FnMut(&[&[f32]])) -> bool {
        let mut budget = max_frames.max(1);
        while budget > 0 && self.fed < self.total() {
            let n = BLOCK.min(budget).min(self.total() - self.fed);
            // Hand what is pending first if this block's frames would not fit in the piece.
            if (self.fed + n).saturating_sub(self.latency).min(self.frames) - self.handed > PIECE {
                self.hand(&mut each);
            }
            let [mut l, mut r] = std::mem::take(&mut self.buf);
            feed(input, self.frames, self.fed, &mut l[..n], &mut r[..n]);
            self.master.process(&mut l[..n], &mut r[..n]);
            self.store(&l[..n], &r[..n]);
            self.buf = [l, r];
            self.gr_db.push(self.master.meters().limiter_gr_db);
            budget -= n;
        }
        self.hand(&mut each);
        self.fed >= self.total()
    }

    /// Hands the output frames final and not handed yet to `each`.
    fn hand(&mut self, each: &mut impl FnMut(&[&[f32]])) {
        let ready = self.frames_done();
        if ready > self.handed {
            let (a, b) = (self.handed - self.base, ready - self.base);
            let mut piece: [&[f32]; 2] = [&[]; 2];
            for (p, c) in piece.iter_mut().zip(&self.out) {
                *p = &c[a..b];
            }
            each(&piece[..self.channels]);
            self.handed = ready;
            if !self.whole {
                self.base = ready;
            }
        }
    }

    /// Takes the chain's next `l.len()` output frames: the warm-up into
    /// `head` (if kept), the rest into the output.
    fn store(&mut self, l: &[f32], r: &[f32]) {
        let warm = self.latency.saturating_sub(self.fed).min(l.len());
        if warm > 0 && !self.head.is_empty() {
            for (h, x) in self.head.iter_mut().zip([l, r]) {
                h[self.fed..self.fed + warm].copy_from_slice(&x[..warm]);
            }
        }
        let len = l.len() - warm;
        if len > 0 {
            let at = self.fed + warm - self.latency - self.base;
            for (o, x) in self.out.iter_mut().zip([l, r]) {
                o[at..at + len].copy_from_slice(&x[warm..]);
            }
        }
        self.fed += l.len();
    }

    /// Renders the whole file at once with the chain split over two
    /// threads: [`Master::process_front`] (input, EQ, compressor, stereo) on
    /// a second thread a few blocks ahead, [`Master::process_back`]
    /// (limiter, output stage) on this one. The samples, the pieces handed to
    /// `each` and the limiter readings are exactly what [`Renderer::step_with`]
    /// in steps of [`BLOCK`] gives: `each` is called on this thread with the
    /// frames each block makes final.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run_split<C: AsRef<[f32]> + Sync>(&mut self, input: &[C], mut each: impl FnMut(&[&[f32]])) {
        /// Blocks in flight between the halves.
        const DEPTH: usize = 32;
        if self.fed > 0 {
            // Stepped partway already: the chain's state is in one piece, so
            // the rest renders here, block by block.
            while !self.step_with(input, BLOCK, &mut each) {}
            return;
        }
        let mut front = Master::new(*self.master.settings());
        front.prepare(self.sample_rate as f64, BLOCK);
        let (frames, total) = (self.frames, self.total());
        std::thread::scope(|sc| {
            let (to_back, from_front) = std::sync::mpsc::sync_channel::<[Vec<f64>; 4]>(DEPTH);
            let (to_front, spare) = std::sync::mpsc::channel::<[Vec<f64>; 4]>();
            for _ in 0..DEPTH {
                let _ = to_front.send(std::array::from_fn(|_| vec![0.0; BLOCK]));
            }
            sc.spawn(move || {
                let (mut a, mut b) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
                let mut fed = 0;
                while fed < total {
                    let n = BLOCK.min(total - fed);
                    // The back half hands every buffer back until it stops.
                    let Ok(mut x) = spare.recv() else { return };
                    feed(input, frames, fed, &mut a[..n], &mut b[..n]);
                    let [l, r, dl, dr] = &mut x;
                    front.process_front(&a[..n], &b[..n], &mut l[..n], &mut r[..n], &mut dl[..n], &mut dr[..n]);
                    if to_back.send(x).is_err() {
                        return;
                    }
                    fed += n;
                }
            });
            let [mut a, mut b] = std::mem::take(&mut self.buf);
            while self.fed < total {
                let n = BLOCK.min(total - self.fed);
                let mut x = from_front.recv().expect("the front half of the chain stopped");
                let [l, r, dl, dr] = &mut x;
                self.master.process_back(&mut l[..n], &mut r[..n], &dl[..n], &dr[..n], &mut a[..n], &mut b[..n]);
                let _ = to_front.send(x);
                self.store(&a[..n], &b[..n]);
                self.gr_db.push(self.master.meters().limiter_gr_db);
                self.hand(&mut each);
            }
            self.buf = [a, b];
        });
    }

    /// Fraction done, 0..1.
    pub fn progress(&self) -> f64 {
        if self.total() == 0 {
            1.0
        } else {
            self.fed as f64 / self.total() as f64
        }
    }

    /// The chain's meter readings from its last processed block.
    pub fn meters(&self) -> crate::chain::ChainMeters {
        self.master.meters()
    }

    /// The limiter's gain reduction after each block processed so far, dB
    /// (for the master-to-target search's limiter statistics).
    pub fn limiter_gr_db(&self) -> &[f32] {
        &self.gr_db
    }

    /// Output frames final so far (the chain has run past them), frames.
    pub fn frames_done(&self) -> usize {
        self.fed.saturating_sub(self.latency).min(self.frames)
    }

    /// Whether the whole output is kept (not [`Renderer::streaming`]).
    pub fn keeps_output(&self) -> bool {
        self.whole
    }

    /// The chain's latency, frames (already compensated in the output).
    pub fn latency(&self) -> usize {
        self.latency
    }

    /// The rendered output (valid once `step` has returned true; only the
    /// frames not handed yet when streaming).
    pub fn into_output(self) -> Vec<Vec<f32>> {
        self.out
    }

    /// The warm-up frames (empty unless rendering without the output stage
    /// and keeping the output) and the rendered output.
    pub fn into_parts(self) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        (self.head, self.out)
    }
}

/// The chain's next input frames `fed..fed + l.len()` from `input` (mono is
/// fed to both sides; past the end, the latency flush, silence).
fn feed<C: AsRef<[f32]>>(input: &[C], frames: usize, fed: usize, l: &mut [f32], r: &mut [f32]) {
    let (a, b) = (input[0].as_ref(), input[input.len().min(2) - 1].as_ref());
    for (i, (l, r)) in l.iter_mut().zip(r.iter_mut()).enumerate() {
        let k = fed + i;
        (*l, *r) = if k < frames { (a[k], b[k]) } else { (0.0, 0.0) };
    }
}

/// The chain's output stage (gain, dither) run over a render made with
/// [`Renderer::without_output_stage`], in steps, in place. The result is
/// exactly what [`Renderer::new`] with these output settings renders: the
/// stage sees the same f32 values, warm-up frames included, in the same order.
pub struct OutputRender {
    /// The output stage (both channels, as in the chain).
    stage: Output,
    /// Warm-up frames, per channel (processed, then dropped).
    head: Vec<Vec<f32>>,
    /// The render, per channel; becomes the output.
    body: Vec<Vec<f32>>,
    /// Frames done, counting the warm-up.
    pos: usize,
}

/// Runs `stage` over `chans` (one slice per channel, the same length), whose
/// first frame is frame `pos` of the stream, warm-up included, in segments
/// that never cross a control period, as in the chain.
fn output_run(stage: &mut Output, chans: &mut [&mut [f32]], pos: usize) {
    let n = chans.first().map_or(0, |c| c.len());
    let mut at = 0;
    while at < n {
        let phase = (pos + at) % CONTROL_PERIOD;
        let len = (CONTROL_PERIOD - phase).min(n - at);
        let mut x = [[0.0f64; CONTROL_PERIOD]; 2];
        for (x, c) in x.iter_mut().zip(chans.iter()) {
            for (v, s) in x.iter_mut().zip(&c[at..at + len]) {
                *v = *s as f64;
            }
        }
        let [l, r] = &mut x;
        if chans.len() == 2 {
            stage.process(&mut l[..len], &mut r[..len], phase);
        } else {
            stage.process_channel(0, &mut l[..len], phase);
        }
        for (x, c) in x.iter().zip(chans.iter_mut()) {
            for (v, s) in x.iter().zip(&mut c[at..at + len]) {
                *s = *v as f32;
            }
        }
        at += len;
    }
}

impl OutputRender {
    /// Prepares the output stage with `settings` over `head` and `body`
    /// (from [`Renderer::into_parts`]).
    pub fn new(settings: &OutputSettings, sample_rate: u32, head: Vec<Vec<f32>>, body: Vec<Vec<f32>>) -> Self {
        assert!(body.len() == 1 || body.len() == 2, "OutputRender takes mono or stereo");
        let mut stage = Output::new();
        stage.prepare((sample_rate as f64).clamp(8_000.0, 192_000.0), settings);
        Self { stage, head, body, pos: 0 }
    }

    fn warm(&self) -> usize {
        self.head.first().map_or(0, Vec::len)
    }

    fn total(&self) -> usize {
        self.warm() + self.body.first().map_or(0, Vec::len)
    }

    /// Processes up to `max_frames` more frames. Returns true when done.
    pub fn step(&mut self, max_frames: usize) -> bool {
        self.step_with(max_frames, |_| {})
    }

    /// Like [`OutputRender::step`], handing the output frames this call
    /// finished to `each` (one slice per channel, in order, in pieces of up
    /// to [`PIECE`] frames; the warm-up is processed, never handed).
    pub fn step_with(&mut self, max_frames: usize, mut each: impl FnMut(&[&[f32]])) -> bool {
        let (warm, end) = (self.warm(), self.total().min(self.pos.saturating_add(max_frames.max(1))));
        if self.pos < warm {
            let to = end.min(warm);
            let mut h: Vec<&mut [f32]> = self.head.iter_mut().map(|c| &mut c[self.pos..to]).collect();
            output_run(&mut self.stage, &mut h, self.pos);
            self.pos = to;
        }
        while self.pos < end {
            let to = end.min(self.pos + PIECE);
            let mut b: Vec<&mut [f32]> = self.body.iter_mut().map(|c| &mut c[self.pos - warm..to - warm]).collect();
            output_run(&mut self.stage, &mut b, self.pos);
            let piece: Vec<&[f32]> = b.into_iter().map(|c| &*c).collect();
            each(&piece);
            self.pos = to;
        }
        self.pos >= self.total()
    }

    /// Processes everything left and hands it to `each`, in order, one
    /// stretch at a time as soon as it is final (one slice per channel,
    /// `piece` frames or fewer; what [`OutputRender::step`] already processed
    /// is not handed again). Natively, the job meters and encodes the master
    /// on other threads while later pieces are processed.
    pub fn run_into<'a>(&'a mut self, piece: usize, mut each: impl FnMut(Vec<&'a [f32]>)) {
        let warm = self.warm();
        if self.pos < warm {
            self.step(warm - self.pos);
        }
        let from = self.pos - warm;
        self.pos = self.total();
        let stage = &mut self.stage;
        let piece = piece.max(1);
        let shared = |c: &'a mut [f32]| -> &'a [f32] { c };
        let left = self.body.iter_mut().map(|c| c[from..].chunks_mut(piece)).collect();
        let mut at = warm + from;
        for mut p in in_step(left) {
            output_run(stage, &mut p, at);
            at += p[0].len();
            each(p.into_iter().map(shared).collect());
        }
    }

    /// Output frames processed so far (the warm-up not counted), frames.
    pub fn frames_done(&self) -> usize {
        self.pos.saturating_sub(self.warm())
    }

    /// Fraction done, 0..1.
    pub fn progress(&self) -> f64 {
        let t = self.total();
        if t == 0 { 1.0 } else { self.pos as f64 / t as f64 }
    }

    /// The output (valid once `step` has returned true).
    pub fn into_output(self) -> Vec<Vec<f32>> {
        self.body
    }
}

/// Renders the whole of `input` (planar mono or stereo) through the chain.
pub fn render(input: &[Vec<f32>], sample_rate: u32, settings: &Settings) -> Vec<Vec<f32>> {
    let frames = input.first().map_or(0, |c| c.len());
    let mut r = Renderer::new(settings, sample_rate, input.len(), frames);
    while !r.step(input, usize::MAX) {}
    r.into_output()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, amp: f32, seed: u32) -> Vec<f32> {
        crate::test_signals::noise_bursts(n, amp, seed, 4.0)
    }

    #[test]
    fn output_stage_applied_later_is_exact() {
        let sr = 44_100;
        let n = 20_011;
        for channels in [1, 2] {
            let input: Vec<Vec<f32>> = (0..channels).map(|c| noise(n, 0.2, 7 + c as u32)).collect();
            for (bits, shaping) in [(24, false), (16, true)] {
                let mut s = Settings::default();
                s.input_gain_db = 9.0;
                s.output.gain_db = -0.37;
                s.output.dither_bits = bits;
                s.output.noise_shaping = shaping;
                let whole = render(&input, sr, &s);
                let mut pre = Renderer::without_output_stage(&s, sr, channels, n);
                while !pre.step(&input, 1000) {}
                let (head, body) = pre.into_parts();
                assert_eq!(head[0].len(), pre_latency(&s, sr));
                let mut out = OutputRender::new(&s.output, sr, head.clone(), body.clone());
                let mut steps = 0;
                while !out.step(777) {
                    steps += 1;
                }
                assert!(steps > 10);
                assert_eq!(out.into_output(), whole, "{channels} ch, {bits} bits");
                // In pieces, after steps partway through the warm-up or the body.
                for first in [10, head[0].len() + 5000] {
                    let mut pieces = OutputRender::new(&s.output, sr, head.clone(), body.clone());
                    let mut handed: Vec<Vec<f32>> = vec![Vec::new(); channels];
                    pieces.step_with(first, |p| handed.iter_mut().zip(p).for_each(|(h, p)| h.extend_from_slice(p)));
                    assert_eq!(handed[0].len(), first.saturating_sub(head[0].len()));
                    pieces.run_into(4001, |p| {
                        assert!(p[0].len() <= 4001);
                        handed.iter_mut().zip(&p).for_each(|(h, p)| h.extend_from_slice(p));
                    });
                    assert_eq!(handed, whole, "{channels} ch, {bits} bits, handed in pieces after {first}");
                    assert_eq!(pieces.progress(), 1.0);
                    assert_eq!(pieces.into_output(), whole, "{channels} ch, {bits} bits, in pieces after {first}");
                }
            }
        }
    }

    #[test]
    fn split_render_is_exact() {
        // The chain split over two threads renders what one chain renders:
        // stereo and mono, with and without the output stage, wet and
        // half-dry, limiting hard, over more blocks than are in flight.
        let sr = 48_000;
        let n = BLOCK * 40 + 123;
        for channels in [1, 2] {
            let input: Vec<Vec<f32>> = (0..channels).map(|c| noise(n, 0.4, 3 + c as u32)).collect();
            for (amount, gain, output_stage) in [(100.0, 12.0, true), (100.0, 0.0, false), (60.0, 6.0, true)] {
                let mut s = Settings::default();
                s.amount_pct = amount;
                s.input_gain_db = gain;
                s.output.noise_shaping = true;
                let new = |s: &Settings| {
                    if output_stage { Renderer::new(s, sr, channels, n) } else { Renderer::without_output_stage(s, sr, channels, n) }
                };
                let mut one = new(&s);
                let mut gr_one = Vec::new();
                while !one.step(&input, BLOCK) {
                    gr_one.push(one.meters().limiter_gr_db);
                }
                gr_one.push(one.meters().limiter_gr_db);
                assert_eq!(one.limiter_gr_db(), gr_one);
                let mut split = new(&s);
                let mut handed: Vec<Vec<f32>> = vec![Vec::new(); channels];
                split.run_split(&input, |p| {
                    assert!(p[0].len() <= BLOCK);
                    handed.iter_mut().zip(p).for_each(|(h, p)| h.extend_from_slice(p));
                });
                assert!(gr_one.iter().any(|g| *g > 1.0) || gain == 0.0);
                assert_eq!(split.limiter_gr_db(), gr_one, "{channels} ch, {amount} %");
                let split = split.into_parts();
                assert_eq!(split, one.into_parts(), "{channels} ch, {amount} %, output stage {output_stage}");
                assert_eq!(handed, split.1);
                // Stepped partway first: the rest renders on one thread, the same.
                let mut late = new(&s);
                late.step(&input, 3 * BLOCK);
                late.run_split(&input, |_| {});
                assert_eq!(late.into_parts(), split, "{channels} ch, {amount} %, stepped first");
                // Streaming, split or stepped: the same pieces, the output never held whole.
                let mut streamed: Vec<Vec<f32>> = vec![Vec::new(); channels];
                let mut stream = Renderer::streaming(&s, sr, channels, n, output_stage);
                stream.run_split(&input, |p| streamed.iter_mut().zip(p).for_each(|(h, p)| h.extend_from_slice(p)));
                assert_eq!(streamed, split.1);
                assert_eq!(stream.limiter_gr_db(), gr_one);
                assert!(stream.into_output()[0].len() <= PIECE);
            }
        }
    }

    #[test]
    fn streaming_render_hands_every_frame_once() {
        // A streaming render, stepped in any amounts, hands exactly what a
        // whole render holds, in pieces of at most PIECE frames, and keeps
        // no more than one piece.
        let sr = 44_100;
        let n = PIECE * 2 + 3 * BLOCK + 17;
        for channels in [1, 2] {
            let input: Vec<Vec<f32>> = (0..channels).map(|c| noise(n, 0.3, 11 + c as u32)).collect();
            for output_stage in [true, false] {
                let s = Settings::default();
                let mut whole =
                    if output_stage { Renderer::new(&s, sr, channels, n) } else { Renderer::without_output_stage(&s, sr, channels, n) };
                let mut from_whole: Vec<Vec<f32>> = vec![Vec::new(); channels];
                while !whole.step_with(&input, 10 * BLOCK, |p| {
                    assert!(p[0].len() <= PIECE);
                    from_whole.iter_mut().zip(p).for_each(|(h, p)| h.extend_from_slice(p));
                }) {}
                let gr = whole.limiter_gr_db().to_vec();
                let (_, out) = whole.into_parts();
                assert_eq!(from_whole, out);
                for step in [BLOCK, 40 * BLOCK, usize::MAX] {
                    let mut r = Renderer::streaming(&s, sr, channels, n, output_stage);
                    let mut got: Vec<Vec<f32>> = vec![Vec::new(); channels];
                    while !r.step_with(&input, step, |p| {
                        assert!(!p[0].is_empty() && p[0].len() <= PIECE);
                        got.iter_mut().zip(p).for_each(|(h, p)| h.extend_from_slice(p));
                    }) {}
                    assert_eq!(got, out, "{channels} ch, output stage {output_stage}, steps of {step}");
                    assert_eq!(r.limiter_gr_db(), gr);
                    assert!(r.into_parts().0.is_empty());
                }
            }
        }
    }

    fn pre_latency(s: &Settings, sr: u32) -> usize {
        Renderer::new(s, sr, 1, 0).latency()
    }
}

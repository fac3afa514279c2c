//! Sample-rate conversion for delivery: `rubato`'s windowed-sinc resampler,
//! one mono resampler per channel, aligned so that output frame `k` is the
//! input's value at time `k / out_rate` exactly (no net delay), and cut to
//! exactly `round(frames × out / in)` frames.
//!
//! ## Settings
//! - Sinc filter of `sinc_len` ≥ 256 input samples (longer above 48 kHz: the
//!   transition band keeps its width in Hz), windowed by the squared
//!   Blackman-Harris window (`WindowFunction::BlackmanHarris2`).
//! - Passband edge 20 kHz (or 0.9 × the lower Nyquist rate, for low rates),
//!   stopband edge 1.04 × the lower Nyquist rate (22.93 kHz for 44.1 kHz
//!   output: a 23 kHz tone in a 96 kHz file is removed, not folded back to
//!   21.1 kHz); the cut-off (−6 dB) sits midway. The window's main lobe is 16
//!   bins wide, so `sinc_len = 16 × in_rate / (stop − pass)` puts the whole
//!   transition between the two edges.
//! - `SincInterpolationType::Nearest` with an oversampling factor of
//!   `out / gcd(in, out)` (147 for 48 → 44.1 kHz, 160 for 44.1 → 48 kHz):
//!   every output instant falls exactly on one of the precomputed sinc phases,
//!   so there is no interpolation between phases at all (synchronous
//!   resampling). For a ratio that needs more than [`MAX_EXACT_PHASES`]
//!   phases, cubic interpolation between 256 phases.
//! - rubato's scalar interpolator ([`rubato::sinc_interpolator::ScalarInterpolator`]),
//!   in f64: its dot products add in the same order on every platform, so the
//!   samples are the same natively and in wasm (the AVX and SSE interpolators
//!   it would otherwise pick add in another order). Natively the channels run
//!   on two threads ([`Converter::push`]); each is the same mono resampler.
//!
//! ## Alignment
//! The first output of rubato's sinc resampler sits `sinc_len / 2` input
//! samples before the input's start. The converter feeds `pre` zeros first, the
//! fewest that make `sinc_len / 2 + pre` a whole number of output periods
//! (`(sinc_len / 2 + pre) × out / in` an integer `skip`), and drops the first
//! `skip` outputs: output frame `k` is then centred on input time `k × in / out`.

use rubato::sinc_interpolator::{AnyInterpolator, ScalarInterpolator};
use rubato::{Async, FixedAsync, Indexing, Resampler, SincInterpolationType, WindowFunction};

/// Input frames per resampler call.
const CHUNK: usize = 1024;

/// Most sinc phases precomputed for exact (synchronous) conversion.
pub const MAX_EXACT_PHASES: usize = 1024;

/// Greatest common divisor.
fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Frames a conversion of `frames` frames from `from` to `to` Hz gives:
/// `round(frames × to / from)` (halves up).
pub fn converted_len(frames: usize, from: u32, to: u32) -> usize {
    ((frames as u128 * to as u128 * 2 + from as u128) / (from as u128 * 2)) as usize
}

/// The zeros to feed before the input and the outputs to drop after them,
/// so that output frame `k` is centred on input time `k × from / to` (see
/// the module docs: rubato's output `m` is centred on input position
/// `(m + 1) × from / to − sinc_len / 2 + 1 / phases`).
fn alignment(from: u32, to: u32, d: &Design) -> (usize, usize) {
    let g = gcd(from as u64, to as u64);
    let (a, b) = (from as u64 / g, to as u64 / g);
    let half = d.sinc_len as u64 / 2;
    if !d.exact {
        // Interpolated phases: the nearest whole output period.
        let skip = ((half as f64 - 1.0 / d.phases as f64) * to as f64 / from as f64).round() as usize;
        return (0, skip.saturating_sub(1));
    }
    // With `pre` zeros first, output `skip + k` is centred on input time
    // `k × a / b` when `(skip + 1) × a = (half + pre) × b − 1`: `pre` makes
    // `(half + pre) × b ≡ 1 (mod a)`.
    let inv_b = (0..a).find(|&x| (x * b) % a == 1 % a).expect("b is invertible modulo a");
    let pre = (inv_b + a - half % a) % a;
    let skip = ((half + pre) * b - 1) / a - 1;
    (pre as usize, skip as usize)
}

/// The filter design for a conversion (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Design {
    /// Filter length, input samples (a multiple of 8).
    pub sinc_len: usize,
    /// Cut-off relative to the lower Nyquist rate.
    pub f_cutoff: f32,
    /// Sinc phases precomputed.
    pub phases: usize,
    /// Exact phases (nearest) or cubic interpolation between them.
    pub exact: bool,
    /// Passband edge, Hz.
    pub pass_hz: f64,
    /// Stopband edge, Hz.
    pub stop_hz: f64,
}

impl Design {
    /// The design for `from` → `to` Hz.
    pub fn new(from: u32, to: u32) -> Self {
        let nyq = from.min(to) as f64 / 2.0;
        let pass_hz = 20_000f64.min(0.9 * nyq);
        let stop_hz = 1.04 * nyq;
        let len = (16.0 * from as f64 / (stop_hz - pass_hz)).ceil() as usize;
        let sinc_len = len.max(256).next_multiple_of(8);
        let f_cutoff = ((pass_hz + stop_hz) / 2.0 / nyq) as f32;
        let g = gcd(from as u64, to as u64);
        let phases = (to as u64 / g) as usize;
        let exact = phases <= MAX_EXACT_PHASES;
        Self { sinc_len, f_cutoff, phases: if exact { phases } else { 256 }, exact, pass_hz, stop_hz }
    }
}

/// One channel's resampler and its pending input.
struct Lane {
    /// The resampler (mono).
    rs: Async<f64>,
    /// Input not yet given to the resampler (fewer than a chunk).
    pending: Vec<f64>,
    /// Output of the last call.
    out: Vec<f64>,
}

impl Lane {
    fn new(from: u32, to: u32, d: &Design) -> Self {
        let ratio = to as f64 / from as f64;
        let interp = ScalarInterpolator::<f64>::new(d.sinc_len, d.phases, d.f_cutoff * if ratio < 1.0 { ratio as f32 } else { 1.0 }, WindowFunction::BlackmanHarris2);
        let kind = if d.exact { SincInterpolationType::Nearest } else { SincInterpolationType::Cubic };
        let rs = Async::new_with_sinc_interpolator(
            ratio,
            1.0,
            kind,
            AnyInterpolator::Scalar(interp),
            d.f_cutoff,
            CHUNK,
            1,
            FixedAsync::Input,
        )
        .expect("valid resampler settings");
        let out = vec![0.0; rs.output_frames_max()];
        Self { rs, pending: Vec::with_capacity(CHUNK), out }
    }

    /// Feeds `x` (and `zeros` zeros after it, for the end); calls `emit` with
    /// each output run.
    fn feed(&mut self, x: &[f32], zeros: usize, emit: &mut impl FnMut(&[f64])) {
        let mut rest = x.iter().map(|&v| v as f64).chain(std::iter::repeat_n(0.0, zeros));
        loop {
            while self.pending.len() < CHUNK {
                match rest.next() {
                    Some(v) => self.pending.push(v),
                    None => return,
                }
            }
            self.run_chunk(emit);
        }
    }

    /// Converts the pending chunk.
    fn run_chunk(&mut self, emit: &mut impl FnMut(&[f64])) {
        let input = [std::mem::take(&mut self.pending)];
        let n_out = self.rs.output_frames_next();
        {
            let inp = rubato::audioadapter_buffers::direct::SequentialSliceOfVecs::new(&input, 1, CHUNK).expect("chunk");
            let mut outs = [std::mem::take(&mut self.out)];
            {
                let mut o = rubato::audioadapter_buffers::direct::SequentialSliceOfVecs::new_mut(&mut outs, 1, n_out)
                    .expect("output buffer");
                let (_, written) =
                    self.rs.process_into_buffer(&inp, &mut o, None::<&Indexing>).expect("resampler runs");
                debug_assert_eq!(written, n_out);
            }
            let [out] = outs;
            self.out = out;
        }
        let [mut p] = input;
        p.clear();
        self.pending = p;
        emit(&self.out[..n_out]);
    }
}

/// A streaming sample-rate converter (see the module docs).
pub struct Converter {
    /// One lane per channel.
    lanes: Vec<Lane>,
    /// Output frames still to drop at the start, per channel.
    skip: Vec<usize>,
    /// Output frames given out so far, per channel.
    given: Vec<usize>,
    /// Output frames in all.
    out_frames: usize,
    /// Input frames in all.
    in_frames: usize,
    /// Input frames pushed so far.
    pushed: usize,
    /// Zeros fed before the input.
    pre: usize,
    /// Zeros to feed after the input to flush the filter's tail.
    post: usize,
    /// Converted frames waiting to be handed out, per channel (f32).
    ready: Vec<Vec<f32>>,
    /// The design.
    design: Design,
}

impl Converter {
    /// A converter of `frames` frames of `channels` channels from `from` to `to` Hz.
    pub fn new(channels: usize, frames: usize, from: u32, to: u32) -> Self {
        let design = Design::new(from, to);
        let (pre, skip) = alignment(from, to, &design);
        let out_frames = converted_len(frames, from, to);
        let mut lanes: Vec<Lane> = (0..channels).map(|_| Lane::new(from, to, &design)).collect();
        for l in &mut lanes {
            l.pending.extend(std::iter::repeat_n(0.0, pre));
        }
        // Enough zeros after the input to bring out the last frame: the
        // filter's half length, a chunk's rounding, and slack.
        let post = design.sinc_len + 2 * CHUNK;
        Self {
            lanes,
            skip: vec![skip; channels],
            given: vec![0; channels],
            out_frames,
            in_frames: frames,
            pushed: 0,
            pre,
            post,
            ready: vec![Vec::new(); channels],
            design,
        }
    }

    /// The filter design.
    pub fn design(&self) -> Design {
        self.design
    }

    /// Zeros fed before the input (alignment).
    pub fn pre_zeros(&self) -> usize {
        self.pre
    }

    /// Output frames in all.
    pub fn out_frames(&self) -> usize {
        self.out_frames
    }

    /// Converts the next input frames (one slice per channel) and hands the
    /// converted frames that are ready to `emit`, one slice per channel. After
    /// the last input frame, the filter's tail is flushed and every output
    /// frame has been handed out.
    pub fn push(&mut self, piece: &[&[f32]], emit: &mut impl FnMut(&[&[f32]])) {
        let n = piece.first().map_or(0, |c| c.len());
        assert!(self.pushed + n <= self.in_frames, "more input than declared");
        self.pushed += n;
        let zeros = if self.pushed == self.in_frames { self.post } else { 0 };
        let out_frames = self.out_frames;
        let run = |lane: &mut Lane, x: &[f32], skip: &mut usize, given: &mut usize, ready: &mut Vec<f32>| {
            lane.feed(x, zeros, &mut |out: &[f64]| {
                let drop = (*skip).min(out.len());
                *skip -= drop;
                let take = (out.len() - drop).min(out_frames - *given);
                ready.extend(out[drop..drop + take].iter().map(|&v| v as f32));
                *given += take;
            });
        };
        #[cfg(not(target_arch = "wasm32"))]
        if self.lanes.len() == 2 && n >= 4096 {
            let (a, b) = self.lanes.split_at_mut(1);
            let (sa, sb) = self.skip.split_at_mut(1);
            let (ga, gb) = self.given.split_at_mut(1);
            let (ra, rb) = self.ready.split_at_mut(1);
            std::thread::scope(|sc| {
                sc.spawn(|| run(&mut b[0], piece[1], &mut sb[0], &mut gb[0], &mut rb[0]));
                run(&mut a[0], piece[0], &mut sa[0], &mut ga[0], &mut ra[0]);
            });
            self.hand_out(emit);
            return;
        }
        for (c, lane) in self.lanes.iter_mut().enumerate() {
            run(lane, piece[c], &mut self.skip[c], &mut self.given[c], &mut self.ready[c]);
        }
        self.hand_out(emit);
    }

    /// Hands out the frames every channel has ready.
    fn hand_out(&mut self, emit: &mut impl FnMut(&[&[f32]])) {
        let n = self.ready.iter().map(Vec::len).min().unwrap_or(0);
        if n == 0 {
            return;
        }
        {
            let piece: Vec<&[f32]> = self.ready.iter().map(|r| &r[..n]).collect();
            emit(&piece);
        }
        for r in &mut self.ready {
            r.drain(..n);
        }
    }

    /// True when every output frame has been handed out.
    pub fn done(&self) -> bool {
        self.given.iter().all(|&g| g == self.out_frames) && self.ready.iter().all(Vec::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_to_nearest() {
        assert_eq!(converted_len(48_000, 48_000, 44_100), 44_100);
        assert_eq!(converted_len(1, 48_000, 44_100), 1);
        assert_eq!(converted_len(160, 48_000, 44_100), 147);
        assert_eq!(converted_len(100, 96_000, 44_100), 46); // 45.9375
        assert_eq!(converted_len(0, 96_000, 44_100), 0);
    }

    /// An impulse at input frame `at` comes out centred on output time
    /// `at × out / in`: for a whole-number position, the output's largest
    /// sample is there and the response is symmetric about it.
    #[test]
    fn no_net_delay() {
        for (from, to) in [(48_000u32, 44_100u32), (44_100, 48_000), (96_000, 44_100), (96_000, 48_000)] {
            let g = gcd(from as u64, to as u64) as usize;
            let period = from as usize / g;
            let at = period * (2000 / period + 1); // a whole number of periods
            let n = at * 2 + 1000;
            let mut x = vec![0.0f32; n];
            x[at] = 1.0;
            let mut c = Converter::new(1, n, from, to);
            let mut y = Vec::new();
            c.push(&[&x[..]], &mut |p| y.extend_from_slice(p[0]));
            assert!(c.done());
            assert_eq!(y.len(), converted_len(n, from, to));
            let k = at * to as usize / from as usize;
            let peak = (0..y.len()).max_by(|&a, &b| y[a].abs().total_cmp(&y[b].abs())).unwrap();
            assert_eq!(peak, k, "{from} → {to}");
            for d in 1..50 {
                assert!((y[k - d] - y[k + d]).abs() < 1e-6, "{from} → {to}: symmetric at ±{d}");
            }
        }
    }
}

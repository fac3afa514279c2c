//! The worklet's monitoring stage: what the artist hears, after the chain.
//!
//! ```text
//! chain output (master) ──× master gain ──┐
//!                                          ├─ crossfade (master ↔ dry) ─► platform limiter ─► out
//! input ─► delay (chain latency) ─× mix gain ┘                            (fixed delay, on or off)
//! ```
//!
//! - The dry path is the input delayed by the chain's latency, so the two
//!   paths are in time with each other.
//! - Each path has a gain ([`GainRamp`]): the mix gained to the master's
//!   loudness for a matched A/B, or each path at a platform's playback gain
//!   to listen as on that platform. A change ramps over at most
//!   [`GAIN_RAMP_S`]; a path at exactly 0 dB whose ramp is over is not
//!   multiplied at all.
//! - The crossfade chooses master or dry over [`MONITOR_FADE_S`].
//! - The [`PlatformLimiter`] models a platform's playback limiter. It
//!   delays the audio by its lookahead whether it is on or off, so the
//!   whole monitor's latency is the chain's plus that lookahead, always.
//!
//! Lifecycle: `new` allocates; `process`, `reset` and the setters never
//! allocate.

use crate::chain::platform_limiter::PlatformLimiter;
use crate::loudness::platforms::PLAYBACK_LIMITER_MAX_ATTACK_MS;

/// Length of the crossfade between the master and the dry path, s.
pub const MONITOR_FADE_S: f32 = 0.010;

/// Longest ramp of a monitor gain change, s.
pub const GAIN_RAMP_S: f64 = 0.010;

/// Smallest and largest monitor gain accepted, dB.
pub const MONITOR_GAIN_RANGE_DB: (f32, f32) = (-120.0, 60.0);

/// A gain that ramps linearly to each new target over a fixed time.
#[derive(Clone, Copy, Debug)]
pub struct GainRamp {
    /// Gain now, linear.
    now: f64,
    /// Gain being ramped to, linear.
    target: f64,
    /// Change per frame while ramping, linear.
    step: f64,
    /// Frames left in the ramp (0: `now == target` exactly).
    left: usize,
    /// Ramp length, frames.
    len: usize,
}

impl GainRamp {
    /// A gain of 1 ramping over `len` frames.
    pub fn new(len: usize) -> Self {
        Self { now: 1.0, target: 1.0, step: 0.0, left: 0, len: len.max(1) }
    }

    /// Ramps to `gain` (linear) from where it is now.
    pub fn set(&mut self, gain: f64) {
        if gain == self.target {
            return;
        }
        self.target = gain;
        self.left = self.len;
        self.step = (gain - self.now) / self.len as f64;
    }

    /// Jumps to the target.
    pub fn settle(&mut self) {
        self.now = self.target;
        self.left = 0;
    }

    /// True when settled at exactly 1: the path is left untouched.
    pub fn is_unity(&self) -> bool {
        self.left == 0 && self.now == 1.0
    }

    /// Multiplies `x` by the gain, frame by frame.
    pub fn apply(&mut self, x: &mut [f32]) {
        if self.is_unity() {
            return;
        }
        for v in x {
            if self.left > 0 {
                self.left -= 1;
                self.now = if self.left == 0 { self.target } else { self.now + self.step };
            }
            *v = (*v as f64 * self.now) as f32;
        }
    }
}

/// The monitoring stage of one engine.
pub struct Monitor {
    /// The dry path: the last `latency` input frames, left and right.
    dry_delay: [Vec<f32>; 2],
    /// Next slot of `dry_delay` to read and overwrite.
    dry_pos: usize,
    /// Monitor mix now: 0 = the master, 1 = the dry input.
    mix: f32,
    /// Monitor mix being faded to, 0 or 1.
    target: f32,
    /// Change of `mix` per frame while fading.
    step: f32,
    /// Gains of the master path, left and right (they move together).
    master_gain: [GainRamp; 2],
    /// Gains of the dry (mix) path, left and right.
    mix_gain: [GainRamp; 2],
    /// The platform's playback limiter, after the crossfade.
    pub limiter: PlatformLimiter,
}

impl Monitor {
    /// A monitor for a chain of `chain_latency` frames at `sample_rate`:
    /// the master, both gains at 0 dB, the platform limiter off.
    pub fn new(sample_rate: f32, chain_latency: usize) -> Self {
        let ramp = GainRamp::new((GAIN_RAMP_S * sample_rate as f64).round() as usize);
        let mut limiter = PlatformLimiter::new();
        limiter.prepare(sample_rate as f64, PLAYBACK_LIMITER_MAX_ATTACK_MS);
        Self {
            dry_delay: [vec![0.0; chain_latency], vec![0.0; chain_latency]],
            dry_pos: 0,
            mix: 0.0,
            target: 0.0,
            step: 1.0 / (MONITOR_FADE_S * sample_rate).max(1.0),
            master_gain: [ramp; 2],
            mix_gain: [ramp; 2],
            limiter,
        }
    }

    /// Latency the monitor adds after the chain, frames.
    pub fn latency(&self) -> usize {
        self.limiter.latency()
    }

    /// Master (false) or dry (true).
    pub fn set_dry(&mut self, dry: bool) {
        self.target = if dry { 1.0 } else { 0.0 };
    }

    /// Sets the gain of each path, dB. Returns false (and changes nothing)
    /// for a gain that is not finite or outside [`MONITOR_GAIN_RANGE_DB`].
    pub fn set_gains(&mut self, master_db: f32, mix_db: f32) -> bool {
        let (lo, hi) = MONITOR_GAIN_RANGE_DB;
        if !(lo..=hi).contains(&master_db) || !(lo..=hi).contains(&mix_db) {
            return false;
        }
        let lin = |db: f32| if db == 0.0 { 1.0 } else { libm::pow(10.0, db as f64 / 20.0) };
        self.master_gain.iter_mut().for_each(|g| g.set(lin(master_db)));
        self.mix_gain.iter_mut().for_each(|g| g.set(lin(mix_db)));
        true
    }

    /// Clears the dry path and the platform limiter's delay and gain (on
    /// seek); the crossfade and the path gains carry on.
    pub fn reset(&mut self) {
        self.dry_delay.iter_mut().for_each(|d| d.fill(0.0));
        self.dry_pos = 0;
        self.limiter.reset();
    }

    /// Runs the monitor over a quantum: `out` holds the chain's output and
    /// `input` the chain's input; afterwards `out` is what is heard and
    /// `input` the delayed dry path.
    pub fn process(&mut self, out: &mut [Vec<f32>; 2], input: &mut [Vec<f32>; 2], n: usize) {
        self.delay_dry(input, n);
        let dry_heard = self.mix != 0.0 || self.target != 0.0;
        let master_heard = self.mix != 1.0 || self.target != 1.0;
        for ch in 0..2 {
            // A path that is not heard jumps to its gain: nobody hears the jump.
            if master_heard {
                self.master_gain[ch].apply(&mut out[ch][..n]);
            } else {
                self.master_gain[ch].settle();
            }
            if dry_heard {
                self.mix_gain[ch].apply(&mut input[ch][..n]);
            } else {
                self.mix_gain[ch].settle();
            }
        }
        self.crossfade(out, input, n);
        let [l, r] = out;
        self.limiter.process(&mut l[..n], &mut r[..n]);
    }

    /// Delays the input by the chain's latency, in place.
    fn delay_dry(&mut self, input: &mut [Vec<f32>; 2], n: usize) {
        let lat = self.dry_delay[0].len();
        if lat == 0 {
            return;
        }
        for (x, delay) in input.iter_mut().zip(self.dry_delay.iter_mut()) {
            let mut pos = self.dry_pos;
            for x in &mut x[..n] {
                core::mem::swap(&mut delay[pos], x);
                pos += 1;
                if pos == lat {
                    pos = 0;
                }
            }
        }
        self.dry_pos = (self.dry_pos + n) % lat;
    }

    /// Mixes master and dry into `out` as the crossfade asks.
    fn crossfade(&mut self, out: &mut [Vec<f32>; 2], dry: &[Vec<f32>; 2], n: usize) {
        if self.mix == 0.0 && self.target == 0.0 {
            return;
        }
        let [dl, dr] = dry;
        let [ol, or] = out;
        if self.mix == 1.0 && self.target == 1.0 {
            ol[..n].copy_from_slice(&dl[..n]);
            or[..n].copy_from_slice(&dr[..n]);
            return;
        }
        let step = if self.target > self.mix { self.step } else { -self.step };
        let mut mix = self.mix;
        for i in 0..n {
            mix = (mix + step).clamp(0.0, 1.0);
            ol[i] = ol[i] * (1.0 - mix) + dl[i] * mix;
            or[i] = or[i] * (1.0 - mix) + dr[i] * mix;
        }
        self.mix = mix;
    }
}

impl super::Engine {
    /// True when both path gains are settled at exactly 1 (for tests).
    #[cfg(test)]
    pub(super) fn monitor_gains_are_unity(&self) -> bool {
        self.monitor.master_gain.iter().chain(&self.monitor.mix_gain).all(GainRamp::is_unity)
    }
}

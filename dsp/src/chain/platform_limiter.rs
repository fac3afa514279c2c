//! A model of a streaming platform's playback limiter, for "listen as on
//! <platform>": a sample-peak limiter that engages at a threshold in dBFS
//! with a given attack and release (Spotify's Loud setting documents
//! −1 dB, 5 ms attack, 100 ms decay; see
//! [`crate::loudness::platforms::SPOTIFY_LOUD_LIMITER`]).
//!
//! It is a monitoring stage, not part of the master: it runs after the
//! worklet's monitor mix.
//!
//! How it keeps every sample at or under the threshold:
//!
//! 1. Each incoming frame asks for a gain `req = threshold / peak`, where
//!    `peak` is the larger magnitude of the two channels (linked, so the
//!    image does not shift), or 1 when the frame is under the threshold.
//! 2. A running minimum over the last `lookahead + 1` requests (the hold)
//!    gives each frame the smallest gain any frame still in the delay line
//!    needs. It recovers towards 1 with the release time constant, never
//!    above the hold.
//! 3. A moving average over `attack` frames (the attack ramp, a straight
//!    line down to the needed gain) smooths it. Every value averaged is at
//!    most the gain a frame needs, so the average is too: the output
//!    `x[n − lookahead] × gain[n]` cannot overshoot. (A last guard holds the
//!    f32 result at the threshold: for rounding, and for the lookahead's
//!    worth of audio already delayed when the threshold is lowered.)
//!
//! The audio is delayed by `lookahead` frames whether the limiter is on or
//! off, so switching it never moves the audio in time; switching is
//! click-free because "off" only stops asking for gain reduction and the
//! gain then releases. Once the gain is back at exactly 1 the output is the
//! input, delayed, bit for bit.
//!
//! Lifecycle: `prepare` allocates; `set`, `reset` and `process` never
//! allocate, lock or panic.

/// The platform limiter.
pub struct PlatformLimiter {
    /// Sample rate, Hz.
    fs: f64,
    /// Delay of the audio (the lookahead), frames; fixed by `prepare`.
    lookahead: usize,
    /// On: frames over the threshold ask for gain reduction.
    on: bool,
    /// Threshold, linear sample value.
    threshold: f64,
    /// Attack ramp length, frames (1..=lookahead + 1).
    attack: usize,
    /// Release: per-frame factor of the remaining gain reduction.
    release_coef: f64,
    /// Delayed audio, left and right, `lookahead` frames each.
    delay: [Vec<f32>; 2],
    /// Next slot of `delay` to read and overwrite.
    delay_pos: usize,
    /// Running minimum of the requested gains: (frame index, gain) pairs in
    /// a ring of `lookahead + 1` slots, increasing in both.
    hold: Vec<(u64, f64)>,
    /// First slot of the running minimum in `hold`.
    hold_head: usize,
    /// Entries in the running minimum.
    hold_len: usize,
    /// Frames seen, for the running minimum's ages.
    frame: u64,
    /// Released envelope, linear gain (≤ the hold).
    env: f64,
    /// The last `attack` envelope values, for the attack ramp.
    ramp: Vec<f64>,
    /// Next slot of `ramp` to overwrite.
    ramp_pos: usize,
    /// Sum of `ramp[..attack]`.
    ramp_sum: f64,
    /// Values in `ramp[..attack]` that are below 1.
    ramp_below: usize,
    /// Largest gain reduction over the last `process` call, dB (≥ 0).
    gr_db: f32,
}

/// The envelope counts as recovered (exactly 1) within this of 1, linear.
const RECOVERED: f64 = 1e-9;

impl Default for PlatformLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl PlatformLimiter {
    /// An unprepared limiter (off); call [`PlatformLimiter::prepare`].
    pub fn new() -> Self {
        Self {
            fs: 48_000.0,
            lookahead: 0,
            on: false,
            threshold: 1.0,
            attack: 1,
            release_coef: 0.0,
            delay: [Vec::new(), Vec::new()],
            delay_pos: 0,
            hold: Vec::new(),
            hold_head: 0,
            hold_len: 0,
            frame: 0,
            env: 1.0,
            ramp: Vec::new(),
            ramp_pos: 0,
            ramp_sum: 0.0,
            ramp_below: 0,
            gr_db: 0.0,
        }
    }

    /// Allocates for `sample_rate` with a lookahead (the audio's delay, the
    /// longest attack `set` accepts) of `lookahead_ms`, and resets. The
    /// limiter starts off, at 0 dBFS, with the attack as long as the
    /// lookahead and a 100 ms release.
    pub fn prepare(&mut self, sample_rate: f64, lookahead_ms: f64) {
        self.fs = sample_rate;
        self.lookahead = libm::round(lookahead_ms.max(0.0) * sample_rate / 1000.0) as usize;
        self.delay = [vec![0.0; self.lookahead], vec![0.0; self.lookahead]];
        self.hold = vec![(0, 1.0); self.lookahead + 1];
        self.ramp = vec![1.0; self.lookahead + 1];
        self.on = false;
        self.threshold = 1.0;
        self.attack = self.lookahead.max(1);
        self.release_coef = Self::release_coef(100.0, sample_rate);
        self.reset();
    }

    fn release_coef(release_ms: f64, fs: f64) -> f64 {
        libm::exp(-1000.0 / (release_ms * fs))
    }

    /// The audio's delay, frames: the same on and off.
    pub fn latency(&self) -> usize {
        self.lookahead
    }

    /// Longest attack `set` accepts, ms (the lookahead).
    pub fn max_attack_ms(&self) -> f64 {
        self.lookahead as f64 * 1000.0 / self.fs
    }

    /// Switches the limiter on or off and sets its figures: the threshold
    /// (−20 to 0 dBFS), the attack (more than 0, at most the lookahead, ms)
    /// and the release (1 to 5000 ms). Off, the figures are not looked at
    /// and the previous ones stay. Returns false (and changes nothing) for
    /// figures outside those ranges. No allocation.
    pub fn set(&mut self, on: bool, threshold_dbfs: f64, attack_ms: f64, release_ms: f64) -> bool {
        if !on {
            self.on = false;
            return true;
        }
        let max_attack = self.max_attack_ms() + 1e-9;
        let ok = (-20.0..=0.0).contains(&threshold_dbfs)
            && attack_ms > 0.0
            && attack_ms <= max_attack
            && (1.0..=5000.0).contains(&release_ms);
        if !ok {
            return false;
        }
        self.on = true;
        self.threshold = libm::pow(10.0, threshold_dbfs / 20.0);
        self.release_coef = Self::release_coef(release_ms, self.fs);
        let attack = (libm::round(attack_ms * self.fs / 1000.0) as usize).clamp(1, self.lookahead + 1);
        if attack != self.attack {
            // A new ramp length: restart the ramp from the lowest gain in it,
            // which only ever lowers the gain (no overshoot).
            let low = self.ramp[..self.attack].iter().copied().fold(self.env, f64::min);
            self.attack = attack;
            self.ramp[..attack].fill(low);
            self.ramp_pos = 0;
            self.ramp_sum = low * attack as f64;
            self.ramp_below = if low < 1.0 { attack } else { 0 };
            self.env = low;
        }
        true
    }

    /// Whether the limiter is on.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Clears the delayed audio and the gain (back to 1). No allocation.
    pub fn reset(&mut self) {
        for d in &mut self.delay {
            d.fill(0.0);
        }
        self.delay_pos = 0;
        self.hold_head = 0;
        self.hold_len = 0;
        self.frame = 0;
        self.env = 1.0;
        self.ramp.fill(1.0);
        self.ramp_pos = 0;
        self.ramp_sum = self.attack as f64;
        self.ramp_below = 0;
        self.gr_db = 0.0;
    }

    /// Largest gain reduction over the last `process` call, dB (≥ 0).
    pub fn gain_reduction_db(&self) -> f32 {
        self.gr_db
    }

    /// True when the limiter does nothing but delay: off and fully released.
    fn idle(&self) -> bool {
        !self.on && self.env == 1.0 && self.ramp_below == 0
    }

    /// Limits a stereo block in place (both the same length), delaying it
    /// by [`PlatformLimiter::latency`]. No allocation.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        let lat = self.lookahead;
        if self.idle() {
            // Only the delay: the running minimum holds nothing but 1s.
            self.hold_len = 0;
            self.frame += n as u64;
            self.gr_db = 0.0;
            if lat > 0 {
                let [dl, dr] = &mut self.delay;
                let mut p = self.delay_pos;
                for (a, b) in left.iter_mut().zip(right.iter_mut()) {
                    let (x, y) = (dl[p], dr[p]);
                    dl[p] = *a;
                    dr[p] = *b;
                    *a = x;
                    *b = y;
                    p = if p + 1 == lat { 0 } else { p + 1 };
                }
                self.delay_pos = p;
            }
            return;
        }
        let thr = self.threshold;
        let thr32 = thr as f32;
        let window = (lat + 1) as u64;
        let cap = self.hold.len();
        let mut min_gain = 1.0f64;
        for (a, b) in left.iter_mut().zip(right.iter_mut()) {
            // 1. The gain this frame asks for.
            let mag = |v: f32| if v.is_finite() { v.abs() as f64 } else { 0.0 };
            let peak = mag(*a).max(mag(*b));
            let req = if self.on && peak > thr { thr / peak } else { 1.0 };
            // 2. Running minimum over the lookahead window (oldest first).
            let f = self.frame;
            while self.hold_len > 0 {
                let back = (self.hold_head + self.hold_len - 1) % cap;
                if self.hold[back].1 >= req {
                    self.hold_len -= 1;
                } else {
                    break;
                }
            }
            let slot = (self.hold_head + self.hold_len) % cap;
            self.hold[slot] = (f, req);
            self.hold_len += 1;
            while self.hold[self.hold_head].0 + window <= f {
                self.hold_head = (self.hold_head + 1) % cap;
                self.hold_len -= 1;
            }
            let held = self.hold[self.hold_head].1;
            self.frame += 1;
            // Release towards 1, never above the hold.
            let mut env = 1.0 - (1.0 - self.env) * self.release_coef;
            if 1.0 - env < RECOVERED {
                env = 1.0;
            }
            self.env = env.min(held);
            // 3. Attack ramp: the mean of the last `attack` envelope values.
            let old = self.ramp[self.ramp_pos];
            let new = self.env;
            self.ramp[self.ramp_pos] = new;
            self.ramp_pos = if self.ramp_pos + 1 >= self.attack { 0 } else { self.ramp_pos + 1 };
            self.ramp_below = self.ramp_below + usize::from(new < 1.0) - usize::from(old < 1.0);
            let gain = if self.ramp_below == 0 {
                // All 1: exactly 1, and the running sum starts afresh.
                self.ramp_sum = self.attack as f64;
                1.0
            } else {
                self.ramp_sum += new - old;
                (self.ramp_sum / self.attack as f64).min(1.0)
            };
            min_gain = min_gain.min(gain);
            // The delayed frame, at that gain.
            let (x, y) = if lat > 0 {
                let p = self.delay_pos;
                let xy = (self.delay[0][p], self.delay[1][p]);
                self.delay[0][p] = *a;
                self.delay[1][p] = *b;
                self.delay_pos = if p + 1 == lat { 0 } else { p + 1 };
                xy
            } else {
                (*a, *b)
            };
            if gain == 1.0 {
                (*a, *b) = (x, y);
            } else if !self.on {
                // Releasing after being switched off: no threshold to hold.
                *a = (x as f64 * gain) as f32;
                *b = (y as f64 * gain) as f32;
            } else {
                *a = ((x as f64 * gain) as f32).clamp(-thr32, thr32);
                *b = ((y as f64 * gain) as f32).clamp(-thr32, thr32);
            }
        }
        self.gr_db = if min_gain < 1.0 { (-20.0 * libm::log10(min_gain.max(1e-6))) as f32 } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_is_a_pure_delay_and_on_under_the_threshold_too() {
        let mut pl = PlatformLimiter::new();
        pl.prepare(48_000.0, 5.0);
        assert_eq!(pl.latency(), 240);
        let x: Vec<f32> = (0..2000).map(|i| 0.5 * libm::sin(i as f64 * 0.05) as f32).collect();
        for on in [false, true] {
            pl.reset();
            assert!(pl.set(on, -1.0, 5.0, 100.0));
            let (mut l, mut r) = (x.clone(), x.clone());
            for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
                pl.process(a, b);
            }
            assert!(l[240..].iter().zip(&x).all(|(a, b)| a.to_bits() == b.to_bits()));
            assert_eq!(l, r);
        }
    }

    #[test]
    fn refuses_figures_out_of_range_and_keeps_its_own() {
        let mut pl = PlatformLimiter::new();
        pl.prepare(44_100.0, 5.0);
        assert!(!pl.set(true, 1.0, 5.0, 100.0));
        assert!(!pl.set(true, -1.0, 6.0, 100.0));
        assert!(!pl.set(true, -1.0, 0.0, 100.0));
        assert!(!pl.set(true, -1.0, 5.0, f64::NAN));
        assert!(!pl.is_on());
        assert!(pl.set(true, -1.0, 5.0, 100.0));
        assert!(pl.set(false, 0.0, 0.0, 0.0));
        assert!(!pl.is_on());
    }
}

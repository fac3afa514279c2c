//! Offline rendering through [`Master`], compensating the chain's latency: the
//! output has exactly the input's length, is time-aligned with it, and keeps the
//! whole tail (the chain is flushed with `latency` frames of silence).
//!
//! Rendering runs in steps so a host can report progress and stay responsive;
//! the result does not depend on the step sizes.

use crate::chain::Master;
use crate::settings::Settings;

/// Frames processed per internal block.
pub const BLOCK: usize = 4096;

/// An offline render of one file in progress.
pub struct Renderer {
    /// The chain.
    master: Master,
    /// Chain latency, frames.
    latency: usize,
    /// Input frames.
    frames: usize,
    /// Input channels (1 or 2).
    channels: usize,
    /// Frames fed to the chain so far (input plus flush).
    fed: usize,
    /// Scratch buffers, left and right.
    buf: [Vec<f32>; 2],
    /// Output, one `Vec` per input channel, `frames` long.
    out: Vec<Vec<f32>>,
}

impl Renderer {
    /// Prepares a render of `frames` frames of `channels` (1 or 2) channels.
    pub fn new(settings: &Settings, sample_rate: u32, channels: usize, frames: usize) -> Self {
        assert!(channels == 1 || channels == 2, "Renderer takes mono or stereo");
        let mut master = Master::new(*settings);
        master.prepare(sample_rate as f64, BLOCK);
        let latency = master.latency_samples();
        Self {
            master,
            latency,
            frames,
            channels,
            fed: 0,
            buf: [vec![0.0; BLOCK], vec![0.0; BLOCK]],
            out: vec![vec![0.0; frames]; channels],
        }
    }

    /// Total frames the chain will process (input plus latency flush).
    fn total(&self) -> usize {
        self.frames + self.latency
    }

    /// Processes up to `max_frames` more frames of `input` (planar, the channel
    /// count given to `new`). Returns true when the render is complete.
    pub fn step(&mut self, input: &[Vec<f32>], max_frames: usize) -> bool {
        let mut budget = max_frames.max(1);
        while budget > 0 && self.fed < self.total() {
            let n = BLOCK.min(budget).min(self.total() - self.fed);
            let [l, r] = &mut self.buf;
            for i in 0..n {
                let k = self.fed + i;
                let (a, b) = if k < self.frames {
                    let a = input[0][k];
                    (a, if self.channels == 2 { input[1][k] } else { a })
                } else {
                    (0.0, 0.0)
                };
                l[i] = a;
                r[i] = b;
            }
            self.master.process(&mut l[..n], &mut r[..n]);
            for i in 0..n {
                let k = self.fed + i;
                if k >= self.latency {
                    let j = k - self.latency;
                    self.out[0][j] = l[i];
                    if self.channels == 2 {
                        self.out[1][j] = r[i];
                    }
                }
            }
            self.fed += n;
            budget -= n;
        }
        self.fed >= self.total()
    }

    /// Fraction done, 0..1.
    pub fn progress(&self) -> f64 {
        if self.total() == 0 {
            1.0
        } else {
            self.fed as f64 / self.total() as f64
        }
    }

    /// The chain's meter readings from its last processed block (for the
    /// master-to-target search's limiter statistics).
    pub fn meters(&self) -> crate::chain::ChainMeters {
        self.master.meters()
    }

    /// The chain's latency, frames (already compensated in the output).
    pub fn latency(&self) -> usize {
        self.latency
    }

    /// The rendered output (valid once `step` has returned true).
    pub fn into_output(self) -> Vec<Vec<f32>> {
        self.out
    }
}

/// Renders the whole of `input` (planar mono or stereo) through the chain.
pub fn render(input: &[Vec<f32>], sample_rate: u32, settings: &Settings) -> Vec<Vec<f32>> {
    let frames = input.first().map_or(0, |c| c.len());
    let mut r = Renderer::new(settings, sample_rate, input.len(), frames);
    while !r.step(input, usize::MAX) {}
    r.into_output()
}

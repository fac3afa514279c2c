//! A whole-file mastering job: optional master-to-target search, then the final
//! render. It runs in bounded steps so the browser can show progress and stay
//! responsive; the CLI runs it to completion. Both get identical samples.

use crate::error::DspError;
use crate::loudness::{self, target::Target};
use crate::render::Renderer;
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

/// A mastering job in progress.
pub struct MasterJob {
    /// Input audio, planar.
    input: Vec<Vec<f32>>,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Settings for the final render.
    settings: Settings,
    /// Target, if any.
    target: Option<Target>,
    /// Report filled in as the job goes.
    report: MasterReport,
    /// The final render, once started.
    render: Option<Renderer>,
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
        Ok(Self {
            input,
            sample_rate,
            settings,
            target,
            report: MasterReport { target, ..Default::default() },
            render: None,
            output: None,
        })
    }

    /// Does up to about `budget_frames` frames of work.
    pub fn step(&mut self, budget_frames: usize) -> Progress {
        if self.output.is_some() {
            return Progress { fraction: 1.0, phase: "done", done: true };
        }
        if self.render.is_none() {
            self.report.input_lufs = loudness::integrated_lufs(&self.input, self.sample_rate);
            if let (Some(t), Some(l)) = (self.target, self.report.input_lufs) {
                self.settings.input_gain_db = (t.lufs - l) as f32;
                self.settings.limiter.ceiling_dbtp = t.ceiling_dbtp as f32;
            }
            self.report.input_gain_db = self.settings.input_gain_db as f64;
            let frames = self.input[0].len();
            self.render =
                Some(Renderer::new(&self.settings, self.sample_rate, self.input.len(), frames));
        }
        let r = self.render.as_mut().expect("render started");
        if r.step(&self.input, budget_frames) {
            let out = self.render.take().expect("render").into_output();
            self.report.output_lufs = loudness::integrated_lufs(&out, self.sample_rate);
            self.output = Some(out);
            return Progress { fraction: 1.0, phase: "done", done: true };
        }
        Progress { fraction: r.progress(), phase: "mastering", done: false }
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

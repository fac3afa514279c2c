//! What a delivered file measures, from its samples as a decoder reads
//! them, fed a piece at a time: the release report's figures and the
//! browser's check of a file it decoded again.
//!
//! - [`FileLoudness`]: BS.1770 ([`Meter`], its own 4× true peak left out):
//!   integrated loudness, loudness range, sample peak, the highest
//!   momentary and short-term loudness, and both curves every 100 ms;
//!   [`FileLoudness::integrated_only`] keeps integrated loudness and the
//!   sample peak (the gating blocks alone: about half the work).
//! - [`FilePeaks`]: the 16× true peak of each channel
//!   ([`TruePeak16Stream`]), the largest over them.
//! - [`FileMeter`]: both.
//!
//! The figures do not depend on how the file is cut into pieces.

use super::meter::{LoudnessReport, Meter};
use super::true_peak16::{Peak16, TruePeak16Stream};
use crate::error::DspError;

/// A file's loudness and its momentary curve.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoudnessFigures {
    /// The BS.1770 report (its true peak: `None`, the 16× meter reads it).
    pub report: LoudnessReport,
    /// Momentary loudness (400 ms) at the end of every 100 ms, LUFS.
    pub momentary_curve: Vec<Option<f64>>,
}

/// BS.1770 loudness of a file (see the module docs).
pub struct FileLoudness {
    meter: Meter,
}

impl FileLoudness {
    /// The full meter for `channels` at `sample_rate` Hz. Allocates.
    pub fn new(channels: usize, sample_rate: u32) -> Result<Self, DspError> {
        let mut meter = Meter::new(channels, sample_rate)?;
        drop(meter.split_true_peak());
        Ok(Self { meter })
    }

    /// Integrated loudness and sample peak only (loudness range reads 0,
    /// no curves or maxima). Allocates.
    pub fn integrated_only(channels: usize, sample_rate: u32) -> Result<Self, DspError> {
        Ok(Self { meter: Meter::loudness_only(channels, sample_rate)? })
    }

    /// Takes the next frames: one slice per channel, the same length.
    pub fn add(&mut self, planar: &[&[f32]]) {
        self.meter.add(planar);
    }

    /// Frames taken so far.
    pub fn frames(&self) -> u64 {
        self.meter.frames()
    }

    /// The figures so far.
    pub fn figures(&self) -> LoudnessFigures {
        // Momentary loudness: the mean energy of the last four 100 ms ticks
        // (silence before the start), as the meter reads it.
        let energy: Vec<f64> = self
            .meter
            .tick_curve()
            .iter()
            .map(|l| l.map_or(0.0, |l| libm::pow(10.0, (l + 0.691) / 10.0)))
            .collect();
        let momentary_curve = (0..energy.len())
            .map(|t| {
                let e: f64 = energy[t.saturating_sub(3)..=t].iter().sum::<f64>() / 4.0;
                (e > 0.0).then(|| -0.691 + 10.0 * libm::log10(e))
            })
            .collect();
        LoudnessFigures { report: self.meter.report(), momentary_curve }
    }
}

/// The 16× true peak of a file's channels.
pub struct FilePeaks {
    channels: Vec<TruePeak16Stream>,
}

impl FilePeaks {
    /// A meter for `channels` at `sample_rate` Hz. Allocates.
    pub fn new(channels: usize, sample_rate: u32) -> Self {
        Self { channels: (0..channels).map(|_| TruePeak16Stream::new(sample_rate)).collect() }
    }

    /// Takes the next frames: one slice per channel.
    pub fn add(&mut self, planar: &[&[f32]]) {
        for (m, x) in self.channels.iter_mut().zip(planar) {
            m.add(x);
        }
    }

    /// The reading over all channels, after their ends.
    pub fn finish(self) -> Peak16 {
        self.channels.into_iter().map(TruePeak16Stream::finish).fold(Peak16::default(), Peak16::max)
    }
}

/// Everything a file measures: loudness and 16× true peak.
pub struct FileMeter {
    /// Loudness.
    pub loudness: FileLoudness,
    /// True peak.
    pub peaks: FilePeaks,
}

/// A file's figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileFigures {
    /// Loudness.
    pub loudness: LoudnessFigures,
    /// 16× true peak.
    pub peak: Peak16,
    /// Frames measured.
    pub frames: u64,
}

impl FileMeter {
    /// The full meter for `channels` at `sample_rate` Hz. Allocates.
    pub fn new(channels: usize, sample_rate: u32) -> Result<Self, DspError> {
        Ok(Self { loudness: FileLoudness::new(channels, sample_rate)?, peaks: FilePeaks::new(channels, sample_rate) })
    }

    /// Integrated loudness, sample peak and 16× true peak only. Allocates.
    pub fn integrated_only(channels: usize, sample_rate: u32) -> Result<Self, DspError> {
        Ok(Self { loudness: FileLoudness::integrated_only(channels, sample_rate)?, peaks: FilePeaks::new(channels, sample_rate) })
    }

    /// Takes the next frames: one slice per channel, the same length.
    pub fn add(&mut self, planar: &[&[f32]]) {
        self.loudness.add(planar);
        self.peaks.add(planar);
    }

    /// Natively, [`FileMeter::add`] with the true peak on a second thread.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn add_parallel(&mut self, planar: &[&[f32]]) {
        let (loudness, peaks) = (&mut self.loudness, &mut self.peaks);
        std::thread::scope(|sc| {
            sc.spawn(|| peaks.add(planar));
            loudness.add(planar);
        });
    }

    /// The figures, after the end of the file.
    pub fn finish(self) -> FileFigures {
        let frames = self.loudness.frames();
        FileFigures { loudness: self.loudness.figures(), peak: self.peaks.finish(), frames }
    }
}

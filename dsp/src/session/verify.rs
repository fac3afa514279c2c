//! Checking a delivered file as another decoder reads it: the browser decodes
//! the file it is about to offer (`decodeAudioData`, at the file's own rate)
//! and hands the channels to the worker, which measures them here, a piece
//! at a time: BS.1770 loudness ([`crate::loudness::meter`]), the 16× true
//! peak ([`crate::loudness::true_peak16`], one channel per step) and the
//! length. The page shows these figures: those of the file as decoded.

use crate::error::DspError;
use crate::loudness::meter::{lin_to_db, Meter};
use crate::loudness::true_peak16::{Peak16, TruePeak16};
use serde::{Deserialize, Serialize};

/// What a decoded file measures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    /// Frames per channel decoded.
    pub frames: usize,
    /// Sample rate of the decoded audio, Hz.
    pub sample_rate: u32,
    /// Channels.
    pub channels: usize,
    /// Integrated loudness, LUFS (`None` for silence).
    pub integrated_lufs: Option<f64>,
    /// Loudness range, LU.
    pub lra_lu: f64,
    /// Largest |sample|, dBFS (`None` for digital silence).
    pub sample_peak_dbfs: Option<f64>,
    /// True peak by 16× interpolation, dBTP (`None` for digital silence).
    pub true_peak_dbtp: Option<f64>,
}

/// A measurement in progress.
pub struct Verify {
    /// The decoded channels, written by the host before the first step.
    channels: Vec<Vec<f32>>,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// The loudness meter (its own true peak left out).
    meter: Meter,
    /// Frames metered so far.
    metered: usize,
    /// Channels whose true peak is measured so far.
    peaked: usize,
    /// The true peak so far.
    peak: Peak16,
}

impl Verify {
    /// Storage for `channels` × `frames` at `sample_rate` Hz. Allocates.
    pub fn new(channels: usize, frames: usize, sample_rate: u32) -> Result<Self, DspError> {
        if channels == 0 || channels > 2 {
            return Err(DspError::Unsupported(format!("{channels} channels: a release file is mono or stereo")));
        }
        let mut meter = Meter::new(channels, sample_rate)?;
        drop(meter.split_true_peak());
        Ok(Self { channels: vec![vec![0.0; frames]; channels], sample_rate, meter, metered: 0, peaked: 0, peak: Peak16::default() })
    }

    /// Channel `c`'s storage, to be written before the first step.
    pub fn channel_mut(&mut self, c: usize) -> Option<&mut [f32]> {
        self.channels.get_mut(c).map(Vec::as_mut_slice)
    }

    /// Measures up to `budget_frames` more frames of loudness, or one
    /// channel's true peak. Returns true when done.
    pub fn step(&mut self, budget_frames: usize) -> bool {
        let frames = self.channels[0].len();
        if self.metered < frames {
            let end = frames.min(self.metered + budget_frames.max(1));
            let piece: Vec<&[f32]> = self.channels.iter().map(|c| &c[self.metered..end]).collect();
            self.meter.add(&piece);
            self.metered = end;
            return false;
        }
        if self.peaked < self.channels.len() {
            let p = TruePeak16::new(self.sample_rate).measure(&self.channels[self.peaked]);
            self.peak = self.peak.max(p);
            self.peaked += 1;
        }
        self.peaked == self.channels.len()
    }

    /// Fraction done, 0..1 (the true peak counts as much as the loudness).
    pub fn fraction(&self) -> f64 {
        let frames = self.channels[0].len().max(1) as f64;
        0.5 * self.metered as f64 / frames + 0.5 * self.peaked as f64 / self.channels.len() as f64
    }

    /// The figures, once [`Verify::step`] returned true.
    pub fn report(&self) -> Verified {
        let r = self.meter.report();
        Verified {
            frames: self.channels[0].len(),
            sample_rate: self.sample_rate,
            channels: self.channels.len(),
            integrated_lufs: r.integrated_lufs,
            lra_lu: r.lra_lu,
            sample_peak_dbfs: r.sample_peak_dbfs,
            true_peak_dbtp: lin_to_db(self.peak.true_peak_16x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stepped in any budget, the figures are those of the bundle's own
    /// measurement of the same samples ([`crate::bundle::FileReport`]).
    #[test]
    fn measures_as_the_file_report_does() {
        let sr = 44_100;
        let audio: Vec<Vec<f32>> = (0..2).map(|c| crate::test_signals::noise_bursts(sr as usize * 4, 0.3, 7 + c, 3.0)).collect();
        let bytes = crate::wav::write_pcm(&audio, sr, 24);
        let want = crate::bundle::FileReport::measure(&bytes).unwrap();
        let decoded = crate::wav::read(&bytes).unwrap().channels;
        for budget in [1_000, 1 << 20] {
            let mut v = Verify::new(2, decoded[0].len(), sr).unwrap();
            for (c, d) in decoded.iter().enumerate() {
                v.channel_mut(c).unwrap().copy_from_slice(d);
            }
            while !v.step(budget) {}
            let r = v.report();
            assert_eq!(r.frames as u64, want.frames);
            assert_eq!(r.integrated_lufs, want.integrated_lufs);
            assert_eq!(r.true_peak_dbtp, want.true_peak_dbtp);
            assert_eq!(r.sample_peak_dbfs, want.sample_peak_dbfs);
            assert_eq!(r.lra_lu, want.lra_lu);
            assert_eq!(v.fraction(), 1.0);
        }
        assert!(Verify::new(3, 10, sr).is_err());
    }
}

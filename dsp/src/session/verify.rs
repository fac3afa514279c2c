//! Checking a delivered file as another decoder reads it: the browser decodes
//! the file it is about to offer (`decodeAudioData`, at the file's own rate)
//! and hands the decoded frames to the worker a piece at a time, in order,
//! which measures them here as they come: integrated loudness (BS.1770), the
//! sample peak, the 16× true peak ([`crate::loudness::file_meter`]) and the
//! length. Nothing but the piece in hand is held, however long the file.
//! The page shows these figures: those of the file as decoded.

use crate::error::DspError;
use crate::loudness::file_meter::FileMeter;
use crate::loudness::meter::lin_to_db;
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
    /// Largest |sample|, dBFS (`None` for digital silence).
    pub sample_peak_dbfs: Option<f64>,
    /// True peak by 16× interpolation, dBTP (`None` for digital silence).
    pub true_peak_dbtp: Option<f64>,
}

/// A measurement in progress.
pub struct Verify {
    /// Channels.
    channels: usize,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Frames the file was said to hold.
    expected: usize,
    /// The meter.
    meter: FileMeter,
    /// The piece the host writes: channel `c` at `c × n`, `n` frames each.
    piece: Vec<f32>,
    /// Frames measured so far.
    frames: usize,
}

impl Verify {
    /// A measurement of `channels` × `frames` at `sample_rate` Hz. Allocates.
    pub fn new(channels: usize, frames: usize, sample_rate: u32) -> Result<Self, DspError> {
        if channels == 0 || channels > 2 {
            return Err(DspError::Unsupported(format!("{channels} channels: a release file is mono or stereo")));
        }
        let meter = FileMeter::integrated_only(channels, sample_rate)?;
        Ok(Self { channels, sample_rate, expected: frames, meter, piece: Vec::new(), frames: 0 })
    }

    /// Room for the next `n` frames, planar: channel `c` at `c × n`.
    pub fn piece_mut(&mut self, n: usize) -> &mut [f32] {
        self.piece.resize(n * self.channels, 0.0);
        &mut self.piece
    }

    /// Measures the `n` frames written with [`Verify::piece_mut`]. Fails
    /// when they go past the frames the file was said to hold.
    pub fn add(&mut self, n: usize) -> Result<(), DspError> {
        if n * self.channels > self.piece.len() {
            return Err(DspError::BadInput("the piece was not written".into()));
        }
        if self.frames + n > self.expected {
            return Err(DspError::BadInput(format!("more than the {} frames announced", self.expected)));
        }
        let refs: Vec<&[f32]> = (0..self.channels).map(|c| &self.piece[c * n..(c + 1) * n]).collect();
        self.meter.add(&refs);
        self.frames += n;
        Ok(())
    }

    /// Fraction measured, 0..1.
    pub fn fraction(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.frames as f64 / self.expected as f64
        }
    }

    /// The figures of the frames measured.
    pub fn report(self) -> Verified {
        let f = self.meter.finish();
        Verified {
            frames: self.frames,
            sample_rate: self.sample_rate,
            channels: self.channels,
            integrated_lufs: f.loudness.report.integrated_lufs,
            sample_peak_dbfs: f.loudness.report.sample_peak_dbfs,
            true_peak_dbtp: lin_to_db(f.peak.true_peak_16x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fed in pieces of any size, the figures are those of the bundle's own
    /// measurement of the same samples ([`crate::bundle::FileReport`]).
    #[test]
    fn measures_as_the_file_report_does() {
        let sr = 44_100;
        let audio: Vec<Vec<f32>> = (0..2).map(|c| crate::test_signals::noise_bursts(sr as usize * 4, 0.3, 7 + c, 3.0)).collect();
        let bytes = crate::wav::write_pcm(&audio, sr, 24);
        let want = crate::bundle::FileReport::measure(&bytes).unwrap();
        let decoded = crate::wav::read(&bytes).unwrap().channels;
        let n = decoded[0].len();
        for piece in [1_000, 65_536, n] {
            let mut v = Verify::new(2, n, sr).unwrap();
            let mut at = 0;
            while at < n {
                let len = piece.min(n - at);
                let buf = v.piece_mut(len);
                for (c, d) in decoded.iter().enumerate() {
                    buf[c * len..(c + 1) * len].copy_from_slice(&d[at..at + len]);
                }
                v.add(len).unwrap();
                at += len;
            }
            assert_eq!(v.fraction(), 1.0);
            assert!(v.add(1).is_err(), "past the frames announced");
            let r = v.report();
            assert_eq!(r.frames as u64, want.frames);
            // The integrated-only meter keeps a 400 ms ring where the full
            // one keeps 3 s, so a gating block's sum wraps at another sample:
            // the last bit may differ.
            assert!((r.integrated_lufs.unwrap() - want.integrated_lufs.unwrap()).abs() < 1e-12);
            assert_eq!(r.true_peak_dbtp, want.true_peak_dbtp);
            assert_eq!(r.sample_peak_dbfs, want.sample_peak_dbfs);
        }
        assert!(Verify::new(3, 10, sr).is_err());
    }
}

//! What a delivered file measures ([`FileReport`]): its header's format,
//! size and SHA-256, and the figures of its samples as a decoder reads them
//! (integers scaled by 2^(bits − 1), as libsndfile, pyloudnorm and ffmpeg
//! read them), from [`crate::loudness::file_meter`]:
//! - loudness (BS.1770): integrated, loudness range, sample peak, highest
//!   momentary and short-term, and the momentary and short-term curves
//!   every 100 ms;
//! - true peak by the 16× meter ([`crate::loudness::true_peak16`]), and by
//!   its 4× pre-reading for comparison.
//!
//! The delivery meters the samples as it writes them
//! ([`FileReport::from_figures`]); [`FileReport::measure`] decodes a file's
//! bytes with `hound`'s reader (not Lacquer's own WAV reader, which mirrors
//! its writer) and measures them: the tests check that both agree.

use crate::loudness::file_meter::{FileFigures, FileMeter};
use crate::loudness::meter::{lin_to_db, LoudnessReport};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// A WAV file's format, as its header states it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WavFormat {
    /// `fmt ` chunk's format tag: 1 integer PCM, 3 IEEE float, 0xFFFE
    /// extensible (which some distributors refuse).
    pub format_code: u16,
    /// Bits per sample.
    pub bits: u16,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u16,
}

/// What one delivered file measures, decoded from its own bytes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    /// Format from the header.
    pub format: WavFormat,
    /// Frames per channel decoded, frames.
    pub frames: u64,
    /// Length of the file, s.
    pub duration_s: f64,
    /// Size of the file, bytes.
    pub bytes: u64,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
    /// Integrated loudness, LUFS (`None` for silence).
    pub integrated_lufs: Option<f64>,
    /// Loudness range (EBU Tech 3342), LU.
    pub lra_lu: f64,
    /// Largest |sample|, dBFS (`None` for digital silence).
    pub sample_peak_dbfs: Option<f64>,
    /// True peak by 16× interpolation, dBTP (`None` for digital silence).
    pub true_peak_dbtp: Option<f64>,
    /// True peak by the meter's 4× detector (BS.1770 Annex 2), dBTP.
    pub true_peak_4x_dbtp: Option<f64>,
    /// Peak-to-loudness ratio: 16× true peak − integrated loudness, dB.
    pub plr_db: Option<f64>,
    /// Highest short-term (3 s) loudness, read every 100 ms, LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Highest momentary (400 ms) loudness, read every 100 ms, LUFS.
    pub max_momentary_lufs: Option<f64>,
    /// Short-term loudness at the end of every 100 ms, LUFS (not in the
    /// JSON of every file: the report carries the streaming master's).
    #[serde(skip)]
    pub short_term_curve: Vec<Option<f64>>,
    /// Momentary loudness at the end of every 100 ms, LUFS (as above).
    #[serde(skip)]
    pub momentary_curve: Vec<Option<f64>>,
}

/// Reads the `fmt ` chunk's format tag, bits, rate and channels (for the
/// extensible tag, the sub-format's tag is not substituted: the file is
/// reported as what it declares).
pub fn wav_format(bytes: &[u8]) -> Result<WavFormat, String> {
    let le16 = |b: &[u8]| u16::from_le_bytes([b[0], b[1]]);
    let le32 = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = le32(&bytes[pos + 4..pos + 8]) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if size < 16 || body + 16 > bytes.len() {
                return Err("the fmt chunk is cut short".into());
            }
            let f = &bytes[body..body + 16];
            return Ok(WavFormat {
                format_code: le16(&f[0..2]),
                channels: le16(&f[2..4]),
                sample_rate: le32(&f[4..8]),
                bits: le16(&f[14..16]),
            });
        }
        pos = body.saturating_add(size).saturating_add(size % 2);
    }
    Err("no fmt chunk".into())
}

/// Decodes WAV bytes with `hound` into planar f32 (integers / 2^(bits − 1)):
/// natively the two halves of the file on two threads, each with a reader
/// of its own (the same samples).
fn decode(bytes: &[u8]) -> Result<(Vec<Vec<f32>>, u32), String> {
    let r = hound::WavReader::new(Cursor::new(bytes)).map_err(|e| format!("not a readable WAV file ({e})"))?;
    let spec = r.spec();
    let ch = spec.channels as usize;
    if ch == 0 || ch > 2 {
        return Err(format!("{ch} channels: a release file is mono or stereo"));
    }
    let frames = r.duration() as usize;
    drop(r);
    let mut planar = crate::render::zeroed(ch, frames);
    #[cfg(not(target_arch = "wasm32"))]
    {
        let half = frames / 2;
        let (mut first, mut second): (Vec<&mut [f32]>, Vec<&mut [f32]>) =
            planar.iter_mut().map(|c| c.split_at_mut(half)).unzip();
        let (a, b) = std::thread::scope(|sc| {
            let h = sc.spawn(|| decode_range(bytes, half, &mut second));
            (decode_range(bytes, 0, &mut first), h.join().expect("decoding thread"))
        });
        a?;
        b?;
    }
    #[cfg(target_arch = "wasm32")]
    {
        let mut all: Vec<&mut [f32]> = planar.iter_mut().map(Vec::as_mut_slice).collect();
        decode_range(bytes, 0, &mut all)?;
    }
    Ok((planar, spec.sample_rate))
}

/// Decodes frames `start..start + out[0].len()` into `out` (one slice per channel).
fn decode_range(bytes: &[u8], start: usize, out: &mut [&mut [f32]]) -> Result<(), String> {
    let mut r = hound::WavReader::new(Cursor::new(bytes)).map_err(|e| format!("not a readable WAV file ({e})"))?;
    let spec = r.spec();
    let frames = out.first().map_or(0, |c| c.len());
    if frames == 0 {
        return Ok(());
    }
    r.seek(start as u32).map_err(|e| format!("the WAV data is damaged ({e})"))?;
    let bad = |e: hound::Error| format!("the WAV data is damaged ({e})");
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, bits @ 8..=32) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f64;
            let mut it = r.samples::<i32>();
            for i in 0..frames {
                for c in out.iter_mut() {
                    let v = it.next().ok_or("the WAV data ends early")?.map_err(bad)?;
                    c[i] = (v as f64 * scale) as f32;
                }
            }
        }
        (hound::SampleFormat::Float, 32) => {
            let mut it = r.samples::<f32>();
            for i in 0..frames {
                for c in out.iter_mut() {
                    c[i] = it.next().ok_or("the WAV data ends early")?.map_err(bad)?;
                }
            }
        }
        (f, b) => return Err(format!("unsupported WAV sample format ({f:?}, {b} bits)")),
    }
    Ok(())
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    for piece in bytes.chunks(super::HASH_PIECE) {
        h.update(piece);
    }
    let d = h.finalize();
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(char::from_digit((b >> 4) as u32, 16).expect("nibble"));
        s.push(char::from_digit((b & 15) as u32, 16).expect("nibble"));
    }
    s
}

impl FileReport {
    /// Decodes a WAV file from its bytes and measures it.
    pub fn measure(bytes: &[u8]) -> Result<FileReport, String> {
        let (planar, sample_rate) = decode(bytes)?;
        let refs: Vec<&[f32]> = planar.iter().map(Vec::as_slice).collect();
        let mut meter = FileMeter::new(planar.len(), sample_rate).map_err(|e| e.to_string())?;
        #[cfg(not(target_arch = "wasm32"))]
        meter.add_parallel(&refs);
        #[cfg(target_arch = "wasm32")]
        meter.add(&refs);
        Self::from_figures(bytes, meter.finish())
    }

    /// The report of a file whose samples were measured as it was written
    /// (the figures of the samples a decoder reads from `bytes`): its
    /// header's format, its size and SHA-256, and the figures. Fails when
    /// `bytes` are not a WAV file.
    pub fn from_figures(bytes: &[u8], figures: FileFigures) -> Result<FileReport, String> {
        let format = wav_format(bytes)?;
        let r = figures.loudness.report;
        let peak = figures.peak;
        let tp = lin_to_db(peak.true_peak_16x);
        Ok(FileReport {
            format,
            frames: figures.frames,
            duration_s: r.duration_s,
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            integrated_lufs: r.integrated_lufs,
            lra_lu: r.lra_lu,
            sample_peak_dbfs: r.sample_peak_dbfs,
            true_peak_dbtp: tp,
            true_peak_4x_dbtp: lin_to_db(peak.true_peak_4x),
            plr_db: match (tp, r.integrated_lufs) {
                (Some(tp), Some(i)) => Some(tp - i),
                _ => None,
            },
            max_short_term_lufs: r.max_short_term_lufs,
            max_momentary_lufs: r.max_momentary_lufs,
            short_term_curve: r.short_term_curve,
            momentary_curve: figures.loudness.momentary_curve,
        })
    }

    /// The measurement as a [`LoudnessReport`] (true peak: the 16× reading),
    /// for [`crate::loudness::platforms::assess`].
    pub fn loudness_report(&self) -> LoudnessReport {
        LoudnessReport {
            integrated_lufs: self.integrated_lufs,
            lra_lu: self.lra_lu,
            true_peak_dbtp: self.true_peak_dbtp,
            sample_peak_dbfs: self.sample_peak_dbfs,
            plr_db: self.plr_db,
            max_momentary_lufs: self.max_momentary_lufs,
            max_short_term_lufs: self.max_short_term_lufs,
            curve_interval_s: 0.1,
            short_term_curve: self.short_term_curve.clone(),
            duration_s: self.duration_s,
            sample_rate: self.format.sample_rate,
            channels: self.format.channels as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_what_the_writer_wrote() {
        let sr = 48_000;
        let n = sr as usize * 4;
        let tone: Vec<f32> =
            (0..n).map(|i| (0.5 * libm::sin(2.0 * std::f64::consts::PI * 997.0 * i as f64 / sr as f64)) as f32).collect();
        let bytes = crate::wav::write_pcm(&[tone.clone(), tone], sr, 16);
        let r = FileReport::measure(&bytes).unwrap();
        assert_eq!(r.format, WavFormat { format_code: 1, bits: 16, sample_rate: sr, channels: 2 });
        assert_eq!(r.frames, n as u64);
        assert_eq!(r.bytes, bytes.len() as u64);
        // A 997 Hz sine's true peak is its amplitude.
        let tp = r.true_peak_dbtp.unwrap();
        assert!((tp - 20.0 * 0.5f64.log10()).abs() < 0.01, "{tp}");
        assert!((r.plr_db.unwrap() - (tp - r.integrated_lufs.unwrap())).abs() < 1e-12);
        assert_eq!(r.sha256.len(), 64);
        assert_eq!(r.short_term_curve.len(), r.momentary_curve.len());
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn rejects_what_is_not_wav() {
        assert!(FileReport::measure(b"not a wav file at all").is_err());
        assert!(wav_format(b"RIFF\0\0\0\0WAVE").is_err());
    }
}

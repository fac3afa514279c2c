//! Loudness after ITU-R BS.1770 / EBU R128 (metering via the `ebur128` crate),
//! master-to-target, and the streaming-platform normalization table.
//!
//! - [`meter`]: streaming meters ([`meter::Meter`], [`meter::LiveMeter`]) and the
//!   serde [`meter::LoudnessReport`]; [`meter::analyze`] for whole files.
//! - [`target`]: the gain search that makes the whole chain's output hit a
//!   loudness target under a true-peak ceiling.
//! - [`platforms`]: how Spotify, Apple Music, YouTube, Tidal, Amazon, Deezer,
//!   SoundCloud, CD and EBU R 128 broadcast play a master back.
//! - [`monitor`]: what the studio's monitor plays (master or mix, matched,
//!   as on a platform).
//! - [`true_peak16`]: a 16× true-peak meter for checking delivered files.
//! - [`file_meter`]: what a delivered file measures, a piece at a time.
//!
//! References: ITU-R BS.1770-5; EBU R 128; EBU Tech 3341 (metering) and
//! Tech 3342 (loudness range).

pub mod file_meter;
pub mod meter;
pub mod monitor;
pub mod platforms;
pub mod target;
pub mod true_peak16;

pub use meter::{analyze, LiveMeter, LoudnessReport, Meter};

/// Integrated loudness of planar audio, LUFS; `None` when the programme is
/// entirely below the absolute gate (silence).
pub fn integrated_lufs(channels: &[Vec<f32>], sample_rate: u32) -> Option<f64> {
    analyze(channels, sample_rate).integrated_lufs
}

//! Which files a release bundle holds, and what each must meet.
//!
//! - **streaming**: the master at the chosen platform's target and ceiling,
//!   24-bit integer PCM at the source rate;
//! - **cd**: the same master for CD, 16-bit at 44.1 kHz with TPDF dither,
//!   converted in rate when the source is not at 44.1 kHz; same loudness and
//!   ceiling as the streaming master (a CD plays as mastered, so it carries
//!   the master as the artist approved it);
//! - **loud** (optional): a master at −11 LUFS, −1 dBTP, the target of
//!   Spotify's Loud setting, the loudest a major platform plays at: for
//!   clubs, DJs and platforms that do not normalise;
//! - **quiet** (optional): a master at −16 LUFS, −1 dBTP, Apple Music's
//!   Sound Check level: the most dynamic of the common targets, for
//!   platforms that normalise and for the artist's archive.
//!
//! Both variants are 24-bit at the source rate. The variants are whole
//! masters of their own (the master-to-target search run for that target),
//! not the streaming master with a gain. File names come from [`super::names`].

use super::names;
use crate::loudness::platforms::{self, Platform};
use crate::loudness::target::Target;
use serde::{Deserialize, Serialize};

/// Rate of the CD master, Hz (Red Book).
pub const CD_RATE: u32 = 44_100;
/// Word length of the CD master, bits.
pub const CD_BITS: u16 = 16;
/// Word length of the streaming master and the variants, bits.
pub const MASTER_BITS: u16 = 24;
/// Platform whose target the loud variant takes.
pub const LOUD_PLATFORM: &str = "spotify-loud";
/// Platform whose target the quiet variant takes.
pub const QUIET_PLATFORM: &str = "apple";

/// What a file in the bundle is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The master for the chosen streaming platform.
    Streaming,
    /// The CD master (16-bit, 44.1 kHz, dithered).
    Cd,
    /// The loud variant.
    Loud,
    /// The quiet variant.
    Quiet,
}

impl Role {
    /// The role as it appears in file names and the report.
    pub fn id(self) -> &'static str {
        match self {
            Role::Streaming => "streaming",
            Role::Cd => "cd",
            Role::Loud => "loud",
            Role::Quiet => "quiet",
        }
    }

    /// One line on what the file is for.
    pub fn describe(self) -> &'static str {
        match self {
            Role::Streaming => "Streaming master: the chosen platform's target, at the source rate",
            Role::Cd => "CD master: the streaming master at 44.1 kHz, 16-bit with TPDF dither",
            Role::Loud => "Loud variant: Spotify's Loud target (−11 LUFS), for clubs and platforms that do not normalise",
            Role::Quiet => "Quiet variant: Apple Music's Sound Check level (−16 LUFS), the most dynamic",
        }
    }
}

/// One file of the bundle: its name and what it must meet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deliverable {
    /// What the file is for.
    pub role: Role,
    /// Entry name in the ZIP (safe for distributors).
    pub name: String,
    /// Platform row the target comes from.
    pub platform: String,
    /// Loudness target of the master, LUFS (`None`: no loudness target).
    pub target_lufs: Option<f64>,
    /// True-peak ceiling the file must not exceed, dBTP (16× reading).
    pub ceiling_dbtp: f64,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Bits per sample.
    pub bits: u16,
    /// WAV format tag: 1 integer PCM, 3 IEEE float.
    pub format_code: u16,
    /// TPDF dither at `bits` when the file is written.
    pub dither: bool,
    /// Frames per channel the file must hold, frames.
    pub frames: u64,
    /// Channels.
    pub channels: u16,
}

impl Deliverable {
    /// The master-to-target target of this file's master, if it has one.
    pub fn target(&self) -> Option<Target> {
        self.target_lufs.map(|lufs| Target { lufs, ceiling_dbtp: self.ceiling_dbtp })
    }
}

/// Frames of `frames` at `from` Hz converted to `to` Hz, as the delivery
/// stage converts them ([`crate::delivery::resample::converted_len`]).
pub fn converted_frames(frames: u64, from: u32, to: u32) -> u64 {
    if from == to {
        frames
    } else {
        crate::delivery::resample::converted_len(frames as usize, from, to) as u64
    }
}

/// Looks a platform up, with the message the CLI and the page show.
pub fn platform(id: &str) -> Result<&'static Platform, String> {
    platforms::find(id).ok_or_else(|| {
        let names: Vec<&str> = platforms::PLATFORMS.iter().map(|p| p.id).collect();
        format!("unknown platform '{id}': choose one of {}", names.join(", "))
    })
}

/// What the bundle should hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanRequest {
    /// Platform of the streaming master (an id of [`platforms::PLATFORMS`]).
    pub platform: String,
    /// Include the loud variant.
    pub loud: bool,
    /// Include the quiet variant.
    pub quiet: bool,
    /// Base of the file names ([`names::base_name`]).
    pub base_name: String,
    /// Channels of the source.
    pub channels: u16,
    /// Frames per channel of the source, frames.
    pub frames: u64,
    /// Rate of the source, Hz.
    pub sample_rate: u32,
}

/// The bundle's files, sorted by name. `frames` is the length of each file
/// (the CD master's converted length when the source is not at 44.1 kHz,
/// [`converted_frames`]).
pub fn plan(req: &PlanRequest) -> Result<Vec<Deliverable>, String> {
    let p = platform(&req.platform)?;
    let base = names::sanitize(&req.base_name).unwrap_or_else(|| "master".into());
    let file = |role: Role, p: &Platform, rate: u32, bits: u16, ceiling_dbtp: f64| Deliverable {
        role,
        name: names::file_name(&base, role.id(), bits, rate, "wav"),
        platform: p.id.to_string(),
        target_lufs: p.target_lufs,
        ceiling_dbtp,
        sample_rate: rate,
        bits,
        format_code: 1,
        dither: true,
        frames: converted_frames(req.frames, req.sample_rate, rate),
        channels: req.channels,
    };
    let mut files = vec![
        file(Role::Streaming, p, req.sample_rate, MASTER_BITS, p.ceiling_dbtp),
        file(Role::Cd, p, CD_RATE, CD_BITS, p.ceiling_dbtp),
    ];
    if req.loud {
        let l = platform(LOUD_PLATFORM)?;
        files.push(file(Role::Loud, l, req.sample_rate, MASTER_BITS, l.ceiling_dbtp));
    }
    if req.quiet {
        let q = platform(QUIET_PLATFORM)?;
        files.push(file(Role::Quiet, q, req.sample_rate, MASTER_BITS, q.ceiling_dbtp));
    }
    files.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_the_files_with_safe_sorted_names() {
        let req = PlanRequest {
            platform: "spotify".into(),
            loud: true,
            quiet: true,
            base_name: "Artist-Title".into(),
            channels: 2,
            frames: 48_000 * 3 + 1,
            sample_rate: 48_000,
        };
        let files = plan(&req).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Artist-Title_cd_16bit_44k1.wav",
                "Artist-Title_loud_24bit_48k.wav",
                "Artist-Title_quiet_24bit_48k.wav",
                "Artist-Title_streaming_24bit_48k.wav"
            ]
        );
        assert!(names.iter().all(|n| names::is_safe(n)));
        let cd = &files[0];
        assert_eq!((cd.sample_rate, cd.bits, cd.frames), (44_100, 16, 132_301));
        assert_eq!(cd.target_lufs, Some(-14.0));
        assert_eq!(files[1].target_lufs, Some(-11.0));
        assert_eq!(files[2].target_lufs, Some(-16.0));
        assert!(plan(&PlanRequest { platform: "nope".into(), ..req }).is_err());
    }
}

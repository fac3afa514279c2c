//! The release choices: the single file's format and rate, the tags, and
//! the bundle's variants. Kept across reloads with the rest of the studio
//! ([`super::persist::Saved::release`]).

use lacquer_dsp::bundle::names;
use lacquer_dsp::delivery::{Format, Tags};
use serde::{Deserialize, Serialize};

/// The release file's format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// 16-bit WAV (TPDF dither).
    Wav16,
    /// 24-bit WAV.
    #[default]
    Wav24,
    /// 32-bit float WAV.
    Wav32f,
    /// 16-bit FLAC (TPDF dither).
    Flac16,
    /// 24-bit FLAC.
    Flac24,
}

impl FileFormat {
    /// Every format, in the order the panel lists them.
    pub const ALL: [FileFormat; 5] = [Self::Wav16, Self::Wav24, Self::Wav32f, Self::Flac16, Self::Flac24];

    /// The delivery format.
    pub fn format(self) -> Format {
        match self {
            Self::Wav16 => Format::Wav16,
            Self::Wav24 => Format::Wav24,
            Self::Wav32f => Format::Wav32f,
            Self::Flac16 => Format::Flac16,
            Self::Flac24 => Format::Flac24,
        }
    }

    /// The worker's format code (`lqs_export_start`).
    pub fn code(self) -> u32 {
        match self {
            Self::Wav24 => 0,
            Self::Wav16 => 1,
            Self::Wav32f => 2,
            Self::Flac16 => 3,
            Self::Flac24 => 4,
        }
    }

    /// The id used in the panel's `<select>` and the CLI's `--format`.
    pub fn id(self) -> &'static str {
        self.format().name()
    }

    /// The format with this id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.id() == id)
    }

    /// For the panel: "WAV · 24-bit".
    pub fn label(self) -> &'static str {
        match self {
            Self::Wav16 => "WAV · 16-bit (dithered)",
            Self::Wav24 => "WAV · 24-bit",
            Self::Wav32f => "WAV · 32-bit float",
            Self::Flac16 => "FLAC · 16-bit (dithered)",
            Self::Flac24 => "FLAC · 24-bit",
        }
    }
}

/// The release file's sample rate: the source's unless a rate is asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateChoice {
    /// The source's own rate (never resampled).
    #[default]
    Source,
    /// 44.1 kHz.
    #[serde(rename = "44100")]
    Hz44100,
    /// 48 kHz.
    #[serde(rename = "48000")]
    Hz48000,
}

impl RateChoice {
    /// Every choice, as the panel lists them.
    pub const ALL: [RateChoice; 3] = [Self::Source, Self::Hz44100, Self::Hz48000];

    /// The worker's rate code: 0 for the source's, else Hz.
    pub fn code(self) -> u32 {
        match self {
            Self::Source => 0,
            Self::Hz44100 => 44_100,
            Self::Hz48000 => 48_000,
        }
    }

    /// The id used in the panel's `<select>` and the CLI's `--rate`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Hz44100 => "44100",
            Self::Hz48000 => "48000",
        }
    }

    /// The choice with this id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.id() == id)
    }

    /// The file's rate for a source at `source_hz`, Hz.
    pub fn resolve(self, source_hz: u32) -> u32 {
        match self {
            Self::Source => source_hz,
            r => r.code(),
        }
    }
}

/// What the artist chose for the release.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReleaseChoice {
    /// The single file's format.
    pub format: FileFormat,
    /// The single file's rate.
    pub rate: RateChoice,
    /// The tags (empty fields: none).
    pub tags: Tags,
    /// Write no tags into the files.
    pub no_tags: bool,
    /// The bundle holds the loud variant.
    pub loud: bool,
    /// The bundle holds the quiet variant.
    pub quiet: bool,
}

impl ReleaseChoice {
    /// What is wrong with the tags (a malformed ISRC), fit to show next to
    /// the field; `None` when they can be written. With "no tags" nothing is
    /// checked.
    pub fn tags_problem(&self) -> Option<String> {
        if self.no_tags {
            return None;
        }
        self.tags.validated().err()
    }

    /// The tags to write, as the worker takes them (`""`: none).
    pub fn tags_json(&self) -> String {
        if self.no_tags || self.tags.is_empty() {
            return String::new();
        }
        serde_json::to_string(&self.tags).unwrap_or_default()
    }

    /// The single file's name for a source named `source_name` at
    /// `source_hz`: `{artist-title or source}_master_{bits}bit_{rate}.{ext}`,
    /// of letters, digits, `-` and `_` only.
    pub fn file_name(&self, source_name: &str, source_hz: u32) -> String {
        let some = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
        let base = names::base_name(some(&self.tags.artist).as_deref(), some(&self.tags.title).as_deref(), source_name);
        let f = self.format.format();
        names::file_name(&base, "master", f.bits(), self.rate.resolve(source_hz), f.extension())
    }
}

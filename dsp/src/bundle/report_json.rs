//! `report.json`: everything the bundle's report says, as data.
//!
//! Nothing in it depends on when or where it was made: no dates, no paths
//! beyond the input file's name, no machine figures. Numbers are written as
//! `serde_json` writes f64 (shortest round-trip form), the same everywhere.

use super::measure::FileReport;
use super::plan::{Deliverable, Role};
use super::Tags;
use crate::loudness::platforms::PlatformPlayback;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};

/// Largest difference between a file's integrated loudness and its target
/// for the loudness check to pass, LU.
pub const LOUDNESS_TOLERANCE_LU: f64 = 0.05;

/// The checks each file passes or fails.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Checks {
    /// The header states the planned rate, word length, channels and format
    /// tag.
    pub format_ok: bool,
    /// The file holds exactly the planned number of frames.
    pub length_ok: bool,
    /// The 16× true peak is at or below the ceiling.
    pub ceiling_ok: bool,
    /// Integrated loudness − target, LU (`None` without a target or for
    /// silence).
    pub loudness_error_lu: Option<f64>,
    /// The loudness is within [`LOUDNESS_TOLERANCE_LU`] of the target (true
    /// without a target).
    pub loudness_ok: bool,
}

impl Checks {
    /// Checks a measured file against its plan.
    pub fn of(d: &Deliverable, m: &FileReport) -> Checks {
        let f = m.format;
        let loudness_error_lu = match (d.target_lufs, m.integrated_lufs) {
            (Some(t), Some(i)) => Some(i - t),
            _ => None,
        };
        Checks {
            format_ok: f.sample_rate == d.sample_rate
                && f.bits == d.bits
                && f.channels == d.channels
                && f.format_code == d.format_code,
            length_ok: m.frames == d.frames,
            ceiling_ok: m.true_peak_dbtp.is_none_or(|tp| tp <= d.ceiling_dbtp),
            loudness_error_lu,
            loudness_ok: d.target_lufs.is_none() || loudness_error_lu.is_some_and(|e| e.abs() <= LOUDNESS_TOLERANCE_LU),
        }
    }

    /// Whether every check passes.
    pub fn all_ok(&self) -> bool {
        self.format_ok && self.length_ok && self.ceiling_ok && self.loudness_ok
    }
}

/// One file of the bundle in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Entry name in the ZIP.
    pub name: String,
    /// What the file is for.
    pub role: Role,
    /// One line on what the file is for.
    pub description: String,
    /// Platform row the target comes from.
    pub platform: String,
    /// Loudness target, LUFS.
    pub target_lufs: Option<f64>,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: f64,
    /// Frames the file must hold, frames.
    pub expected_frames: u64,
    /// What the file measures, decoded from its bytes.
    pub measured: FileReport,
    /// The checks against the plan.
    pub checks: Checks,
    /// How every platform of the table plays the file (from its measured
    /// loudness and 16× true peak).
    pub platforms: Vec<PlatformPlayback>,
    /// The settings of the master this file was made from: rendering the
    /// source with them gives its samples (before conversion, for the CD).
    pub settings: Option<Settings>,
    /// Gain applied after conversion and dither to hold the ceiling, dB
    /// (0 when none was needed).
    pub ceiling_gain_db: f64,
}

/// Loudness over time of the streaming master, for the graph.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoudnessCurve {
    /// File the curve was measured on.
    pub file: String,
    /// Time between points, s.
    pub interval_s: f64,
    /// Short-term (3 s) loudness at the end of every interval, LUFS.
    pub short_term_lufs: Vec<Option<f64>>,
    /// Momentary (400 ms) loudness at the end of every interval, LUFS.
    pub momentary_lufs: Vec<Option<f64>>,
    /// The target line, LUFS.
    pub target_lufs: Option<f64>,
}

/// The platform the streaming master was made for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlatformChoice {
    /// Platform id.
    pub id: String,
    /// Platform name.
    pub name: String,
    /// Its target, LUFS.
    pub target_lufs: Option<f64>,
    /// Its ceiling, dBTP.
    pub ceiling_dbtp: f64,
}

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BundleReport {
    /// "Lacquer".
    pub tool: String,
    /// Lacquer's version.
    pub version: String,
    /// Input file's name (without its folder).
    pub source: String,
    /// Platform of the streaming master.
    pub platform: PlatformChoice,
    /// Tags of the release.
    pub tags: Tags,
    /// Whether the tags were written into the files.
    pub tags_in_files: bool,
    /// The settings the artist chose (before the target search set the gains).
    pub settings: Settings,
    /// The audio files, sorted by name.
    pub files: Vec<FileEntry>,
    /// Loudness over time of the streaming master.
    pub loudness_curve: LoudnessCurve,
    /// Whether every file passes every check.
    pub all_checks_ok: bool,
    /// Warnings to read (from the masters, and failed checks).
    pub warnings: Vec<String>,
}

/// Decimals every number in `report.json` is written with. The figures
/// come from `ebur128`'s logarithms, which the native and the wasm standard
/// libraries compute a last bit apart; at 1e-6 the report reads the same in
/// the CLI and in the browser (and far finer than any figure means).
pub const REPORT_DECIMALS: i32 = 6;

/// Rounds every number of a JSON tree to [`REPORT_DECIMALS`], and writes
/// −0 as 0.
fn round_numbers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => {
            if let Some(x) = n.as_f64() {
                let scale = 10f64.powi(REPORT_DECIMALS);
                let r = (x * scale).round() / scale;
                let r = if r == 0.0 { 0.0 } else { r };
                if let Some(m) = serde_json::Number::from_f64(r) {
                    *n = m;
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(round_numbers),
        Value::Object(o) => o.values_mut().for_each(round_numbers),
        _ => {}
    }
}

/// `report.json`'s text: pretty-printed, ending in a newline, every number
/// rounded to [`REPORT_DECIMALS`].
pub fn to_json(report: &BundleReport) -> String {
    let mut tree = serde_json::to_value(report).expect("the report serialises");
    round_numbers(&mut tree);
    let mut s = serde_json::to_string_pretty(&tree).expect("the report serialises");
    s.push('\n');
    s
}

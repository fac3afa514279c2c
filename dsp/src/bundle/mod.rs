//! The release bundle: one ZIP with the streaming master, the CD master,
//! optional loud and quiet variants, and a report of what every file
//! measures (`report.json`, and `report.html` to read or print).
//!
//! The same input and settings give the same ZIP, byte for byte, natively
//! and in wasm: entries sorted by name with fixed dates and permissions
//! ([`zip_writer`]), and nothing in the report that depends on when or where
//! it was made.
//!
//! Every figure in the report is measured on the file's own samples, as a
//! decoder reads them: the delivery meters the samples it encodes (BS.1770
//! loudness, 16× true peak) and the report adds the bytes' SHA-256
//! ([`FileReport::from_figures`]). Independent decoders check that the
//! bytes hold those samples: the browser's `decodeAudioData` before a
//! bundle is offered, and ffmpeg, sox and `flac` in the tests.
//! [`FileReport::measure`] measures a file from its bytes alone (decoded
//! by `hound`).
//!
//! ## Building a bundle, a file at a time
//! The CLI and the browser's worker build it the same way:
//! 1. [`plan`] lists the files (names, targets, formats, lengths);
//! 2. for each, make the master (the artist's settings with the file's
//!    ceiling and without the chain's dither: [`make::master_settings`],
//!    to the file's target: [`Deliverable::target`]), encode the file
//!    ([`encode::start`] for a master that comes a piece at a time, or
//!    [`encode::encode`] for a whole one), which measures what it writes
//!    ([`FileReport::from_figures`]);
//! 3. hand it to [`BundleBuilder::add_file`], which checks it against its
//!    plan and keeps its bytes (the caller holds nothing more);
//! 4. [`BundleBuilder::finish`] writes the reports and the ZIP.
//!
//! [`make::make`] does all of it in one call (the CLI's way; it blocks until done).
//!
//! - [`plan`]: which files, with which targets ([`plan::Role`]).
//! - [`encode`]: a file's bytes from its master.
//! - [`names`]: file names safe for distributors.
//! - [`measure`]: [`FileReport`], what a file measures.
//! - [`report_json`], [`report_html`], [`svg`]: the reports.
//! - [`zip_writer`]: the deterministic archive.

pub mod encode;
pub mod make;
pub mod measure;
pub mod names;
pub mod plan;
pub mod report_html;
pub mod report_json;
pub mod svg;
pub mod zip_writer;

pub use measure::{FileReport, WavFormat};
pub use plan::{plan, Deliverable, PlanRequest, Role};
pub use encode::{encode, Encoded};
pub use report_json::{BundleReport, Checks, FileEntry};

pub use crate::delivery::Tags;
use crate::loudness::platforms;
use crate::settings::Settings;
use report_json::{LoudnessCurve, PlatformChoice};
use serde::{Deserialize, Serialize};
use std::io::{Cursor, Seek, Write};

/// Name of the JSON report in the ZIP.
pub const REPORT_JSON: &str = "report.json";

/// Bytes handed per call to a file's SHA-256 and to the ZIP's CRC-32. One
/// call over a whole file would run, in the browser, as the engine compiled
/// it first: its baseline code, about ten times slower (WebAssembly has no
/// on-stack replacement, so a long call never moves to the optimised code
/// that later calls get).
const HASH_PIECE: usize = 1 << 18;
/// Name of the HTML report in the ZIP.
pub const REPORT_HTML: &str = "report.html";

/// Lacquer's version, as the report states it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the bundle is made from and for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BundleMeta {
    /// The settings the artist chose.
    pub settings: Settings,
    /// Platform of the streaming master (an id of [`platforms::PLATFORMS`]).
    pub platform: String,
    /// The release's tags (empty fields: none).
    pub tags: Tags,
    /// Whether the tags are written into the files.
    pub tags_in_files: bool,
    /// The input file's name (its folder is dropped).
    pub source_name: String,
}

impl BundleMeta {
    /// The base of the file names: from the artist and title, or the input's name.
    pub fn base_name(&self) -> String {
        let some = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
        names::base_name(some(&self.tags.artist).as_deref(), some(&self.tags.title).as_deref(), &self.source_name)
    }

    /// The plan for a source of this shape, with or without the variants.
    pub fn plan(&self, channels: u16, frames: u64, sample_rate: u32, loud: bool, quiet: bool) -> Result<Vec<Deliverable>, String> {
        plan(&PlanRequest {
            platform: self.platform.clone(),
            loud,
            quiet,
            base_name: self.base_name(),
            channels,
            frames,
            sample_rate,
        })
    }
}

/// How a file was made, for the report.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Origin {
    /// The settings of the master it was made from.
    pub settings: Option<Settings>,
    /// Gain the delivery stage applied to hold the ceiling after conversion
    /// and dither ([`encode::Encoded::ceiling_gain_db`]), dB.
    pub ceiling_gain_db: f64,
}

/// Gathers the bundle's files, a file at a time, and writes the ZIP.
pub struct BundleBuilder {
    /// What the bundle is for.
    meta: BundleMeta,
    /// The files added so far: report entry and bytes.
    files: Vec<(FileEntry, Vec<u8>)>,
    /// Warnings gathered so far.
    warnings: Vec<String>,
}

impl BundleBuilder {
    /// A bundle for `meta` (checks the platform, and checks and normalises
    /// the tags: [`Tags::validated`]).
    pub fn new(mut meta: BundleMeta) -> Result<Self, String> {
        plan::platform(&meta.platform)?;
        meta.tags = meta.tags.validated()?;
        Ok(Self { meta, files: Vec::new(), warnings: Vec::new() })
    }

    /// Adds a file: `bytes` as encoded, `measured` what they hold
    /// ([`FileReport::from_figures`]), `origin` how it was made. The file is
    /// checked against its plan; a failed check becomes a warning in the
    /// report (and [`BundleReport::all_checks_ok`] false). Returns the
    /// file's checks.
    pub fn add_file(&mut self, plan: &Deliverable, bytes: Vec<u8>, measured: FileReport, origin: Origin) -> Result<Checks, String> {
        if !names::is_safe(&plan.name) {
            return Err(format!("'{}' is not a safe file name", plan.name));
        }
        if self.files.iter().any(|(e, _)| e.name == plan.name) {
            return Err(format!("{} is in the bundle already", plan.name));
        }
        if measured.bytes != bytes.len() as u64 {
            return Err(format!("{}: the measurement is not of these bytes", plan.name));
        }
        let checks = Checks::of(plan, &measured);
        self.warnings.extend(check_warnings(plan, &measured, &checks));
        let platforms = platforms::assess(&measured.loudness_report());
        let entry = FileEntry {
            name: plan.name.clone(),
            role: plan.role,
            description: plan.role.describe().to_string(),
            platform: plan.platform.clone(),
            target_lufs: plan.target_lufs,
            ceiling_dbtp: plan.ceiling_dbtp,
            expected_frames: plan.frames,
            measured,
            checks: checks.clone(),
            platforms,
            settings: origin.settings,
            ceiling_gain_db: origin.ceiling_gain_db,
        };
        self.files.push((entry, bytes));
        Ok(checks)
    }

    /// Adds a warning to the report (e.g. a master's own).
    pub fn warn(&mut self, warning: impl Into<String>) {
        let w = warning.into();
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    /// Files added so far.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True before the first file is added.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The `i`-th file added: its report entry and its bytes.
    pub fn file(&self, i: usize) -> Option<(&FileEntry, &[u8])> {
        self.files.get(i).map(|(e, b)| (e, b.as_slice()))
    }

    /// The report as it stands.
    pub fn report(&self) -> BundleReport {
        let p = platforms::find(&self.meta.platform).expect("checked in new");
        let mut files: Vec<FileEntry> = self.files.iter().map(|(e, _)| e.clone()).collect();
        files.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        let curve = files
            .iter()
            .find(|f| f.role == Role::Streaming)
            .map(|f| LoudnessCurve {
                file: f.name.clone(),
                interval_s: 0.1,
                short_term_lufs: f.measured.short_term_curve.clone(),
                momentary_lufs: f.measured.momentary_curve.clone(),
                target_lufs: f.target_lufs,
            })
            .unwrap_or_default();
        let source = self.meta.source_name.rsplit(['/', '\\']).next().unwrap_or("").to_string();
        BundleReport {
            tool: "Lacquer".into(),
            version: VERSION.into(),
            source,
            platform: PlatformChoice {
                id: p.id.into(),
                name: p.name.into(),
                target_lufs: p.target_lufs,
                ceiling_dbtp: p.ceiling_dbtp,
            },
            tags: self.meta.tags.clone(),
            tags_in_files: self.meta.tags_in_files,
            settings: self.meta.settings,
            all_checks_ok: files.iter().all(|f| f.checks.all_ok()),
            files,
            loudness_curve: curve,
            warnings: self.warnings.clone(),
        }
    }

    /// Writes the reports and the ZIP. The files' bytes move into the
    /// archive one at a time.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        let entries = self.into_entries();
        let size = zip_writer::zip_size(&entries);
        zip_writer::write_zip_to(entries, Cursor::new(Vec::with_capacity(size))).map(Cursor::into_inner)
    }

    /// Like [`BundleBuilder::finish`], writing the ZIP to `out` (a file,
    /// natively) instead of returning it: the same bytes.
    pub fn finish_to<W: Write + Seek>(self, out: W) -> Result<W, String> {
        zip_writer::write_zip_to(self.into_entries(), out)
    }

    /// The ZIP's entries: the files and the two reports.
    fn into_entries(self) -> Vec<(String, Vec<u8>)> {
        let report = self.report();
        let json = report_json::to_json(&report);
        let html = report_html::to_html(&report);
        drop(report);
        let mut entries: Vec<(String, Vec<u8>)> = self.files.into_iter().map(|(e, b)| (e.name, b)).collect();
        entries.push((REPORT_JSON.into(), json.into_bytes()));
        entries.push((REPORT_HTML.into(), html.into_bytes()));
        entries
    }
}

/// The warnings a file's failed checks give.
fn check_warnings(d: &Deliverable, m: &FileReport, c: &Checks) -> Vec<String> {
    let mut w = Vec::new();
    let f = m.format;
    if !c.format_ok {
        w.push(format!(
            "{}: the file is format {} {} Hz {}-bit {} ch, not format {} {} Hz {}-bit {} ch as planned",
            d.name, f.format_code, f.sample_rate, f.bits, f.channels, d.format_code, d.sample_rate, d.bits, d.channels
        ));
    }
    if !c.length_ok {
        w.push(format!("{}: {} frames, not the {} planned", d.name, m.frames, d.frames));
    }
    if !c.ceiling_ok {
        w.push(format!(
            "{}: true peak {:.2} dBTP (16×) is over the {:.1} dBTP ceiling",
            d.name,
            m.true_peak_dbtp.unwrap_or(f64::NEG_INFINITY),
            d.ceiling_dbtp
        ));
    }
    if !c.loudness_ok {
        w.push(match (m.integrated_lufs, d.target_lufs) {
            (Some(i), Some(t)) => format!("{}: {i:.2} LUFS is not within 0.05 LU of the {t:.1} LUFS target", d.name),
            _ => format!("{}: silence, so it cannot meet its loudness target", d.name),
        });
    }
    w
}

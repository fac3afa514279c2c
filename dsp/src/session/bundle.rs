//! The release bundle of a session ([`crate::bundle`]), made a piece at a
//! time over the session's shared audio, so that the browser's worker can
//! answer messages (playback chunks, Cancel) between steps.
//!
//! The ZIP is byte for byte the one `lacquer bundle` writes for the same
//! input, settings, platform, tags and variants ([`crate::bundle::make`]):
//! the same masters ([`make::master_settings`], to each file's target), the
//! same deliveries ([`encode::start`]), the same measurements of the files'
//! samples ([`FileReport::from_figures`]), added in the same order, so the report's
//! warnings come in the same order too.
//!
//! The work, in [`BundleJob::step`]s:
//! 1. each master (the streaming one, which feeds the streaming and CD
//!    files, then the loud and quiet variants when asked for) is stepped
//!    with its files' deliveries taking its final pieces as they come;
//! 2. each delivery, in turn, checks its ceiling and encodes, measuring the
//!    samples it writes (a long file's delivery that does not keep its
//!    converted master has the master rendered again, with the settings
//!    found, as [`super::export::Export`] does);
//! 3. as soon as a file is finished, its report is made from those figures
//!    and its bytes' SHA-256 (one step) and it is added to the
//!    [`BundleBuilder`] ([`BundleJob::next_file`] hands it out);
//! 4. the ZIP is written ([`BundleJob::finish`]), with where each file lies
//!    in it ([`zip_entries`]), so the host can read each file back out of
//!    the ZIP to check it.

use super::export::KEEP_PASS_LIMIT_BYTES;
use super::outcomes::Outcomes;
use super::Session;
use crate::bundle::make::master_settings;
use crate::bundle::{encode, BundleBuilder, BundleMeta, BundleReport, Deliverable, FileEntry, FileReport, Origin, Role};
use crate::delivery::Delivery;
use crate::loudness::file_meter::FileFigures;
use crate::job::{MasterJob, MasterReport, Progress};
use crate::loudness::meter::LoudnessReport;
use crate::settings::Settings;
use serde::Serialize;
use std::sync::Arc;

/// One file of the group a master feeds.
struct Slot {
    /// Index of its plan in the job's files.
    plan: usize,
    /// Its delivery, until finished.
    delivery: Option<Delivery>,
    /// True while the delivery takes a render of the master.
    takes_input: bool,
    /// The file's bytes so far.
    bytes: Vec<u8>,
    /// Gain the delivery applied to hold the ceiling, dB, once finished.
    ceiling_gain_db: Option<f64>,
    /// What the file's samples measure, once finished.
    figures: Option<FileFigures>,
    /// True once added to the bundle.
    added: bool,
}

/// The master in progress and the files it feeds.
struct Group {
    /// The master job (the first render, or a render again).
    job: Option<MasterJob>,
    /// The first render's settings and report, once done.
    outcome: Option<(Settings, MasterReport)>,
    /// Its files.
    slots: Vec<Slot>,
}

/// Where a file lies in the ZIP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZipEntry {
    /// Entry name.
    pub name: String,
    /// Offset of the file's first byte in the ZIP, bytes.
    pub offset: usize,
    /// Length of the file, bytes (entries are Stored).
    pub len: usize,
}

/// A finished bundle.
pub struct Bundled {
    /// The ZIP.
    pub zip: Vec<u8>,
    /// What it reports (`report.json`'s content).
    pub report: BundleReport,
    /// Where each entry lies in the ZIP.
    pub entries: Vec<ZipEntry>,
}

/// A bundle in progress.
pub struct BundleJob {
    /// The session's audio.
    input: Arc<Vec<Vec<f32>>>,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// The source's loudness (the jobs' input report).
    input_report: LoudnessReport,
    /// What the bundle is for.
    meta: BundleMeta,
    /// The plan.
    files: Vec<Deliverable>,
    /// Plans grouped by the master that feeds them, in the CLI's order.
    groups: Vec<Vec<usize>>,
    /// Index of the group in progress.
    group_at: usize,
    /// The group in progress.
    group: Option<Group>,
    /// The bundle so far.
    builder: Option<BundleBuilder>,
    /// Converted masters kept up to this size, bytes.
    keep_limit_bytes: usize,
    /// The first error.
    failed: Option<String>,
    /// The finished ZIP, once written.
    done: Option<Bundled>,
    /// Progress of the last step.
    last: Progress,
    /// Files handed out by [`BundleJob::next_file`] so far.
    handed_out: usize,
    /// The session's master-to-target outcomes (each master skips the
    /// search when the studio found its outcome already).
    outcomes: Outcomes,
}

impl BundleJob {
    /// Starts the bundle of `session`'s audio for `meta`, with the loud and
    /// quiet variants when asked. The session must be analysed. Checks the
    /// platform and the tags first (a bad ISRC is refused here).
    pub fn start(session: &Session, meta: BundleMeta, loud: bool, quiet: bool) -> Result<Self, String> {
        Self::start_keeping(session, meta, loud, quiet, KEEP_PASS_LIMIT_BYTES)
    }

    /// [`BundleJob::start`] with the deliveries keeping their converted
    /// masters up to `keep_limit_bytes` (a test renders a long file's way with 0).
    pub fn start_keeping(session: &Session, meta: BundleMeta, loud: bool, quiet: bool, keep_limit_bytes: usize) -> Result<Self, String> {
        let Some(analysis) = session.analysis() else {
            return Err("the file is still being analysed".into());
        };
        let builder = BundleBuilder::new(meta.clone())?;
        let files = meta.plan(session.channels() as u16, session.frames() as u64, session.sample_rate(), loud, quiet)?;
        let find = |role: Role| files.iter().position(|f| f.role == role);
        let streaming = find(Role::Streaming).ok_or("the plan has no streaming master")?;
        let cd = find(Role::Cd).ok_or("the plan has no CD master")?;
        let mut groups = vec![vec![streaming, cd]];
        groups.extend([Role::Loud, Role::Quiet].into_iter().filter_map(find).map(|i| vec![i]));
        Ok(Self {
            input: session.input().clone(),
            sample_rate: session.sample_rate(),
            input_report: analysis.loudness.clone(),
            meta,
            files,
            groups,
            group_at: 0,
            group: None,
            builder: Some(builder),
            keep_limit_bytes,
            failed: None,
            done: None,
            last: Progress { fraction: 0.0, phase: "starting", done: false },
            handed_out: 0,
            outcomes: session.outcomes().clone(),
        })
    }

    /// The bundle's files, as planned.
    pub fn plan(&self) -> &[Deliverable] {
        &self.files
    }

    /// Does up to about `budget_frames` frames of work (a file's
    /// measurement, or the ZIP, is one step of its own).
    pub fn step(&mut self, budget_frames: usize) -> Progress {
        if self.done.is_some() || self.failed.is_some() {
            self.last = Progress { fraction: 1.0, phase: "done", done: true };
            return self.last;
        }
        if let Err(e) = self.work(budget_frames.max(1)) {
            self.failed = Some(e);
            self.group = None;
            self.last = Progress { fraction: 1.0, phase: "done", done: true };
        }
        self.last
    }

    /// One step of work; progress goes in `self.last`.
    fn work(&mut self, budget: usize) -> Result<(), String> {
        let groups = self.groups.len() as f64;
        let at = self.group_at as f64;
        let frac = |within: f64| ((at + within) / groups * 0.97).min(0.97);
        if self.group_at == self.groups.len() {
            let builder = self.builder.take().ok_or("the bundle is written already")?;
            let report = builder.report();
            let zip = builder.finish()?;
            let entries = zip_entries(&zip)?;
            self.done = Some(Bundled { zip, report, entries });
            self.last = Progress { fraction: 1.0, phase: "done", done: true };
            return Ok(());
        }
        if self.group.is_none() {
            self.group = Some(self.new_group()?);
        }
        let g = self.group.as_mut().expect("group");
        // 1. The master, its pieces into the deliveries that take them.
        if let Some(job) = g.job.as_mut() {
            let first = g.outcome.is_none();
            let mut failed = None;
            let slots = &mut g.slots;
            let p = job.step_with(budget, |piece| {
                for s in slots.iter_mut().filter(|s| s.takes_input) {
                    if let (Some(d), None) = (s.delivery.as_mut(), failed.as_ref()) {
                        if let Err(e) = d.push(piece) {
                            failed = Some(format!("{e}"));
                        }
                        s.bytes.append(&mut d.take_bytes());
                    }
                }
            });
            if let Some(e) = failed {
                return Err(e);
            }
            if !p.done {
                self.last = Progress { fraction: frac(if first { 0.7 * p.fraction } else { 0.75 }), phase: p.phase, done: false };
                return Ok(());
            }
            let (settings, report) = g.job.take().expect("job").finish();
            for s in g.slots.iter_mut() {
                s.takes_input = false;
            }
            if first {
                let plan = &self.files[g.slots[0].plan];
                self.outcomes.remember(&master_settings(&self.meta.settings, plan), plan.target(), &settings, &report, None);
                if let Some(w) = &report.warning {
                    let name = &self.files[g.slots[0].plan].name;
                    self.builder.as_mut().expect("builder").warn(format!("{name}: {w}"));
                }
                g.outcome = Some((settings, report));
            }
            self.last = Progress { fraction: frac(0.7), phase: "encoding", done: false };
            return Ok(());
        }
        // 2. Deliveries: a render again for those that ask, else their checks and encoding.
        if g.slots.iter().any(|s| s.delivery.as_ref().is_some_and(Delivery::wants_input_again)) {
            let settings = g.outcome.as_ref().expect("outcome").0;
            g.job = Some(MasterJob::shared(self.input.clone(), self.sample_rate, settings, None).map_err(|e| e.to_string())?);
            for s in g.slots.iter_mut() {
                s.takes_input = s.delivery.as_ref().is_some_and(Delivery::wants_input_again);
            }
            self.last = Progress { fraction: frac(0.75), phase: "checking the true peak", done: false };
            return Ok(());
        }
        // 3. A finished file is measured and added at once (its report from
        //    the delivery's figures and its SHA-256), so that the host can
        //    check it while the next file is made.
        let settings = g.outcome.as_ref().expect("outcome").0;
        //    (In the plan's order, as the CLI adds them: the report's warnings
        //    come in the same order.)
        if let Some(s) = g.slots.iter_mut().find(|s| !s.added).filter(|s| s.delivery.is_none()) {
            let plan = &self.files[s.plan];
            let bytes = std::mem::take(&mut s.bytes);
            let figures = s.figures.take().ok_or_else(|| format!("{}: the file was not measured", plan.name))?;
            let measured = FileReport::from_figures(&bytes, figures).map_err(|e| format!("{}: {e}", plan.name))?;
            let origin = Origin { settings: Some(settings), ceiling_gain_db: s.ceiling_gain_db.unwrap_or(0.0) };
            self.builder.as_mut().expect("builder").add_file(plan, bytes, measured, origin)?;
            s.added = true;
            self.last = Progress { fraction: frac(0.9), phase: "measuring the files", done: false };
            return Ok(());
        }
        if let Some(s) = g.slots.iter_mut().find(|s| s.delivery.is_some()) {
            let name = &self.files[s.plan].name;
            let d = s.delivery.as_mut().expect("delivery");
            let finished = d.step(budget).map_err(|e| format!("{name}: {e}"))?;
            s.bytes.append(&mut d.take_bytes());
            if finished && !d.wants_input_again() {
                let done = s.delivery.take().expect("delivery").finish().map_err(|e| format!("{name}: {e}"))?;
                s.bytes.extend_from_slice(&done.tail);
                if let Some(patch) = done.header_patch {
                    s.bytes[..patch.len()].copy_from_slice(&patch);
                }
                s.ceiling_gain_db = Some(done.measured.gain_db);
                s.figures = done.figures;
            }
            self.last = Progress { fraction: frac(0.8), phase: "encoding", done: false };
            return Ok(());
        }
        self.group = None;
        self.group_at += 1;
        self.last = Progress { fraction: frac(0.0), phase: "mastering", done: false };
        Ok(())
    }

    /// The master job and deliveries of the group at `group_at`.
    fn new_group(&self) -> Result<Group, String> {
        let plans = &self.groups[self.group_at];
        let first = &self.files[plans[0]];
        let settings = master_settings(&self.meta.settings, first);
        let job = MasterJob::shared(self.input.clone(), self.sample_rate, settings, first.target())
            .map_err(|e| e.to_string())?
            .with_input_report(self.input_report.clone())
            .keep_passes_up_to(KEEP_PASS_LIMIT_BYTES);
        let job = self.outcomes.apply(job, &settings, first.target());
        let tags = self.meta.tags_in_files.then_some(&self.meta.tags);
        let (ch, frames) = (self.input.len(), self.input.first().map_or(0, Vec::len));
        let slots = plans
            .iter()
            .map(|&i| {
                let mut d = encode::start(&self.files[i], ch, frames, self.sample_rate, &self.meta.settings, tags, self.keep_limit_bytes)?;
                // A master the studio made already is shared, not copied,
                // by the files at its rate.
                let shared = match job.known_master() {
                    Some(m) => d.take_whole(m).map_err(|e| format!("{}: {e}", self.files[i].name))?,
                    None => false,
                };
                Ok(Slot {
                    plan: i,
                    delivery: Some(d),
                    takes_input: !shared,
                    bytes: Vec::new(),
                    ceiling_gain_db: None,
                    figures: None,
                    added: false,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Group { job: Some(job), outcome: None, slots })
    }

    /// The next file finished since the last call, in the order they were
    /// added: its report entry and its bytes as they go into the ZIP, so
    /// that the host can check each file while the next is made.
    pub fn next_file(&mut self) -> Option<(&FileEntry, &[u8])> {
        let b = self.builder.as_ref()?;
        let f = b.file(self.handed_out)?;
        self.handed_out += 1;
        Some(f)
    }

    /// Ends a finished bundle: the ZIP, its report and its entries. Fails
    /// with the first error met, or if the bundle is not finished.
    pub fn finish(mut self) -> Result<Bundled, String> {
        if let Some(e) = self.failed.take() {
            return Err(format!("the bundle could not be made: {e}"));
        }
        self.done.take().ok_or_else(|| "the bundle is not finished".to_string())
    }
}

/// Where each entry's bytes lie in a ZIP of Stored entries, from its local
/// headers.
pub fn zip_entries(zip: &[u8]) -> Result<Vec<ZipEntry>, String> {
    let le16 = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]) as usize;
    let le32 = |at: usize| u32::from_le_bytes([zip[at], zip[at + 1], zip[at + 2], zip[at + 3]]) as usize;
    let mut entries = Vec::new();
    let mut pos = 0;
    while pos + 30 <= zip.len() && le32(pos) == 0x0403_4b50 {
        if le16(pos + 8) != 0 {
            return Err("a ZIP entry is compressed".into());
        }
        let (len, name_len, extra_len) = (le32(pos + 18), le16(pos + 26), le16(pos + 28));
        let name_at = pos + 30;
        let offset = name_at + name_len + extra_len;
        if offset + len > zip.len() {
            return Err("a ZIP entry runs past the end".into());
        }
        let name = String::from_utf8_lossy(&zip[name_at..name_at + name_len]).into_owned();
        entries.push(ZipEntry { name, offset, len });
        pos = offset + len;
    }
    if entries.is_empty() {
        return Err("no entries in the ZIP".into());
    }
    Ok(entries)
}

#[cfg(test)]
#[path = "bundle_tests.rs"]
mod tests;

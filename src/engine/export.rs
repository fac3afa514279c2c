//! Release files from the page: the single file (every format and rate the
//! release choices allow) and the release bundle, always mastered with the
//! studio's settings to the studio's target, so an export is never off
//! target. Each file is checked before it is offered ([`super::verify`]):
//! decoded again by the browser at its own rate and measured in the worker;
//! the figures the page shows are those of the file.

use super::studio::job_fields;
use super::verify::{self, Checked};
use super::{download, Engine};
use crate::state::{CheckedFile, CodecCheck, ExportState};
use crate::studio::release::ReleaseChoice;
use crate::studio::target::TargetChoice;
use js_sys::{Object, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use lacquer_dsp::bundle::names;
use lacquer_dsp::job::MasterReport;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use web_sys::Blob;

/// Loudness the decoded file may differ from the figure it was made with, LU.
const LOUDNESS_AGREE_LU: f64 = 0.05;
/// How far over its ceiling a decoded file's true peak may read, dB (the
/// delivery's own margin).
const CEILING_MARGIN_DB: f64 = 0.01;

/// An export in progress (until its files are checked and offered).
pub(super) struct Running {
    /// Its command id.
    pub id: u32,
    /// The download's name.
    pub file_name: String,
    /// True once every file is made and only checks remain (the checker's
    /// progress is shown from then on).
    pub made: bool,
    /// The checks of a bundle's files, queued as each file arrives.
    checks: BundleChecks,
}

impl Running {
    fn new(id: u32, file_name: String) -> Self {
        Self { id, file_name, made: false, checks: BundleChecks::default() }
    }
}

/// The checks of a bundle's files: each runs on the checker as soon as its
/// file is made, while the engine worker makes the next.
#[derive(Default)]
struct BundleChecks {
    /// The last check queued: each waits for the one before (the checker
    /// measures one file at a time).
    last: Option<Promise>,
    /// Each file's check, in the order the files came.
    done: Rc<RefCell<Vec<(FileView, Result<Checked, String>)>>>,
}

/// The parts of a finished single export's report the page reads.
#[derive(Deserialize)]
struct ExportReport {
    report: MasterReport,
    #[serde(default)]
    delivered: Option<Delivered>,
}

/// The delivered file's format, as the worker made it.
#[derive(Deserialize)]
struct Delivered {
    sample_rate: u32,
    frames: u64,
    #[serde(default)]
    ceiling_dbtp: Option<f64>,
}

/// The parts of a finished bundle the page reads.
#[derive(Deserialize)]
struct BundleDone {
    report: BundleReportView,
}

#[derive(Deserialize)]
struct BundleReportView {
    files: Vec<FileView>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
struct FileView {
    name: String,
    role: String,
    description: String,
    ceiling_dbtp: f64,
    expected_frames: u64,
    measured: MeasuredView,
}

#[derive(Deserialize)]
struct MeasuredView {
    format: FormatView,
    integrated_lufs: Option<f64>,
}

#[derive(Deserialize)]
struct FormatView {
    sample_rate: u32,
}


/// The problems the check found in a decoded file.
fn problems(c: &Checked, rate: u32, frames: u64, lufs: Option<f64>, ceiling: Option<f64>) -> Vec<String> {
    let f = &c.figures;
    let mut p = Vec::new();
    if f.sample_rate != rate {
        p.push(format!("decoded at {} Hz, not {rate} Hz", f.sample_rate));
    }
    if f.frames as u64 != frames {
        p.push(format!("{} frames decoded, not {frames}", f.frames));
    }
    if let (Some(a), Some(b)) = (f.integrated_lufs, lufs) {
        if (a - b).abs() > LOUDNESS_AGREE_LU {
            p.push(format!("decoded at {a:.2} LUFS, made at {b:.2} LUFS"));
        }
    }
    if let (Some(tp), Some(c)) = (f.true_peak_dbtp, ceiling) {
        if tp > c + CEILING_MARGIN_DB {
            p.push(format!("true peak {tp:.2} dBTP is over the {c:.1} dBTP ceiling"));
        }
    }
    p
}

fn checked(name: String, description: String, c: &Checked, problems: Vec<String>) -> CheckedFile {
    CheckedFile {
        name,
        description,
        sample_rate: c.figures.sample_rate,
        frames: c.figures.frames as u64,
        integrated_lufs: c.figures.integrated_lufs,
        true_peak_dbtp: c.figures.true_peak_dbtp,
        problems,
    }
}

/// The codec check of `c`, once it ends.
async fn codec(c: &mut Checked) -> Option<CodecCheck> {
    verify::codec_figures(c).await.map(|o| CodecCheck {
        codec: format!("Opus {:.0} kbps", if o.bitrate_kbps > 0.0 { o.bitrate_kbps } else { 160.0 }),
        peak_dbfs: o.peak_dbfs,
        error: o.error.clone(),
        pending: false,
    })
}

impl Engine {
    /// Shows the codec check of `c` in the finished export's panel once it
    /// ends: the files were offered as soon as they were checked, with the
    /// codec check running. Dropped if another export has started since.
    async fn show_codec_when_done(&self, file_name: String, mut c: Checked) {
        let Some(result) = codec(&mut c).await else { return };
        if self.inner.borrow().export.is_some() {
            return;
        }
        self.state.export.update(|s| {
            if let ExportState::Done { file_name: f, codec: Some(shown), .. } = s {
                if *f == file_name && shown.pending {
                    *shown = result;
                }
            }
        });
    }
}

impl Engine {
    /// True while an export (or its check) runs.
    fn exporting(&self) -> bool {
        matches!(self.state.export.get_untracked(), ExportState::Running { .. })
    }

    /// The choices, refused with a message when the tags are not valid.
    fn release_choice(&self) -> Option<ReleaseChoice> {
        let r = self.studio.release.get_untracked();
        if let Some(p) = r.tags_problem() {
            self.state.error.set(Some(format!("Fix the tags before exporting: {p}")));
            return None;
        }
        Some(r)
    }

    /// Masters the loaded file with the studio's settings to its target
    /// into one release file (the chosen format, rate and tags), checks it
    /// and downloads it.
    pub fn export_wav(&self) {
        if self.exporting() {
            return;
        }
        let Some(src) = self.inner.borrow().loaded.clone() else { return };
        let Some(release) = self.release_choice() else { return };
        let rate = self.state.file.with_untracked(|f| f.as_ref().map_or(0, |f| f.sample_rate));
        let id = self.next_id();
        let file_name = release.file_name(&src.file.name(), rate);
        self.inner.borrow_mut().export = Some(Running::new(id, file_name));
        self.state.export.set(ExportState::Running { fraction: 0.0, phase: "starting".into() });
        let r = Object::new();
        let _ = Reflect::set(&r, &"format".into(), &release.format.code().into());
        let _ = Reflect::set(&r, &"rate".into(), &release.rate.code().into());
        let _ = Reflect::set(&r, &"tagsJson".into(), &release.tags_json().into());
        let mut fields = job_fields(&self.studio.settings.get_untracked(), self.studio.master_target_untracked()).to_vec();
        fields.push(("release", r.into()));
        self.with_worker(|w| w.send("export", id, &fields, &[]));
    }

    /// Makes the release bundle for the studio's platform with the
    /// studio's settings, checks every file in it and downloads it.
    pub fn export_bundle(&self) {
        if self.exporting() {
            return;
        }
        let Some(src) = self.inner.borrow().loaded.clone() else { return };
        let Some(release) = self.release_choice() else { return };
        let platform = match self.studio.target.get_untracked() {
            TargetChoice::Platform { id } => id,
            _ => {
                self.state.error.set(Some("The release bundle is made for a platform's target: pick a platform.".into()));
                return;
            }
        };
        let meta = serde_json::json!({
            "settings": self.studio.settings.get_untracked(),
            "platform": platform,
            "tags": release.tags,
            "tags_in_files": !release.no_tags,
            "source_name": src.file.name(),
        });
        let some = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
        let base = names::base_name(some(&release.tags.artist).as_deref(), some(&release.tags.title).as_deref(), &src.file.name());
        let id = self.next_id();
        self.inner.borrow_mut().export = Some(Running::new(id, format!("{base}_release.zip")));
        self.state.export.set(ExportState::Running { fraction: 0.0, phase: "starting".into() });
        let fields = [("metaJson", meta.to_string().into()), ("loud", release.loud.into()), ("quiet", release.quiet.into())];
        self.with_worker(|w| w.send("bundle", id, &fields, &[]));
    }

    /// Cancels the export in progress (or its check); the file and settings
    /// stay as they are.
    pub fn cancel_export(&self) {
        let id = self.inner.borrow().export.as_ref().map(|r| r.id);
        if let Some(id) = id {
            self.with_worker(|w| w.send("cancel", id, &[], &[]));
            self.cancel_check(id);
        }
    }

    /// The release messages: a finished bundle, a file's check.
    pub(super) fn release_event(&self, kind: &str, id: u32, data: JsValue) {
        match kind {
            "bundle-file" => self.bundle_file(id, data),
            "bundled" => {
                let engine = self.clone();
                spawn_local(async move { engine.bundled(id, data).await });
            }
            _ => {}
        }
    }

    /// Settles a check waiting on `id` that was cancelled or failed.
    pub(super) fn release_stopped(&self, id: u32) {
        verify::settle(id, &JsValue::NULL);
    }

    /// True while `id` is the export in progress.
    fn is_export(&self, id: u32) -> bool {
        self.inner.borrow().export.as_ref().is_some_and(|r| r.id == id)
    }

    /// The export `id` failed: say why and stop.
    fn export_failed(&self, id: u32, why: String) {
        if self.inner.borrow_mut().export.take_if(|r| r.id == id).is_some() {
            // Whatever the checker still holds of it (a codec check held
            // for after the checks) is let go.
            self.cancel_check(id);
            self.state.export.set(ExportState::Idle);
            self.state.error.set(Some(why));
        }
    }

    /// Offers the checked file and shows what it measures.
    fn offer(&self, id: u32, file: &Blob, done: ExportState) -> bool {
        let Some(run) = self.inner.borrow_mut().export.take_if(|r| r.id == id) else { return false };
        if let Err(e) = download::download(file, &run.file_name) {
            self.state.export.set(ExportState::Idle);
            self.state.error.set(Some(format!("The download could not start: {e}")));
            return false;
        }
        self.state.export.set(done);
        self.preview_if_missing();
        true
    }

    /// Largest FLAC file the page decodes again to check it, as f32 bytes:
    /// about 3 minutes of 44.1 kHz stereo. A WAV file is decoded a segment at
    /// a time whatever its length ([`verify::check_file`]); a FLAC file is
    /// decoded whole, which for a 5-minute song holds it on the page and
    /// takes a main-thread task over 50 ms, so a longer one is offered with
    /// the delivery's own measurement of its final samples.
    const VERIFY_LIMIT_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// A finished single export: check it, then offer it.
    pub(super) fn exported(&self, id: u32, file: Blob, report: JsValue, ms: f64) {
        if !self.is_export(id) {
            return;
        }
        let engine = self.clone();
        spawn_local(async move {
            let r = match serde_wasm_bindgen::from_value::<ExportReport>(report) {
                Ok(r) => r,
                Err(e) => return engine.export_failed(id, format!("The export's report could not be read: {e}")),
            };
            let Some(d) = r.delivered else {
                return engine.export_failed(id, "The export did not say what it delivered.".into());
            };
            let channels = engine.state.file.with_untracked(|f| f.as_ref().map_or(2, |f| f.channels)) as f64;
            let flac = engine.inner.borrow().export.as_ref().is_some_and(|r| r.file_name.ends_with(".flac"));
            if flac && d.frames as f64 * channels * 4.0 > Self::VERIFY_LIMIT_BYTES {
                // See `VERIFY_LIMIT_BYTES`.
                let name = engine.inner.borrow().export.as_ref().map(|r| r.file_name.clone()).unwrap_or_default();
                let summary = format!(
                    "{} → {} · measured as written (too long to decode again in the page yet) · made in {:.1} s",
                    r.report.input_lufs.map_or("silence".to_string(), |v| format!("{v:.1} LUFS")),
                    r.report.output_lufs.map_or("silence".to_string(), |v| format!("{v:.1} LUFS")),
                    ms / 1000.0
                );
                let done = ExportState::Done { file_name: name, summary, report: Some(Box::new(r.report)), files: Vec::new(), codec: None };
                engine.offer(id, &file, done);
                return;
            }
            engine.state.export.set(ExportState::Running { fraction: 0.0, phase: "checking the file".into() });
            if let Some(r) = engine.inner.borrow_mut().export.as_mut() {
                r.made = true;
            }
            let checker = match engine.checker() {
                Ok(c) => c,
                Err(e) => return engine.export_failed(id, e),
            };
            let c = match verify::check_file(&file, d.sample_rate, Some(verify::CodecPlan::Along), &checker, id).await {
                Ok(c) => c,
                Err(e) => {
                    if engine.is_export(id) {
                        engine.export_failed(id, format!("The exported file failed its check: {e}"));
                    }
                    return;
                }
            };
            let name = engine.inner.borrow().export.as_ref().map(|r| r.file_name.clone()).unwrap_or_default();
            let p = problems(&c, d.sample_rate, d.frames, r.report.output_lufs, d.ceiling_dbtp);
            if p.iter().any(|p| p.contains("frames") || p.contains("Hz")) {
                return engine.export_failed(id, format!("The exported file failed its check: {}", p.join("; ")));
            }
            let lufs = |v: Option<f64>| v.map_or("silence".to_string(), |v| format!("{v:.1} LUFS"));
            let summary = format!(
                "{} → {} · gain {:+.1} dB · made and checked in {:.1} s",
                lufs(r.report.input_lufs),
                lufs(c.figures.integrated_lufs),
                r.report.input_gain_db,
                ms / 1000.0
            );
            let files = vec![checked(name.clone(), "Release file".into(), &c, p)];
            let done = ExportState::Done {
                file_name: name.clone(),
                summary,
                report: Some(Box::new(r.report)),
                files,
                codec: Some(CodecCheck::running()),
            };
            if engine.offer(id, &file, done) {
                engine.show_codec_when_done(name, c).await;
            }
        });
    }

    /// A file of the bundle in progress is made: check it on the checker
    /// (after the files before it), while the engine worker makes the next.
    fn bundle_file(&self, id: u32, data: JsValue) {
        if !self.is_export(id) {
            return;
        }
        let get = |k: &str| Reflect::get(&data, &k.into()).unwrap_or(JsValue::UNDEFINED);
        let entry: FileView = match serde_wasm_bindgen::from_value(get("entry")) {
            Ok(e) => e,
            Err(e) => return self.export_failed(id, format!("A file of the bundle could not be read: {e}")),
        };
        let Ok(file) = wasm_bindgen::JsCast::dyn_into::<Blob>(get("file")) else {
            return self.export_failed(id, format!("{} came without its bytes.", entry.name));
        };
        let checker = match self.checker() {
            Ok(c) => c,
            Err(e) => return self.export_failed(id, e),
        };
        let Some((before, done)) = self.inner.borrow().export.as_ref().map(|r| (r.checks.last.clone(), r.checks.done.clone())) else {
            return;
        };
        let engine = self.clone();
        let check = future_to_promise(async move {
            if let Some(p) = before {
                let _ = JsFuture::from(p).await;
            }
            if engine.is_export(id) {
                let rate = entry.measured.format.sample_rate;
                let opus = (entry.role == "streaming").then_some(verify::CodecPlan::AfterTheChecks);
                let r = verify::check_file(&file, rate, opus, &checker, id).await;
                done.borrow_mut().push((entry, r));
            }
            Ok(JsValue::UNDEFINED)
        });
        if let Some(r) = self.inner.borrow_mut().export.as_mut() {
            r.checks.last = Some(check);
        }
    }

    /// The bundle is made: wait for its files' checks, then offer it.
    async fn bundled(&self, id: u32, data: JsValue) {
        if !self.is_export(id) {
            return;
        }
        let started = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now());
        let get = |k: &str| Reflect::get(&data, &k.into()).unwrap_or(JsValue::UNDEFINED);
        let Ok(zip) = wasm_bindgen::JsCast::dyn_into::<Blob>(get("file")) else {
            return self.export_failed(id, "The bundle came back without its file.".into());
        };
        let ms = get("ms").as_f64().unwrap_or(0.0);
        let done: BundleDone = match serde_wasm_bindgen::from_value(get("done")) {
            Ok(d) => d,
            Err(e) => return self.export_failed(id, format!("The bundle's report could not be read: {e}")),
        };
        let Some((last, results)) = self.inner.borrow_mut().export.as_mut().map(|r| {
            r.made = true;
            (r.checks.last.take(), r.checks.done.clone())
        }) else {
            return;
        };
        self.state.export.set(ExportState::Running { fraction: 0.9, phase: "checking the files".into() });
        if let Some(p) = last {
            let _ = JsFuture::from(p).await;
        }
        if !self.is_export(id) {
            return;
        }
        let mut checks = std::mem::take(&mut *results.borrow_mut());
        let mut files = Vec::new();
        let mut streaming_check = None;
        for f in &done.report.files {
            let Some(at) = checks.iter().position(|(e, _)| e.name == f.name) else {
                return self.export_failed(id, format!("{} was not checked.", f.name));
            };
            let (_, result) = checks.swap_remove(at);
            let c = match result {
                Ok(c) => c,
                Err(err) => return self.export_failed(id, format!("{} failed its check: {err}", f.name)),
            };
            let rate = f.measured.format.sample_rate;
            let p = problems(&c, rate, f.expected_frames, f.measured.integrated_lufs, Some(f.ceiling_dbtp));
            files.push(checked(f.name.clone(), f.description.clone(), &c, p));
            if f.role == "streaming" {
                streaming_check = Some(c);
            }
        }
        let waited_ms = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now()) - started;
        let name = self.inner.borrow().export.as_ref().map(|r| r.file_name.clone()).unwrap_or_default();
        let mut summary = format!(
            "{} files made in {:.1} s and checked as they were made (the last check ended {:.1} s after)",
            files.len(),
            ms / 1000.0,
            waited_ms / 1000.0
        );
        if !done.report.warnings.is_empty() {
            summary.push_str(&format!(" · {} warning(s) in the report", done.report.warnings.len()));
        }
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.mark("lacquer:bundle-ready");
        }
        let streaming_check = streaming_check.filter(|c| c.codec.is_some());
        let codec = streaming_check.as_ref().map(|_| CodecCheck::running());
        let state = ExportState::Done { file_name: name.clone(), summary, report: None, files, codec };
        if !self.offer(id, &zip, state) {
            return;
        }
        // The files are offered: the streaming master's codec check, held
        // until now so as not to share the cores with the checks, runs.
        if let Some(c) = streaming_check {
            if let Ok(checker) = self.checker() {
                verify::release_codec(&checker, id);
            }
            self.show_codec_when_done(name, c).await;
        }
    }
}

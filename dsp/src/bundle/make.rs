//! A whole bundle in one call, from a decoded source: what the CLI runs.
//!
//! For each master the plan needs (the chosen platform's, and the loud and
//! quiet variants' when asked for), a [`MasterJob`] with the artist's
//! settings and that target; each file is encoded from its master
//! ([`super::encode`]), which measures the samples it writes
//! ([`FileReport::from_figures`]), and added to a [`BundleBuilder`].
//! Natively the streaming file is made and measured while the CD file is,
//! and every job runs on two cores
//! ([`MasterJob::run`]); in wasm everything runs in turn (the browser's worker
//! drives the same steps itself, a piece at a time).

use super::plan::{Deliverable, Role};
use super::{encode, BundleBuilder, BundleMeta, BundleReport, FileReport, Origin};
use crate::job::{MasterJob, MasterReport};
use crate::loudness::meter::LoudnessReport;
use crate::settings::Settings;
use std::sync::Arc;

/// A decoded source.
pub struct Source {
    /// Planar audio, mono or stereo.
    pub channels: Arc<Vec<Vec<f32>>>,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// The source's loudness, if measured already (saves each job measuring it).
    pub report: Option<LoudnessReport>,
}

/// A finished bundle.
pub struct Made {
    /// The ZIP.
    pub zip: Vec<u8>,
    /// What it reports.
    pub report: BundleReport,
}

/// The settings of a master for `plan`'s platform: the artist's settings
/// with the limiter's ceiling at the platform's, and the chain's
/// output-stage dither off (the delivery stage dithers each file at its
/// own word length: [`crate::delivery::chain_settings`]).
pub fn master_settings(settings: &Settings, plan: &Deliverable) -> Settings {
    let mut s = crate::delivery::chain_settings(*settings);
    s.limiter.ceiling_dbtp = plan.ceiling_dbtp as f32;
    s
}

/// Runs one master to `plan`'s target.
fn master(source: &Source, meta: &BundleMeta, plan: &Deliverable) -> Result<(Vec<Vec<f32>>, Settings, MasterReport), String> {
    let settings = master_settings(&meta.settings, plan);
    let mut job = MasterJob::shared(source.channels.clone(), source.sample_rate, settings, plan.target())
        .map_err(|e| e.to_string())?;
    if let Some(r) = &source.report {
        job = job.with_input_report(r.clone());
    }
    let r = job.run();
    Ok((r.channels, r.settings, r.report))
}

/// Runs `a` and `b`, natively on two threads.
fn both<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    #[cfg(not(target_arch = "wasm32"))]
    return std::thread::scope(|sc| {
        let h = sc.spawn(a);
        let rb = b();
        (h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), rb)
    });
    #[cfg(target_arch = "wasm32")]
    (a(), b())
}

/// Encodes and measures one file.
fn file(
    plan: &Deliverable,
    master: &Arc<Vec<Vec<f32>>>,
    sample_rate: u32,
    settings: &Settings,
    meta: &BundleMeta,
) -> Result<(Vec<u8>, FileReport, Origin), String> {
    let tags = meta.tags_in_files.then_some(&meta.tags);
    // The dither of each file follows the artist's output settings (the
    // master's own have the chain's dither off).
    let e = encode::encode_shared(plan, master, sample_rate, &meta.settings, tags)?;
    let measured = FileReport::from_figures(&e.bytes, e.figures).map_err(|err| format!("{}: {err}", plan.name))?;
    Ok((e.bytes, measured, Origin { settings: Some(*settings), ceiling_gain_db: e.ceiling_gain_db }))
}

/// Makes the bundle: the streaming and CD masters, and the loud and quiet
/// variants if asked for.
pub fn make(source: &Source, meta: &BundleMeta, loud: bool, quiet: bool) -> Result<Made, String> {
    let builder = make_files(source, meta, loud, quiet)?;
    let report = builder.report();
    let zip = builder.finish()?;
    Ok(Made { zip, report })
}

/// Makes, measures and adds every file; the caller writes the ZIP
/// ([`BundleBuilder::finish`] or [`BundleBuilder::finish_to`]).
pub fn make_files(source: &Source, meta: &BundleMeta, loud: bool, quiet: bool) -> Result<BundleBuilder, String> {
    let ch = source.channels.len() as u16;
    let frames = source.channels.first().map_or(0, Vec::len) as u64;
    let sr = source.sample_rate;
    let files = meta.plan(ch, frames, sr, loud, quiet)?;
    let mut builder = BundleBuilder::new(meta.clone())?;
    let find = |role: Role| files.iter().find(|f| f.role == role);
    let streaming = find(Role::Streaming).ok_or("the plan has no streaming master")?;
    let cd = find(Role::Cd).ok_or("the plan has no CD master")?;
    let (channels, settings, report) = master(source, meta, streaming)?;
    let channels = Arc::new(channels);
    if let Some(w) = &report.warning {
        builder.warn(format!("{}: {w}", streaming.name));
    }
    let (s, c) = both(|| file(streaming, &channels, sr, &settings, meta), || file(cd, &channels, sr, &settings, meta));
    drop(channels);
    let (s, c) = (s?, c?);
    builder.add_file(streaming, s.0, s.1, s.2)?;
    builder.add_file(cd, c.0, c.1, c.2)?;
    for role in [Role::Loud, Role::Quiet] {
        let Some(plan) = find(role) else { continue };
        let (channels, settings, report) = master(source, meta, plan)?;
        let channels = Arc::new(channels);
        if let Some(w) = &report.warning {
            builder.warn(format!("{}: {w}", plan.name));
        }
        let (bytes, measured, origin) = file(plan, &channels, sr, &settings, meta)?;
        builder.add_file(plan, bytes, measured, origin)?;
    }
    Ok(builder)
}

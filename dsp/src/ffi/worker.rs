//! The Web Worker's session (`lqs_*`): one [`Host`] per worker, holding the
//! loaded file once, its analysis, and the export in progress.
//!
//! Bytes cross in two buffers. The worker writes file pieces and JSON into
//! the input buffer (`lqs_in_buf(host, len)` returns where), and reads what a
//! call produced (JSON, encoded file bytes, an error message) from the output
//! buffer (`lqs_out_ptr`, `lqs_out_len`). Calls that can fail return −1 and
//! leave the message, fit to show an artist, in the output buffer.
//!
//! - Load a WAV file in pieces: `lqs_open_wav(host, head_len, file_len)`,
//!   then while `lqs_wav_next_at(host, max)` ≥ 0, read
//!   `lqs_wav_next_len(host, max)` bytes from there into the input buffer and
//!   call `lqs_feed_wav(host, len)`.
//! - Or load audio the browser decoded: `lqs_begin(host, channels, frames,
//!   rate)`, write each channel at `lqs_channel_ptr(host, c)`, then
//!   `lqs_commit(host, frames)`.
//! - Playback reads the samples in place from `lqs_channel_ptr` (they never
//!   move or change once loaded).
//! - Analyse: `lqs_analyze(host, budget)` until it returns 1, then
//!   `lqs_summary(host, columns)` puts the summary JSON in the output buffer.
//! - Export: `lqs_export_start(host, settings_len, has_target, lufs,
//!   ceiling)` with the settings JSON in the input buffer, then
//!   `lqs_export_step(host, budget)` until it returns 1, taking the file's
//!   next bytes from the output buffer after every step; `lqs_export_finish`
//!   leaves the file's last bytes there, and `lqs_export_report` the
//!   report JSON. `lqs_export_cancel` drops the export; the file stays loaded.
//! - Preview the master: `lqs_preview_start(host, settings_len, has_target,
//!   lufs, ceiling)` starts the same job as `lqs_export_start` with the
//!   master analysed as it is made and no file written (a separate call, so
//!   that `lqs_export_start` keeps its arguments, and an export is not slowed
//!   by an analysis it does not need). It is stepped, finished, reported and
//!   cancelled with the `lqs_export_*` calls (a step leaves no bytes, the
//!   finish no tail); one job runs at a time, so starting either drops the
//!   other. Once it is finished, `lqs_master_summary(host, columns)` puts
//!   the master's summary JSON (the shape of `lqs_summary`'s) in the output
//!   buffer. The host keeps the last master's analysis until another
//!   preview finishes or another file is loaded.
//! - Waveform overview as soon as the file is loaded (its peaks are
//!   gathered while it loads): `lqs_overview(host, columns)` puts the JSON in
//!   the output buffer.
//! - Waveform at any zoom: `lqs_peaks(host, which, start_frame, end_frame,
//!   columns)`, `which` 0 for the loaded file (the mix) and 1 for the
//!   master, puts `columns` columns of min/max over frames
//!   `start_frame..end_frame` in the output buffer as raw little-endian
//!   f32, column-major then channel then `[min, max]` (full scale ±1.0;
//!   `columns × channels × 2` values, `lqs_out_len` = 4 × that), and
//!   returns the channel count, or −1 when that analysis does not exist.
//!   Copy the bytes out (`.slice()`) and view the copy as a `Float32Array`.
//!   A query reads only the peak pyramid: 2000 columns across an hour of
//!   48 kHz audio take about 0.04 ms natively.

use crate::analysis::Analysis;
use crate::job::{MasterReport, Progress};
use crate::loudness::target::Target;
use crate::session::export::Export;
use crate::session::{Session, WavOpen};
use crate::settings::Settings;
use serde::Serialize;

/// One worker's state.
#[derive(Default)]
pub struct Host {
    /// The loaded (or loading) file.
    pub(super) session: Option<Session>,
    /// The export in progress.
    export: Option<Export>,
    /// The last export step's progress.
    pub(super) progress: Option<Progress>,
    /// The finished export's report JSON, until taken.
    report_json: String,
    /// The last finished preview's analysis of the master.
    master: Option<Analysis>,
    /// Bytes the worker writes.
    pub(super) input: Vec<u8>,
    /// Bytes the worker reads.
    pub(super) out: Vec<u8>,
    /// The finished export's header patch (FLAC's `STREAMINFO`), until taken.
    header_patch: Option<Vec<u8>>,
    /// The bundle in progress.
    pub(super) bundle: Option<crate::session::bundle::BundleJob>,
    /// The finished bundle's ZIP, until dropped.
    pub(super) zip: Vec<u8>,
    /// The measurement of a decoded file in progress.
    pub(super) verify: Option<crate::session::verify::Verify>,
    /// Where the bundle's last handed-out file lies in memory: address and
    /// length (see `lqs_bundle_next_file`).
    pub(super) file_out: (usize, usize),
}

/// What an export reports back to the page.
#[derive(Serialize)]
struct ExportReport<'a> {
    /// The settings of the master.
    settings: &'a Settings,
    /// Its measurements and how every platform plays it.
    report: &'a MasterReport,
    /// The delivered file's format, rate, length and true peak (none for a preview).
    #[serde(skip_serializing_if = "Option::is_none")]
    delivered: Option<&'a crate::delivery::Measured>,
}

impl Host {
    /// Puts `msg` in the output buffer and returns −1.
    pub(super) fn fail(&mut self, msg: impl std::fmt::Display) -> i32 {
        self.out.clear();
        self.out.extend_from_slice(msg.to_string().as_bytes());
        -1
    }

    fn session(&mut self) -> Result<&mut Session, String> {
        self.session.as_mut().ok_or_else(|| "no file is loaded".to_string())
    }
}

/// Creates a worker host.
#[no_mangle]
pub extern "C" fn lqs_create() -> *mut Host {
    Box::into_raw(Box::default())
}

/// Returns the input buffer, `len` bytes long (allocates only to grow it).
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_in_buf(h: *mut Host, len: u32) -> *mut u8 {
    let h = &mut *h;
    h.input.resize(len as usize, 0);
    h.input.as_mut_ptr()
}

/// The output buffer.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_out_ptr(h: *mut Host) -> *const u8 {
    (*h).out.as_ptr()
}

/// Bytes in the output buffer.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_out_len(h: *mut Host) -> u32 {
    (*h).out.len() as u32
}

/// Opens a WAV file of `file_len` bytes whose first `head_len` bytes are in
/// the input buffer, dropping any file loaded before. Returns 0 when its
/// samples can be read in pieces, 1 when the browser must decode it, 2 when
/// the header needs more of the file's first bytes, −1 on error.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_open_wav(h: *mut Host, head_len: u32, file_len: f64) -> i32 {
    let h = &mut *h;
    h.export = None;
    h.bundle = None;
    h.session = None;
    h.master = None;
    let head = h.input[..(head_len as usize).min(h.input.len())].to_vec();
    match Session::open_wav(head, file_len as u64) {
        Ok(WavOpen::Ready(s)) => {
            h.session = Some(*s);
            0
        }
        Ok(WavOpen::NotStreamable) => 1,
        Ok(WavOpen::NeedHeader) => 2,
        Err(e) => h.fail(e),
    }
}

/// Offset of the next stretch of the WAV file to read, bytes; −1 when all is read.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_wav_next_at(h: *mut Host, max_bytes: u32) -> f64 {
    (*h).session.as_ref().and_then(|s| s.wav_next(max_bytes as usize)).map_or(-1.0, |(at, _)| at as f64)
}

/// Length of the next stretch of the WAV file to read, bytes (0 when all is read).
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_wav_next_len(h: *mut Host, max_bytes: u32) -> u32 {
    (*h).session.as_ref().and_then(|s| s.wav_next(max_bytes as usize)).map_or(0, |(_, n)| n as u32)
}

/// Decodes the first `len` bytes of the input buffer: the stretch
/// `lqs_wav_next_*` asked for. Returns 0, or −1 on error.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_feed_wav(h: *mut Host, len: u32) -> i32 {
    let h = &mut *h;
    let Host { session, input, .. } = h;
    let r = match session.as_mut() {
        Some(s) => s.feed_wav(&input[..(len as usize).min(input.len())]).map_err(|e| e.to_string()),
        None => Err("no file is loaded".into()),
    };
    r.map_or_else(|e| h.fail(e), |()| 0)
}

/// Allocates storage for audio the browser decoded, dropping any file loaded
/// before. Returns 0, or −1 on error (unsupported channels or rate).
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_begin(h: *mut Host, channels: u32, frames: f64, sample_rate: f64) -> i32 {
    let h = &mut *h;
    h.export = None;
    h.bundle = None;
    h.session = None;
    h.master = None;
    match Session::begin(channels as usize, frames as usize, sample_rate as u32) {
        Ok(s) => {
            h.session = Some(s);
            0
        }
        Err(e) => h.fail(e),
    }
}

/// Channel `c`'s samples (`lqs_frames` f32), or null without a file. While
/// loading, the browser's decoded audio is written here; afterwards the
/// samples are read here for playback and never move.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_channel_ptr(h: *mut Host, c: u32) -> *mut f32 {
    let h = &mut *h;
    let Some(s) = h.session.as_mut() else { return core::ptr::null_mut() };
    let c = c as usize;
    if c >= s.channels() {
        return core::ptr::null_mut();
    }
    match s.channel_mut(c) {
        Some(ch) => ch.as_mut_ptr(),
        // Shared with an export: the same, unchanging samples.
        None => s.input()[c].as_ptr() as *mut f32,
    }
}

/// Marks the first `frames` frames as written.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_commit(h: *mut Host, frames: f64) {
    if let Some(s) = (*h).session.as_mut() {
        s.commit(frames as usize);
    }
}

/// Frames per channel of the file (0 without one).
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_frames(h: *mut Host) -> f64 {
    (*h).session.as_ref().map_or(0.0, |s| s.frames() as f64)
}

/// Channels of the file (0 without one).
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_channels(h: *mut Host) -> u32 {
    (*h).session.as_ref().map_or(0, |s| s.channels() as u32)
}

/// Sample rate of the file, Hz (0 without one).
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_rate(h: *mut Host) -> u32 {
    (*h).session.as_ref().map_or(0, |s| s.sample_rate())
}

/// Fraction of the file in storage, 0..1.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_load_fraction(h: *mut Host) -> f64 {
    (*h).session.as_ref().map_or(0.0, Session::load_fraction)
}

/// Analyses up to `budget` more frames. Returns 1 when finished, 0 when not,
/// −1 on error.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_analyze(h: *mut Host, budget: u32) -> i32 {
    let h = &mut *h;
    let r = h.session().and_then(|s| s.analyze(budget as usize).map_err(|e| e.to_string()));
    match r {
        Ok(done) => done as i32,
        Err(e) => h.fail(e),
    }
}

/// Fraction of the file analysed, 0..1.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_analyze_fraction(h: *mut Host) -> f64 {
    (*h).session.as_ref().map_or(0.0, Session::analyze_fraction)
}

/// Puts the analysis summary JSON in the output buffer, with a waveform
/// overview of `columns` columns. Returns 0, or −1 if not analysed.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_summary(h: *mut Host, columns: u32) -> i32 {
    let h = &mut *h;
    let json = match h.session.as_ref().and_then(Session::analysis) {
        Some(a) => a.summary_json(columns as usize),
        None => return h.fail("the file is not analysed yet"),
    };
    h.out.clear();
    h.out.extend_from_slice(json.as_bytes());
    0
}

/// Puts the loaded file's waveform overview JSON (`columns` columns across
/// it; the shape of the summary's `overview`) in the output buffer, as soon
/// as the file is loaded. Returns 0, or −1 before that.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_overview(h: *mut Host, columns: u32) -> i32 {
    let h = &mut *h;
    let json = match h.session.as_ref().and_then(Session::peaks) {
        Some(p) => crate::analysis::overview_json(p, columns as usize),
        None => return h.fail("the file is not loaded yet"),
    };
    h.out.clear();
    h.out.extend_from_slice(json.as_bytes());
    0
}

/// Starts an export: master-to-target, delivered as a release file.
///
/// ABI:
/// - the input buffer holds the settings JSON in its first `settings_len`
///   bytes (partial JSON is fine: defaults fill the rest; empty means all
///   defaults), then the tags JSON in the next `tags_len` bytes:
///   `{"title", "artist", "album", "year", "isrc"}`, every field optional,
///   the ISRC as CC-XXX-YY-NNNNN with or without hyphens (`tags_len` 0, or
///   every field empty: no tags written);
/// - `has_target` (0 or 1), `lufs`, `ceiling_dbtp`: the loudness target;
/// - `format`: 0 wav24, 1 wav16, 2 wav32f, 3 flac16, 4 flac24;
/// - `rate`: 0 the source's rate, or 44100 or 48000 (an explicit rate
///   converts, up or down).
///
/// A caller passing only the first five arguments (the rest read as 0) gets
/// a 24-bit WAV at the source rate without tags. Returns 0, or −1 with the
/// message in the output buffer (a bad ISRC, format or rate included).
///
/// Then `lqs_export_step` until it returns 1, appending the output buffer's
/// bytes to the file after every step, and `lqs_export_finish`, whose tail
/// bytes end the file. A FLAC file's first 42 bytes (its `STREAMINFO`) are
/// final only then: the worker must write the export's header patch
/// ([`crate::session::export::Exported::header_patch`]) over the file's
/// start, at offset 0 (until it does, the file carries a valid provisional
/// `STREAMINFO` without frame sizes or MD5). A WAV file has no patch.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn lqs_export_start(
    h: *mut Host,
    settings_len: u32,
    has_target: u32,
    lufs: f64,
    ceiling_dbtp: f64,
    format: u32,
    rate: u32,
    tags_len: u32,
) -> i32 {
    use crate::delivery::{DeliverySpec, Format, Rate, Tags};
    let h = &mut *h;
    h.export = None;
    h.bundle = None;
    h.progress = None;
    let split = (settings_len as usize).min(h.input.len());
    let end = split.saturating_add(tags_len as usize).min(h.input.len());
    let json = core::str::from_utf8(&h.input[..split]).unwrap_or("");
    let settings = match Settings::from_json(if json.is_empty() { "{}" } else { json }) {
        Ok(s) => s,
        Err(e) => return h.fail(format!("the settings are not valid: {e}")),
    };
    let tags_json = core::str::from_utf8(&h.input[split..end]).unwrap_or("");
    let tags: Tags = if tags_json.trim().is_empty() {
        Tags::default()
    } else {
        match serde_json::from_str(tags_json) {
            Ok(t) => t,
            Err(e) => return h.fail(format!("the tags are not valid: {e}")),
        }
    };
    let Some(format) = Format::from_code(format) else {
        return h.fail(format!("unknown file format {format}"));
    };
    let rate = match Rate::from_code(rate) {
        Ok(r) => r,
        Err(e) => return h.fail(e),
    };
    let target = (has_target != 0).then_some(Target { lufs, ceiling_dbtp });
    let Some(s) = h.session.as_ref() else { return h.fail("no file is loaded") };
    match Export::start(s, settings, target, DeliverySpec { format, rate, tags }) {
        Ok(e) => {
            h.export = Some(e);
            0
        }
        Err(e) => h.fail(e),
    }
}

/// Starts a preview of the master: [`lqs_export_start`]'s job with the
/// master analysed and no file written (step and finish it with the
/// `lqs_export_*` calls; then [`lqs_master_summary`]). Returns 0, or −1 on
/// error.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_preview_start(h: *mut Host, settings_len: u32, has_target: u32, lufs: f64, ceiling_dbtp: f64) -> i32 {
    start_job(&mut *h, settings_len, has_target, lufs, ceiling_dbtp, Export::start_analysis_only)
}

/// Starts an export or a preview (`start`) with the settings JSON in the
/// input buffer, dropping the one in progress.
fn start_job(
    h: &mut Host,
    settings_len: u32,
    has_target: u32,
    lufs: f64,
    ceiling_dbtp: f64,
    start: fn(&Session, Settings, Option<Target>) -> Result<Export, crate::error::DspError>,
) -> i32 {
    h.export = None;
    h.bundle = None;
    h.progress = None;
    let json = core::str::from_utf8(&h.input[..(settings_len as usize).min(h.input.len())]).unwrap_or("");
    let settings = match Settings::from_json(if json.is_empty() { "{}" } else { json }) {
        Ok(s) => s,
        Err(e) => return h.fail(format!("the settings are not valid: {e}")),
    };
    let target = (has_target != 0).then_some(Target { lufs, ceiling_dbtp });
    let Some(s) = h.session.as_ref() else { return h.fail("no file is loaded") };
    match start(s, settings, target) {
        Ok(e) => {
            h.export = Some(e);
            0
        }
        Err(e) => h.fail(e),
    }
}

/// Does up to about `budget` frames of export work and puts the file's bytes
/// finished since the last step in the output buffer. Returns 1 when the
/// master is finished, 0 when not, −1 without an export.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_export_step(h: *mut Host, budget: u32) -> i32 {
    let h = &mut *h;
    let Some(e) = h.export.as_mut() else { return h.fail("no export is running") };
    let p = e.step(budget as usize);
    e.drain_into(&mut h.out);
    h.progress = Some(p);
    p.done as i32
}

/// The export's progress, 0..1.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_export_fraction(h: *mut Host) -> f64 {
    (*h).progress.map_or(0.0, |p| p.fraction)
}

/// What the export is doing, as UTF-8 text; its length is `lqs_export_phase_len`.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_export_phase(h: *mut Host) -> *const u8 {
    (*h).progress.map_or("starting", |p| p.phase).as_ptr()
}

/// Length of `lqs_export_phase`'s text, bytes.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_export_phase_len(h: *mut Host) -> u32 {
    (*h).progress.map_or("starting", |p| p.phase).len() as u32
}

/// Ends a finished export: the file's last bytes go in the output buffer,
/// and the report waits for `lqs_export_report`. Returns 0, or −1 on error.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_export_finish(h: *mut Host) -> i32 {
    let h = &mut *h;
    let Some(e) = h.export.take() else { return h.fail("no export is running") };
    match e.finish() {
        Ok(done) => {
            h.report_json = serde_json::to_string(&ExportReport {
                settings: &done.settings,
                report: &done.report,
                delivered: done.delivered.as_ref(),
            })
            .unwrap_or_else(|_| "{}".into());
            h.out = done.tail;
            h.header_patch = done.header_patch;
            if done.analysis.is_some() {
                h.master = done.analysis;
            }
            0
        }
        Err(e) => h.fail(e),
    }
}

/// Puts the finished export's header patch in the output buffer (FLAC's
/// finished `STREAMINFO`, to be written over the file's first bytes, at
/// offset 0) and returns its length: 0 when the file needs none (WAV).
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_export_patch(h: *mut Host) -> u32 {
    let h = &mut *h;
    h.out = h.header_patch.take().unwrap_or_default();
    h.out.len() as u32
}

/// Puts the finished export's report JSON (`{settings, report, delivered}`) in the output buffer.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_export_report(h: *mut Host) {
    let h = &mut *h;
    h.out = std::mem::take(&mut h.report_json).into_bytes();
}

/// Drops the export in progress; the file stays loaded and analysed.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_export_cancel(h: *mut Host) {
    (*h).export = None;
    (*h).header_patch = None;
    (*h).progress = None;
}

/// Puts the summary JSON of the last previewed master in the output buffer
/// (as [`lqs_summary`] does for the loaded file), with a waveform overview
/// of `columns` columns. Returns 0, or −1 without one.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_master_summary(h: *mut Host, columns: u32) -> i32 {
    let h = &mut *h;
    let json = match h.master.as_ref() {
        Some(a) => a.summary_json(columns as usize),
        None => return h.fail("the master has not been previewed yet"),
    };
    h.out.clear();
    h.out.extend_from_slice(json.as_bytes());
    0
}

/// Puts the waveform of frames `start_frame..end_frame` in `columns`
/// columns in the output buffer: [`crate::analysis::PeakPyramid::columns`]
/// as raw little-endian f32, `[column][channel][min, max]` (see the module
/// docs). `which` is 0 for the loaded file, 1 for the last previewed master.
/// Returns the channel count, or −1 when that analysis does not exist.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_peaks(h: *mut Host, which: u32, start_frame: f64, end_frame: f64, columns: u32) -> i32 {
    let h = &mut *h;
    let pyramid = match which {
        0 => h.session.as_ref().and_then(Session::peaks),
        1 => h.master.as_ref().map(|a| &a.peaks),
        _ => None,
    };
    let Some(p) = pyramid else {
        return h.fail(if which == 0 { "the file is not loaded yet" } else { "the master has not been previewed yet" });
    };
    // `as` saturates: NaN and negative frames read 0.
    let (start, end) = (start_frame as usize, end_frame as usize);
    let values = p.columns(start, end, columns as usize);
    h.out.clear();
    h.out.reserve(values.len() * 4);
    for v in values {
        h.out.extend_from_slice(&v.to_le_bytes());
    }
    p.channels() as i32
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;

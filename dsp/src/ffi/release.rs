//! The worker's release calls (`lqs_bundle_*`, `lqs_zip_*`, `lqs_verify_*`),
//! on the same [`Host`] as [`super::worker`]'s.
//!
//! - Bundle: `lqs_bundle_start(host, meta_len, loud, quiet)` with the
//!   bundle's JSON in the input buffer ([`crate::bundle::BundleMeta`]:
//!   `{settings, platform, tags, tags_in_files, source_name}`), then
//!   `lqs_bundle_step(host, budget)` until it returns 1 (progress in
//!   `lqs_export_fraction` and `lqs_export_phase`; after each step,
//!   `lqs_bundle_next_file` hands out each file as soon as it is finished,
//!   to be checked while the next is made), then
//!   `lqs_bundle_finish(host)`: the output buffer holds
//!   `{report, entries: [{name, offset, len}], zip_len}` and the ZIP waits
//!   at `lqs_zip_ptr(host)` (`lqs_zip_len` bytes) until `lqs_zip_drop`.
//!   `lqs_bundle_cancel` drops the bundle in progress. One job runs at a
//!   time: starting a bundle drops an export or preview, and the reverse.
//! - Verify a decoded file: `lqs_verify_begin(host, channels, frames,
//!   rate)`, then for each piece of frames, in order, write it at
//!   `lqs_verify_piece(host, n)` (planar: channel `c` at `c × n`) and call
//!   `lqs_verify_add(host, n)` (`lqs_verify_fraction` on the way);
//!   `lqs_verify_report` puts the figures' JSON
//!   ([`crate::session::verify::Verified`]) in the output buffer. It runs
//!   beside any other job, and holds one piece at a time.

use super::worker::Host;
use crate::bundle::BundleMeta;
use crate::session::bundle::{BundleJob, ZipEntry};
use crate::session::verify::Verify;
use serde::Serialize;

/// What a finished bundle reports back to the page.
#[derive(Serialize)]
struct BundleDone<'a> {
    /// `report.json`'s content.
    report: &'a crate::bundle::BundleReport,
    /// Where each entry lies in the ZIP.
    entries: &'a [ZipEntry],
    /// Length of the ZIP, bytes.
    zip_len: usize,
}

/// Starts a release bundle of the loaded file: the bundle's JSON in the
/// first `meta_len` bytes of the input buffer; `loud` and `quiet` (0 or 1)
/// add the variants. Returns 0, or −1 with the message (a bad ISRC, an
/// unknown platform, no analysed file).
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_bundle_start(h: *mut Host, meta_len: u32, loud: u32, quiet: u32) -> i32 {
    let h = &mut *h;
    h.bundle = None;
    lqs_zip_drop(h);
    crate::ffi::worker::lqs_export_cancel(h);
    h.progress = None;
    let json = core::str::from_utf8(&h.input[..(meta_len as usize).min(h.input.len())]).unwrap_or("");
    let meta: BundleMeta = match serde_json::from_str(json) {
        Ok(m) => m,
        Err(e) => return h.fail(format!("the bundle's choices are not valid: {e}")),
    };
    if let Err(e) = meta.settings.validate() {
        return h.fail(format!("the settings are not valid: {e}"));
    }
    let Some(s) = h.session.as_ref() else { return h.fail("no file is loaded") };
    match BundleJob::start(s, meta, loud != 0, quiet != 0) {
        Ok(b) => {
            h.bundle = Some(b);
            0
        }
        Err(e) => h.fail(e),
    }
}

/// Does up to about `budget` frames of the bundle's work. Returns 1 when
/// the ZIP is written, 0 when not, −1 without a bundle.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_bundle_step(h: *mut Host, budget: u32) -> i32 {
    let h = &mut *h;
    let Some(b) = h.bundle.as_mut() else { return h.fail("no bundle is being made") };
    let p = b.step(budget as usize);
    h.progress = Some(p);
    p.done as i32
}

/// The next file of the bundle finished since the last call: returns 1 with
/// its report entry's JSON ([`crate::bundle::FileEntry`]) in the output
/// buffer and its bytes at `lqs_bundle_file_ptr` (`lqs_bundle_file_len`
/// bytes, valid until the next call into the host), or 0 when there is none.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_bundle_next_file(h: *mut Host) -> i32 {
    let h = &mut *h;
    let Some(b) = h.bundle.as_mut() else { return 0 };
    let Some((entry, bytes)) = b.next_file() else { return 0 };
    let json = serde_json::to_string(entry).unwrap_or_else(|_| "{}".into());
    h.file_out = (bytes.as_ptr() as usize, bytes.len());
    h.out.clear();
    h.out.extend_from_slice(json.as_bytes());
    1
}

/// Where the file `lqs_bundle_next_file` handed out starts.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_bundle_file_ptr(h: *mut Host) -> *const u8 {
    (*h).file_out.0 as *const u8
}

/// Length of the file `lqs_bundle_next_file` handed out, bytes.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_bundle_file_len(h: *mut Host) -> f64 {
    (*h).file_out.1 as f64
}

/// Ends a finished bundle: its report, entries and length as JSON in the
/// output buffer, the ZIP at `lqs_zip_ptr`. Returns 0, or −1 on error.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_bundle_finish(h: *mut Host) -> i32 {
    let h = &mut *h;
    let Some(b) = h.bundle.take() else { return h.fail("no bundle is being made") };
    match b.finish() {
        Ok(done) => {
            let json = serde_json::to_string(&BundleDone { report: &done.report, entries: &done.entries, zip_len: done.zip.len() })
                .unwrap_or_else(|_| "{}".into());
            h.zip = done.zip;
            h.out.clear();
            h.out.extend_from_slice(json.as_bytes());
            0
        }
        Err(e) => h.fail(e),
    }
}

/// Drops the bundle in progress.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_bundle_cancel(h: *mut Host) {
    (*h).bundle = None;
    (*h).progress = None;
}

/// The finished bundle's ZIP.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_zip_ptr(h: *mut Host) -> *const u8 {
    (*h).zip.as_ptr()
}

/// Length of the finished bundle's ZIP, bytes.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_zip_len(h: *mut Host) -> f64 {
    (*h).zip.len() as f64
}

/// Frees the finished bundle's ZIP (once it is copied out).
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_zip_drop(h: *mut Host) {
    (*h).zip = Vec::new();
}

/// Starts measuring a decoded file of `channels` × `frames` at `rate` Hz.
/// Returns 0, or −1 on error.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_verify_begin(h: *mut Host, channels: u32, frames: f64, rate: f64) -> i32 {
    let h = &mut *h;
    h.verify = None;
    match Verify::new(channels as usize, frames as usize, rate as u32) {
        Ok(v) => {
            h.verify = Some(v);
            0
        }
        Err(e) => h.fail(e),
    }
}

/// Room for the next `n` frames of the file being measured, planar
/// (channel `c` at `c × n` floats); null without one.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_verify_piece(h: *mut Host, n: u32) -> *mut f32 {
    (*h).verify.as_mut().map_or(core::ptr::null_mut(), |v| v.piece_mut(n as usize).as_mut_ptr())
}

/// Measures the `n` frames written at `lqs_verify_piece`. Returns 0, or −1
/// (without a file, or past its announced length).
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_verify_add(h: *mut Host, n: u32) -> i32 {
    let h = &mut *h;
    let Some(v) = h.verify.as_mut() else { return h.fail("no file is being measured") };
    match v.add(n as usize) {
        Ok(()) => 0,
        Err(e) => h.fail(e),
    }
}

/// Fraction of the decoded file measured, 0..1.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_verify_fraction(h: *mut Host) -> f64 {
    (*h).verify.as_ref().map_or(0.0, Verify::fraction)
}

/// Puts the decoded file's figures JSON in the output buffer and ends the
/// measurement. Returns 0, or −1 without one.
///
/// # Safety
/// `h` must come from `lqs_create`.
#[no_mangle]
pub unsafe extern "C" fn lqs_verify_report(h: *mut Host) -> i32 {
    let h = &mut *h;
    let Some(v) = h.verify.take() else { return h.fail("no file is being measured") };
    let json = serde_json::to_string(&v.report()).unwrap_or_else(|_| "{}".into());
    h.out.clear();
    h.out.extend_from_slice(json.as_bytes());
    0
}

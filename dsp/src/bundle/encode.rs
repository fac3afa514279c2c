//! Encoding a bundle's files from a master (planar f32 at the source rate,
//! rendered with the chain's output-stage dither off:
//! [`crate::delivery::chain_settings`]), through [`crate::delivery`]: the
//! rate conversion, the dither at the file's word length, the true-peak
//! check of the finished samples, the tags and the WAV encoder. The CLI and
//! the browser's worker make the same bytes from the same master. The
//! delivery measures the samples it writes ([`Delivery::measure_loudness`]),
//! so a file's report needs no second decoding ([`super::FileReport::from_figures`]).

use super::plan::Deliverable;
use crate::delivery::{self, Delivery, DeliverySpec, Format, Rate, Tags};
use crate::loudness::file_meter::FileFigures;
use crate::render::{in_step, PIECE};
use crate::settings::Settings;
use std::sync::Arc;

/// A file's bytes, and the gain the delivery stage applied to hold its
/// ceiling after conversion and dither (0 dB when none was needed).
pub struct Encoded {
    /// The whole file.
    pub bytes: Vec<u8>,
    /// Gain applied to hold the ceiling, dB.
    pub ceiling_gain_db: f64,
    /// What the file's samples measure.
    pub figures: FileFigures,
}

/// The delivery format of a planned file.
pub fn format_of(plan: &Deliverable) -> Result<Format, String> {
    match (plan.format_code, plan.bits) {
        (1, 16) => Ok(Format::Wav16),
        (1, 24) => Ok(Format::Wav24),
        (3, 32) => Ok(Format::Wav32f),
        (c, b) => Err(format!("{}: no WAV format with code {c} and {b} bits", plan.name)),
    }
}

/// Starts the delivery of the file `plan` describes from a master of
/// `channels` × `frames` at `sample_rate` Hz: its format, rate, ceiling and
/// dither (`settings` are the artist's, as chosen: their output stage says
/// whether a 24-bit file is dithered, with which noise shaping and seed;
/// 16-bit files always are; the master itself is rendered with the chain's
/// dither off), and `tags` when given. A host that renders the master a
/// piece at a time pushes the pieces into it ([`Delivery::push`]); the
/// converted signal is kept when it takes at most `keep_limit_bytes`.
pub fn start(
    plan: &Deliverable,
    channels: usize,
    frames: usize,
    sample_rate: u32,
    settings: &Settings,
    tags: Option<&Tags>,
    keep_limit_bytes: usize,
) -> Result<Delivery, String> {
    let format = format_of(plan)?;
    let rate = if plan.sample_rate == sample_rate { Rate::Source } else { Rate::Hz(plan.sample_rate) };
    let spec = DeliverySpec { format, rate, tags: tags.cloned().unwrap_or_default() };
    let mut d = Delivery::new(
        spec,
        channels,
        frames,
        sample_rate,
        Some(plan.ceiling_dbtp),
        delivery::dither_for(format, &settings.output),
        keep_limit_bytes,
    )
    .map_err(|e| format!("{}: {e}", plan.name))?;
    d.measure_loudness().map_err(|e| format!("{}: {e}", plan.name))?;
    d.encode_while_measuring();
    Ok(d)
}

/// Encodes the whole master as the file `plan` describes (see [`start`]).
pub fn encode(
    plan: &Deliverable,
    master: &[Vec<f32>],
    sample_rate: u32,
    settings: &Settings,
    tags: Option<&Tags>,
) -> Result<Encoded, String> {
    let frames = master.first().map_or(0, Vec::len);
    let d = start(plan, master.len(), frames, sample_rate, settings, tags, usize::MAX)?;
    run(plan, d, master)
}

/// [`encode`] of a master the caller shares: a file at the master's rate
/// reads it where it is ([`Delivery::take_whole`]) instead of keeping a copy.
pub fn encode_shared(
    plan: &Deliverable,
    master: &Arc<Vec<Vec<f32>>>,
    sample_rate: u32,
    settings: &Settings,
    tags: Option<&Tags>,
) -> Result<Encoded, String> {
    let frames = master.first().map_or(0, Vec::len);
    let mut d = start(plan, master.len(), frames, sample_rate, settings, tags, usize::MAX)?;
    if d.take_whole(master).map_err(|e| format!("{}: {e}", plan.name))? {
        return run(plan, d, &[]);
    }
    run(plan, d, master)
}

/// Pushes `master` into `d` (nothing when it took the master whole), then
/// measures, encodes and finishes the file.
fn run(plan: &Deliverable, mut d: Delivery, master: &[Vec<f32>]) -> Result<Encoded, String> {
    let err = |e: crate::DspError| format!("{}: {e}", plan.name);
    let size = d.out_frames() * d.channels() * (plan.bits as usize / 8) + 4096;
    let mut bytes = Vec::with_capacity(size);
    loop {
        for piece in in_step(master.iter().map(|c| c.chunks(PIECE)).collect()).take_while(|_| !master.is_empty()) {
            d.push(&piece).map_err(err)?;
            bytes.append(&mut d.take_bytes());
        }
        while !d.step(usize::MAX).map_err(err)? {
            bytes.append(&mut d.take_bytes());
            if d.wants_input_again() {
                break;
            }
        }
        bytes.append(&mut d.take_bytes());
        if !d.wants_input_again() {
            break;
        }
    }
    let done = d.finish().map_err(err)?;
    bytes.extend_from_slice(&done.tail);
    if let Some(patch) = done.header_patch {
        bytes[..patch.len()].copy_from_slice(&patch);
    }
    let figures = done.figures.ok_or_else(|| format!("{}: the file was not measured", plan.name))?;
    Ok(Encoded { bytes, ceiling_gain_db: done.measured.gain_db, figures })
}

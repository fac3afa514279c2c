//! Loudness metering after ITU-R BS.1770 / EBU R128 (via the `ebur128` crate),
//! master-to-target, and the streaming-platform normalization table.

pub mod target;

use ebur128::{EbuR128, Mode};

/// Integrated loudness of planar audio, LUFS; `None` when the programme is
/// entirely below the absolute gate (silence).
pub fn integrated_lufs(channels: &[Vec<f32>], sample_rate: u32) -> Option<f64> {
    let mut m = EbuR128::new(channels.len() as u32, sample_rate, Mode::I).ok()?;
    let refs: Vec<&[f32]> = channels.iter().map(|c| c.as_slice()).collect();
    m.add_frames_planar_f32(&refs).ok()?;
    let l = m.loudness_global().ok()?;
    l.is_finite().then_some(l)
}

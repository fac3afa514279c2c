//! Preset files: settings JSON that an artist saves and loads. A preset is
//! small (at most [`PRESET_MAX_BYTES`]); it may name only some fields (the
//! rest take their defaults), and is checked like any settings: invalid
//! JSON, unknown fields, wrong types and out-of-range values are refused
//! with a message that names the field.

use super::Settings;
use serde_json::Value;

/// Largest preset file accepted, bytes (64 KiB).
pub const PRESET_MAX_BYTES: usize = 64 * 1024;

/// A file size for a message: "812 bytes", "48 KB", "10 MB" (1 KB = 1024 bytes).
fn size_text(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    let (v, unit) = if b >= KB * KB * KB {
        (b / (KB * KB * KB), "GB")
    } else if b >= KB * KB {
        (b / (KB * KB), "MB")
    } else if b >= KB {
        (b / KB, "KB")
    } else {
        return format!("{bytes} bytes");
    };
    if v < 10.0 {
        format!("{} {unit}", super::validate::fmt_num((v * 10.0).round() / 10.0))
    } else {
        format!("{} {unit}", v.round() as u64)
    }
}

/// The message refusing a preset file of `bytes` bytes, or `None` if its
/// size is acceptable. A host can check a file's size before reading it.
pub fn preset_size_error(bytes: u64) -> Option<String> {
    (bytes > PRESET_MAX_BYTES as u64)
        .then(|| format!("The preset file is {}; a preset is at most 64 KB", size_text(bytes)))
}

impl Settings {
    /// Reads a preset file's text: refuses a file over [`PRESET_MAX_BYTES`],
    /// invalid JSON, unknown fields, wrong types and out-of-range values,
    /// each with a message for the artist; missing fields default.
    pub fn from_preset_json(text: &str) -> Result<Settings, String> {
        if let Some(e) = preset_size_error(text.len() as u64) {
            return Err(e);
        }
        let mut tree: Value = serde_json::from_str(text).map_err(|e| {
            format!("The preset file is not valid JSON (line {}, column {})", e.line(), e.column())
        })?;
        Self::from_tree(&mut tree).map_err(|e| format!("The preset file cannot be used: {e}"))
    }
}

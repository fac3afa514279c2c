//! Master-to-target: the gain into the chain at which the whole chain's output
//! reaches an integrated loudness while staying under a true-peak ceiling.

use serde::{Deserialize, Serialize};

/// A loudness target.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Integrated loudness, LUFS.
    pub lufs: f64,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: f64,
}

impl Default for Target {
    /// Spotify Normal: −14 LUFS, −1 dBTP.
    fn default() -> Self {
        Self { lufs: -14.0, ceiling_dbtp: -1.0 }
    }
}

//! What the master aims at: a row of the platform table, or a custom
//! loudness. The true-peak ceiling is the limiter's (`Settings.limiter`):
//! picking a platform sets it to the platform's recommendation, and the
//! artist may lower it further.

use lacquer_dsp::loudness::platforms::{self, Platform, PLATFORMS};
use lacquer_dsp::loudness::target::Target;
use serde::{Deserialize, Serialize};

/// The target the artist picked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetChoice {
    /// A row of the platform table, by id.
    Platform { id: String },
    /// A loudness of the artist's choosing, LUFS.
    Custom { lufs: f64 },
}

impl Default for TargetChoice {
    /// The platform table's first row (Spotify Normal).
    fn default() -> Self {
        Self::Platform { id: PLATFORMS[0].id.to_string() }
    }
}

/// Lowest custom target, LUFS (as [`Target::validate`] accepts).
pub const CUSTOM_MIN_LUFS: f64 = -60.0;
/// Highest custom target, LUFS.
pub const CUSTOM_MAX_LUFS: f64 = 0.0;

impl TargetChoice {
    /// The platform row, for a platform choice that exists.
    pub fn platform(&self) -> Option<&'static Platform> {
        match self {
            Self::Platform { id } => platforms::find(id),
            Self::Custom { .. } => None,
        }
    }

    /// The loudness to master to, LUFS; `None` for a platform without
    /// normalization (CD), which masters without a loudness target.
    pub fn lufs(&self) -> Option<f64> {
        match self {
            Self::Platform { .. } => self.platform().and_then(|p| p.target_lufs),
            Self::Custom { lufs } => Some(*lufs),
        }
    }

    /// The target for master-to-target, with the limiter's ceiling.
    pub fn target(&self, ceiling_dbtp: f32) -> Option<Target> {
        self.lufs().map(|lufs| Target { lufs, ceiling_dbtp: ceiling_dbtp as f64 })
    }

    /// A short name: "Apple Music (Sound Check)", "−12.0 LUFS".
    pub fn name(&self) -> String {
        match self {
            Self::Platform { id } => self.platform().map_or_else(|| id.clone(), |p| p.name.to_string()),
            Self::Custom { lufs } => format!("{} LUFS", signed(*lufs, 1)),
        }
    }

    /// True when it names a platform that exists, or a custom loudness in range.
    pub fn is_valid(&self) -> bool {
        match self {
            Self::Platform { .. } => self.platform().is_some(),
            Self::Custom { lufs } => lufs.is_finite() && (CUSTOM_MIN_LUFS..=CUSTOM_MAX_LUFS).contains(lufs),
        }
    }
}

/// A number with a real minus sign: "−14.0", "+3.0", "0.0".
pub fn signed(v: f64, decimals: usize) -> String {
    let s = format!("{:+.*}", decimals, v);
    if s.trim_start_matches(['+', '-']).chars().all(|c| c == '0' || c == '.') {
        return s.trim_start_matches(['+', '-']).to_string();
    }
    s.replacen('-', "\u{2212}", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_give_targets() {
        let apple = TargetChoice::Platform { id: "apple".into() };
        assert_eq!(apple.target(-1.0), Some(Target { lufs: -16.0, ceiling_dbtp: -1.0 }));
        assert_eq!(TargetChoice::Platform { id: "cd".into() }.target(-0.1), None);
        assert!(!TargetChoice::Platform { id: "nope".into() }.is_valid());
        assert!(!TargetChoice::Custom { lufs: 3.0 }.is_valid());
        assert_eq!(signed(-14.0, 1), "\u{2212}14.0");
        assert_eq!(signed(-0.0, 1), "0.0");
    }
}

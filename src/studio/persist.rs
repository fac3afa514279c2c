//! The studio's choices survive a reload: they are kept in `localStorage`
//! under one key, as JSON, written on every change. A stored value that no
//! longer reads (a newer or damaged one) is left in place and the defaults
//! are used, with a message; nothing is thrown away silently.

use super::target::TargetChoice;
use lacquer_dsp::Settings;
use serde::{Deserialize, Serialize};

/// The `localStorage` key.
pub const KEY: &str = "lacquer.studio.v1";

/// What is kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Saved {
    /// The chain's settings, as in a preset file.
    pub settings: serde_json::Value,
    /// The target.
    pub target: TargetChoice,
    /// The simple mode's style (its id), `None` once the artist has edited
    /// the settings by hand.
    pub style: Option<String>,
    /// The simple mode's intensity, %.
    pub intensity_pct: f32,
    /// The advanced panel is open.
    pub advanced: bool,
    /// The A/B switch gains the mix to the master's loudness.
    pub matched: bool,
    /// The release choices (format, rate, tags, variants).
    #[serde(default)]
    pub release: super::release::ReleaseChoice,
}

impl Default for Saved {
    fn default() -> Self {
        Self {
            settings: serde_json::Value::Null,
            target: TargetChoice::default(),
            style: None,
            intensity_pct: 50.0,
            advanced: false,
            matched: true,
            release: Default::default(),
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Reads what was kept: `Ok(None)` when nothing was, `Err` with the reason
/// when something was and cannot be used.
pub fn load() -> Result<Option<(Saved, Settings)>, String> {
    let Some(text) = storage().and_then(|s| s.get_item(KEY).ok().flatten()) else { return Ok(None) };
    let saved: Saved = serde_json::from_str(&text).map_err(|e| format!("the saved studio could not be read ({e})"))?;
    let settings = if saved.settings.is_null() {
        Settings::default()
    } else {
        Settings::from_json(&saved.settings.to_string()).map_err(|e| format!("the saved settings were refused ({e})"))?
    };
    if !saved.target.is_valid() {
        return Err(format!("the saved target “{}” is unknown", saved.target.name()));
    }
    Ok(Some((saved, settings)))
}

/// Keeps `saved`; a full or unavailable storage is reported, once per call.
pub fn store(saved: &Saved) -> Result<(), String> {
    let Some(s) = storage() else { return Err("this browser keeps no local storage".into()) };
    let text = serde_json::to_string(saved).map_err(|e| e.to_string())?;
    s.set_item(KEY, &text).map_err(|_| "the browser refused to keep the studio's settings (storage full?)".to_string())
}

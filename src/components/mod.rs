//! UI components, one concern each. They read [`crate::state::AppState`] signals
//! and call [`crate::engine::Engine`] methods; none of them touch Web Audio.

pub mod analysis_card;
pub mod canvas;
pub mod compare_panel;
pub mod controls;
pub mod drop_zone;
pub mod error_banner;
pub mod export_panel;
pub mod release_form;
pub mod file_card;
pub mod loudness_view;
pub mod meters;
pub mod shortcuts;
pub mod spectrum_view;
pub mod target_panel;
pub mod tonal_balance;
pub mod transport;
pub mod waveform;

/// `m:ss.t` for a time in seconds.
pub fn fmt_time(t_s: f64) -> String {
    let t = t_s.max(0.0);
    let m = (t / 60.0).floor();
    let s = t - m * 60.0;
    format!("{}:{:04.1}", m as u64, s)
}

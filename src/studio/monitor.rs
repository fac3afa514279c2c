//! What the artist hears: the dsp crate's monitor choices
//! ([`lacquer_dsp::loudness::monitor`]), which the engine sends to the
//! worklet.

pub use lacquer_dsp::loudness::monitor::{match_gain_db, Listening, MonitorSetup, Source};

//! The app's reactive state: plain signals that components read and the engine
//! writes. Everything here is `Copy` so it can be handed around freely.

use leptos::prelude::*;

/// What the loaded file is.
#[derive(Clone, Debug, PartialEq)]
pub struct FileInfo {
    /// File name as dropped.
    pub name: String,
    /// Container name (WAV, FLAC, ...).
    pub container: String,
    /// Duration, seconds.
    pub duration_s: f64,
    /// Sample rate the audio was decoded at, Hz (the file's own, when known).
    pub sample_rate: u32,
    /// Frames per channel.
    pub frames: u64,
    /// True when the container states its rate and decoding used it.
    pub native_rate: bool,
    /// Channels.
    pub channels: u32,
    /// Size of the file, bytes.
    pub bytes: u64,
}

/// Live readings from the worklet chain.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LiveMeters {
    /// Output peak, linear, left and right (held over the last meter period).
    pub peak: [f32; 2],
    /// Input peak, linear.
    pub in_peak: f32,
    /// Limiter gain reduction, dB.
    pub limiter_gr_db: f32,
    /// Compressor gain reduction, dB.
    pub comp_gr_db: f32,
    /// Output correlation, −1..1.
    pub correlation: f32,
    /// Frames the worklet chain has processed since it was created.
    pub frames: f64,
    /// Momentary loudness (400 ms) of the chain's output, LUFS; `None` for silence.
    pub momentary_lufs: Option<f32>,
    /// Short-term loudness (3 s) of the chain's output, LUFS; `None` for silence.
    pub short_term_lufs: Option<f32>,
    /// Integrated loudness of the output since play started (or the last
    /// reset), LUFS; `None` before anything was measured.
    pub integrated_lufs: Option<f32>,
    /// Output true peak per channel (4× oversampled), linear, over the last meter period.
    pub true_peak: [f32; 2],
}

/// What the worker measured of a whole track, the mix or the master (its
/// summary; the audio stays in the worker).
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct Analysis {
    /// Loudness: integrated, LRA, true peak.
    pub loudness: lacquer_dsp::loudness::meter::LoudnessReport,
    /// The loudness and true peak of every 100 ms, the momentary and
    /// short-term curves derived from them; any range's figures come from these.
    #[serde(default)]
    pub curves: lacquer_dsp::analysis::range::LoudnessCurves,

    /// The long-term spectrum.
    #[serde(default)]
    pub spectrum: SpectrumSummary,
    /// The waveform of the whole track, at a fixed number of columns.
    #[serde(default)]
    pub overview: Overview,
}

/// The long-term spectrum's summary.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct SpectrumSummary {
    /// 1/3-octave bands (IEC 61260-1), dB relative to a full-scale sine.
    #[serde(default)]
    pub bands_third_octave: Vec<lacquer_dsp::analysis::Band>,
    /// A 1/12-octave curve, (Hz, dB).
    #[serde(default)]
    pub curve: Vec<(f32, f32)>,
}

/// Min/max envelopes of the whole track.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
pub struct Overview {
    /// Frames in the track.
    pub frames: u64,
    /// Channels.
    pub channels: usize,
    /// Columns across the track.
    pub columns: usize,
    /// Divide `min_max` by this for sample values.
    pub scale: f32,
    /// `[column][channel][min, max]`, flat.
    pub min_max: Vec<i16>,
}

/// One frame of the live spectrum analyser (the worklet's, at about 30 Hz):
/// dB per point of the analyser's log-frequency grid.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveSpectrum {
    /// The chain's input (the mix).
    pub input: Vec<f32>,
    /// The chain's output (the master).
    pub output: Vec<f32>,
    /// Peak hold of the input.
    pub input_peak: Vec<f32>,
    /// Peak hold of the output.
    pub output_peak: Vec<f32>,
}

/// How the analyser shows the spectrum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpectrumSettings {
    /// Display slope, dB per octave, pivoting at 1 kHz (0, 3 or 4.5).
    pub slope_db_per_oct: f32,
    /// Smoothing: 1/n octave (3, 6 or 12).
    pub smoothing_n: u32,
}

impl Default for SpectrumSettings {
    fn default() -> Self {
        Self { slope_db_per_oct: 4.5, smoothing_n: 6 }
    }
}

/// Waveform columns the worker measured for a zoomed view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZoomPeaks {
    /// First frame covered.
    pub start_frame: f64,
    /// Frame after the last one covered.
    pub end_frame: f64,
    /// Columns.
    pub columns: usize,
    /// Channels.
    pub channels: usize,
    /// The mix: `[col][ch][min, max]`, flat.
    pub mix: Vec<f32>,
    /// The master, the same way, once there is one.
    pub master: Option<Vec<f32>>,
}

/// The stretch of the track the timeline views show, and what is selected.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeView {
    /// First second shown.
    pub start_s: f64,
    /// Last second shown.
    pub end_s: f64,
}

/// Long work in the engine, shown with progress and a Cancel button.
#[derive(Clone, Debug, PartialEq)]
pub struct Work {
    /// What is happening, for display ("reading", "analysing", ...).
    pub phase: String,
    /// Fraction done, 0..1.
    pub fraction: f64,
}

/// Where the export is.
#[derive(Clone, Debug, PartialEq)]
pub enum ExportState {
    /// Nothing exported yet.
    Idle,
    /// Rendering; fraction done and what is happening.
    Running { fraction: f64, phase: String },
    /// Cancelled by the artist; the file and settings are as they were.
    Cancelled,
    /// Finished, checked and offered; the download's file name and a one-line summary.
    Done {
        /// The downloaded file's name.
        file_name: String,
        /// One line: loudness before and after, gain, time taken.
        summary: String,
        /// The master's measurements and how each platform will play it
        /// (a single file's export).
        report: Option<Box<lacquer_dsp::job::MasterReport>>,
        /// Every delivered file as the browser decoded it again and measured it.
        files: Vec<CheckedFile>,
        /// The streaming master through a lossy codec and back (it may
        /// still be running: the files are offered once checked).
        codec: Option<CodecCheck>,
    },
}

/// A delivered file as the browser decoded it again (`decodeAudioData` at
/// the file's own rate) and the worker measured it: the figures the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedFile {
    /// The file's name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Rate as decoded, Hz.
    pub sample_rate: u32,
    /// Frames per channel as decoded.
    pub frames: u64,
    /// Integrated loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// True peak (16×), dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// What the check found wrong (none: the file is as made).
    pub problems: Vec<String>,
}

/// The streaming master encoded to Opus through WebCodecs and decoded again.
#[derive(Clone, Debug, PartialEq)]
pub struct CodecCheck {
    /// The codec and bit rate, for display ("Opus 160 kbps").
    pub codec: String,
    /// Largest |sample| decoded, dBFS (`None`: silence or not checked).
    pub peak_dbfs: Option<f64>,
    /// Why the check could not run, if it could not.
    pub error: Option<String>,
    /// True while it runs (the files are offered before it ends).
    pub pending: bool,
}

impl CodecCheck {
    /// The Opus round trip at 160 kbps, running.
    pub fn running() -> Self {
        Self { codec: "Opus 160 kbps".into(), peak_dbfs: None, error: None, pending: true }
    }
}

/// All of the app's signals.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The loaded file, if any.
    pub file: RwSignal<Option<FileInfo>>,
    /// True while a file is being read and decoded.
    pub loading: RwSignal<bool>,
    /// Loading or analysis in progress, if any.
    pub work: RwSignal<Option<Work>>,
    /// The loaded file's analysis, once the worker has finished it.
    pub analysis: RwSignal<Option<Analysis>>,
    /// The loaded file's waveform overview, as soon as it is loaded.
    pub overview: RwSignal<Option<Overview>>,
    /// The master's analysis (from the last export), drawn over the mix.
    pub master_analysis: RwSignal<Option<Analysis>>,
    /// What the timeline views (waveform, loudness) show; `end_s` 0 = the whole track.
    pub view: RwSignal<TimeView>,
    /// The live spectrum's frequency grid, Hz.
    pub spectrum_freqs: RwSignal<Vec<f32>>,
    /// The latest live spectrum frame.
    pub spectrum: RwSignal<LiveSpectrum>,
    /// Spectrum frames received (the views' update rate is measured from it).
    pub spectrum_frames: RwSignal<u64>,
    /// The analyser's display settings.
    pub spectrum_settings: RwSignal<SpectrumSettings>,
    /// Meter reports received from the worklet.
    pub meter_reports: RwSignal<u64>,
    /// Waveform columns for the zoomed view, from the worker.
    pub zoom_peaks: RwSignal<Option<ZoomPeaks>>,
    /// A selected range, seconds (start < end).
    pub selection: RwSignal<Option<(f64, f64)>>,
    /// True while the selection loops.
    pub looping: RwSignal<bool>,
    /// True while playing.
    pub playing: RwSignal<bool>,
    /// Playback position, seconds.
    pub position_s: RwSignal<f64>,
    /// Live meters.
    pub meters: RwSignal<LiveMeters>,
    /// Export progress.
    pub export: RwSignal<ExportState>,
    /// The message to show when something went wrong (the app keeps working).
    pub error: RwSignal<Option<String>>,
}

impl AppState {
    /// Fresh state: nothing loaded.
    pub fn new() -> Self {
        Self {
            file: RwSignal::new(None),
            loading: RwSignal::new(false),
            work: RwSignal::new(None),
            analysis: RwSignal::new(None),
            master_analysis: RwSignal::new(None),
            overview: RwSignal::new(None),
            view: RwSignal::new(TimeView::default()),
            zoom_peaks: RwSignal::new(None),
            spectrum_freqs: RwSignal::new(Vec::new()),
            spectrum: RwSignal::new(LiveSpectrum::default()),
            spectrum_frames: RwSignal::new(0),
            spectrum_settings: RwSignal::new(SpectrumSettings::default()),
            meter_reports: RwSignal::new(0),
            selection: RwSignal::new(None),
            looping: RwSignal::new(false),
            playing: RwSignal::new(false),
            position_s: RwSignal::new(0.0),
            meters: RwSignal::new(LiveMeters::default()),
            export: RwSignal::new(ExportState::Idle),
            error: RwSignal::new(None),
        }
    }
}

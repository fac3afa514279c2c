//! The export of a session: master-to-target over the shared audio, the final
//! pass encoded as a WAV file a piece at a time.
//!
//! The bytes are exactly those `lacquer master` writes for the same input and
//! settings: the same [`MasterJob`], and the same [`PcmWriter`]. The host
//! steps the export, takes the bytes written so far after each step
//! ([`Export::take_bytes`]) and appends them to the download, so neither the
//! master nor its file is ever held whole.
//!
//! The master can be analysed as it is produced ([`Export::with_analysis`]):
//! an [`Analyzer`] takes the same final pieces the file is written from, so
//! the page draws the master's waveform, loudness curves and spectrum from
//! exactly what is downloaded. A preview ([`Export::start_analysis_only`])
//! is the same job with the analysis and no file: the master as it will be
//! exported, without writing it.

use super::Session;
use crate::analysis::{Analysis, Analyzer};
use crate::error::DspError;
use crate::job::{MasterJob, MasterReport, Progress};
use crate::loudness::target::Target;
use crate::settings::Settings;
use crate::wav::PcmWriter;

/// Word length of the exported file, bits.
pub const EXPORT_BITS: u16 = 24;

/// Largest search pass an export keeps for its output stage instead of
/// rendering the chain once more, bytes. A 5-minute stereo song at 48 kHz
/// is about 115 MB as f32: kept, which saves a pass. A 30-minute file
/// (691 MB) is not: its search passes keep only their measurements.
pub const KEEP_PASS_LIMIT_BYTES: usize = 192 << 20;

/// An export in progress.
pub struct Export {
    /// The mastering job over the session's audio.
    job: MasterJob,
    /// The WAV file so far, drained by the host after each step (none for
    /// a preview).
    writer: Option<PcmWriter<Vec<u8>>>,
    /// The first write error, if any (writing to memory cannot fail today).
    failed: Option<String>,
    /// The master's analysis so far, when asked for.
    analyzer: Option<Analyzer>,
}

/// What a finished export gives.
#[derive(Debug)]
pub struct Exported {
    /// The file's last bytes (none for a preview).
    pub tail: Vec<u8>,
    /// The settings of the master.
    pub settings: Settings,
    /// The job's report.
    pub report: MasterReport,
    /// The master's analysis, when asked for: its loudness report is
    /// `report.output_loudness`.
    pub analysis: Option<Analysis>,
}

impl Export {
    /// Starts mastering `session`'s audio with `settings` to `target`, into
    /// a WAV file. The session must be analysed: its input report is the
    /// job's.
    pub fn start(session: &Session, settings: Settings, target: Option<Target>) -> Result<Self, DspError> {
        let mut e = Self::job(session, settings, target)?;
        let writer = PcmWriter::new(Vec::new(), session.channels(), session.frames(), session.sample_rate(), EXPORT_BITS)
            .map_err(|e| DspError::BadInput(format!("the file could not be started: {e}")))?;
        e.writer = Some(writer);
        Ok(e)
    }

    /// A preview of the master: the same job as [`Export::start`]'s, with
    /// the master analysed ([`Export::with_analysis`]) and no file written.
    pub fn start_analysis_only(session: &Session, settings: Settings, target: Option<Target>) -> Result<Self, DspError> {
        Self::job(session, settings, target)?.with_analysis()
    }

    /// Also analyses the master as it is produced (call before the first
    /// step). Allocates the analyser.
    pub fn with_analysis(mut self) -> Result<Self, DspError> {
        let j = &self.job;
        self.analyzer = Some(Analyzer::new(j.channels(), j.sample_rate(), j.frames())?);
        Ok(self)
    }

    /// The job, with nothing to write or analyse yet.
    fn job(session: &Session, settings: Settings, target: Option<Target>) -> Result<Self, DspError> {
        let Some(analysis) = session.analysis() else {
            return Err(DspError::BadInput("the file is still being analysed".into()));
        };
        let job = MasterJob::shared(session.input().clone(), session.sample_rate(), settings, target)?
            .with_input_report(analysis.loudness.clone())
            .keep_passes_up_to(KEEP_PASS_LIMIT_BYTES);
        Ok(Self { job, writer: None, failed: None, analyzer: None })
    }

    /// True when the export writes a file (false for a preview).
    pub fn writes_file(&self) -> bool {
        self.writer.is_some()
    }

    /// Does up to about `budget_frames` frames of work, encoding and
    /// analysing whatever part of the master became final.
    pub fn step(&mut self, budget_frames: usize) -> Progress {
        let (writer, failed, analyzer) = (&mut self.writer, &mut self.failed, &mut self.analyzer);
        self.job.step_with(budget_frames, |piece| {
            if let (Some(w), None) = (writer.as_mut(), failed.as_ref()) {
                if let Err(e) = w.write(piece) {
                    *failed = Some(e.to_string());
                }
            }
            if let Some(a) = analyzer.as_mut() {
                a.add(piece);
            }
        })
    }

    /// The file's bytes written since the last call.
    pub fn take_bytes(&mut self) -> Vec<u8> {
        self.writer.as_mut().map(|w| std::mem::take(w.get_mut())).unwrap_or_default()
    }

    /// The bytes of the file written since the last call, appended to `out`
    /// (which is cleared first), without allocating once `out` is large enough.
    pub fn drain_into(&mut self, out: &mut Vec<u8>) {
        out.clear();
        if let Some(w) = self.writer.as_mut() {
            out.append(w.get_mut());
        }
    }

    /// Ends the file once the job is done: its last bytes, the settings of
    /// the master, its report and (when asked for) its analysis. Panics if
    /// the job is not done.
    pub fn finish(mut self) -> Result<Exported, DspError> {
        if let Some(e) = self.failed.take() {
            return Err(DspError::BadInput(format!("the file could not be written: {e}")));
        }
        let tail = match self.writer.take() {
            Some(w) => w.finish().map_err(|e| DspError::BadInput(format!("the file could not be finished: {e}")))?,
            None => Vec::new(),
        };
        let (settings, report) = self.job.finish();
        Ok(Exported { tail, settings, report, analysis: self.analyzer.map(Analyzer::finish) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loaded and analysed session of `audio`.
    fn session(audio: &[Vec<f32>], sr: u32) -> Session {
        let mut s = Session::begin(audio.len(), audio[0].len(), sr).unwrap();
        for (c, a) in audio.iter().enumerate() {
            s.channel_mut(c).unwrap().copy_from_slice(a);
        }
        s.commit(audio[0].len());
        while !s.analyze(30_000).unwrap() {}
        s
    }

    /// Steps `e` in small pieces to the end: the file's bytes and the outcome.
    fn run(mut e: Export) -> (Vec<u8>, Exported) {
        let mut bytes = Vec::new();
        while !e.step(5_000).done {
            bytes.extend(e.take_bytes());
        }
        bytes.extend(e.take_bytes());
        let done = e.finish().unwrap();
        bytes.extend(&done.tail);
        (bytes, done)
    }

    /// The analysis of `channels` fed whole.
    fn analysis_of(channels: &[Vec<f32>], sr: u32) -> Analysis {
        let mut a = Analyzer::new(channels.len(), sr, channels[0].len()).unwrap();
        a.add(&channels.iter().map(Vec::as_slice).collect::<Vec<_>>());
        a.finish()
    }

    /// The export's file, stepped in small pieces, is byte for byte what the
    /// CLI writes (`MasterJob::run` then a 24-bit WAV), and its report the
    /// same, whether or not the master is analysed on the way.
    #[test]
    fn export_bytes_equal_the_cli_master() {
        let sr = 44_100;
        for channels in [2usize, 1] {
            let audio: Vec<Vec<f32>> =
                (0..channels).map(|c| crate::test_signals::noise_bursts(sr as usize * 6, 0.3, 40 + c as u32, 4.0)).collect();
            for target in [Some(Target { lufs: -14.0, ceiling_dbtp: -1.0 }), None] {
                let cli = MasterJob::new(audio.clone(), sr, Settings::default(), target).unwrap().run();
                let want = crate::wav::write_pcm(&cli.channels, sr, EXPORT_BITS);
                let s = session(&audio, sr);
                for analysed in [false, true] {
                    let mut e = Export::start(&s, Settings::default(), target).unwrap();
                    if analysed {
                        e = e.with_analysis().unwrap();
                    }
                    assert!(e.writes_file());
                    let (bytes, done) = run(e);
                    assert_eq!(bytes.len(), want.len(), "{channels} ch, target {target:?}");
                    assert!(bytes == want, "{channels} ch, target {target:?}: the same bytes as the CLI");
                    assert_eq!(done.report, cli.report);
                    assert_eq!(done.settings, cli.settings);
                    assert_eq!(done.analysis.is_some(), analysed);
                }
                // The session still holds its audio, unchanged.
                assert_eq!(**s.input(), audio);
            }
        }
    }

    /// The master's analysis, taken piece by piece as the export writes
    /// them, is the analysis of the whole master (the CLI's), and its
    /// loudness is the job's report of the output; a preview gives the same
    /// analysis and report without a file.
    #[test]
    fn the_master_is_analysed_as_it_is_made_and_previewed_without_a_file() {
        let sr = 48_000;
        let audio: Vec<Vec<f32>> = (0..2).map(|c| crate::test_signals::noise_bursts(sr as usize * 7, 0.2, 7 + c, 3.0)).collect();
        let s = session(&audio, sr);
        for target in [Some(Target { lufs: -12.0, ceiling_dbtp: -1.0 }), None] {
            let cli = MasterJob::new(audio.clone(), sr, Settings::default(), target).unwrap().run();
            let (bytes, done) = run(Export::start(&s, Settings::default(), target).unwrap().with_analysis().unwrap());
            let a = done.analysis.unwrap();
            assert_eq!(a.loudness, done.report.output_loudness, "{target:?}");
            assert_eq!(a, analysis_of(&cli.channels, sr), "{target:?}");
            assert!(a.curves.true_peak_dbtp.len() == 70 && a.peaks.frames() == audio[0].len());
            assert!(!bytes.is_empty());

            let preview = Export::start_analysis_only(&s, Settings::default(), target).unwrap();
            assert!(!preview.writes_file());
            let (bytes, p) = run(preview);
            assert!(bytes.is_empty() && p.tail.is_empty(), "a preview writes nothing");
            assert_eq!(p.report, done.report);
            assert_eq!(p.settings, done.settings);
            assert_eq!(p.analysis.unwrap(), a);
        }
    }
}

//! The export of a session: master-to-target over the shared audio, the final
//! pass encoded as a WAV file a piece at a time.
//!
//! The bytes are exactly those `lacquer master` writes for the same input and
//! settings: the same [`MasterJob`], and the same [`PcmWriter`]. The host
//! steps the export, takes the bytes written so far after each step
//! ([`Export::take_bytes`]) and appends them to the download, so neither the
//! master nor its file is ever held whole.

use super::Session;
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
    /// The WAV file so far, drained by the host after each step.
    writer: Option<PcmWriter<Vec<u8>>>,
    /// The first write error, if any (writing to memory cannot fail today).
    failed: Option<String>,
}

impl Export {
    /// Starts mastering `session`'s audio with `settings` to `target`. The
    /// session must be analysed: its input report is the job's.
    pub fn start(session: &Session, settings: Settings, target: Option<Target>) -> Result<Self, DspError> {
        let Some(analysis) = session.analysis() else {
            return Err(DspError::BadInput("the file is still being analysed".into()));
        };
        let job = MasterJob::shared(session.input().clone(), session.sample_rate(), settings, target)?
            .with_input_report(analysis.loudness.clone())
            .keep_passes_up_to(KEEP_PASS_LIMIT_BYTES);
        let writer = PcmWriter::new(Vec::new(), session.channels(), session.frames(), session.sample_rate(), EXPORT_BITS)
            .map_err(|e| DspError::BadInput(format!("the file could not be started: {e}")))?;
        Ok(Self { job, writer: Some(writer), failed: None })
    }

    /// Does up to about `budget_frames` frames of work, encoding whatever
    /// part of the master became final.
    pub fn step(&mut self, budget_frames: usize) -> Progress {
        let (writer, failed) = (&mut self.writer, &mut self.failed);
        self.job.step_with(budget_frames, |piece| {
            if let (Some(w), None) = (writer.as_mut(), failed.as_ref()) {
                if let Err(e) = w.write(piece) {
                    *failed = Some(e.to_string());
                }
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
    /// the master and its report.
    pub fn finish(mut self) -> Result<(Vec<u8>, Settings, MasterReport), DspError> {
        if let Some(e) = self.failed.take() {
            return Err(DspError::BadInput(format!("the file could not be written: {e}")));
        }
        let tail = match self.writer.take() {
            Some(w) => w.finish().map_err(|e| DspError::BadInput(format!("the file could not be finished: {e}")))?,
            None => Vec::new(),
        };
        let (settings, report) = self.job.finish();
        Ok((tail, settings, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The export's file, stepped in small pieces, is byte for byte what the
    /// CLI writes (`MasterJob::run` then a 24-bit WAV), and its report the same.
    #[test]
    fn export_bytes_equal_the_cli_master() {
        let sr = 44_100;
        for channels in [2usize, 1] {
            let audio: Vec<Vec<f32>> =
                (0..channels).map(|c| crate::test_signals::noise_bursts(sr as usize * 6, 0.3, 40 + c as u32, 4.0)).collect();
            for target in [Some(Target { lufs: -14.0, ceiling_dbtp: -1.0 }), None] {
                let cli = MasterJob::new(audio.clone(), sr, Settings::default(), target).unwrap().run();
                let want = crate::wav::write_pcm(&cli.channels, sr, EXPORT_BITS);
                let mut s = Session::begin(channels, audio[0].len(), sr).unwrap();
                for (c, a) in audio.iter().enumerate() {
                    s.channel_mut(c).unwrap().copy_from_slice(a);
                }
                s.commit(audio[0].len());
                while !s.analyze(30_000).unwrap() {}
                let mut e = Export::start(&s, Settings::default(), target).unwrap();
                let mut bytes = Vec::new();
                while !e.step(5_000).done {
                    bytes.extend(e.take_bytes());
                }
                bytes.extend(e.take_bytes());
                let (tail, settings, report) = e.finish().unwrap();
                bytes.extend(tail);
                assert_eq!(bytes.len(), want.len(), "{channels} ch, target {target:?}");
                assert!(bytes == want, "{channels} ch, target {target:?}: the same bytes as the CLI");
                assert_eq!(report, cli.report);
                assert_eq!(settings, cli.settings);
                // The session still holds its audio, unchanged.
                assert_eq!(**s.input(), audio);
            }
        }
    }
}

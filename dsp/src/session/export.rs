//! The export of a session: master-to-target over the shared audio, the final
//! pass delivered as a release file ([`crate::delivery`]: WAV or FLAC, at
//! the source rate or converted, dithered, held to the true-peak ceiling) a
//! piece at a time.
//!
//! The bytes are exactly those `lacquer master` writes for the same input,
//! settings and [`DeliverySpec`]: the same [`MasterJob`] (rendered with the
//! chain's output-stage dither off, [`crate::delivery::chain_settings`]), and
//! the same [`Delivery`]. The host steps the export, takes the bytes
//! encoded so far after each step ([`Export::take_bytes`]) and appends them
//! to the download, so neither the master nor its file is ever held whole;
//! once finished, it writes [`Exported::header_patch`] (FLAC's finished
//! `STREAMINFO`) over the file's first bytes.
//!
//! The delivery keeps the converted master (f32 at the delivery rate) when it
//! takes at most [`KEEP_PASS_LIMIT_BYTES`], and checks the ceiling on it
//! before encoding. A longer file is not kept: the export then renders the
//! master once more for each further check and for the encoding pass — a
//! plain render with the chosen settings ([`MasterJob::finish`]'s), which
//! gives the same samples. The bytes are the same either way.
//!
//! The master can be analysed as it is produced ([`Export::with_analysis`]):
//! an [`Analyzer`] takes the same final pieces the file is made from (at the
//! source rate, before the delivery's conversion and dither), so the page
//! draws the master's waveform, loudness curves and spectrum from what is
//! downloaded. A preview ([`Export::start_analysis_only`]) is the same job
//! with the analysis and no file: the master as it will be exported, without
//! writing it.

use super::outcomes::Outcomes;
use super::Session;
use crate::analysis::{Analysis, Analyzer};
use crate::delivery::{ceiling_for, chain_settings, dither_for, Delivery, DeliverySpec, Measured};
use crate::error::DspError;
use crate::job::{MasterJob, MasterReport, Progress};
use crate::loudness::target::Target;
use crate::settings::Settings;
use std::sync::Arc;

/// Largest search pass an export keeps for its output stage instead of
/// rendering the chain once more, and largest converted master the delivery
/// keeps for its true-peak check instead of rendering the master again,
/// bytes. A 5-minute stereo song at 48 kHz is about 115 MB as f32: kept,
/// which saves a pass. A 30-minute file (691 MB) is not: its search passes
/// keep only their measurements.
pub const KEEP_PASS_LIMIT_BYTES: usize = 192 << 20;

/// An export in progress.
pub struct Export {
    /// The mastering job over the session's audio (the first, or a render
    /// again for the delivery).
    job: Option<MasterJob>,
    /// The session's audio, for a render again.
    input: Arc<Vec<Vec<f32>>>,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// The settings as asked (the chain's dither as the artist set it).
    asked: Settings,
    /// What the first job was asked (its settings and target), and where
    /// the session keeps the outcomes found.
    key: (Settings, Option<Target>, Outcomes),
    /// The first job's outcome, once it is done.
    outcome: Option<(Settings, MasterReport)>,
    /// The release file (none for a preview).
    delivery: Option<Delivery>,
    /// The first delivery error, if any.
    failed: Option<String>,
    /// The master's analysis so far, when asked for.
    analyzer: Option<Analyzer>,
    /// Progress of the last step.
    last: Progress,
    /// A preview's master, collected as it is made for the session's
    /// outcomes ([`Outcomes::remember`]), when it fits the keep limit.
    collected: Option<Vec<Vec<f32>>>,
    /// True when the delivery took the known master whole
    /// ([`Delivery::take_whole`]) rather than its pieces.
    shared_master: bool,
}

/// What a finished export gives.
#[derive(Debug)]
pub struct Exported {
    /// The file's last bytes (none for a preview).
    pub tail: Vec<u8>,
    /// Bytes to write over the start of the file once it is complete (the
    /// FLAC `STREAMINFO`; none for WAV or a preview).
    pub header_patch: Option<Vec<u8>>,
    /// The settings of the master (the chain's dither as asked: the
    /// delivery applied it).
    pub settings: Settings,
    /// The job's report.
    pub report: MasterReport,
    /// The master's analysis, when asked for: its loudness report is
    /// `report.output_loudness`.
    pub analysis: Option<Analysis>,
    /// The file's measurements (none for a preview).
    pub delivered: Option<Measured>,
}

impl Export {
    /// Starts mastering `session`'s audio with `settings` to `target`, into
    /// a release file as `spec` says. The session must be analysed: its
    /// input report is the job's.
    pub fn start(session: &Session, settings: Settings, target: Option<Target>, spec: DeliverySpec) -> Result<Self, DspError> {
        Self::start_keeping(session, settings, target, spec, KEEP_PASS_LIMIT_BYTES)
    }

    /// [`Export::start`] with the delivery keeping its converted master up
    /// to `keep_limit_bytes` (a test renders a long file's way with 0).
    pub fn start_keeping(
        session: &Session,
        settings: Settings,
        target: Option<Target>,
        spec: DeliverySpec,
        keep_limit_bytes: usize,
    ) -> Result<Self, DspError> {
        let mut e = Self::job(session, settings, target)?;
        let dither = dither_for(spec.format, &settings.output);
        let mut d = Delivery::new(
            spec,
            session.channels(),
            session.frames(),
            session.sample_rate(),
            ceiling_for(&settings, target),
            dither,
            keep_limit_bytes,
        )?;
        // A master the studio made already is shared, not copied, by a file at its rate.
        if let Some(m) = e.job.as_ref().and_then(MasterJob::known_master) {
            e.shared_master = d.take_whole(m)?;
        }
        e.delivery = Some(d);
        Ok(e)
    }

    /// A preview of the master: the same job as [`Export::start`]'s, with
    /// the master analysed ([`Export::with_analysis`]) and no file written.
    /// The master is kept for the session when it takes at most
    /// [`KEEP_PASS_LIMIT_BYTES`], so that an export or a bundle asked the
    /// same hands it out instead of rendering it again.
    pub fn start_analysis_only(session: &Session, settings: Settings, target: Option<Target>) -> Result<Self, DspError> {
        let mut e = Self::job(session, settings, target)?.with_analysis()?;
        let j = e.job.as_ref().expect("a job");
        let bytes = j.channels().saturating_mul(j.frames()).saturating_mul(std::mem::size_of::<f32>());
        if target.is_some() && j.known_master().is_none() && bytes <= KEEP_PASS_LIMIT_BYTES {
            e.collected = Some(vec![Vec::new(); j.channels()]);
        }
        Ok(e)
    }

    /// Also analyses the master as it is produced (call before the first
    /// step). Allocates the analyser.
    pub fn with_analysis(mut self) -> Result<Self, DspError> {
        let j = self.job.as_ref().expect("a job");
        self.analyzer = Some(Analyzer::new(j.channels(), j.sample_rate(), j.frames())?);
        Ok(self)
    }

    /// The job, with nothing to write or analyse yet.
    fn job(session: &Session, settings: Settings, target: Option<Target>) -> Result<Self, DspError> {
        let Some(analysis) = session.analysis() else {
            return Err(DspError::BadInput("the file is still being analysed".into()));
        };
        let job_settings = chain_settings(settings);
        let job = MasterJob::shared(session.input().clone(), session.sample_rate(), job_settings, target)?
            .with_input_report(analysis.loudness.clone())
            .keep_passes_up_to(KEEP_PASS_LIMIT_BYTES);
        let outcomes = session.outcomes().clone();
        let job = outcomes.apply(job, &job_settings, target);
        Ok(Self {
            job: Some(job),
            input: session.input().clone(),
            sample_rate: session.sample_rate(),
            asked: settings,
            key: (job_settings, target, outcomes),
            outcome: None,
            delivery: None,
            failed: None,
            analyzer: None,
            last: Progress { fraction: 0.0, phase: "starting", done: false },
            collected: None,
            shared_master: false,
        })
    }

    /// True when the export writes a file (false for a preview).
    pub fn writes_file(&self) -> bool {
        self.delivery.is_some()
    }

    /// Does up to about `budget_frames` frames of work: the job, encoding
    /// and analysing whatever part of the master became final, then the
    /// delivery's own checks and encoding.
    pub fn step(&mut self, budget_frames: usize) -> Progress {
        if self.failed.is_some() {
            return self.end_with_failure();
        }
        if let Some(job) = self.job.as_mut() {
            let (delivery, failed, analyzer) = (&mut self.delivery, &mut self.failed, &mut self.analyzer);
            let first = self.outcome.is_none();
            let frames = job.frames();
            let collected = &mut self.collected;
            let pushes = !self.shared_master;
            let p = job.step_with(budget_frames, |piece| {
                if let Some(m) = collected.as_mut() {
                    crate::job::collect_into(m, piece, frames);
                }
                if let (Some(d), None, true) = (delivery.as_mut(), failed.as_ref(), pushes) {
                    if let Err(e) = d.push(piece) {
                        *failed = Some(e.to_string());
                    }
                }
                if first {
                    if let Some(a) = analyzer.as_mut() {
                        a.add(piece);
                    }
                }
            });
            if !p.done {
                self.last = if first { p } else { Progress { fraction: 0.9 + 0.09 * p.fraction, phase: "checking the true peak", done: false } };
                return self.last;
            }
            let (settings, report) = self.job.take().expect("job").finish();
            if first {
                let (asked, target, outcomes) = &self.key;
                let master = self.collected.take().map(Arc::new);
                outcomes.remember(asked, *target, &settings, &report, master);
                self.outcome = Some((settings, report));
            }
        }
        let Some(d) = self.delivery.as_mut() else {
            self.last = Progress { fraction: 1.0, phase: "done", done: true };
            return self.last;
        };
        if d.wants_input_again() {
            // A long file's next pass: the master rendered again with the chosen settings.
            let settings = self.outcome.as_ref().expect("outcome").0;
            match MasterJob::shared(self.input.clone(), self.sample_rate, settings, None) {
                Ok(j) => self.job = Some(j),
                Err(e) => self.failed = Some(e.to_string()),
            }
            self.last = Progress { fraction: 0.9, phase: "checking the true peak", done: false };
            return self.last;
        }
        match d.step(budget_frames) {
            Ok(true) => self.last = Progress { fraction: 1.0, phase: "done", done: true },
            Ok(false) => self.last = Progress { fraction: 0.95, phase: "encoding", done: false },
            Err(e) => {
                self.failed = Some(e.to_string());
                return self.end_with_failure();
            }
        }
        self.last
    }

    /// Progress once the delivery failed: done, so that `finish` reports it.
    fn end_with_failure(&mut self) -> Progress {
        self.job = None;
        self.last = Progress { fraction: 1.0, phase: "done", done: true };
        self.last
    }

    /// The file's bytes encoded since the last call.
    pub fn take_bytes(&mut self) -> Vec<u8> {
        self.delivery.as_mut().map(Delivery::take_bytes).unwrap_or_default()
    }

    /// The bytes of the file encoded since the last call, appended to `out`
    /// (which is cleared first), without allocating once `out` is large enough.
    pub fn drain_into(&mut self, out: &mut Vec<u8>) {
        out.clear();
        if let Some(d) = self.delivery.as_mut() {
            d.drain_into(out);
        }
    }

    /// Ends the file once the export is done: its last bytes, the header
    /// patch, the settings of the master, its report and (when asked for)
    /// its analysis. Panics if the job is not done.
    pub fn finish(mut self) -> Result<Exported, DspError> {
        if let Some(e) = self.failed.take() {
            return Err(DspError::BadInput(format!("the file could not be written: {e}")));
        }
        assert!(self.job.is_none() && self.outcome.is_some(), "the export is not finished");
        let (mut settings, report) = self.outcome.take().expect("outcome");
        settings.output.dither = self.asked.output.dither;
        let (tail, header_patch, delivered) = match self.delivery.take() {
            Some(d) => {
                let done = d.finish()?;
                (done.tail, done.header_patch, Some(done.measured))
            }
            None => (Vec::new(), None, None),
        };
        Ok(Exported { tail, header_patch, settings, report, analysis: self.analyzer.map(Analyzer::finish), delivered })
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

    /// Steps `e` in small pieces to the end: the file's bytes (header patch
    /// applied) and the outcome.
    fn run_file(e: Export) -> (Vec<u8>, Exported) {
        let (mut bytes, done) = run(e);
        if let Some(p) = &done.header_patch {
            bytes[..p.len()].copy_from_slice(p);
        }
        (bytes, done)
    }

    /// What the CLI writes: [`crate::delivery::host::master_to_file`].
    fn cli_bytes(audio: &[Vec<f32>], sr: u32, target: Option<Target>, spec: DeliverySpec) -> (Vec<u8>, crate::delivery::host::Mastered) {
        let s = Settings::default();
        let job = crate::delivery::host::job(audio.to_vec(), sr, &s, target).unwrap();
        let mut file = std::io::Cursor::new(Vec::new());
        let m = crate::delivery::host::master_to_file(job, &s, target, spec, || Ok(&mut file)).unwrap();
        (file.into_inner(), m)
    }

    /// The export's file, stepped in small pieces, is byte for byte what the
    /// CLI writes, in every format, at the source rate and converted, and
    /// its report the same, whether or not the master is analysed on the way
    /// and whether or not the delivery keeps the converted master (a long
    /// file's way: the master rendered again).
    #[test]
    fn export_bytes_equal_the_cli_master() {
        use crate::delivery::{Format, Rate, Tags};
        let sr = 48_000;
        for channels in [2usize, 1] {
            let audio: Vec<Vec<f32>> =
                (0..channels).map(|c| crate::test_signals::noise_bursts(sr as usize * 4, 0.3, 40 + c as u32, 4.0)).collect();
            let s = session(&audio, sr);
            for target in [Some(Target { lufs: -14.0, ceiling_dbtp: -1.0 }), None] {
                for (k, format) in Format::ALL.into_iter().enumerate() {
                    let rate = if k % 2 == 0 { Rate::Source } else { Rate::Hz(44_100) };
                    let tags = Tags { title: "T".into(), isrc: "GBAYE2600001".into(), ..Tags::default() };
                    let spec = DeliverySpec { format, rate, tags };
                    let (want, cli) = cli_bytes(&audio, sr, target, spec.clone());
                    for (analysed, keep) in [(false, KEEP_PASS_LIMIT_BYTES), (true, KEEP_PASS_LIMIT_BYTES), (false, 0)] {
                        let mut e = Export::start_keeping(&s, Settings::default(), target, spec.clone(), keep).unwrap();
                        if analysed {
                            e = e.with_analysis().unwrap();
                        }
                        assert!(e.writes_file());
                        let (bytes, done) = run_file(e);
                        let what = format!("{channels} ch, target {target:?}, {format:?} {rate:?}, keep {keep}");
                        assert_eq!(bytes.len(), want.len(), "{what}");
                        assert!(bytes == want, "{what}: the same bytes as the CLI");
                        assert_eq!(done.report, cli.report, "{what}");
                        assert_eq!(done.settings, cli.settings, "{what}");
                        assert_eq!(done.delivered.as_ref().unwrap().true_peak_dbtp, cli.measured.true_peak_dbtp, "{what}");
                        assert_eq!(done.analysis.is_some(), analysed);
                    }
                }
                // The session still holds its audio, unchanged.
                assert_eq!(**s.input(), audio);
            }
        }
    }

    /// After the studio's preview, an export asked the same takes the
    /// preview's master (shared whole by a file at the source rate, pushed
    /// into a conversion otherwise) and writes the CLI's bytes.
    #[test]
    fn an_export_after_a_preview_takes_its_master_and_writes_the_same_bytes() {
        use crate::delivery::{Format, Rate};
        let sr = 44_100;
        let audio: Vec<Vec<f32>> = (0..2).map(|c| crate::test_signals::noise_bursts(sr as usize * 4, 0.3, 90 + c, 4.0)).collect();
        let target = Some(Target { lufs: -13.0, ceiling_dbtp: -1.0 });
        for (k, format) in Format::ALL.into_iter().enumerate() {
            let rate = if k % 2 == 0 { Rate::Source } else { Rate::Hz(48_000) };
            let spec = DeliverySpec { format, rate, ..DeliverySpec::default() };
            let (want, cli) = cli_bytes(&audio, sr, target, spec.clone());
            let s = session(&audio, sr);
            run(Export::start_analysis_only(&s, Settings::default(), target).unwrap());
            assert!(s.outcomes().keeps_master(), "{format:?}: the preview keeps its master");
            let e = Export::start(&s, Settings::default(), target, spec).unwrap();
            assert_eq!(e.shared_master, rate == Rate::Source, "{format:?} {rate:?}");
            let (bytes, done) = run_file(e);
            assert!(bytes == want, "{format:?} {rate:?}: the same bytes as the CLI");
            assert_eq!(done.report, cli.report, "{format:?} {rate:?}");
            assert_eq!(done.delivered.unwrap().true_peak_dbtp, cli.measured.true_peak_dbtp);
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
            let cli = MasterJob::new(audio.clone(), sr, chain_settings(Settings::default()), target).unwrap().run();
            let (bytes, done) = run(Export::start(&s, Settings::default(), target, DeliverySpec::default()).unwrap().with_analysis().unwrap());
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
            assert!(p.header_patch.is_none() && p.delivered.is_none());
            assert_eq!(p.analysis.unwrap(), a);
        }
    }
}

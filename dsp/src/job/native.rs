//! The native driver: whole phases on more than one core, for the CLI and
//! [`MasterJob::run`]. Same samples and report as the single-threaded steps.

use super::phases::Phase;
use super::{collect_into, MasterJob, MasterResult};
use crate::error::DspError;
use crate::loudness::meter::Meter;
use crate::loudness::target::Target;
use crate::render::{in_step, OutputRender, Renderer, PIECE};
use crate::settings::Settings;

impl MasterJob {
    /// Runs the whole job like [`MasterJob::run`], handing the master to
    /// `encode` piece by piece (one slice per channel, in order, all of it
    /// exactly once) as soon as each piece is final. With a kept pass, the
    /// output stage runs over it a piece at a time on a second thread, which
    /// also takes the true peak and calls `encode`, while this one meters
    /// each piece for the report; otherwise the chain renders the master on
    /// two threads while a third meters the pieces and calls `encode`.
    /// Returns the result and the first error `encode` returned (it is not
    /// called after one).
    ///
    /// A job stepped partway first hands `encode` what [`MasterJob::step`]
    /// collected, then the rest; what [`MasterJob::step_with`] handed out
    /// is not handed again (nor in the result's channels).
    pub fn run_with<E: Send>(
        mut self,
        mut encode: impl FnMut(&[&[f32]]) -> Result<(), E> + Send,
    ) -> (MasterResult, Result<(), E>) {
        self.parallel = true;
        while !matches!(self.phase, Phase::Done | Phase::Output { .. } | Phase::Render { .. } | Phase::Replay { .. }) {
            self.advance(usize::MAX, &mut |_: &[&[f32]]| {});
        }
        let mut written = in_step(self.master.iter().map(|c| c.chunks(PIECE)).collect()).try_for_each(|p| encode(&p));
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Output { render, meter, settings } => self.output_parallel(render, meter, settings, &mut encode, &mut written),
            Phase::Render { render, meter, settings } => self.render_parallel(render, meter, settings, &mut encode, &mut written),
            Phase::Replay { master, pos } => {
                let n = self.frames();
                for piece in in_step(master.iter().map(|c| c[pos..].chunks(PIECE)).collect()) {
                    collect_into(&mut self.master, &piece, n);
                    if written.is_ok() {
                        written = encode(&piece);
                    }
                }
                self.replay_done();
            }
            done => self.phase = done,
        }
        (self.into_result(), written)
    }

    /// The rest of an `Output` phase: the output stage a piece at a time on
    /// a second thread with the true peak and `encode`, the rest of the
    /// meter on this one.
    fn output_parallel<E: Send>(
        &mut self,
        mut render: OutputRender,
        mut meter: Meter,
        settings: Settings,
        encode: &mut (impl FnMut(&[&[f32]]) -> Result<(), E> + Send),
        written: &mut Result<(), E>,
    ) {
        let before = render.frames_done();
        let mut peaks = meter.split_true_peak();
        std::thread::scope(|sc| {
            let (tx, rx) = std::sync::mpsc::channel::<Vec<&[f32]>>();
            let render = &mut render;
            let finishing = sc.spawn(move || {
                render.run_into(PIECE, |piece| {
                    // The meter thread only stops early if it panicked: the scope reports it.
                    let _ = tx.send(piece.clone());
                    peaks.add(&piece);
                    if written.is_ok() {
                        *written = encode(&piece);
                    }
                });
                peaks
            });
            for piece in rx {
                meter.add(&piece);
            }
            let peaks = finishing.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            meter.join_true_peak(peaks);
        });
        self.work_done += 2 * (self.frames() - before) as u64;
        self.master = render.into_output();
        self.master_measured(settings, meter.report());
    }

    /// The rest of a `Render` phase: the chain split over two threads, each
    /// block metered and handed to `encode` on a third.
    fn render_parallel<E: Send>(
        &mut self,
        mut render: Renderer,
        mut meter: Meter,
        settings: Settings,
        encode: &mut (impl FnMut(&[&[f32]]) -> Result<(), E> + Send),
        written: &mut Result<(), E>,
    ) {
        let (before, whole, frames) = (render.frames_done(), render.keeps_output(), self.frames());
        let (input, master) = (&self.input, &mut self.master);
        std::thread::scope(|sc| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<f32>>>(64);
            let m = &mut meter;
            let metering = sc.spawn(move || {
                for block in rx {
                    let piece: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
                    m.add(&piece);
                    if written.is_ok() {
                        *written = encode(&piece);
                    }
                }
            });
            render.run_split(&input[..], |piece| {
                if !whole {
                    // Stepped into this phase before: the render streams.
                    collect_into(master, piece, frames);
                }
                // The meter thread only stops early if it panicked: join reports it.
                let _ = tx.send(piece.iter().map(|c| c.to_vec()).collect());
            });
            drop(tx);
            if let Err(e) = metering.join() {
                std::panic::resume_unwind(e);
            }
        });
        self.work_done += 2 * (frames - before) as u64;
        if whole {
            self.master = render.into_output();
        }
        self.master_measured(settings, meter.report());
    }

    /// The whole of a `Search` phase at once: the chain split over two
    /// threads, the meter on a third taking each block as it is finished.
    pub(super) fn search_pass_parallel(&mut self) {
        let Phase::Search { mut render, mut meter, settings } = std::mem::replace(&mut self.phase, Phase::Done) else {
            unreachable!()
        };
        let before = render.frames_done();
        let input = &self.input;
        std::thread::scope(|sc| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<f32>>>(64);
            let m = &mut meter;
            let metering = sc.spawn(move || {
                for block in rx {
                    let piece: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
                    m.add(&piece);
                }
            });
            render.run_split(&input[..], |piece| {
                // The meter thread only stops early if it panicked: join reports it.
                let _ = tx.send(piece.iter().map(|c| c.to_vec()).collect());
            });
            drop(tx);
            if let Err(e) = metering.join() {
                std::panic::resume_unwind(e);
            }
        });
        self.work_done += 2 * (self.frames() - before) as u64;
        self.search_pass_done(render, meter, settings);
    }

    /// Like [`MasterJob::new`], for an input that is still to be decoded
    /// (see [`crate::loudness::meter::decode_and_measure`]: each piece is
    /// metered as soon as it is decoded). The job comes back with its input
    /// measured ([`MasterJob::with_input_report`]).
    pub fn decode_and_measure(
        channels: usize,
        frames: usize,
        sample_rate: u32,
        settings: Settings,
        target: Option<Target>,
        decode: impl FnMut(&mut [&mut [f32]]) -> Result<(), DspError> + Send,
    ) -> Result<Self, DspError> {
        Self::check(channels, sample_rate, target)?;
        let (input, meter) = crate::loudness::meter::decode_and_measure(channels, frames, sample_rate, decode)?;
        Ok(Self::new(input, sample_rate, settings, target)?.with_input_report(meter.report()))
    }
}

//! Native hosting of a delivery: a whole master job run on two cores
//! ([`MasterJob::run_with`]) straight into a release file. The CLI's
//! `master` (and any other native command that writes release files) uses
//! [`master_to_file`]; the browser's worker steps the same job and the same
//! [`Delivery`] ([`crate::session::export`]) and gets the same bytes.

use super::{ceiling_for, chain_settings, dither_for, Delivery, DeliverySpec, Measured};
use crate::error::DspError;
use crate::job::{MasterJob, MasterReport};
use crate::loudness::target::Target;
use crate::settings::Settings;
use std::io::{Seek, SeekFrom, Write};

/// What a native delivery gives besides the file.
#[derive(Debug)]
pub struct Mastered {
    /// The settings of the master (with `output.dither` as asked: the
    /// delivery stage applied it).
    pub settings: Settings,
    /// The job's report.
    pub report: MasterReport,
    /// The file's measurements.
    pub measured: Measured,
}

/// A master job for `input` set up for delivery (the chain's output-stage
/// dither off, see [`super::chain_settings`]), from an input already in memory.
pub fn job(input: Vec<Vec<f32>>, sample_rate: u32, settings: &Settings, target: Option<Target>) -> Result<MasterJob, DspError> {
    MasterJob::new(input, sample_rate, chain_settings(*settings), target)
}

/// Runs `job` (made with [`chain_settings`] of `settings`) to the end and
/// writes its master as `spec` to the writer `open` gives, which is called
/// only once the first bytes are ready (so an input given as the output
/// stays whole until the master is). The converted signal is always kept:
/// the master is rendered once.
pub fn master_to_file<W: Write + Seek + Send>(
    job: MasterJob,
    settings: &Settings,
    target: Option<Target>,
    spec: DeliverySpec,
    open: impl FnOnce() -> std::io::Result<W> + Send,
) -> Result<Mastered, String> {
    let (ch, frames, rate) = (job.channels(), job.frames(), job.sample_rate());
    let dither = dither_for(spec.format, &settings.output);
    let mut d = Delivery::new(spec, ch, frames, rate, ceiling_for(settings, target), dither, usize::MAX).map_err(|e| e.to_string())?;
    let mut open = Some(open);
    let mut file: Option<W> = None;
    let mut write = |bytes: Vec<u8>, file: &mut Option<W>| -> std::io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let f = match file {
            Some(f) => f,
            None => file.insert(open.take().expect("opened once")()?),
        };
        f.write_all(&bytes)
    };
    let (result, pushed) = job.run_with(|piece| -> Result<(), String> {
        d.push(piece).map_err(|e| e.to_string())?;
        write(d.take_bytes(), &mut file).map_err(|e| format!("cannot write the file: {e}"))
    });
    pushed?;
    if d.wants_input_again() {
        return Err("the delivery asked for the master again, which a native run never needs".into());
    }
    while !d.step(1 << 20).map_err(|e| e.to_string())? {
        write(d.take_bytes(), &mut file).map_err(|e| format!("cannot write the file: {e}"))?;
    }
    write(d.take_bytes(), &mut file).map_err(|e| format!("cannot write the file: {e}"))?;
    let done = d.finish().map_err(|e: DspError| e.to_string())?;
    let io = |e: std::io::Error| format!("cannot write the file: {e}");
    write(done.tail, &mut file).map_err(io)?;
    let mut f = match file {
        Some(f) => f,
        None => open.take().expect("opened once")().map_err(io)?,
    };
    if let Some(p) = done.header_patch {
        f.seek(SeekFrom::Start(0)).map_err(io)?;
        f.write_all(&p).map_err(io)?;
    }
    f.flush().map_err(io)?;
    let mut settings_out = result.settings;
    settings_out.output.dither = settings.output.dither;
    Ok(Mastered { settings: settings_out, report: result.report, measured: done.measured })
}

//! `lacquer`: the mastering chain and loudness tools on the command line.
//!
//! ```text
//! lacquer master IN.wav -o OUT [--settings FILE.json]
//!                [--platform NAME | --lufs X --ceiling Y] [--report FILE.json]
//!                [--format wav16|wav24|wav32f|flac16|flac24] [--rate source|44100|48000]
//!                [--title T] [--artist A] [--album B] [--year Y] [--isrc CODE] [--no-tags]
//! lacquer analyze IN.wav [--json]
//! lacquer bundle IN.wav -o OUT.zip [--platform NAME] [--loud] [--quiet] [--settings FILE.json]
//!                [--title T] [--artist A] [--album B] [--year Y] [--isrc CODE] [--no-tags]
//! ```
//! Arguments take the form `--name value` (`--json` is a flag). With no target
//! given, `master` aims at Spotify Normal (−14 LUFS, −1 dBTP), exactly as the
//! app's export does. `--platform cd` masters without a loudness target, to a
//! −0.1 dBTP ceiling.
//!
//! `master` writes a release file ([`lacquer_dsp::delivery`]): by default a
//! 24-bit WAV at the source rate; `--format` picks 16-bit WAV (dithered),
//! 32-bit float WAV or FLAC at 16 or 24 bits, `--rate` converts to 44.1 or
//! 48 kHz (only when asked, up or down), and the true-peak ceiling is held on
//! the file's own samples. `--title`, `--artist`, `--album`, `--year` and
//! `--isrc` (CC-XXX-YY-NNNNN, hyphens optional) tag it; `--no-tags` writes
//! none.
//!
//! `bundle` makes a release ZIP ([`lacquer_dsp::bundle`]): the streaming
//! master for the platform (24-bit WAV at the source rate), the CD master
//! (16-bit, 44.1 kHz, dithered), with `--loud` a −11 LUFS and with `--quiet` a
//! −16 LUFS variant, and `report.json` / `report.html` with what every file
//! measures. Files are named from `--artist` and `--title` (or the input's
//! name); the tags go into the files unless `--no-tags` is given.

use lacquer_dsp::job::MasterJob;
use lacquer_dsp::loudness::meter::{self, LoudnessReport};
use lacquer_dsp::loudness::platforms::{self, PlatformPlayback};
use lacquer_dsp::loudness::target::Target;
use lacquer_dsp::{bundle, delivery, wav, Settings};
use std::collections::BTreeMap;
use std::process::ExitCode;

const USAGE: &str = "usage:
  lacquer master IN.wav -o OUT [--settings FILE.json]
                 [--platform NAME | --lufs X --ceiling Y] [--report FILE.json]
                 [--format wav16|wav24|wav32f|flac16|flac24] [--rate source|44100|48000]
                 [--title T] [--artist A] [--album B] [--year Y] [--isrc CODE] [--no-tags]
  lacquer analyze IN.wav [--json]
  lacquer bundle IN.wav -o OUT.zip [--platform NAME] [--loud] [--quiet] [--settings FILE.json]
                 [--title T] [--artist A] [--album B] [--year Y] [--isrc CODE] [--no-tags]

platforms: spotify (default: -14 LUFS, -1 dBTP), spotify-loud, spotify-quiet, apple,
           youtube, tidal, amazon, deezer, soundcloud, cd, ebu-r128";

/// Options that take no value.
const FLAGS: &[&str] = &["json", "loud", "quiet", "no-tags"];

/// Positional arguments and `--name value` options.
struct Args {
    positional: Vec<String>,
    options: BTreeMap<String, String>,
}

fn parse_args(raw: &[String], allowed: &[&str]) -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut options = BTreeMap::new();
    let mut it = raw.iter();
    while let Some(a) = it.next() {
        if let Some(name) = a.strip_prefix("--").or_else(|| (a == "-o").then_some("output")) {
            if !allowed.contains(&name) {
                return Err(format!("unknown option '{a}'\n{USAGE}"));
            }
            let v = if FLAGS.contains(&name) {
                String::new()
            } else {
                it.next().ok_or_else(|| format!("{a} needs a value"))?.clone()
            };
            if options.insert(name.to_string(), v).is_some() {
                return Err(format!("{a} given twice"));
            }
        } else {
            positional.push(a.clone());
        }
    }
    Ok(Args { positional, options })
}

fn opt_f64(args: &Args, name: &str) -> Result<Option<f64>, String> {
    args.options
        .get(name)
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("--{name} takes a number, not '{v}'"))
        })
        .transpose()
}

fn read_audio(path: &str) -> Result<wav::Audio, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    wav::read(&bytes).map_err(|e| format!("{path}: {e}"))
}

fn db(v: Option<f64>, unit: &str) -> String {
    v.map_or("-inf".to_string(), |v| format!("{v:.2} {unit}"))
}

fn cmd_master(args: &Args) -> Result<(), String> {
    let [input] = args.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let output = args.options.get("output").ok_or("master needs -o OUT.wav")?;
    let mut settings = match args.options.get("settings") {
        Some(p) => Settings::from_json(
            &std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))?,
        )?,
        None => Settings::default(),
    };
    let mut target = Some(Target::default());
    if let Some(name) = args.options.get("platform") {
        let p = platforms::find(name).ok_or_else(|| {
            let names: Vec<&str> = platforms::PLATFORMS.iter().map(|p| p.id).collect();
            format!("unknown platform '{name}': choose one of {}", names.join(", "))
        })?;
        target = p.target_lufs.map(|lufs| Target { lufs, ceiling_dbtp: p.ceiling_dbtp });
        settings.limiter.ceiling_dbtp = p.ceiling_dbtp as f32;
    }
    let lufs = opt_f64(args, "lufs")?;
    let ceiling = opt_f64(args, "ceiling")?;
    if lufs.is_some() || ceiling.is_some() {
        let mut t = target.unwrap_or_default();
        if let Some(l) = lufs {
            t.lufs = l;
        }
        if let Some(c) = ceiling {
            t.ceiling_dbtp = c;
            settings.limiter.ceiling_dbtp = c as f32;
        }
        if lufs.is_none() && target.is_none() {
            // `--platform cd --ceiling Y`: a ceiling, still no loudness target.
            settings.limiter.ceiling_dbtp = t.ceiling_dbtp as f32;
        } else {
            target = Some(t);
        }
    }
    if let Some(t) = target {
        t.validate()?;
    }
    let spec = delivery_spec(args)?;
    let result = master_file(input, output, &settings, target, spec)?;
    let r = &result.report;
    let m = &result.measured;
    if let Some(p) = args.options.get("report") {
        let j = serde_json::to_string_pretty(r).map_err(|e| format!("report: {e}"))?;
        std::fs::write(p, j).map_err(|e| format!("cannot write {p}: {e}"))?;
    }
    eprintln!(
        "{input} → {output}: input {} (TP {}), output {} (TP {}, LRA {:.1} LU), \
         gain {:+.3} dB in, {:+.3} dB out, {} passes{}",
        db(r.input_lufs, "LUFS"),
        db(r.input_loudness.true_peak_dbtp, "dBTP"),
        db(r.output_lufs, "LUFS"),
        db(r.output_loudness.true_peak_dbtp, "dBTP"),
        r.output_loudness.lra_lu,
        r.input_gain_db,
        r.output_gain_db,
        r.passes,
        r.target_outcome
            .as_ref()
            .filter(|o| o.proxy_passes > 0)
            .map_or(String::new(), |o| format!(" (+{} over excerpts)", o.proxy_passes)),
    );
    eprintln!(
        "  file: {}, {} Hz, {} frames, TP {} after conversion and dither{}",
        m.format,
        m.sample_rate,
        m.frames,
        db(m.true_peak_dbtp, "dBTP"),
        if m.gain_db != 0.0 { format!(" (gain {:+.3} dB to hold the ceiling)", m.gain_db) } else { String::new() },
    );
    if let Some(w) = &r.warning {
        eprintln!("warning: {w}");
    }
    Ok(())
}

/// Options of `lacquer master`.
const MASTER_OPTIONS: &[&str] = &[
    "output", "settings", "platform", "lufs", "ceiling", "report", "format", "rate", "title", "artist", "album", "year",
    "isrc", "no-tags",
];

/// The release file `master`'s options ask for (`--format`, `--rate`, the
/// tags or `--no-tags`).
fn delivery_spec(args: &Args) -> Result<delivery::DeliverySpec, String> {
    let format = args.options.get("format").map_or(Ok(delivery::Format::Wav24), |f| delivery::Format::parse(f))?;
    let rate = args.options.get("rate").map_or(Ok(delivery::Rate::Source), |r| delivery::Rate::parse(r))?;
    let tag = |name: &str| args.options.get(name).cloned().unwrap_or_default();
    let tags = delivery::Tags { title: tag("title"), artist: tag("artist"), album: tag("album"), year: tag("year"), isrc: tag("isrc") };
    let tags = tags.validated()?;
    let tags = if args.options.contains_key("no-tags") { delivery::Tags::default() } else { tags };
    Ok(delivery::DeliverySpec { format, rate, tags })
}

/// Masters `input` with `settings` to `target` and writes the release file
/// `spec` describes to `output` (created only once its first bytes are
/// ready, so an input given as the output stays whole until then). The
/// common WAV layouts are decoded piece by piece while they are metered.
fn master_file(
    input: &str,
    output: &str,
    settings: &Settings,
    target: Option<Target>,
    spec: delivery::DeliverySpec,
) -> Result<delivery::host::Mastered, String> {
    let chain = delivery::chain_settings(*settings);
    let file = std::fs::File::open(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    let job = match wav::PcmStream::new(file) {
        Some(mut pcm) => {
            let (ch, n, sr) = (pcm.channels(), pcm.frames(), pcm.sample_rate());
            MasterJob::decode_and_measure(ch, n, sr, chain, target, |piece| pcm.read_into(piece))
        }
        None => {
            let audio = read_audio(input)?;
            MasterJob::new(audio.channels, audio.sample_rate, chain, target)
        }
    }
    .map_err(|e| format!("{input}: {e}"))?;
    delivery::host::master_to_file(job, settings, target, spec, || {
        std::fs::File::create(output).map(|f| std::io::BufWriter::with_capacity(1 << 20, f))
    })
    .map_err(|e| format!("{output}: {e}"))
}

fn print_table(rep: &LoudnessReport, rows: &[PlatformPlayback]) {
    println!("integrated   {}", db(rep.integrated_lufs, "LUFS"));
    println!("LRA          {:.2} LU", rep.lra_lu);
    println!("true peak    {}", db(rep.true_peak_dbtp, "dBTP"));
    println!("sample peak  {}", db(rep.sample_peak_dbfs, "dBFS"));
    println!("PLR          {}", db(rep.plr_db, "dB"));
    println!("max short-term {}", db(rep.max_short_term_lufs, "LUFS"));
    println!();
    println!(
        "{:<26} {:>7} {:>8} {:>13} {:>11}  {}",
        "platform", "target", "gain dB", "playback LUFS", "peak dBTP", "verdict"
    );
    for r in rows {
        println!(
            "{:<26} {:>7} {:>+8.2} {:>13} {:>11}  {}",
            r.name,
            r.target_lufs.map_or("-".into(), |t| format!("{t:.0}")),
            r.gain_db,
            r.playback_lufs.map_or("-".into(), |v| format!("{v:.2}")),
            r.playback_peak_dbtp.map_or("-".into(), |v| format!("{v:.2}")),
            r.verdict
        );
    }
}

fn cmd_analyze(args: &Args) -> Result<(), String> {
    let [input] = args.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let file = std::fs::File::open(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    let rep = match wav::PcmStream::new(file) {
        // The common WAV layouts are decoded piece by piece while they are metered.
        Some(mut pcm) if pcm.channels() <= 2 => {
            let (ch, n, sr) = (pcm.channels(), pcm.frames(), pcm.sample_rate());
            let (_, m) = meter::decode_and_measure(ch, n, sr, |piece| pcm.read_into(piece)).map_err(|e| format!("{input}: {e}"))?;
            m.report()
        }
        _ => {
            let audio = read_audio(input)?;
            if audio.channels.len() > 2 {
                return Err(format!("{input}: {} channels: Lacquer meters mono or stereo", audio.channels.len()));
            }
            meter::Meter::new(audio.channels.len(), audio.sample_rate).map_err(|e| format!("{input}: {e}"))?;
            meter::analyze(&audio.channels, audio.sample_rate)
        }
    };
    let rows = platforms::assess(&rep);
    if args.options.contains_key("json") {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            loudness: &'a LoudnessReport,
            platforms: &'a [PlatformPlayback],
        }
        let j = serde_json::to_string_pretty(&Out { loudness: &rep, platforms: &rows })
            .map_err(|e| format!("json: {e}"))?;
        println!("{j}");
    } else {
        print_table(&rep, &rows);
    }
    Ok(())
}

/// Options of `lacquer bundle`.
const BUNDLE_OPTIONS: &[&str] = &[
    "output", "platform", "loud", "quiet", "settings", "title", "artist", "album", "year", "isrc", "no-tags",
];

/// Decodes the bundle's source (the common WAV layouts piece by piece while
/// they are metered).
fn bundle_source(input: &str) -> Result<bundle::make::Source, String> {
    let file = std::fs::File::open(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    let (channels, sample_rate, report) = match wav::PcmStream::new(file) {
        Some(mut pcm) if pcm.channels() <= 2 => {
            let (ch, n, sr) = (pcm.channels(), pcm.frames(), pcm.sample_rate());
            let (audio, m) = meter::decode_and_measure(ch, n, sr, |piece| pcm.read_into(piece))
                .map_err(|e| format!("{input}: {e}"))?;
            (audio, sr, Some(m.report()))
        }
        _ => {
            let audio = read_audio(input)?;
            (audio.channels, audio.sample_rate, None)
        }
    };
    Ok(bundle::make::Source { channels: std::sync::Arc::new(channels), sample_rate, report })
}

fn cmd_bundle(args: &Args) -> Result<(), String> {
    let [input] = args.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let output = args.options.get("output").ok_or("bundle needs -o OUT.zip")?;
    let settings = match args.options.get("settings") {
        Some(p) => Settings::from_json(&std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))?)?,
        None => Settings::default(),
    };
    let tag = |name: &str| args.options.get(name).cloned().unwrap_or_default();
    let meta = bundle::BundleMeta {
        settings,
        platform: args.options.get("platform").cloned().unwrap_or_else(|| platforms::PLATFORMS[0].id.to_string()),
        tags: bundle::Tags {
            title: tag("title"),
            artist: tag("artist"),
            album: tag("album"),
            year: tag("year"),
            isrc: tag("isrc"),
        },
        tags_in_files: !args.options.contains_key("no-tags"),
        source_name: input.clone(),
    };
    // Checks the platform and the tags before the work starts.
    bundle::BundleBuilder::new(meta.clone())?;
    let source = bundle_source(input)?;
    let (loud, quiet) = (args.options.contains_key("loud"), args.options.contains_key("quiet"));
    let builder = bundle::make::make_files(&source, &meta, loud, quiet).map_err(|e| format!("{input}: {e}"))?;
    drop(source);
    let report = builder.report();
    let file = std::fs::File::create(output).map_err(|e| format!("cannot write {output}: {e}"))?;
    let written = builder.finish_to(std::io::BufWriter::with_capacity(1 << 20, file))?;
    written.into_inner().map_err(|e| format!("cannot write {output}: {e}"))?;
    eprintln!("{input} → {output}:");
    for f in &report.files {
        let m = &f.measured;
        eprintln!(
            "  {}  {}, TP {} (16×), LRA {:.1} LU, {}",
            f.name,
            db(m.integrated_lufs, "LUFS"),
            db(m.true_peak_dbtp, "dBTP"),
            m.lra_lu,
            if f.checks.all_ok() { "checks pass" } else { "CHECKS FAIL" }
        );
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = raw.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "master" => parse_args(rest, MASTER_OPTIONS).and_then(|a| cmd_master(&a)),
        "analyze" => parse_args(rest, &["json"]).and_then(|a| cmd_analyze(&a)),
        "bundle" => parse_args(rest, BUNDLE_OPTIONS).and_then(|a| cmd_bundle(&a)),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command '{other}'\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lacquer: {e}");
            ExitCode::FAILURE
        }
    }
}

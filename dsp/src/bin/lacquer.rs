//! `lacquer`: the mastering chain on the command line.
//!
//! ```text
//! lacquer master IN.wav -o OUT.wav [--settings FILE.json] [--lufs X --ceiling Y]
//! ```
//! Arguments take the form `--name value`. With no target given, `master` aims at
//! Spotify Normal (−14 LUFS, −1 dBTP), exactly as the app's export does.

use lacquer_dsp::job::MasterJob;
use lacquer_dsp::loudness::target::Target;
use lacquer_dsp::{wav, Settings};
use std::collections::HashMap;
use std::process::ExitCode;

const USAGE: &str = "usage:
  lacquer master IN.wav -o OUT.wav [--settings FILE.json] [--lufs X] [--ceiling Y]";

/// Positional arguments and `--name value` options.
struct Args {
    positional: Vec<String>,
    options: HashMap<String, String>,
}

fn parse_args(raw: &[String]) -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut options = HashMap::new();
    let mut it = raw.iter();
    while let Some(a) = it.next() {
        if let Some(name) = a.strip_prefix("--").or_else(|| (a == "-o").then_some("output")) {
            let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
            options.insert(name.to_string(), v.clone());
        } else {
            positional.push(a.clone());
        }
    }
    Ok(Args { positional, options })
}

fn opt_f64(args: &Args, name: &str) -> Result<Option<f64>, String> {
    args.options
        .get(name)
        .map(|v| v.parse::<f64>().map_err(|_| format!("--{name} takes a number, not '{v}'")))
        .transpose()
}

fn cmd_master(args: &Args) -> Result<(), String> {
    let [input] = args.positional.as_slice() else {
        return Err(USAGE.into());
    };
    let output = args.options.get("output").ok_or("master needs -o OUT.wav")?;
    let settings = match args.options.get("settings") {
        Some(p) => Settings::from_json(
            &std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))?,
        )?,
        None => Settings::default(),
    };
    let mut target = Target::default();
    if let Some(l) = opt_f64(args, "lufs")? {
        target.lufs = l;
    }
    if let Some(c) = opt_f64(args, "ceiling")? {
        target.ceiling_dbtp = c;
    }
    let bytes = std::fs::read(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    let audio = wav::read(&bytes).map_err(|e| format!("{input}: {e}"))?;
    let job = MasterJob::new(audio.channels, audio.sample_rate, settings, Some(target))
        .map_err(|e| format!("{input}: {e}"))?;
    let result = job.run();
    let out = wav::write_pcm(&result.channels, result.sample_rate, 24);
    std::fs::write(output, out).map_err(|e| format!("cannot write {output}: {e}"))?;
    let r = &result.report;
    let fmt = |v: Option<f64>| v.map_or("silence".to_string(), |v| format!("{v:.2} LUFS"));
    eprintln!(
        "{input} → {output}: input {}, output {}, gain {:+.2} dB",
        fmt(r.input_lufs),
        fmt(r.output_lufs),
        r.input_gain_db
    );
    Ok(())
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = raw.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = parse_args(rest).and_then(|args| match cmd.as_str() {
        "master" => cmd_master(&args),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command '{other}'\n{USAGE}")),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lacquer: {e}");
            ExitCode::FAILURE
        }
    }
}

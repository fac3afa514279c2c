//! Release files checked by independent tools: ffprobe (format code, rate,
//! bits, length), Debian's `flac -t` and `flac -d` (FLAC files decode, bit
//! for bit, with the MD5 in STREAMINFO matching), sox (reads the files), and
//! the tags as ffprobe reads them. A missing tool is a failure with a clear
//! message (scripts/install.sh installs them), not a skip.

use lacquer_dsp::delivery::{DeliverySpec, Delivery, DitherSpec, Format, Rate, Tags};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `tool` with `args`; fails clearly when the tool is missing.
fn run(tool: &str, args: &[&str]) -> std::process::Output {
    Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} could not be run ({e}): install it with scripts/install.sh"))
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("lacquer-delivery-formats-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A deterministic test signal: two tones and noise, under full scale.
/// The next value of a xorshift generator, uniform in −0.5..0.5.
fn xorshift(s: &mut u32) -> f64 {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    *s as f64 / u32::MAX as f64 - 0.5
}

fn signal(channels: usize, n: usize, fs: f64) -> Vec<Vec<f32>> {
    let mut s = 0x1234_5678u32;
    (0..channels)
        .map(|c| {
            (0..n)
                .map(|i| {
                    let t = i as f64 / fs;
                    let noise = xorshift(&mut s) * 0.05;
                    (0.4 * (2.0 * std::f64::consts::PI * (440.0 + 110.0 * c as f64) * t).sin()
                        + 0.2 * (2.0 * std::f64::consts::PI * 5_000.0 * t).sin()
                        + noise) as f32
                })
                .collect()
        })
        .collect()
}

/// Delivers `x` whole through the streaming API in uneven pieces: the file's
/// bytes (header patch applied) and the measurements.
pub fn deliver(x: &[Vec<f32>], fs: u32, spec: DeliverySpec, ceiling: Option<f64>, keep: usize) -> (Vec<u8>, lacquer_dsp::delivery::Measured) {
    let n = x[0].len();
    let mut d = Delivery::new(spec, x.len(), n, fs, ceiling, DitherSpec::default(), keep).unwrap();
    let mut bytes = Vec::new();
    loop {
        let mut at = 0;
        let mut k = 0;
        while at < n {
            let len = [1000, 7, 4096, 33_333][k % 4].min(n - at);
            let piece: Vec<&[f32]> = x.iter().map(|c| &c[at..at + len]).collect();
            d.push(&piece).unwrap();
            bytes.extend(d.take_bytes());
            at += len;
            k += 1;
        }
        if !d.wants_input_again() {
            break;
        }
    }
    while !d.step(10_000).unwrap() {
        bytes.extend(d.take_bytes());
    }
    bytes.extend(d.take_bytes());
    let done = d.finish().unwrap();
    bytes.extend(&done.tail);
    if let Some(p) = &done.header_patch {
        bytes[..p.len()].copy_from_slice(p);
    }
    (bytes, done.measured)
}

/// ffprobe's view of a file's first stream: codec, sample format, rate,
/// channels, bits, duration in samples, and the tags.
fn probe(path: &Path) -> serde_json::Value {
    let out = run(
        "ffprobe",
        &["-v", "error", "-show_streams", "-show_format", "-count_packets", "-of", "json", path.to_str().unwrap()],
    );
    assert!(out.status.success(), "ffprobe failed on {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The WAV file's format code and the ids of its chunks, in order.
fn wav_chunks(bytes: &[u8]) -> (u16, Vec<String>) {
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize, bytes.len() - 8, "RIFF size");
    let mut at = 12;
    let mut ids = Vec::new();
    let mut code = 0;
    while at < bytes.len() {
        let id = String::from_utf8_lossy(&bytes[at..at + 4]).to_string();
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if id == "fmt " {
            code = u16::from_le_bytes([bytes[at + 8], bytes[at + 9]]);
        }
        ids.push(id);
        at += 8 + size + size % 2;
    }
    assert_eq!(at, bytes.len(), "the chunks fill the file exactly");
    (code, ids)
}

/// The samples of a 16- or 24-bit WAV's data chunk as integers.
fn wav_ints(bytes: &[u8]) -> Vec<i32> {
    let r = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
    let mut r = r;
    r.samples::<i32>().map(Result::unwrap).collect()
}

fn full_tags() -> Tags {
    Tags {
        title: "Night Drive".into(),
        artist: "The Testers".into(),
        album: "Signals".into(),
        year: "2026".into(),
        isrc: "GB-AYE-26-00001".into(),
    }
}

#[test]
fn wav_files_have_plain_format_codes_and_tags_before_the_data() {
    let d = dir();
    for (format, code, fmt) in [(Format::Wav16, 1, "s16"), (Format::Wav24, 1, "s32"), (Format::Wav32f, 3, "flt")] {
        for channels in [1usize, 2] {
            for tagged in [true, false] {
                let x = signal(channels, 20_001, 44_100.0);
                let tags = if tagged { full_tags() } else { Tags::default() };
                let spec = DeliverySpec { format, rate: Rate::Source, tags };
                let (bytes, m) = deliver(&x, 44_100, spec, Some(-1.0), usize::MAX);
                let (c, ids) = wav_chunks(&bytes);
                assert_eq!(c, code, "{format:?} {channels} ch: format code");
                let want: Vec<&str> = if tagged { vec!["fmt ", "LIST", "data"] } else { vec!["fmt ", "data"] };
                let want: Vec<&str> = if format == Format::Wav32f { let mut w = want; w.insert(1, "fact"); w } else { want };
                assert_eq!(ids, want, "{format:?} {channels} ch tagged {tagged}: chunks");
                assert_eq!(m.frames, 20_001);
                let path = d.join(format!("{}-{channels}-{tagged}.wav", format.name()));
                std::fs::write(&path, &bytes).unwrap();
                let p = probe(&path);
                let s = &p["streams"][0];
                assert_eq!(s["sample_fmt"], fmt, "{format:?}");
                assert_eq!(s["sample_rate"], "44100");
                assert_eq!(s["channels"], channels);
                assert_eq!(s["bits_per_sample"], format.bits() as u64);
                assert_eq!(s["duration_ts"], 20_001);
                let tags = &p["format"]["tags"];
                if tagged {
                    assert_eq!(tags["title"], "Night Drive");
                    assert_eq!(tags["artist"], "The Testers");
                    assert_eq!(tags["album"], "Signals");
                    assert_eq!(tags["date"], "2026");
                    assert_eq!(tags["ISRC"].as_str().or(tags["isrc"].as_str()), Some("GBAYE2600001"), "{tags}");
                } else {
                    assert!(tags.is_null() || tags.as_object().unwrap().is_empty(), "no tags: {tags}");
                }
                let sox = run("sox", &["--i", "-s", path.to_str().unwrap()]);
                assert!(sox.status.success(), "sox reads {}", path.display());
                assert_eq!(String::from_utf8_lossy(&sox.stdout).trim(), "20001");
            }
        }
    }
}

/// `flac -t` accepts the file (MD5 included) and `flac -d` gives back
/// exactly the samples encoded, which are those of the same delivery as WAV.
fn check_flac(x: &[Vec<f32>], fs: u32, format: Format, rate: Rate, tags: Tags, name: &str) -> Vec<u8> {
    let d = dir();
    let spec = DeliverySpec { format, rate, tags: tags.clone() };
    let (bytes, m) = deliver(x, fs, spec, Some(-1.0), usize::MAX);
    let path = d.join(format!("{name}.flac"));
    std::fs::write(&path, &bytes).unwrap();
    let t = run("flac", &["-t", "-s", "-w", path.to_str().unwrap()]);
    assert!(t.status.success(), "{name}: flac -t: {}", String::from_utf8_lossy(&t.stderr));
    let decoded = d.join(format!("{name}.decoded.wav"));
    let _ = std::fs::remove_file(&decoded);
    let dec = run("flac", &["-d", "-s", "-f", "-o", decoded.to_str().unwrap(), path.to_str().unwrap()]);
    assert!(dec.status.success(), "{name}: flac -d: {}", String::from_utf8_lossy(&dec.stderr));
    let got = std::fs::read(&decoded).unwrap();
    // The same delivery as a WAV of the same word length: the same samples.
    let wav_format = if format == Format::Flac16 { Format::Wav16 } else { Format::Wav24 };
    let (wav, _) = deliver(x, fs, DeliverySpec { format: wav_format, rate, tags }, Some(-1.0), usize::MAX);
    let (a, b) = (wav_ints(&got), wav_ints(&wav));
    assert_eq!(a.len(), b.len(), "{name}: length");
    assert!(a == b, "{name}: flac -d gives back exactly the samples");
    assert_eq!(a.len(), m.frames * x.len());
    // STREAMINFO: block sizes, frame sizes, total samples, MD5 as `metaflac` reads them.
    let info = run("metaflac", &["--show-min-blocksize", "--show-max-blocksize", "--show-total-samples", "--show-md5sum", path.to_str().unwrap()]);
    if info.status.success() {
        let s = String::from_utf8_lossy(&info.stdout).to_string();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[2], m.frames.to_string(), "{name}: total samples");
        assert_ne!(lines[3], "00000000000000000000000000000000", "{name}: MD5 set");
    }
    bytes
}

#[test]
fn flac_files_pass_flac_t_and_decode_bit_exact() {
    // Odd lengths (not a multiple of the 4096-frame block), mono, 24-bit,
    // 96 kHz, one block shorter than 4096, and a rate conversion.
    let cases: Vec<(usize, usize, u32, Format, Rate, bool)> = vec![
        (2, 44_100 * 2 + 1234, 44_100, Format::Flac16, Rate::Source, true),
        (2, 44_100 * 2 + 1234, 44_100, Format::Flac24, Rate::Source, false),
        (1, 30_001, 48_000, Format::Flac24, Rate::Source, true),
        (1, 30_001, 48_000, Format::Flac16, Rate::Source, false),
        (2, 96_000 + 77, 96_000, Format::Flac24, Rate::Source, true),
        (2, 1_000, 44_100, Format::Flac16, Rate::Source, false),
        (2, 48_000 + 5, 48_000, Format::Flac16, Rate::Hz(44_100), true),
    ];
    for (i, (ch, n, fs, format, rate, tagged)) in cases.into_iter().enumerate() {
        let x = signal(ch, n, fs as f64);
        let tags = if tagged { full_tags() } else { Tags::default() };
        let name = format!("case{i}-{}-{ch}ch-{n}-{fs}", format.name());
        let bytes = check_flac(&x, fs, format, rate, tags, &name);
        let p = probe(&dir().join(format!("{name}.flac")));
        let tags = &p["format"]["tags"];
        if tagged {
            assert_eq!(tags["TITLE"].as_str().or(tags["title"].as_str()), Some("Night Drive"), "{name}: {tags}");
            assert_eq!(tags["ISRC"].as_str().or(tags["isrc"].as_str()), Some("GBAYE2600001"), "{name}: {tags}");
        }
        assert_eq!(&bytes[..4], b"fLaC");
    }
}

#[test]
fn bad_isrc_is_refused_clearly() {
    let spec = DeliverySpec { format: Format::Wav24, rate: Rate::Source, tags: Tags { isrc: "GB-AYE-26-001".into(), ..Tags::default() } };
    let e = Delivery::new(spec, 2, 100, 44_100, None, DitherSpec::default(), usize::MAX).err().unwrap();
    assert!(e.to_string().contains("CC-XXX-YY-NNNNN"), "{e}");
}

/// A loud, noisy 24-bit master (which `flacenc`'s Rice coder alone makes
/// many times larger than its WAV) stays within its WAV's size as FLAC, and
/// still passes `flac -t` and decodes bit-exact.
#[test]
fn noisy_24_bit_flac_is_never_larger_than_its_wav() {
    let n = 48_000 * 3 + 11;
    let mut s = 0x9E37_79B9u32;
    let x: Vec<Vec<f32>> = (0..2)
        .map(|_| {
            (0..n).map(|_| (xorshift(&mut s) * 1.2) as f32).collect()
        })
        .collect();
    let flac = check_flac(&x, 48_000, Format::Flac24, Rate::Source, Tags::default(), "noisy-24");
    let spec = DeliverySpec { format: Format::Wav24, rate: Rate::Source, tags: Tags::default() };
    let (wav, _) = deliver(&x, 48_000, spec, Some(-1.0), usize::MAX);
    assert!(flac.len() <= wav.len() + wav.len() / 100, "FLAC {} bytes, WAV {} bytes", flac.len(), wav.len());
}

#!/usr/bin/env python3
"""Master-to-target, side by side: `lacquer master` against ffmpeg's two-pass
`loudnorm`, on the same generated files, to the same target (-14 LUFS, -1 dBTP).

For each file and tool it prints the loudness error (integrated loudness of the
output by pyloudnorm, an independent BS.1770 meter, minus the target), the
true peak and the LRA before and after (ffmpeg's `ebur128` filter, a third
implementation, with 4x true-peak oversampling), and the wall time (median of
--runs runs; for ffmpeg, both passes together).

    python3 bench/loudnorm_vs_lacquer.py [--lacquer target/release/lacquer]
            [--minutes 4] [--runs 3] [--keep DIR]

ffmpeg is run the way its documentation recommends for file-based work: pass 1
measures with `print_format=json`; pass 2 feeds the measured values back with
`linear=true`, and is written as 24-bit PCM at the source rate (loudnorm works
at 192 kHz internally). loudnorm's LRA target is raised to 20 LU so that it can
stay linear (plain gain) on every file whose true peak allows it; where the peak
does not, loudnorm itself falls back to its dynamic mode, and the table says so.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyloudnorm as pyln
import soundfile as sf

TARGET_LUFS = -14.0
TARGET_TP = -1.0


# ---------------------------------------------------------------- signals ---

def _norm_peak(x, dbfs):
    return x * (10 ** (dbfs / 20) / np.max(np.abs(x)))


def _onepole_lowpass(x, a):
    from scipy.signal import lfilter
    return lfilter([1 - a], [1, -a], x)


def pop_mix(sr, secs, rng):
    """A 118 BPM pop arrangement: kick, snare, hats, bass, a chord pad; quiet
    verse, full chorus, breakdown. Peak -1 dBFS, around -17 LUFS."""
    n = int(secs * sr)
    t = np.arange(n) / sr
    beat = 60 / 118
    tb = t % beat
    beat_no = (t // beat).astype(int)
    section = np.select([t < secs * 0.35, t < secs * 0.8], [0.5, 1.0], 0.7)
    kick = 0.9 * np.exp(-tb / 0.22) * np.sin(2 * np.pi * (48 * tb + 110 * 0.035 * (1 - np.exp(-tb / 0.035))))
    noise = rng.uniform(-1, 1, n)
    snare = np.where(beat_no % 2 == 1,
                     0.5 * np.exp(-tb / 0.11) * noise + 0.3 * np.exp(-tb / 0.07) * np.sin(2 * np.pi * 190 * tb), 0)
    te = t % (beat / 2)
    hats = 0.1 * np.exp(-te / 0.02) * np.diff(noise, prepend=0)
    bar = (t // (4 * beat)).astype(int)
    roots = np.array([55.0, 41.2, 49.0, 61.7])[bar % 4]
    bass = sum(np.sin(2 * np.pi * roots * h * t) / h for h in range(1, 7))
    bass *= 0.25 * (0.5 + 0.5 * np.exp(-tb / 0.25))
    pad = sum(np.sin(2 * np.pi * roots * 4 * r * t + r) for r in (1.0, 1.26, 1.5, 2.0)) * 0.05
    pan = 0.5 + 0.4 * np.sin(2 * np.pi * 0.05 * t)
    bed_l = _onepole_lowpass(rng.uniform(-1, 1, n), 0.99) * 0.6
    bed_r = _onepole_lowpass(rng.uniform(-1, 1, n), 0.99) * 0.6
    common = section * (kick + snare + bass)
    left = common + section * (hats * pan + pad * (1 - pan)) + bed_l
    right = common + section * (hats * (1 - pan) + pad * pan) + bed_r
    return _norm_peak(np.stack([left, right], 1), -1.0)


def loud_edm(sr, secs, rng):
    """A dense, already-limited club track: four-on-the-floor, sustained
    supersaw, soft-clipped to a crest factor of about 8 dB (around -8 LUFS)."""
    n = int(secs * sr)
    t = np.arange(n) / sr
    beat = 60 / 128
    tb = t % beat
    kick = np.exp(-tb / 0.15) * np.sin(2 * np.pi * (45 * tb + 120 * 0.03 * (1 - np.exp(-tb / 0.03))))
    saw_l = sum(np.sin(2 * np.pi * 110 * d * h * t) / h for d in (0.995, 1.0, 1.007) for h in range(1, 12))
    saw_r = sum(np.sin(2 * np.pi * 110 * d * h * t + 0.7) / h for d in (0.993, 1.0, 1.005) for h in range(1, 12))
    duck = 1 - 0.6 * np.exp(-tb / 0.12)
    hats = 0.15 * np.exp(-(t % (beat / 4)) / 0.015) * np.diff(rng.uniform(-1, 1, n), prepend=0)
    left = np.tanh(1.8 * (1.1 * kick + 0.12 * duck * saw_l + hats))
    right = np.tanh(1.8 * (1.1 * kick + 0.12 * duck * saw_r + hats))
    return _norm_peak(np.stack([left, right], 1), -0.3)


def acoustic(sr, secs, rng):
    """Fingerpicked guitar-like plucks and a quiet room: sparse, wide dynamic
    range (quiet intro, swells), peaks at -1 dBFS but around -25 LUFS."""
    n = int(secs * sr)
    out = np.zeros((n, 2))
    step = 0.3
    freqs = [196.0, 246.9, 293.7, 392.0, 329.6, 246.9]
    k = 0
    pos = 0.0
    while pos < secs - 3:
        i0 = int(pos * sr)
        m = min(int(3 * sr), n - i0)
        tt = np.arange(m) / sr
        f = freqs[k % len(freqs)] * (2 if (k // 24) % 3 == 2 else 1)
        tone = sum(np.sin(2 * np.pi * f * h * tt) * np.exp(-tt * (1.5 + h)) / h ** 1.3 for h in range(1, 9))
        attack = np.exp(-tt / 0.004) * rng.uniform(-1, 1, m) * 0.3
        swell = 0.25 + 0.75 * (0.5 - 0.5 * np.cos(2 * np.pi * pos / 40.0)) if pos > 20 else 0.15
        p = 0.5 + 0.35 * np.sin(k * 1.7)
        v = swell * (0.7 + 0.3 * rng.uniform())
        out[i0:i0 + m, 0] += v * (tone + attack) * (1 - p)
        out[i0:i0 + m, 1] += v * (tone + attack) * p
        k += 1
        pos += step * (1 + 0.5 * (k % 3 == 0))
    out += 0.002 * rng.standard_normal((n, 2))
    return _norm_peak(out, -1.0)


FILES = [
    ("pop-mix", 44_100, pop_mix),
    ("loud-edm", 48_000, loud_edm),
    ("acoustic", 44_100, acoustic),
]


# ----------------------------------------------------------------- meters ---

def lufs(path):
    data, rate = sf.read(path)
    return float(pyln.Meter(rate, filter_class="DeMan").integrated_loudness(data))


def ebur128(path):
    """(integrated LUFS, LRA LU, true peak dBTP) by ffmpeg's ebur128 filter."""
    r = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", path, "-af",
                        "ebur128=peak=true", "-f", "null", "-"],
                       capture_output=True, text=True, check=True)
    summary = r.stderr[r.stderr.rfind("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    lra = float(re.search(r"LRA:\s+(-?[\d.]+) LU", summary).group(1))
    tp = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return i, lra, tp


# ------------------------------------------------------------------ tools ---

def timed(cmd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return dt, r.stderr


def run_lacquer(exe, src, dst):
    dt, _ = timed([exe, "master", src, "-o", dst, "--lufs", str(TARGET_LUFS), "--ceiling", str(TARGET_TP)])
    return dt, "chain"


def _loudnorm_json(stderr):
    return json.loads(stderr[stderr.rfind("{"):stderr.rfind("}") + 1])


def run_ffmpeg(src, dst, rate):
    base = f"loudnorm=I={TARGET_LUFS}:TP={TARGET_TP}:LRA=20"
    dt1, err1 = timed(["ffmpeg", "-hide_banner", "-nostats", "-y", "-i", src,
                       "-af", base + ":print_format=json", "-f", "null", "-"])
    m = _loudnorm_json(err1)
    second = (f"{base}:measured_I={m['input_i']}:measured_TP={m['input_tp']}"
              f":measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}"
              f":offset={m['target_offset']}:linear=true:print_format=json")
    dt2, err2 = timed(["ffmpeg", "-hide_banner", "-nostats", "-y", "-i", src, "-af", second,
                       "-ar", str(rate), "-c:a", "pcm_s24le", dst])
    mode = _loudnorm_json(err2).get("normalization_type", "?")
    return dt1 + dt2, mode


# ------------------------------------------------------------------- main ---

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--lacquer", default=os.path.join(root, "target/release/lacquer"))
    ap.add_argument("--minutes", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", help="write the files here and keep them")
    a = ap.parse_args()
    if not os.access(a.lacquer, os.X_OK):
        sys.exit(f"{a.lacquer} not found: cargo build -p lacquer-dsp --release --bin lacquer")
    if not shutil.which("ffmpeg"):
        sys.exit("ffmpeg not found: apt-get install ffmpeg")
    ver = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    work = a.keep or tempfile.mkdtemp(prefix="lacquer-bench-")
    os.makedirs(work, exist_ok=True)
    print(f"# {ver}; target {TARGET_LUFS} LUFS, {TARGET_TP} dBTP; {a.minutes:g} min per file; "
          f"wall time is the median of {a.runs} runs\n")
    rows = []
    speedups = []
    for name, rate, gen in FILES:
        src = os.path.join(work, f"{name}.wav")
        sf.write(src, gen(rate, a.minutes * 60, np.random.default_rng(7)).astype(np.float32),
                 rate, subtype="PCM_24")
        _, lra_in, tp_in = ebur128(src)
        i_in = lufs(src)
        times = {}
        for tool in ("lacquer", "ffmpeg loudnorm (2-pass)"):
            dst = os.path.join(work, f"{name}.{'lacquer' if tool == 'lacquer' else 'loudnorm'}.wav")
            runs = []
            for _ in range(a.runs):
                dt, mode = run_lacquer(a.lacquer, src, dst) if tool == "lacquer" else run_ffmpeg(src, dst, rate)
                runs.append(dt)
            wall = statistics.median(runs)
            times[tool] = wall
            _, lra_out, tp_out = ebur128(dst)
            err = lufs(dst) - TARGET_LUFS
            rows.append((f"{name} ({rate // 1000}.{rate % 1000 // 100} kHz)", tool, mode, i_in, err,
                         tp_in, tp_out, lra_in, lra_out, wall))
        speedups.append(times["ffmpeg loudnorm (2-pass)"] / times["lacquer"])

    print("| File | Tool | Mode | Input LUFS | Loudness error LU | TP in | TP out dBTP | LRA in | LRA out | Wall s |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.2f} | {r[4]:+.3f} | {r[5]:.2f} | {r[6]:.2f} | "
              f"{r[7]:.1f} | {r[8]:.1f} | {r[9]:.2f} |")
    print()
    for (name, _, _), s in zip(FILES, speedups):
        print(f"{name}: lacquer is {s:.1f}x faster")
    worst = {t: max(abs(r[4]) for r in rows if r[1] == t) for t in ("lacquer", "ffmpeg loudnorm (2-pass)")}
    print(f"worst |loudness error|: lacquer {worst['lacquer']:.3f} LU, "
          f"ffmpeg {worst['ffmpeg loudnorm (2-pass)']:.3f} LU")
    over = [r for r in rows if r[6] > TARGET_TP]
    for r in over:
        print(f"over the ceiling: {r[0]} {r[1]} {r[6]:.2f} dBTP")
    if not a.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

"""Independent meters for the end-to-end tests (none of Lacquer's code).

- Loudness: pyloudnorm's BS.1770 meter with the DeMan filter class.
- True peak: 16x oversampling by a Kaiser-windowed sinc interpolator with
  64 taps either side of each phase (scipy's polyphase resampler), the peak
  of the oversampled signal and of the samples themselves.
- Alignment: where a recording sits in a reference signal, by FFT
  cross-correlation.

Called by tests/lib/loudness.mjs with one JSON request (or {"batch": [...]}
of them) on stdin; answers with JSON on stdout. Audio comes as files: a WAV ("wav") or raw
little-endian float32, planar, one channel after the other ("raw").
"""
import json
import sys

import numpy as np
import pyloudnorm
import soundfile
from scipy import signal

OS = 16
HALF_TAPS = 64


def read(src):
    if src["kind"] == "wav":
        data, rate = soundfile.read(src["path"], dtype="float64", always_2d=True)
        return data, rate
    raw = np.fromfile(src["path"], dtype="<f4").astype(np.float64)
    nch = src["channels"]
    frames = raw.size // nch
    return raw[: frames * nch].reshape(nch, frames).T.copy(), src["rate"]


_KERNEL = signal.firwin(2 * HALF_TAPS * OS + 1, 1.0 / OS, window=("kaiser", 10.0))


def true_peak(x):
    """Largest absolute value of x oversampled 16x, linear."""
    peak = 0.0
    for c in range(x.shape[1]):
        ch = x[:, c]
        up = signal.resample_poly(ch, OS, 1, window=_KERNEL)
        peak = max(peak, float(np.max(np.abs(up))), float(np.max(np.abs(ch))))
    return peak


def db(v):
    return 20 * np.log10(v) if v > 0 else None


def measure(req):
    x, rate = read(req["audio"])
    start = int(round(req.get("from_s", 0) * rate))
    end = x.shape[0] if req.get("to_s") is None else int(round(req["to_s"] * rate))
    x = x[start:end]
    out = {"rate": rate, "channels": x.shape[1], "frames": x.shape[0]}
    meter = pyloudnorm.Meter(rate, filter_class="DeMan")
    lufs = meter.integrated_loudness(x if x.shape[1] > 1 else x[:, 0])
    out["lufs"] = None if not np.isfinite(lufs) else float(lufs)
    out["sample_peak_dbfs"] = db(float(np.max(np.abs(x))))
    if req.get("true_peak", True):
        out["true_peak_dbtp"] = db(true_peak(x))
    return out


def align(req):
    """Offset (frames) of the recording in the reference where they match
    best (the first channel of each), and the normalised correlation there."""
    rec, _ = read(req["audio"])
    ref, _ = read(req["reference"])
    a, b = rec[:, 0], ref[:, 0]
    n = 1 << int(np.ceil(np.log2(a.size + b.size)))
    xc = np.fft.irfft(np.fft.rfft(b, n) * np.conj(np.fft.rfft(a, n)), n)
    lag = int(np.argmax(xc[: b.size]))
    seg = b[lag : lag + a.size]
    m = min(seg.size, a.size)
    corr = float(np.dot(a[:m], seg[:m]) / (np.linalg.norm(a[:m]) * np.linalg.norm(seg[:m]) + 1e-30))
    return {"offset": lag, "correlation": corr}


def main():
    req = json.load(sys.stdin)
    ops = {"measure": measure, "align": align}
    if "batch" in req:
        json.dump([ops[r["op"]](r) for r in req["batch"]], sys.stdout)
    else:
        json.dump(ops[req["op"]](req), sys.stdout)


if __name__ == "__main__":
    main()

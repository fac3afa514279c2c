// Lacquer's engine worker, release part (loaded by lacquer-worker.js with
// importScripts, sharing its globals: wasm, host, check, putBytes, Sink,
// startTask, guard, yieldNow, post):
//
// - bundle: the release bundle (lqs_bundle_*), made a piece at a time over
//   the loaded audio; the ZIP goes to a file in the origin-private file
//   system (or Blob parts), with where each entry lies in it;
// - verify: a delivered file as the page decoded it again with the browser's
//   decodeAudioData arrives channel by channel, and is measured here a piece
//   at a time (lqs_verify_*: loudness, 16× true peak, length);
// - codec check: those channels encoded to Opus at 160 kbps through
//   WebCodecs and decoded again, for the peak a listener on a lossy
//   platform gets.
//
// Like the rest of the worker, long work runs in slices of about SLICE_MS.

const BUNDLE_BUDGET = 1 << 15;         // frames of work per bundle call
const VERIFY_BUDGET = 1 << 16;         // frames measured per verify call
const ZIP_PIECE = 8 << 20;             // bytes of the ZIP copied out at a time
const OPUS_BITRATE = 160000;           // bits/s of the codec check
const OPUS_CHUNK = 48000;              // frames per AudioData handed to the encoder

let verifying = null;  // { id, channels, frames, rate, data: [], cancelled }

function phaseText() {
  return utf8.decode(new Uint8Array(mem(), wasm.lqs_export_phase(host), wasm.lqs_export_phase_len(host)));
}

// ---- bundle ---------------------------------------------------------------------

async function runBundle(id, metaJson, loud, quiet) {
  const t = startTask(id, 'export');
  const started = performance.now();
  check(wasm.lqs_bundle_start(host, putBytes(utf8Encode.encode(metaJson)), loud ? 1 : 0, quiet ? 1 : 0));
  jobOwner = t;
  let sink = null;
  try {
    let sliceStart = performance.now();
    for (;;) {
      guard(t);
      if (check(wasm.lqs_bundle_step(host, BUNDLE_BUDGET))) break;
      if (performance.now() - sliceStart > SLICE_MS) {
        post({ type: 'progress', id, stage: 'export', fraction: wasm.lqs_export_fraction(host), phase: phaseText() });
        await yieldNow();
        sliceStart = performance.now();
      }
    }
    check(wasm.lqs_bundle_finish(host));
    jobOwner = null;
    const done = JSON.parse(outText());
    sink = await Sink.open(id, 'zip');
    const len = wasm.lqs_zip_len(host);
    for (let at = 0; at < len; at += ZIP_PIECE) {
      const n = Math.min(ZIP_PIECE, len - at);
      sink.write(new Uint8Array(mem(), wasm.lqs_zip_ptr(host) + at, n));
    }
    wasm.lqs_zip_drop(host);
    const file = await sink.finish();
    post({ type: 'bundled', id, file, done, ms: performance.now() - started });
  } catch (e) {
    if (jobOwner === t) { wasm.lqs_bundle_cancel(host); jobOwner = null; }
    wasm.lqs_zip_drop(host);
    if (sink) await sink.abort();
    throw e;
  } finally {
    if (task === t) task = null;
  }
}

// ---- verify ---------------------------------------------------------------------

function verifyBegin(id, channels, frames, rate) {
  if (verifying) verifying.cancelled = true;
  check(wasm.lqs_verify_begin(host, channels, frames, rate));
  verifying = { id, channels, frames, rate, data: [], cancelled: false };
}

function verifyChannel(id, c, offset, data) {
  if (!verifying || verifying.id !== id) return;
  const ptr = wasm.lqs_verify_ptr(host, c);
  if (!ptr) throw new EngineError('no storage for that channel');
  new Float32Array(mem(), ptr + 4 * offset, data.length).set(data);
  if (!verifying.data[c]) verifying.data[c] = [];
  verifying.data[c].push({ offset, data });
}

async function verifyEnd(id, opus) {
  const v = verifying;
  if (!v || v.id !== id) return;
  const started = performance.now();
  // The codec check runs on the browser's codec thread meanwhile.
  const codec = opus ? opusRoundTrip(v).catch((e) => ({ error: String((e && e.message) || e) })) : null;
  let sliceStart = performance.now();
  while (!check(wasm.lqs_verify_step(host, VERIFY_BUDGET))) {
    if (performance.now() - sliceStart > SLICE_MS) {
      post({ type: 'progress', id, stage: 'verify', fraction: wasm.lqs_verify_fraction(host), phase: 'checking the file' });
      await yieldNow();
      if (v.cancelled) throw new Cancelled();
      sliceStart = performance.now();
    }
  }
  check(wasm.lqs_verify_report(host));
  const figures = JSON.parse(outText());
  const measureMs = performance.now() - started;
  const opusResult = codec ? await codec : null;
  if (verifying === v) verifying = null;
  if (v.cancelled) throw new Cancelled();
  post({ type: 'verified', id, figures, opus: opusResult, ms: measureMs });
}

function cancelVerify(id) {
  if (verifying && verifying.id === id) verifying.cancelled = true;
}

// One channel's samples in frames at..at+n, from the pieces the page sent.
function framesOf(pieces, at, n) {
  const out = new Float32Array(n);
  for (const p of pieces) {
    const s = Math.max(at, p.offset), e = Math.min(at + n, p.offset + p.data.length);
    if (s < e) out.set(p.data.subarray(s - p.offset, e - p.offset), s - at);
  }
  return out;
}

// Encodes the channels to Opus at OPUS_BITRATE through WebCodecs, decodes
// them again and returns the decoded sample peak, dBFS.
async function opusRoundTrip(v) {
  if (typeof AudioEncoder === 'undefined' || typeof AudioDecoder === 'undefined') {
    return { error: 'this browser has no WebCodecs audio' };
  }
  const config = { codec: 'opus', sampleRate: v.rate, numberOfChannels: v.channels, bitrate: OPUS_BITRATE };
  const support = await AudioEncoder.isConfigSupported(config);
  if (!support.supported) return { error: `this browser cannot encode Opus at ${v.rate} Hz` };
  let peak = 0;
  let decodedFrames = 0;
  let failure = null;
  const decoder = new AudioDecoder({
    output: (d) => {
      const n = d.numberOfFrames;
      const buf = new Float32Array(n);
      for (let c = 0; c < d.numberOfChannels; c++) {
        d.copyTo(buf, { planeIndex: c, format: 'f32-planar' });
        for (let i = 0; i < n; i++) { const a = Math.abs(buf[i]); if (a > peak) peak = a; }
      }
      decodedFrames += n;
      d.close();
    },
    error: (e) => { failure = failure || e; },
  });
  let decoderReady = false;
  const encoder = new AudioEncoder({
    output: (chunk, meta) => {
      if (!decoderReady) {
        const dc = meta && meta.decoderConfig;
        decoder.configure(dc || { codec: 'opus', sampleRate: 48000, numberOfChannels: v.channels });
        decoderReady = true;
      }
      decoder.decode(chunk);
    },
    error: (e) => { failure = failure || e; },
  });
  encoder.configure(config);
  for (let at = 0; at < v.frames; at += OPUS_CHUNK) {
    if (v.cancelled) break;
    const n = Math.min(OPUS_CHUNK, v.frames - at);
    const planar = new Float32Array(n * v.channels);
    for (let c = 0; c < v.channels; c++) planar.set(framesOf(v.data[c], at, n), c * n);
    const data = new AudioData({
      format: 'f32-planar', sampleRate: v.rate, numberOfFrames: n, numberOfChannels: v.channels,
      timestamp: Math.round((at * 1e6) / v.rate), data: planar,
    });
    encoder.encode(data);
    data.close();
    // Keep the encoder's queue short, so the samples are not all copied at once.
    while (encoder.encodeQueueSize > 8) await new Promise((r) => setTimeout(r, 1));
  }
  await encoder.flush();
  encoder.close();
  if (decoderReady) await decoder.flush();
  decoder.close();
  if (failure) throw failure;
  const peakDbfs = peak > 0 ? 20 * Math.log10(peak) : null;
  return { codec: 'opus', bitrateKbps: OPUS_BITRATE / 1000, peakDbfs, frames: decodedFrames };
}

// ---- messages -------------------------------------------------------------------

// Handles the release commands; false for any other.
function releaseCommand(m) {
  switch (m.type) {
    case 'bundle': run(m.id, () => runBundle(m.id, m.metaJson, m.loud, m.quiet)); return true;
    case 'verify-begin': run(m.id, async () => verifyBegin(m.id, m.channels, m.frames, m.rate)); return true;
    case 'verify-channel': run(m.id, async () => verifyChannel(m.id, m.c, m.offset, m.data)); return true;
    case 'verify-end': run(m.id, () => verifyEnd(m.id, m.opus)); return true;
    default: return false;
  }
}

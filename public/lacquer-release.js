// Lacquer's engine worker, release part (loaded by lacquer-worker.js with
// importScripts, sharing its globals: wasm, host, check, putBytes, Sink,
// startTask, guard, yieldNow, post):
//
// - bundle: the release bundle (lqs_bundle_*), made a piece at a time over
//   the loaded audio; the ZIP goes to a file in the origin-private file
//   system (or Blob parts), with where each entry lies in it;
// - verify: a delivered file as the page decoded it again with the browser's
//   decodeAudioData arrives a piece of frames at a time, in order, and each
//   piece is measured as it comes (lqs_verify_*: loudness, 16× true peak,
//   length) and then let go;
// - codec check: those pieces encoded to Opus at 160 kbps through WebCodecs
//   as they come and decoded again, for the peak a listener on a lossy
//   platform gets. The codec is slower than the measurement: it queues up
//   to the bytes the page allows (queueBytes) before the measurement waits
//   for it, and the page may hold it back until it says 'codec-release'
//   (a bundle's: its files are checked first, without the codec on the
//   same cores; what does not fit the queue is encoded meanwhile).
//
// Like the rest of the worker, long work runs in slices of about SLICE_MS.

const BUNDLE_BUDGET = 1 << 15;         // frames of work per bundle call
const VERIFY_BUDGET = 1 << 16;         // frames measured per verify call
const ZIP_PIECE = 8 << 20;             // bytes of the ZIP copied out at a time
const OPUS_BITRATE = 160000;           // bits/s of the codec check
const OPUS_CHUNK = 48000;              // frames per AudioData handed to the encoder
const OPUS_WARMUP_S = 1;               // s the codec check's second encoder starts early
const OPUS_QUEUE_MIN = 4 << 20;        // bytes a codec lane may always queue (the page's limit may be larger)

let verifying = null;  // the check in progress (verifyBegin)

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
      const finished = check(wasm.lqs_bundle_step(host, BUNDLE_BUDGET));
      handOutFiles(id);
      if (finished) break;
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

// Posts each file of the bundle finished since the last call, so that the
// page checks it while the next one is made.
function handOutFiles(id) {
  while (wasm.lqs_bundle_next_file(host) === 1) {
    const entry = JSON.parse(outText());
    const bytes = new Uint8Array(mem(), wasm.lqs_bundle_file_ptr(host), wasm.lqs_bundle_file_len(host));
    const file = new Blob([bytes], { type: 'audio/wav' });
    post({ type: 'bundle-file', id, entry, file });
  }
}

// ---- verify ---------------------------------------------------------------------

// A check in progress: the pieces wait in `queue` until the pump measures
// them (and hands them to the codec check); nothing else of the file is held.
// The codec check outlives the measurement: it answers on its own
// ('codec-checked'), so the next file's check can start meanwhile.
function verifyBegin(id, channels, frames, rate, opus, queueBytes, held) {
  if (verifying) verifying.cancelled = true;
  // A codec check of an earlier command is not wanted any more.
  for (const c of codecChecks) if (c.id !== id) c.cancel();
  check(wasm.lqs_verify_begin(host, channels, frames, rate));
  const codec = opus ? new OpusCheck(id, rate, channels, frames, queueBytes, held) : null;
  if (codec) codecChecks.add(codec);
  verifying = { id, channels, frames, rate, queue: [], pumping: null, cancelled: false, started: performance.now(), codec };
}

// The next piece of frames: one Float32Array per channel, in order.
function verifyPiece(id, offset, data) {
  const v = verifying;
  if (!v || v.id !== id) return;
  v.queue.push({ offset, data });
  if (v.codec) v.codec.push(data);
  ensurePump(v);
}

// Starts the pump unless it runs; a pump that ends with pieces queued
// meanwhile (they came after its last look) starts again.
function ensurePump(v) {
  if (v.pumping || v.error || v.cancelled || !v.queue.length) return;
  v.pumping = pump(v)
    .catch((e) => { v.error = v.error || e; })
    .finally(() => { v.pumping = null; ensurePump(v); });
}

// Measures the queued pieces in slices of about SLICE_MS.
async function pump(v) {
  let sliceStart = performance.now();
  while (v.queue.length) {
    const { data } = v.queue.shift();
    const n = data[0].length;
    for (let at = 0; at < n; at += VERIFY_BUDGET) {
      if (v.cancelled) return;
      const len = Math.min(VERIFY_BUDGET, n - at);
      const ptr = wasm.lqs_verify_piece(host, len);
      if (!ptr) throw new EngineError('no file is being measured');
      const room = new Float32Array(mem(), ptr, len * v.channels);
      for (let c = 0; c < v.channels; c++) room.set(data[c].subarray(at, at + len), c * len);
      check(wasm.lqs_verify_add(host, len));
      if (performance.now() - sliceStart > SLICE_MS) {
        post({ type: 'progress', id: v.id, stage: 'verify', fraction: wasm.lqs_verify_fraction(host), phase: 'checking the file' });
        await yieldNow();
        sliceStart = performance.now();
      }
    }
    // The page sends ahead only so far: it waits for these acknowledgements,
    // given once a piece is measured and the codec has room for more.
    if (v.codec) await v.codec.room();
    post({ type: 'verify-ack', id: v.id, frames: n });
  }
}

async function verifyEnd(id) {
  const v = verifying;
  if (!v || v.id !== id) return;
  try {
    while (v.pumping) await v.pumping;
    if (v.error) throw v.error;
    if (v.queue.length && !v.cancelled) throw new EngineError('the check ended with frames not measured');
    if (v.cancelled) throw new Cancelled();
    check(wasm.lqs_verify_report(host));
    const figures = JSON.parse(outText());
    post({ type: 'verified', id, figures, ms: performance.now() - v.started });
  } catch (e) {
    if (v.codec) v.codec.cancel();
    throw e;
  } finally {
    if (verifying === v) verifying = null;
  }
  if (v.codec) {
    const codec = v.codec;
    const opus = await codec.finish();
    codecChecks.delete(codec);
    if (!codec.cancelled) post({ type: 'codec-checked', id, opus });
  }
}

// The page lets command `id`'s codec check run.
function codecRelease(id) {
  for (const c of codecChecks) if (c.id === id) c.release();
}

function cancelVerify(id) {
  if (verifying && verifying.id === id) verifying.cancelled = true;
  for (const c of codecChecks) if (c.id === id) c.cancel();
}

const codecChecks = new Set();

// The codec check: the decoded file encoded to Opus at OPUS_BITRATE through
// WebCodecs and decoded again, for the decoded sample peak (dBFS). The codec
// runs on the browser's own threads, in two halves on two encoders (the
// second starts OPUS_WARMUP_S early, and what it decodes before the middle
// is not counted), so that both cores can share it.
class OpusCheck {
  constructor(id, rate, channels, frames, queueBytes, held) {
    this.id = id;
    this.queueBytes = queueBytes || 0;
    this.held = !!held;
    this.released = new Promise((resolve) => { this.onRelease = resolve; });
    if (!this.held) this.onRelease();
    this.rate = rate;
    this.channels = channels;
    this.at = 0;
    this.cancelled = false;
    this.failure = null;
    this.unsupported = null;
    this.mid = Math.floor(frames / 2);
    const warmup = Math.round(OPUS_WARMUP_S * rate);
    // [first frame, end frame, first counted time (s), end counted time (s)]
    this.halves = frames > 4 * warmup
      ? [[0, Math.min(frames, this.mid + warmup), 0, this.mid / rate], [this.mid - warmup, frames, this.mid / rate, Infinity]]
      : [[0, frames, 0, Infinity]];
    this.lanes = [];
    this.ready = this.open();
  }

  async open() {
    if (typeof AudioEncoder === 'undefined' || typeof AudioDecoder === 'undefined') {
      this.unsupported = 'this browser has no WebCodecs audio';
      return;
    }
    const config = { codec: 'opus', sampleRate: this.rate, numberOfChannels: this.channels, bitrate: OPUS_BITRATE };
    const support = await AudioEncoder.isConfigSupported(config);
    if (!support.supported) { this.unsupported = `this browser cannot encode Opus at ${this.rate} Hz`; return; }
    this.lanes = this.halves.map(([from, to, countFrom, countTo]) => this.lane(config, from, to, countFrom, countTo));
  }

  // One encoder and its decoder, for frames from..to, counting the decoded
  // peak between countFrom and countTo seconds.
  lane(config, from, to, countFrom, countTo) {
    const lane = { from, to, peak: 0, decodedFrames: 0, pending: [], pendingBytes: 0, feeding: null, encoder: null, decoder: null };
    lane.decoder = new AudioDecoder({
      output: (d) => {
        const n = d.numberOfFrames, r = d.sampleRate, t0 = d.timestamp / 1e6;
        const first = Math.max(0, Math.ceil((countFrom - t0) * r - 1e-6));
        const end = Math.min(n, Math.ceil((countTo - t0) * r - 1e-6));
        if (first < end) {
          const buf = new Float32Array(n);
          for (let c = 0; c < d.numberOfChannels; c++) {
            d.copyTo(buf, { planeIndex: c, format: 'f32-planar' });
            let p = lane.peak;
            for (let i = first; i < end; i++) { const a = Math.abs(buf[i]); if (a > p) p = a; }
            lane.peak = p;
          }
          lane.decodedFrames += end - first;
        }
        d.close();
      },
      error: (e) => { this.failure = this.failure || e; },
    });
    let decoderReady = false;
    lane.encoder = new AudioEncoder({
      output: (chunk, meta) => {
        if (!decoderReady) {
          const dc = meta && meta.decoderConfig;
          lane.decoder.configure(dc || { codec: 'opus', sampleRate: 48000, numberOfChannels: this.channels });
          decoderReady = true;
        }
        lane.decoder.decode(chunk);
      },
      error: (e) => { this.failure = this.failure || e; },
    });
    lane.encoder.configure(config);
    return lane;
  }

  // Bytes each lane may queue.
  share() {
    return Math.max(OPUS_QUEUE_MIN, this.queueBytes / Math.max(1, this.lanes.length));
  }

  // Lets a held check run.
  release() {
    this.held = false;
    this.onRelease();
    for (const lane of this.lanes) this.ensureFeeding(lane);
  }

  // Resolves once every lane's queue is within its share of the bytes allowed.
  async room() {
    await this.ready;
    while (!this.cancelled && !this.failure && this.lanes.some((l) => l.pendingBytes > this.share())) {
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  // The next frames (one Float32Array per channel): queued for each lane
  // that takes them, and fed without holding up the measurement.
  push(data) {
    const start = this.at;
    const n = data[0].length;
    this.at += n;
    this.ready.then(() => {
      for (const lane of this.lanes) {
        const s = Math.max(start, lane.from), e = Math.min(start + n, lane.to);
        if (s >= e) continue;
        lane.pending.push({ at: s, data: data.map((ch) => ch.subarray(s - start, e - start)) });
        lane.pendingBytes += (e - s) * data.length * 4;
        this.ensureFeeding(lane);
      }
    });
  }

  // Starts feeding the lane's encoder unless it runs; a feed that ends with
  // pieces queued meanwhile starts again.
  ensureFeeding(lane) {
    if (lane.feeding || !this.mayFeed(lane)) return;
    lane.feeding = this.feed(lane)
      .catch((e) => { this.failure = this.failure || e; })
      .finally(() => { lane.feeding = null; this.ensureFeeding(lane); });
  }

  // Whether the lane's encoder takes its next queued piece now: a held
  // check encodes only what goes over the lane's share of the queue.
  mayFeed(lane) {
    return lane.pending.length > 0 && !this.cancelled && !this.failure && !(this.held && lane.pendingBytes <= this.share());
  }

  async feed(lane) {
    while (this.mayFeed(lane)) {
      const { at: start, data } = lane.pending[0];
      const n = data[0].length;
      for (let at = 0; at < n; at += OPUS_CHUNK) {
        const len = Math.min(OPUS_CHUNK, n - at);
        const planar = new Float32Array(len * this.channels);
        for (let c = 0; c < this.channels; c++) planar.set(data[c].subarray(at, at + len), c * len);
        const frame = new AudioData({
          format: 'f32-planar', sampleRate: this.rate, numberOfFrames: len, numberOfChannels: this.channels,
          timestamp: Math.round(((start + at) * 1e6) / this.rate), data: planar,
        });
        lane.encoder.encode(frame);
        frame.close();
        // Keep the encoder's queue short, so the samples are not all copied at once.
        while (lane.encoder.encodeQueueSize > 8) await new Promise((r) => setTimeout(r, 1));
        if (this.cancelled || this.failure) return;
      }
      lane.pending.shift();
      lane.pendingBytes -= n * this.channels * 4;
    }
  }

  async finish() {
    await this.ready;
    await this.released;
    if (this.unsupported) return { error: this.unsupported };
    try {
      for (const lane of this.lanes) {
        while (lane.feeding) await lane.feeding;
        if (this.cancelled) break;
        if (lane.pending.length && !this.failure) throw new Error('the codec check ended with frames not encoded');
        await lane.encoder.flush();
        await lane.decoder.flush();
      }
    } catch (e) {
      this.failure = this.failure || e;
    } finally {
      this.close();
    }
    if (this.failure) return { error: String((this.failure && this.failure.message) || this.failure) };
    const peak = this.lanes.reduce((m, l) => Math.max(m, l.peak), 0);
    const frames = this.lanes.reduce((m, l) => m + l.decodedFrames, 0);
    const peakDbfs = peak > 0 ? 20 * Math.log10(peak) : null;
    return { codec: 'opus', bitrateKbps: OPUS_BITRATE / 1000, peakDbfs, frames };
  }

  cancel() {
    this.cancelled = true;
    this.onRelease();
    this.close();
  }

  close() {
    for (const lane of this.lanes) {
      for (const c of [lane.encoder, lane.decoder]) {
        if (c && c.state !== 'closed') { try { c.close(); } catch (_) { /* closed already */ } }
      }
    }
  }
}

// ---- messages -------------------------------------------------------------------

// Handles the release commands; false for any other.
function releaseCommand(m) {
  switch (m.type) {
    case 'bundle': run(m.id, () => runBundle(m.id, m.metaJson, m.loud, m.quiet)); return true;
    case 'verify-begin': run(m.id, async () => verifyBegin(m.id, m.channels, m.frames, m.rate, m.opus, m.queueBytes, m.held)); return true;
    case 'codec-release': codecRelease(m.id); return true;
    case 'verify-piece': run(m.id, async () => verifyPiece(m.id, m.offset, m.data)); return true;
    case 'verify-end': run(m.id, () => verifyEnd(m.id)); return true;
    default: return false;
  }
}

// Lacquer's engine worker: owns the session. It holds the loaded audio once,
// in the lacquer-dsp wasm module's memory, and does everything heavy off the
// page's thread:
//
// - loading: WAV files are read from File.slice() a piece at a time and
//   decoded by lacquer-dsp's own reader; other formats arrive decoded by the
//   page, one channel at a time;
// - analysis: loudness report and curve, peak pyramid, long-term spectrum;
//   the page gets the summary, never audio;
// - playback feed: the AudioWorklet asks for the frames ahead of its playhead
//   over a MessagePort and gets them as transferred Float32Arrays;
// - export: master-to-target and the final pass, encoded a piece at a time
//   into a file in the origin-private file system (or Blob parts where that
//   is not available), handed to the page for download;
// - release (lacquer-release.js): the release bundle, and the check of a
//   delivered file as the page decoded it again.
//
// Long work runs in slices of about SLICE_MS and yields between them, so
// chunk requests and Cancel are answered at once. Every message to the page
// carries the id of the command it answers.

const SLICE_MS = 16;
const READ_PIECE = 4 << 20;            // bytes of a WAV file read at a time
const HEAD_BYTES = 1 << 20;            // first guess at a WAV header's length
const ANALYZE_BUDGET = 1 << 16;        // frames per analysis call
const EXPORT_BUDGET = 1 << 15;         // frames of work per export call
const OVERVIEW_COLUMNS = 2048;         // waveform overview in the summary
const EXPORT_PREFIX = 'lacquer-export-';
const CHECKER_NAME = 'lacquer-checker';   // the name the page gives the checker instance
const FORMAT_TYPES = ['audio/wav', 'audio/wav', 'audio/wav', 'audio/flac', 'audio/flac', 'application/zip'];

importScripts('lacquer-release.js');

let wasm = null;       // the module's exports
let host = 0;          // the session host in wasm memory
let port = null;       // MessagePort to the worklet
let source = null;     // { sid, channels, frames, rate, loaded }
let task = null;       // { id, kind, cancelled }
let jobOwner = null;   // the task whose master job the host holds
const pendingNeeds = [];
const utf8 = new TextDecoder();
const utf8Encode = new TextEncoder();

// ---- plumbing ---------------------------------------------------------------

const post = (msg, transfer) => self.postMessage(msg, transfer || []);

// A macrotask yield without setTimeout's clamping: messages queued meanwhile
// (chunk requests, Cancel) are handled before the next slice.
const tick = new MessageChannel();
const tickWaiters = [];
tick.port1.onmessage = () => { const r = tickWaiters.shift(); if (r) r(); };
const yieldNow = () => new Promise((r) => { tickWaiters.push(r); tick.port2.postMessage(0); });

function mem() { return wasm.memory.buffer; }

function outBytes() {
  return new Uint8Array(mem(), wasm.lqs_out_ptr(host), wasm.lqs_out_len(host));
}

function outText() { return utf8.decode(outBytes()); }

// Copies bytes into the host's input buffer.
function putBytes(bytes) {
  const ptr = wasm.lqs_in_buf(host, bytes.length);
  new Uint8Array(mem(), ptr, bytes.length).set(bytes);
  return bytes.length;
}

class EngineError extends Error {}

// Throws the host's error message when a call returned −1.
function check(rc) {
  if (rc < 0) throw new EngineError(outText());
  return rc;
}

class Cancelled extends Error {}

function startTask(id, kind) {
  if (task) task.cancelled = true;
  task = { id, kind, cancelled: false };
  return task;
}

function guard(t) { if (t.cancelled) throw new Cancelled(); }

async function init() {
  const resp = await fetch('lacquer_dsp.wasm');
  if (!resp.ok) throw new Error(`the DSP module could not be loaded (HTTP ${resp.status})`);
  const { instance } = await WebAssembly.instantiate(await resp.arrayBuffer(), {});
  wasm = instance.exports;
  host = wasm.lqs_create();
  // The checker (a second instance that only measures files) leaves the
  // exports alone: one of them may be on its way to the download.
  if (self.name !== CHECKER_NAME) removeOldExports();
  post({ type: 'ready' });
}

// ---- loading ----------------------------------------------------------------

async function load(id, file) {
  const t = startTask(id, 'load');
  source = null;
  pendingNeeds.length = 0;
  let headLen = Math.min(file.size, HEAD_BYTES);
  let rc;
  for (;;) {
    const head = new Uint8Array(await file.slice(0, headLen).arrayBuffer());
    guard(t);
    rc = check(wasm.lqs_open_wav(host, putBytes(head), file.size));
    if (rc !== 2 || headLen >= file.size) break;
    headLen = Math.min(file.size, headLen * 4);
  }
  if (rc !== 0) {
    // Not a WAV file this reader streams: the page decodes it.
    post({ type: 'decode', id });
    task = null;
    return;
  }
  setSource(id);
  let last = performance.now();
  for (;;) {
    const at = wasm.lqs_wav_next_at(host, READ_PIECE);
    if (at < 0) break;
    const len = wasm.lqs_wav_next_len(host, READ_PIECE);
    const piece = new Uint8Array(await file.slice(at, at + len).arrayBuffer());
    guard(t);
    if (piece.length !== len) throw new EngineError('the file could not be read to its end (was it changed or removed?)');
    check(wasm.lqs_feed_wav(host, putBytes(piece)));
    if (performance.now() - last > 100) {
      last = performance.now();
      post({ type: 'progress', id, stage: 'load', fraction: wasm.lqs_load_fraction(host), phase: 'reading' });
    }
  }
  await loaded(t);
}

// Audio the page decoded: storage first, then each channel in place.
function beginDecoded(id, channels, frames, rate) {
  startTask(id, 'load');
  source = null;
  pendingNeeds.length = 0;
  check(wasm.lqs_begin(host, channels, frames, rate));
  setSource(id);
}

function writeChannel(id, c, offset, data) {
  if (!source || source.sid !== id) return;
  const ptr = wasm.lqs_channel_ptr(host, c);
  if (!ptr) throw new EngineError('no storage for that channel');
  new Float32Array(mem(), ptr + 4 * offset, data.length).set(data);
}

async function endDecoded(id) {
  if (!source || source.sid !== id || !task || task.id !== id) return;
  wasm.lqs_commit(host, source.frames);
  await loaded(task);
}

function setSource(sid) {
  source = {
    sid,
    channels: wasm.lqs_channels(host),
    frames: wasm.lqs_frames(host),
    rate: wasm.lqs_rate(host),
    loaded: false,
  };
}

// The file is in storage: playable now, then analysed.
async function loaded(t) {
  source.loaded = true;
  post({ type: 'loaded', id: t.id, channels: source.channels, frames: source.frames, rate: source.rate });
  // The waveform, from the peaks gathered while loading: before the analysis.
  check(wasm.lqs_overview(host, OVERVIEW_COLUMNS));
  post({ type: 'overview', id: t.id, overview: JSON.parse(outText()) });
  servePending();
  t.kind = 'analyze';
  let sliceStart = performance.now();
  while (!check(wasm.lqs_analyze(host, ANALYZE_BUDGET))) {
    if (performance.now() - sliceStart > SLICE_MS) {
      post({ type: 'progress', id: t.id, stage: 'analyze', fraction: wasm.lqs_analyze_fraction(host), phase: 'analysing' });
      await yieldNow();
      guard(t);
      sliceStart = performance.now();
    }
  }
  check(wasm.lqs_summary(host, OVERVIEW_COLUMNS));
  post({ type: 'analysis', id: t.id, summary: JSON.parse(outText()) });
  if (task === t) task = null;
}

// ---- playback feed ------------------------------------------------------------

function onWorkletMessage(msg) {
  if (msg && msg.type === 'need') {
    pendingNeeds.push(msg);
    servePending();
  }
}

// Answers the worklet's requests for frames, copying them out of storage.
function servePending() {
  while (pendingNeeds.length) {
    const need = pendingNeeds[0];
    if (!source || need.sid !== source.sid) { pendingNeeds.shift(); continue; }
    if (!source.loaded) return;
    pendingNeeds.shift();
    const start = Math.max(0, Math.min(need.start, source.frames));
    const n = Math.max(0, Math.min(need.frames, source.frames - start));
    const data = [];
    for (let c = 0; c < source.channels; c++) {
      const ptr = wasm.lqs_channel_ptr(host, c);
      data.push(new Float32Array(mem(), ptr + 4 * start, n).slice());
    }
    port.postMessage({ type: 'chunk', sid: need.sid, gen: need.gen, start, data }, data.map((d) => d.buffer));
  }
}

// ---- waveform queries ------------------------------------------------------------

// Min/max columns of the mix (and of the master, once there is one) over
// frames start..end, for drawing a zoomed waveform.
function peaks(id, start, end, columns) {
  const read = (which) => {
    if (wasm.lqs_peaks(host, which, start, end, columns) < 0) return null;
    const b = outBytes();
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const mix = read(0), master = read(1);
  const transfer = [mix, master].filter(Boolean).map((a) => a.buffer);
  post({ type: 'peaks', id, start, end, columns, channels: source ? source.channels : 0, mix, master }, transfer);
}

// ---- export -------------------------------------------------------------------

// Where the exported file is written: a file in the origin-private file
// system (on disk, not in memory), or Blob parts where that is unavailable.
class Sink {
  static async open(id, ext = 'wav', type = 'audio/wav') {
    const sink = new Sink();
    sink.offset = 0;
    sink.parts = null;
    sink.patch = null;
    sink.type = type;
    try {
      const root = await navigator.storage.getDirectory();
      sink.name = `${EXPORT_PREFIX}${Date.now()}-${id}.${ext}`;
      sink.fileHandle = await root.getFileHandle(sink.name, { create: true });
      sink.access = await sink.fileHandle.createSyncAccessHandle();
      sink.access.truncate(0);
      sink.root = root;
    } catch (_) {
      sink.access = null;
      sink.parts = [];
    }
    return sink;
  }

  write(bytes) {
    if (bytes.length === 0) return;
    if (this.access) {
      let done = 0;
      while (done < bytes.length) done += this.access.write(bytes.subarray(done), { at: this.offset + done });
    } else {
      this.parts.push(new Blob([bytes]));
    }
    this.offset += bytes.length;
  }

  // Writes `bytes` over the file's start (FLAC's finished STREAMINFO).
  patchStart(bytes) {
    if (bytes.length === 0) return;
    if (this.access) {
      let done = 0;
      while (done < bytes.length) done += this.access.write(bytes.subarray(done), { at: done });
    } else {
      this.patch = bytes.slice();
    }
  }

  async finish() {
    if (this.access) {
      this.access.flush();
      this.access.close();
      this.access = null;
      return await this.fileHandle.getFile();
    }
    const whole = new Blob(this.parts, { type: this.type });
    if (!this.patch) return whole;
    return new Blob([this.patch, whole.slice(this.patch.length)], { type: this.type });
  }

  async abort() {
    if (this.access) {
      try { this.access.close(); } catch (_) { /* already closed */ }
      this.access = null;
      try { await this.root.removeEntry(this.name); } catch (_) { /* gone */ }
    }
    this.parts = null;
  }
}

// Earlier sessions' exported files (their downloads are long finished).
async function removeOldExports() {
  try {
    const root = await navigator.storage.getDirectory();
    const names = [];
    for await (const name of root.keys()) if (name.startsWith(EXPORT_PREFIX)) names.push(name);
    for (const name of names) await root.removeEntry(name).catch(() => {});
  } catch (_) { /* no origin-private file system: nothing to clean */ }
}

// Runs the master job: `preview` analyses the master as it is made and
// writes no file (the views draw the master as it will be exported);
// otherwise the file is written a piece at a time.
// `release` ({format, rate, tagsJson}) picks the file: format 0 wav24,
// 1 wav16, 2 wav32f, 3 flac16, 4 flac24; rate 0 (the source's), 44100 or
// 48000; tags as JSON ('' for none).
async function runMaster(id, settingsJson, target, preview, release) {
  const t = startTask(id, preview ? 'preview' : 'export');
  const started = performance.now();
  const settings = utf8Encode.encode(settingsJson || '{}');
  const r = release || { format: 0, rate: 0, tagsJson: '' };
  const tags = utf8Encode.encode(r.tagsJson || '');
  const both = new Uint8Array(settings.length + tags.length);
  both.set(settings, 0);
  both.set(tags, settings.length);
  putBytes(both);
  const tl = target ? [1, target.lufs, target.ceilingDbtp] : [0, 0, 0];
  check(preview
    ? wasm.lqs_preview_start(host, settings.length, ...tl)
    : wasm.lqs_export_start(host, settings.length, ...tl, r.format >>> 0, r.rate >>> 0, tags.length));
  jobOwner = t; // one job at a time in the host: starting this one dropped any other
  const flac = r.format === 3 || r.format === 4;
  const sink = preview ? null : await Sink.open(id, flac ? 'flac' : 'wav', FORMAT_TYPES[r.format] || 'audio/wav');
  try {
    let sliceStart = performance.now();
    for (;;) {
      guard(t);
      const done = check(wasm.lqs_export_step(host, EXPORT_BUDGET));
      if (sink) sink.write(outBytes());
      if (done) break;
      if (performance.now() - sliceStart > SLICE_MS) {
        const phase = utf8.decode(new Uint8Array(mem(), wasm.lqs_export_phase(host), wasm.lqs_export_phase_len(host)));
        post({ type: 'progress', id, stage: preview ? 'preview' : 'export', fraction: wasm.lqs_export_fraction(host), phase });
        await yieldNow();
        sliceStart = performance.now();
      }
    }
    check(wasm.lqs_export_finish(host));
    jobOwner = null;
    if (sink) sink.write(outBytes());
    if (sink && wasm.lqs_export_patch(host) > 0) sink.patchStart(outBytes());
    wasm.lqs_export_report(host);
    const report = JSON.parse(outText());
    if (preview) {
      check(wasm.lqs_master_summary(host, OVERVIEW_COLUMNS));
      post({ type: 'master', id, summary: JSON.parse(outText()), report, ms: performance.now() - started });
    } else {
      const file = await sink.finish();
      post({ type: 'exported', id, file, report, ms: performance.now() - started });
    }
  } catch (e) {
    // Drop the host's job only if it is still this one (a newer job may have replaced it).
    if (jobOwner === t) { wasm.lqs_export_cancel(host); jobOwner = null; }
    if (sink) await sink.abort();
    throw e;
  } finally {
    if (task === t) task = null;
  }
}

// ---- messages -------------------------------------------------------------------

async function run(id, work) {
  try {
    await work();
  } catch (e) {
    if (e instanceof Cancelled) {
      if (source && source.sid === id && !(task && task.id !== id)) source = null;
      post({ type: 'cancelled', id });
    } else {
      // A wasm trap leaves the module unusable: the page restarts the worker.
      const fatal = !(e instanceof EngineError);
      post({ type: 'error', id, message: String((e && e.message) || e), fatal });
    }
  }
}

// Commands wait for the module; Cancel is handled at once.
const ready = init().catch((e) => {
  post({ type: 'error', id: 0, message: `the audio engine could not start: ${(e && e.message) || e}`, fatal: true });
  throw e;
});

self.onmessage = (ev) => {
  const m = ev.data;
  if (!m) return;
  if (m.type === 'cancel') {
    if (task && task.id === m.id) task.cancelled = true;
    cancelVerify(m.id);
    return;
  }
  ready.then(() => {
    switch (m.type) {
      case 'port':
        port = m.port;
        port.onmessage = (e) => {
          try { onWorkletMessage(e.data); } catch (err) { post({ type: 'error', id: 0, message: String(err), fatal: true }); }
        };
        break;
      case 'load': run(m.id, () => load(m.id, m.file)); break;
      case 'begin-decoded': run(m.id, async () => beginDecoded(m.id, m.channels, m.frames, m.rate)); break;
      case 'channel': run(m.id, async () => writeChannel(m.id, m.c, m.offset, m.data)); break;
      case 'end-decoded': run(m.id, () => endDecoded(m.id)); break;
      case 'export': run(m.id, () => runMaster(m.id, m.settingsJson, m.target, false, m.release)); break;
      case 'preview': run(m.id, () => runMaster(m.id, m.settingsJson, m.target, true)); break;
      case 'peaks': run(m.id, async () => peaks(m.id, m.start, m.end, m.columns)); break;
      default: releaseCommand(m); break;
    }
  }, () => {});
};

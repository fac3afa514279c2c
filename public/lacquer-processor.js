// Lacquer's AudioWorklet processor: runs the lacquer-dsp mastering chain
// (compiled to a raw wasm module with C-ABI exports) on every render quantum.
//
// - The main thread fetches the wasm bytes and passes them in processorOptions;
//   the module is compiled and instantiated synchronously here.
// - Audio crosses into and out of wasm through buffers the engine preallocates
//   (lq_input_ptr / lq_output_ptr). Typed-array views onto them are cached and
//   rebuilt only if wasm memory grows, so nothing is allocated per quantum.
// - Settings arrive as JSON messages; meters go back at about 30 Hz, with the
//   output's momentary and short-term loudness (BS.1770, metered in wasm).

const MAX_BLOCK = 128;
const METERS = 9;

// UTF-8 encoding (TextEncoder does not exist in AudioWorkletGlobalScope).
function utf8(str) {
  const out = [];
  for (const ch of str) {
    const c = ch.codePointAt(0);
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

class LacquerProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = options.processorOptions || {};
    this.ok = false;
    try {
      const module = new WebAssembly.Module(opts.wasmBytes);
      this.exports = new WebAssembly.Instance(module, {}).exports;
      this.engine = this.exports.lq_create(sampleRate, MAX_BLOCK);
      if (!this.engine) throw new Error(`the DSP engine does not run at ${sampleRate} Hz`);
      this.memoryBuffer = null;
      this.refreshViews();
      if (opts.settingsJson) this.applySettings(opts.settingsJson);
      this.ok = true;
      this.port.postMessage({ type: 'ready', latency: this.exports.lq_latency(this.engine) });
    } catch (err) {
      this.port.postMessage({ type: 'error', message: String(err && err.message || err) });
    }
    this.meterEvery = Math.max(1, Math.round(sampleRate / 30 / MAX_BLOCK));
    this.quanta = 0;
    this.holdL = 0;
    this.holdR = 0;
    this.holdIn = 0;
    this.holdGr = 0;
    this.sourceChannels = 2;
    this.port.onmessage = (e) => this.onMessage(e.data);
  }

  // (Re)creates the typed-array views after wasm memory has grown.
  refreshViews() {
    const buf = this.exports.memory.buffer;
    if (buf === this.memoryBuffer) return;
    this.memoryBuffer = buf;
    const e = this.exports, h = this.engine;
    this.inL = new Float32Array(buf, e.lq_input_ptr(h, 0), MAX_BLOCK);
    this.inR = new Float32Array(buf, e.lq_input_ptr(h, 1), MAX_BLOCK);
    this.outL = new Float32Array(buf, e.lq_output_ptr(h, 0), MAX_BLOCK);
    this.outR = new Float32Array(buf, e.lq_output_ptr(h, 1), MAX_BLOCK);
    this.meters = new Float32Array(buf, e.lq_meters_ptr(h), METERS);
  }

  applySettings(json) {
    const bytes = utf8(json);
    const ptr = this.exports.lq_settings_buf(this.engine, bytes.length);
    this.refreshViews();
    new Uint8Array(this.exports.memory.buffer, ptr, bytes.length).set(bytes);
    const rc = this.exports.lq_apply_settings(this.engine, bytes.length);
    if (rc !== 0) this.port.postMessage({ type: 'error', message: 'the chain rejected the settings' });
  }

  onMessage(msg) {
    if (!this.ok || !msg) return;
    if (msg.type === 'settings') this.applySettings(msg.json);
    else if (msg.type === 'reset') this.exports.lq_reset(this.engine);
  }

  process(inputs, outputs) {
    const out = outputs[0];
    if (!this.ok || !out || out.length === 0) return true;
    const input = inputs[0];
    const n = out[0].length;
    this.refreshViews();
    if (input && input.length > 0) {
      // A mono source is metered as one channel (BS.1770), not as two.
      const ch = input.length > 1 ? 2 : 1;
      if (ch !== this.sourceChannels) {
        this.sourceChannels = ch;
        this.exports.lq_set_meter_channels(this.engine, ch);
      }
      this.inL.set(input[0]);
      // Mono sources feed both channels; the chain keeps them identical.
      this.inR.set(input.length > 1 ? input[1] : input[0]);
    } else {
      this.inL.fill(0, 0, n);
      this.inR.fill(0, 0, n);
    }
    this.exports.lq_process(this.engine, n);
    out[0].set(n === MAX_BLOCK ? this.outL : this.outL.subarray(0, n));
    if (out.length > 1) out[1].set(n === MAX_BLOCK ? this.outR : this.outR.subarray(0, n));
    // Hold peaks and gain reduction across the quanta between meter messages.
    const m = this.meters;
    this.holdL = Math.max(this.holdL, m[0]);
    this.holdR = Math.max(this.holdR, m[1]);
    this.holdGr = Math.max(this.holdGr, m[3]);
    this.holdIn = Math.max(this.holdIn, m[6]);
    if (++this.quanta % this.meterEvery === 0) {
      this.exports.lq_update_loudness(this.engine);
      const lufs = (v) => (Number.isFinite(v) ? v : null);
      this.port.postMessage({
        type: 'meters',
        peakL: this.holdL, peakR: this.holdR, compGrDb: m[2], limiterGrDb: this.holdGr,
        correlation: m[4], frames: m[5], inPeak: this.holdIn,
        momentaryLufs: lufs(m[7]), shortTermLufs: lufs(m[8]),
      });
      this.holdL = this.holdR = this.holdGr = this.holdIn = 0;
    }
    return true;
  }
}

registerProcessor('lacquer', LacquerProcessor);

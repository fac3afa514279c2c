// Lacquer's AudioWorklet processor: the transport and the real-time chain.
//
// - Transport. It plays the loaded file from a ring of chunks that the engine
//   worker sends ahead of the playhead (transferred Float32Arrays, asked for
//   over a MessagePort to the worker). Play, pause, seek and loop are counted
//   in frames here, so they are sample-accurate. Starting, stopping and
//   jumping ramp the level over one render quantum, so nothing clicks; a
//   loop fades out over the 2 ms before its end and in over the 2 ms after
//   its start. If a chunk is late (just after a seek) the playhead waits,
//   in silence.
// - Chain. The lacquer-dsp wasm module (C-ABI exports, instantiated here
//   synchronously from bytes the page passes in processorOptions) runs the
//   mastering chain, the latency-aligned dry path and the live meters.
//   Audio crosses into and out of wasm through buffers preallocated there;
//   typed-array views onto them are rebuilt only if wasm memory grows.
//   Nothing is allocated per quantum.
// - Page messages: source, play, pause, seek, loop, settings, monitor.
//   Back to the page, at about 30 Hz: meters and the playhead position.

const MAX_BLOCK = 128;
const METERS = 12;
const CHUNK_FRAMES = 16384;     // frames asked for at a time
const AHEAD_S = 3;              // seconds kept queued ahead of the playhead

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
    // About 36 reports a second (37.5 at 48 kHz), so that views get at
    // least 30 even when the audio thread runs a little behind.
    this.meterEvery = Math.max(1, Math.floor(sampleRate / 36 / MAX_BLOCK));
    this.quanta = 0;
    this.holdL = 0;
    this.holdR = 0;
    this.holdIn = 0;
    this.holdGr = 0;
    this.holdTpL = 0;
    this.holdTpR = 0;
    this.meterChannels = 2;
    // Transport.
    this.sid = -1;            // id of the loaded source
    this.length = 0;          // its frames
    this.channels = 2;        // its channels
    this.pos = 0;             // next frame to play
    this.playing = false;
    this.gain = 0;            // transport ramp, 0..1
    this.stopping = false;    // ramping down to pause
    this.pendingSeek = -1;    // frame to jump to after the ramp down
    this.loopStart = -1;      // loop region, frames (−1: none)
    this.loopEnd = -1;
    this.loopFade = Math.round(0.002 * sampleRate); // 2 ms at each loop point, frames
    this.gen = 0;             // bumps on every jump: older chunks are dropped
    this.chunks = [];         // { start, frames, data: [Float32Array] }, in play order
    this.asked = 0;           // next frame to ask the worker for
    this.askedFrames = 0;     // frames asked for and queued, ahead of `pos`
    this.feed = null;         // MessagePort to the worker
    this.seq = 0;             // the page's last transport command, echoed back
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
    // The limiter's lookahead sets the chain's latency: the engine prepares
    // its chain again for a new one and its monitor starts afresh, so this
    // side fades the output in and sets the monitor again.
    let lookahead;
    try { lookahead = JSON.parse(json).limiter.lookahead_ms; } catch (_) { lookahead = undefined; }
    const rebuilt = this.lookahead !== undefined && lookahead !== undefined && lookahead !== this.lookahead;
    const bytes = utf8(json);
    const ptr = this.exports.lq_settings_buf(this.engine, bytes.length);
    this.refreshViews();
    new Uint8Array(this.exports.memory.buffer, ptr, bytes.length).set(bytes);
    const rc = this.exports.lq_apply_settings(this.engine, bytes.length);
    if (rc !== 0) {
      this.port.postMessage({ type: 'error', message: 'the chain rejected the settings' });
      return;
    }
    if (lookahead !== undefined) this.lookahead = lookahead;
    if (rebuilt) {
      this.applyMonitor();
      this.fadeIn = true;
      this.port.postMessage({ type: 'ready', latency: this.exports.lq_latency(this.engine) });
    }
  }

  // The monitor: master or dry, the gain of each, the platform limiter.
  applyMonitor() {
    const m = this.monitorMsg, e = this.exports;
    if (!m) return;
    e.lq_set_monitor(this.engine, m.dry ? 1 : 0);
    if (e.lq_set_monitor_gains) e.lq_set_monitor_gains(this.engine, m.masterGainDb || 0, m.mixGainDb || 0);
    if (e.lq_set_platform_limiter) {
      e.lq_set_platform_limiter(this.engine, m.limiter ? 1 : 0, m.limiterDbfs || 0, m.limiterAttackMs || 0, m.limiterReleaseMs || 0);
    }
  }

  onMessage(msg) {
    if (!this.ok || !msg) return;
    if (msg.seq !== undefined) this.seq = msg.seq;
    switch (msg.type) {
      case 'feed':
        this.feed = msg.port;
        this.feed.onmessage = (e) => this.onChunk(e.data);
        this.askAhead();
        break;
      case 'source':
        this.sid = msg.sid;
        this.length = msg.frames;
        this.channels = msg.channels;
        this.playing = false;
        this.gain = 0;
        this.stopping = false;
        this.loopStart = this.loopEnd = -1;
        this.jump(0);
        this.setMeterChannels(msg.channels);
        this.exports.lq_reset(this.engine);
        this.exports.lq_reset_integrated(this.engine);
        this.report();
        break;
      case 'play':
        if (this.sid < 0) break;
        this.playing = true;
        this.stopping = false;
        break;
      case 'pause':
        if (this.playing) this.stopping = true;
        break;
      case 'seek': {
        const to = Math.max(0, Math.min(Math.round(msg.frame), this.length));
        if (this.playing && this.gain > 0) this.pendingSeek = to; else this.jump(to);
        this.report();
        break;
      }
      case 'loop':
        if (msg.start >= 0 && msg.end > msg.start) {
          this.loopStart = Math.max(0, Math.floor(msg.start));
          this.loopEnd = Math.min(this.length, Math.floor(msg.end));
        } else {
          this.loopStart = this.loopEnd = -1;
        }
        this.requeue();
        break;
      case 'settings': this.applySettings(msg.json); break;
      case 'monitor': this.monitorMsg = msg; this.applyMonitor(); break;
      case 'spectrum-settings':
        this.spectrumMsg = msg;
        this.exports.lq_spectrum_set(this.engine, Math.round(msg.slope * 10), msg.smoothing);
        break;
      case 'spectrum-reset-peaks': this.exports.lq_spectrum_reset_peaks(this.engine); break;
      case 'reset': this.exports.lq_reset(this.engine); break;
      case 'reset-integrated': this.exports.lq_reset_integrated(this.engine); break;
      default: break;
    }
  }

  setMeterChannels(ch) {
    const c = ch > 1 ? 2 : 1;
    if (c !== this.meterChannels) {
      this.meterChannels = c;
      this.exports.lq_set_meter_channels(this.engine, c);
    }
  }

  // Moves the playhead: queued chunks are dropped and asked for again.
  jump(frame) {
    this.pos = frame;
    this.gen++;
    this.chunks.length = 0;
    this.asked = frame;
    this.askedFrames = 0;
    this.askAhead();
  }

  // After the loop changes: keeps the queued frames that still play next in
  // the new order (trimmed at the loop end) and asks again for the rest.
  // Chunks already asked for are ignored when they come (new generation).
  requeue() {
    this.gen++;
    let expected = this.pos;
    let kept = 0;
    for (; kept < this.chunks.length; kept++) {
      const c = this.chunks[kept];
      expected = this.nextAfter(expected);
      if (expected < 0 || c.start + c.read !== expected) break;
      if (this.loopStart >= 0 && expected < this.loopEnd && c.start + c.frames > this.loopEnd) {
        c.frames = this.loopEnd - c.start;
      }
      expected = c.start + c.frames;
    }
    this.chunks.length = kept;
    this.asked = expected;
    this.askedFrames = 0;
    for (const c of this.chunks) this.askedFrames += c.frames - c.read;
    this.askAhead();
  }

  // The frame that plays after `frame` (loop aware); −1 past the end.
  nextAfter(frame) {
    if (this.loopStart >= 0 && frame === this.loopEnd) return this.loopStart;
    return frame < this.length ? frame : -1;
  }

  // Asks the worker for chunks until AHEAD_S seconds are queued or asked for.
  askAhead() {
    if (!this.feed || this.sid < 0) return;
    const want = AHEAD_S * sampleRate;
    while (this.askedFrames < want) {
      let start = this.nextAfter(this.asked);
      if (start < 0) return;
      const end = this.loopStart >= 0 && start < this.loopEnd ? this.loopEnd : this.length;
      const frames = Math.min(CHUNK_FRAMES, end - start);
      if (frames <= 0) return;
      this.feed.postMessage({ type: 'need', sid: this.sid, gen: this.gen, start, frames });
      this.asked = start + frames;
      this.askedFrames += frames;
    }
  }

  onChunk(msg) {
    if (!msg || msg.type !== 'chunk' || msg.sid !== this.sid || msg.gen !== this.gen) return;
    this.chunks.push({ start: msg.start, frames: msg.data[0].length, data: msg.data, read: 0 });
  }

  // Copies up to n frames of the source into the chain's input buffers at
  // `at`; returns the frames copied (fewer if the next chunk has not come).
  fill(at, n) {
    let done = 0;
    while (done < n) {
      const next = this.nextAfter(this.pos);
      if (next < 0) break;
      if (next !== this.pos) this.pos = next; // loop wrap
      const c = this.chunks[0];
      if (!c) break;
      if (c.start + c.read !== this.pos) { // stale (should not happen): drop it
        this.askedFrames -= c.frames - c.read;
        this.chunks.shift();
        continue;
      }
      const limit = this.loopStart >= 0 && this.pos < this.loopEnd ? this.loopEnd : this.length;
      const k = Math.min(n - done, c.frames - c.read, limit - this.pos);
      const l = c.data[0], r = c.data[c.data.length > 1 ? 1 : 0];
      const inL = this.inL, inR = this.inR;
      const fade = this.loopFade;
      if (this.loopStart >= 0 && this.pos < this.loopEnd
        && (this.pos < this.loopStart + fade || this.pos + k > this.loopEnd - fade)) {
        // Short fades at the loop points, so the wrap does not click.
        for (let i = 0; i < k; i++) {
          const f = this.pos + i;
          const g = Math.min(1, (f - this.loopStart + 1) / (fade + 1), (this.loopEnd - f) / (fade + 1));
          inL[at + done + i] = l[c.read + i] * g;
          inR[at + done + i] = r[c.read + i] * g;
        }
      } else {
        for (let i = 0; i < k; i++) {
          inL[at + done + i] = l[c.read + i];
          inR[at + done + i] = r[c.read + i];
        }
      }
      c.read += k;
      done += k;
      this.pos += k;
      this.askedFrames -= k;
      if (c.read === c.frames) this.chunks.shift();
    }
    return done;
  }

  process(inputs, outputs) {
    const out = outputs[0];
    if (!this.ok || !out || out.length === 0) return true;
    const n = out[0].length;
    this.refreshViews();
    let got = 0;
    if (this.playing) {
      got = this.fill(0, n);
      // Ramp the level: up after play or a jump, down before pause or a jump.
      const down = this.stopping || this.pendingSeek >= 0;
      const target = down ? 0 : 1;
      if (this.gain !== target || got < n) {
        const step = 1 / n;
        for (let i = 0; i < n; i++) {
          if (i < got) {
            this.gain = down ? Math.max(0, this.gain - step) : Math.min(1, this.gain + step);
            this.inL[i] *= this.gain;
            this.inR[i] *= this.gain;
          } else {
            this.inL[i] = 0;
            this.inR[i] = 0;
          }
        }
      }
      if (down && this.gain === 0) {
        if (this.pendingSeek >= 0) { this.jump(this.pendingSeek); this.pendingSeek = -1; }
        if (this.stopping) { this.playing = false; this.stopping = false; }
      }
      if (got < n && this.nextAfter(this.pos) < 0) {
        // The end of the file (no loop): stop, ready to play from the start.
        this.playing = false;
        this.gain = 0;
        this.jump(0);
        this.port.postMessage({ type: 'ended' });
      }
      this.askAhead();
    } else {
      this.inL.fill(0, 0, n);
      this.inR.fill(0, 0, n);
    }
    this.exports.lq_process(this.engine, n);
    if (this.fadeIn) {
      this.fadeIn = false;
      for (let i = 0; i < n; i++) { const g = (i + 1) / n; this.outL[i] *= g; this.outR[i] *= g; }
    }
    out[0].set(n === MAX_BLOCK ? this.outL : this.outL.subarray(0, n));
    if (out.length > 1) out[1].set(n === MAX_BLOCK ? this.outR : this.outR.subarray(0, n));
    // Hold peaks and gain reduction across the quanta between meter messages.
    const m = this.meters;
    this.holdL = Math.max(this.holdL, m[0]);
    this.holdR = Math.max(this.holdR, m[1]);
    this.holdGr = Math.max(this.holdGr, m[3]);
    this.holdIn = Math.max(this.holdIn, m[6]);
    this.holdTpL = Math.max(this.holdTpL, m[9]);
    this.holdTpR = Math.max(this.holdTpR, m[10]);
    if (++this.quanta % this.meterEvery === 0) this.report();
    return true;
  }

  // Meters and the playhead, to the page.
  report() {
    const m = this.meters;
    this.exports.lq_update_loudness(this.engine);
    const lufs = (v) => (Number.isFinite(v) ? v : null);
    this.port.postMessage({
      type: 'meters',
      peakL: this.holdL, peakR: this.holdR, compGrDb: m[2], limiterGrDb: this.holdGr,
      correlation: m[4], frames: m[5], inPeak: this.holdIn,
      momentaryLufs: lufs(m[7]), shortTermLufs: lufs(m[8]), integratedLufs: lufs(m[11]),
      truePeakL: this.holdTpL, truePeakR: this.holdTpR,
      sid: this.sid, position: this.pendingSeek >= 0 ? this.pendingSeek : this.pos,
      playing: this.playing && !this.stopping, seq: this.seq,
    });
    this.holdL = this.holdR = this.holdGr = this.holdIn = this.holdTpL = this.holdTpR = 0;
    this.sendSpectrum();
  }

  // The live spectrum of the input and the output (computed in wasm), as a
  // copy the page takes over: [input, output, input peak, output peak] × points.
  sendSpectrum() {
    const e = this.exports;
    if (!e.lq_spectrum_update) return;
    e.lq_spectrum_update(this.engine);
    const points = e.lq_spectrum_points(this.engine);
    this.refreshViews();
    if (!this.spectrumFreqsSent) {
      const freqs = new Float32Array(this.exports.memory.buffer, e.lq_spectrum_freqs_ptr(this.engine), points).slice();
      this.port.postMessage({ type: 'spectrum-grid', freqs }, [freqs.buffer]);
      this.spectrumFreqsSent = true;
    }
    const data = new Float32Array(this.exports.memory.buffer, e.lq_spectrum_ptr(this.engine), points * 4).slice();
    this.port.postMessage({ type: 'spectrum', points, data }, [data.buffer]);
  }
}

registerProcessor('lacquer', LacquerProcessor);

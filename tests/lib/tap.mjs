// A tap on the app's worklet, installed before the page loads:
//
// - every message the page posts to the 'lacquer' AudioWorkletNode is kept
//   (settings JSON, monitor, transport), so a test can read exactly what the
//   worklet was told;
// - the node's output also feeds a recorder (a second AudioWorklet module
//   from a Blob URL, outputting silence), so a test can record what is heard,
//   sample for sample, with marks where it did something;
// - `renderChain` runs lacquer-processor.js in an OfflineAudioContext with
//   given settings and monitor messages over known input, as fast as it
//   renders (the same script and wasm the page plays with).

/** The page-side part; runs in the page before any of its scripts. */
function pageTap() {
  const Orig = window.AudioWorkletNode;
  if (!Orig || window.__lq) return;
  const src = `
    class LqTap extends AudioWorkletProcessor {
      constructor() {
        super();
        this.rec = false;
        this.port.onmessage = (e) => {
          const m = e.data;
          if (m.type === 'start') {
            this.l = new Float32Array(m.maxFrames); this.r = new Float32Array(m.maxFrames);
            this.n = 0; this.marks = []; this.rec = true; this.startFrame = currentFrame;
          } else if (m.type === 'mark') {
            this.marks.push({ name: m.name, at: this.n });
          } else if (m.type === 'stop') {
            this.rec = false;
            const l = this.l.slice(0, this.n), r = this.r.slice(0, this.n);
            this.port.postMessage({ type: 'recording', l, r, marks: this.marks, full: this.n === this.l.length },
              [l.buffer, r.buffer]);
            this.l = this.r = null;
          }
        };
      }
      process(inputs) {
        if (!this.rec) return true;
        const i = inputs[0];
        const n = 128, k = Math.min(n, this.l.length - this.n);
        if (k <= 0) return true;
        if (i && i.length) {
          this.l.set(i[0].subarray(0, k), this.n);
          this.r.set((i[1] || i[0]).subarray(0, k), this.n);
        }
        this.n += k;
        return true;
      }
    }
    registerProcessor('lq-tap', LqTap);`;
  const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
  const lq = { sent: [], nodes: 0, current: null };
  window.__lq = lq;
  class Tapped extends Orig {
    constructor(ctx, name, opts) {
      super(ctx, name, opts);
      if (name !== 'lacquer' || !(ctx instanceof AudioContext)) return;
      const entry = { node: this, ctx, rate: ctx.sampleRate, tap: null };
      lq.initialJson = opts && opts.processorOptions && opts.processorOptions.settingsJson;
      lq.nodes++;
      lq.current = entry;
      const port = this.port;
      const post = port.postMessage.bind(port);
      port.postMessage = function (msg, transfer) {
        if (msg && msg.type !== 'feed') lq.sent.push({ t: performance.now(), node: lq.nodes, msg: { ...msg } });
        return transfer === undefined ? post(msg) : post(msg, transfer);
      };
      entry.ready = ctx.audioWorklet.addModule(url).then(() => {
        const tap = new Orig(ctx, 'lq-tap', {
          numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [2],
          channelCount: 2, channelCountMode: 'explicit', channelInterpretation: 'discrete',
        });
        this.connect(tap);
        tap.connect(ctx.destination);
        entry.tap = tap;
      });
    }
  }
  window.AudioWorkletNode = Tapped;
}

/** Installs the tap; call before the page's first navigation. */
export async function installTap(page) {
  await page.addInitScript(pageTap);
}

/** Starts recording what the worklet plays (at most `maxSeconds`). */
export async function tapStart(page, maxSeconds = 15) {
  await page.evaluate(async (maxSeconds) => {
    const e = window.__lq.current;
    await e.ready;
    e.tap.port.postMessage({ type: 'start', maxFrames: Math.round(maxSeconds * e.rate) });
  }, maxSeconds);
}

/** Marks the recording here (the frame the recorder had reached when the mark arrived). */
export async function tapMark(page, name) {
  await page.evaluate((name) => window.__lq.current.tap.port.postMessage({ type: 'mark', name }), name);
}

const toB64 = `(f) => { const u = new Uint8Array(f.buffer, f.byteOffset, f.byteLength); let s = '';
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000));
  return btoa(s); }`;

function fromB64(s) {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
}

/** Stops recording: { rate, channels: [left, right] (Float32Array), marks: { name: frame } }. */
export async function tapStop(page) {
  const r = await page.evaluate(async (toB64) => {
    const b64 = eval(toB64);
    const e = window.__lq.current;
    const rec = await new Promise((resolve) => {
      e.tap.port.onmessage = (m) => { if (m.data.type === 'recording') resolve(m.data); };
      e.tap.port.postMessage({ type: 'stop' });
    });
    return { rate: e.rate, l: b64(rec.l), r: b64(rec.r), marks: rec.marks, full: rec.full };
  }, toB64);
  const marks = {};
  for (const m of r.marks) marks[m.name] = m.at;
  return { rate: r.rate, channels: [fromB64(r.l), fromB64(r.r)], marks, full: r.full };
}

/** Messages of `type` the page has posted to the worklet, oldest first (each { t, node, msg }). */
export function sentTo(page, type) {
  return page.evaluate((type) => window.__lq.sent.filter((s) => s.msg.type === type), type);
}

/** How many messages the page has posted to the worklet so far. */
export function sentCount(page) {
  return page.evaluate(() => window.__lq.sent.length);
}

/** The last settings the page sent the worklet, parsed (null if none). */
export async function lastSettings(page) {
  const s = await page.evaluate(() => {
    const all = window.__lq.sent.filter((x) => x.msg.type === 'settings');
    return all.length ? all[all.length - 1].msg.json : null;
  });
  return s && JSON.parse(s);
}

/**
 * Puts planar input channels into the page for `renderChain` (as float32,
 * sent once).
 */
export async function setRenderInput(page, channels, rate) {
  const b64 = channels.map((c) => Buffer.from(Float32Array.from(c).buffer).toString('base64'));
  await page.evaluate(({ b64, rate }) => {
    const dec = (s) => { const bin = atob(s); const u = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i); return new Float32Array(u.buffer); };
    window.__renderInput = { channels: b64.map(dec), rate };
    window.__renderCache = new Map();
  }, { b64, rate });
}

/**
 * Renders each job offline through lacquer-processor.js and the page's DSP
 * wasm: a fresh processor made as the page makes its own (with the settings
 * the page gives it), then `settings` (an object) in a 'settings' message, `monitor` (a 'monitor'
 * message, optional), then the render input played from its first frame
 * at quantum 16, for `seconds`. Returns, per job, { latency, out: [L, R] }
 * (Float32Array) when `keep` is true, and in any case compares job i with
 * the job it names in `against` (an index): { maxDiff, rmsDiff, rms }.
 */
export async function renderChain(page, jobs, { seconds = 1.5, keep = false } = {}) {
  const res = await page.evaluate(async ({ jobs, seconds, keep, toB64 }) => {
    const b64 = eval(toB64);
    const { channels, rate } = window.__renderInput;
    const wasmBytes = await (await fetch('lacquer_dsp.wasm')).arrayBuffer();
    // Messages reach an offline processor while rendering is stopped: the
    // settings and monitor go at quantum 4 and settle (the monitor's 10 ms
    // crossfade included) before the song starts at quantum 16.
    const q = 128, playAt = 16;
    const total = Math.ceil(seconds * rate / q) * q;
    const outs = [];
    // Renders are kept by what they were made of: the same job renders once.
    const cache = window.__renderCache || (window.__renderCache = new Map());
    for (const job of jobs) {
      const key = JSON.stringify([job.settings, job.monitor || null, total, rate, channels[0].length]);
      if (cache.has(key)) { outs.push(cache.get(key)); continue; }
      const ctx = new OfflineAudioContext(2, total, rate);
      await ctx.audioWorklet.addModule('lacquer-processor.js');
      const json = JSON.stringify(job.settings);
      // As the page makes its worklet: the settings it starts with, then a message.
      const node = new AudioWorkletNode(ctx, 'lacquer', {
        numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [2],
        processorOptions: { wasmBytes: wasmBytes.slice(0), settingsJson: window.__lq.initialJson || json },
      });
      node.connect(ctx.destination);
      const errors = [];
      let latency = null;
      const ready = new Promise((resolve) => {
        node.port.onmessage = (e) => {
          if (e.data.type === 'ready') { latency = e.data.latency; resolve(); }
          if (e.data.type === 'error') { errors.push(e.data.message); resolve(); }
        };
      });
      const feed = new MessageChannel();
      let pending = 0;
      let served = null;
      const served0 = new Promise((r) => { served = r; });
      feed.port2.onmessage = (e) => {
        const m = e.data;
        if (m.type !== 'need') return;
        const data = channels.map((c) => {
          const part = new Float32Array(m.frames);
          part.set(c.subarray(m.start, Math.min(c.length, m.start + m.frames)));
          return part;
        });
        feed.port2.postMessage({ type: 'chunk', sid: m.sid, gen: m.gen, start: m.start, data }, data.map((d) => d.buffer));
        if (--pending <= 0) served();
      };
      node.port.postMessage({ type: 'feed', port: feed.port1 }, [feed.port1]);
      ctx.suspend(4 * q / rate).then(async () => {
        await ready;
        node.port.postMessage({ type: 'settings', json });
        if (job.monitor) node.port.postMessage({ type: 'monitor', ...job.monitor });
        await new Promise((r) => setTimeout(r, 20));
        ctx.resume();
      });
      ctx.suspend(playAt * q / rate).then(async () => {
        const frames = channels[0].length;
        pending = Math.min(Math.ceil(frames / 16384), Math.ceil(3 * rate / 16384));
        node.port.postMessage({ type: 'source', sid: 1, frames, channels: channels.length });
        node.port.postMessage({ type: 'play', seq: 1 });
        await served0;
        await new Promise((r) => setTimeout(r, 20));
        ctx.resume();
      });
      const out = await ctx.startRendering();
      const o = { latency, errors, l: out.getChannelData(0), r: out.getChannelData(1) };
      if (cache.size > 200) cache.clear();
      cache.set(key, o);
      outs.push(o);
    }
    return jobs.map((job, i) => {
      const o = outs[i];
      const res = { latency: o.latency, errors: o.errors, playAt: playAt * q };
      if (keep) { res.l = b64(o.l); res.r = b64(o.r); }
      if (job.against !== undefined) {
        const a = outs[job.against];
        let maxDiff = 0, sd = 0, s = 0;
        for (const [x, y] of [[o.l, a.l], [o.r, a.r]]) {
          for (let k = 0; k < x.length; k++) {
            const d = Math.abs(x[k] - y[k]);
            if (d > maxDiff) maxDiff = d;
            sd += d * d; s += y[k] * y[k];
          }
        }
        const n = 2 * o.l.length;
        res.maxDiff = maxDiff; res.rmsDiff = Math.sqrt(sd / n); res.rms = Math.sqrt(s / n);
      }
      return res;
    });
  }, { jobs, seconds, keep, toB64 });
  return res.map((r) => (keep ? { ...r, out: [fromB64(r.l), fromB64(r.r)], l: undefined, r: undefined } : r));
}

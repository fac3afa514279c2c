// End-to-end: the worklet's transport, rendered offline in Debian's headless
// Chromium. The worklet runs in an OfflineAudioContext, fed by a stand-in for
// the engine worker whose source sample k is k / 2^21 (exact in f32), and
// monitors the dry path (the input delayed by the chain's latency, bit for
// bit). Every output sample at full level then names the source frame it
// came from, so play, seek, loop and pause can be checked frame by frame.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDir } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
let server, browser, page;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is built');
  server = await serveDir(DIST);
  browser = await launch();
  page = await browser.context.newPage();
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Renders the script of transport commands offline; returns the left channel and the chain latency. */
async function render(script) {
  return page.evaluate(async (script) => {
    const rate = 48_000, q = 128, total = q * 600;
    const ctx = new OfflineAudioContext(2, total, rate);
    await ctx.audioWorklet.addModule('lacquer-processor.js');
    const wasmBytes = await (await fetch('lacquer_dsp.wasm')).arrayBuffer();
    const node = new AudioWorkletNode(ctx, 'lacquer', {
      numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [2], processorOptions: { wasmBytes },
    });
    node.connect(ctx.destination);
    const latency = await new Promise((resolve) => {
      node.port.onmessage = (e) => { if (e.data.type === 'ready') resolve(e.data.latency); };
    });
    // The worker's part: frames on request.
    const feed = new MessageChannel();
    feed.port2.onmessage = (e) => {
      const m = e.data;
      if (m.type !== 'need') return;
      const l = new Float32Array(m.frames), r = new Float32Array(m.frames);
      for (let i = 0; i < m.frames; i++) { l[i] = (m.start + i) / 2 ** 21; r[i] = -l[i]; }
      feed.port2.postMessage({ type: 'chunk', sid: m.sid, gen: m.gen, start: m.start, data: [l, r] }, [l.buffer, r.buffer]);
    };
    const send = (m) => node.port.postMessage(m);
    node.port.postMessage({ type: 'feed', port: feed.port1 }, [feed.port1]);
    const settle = () => new Promise((r) => setTimeout(r, 60));
    // Each step: at quantum `at`, send the commands, let messages and chunks arrive, go on.
    for (const step of script) {
      ctx.suspend((step.at * q) / rate).then(async () => {
        for (const m of step.send) send(m);
        await settle();
        ctx.resume();
      });
    }
    const out = await ctx.startRendering();
    return { left: Array.from(out.getChannelData(0)), right: Array.from(out.getChannelData(1)), latency };
  }, script);
}

/** Runs of consecutive source frames at full level: [{ from, to, at }] (output index `at`). */
function runs(left) {
  const out = [];
  for (let i = 0; i < left.length; i++) {
    const k = left[i] * 2 ** 21;
    if (left[i] === 0 || !Number.isInteger(k)) continue;
    const last = out[out.length - 1];
    if (last && k === last.to + 1 && i === last.atEnd + 1) { last.to = k; last.atEnd = i; } else out.push({ from: k, to: k, at: i, atEnd: i });
  }
  return out;
}

test('play, seek, loop and pause are sample-accurate in the worklet', async () => {
  const loop = { start: 300_000, end: 303_000 };
  const { left, right, latency } = await render([
    { at: 1, send: [{ type: 'source', sid: 1, frames: 1_000_000, channels: 2 }, { type: 'monitor', dry: 1 }] },
    { at: 10, send: [{ type: 'play', seq: 1 }] },
    { at: 100, send: [{ type: 'seek', frame: 200_000, seq: 2 }] },
    { at: 102, send: [] },
    { at: 200, send: [{ type: 'loop', start: loop.start, end: loop.end }, { type: 'seek', frame: loop.start, seq: 3 }] },
    { at: 202, send: [] },
    { at: 400, send: [{ type: 'pause', seq: 4 }] },
  ]);
  assert.ok(latency > 0, `the chain reports its latency (${latency} frames)`);
  // Right is the negated left, frame for frame: both channels move together
  // (after the monitor's 10 ms crossfade from the master, whose output
  // carries the 24-bit dither even in silence, to the dry path, and the
  // monitor's fixed 5 ms delay after it: the platform limiter's lookahead).
  const fade = 6 * 128 + Math.round(0.005 * 48_000);
  assert.ok(left.slice(fade, 10 * 128).every((v) => v === 0), 'the dry path is silent before play');
  for (let i = fade; i < left.length; i++) assert.ok(right[i] === -left[i], `frame ${i}: ${left[i]} ${right[i]}`);
  // Silence before play, and after the pause's ramp (plus the latency).
  const first = left.findIndex((v, i) => i >= fade && v !== 0);
  assert.ok(first >= 10 * 128 + latency && first < 11 * 128 + latency, `starts at the play quantum, after the latency (${first})`);
  assert.ok(left.slice(401 * 128 + latency).every((v) => v === 0), 'silent after the pause');

  const r = runs(left);
  // 1. From the start of the file (the first quantum is a ramp up).
  assert.ok(r[0].from <= 128, `plays from frame 0 (first full-level frame ${r[0].from})`);
  // 2. The seek lands exactly on frame 200 000 (ramped in over one quantum).
  const afterSeek = r.find((x) => x.from >= 200_000 && x.from < 250_000);
  assert.ok(afterSeek, `a run after the seek: ${JSON.stringify(r.slice(0, 6))}`);
  const seekStart = afterSeek.at - (afterSeek.from - 200_000);
  assert.ok(Math.abs(left[seekStart] - 0) < 1 / 2 ** 10 && afterSeek.from - 200_000 <= 128, 'the seek ramps in from frame 200 000');
  for (let i = seekStart; i < afterSeek.at; i++) {
    const k = 200_000 + (i - seekStart);
    assert.ok(Math.abs(left[i]) <= k / 2 ** 21 + 1e-9, `ramped frame ${k} is at most its source level`);
  }
  // 3. The loop: from its start to its end, then straight back to its start,
  // sample for sample, with a 2 ms fade (96 frames) on each side of the loop point.
  const fadeFrames = 96;
  const inLoop = r.filter((x) => x.from >= loop.start && x.to < loop.end);
  assert.ok(inLoop.length >= 3, `the loop comes round several times: ${JSON.stringify(inLoop.slice(0, 4))}`);
  for (let j = 1; j < inLoop.length; j++) {
    assert.equal(inLoop[j].from, loop.start + fadeFrames, 'each pass is at full level from 2 ms after the loop start');
    assert.equal(inLoop[j - 1].to, loop.end - 1 - fadeFrames, 'and up to 2 ms before the loop end');
    // In between, exactly the faded frames: the end of one pass, then the start of the next.
    const gap = inLoop[j].at - inLoop[j - 1].atEnd - 1;
    assert.equal(gap, 2 * fadeFrames, 'no frame missing or repeated at the loop point');
    for (let i = 0; i < gap; i++) {
      const k = i < fadeFrames ? loop.end - fadeFrames + i : loop.start + (i - fadeFrames);
      const g = Math.min(1, (k - loop.start + 1) / (fadeFrames + 1), (loop.end - k) / (fadeFrames + 1));
      const got = left[inLoop[j - 1].atEnd + 1 + i];
      assert.ok(Math.abs(got - Math.fround(Math.fround(k / 2 ** 21) * g)) < 1e-9, `faded frame ${k}: ${got}`);
    }
  }
});

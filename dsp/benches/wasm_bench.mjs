// Throughput of the full chain as the AudioWorklet runs it: the worklet's DSP
// wasm, 128-frame quanta through the C-ABI (including the copies in and out of
// wasm memory), 48 kHz stereo, default settings, one thread. Three rows: the
// chain alone (the BS.1770 meters switched off with
// `lq_set_meter_channels(h, 0)`; the spectrum analyser's ring is still fed),
// the chain with the live meters the worklet runs (momentary, short-term and
// integrated loudness, true peak per channel), and everything the worklet
// runs while the page shows it: those meters read and the live spectrum
// analysed (`lq_update_loudness` and `lq_spectrum_update`) every
// round(48000 / 30 / 128) = 13 quanta, as at 30 frames a second. Each row
// gives the time per 128-frame quantum and its share of the real-time budget
// (128 / 48000 s = 2.67 ms). Two hosts: Node,
// and headless Chromium (the browser the worklet runs in; Debian's
// /usr/bin/chromium driven by playwright-core from tests/node_modules), when
// it is installed.
// Build: cargo build -p lacquer-dsp --lib --release --features worklet \
//          --target wasm32-unknown-unknown --target-dir target/worklet \
//          --config 'target.wasm32-unknown-unknown.rustflags=["-Ctarget-feature=+simd128"]'
// Run:   node dsp/benches/wasm_bench.mjs target/worklet/wasm32-unknown-unknown/release/lacquer_dsp.wasm
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Runs in Node and, as source text, in the browser page: self-contained.
function bench(bytes) {
  const FS = 48000, SECONDS = 60, RUNS = 5, Q = 128;
  const module = new WebAssembly.Module(bytes);
  // The same dense programme as benches/chain.rs.
  const n = FS * SECONDS;
  const L = new Float32Array(n), R = new Float32Array(n);
  let s = 1;
  const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967295 * 2 - 1; };
  for (let i = 0; i < n; i++) {
    const t = i / FS, beat = (t * 2) % 1;
    const kick = Math.sin(2 * Math.PI * 55 * t) * Math.exp(-beat * 10);
    const nz = rnd() * 0.2;
    L[i] = 0.6 * kick + nz + 0.1 * Math.sin(2 * Math.PI * 440 * t);
    R[i] = 0.6 * kick - nz + 0.1 * Math.sin(2 * Math.PI * 660 * t);
  }
  // Quanta between display updates (30 per second).
  const EVERY = Math.round(FS / 30 / Q);
  const once = (config) => {
    const meterChannels = config === 'off' ? 0 : 2;
    const display = config === 'display';
    const e = new WebAssembly.Instance(module, {}).exports;
    const h = e.lq_create(FS, Q);
    e.lq_set_meter_channels(h, meterChannels);
    if (display && e.lq_spectrum_set) e.lq_spectrum_set(h, 45, 6);
    const buf = e.memory.buffer;
    const inL = new Float32Array(buf, e.lq_input_ptr(h, 0), Q), inR = new Float32Array(buf, e.lq_input_ptr(h, 1), Q);
    const outL = new Float32Array(buf, e.lq_output_ptr(h, 0), Q), outR = new Float32Array(buf, e.lq_output_ptr(h, 1), Q);
    const oL = new Float32Array(Q), oR = new Float32Array(Q);
    const t0 = performance.now();
    let q = 0;
    for (let pos = 0; pos + Q <= n; pos += Q, q++) {
      inL.set(L.subarray(pos, pos + Q));
      inR.set(R.subarray(pos, pos + Q));
      e.lq_process(h, Q);
      oL.set(outL);
      oR.set(outR);
      if (display && q % EVERY === 0) {
        e.lq_update_loudness(h);
        if (e.lq_spectrum_update) e.lq_spectrum_update(h);
      }
    }
    const secs = (performance.now() - t0) / 1000;
    e.lq_destroy(h);
    return SECONDS / secs;
  };
  const rows = {};
  // Alternate the configurations so drift affects all alike.
  const configs = ['off', 'meters', 'display'];
  const runs = { off: [], meters: [], display: [] };
  once('display'); // warm-up (tier-up of the wasm code)
  for (let run = 0; run < RUNS; run++) {
    for (const k of configs) runs[k].push(once(k));
  }
  for (const k of configs) {
    runs[k].sort((a, b) => a - b);
    rows[k] = runs[k][RUNS >> 1];
  }
  return rows;
}

function print(host, rows) {
  // x× realtime: a 128-frame quantum (2.67 ms at 48 kHz) takes 2667 / x µs.
  const line = (name, x) => console.log(`${(host + ': ' + name).padEnd(80)} ${x.toFixed(0).padStart(5)}× realtime  ${(128e6 / 48000 / x).toFixed(1).padStart(6)} µs per quantum  ${(100 / x).toFixed(2).padStart(5)} % of the budget  (median of 5)`);
  line('chain alone (meters off)', rows.off);
  line('chain + live meters (loudness M/S/I, true peaks)', rows.meters);
  line('chain + meters + spectrum, read and updated at 30 Hz', rows.display);
}

const wasmPath = process.argv[2] || 'target/worklet/wasm32-unknown-unknown/release/lacquer_dsp.wasm';
const bytes = fs.readFileSync(wasmPath);
print(`Node ${process.version}`, bench(bytes));

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
let chromium = null;
try {
  chromium = createRequire(path.join(here, '../../tests/package.json'))('playwright-core').chromium;
} catch {
  console.log('Chromium: skipped (run npm ci in tests/ for playwright-core)');
}
if (chromium && fs.existsSync(CHROMIUM)) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const version = browser.version();
  const rows = await page.evaluate(([b64, src]) => {
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return (0, eval)(`(${src})`)(bin);
  }, [bytes.toString('base64'), bench.toString()]);
  await browser.close();
  print(`Chromium ${version}`, rows);
} else if (chromium) {
  console.log(`Chromium: skipped (${CHROMIUM} not found)`);
}

// Throughput of the full chain as the AudioWorklet runs it: the worklet's DSP
// wasm, 128-frame quanta through the C-ABI (including the copies in and out of
// wasm memory), 48 kHz stereo, default settings, one thread. Two rows: the
// chain alone (loudness meter switched off with `lq_set_meter_channels(h, 0)`)
// and the chain with the live BS.1770 meter the worklet runs. Two hosts: Node,
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
  const once = (meterChannels) => {
    const e = new WebAssembly.Instance(module, {}).exports;
    const h = e.lq_create(FS, Q);
    e.lq_set_meter_channels(h, meterChannels);
    const buf = e.memory.buffer;
    const inL = new Float32Array(buf, e.lq_input_ptr(h, 0), Q), inR = new Float32Array(buf, e.lq_input_ptr(h, 1), Q);
    const outL = new Float32Array(buf, e.lq_output_ptr(h, 0), Q), outR = new Float32Array(buf, e.lq_output_ptr(h, 1), Q);
    const oL = new Float32Array(Q), oR = new Float32Array(Q);
    const t0 = performance.now();
    for (let pos = 0; pos + Q <= n; pos += Q) {
      inL.set(L.subarray(pos, pos + Q));
      inR.set(R.subarray(pos, pos + Q));
      e.lq_process(h, Q);
      oL.set(outL);
      oR.set(outR);
    }
    const secs = (performance.now() - t0) / 1000;
    e.lq_destroy(h);
    return SECONDS / secs;
  };
  const rows = {};
  // Alternate the two configurations so drift affects both alike.
  const runs = { 0: [], 2: [] };
  once(0); // warm-up (tier-up of the wasm code)
  for (let run = 0; run < RUNS; run++) {
    runs[0].push(once(0));
    runs[2].push(once(2));
  }
  for (const k of [0, 2]) {
    runs[k].sort((a, b) => a - b);
    rows[k] = runs[k][RUNS >> 1];
  }
  return rows;
}

function print(host, rows) {
  const line = (name, x) => console.log(`${(host + ': ' + name).padEnd(52)} ${x.toFixed(0).padStart(5)}× realtime  (median of 5; ${(60000 / x).toFixed(1)} ms per minute of audio)`);
  line('chain alone (meter off)', rows[0]);
  line('chain + live loudness meter', rows[2]);
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

// Throughput of the full chain as the AudioWorklet runs it: the worklet's DSP wasm
// under Node, 128-frame quanta through the C-ABI (including the copies in and
// out of wasm memory), 48 kHz stereo, default settings.
// Build: cargo build -p lacquer-dsp --lib --release --features worklet \
//          --target wasm32-unknown-unknown --target-dir target/worklet
// Run:   node dsp/benches/wasm_bench.mjs target/worklet/wasm32-unknown-unknown/release/lacquer_dsp.wasm
import fs from 'node:fs';

const FS = 48000, SECONDS = 60, RUNS = 5, Q = 128;
const wasmPath = process.argv[2] || 'target/worklet/wasm32-unknown-unknown/release/lacquer_dsp.wasm';
const module = new WebAssembly.Module(fs.readFileSync(wasmPath));

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

const results = [];
for (let run = 0; run < RUNS; run++) {
  const e = new WebAssembly.Instance(module, {}).exports;
  const h = e.lq_create(FS, Q);
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
  results.push(SECONDS / secs);
}
results.sort((a, b) => a - b);
const med = results[RUNS >> 1];
console.log(`Full chain in wasm (worklet C-ABI, default settings)  ${med.toFixed(0)}× realtime  (median of ${RUNS}; ${(60000 / med).toFixed(1)} ms per minute of audio)`);

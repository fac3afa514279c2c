// Runs the worklet's DSP wasm under Node through the same C-ABI the AudioWorklet
// uses, 128-frame quanta at a time.
// usage: node wasm_parity.mjs DSP.wasm IN.f32 SETTINGS.json SAMPLE_RATE OUT.f32
// IN/OUT: planar little-endian f32, left channel then right channel; OUT.latency
// holds the engine's latency in frames (the chain's plus the monitor's delay).
import fs from 'node:fs';

const [wasmPath, inPath, settingsPath, rate, outPath] = process.argv.slice(2);
const { exports: e } = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(wasmPath)), {});
const input = new Float32Array(fs.readFileSync(inPath).buffer.slice(0));
const n = input.length / 2;
const h = e.lq_create(Number(rate), 128);
if (!h) throw new Error('lq_create failed');
const json = Buffer.from(fs.readFileSync(settingsPath, 'utf8'), 'utf8');
const sp = e.lq_settings_buf(h, json.length);
new Uint8Array(e.memory.buffer, sp, json.length).set(json);
if (e.lq_apply_settings(h, json.length) !== 0) throw new Error('settings rejected');
// Settings applied after creation are smoothed; start from them as the offline
// render does (prepare snaps to the settings it is given).
e.lq_reset(h);
const out = new Float32Array(2 * n);
for (let pos = 0; pos < n; pos += 128) {
  const k = Math.min(128, n - pos);
  const buf = e.memory.buffer;
  new Float32Array(buf, e.lq_input_ptr(h, 0), 128).set(input.subarray(pos, pos + k));
  new Float32Array(buf, e.lq_input_ptr(h, 1), 128).set(input.subarray(n + pos, n + pos + k));
  e.lq_process(h, k);
  out.set(new Float32Array(e.memory.buffer, e.lq_output_ptr(h, 0), k), pos);
  out.set(new Float32Array(e.memory.buffer, e.lq_output_ptr(h, 1), k), n + pos);
}
fs.writeFileSync(outPath, Buffer.from(out.buffer));
// The engine's whole latency (the chain's, then the monitor's fixed delay),
// so the caller can line the output up with the chain alone.
fs.writeFileSync(`${outPath}.latency`, String(e.lq_latency(h)));

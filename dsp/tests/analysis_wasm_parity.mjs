// Runs the worker's DSP wasm under Node through the worker's C-ABI (`lqs_*`):
// loads planar audio, analyses it, previews its master, and writes what the
// page would receive.
// usage: node analysis_wasm_parity.mjs DSP.wasm IN.f32 SAMPLE_RATE OUT_DIR
// IN: planar little-endian f32, left channel then right channel.
// OUT_DIR gets summary.json, master.json (the master's summary), and
// peaks-mix.f32 / peaks-master.f32 (lqs_peaks over the whole file, 500 columns).
import fs from 'node:fs';
import path from 'node:path';

const [wasmPath, inPath, rate, outDir] = process.argv.slice(2);
const { exports: e } = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(wasmPath)), {});
const input = new Float32Array(fs.readFileSync(inPath).buffer.slice(0));
const n = input.length / 2;
const h = e.lqs_create();
const out = () => new Uint8Array(e.memory.buffer, e.lqs_out_ptr(h), e.lqs_out_len(h)).slice();
const text = () => new TextDecoder().decode(out());
const check = (rc) => {
  if (rc < 0) throw new Error(text());
  return rc;
};
check(e.lqs_begin(h, 2, n, Number(rate)));
for (let c = 0; c < 2; c++) {
  new Float32Array(e.memory.buffer, e.lqs_channel_ptr(h, c), n).set(input.subarray(c * n, (c + 1) * n));
}
e.lqs_commit(h, n);
while (!check(e.lqs_analyze(h, 30000))) {}
check(e.lqs_summary(h, 100));
fs.writeFileSync(path.join(outDir, 'summary.json'), out());
check(e.lqs_peaks(h, 0, 0, n, 500));
fs.writeFileSync(path.join(outDir, 'peaks-mix.f32'), out());
check(e.lqs_preview_start(h, 0, 1, -12, -1));
while (!check(e.lqs_export_step(h, 50000))) {}
check(e.lqs_export_finish(h));
check(e.lqs_master_summary(h, 100));
fs.writeFileSync(path.join(outDir, 'master.json'), out());
check(e.lqs_peaks(h, 1, 0, n, 500));
fs.writeFileSync(path.join(outDir, 'peaks-master.f32'), out());

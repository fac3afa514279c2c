// Runs the worker's DSP wasm under Node through the worker's C-ABI (`lqs_*`):
// loads planar audio, analyses it, and exports it in every release format,
// at the source rate and converted, writing each file's bytes as the worker
// receives them (steps, then the finish's tail; no header patch).
// usage: node delivery_wasm_parity.mjs DSP.wasm IN.f32 SAMPLE_RATE OUT_DIR
// IN: planar little-endian f32, left channel then right channel.
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
const tags = new TextEncoder().encode('{"title": "T", "isrc": "GB-AYE-26-00001"}');
for (const format of [0, 1, 2, 3, 4]) {
  for (const to of [0, 44100]) {
    new Uint8Array(e.memory.buffer, e.lqs_in_buf(h, tags.length), tags.length).set(tags);
    check(e.lqs_export_start(h, 0, 0, 0, 0, format, to, tags.length));
    const parts = [];
    for (;;) {
      const done = check(e.lqs_export_step(h, 50000));
      parts.push(out());
      if (done) break;
    }
    check(e.lqs_export_finish(h));
    parts.push(out());
    fs.writeFileSync(path.join(outDir, `${format}-${to}.bin`), Buffer.concat(parts));
  }
}

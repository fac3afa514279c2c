// Runs a wasm32-wasip1 build of an example under Node's WASI, passing the
// environment through (for `chain_prof`'s MODULE= and ABL=):
//   rustup target add wasm32-wasip1
//   RUSTFLAGS="-Ctarget-feature=+simd128" cargo build --release -p lacquer-dsp \
//     --example chain_prof --target wasm32-wasip1 --target-dir target/wasi
//   MODULE=limiter node --no-warnings dsp/benches/wasi.mjs \
//     target/wasi/wasm32-wasip1/release/examples/chain_prof.wasm 20
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [, , file, ...args] = process.argv;
const wasi = new WASI({ version: 'preview1', args: ['chain_prof', ...args], env: process.env, returnOnExit: true });
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), wasi.getImportObject());
wasi.start(instance);

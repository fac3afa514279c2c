//! C-ABI surfaces for the browser (feature `worklet`), driven from plain
//! JavaScript with numbers and pointers into wasm memory: no generated glue,
//! no imports. One wasm module serves both hosts.
//!
//! - [`worklet`]: the AudioWorklet's real-time engine (`lq_*`).
//! - [`worker`]: the Web Worker's session (`lqs_*`): loading, analysis,
//!   export.
//! - [`release`]: the worker's release bundle and the check of delivered
//!   files as the browser decoded them (`lqs_bundle_*`, `lqs_verify_*`).

pub mod release;
pub mod worker;
pub mod worklet;

pub use worklet::*;

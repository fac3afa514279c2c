// Generated test programme: drums, bass and noise with a realistic crest factor.
// Deterministic (seeded), so every run feeds the same bytes.

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Stereo programme, planar floats. */
export function programme(sampleRate, seconds, seed = 7) {
  const n = Math.round(sampleRate * seconds);
  const L = new Float64Array(n), R = new Float64Array(n);
  const rand = rng(seed);
  const beat = 60 / 120;
  let hatLp = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const tb = t % beat;
    // Kick on every beat: pitch-swept sine with a fast decay.
    const kick = Math.sin(2 * Math.PI * (50 * tb + 60 * (1 - Math.exp(-tb * 30)) / 30)) * Math.exp(-tb * 8) * 0.7;
    // Snare on 2 and 4: noise burst.
    const tbar = t % (2 * beat);
    const snare = tbar > beat ? (rand() * 2 - 1) * Math.exp(-(tbar - beat) * 18) * 0.35 : 0;
    // Hats: high-passed noise on eighths.
    const te = t % (beat / 2);
    const nz = rand() * 2 - 1;
    hatLp += 0.3 * (nz - hatLp);
    const hat = (nz - hatLp) * Math.exp(-te * 60) * 0.12;
    // Bass: two-note line with a little harmonic content.
    const f0 = Math.floor(t / (4 * beat)) % 2 ? 55 : 41.2;
    const bass = (Math.sin(2 * Math.PI * f0 * t) + 0.3 * Math.sin(4 * Math.PI * f0 * t)) * 0.22;
    // Pad: slowly beating chord, spread in stereo.
    const pad = 0.05 * (Math.sin(2 * Math.PI * 220 * t) + Math.sin(2 * Math.PI * 277.2 * t + 1));
    L[i] = 0.5 * (kick + snare + bass) + hat * 0.8 + pad;
    R[i] = 0.5 * (kick + snare + bass) + hat * 1.2 - pad * 0.6;
  }
  return [L, R];
}

/** A sine of `freq` Hz with peak level `dbfs` in each of `channels` channels, faded in over 10 ms. */
export function sine(sampleRate, seconds, freq, dbfs, channels = 2) {
  const n = Math.round(sampleRate * seconds);
  const amp = 10 ** (dbfs / 20);
  const fade = Math.round(sampleRate / 100);
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = i < fade ? 0.5 - 0.5 * Math.cos(Math.PI * i / fade) : 1;
    s[i] = g * amp * Math.sin(2 * Math.PI * freq * i / sampleRate);
  }
  return Array.from({ length: channels }, () => s.slice());
}

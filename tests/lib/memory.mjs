// Chromium's memory as the operating system sees it: the resident set size
// of the browser process and all of its descendants (renderers, GPU and
// utility processes), summed, from /proc. Sampled on a timer, it gives the
// peak above an idle baseline.
import fs from 'node:fs';

function readProcs() {
  const procs = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = fs.readFileSync(`/proc/${d}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] || 0);
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      procs.push({ pid: Number(d), ppid, rssKb, cmd });
    } catch (_) { /* the process ended meanwhile */ }
  }
  return procs;
}

/** RSS in bytes summed over the Chromium process tree whose root was started with `userDataDir`. */
export function chromiumRss(userDataDir) {
  const procs = readProcs();
  const roots = procs.filter((p) => p.cmd.includes(userDataDir) && !procs.some((q) => q.pid === p.ppid && q.cmd.includes(userDataDir)));
  const children = new Map();
  for (const p of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p);
  }
  let total = 0;
  const stack = [...roots];
  const seen = new Set();
  while (stack.length) {
    const p = stack.pop();
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    total += p.rssKb * 1024;
    stack.push(...(children.get(p.pid) || []));
  }
  return total;
}

/** Samples `chromiumRss` every `everyMs`; `stop()` returns { peak, samples }. */
export function sampleRss(userDataDir, everyMs = 200) {
  let peak = 0;
  const samples = [];
  const take = () => {
    const v = chromiumRss(userDataDir);
    samples.push(v);
    if (v > peak) peak = v;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    mark: () => { take(); return peak; },
    resetPeak: () => { peak = 0; take(); },
    stop: () => { clearInterval(timer); take(); return { peak, samples }; },
  };
}

import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

// Loaded into a fakecri server by the bench (`node -r`): how late its event
// loop runs timers, which is how long its turns are, and its GC pauses. On
// SIGUSR2 it prints the figures since the last SIGUSR2 on stderr, one JSON
// line after `fakecri-bench pauses ` (userland.ts reads it), and starts again.
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
let scavenges: number[] = [];
let others: number[] = []; // mark-compact, incremental marking, weak callbacks
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    (kind === constants.NODE_PERFORMANCE_GC_MINOR ? scavenges : others).push(e.duration);
  }
}).observe({ entryTypes: ['gc'] });
process.on('SIGUSR2', () => {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const r = (x: number) => Math.round(x * 100) / 100;
  const s = scavenges.sort((a, b) => a - b);
  const q = (p: number) => (s.length ? r(s[Math.min(s.length - 1, Math.floor(p * s.length))]) : 0);
  const line = {
    p50: ms(h.percentile(50)),
    p99: ms(h.percentile(99)),
    max: ms(h.max),
    gc: {
      scavenges: s.length,
      scavengeMs: r(s.reduce((a, b) => a + b, 0)),
      scavengeP50: q(0.5),
      scavengeP90: q(0.9),
      scavengeMax: q(1),
      others: others.length,
      othersMax: r(others.reduce((a, b) => Math.max(a, b), 0)),
    },
  };
  process.stderr.write(`fakecri-bench pauses ${JSON.stringify(line)}\n`);
  h.reset();
  scavenges = [];
  others = [];
});

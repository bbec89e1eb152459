import { monitorEventLoopDelay } from 'node:perf_hooks';

// Loaded into a fakecri server by the bench (`node -r`): how late its event
// loop runs timers, which is how long its turns are. On SIGUSR2 it prints
// the figures since the last SIGUSR2 on stderr, one JSON line after
// `fakecri-bench loop delay ` (userland.ts reads it), and starts again.
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
process.on('SIGUSR2', () => {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  process.stderr.write(`fakecri-bench loop delay ${JSON.stringify({ p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) })}\n`);
  h.reset();
});

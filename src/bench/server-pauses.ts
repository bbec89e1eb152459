import http2 from 'node:http2';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

// Loaded into a fakecri server by the bench (`node -r`): how late its event
// loop runs timers, which is how long its turns are, its GC pauses, and how
// long each Version call took as the server saw it, from its HTTP/2 stream
// opening (the request's headers read) to its closing (the answer written):
// the bench's callers see that, the wait for the server to read, and their
// own waits for a CPU. On
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
// grpc-js makes its server with http2.createServer, looked up at the call.
let versions: number[] = [];
const createServer = http2.createServer;
(http2 as { createServer: typeof createServer }).createServer = ((...args: Parameters<typeof createServer>) => {
  const server = createServer(...args);
  server.on('stream', (stream, headers) => {
    if (!String(headers[':path']).endsWith('/Version')) return;
    const t = performance.now();
    stream.once('close', () => versions.push(performance.now() - t));
  });
  return server;
}) as typeof createServer;

process.on('SIGUSR2', () => {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const r = (x: number) => Math.round(x * 100) / 100;
  const s = scavenges.sort((a, b) => a - b);
  const at = (a: number[], p: number) => (a.length ? r(a[Math.min(a.length - 1, Math.floor(p * a.length))]) : 0);
  const q = (p: number) => at(s, p);
  const v = versions.sort((a, b) => a - b);
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
    version: { calls: v.length, p50: at(v, 0.5), p99: at(v, 0.99) },
  };
  process.stderr.write(`fakecri-bench pauses ${JSON.stringify(line)}\n`);
  h.reset();
  scavenges = [];
  others = [];
  versions = [];
});

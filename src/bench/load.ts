import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface LoadResult {
  calls: number;
  p50: number; // ms
  p99: number; // ms
  perSecond: number;
}

// `callers` concurrent loops calling `fn` until `maxCalls` or `maxMs`.
export async function measure(fn: () => Promise<unknown>, opts: { callers: number; maxCalls: number; maxMs: number }): Promise<LoadResult> {
  // Warm up the path (JIT, connection) first.
  for (let i = 0; i < Math.min(50, opts.maxCalls); i++) await fn();
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + opts.maxMs;
  let issued = 0;
  const loop = async () => {
    while (issued < opts.maxCalls && performance.now() < deadline) {
      issued++;
      const t = performance.now();
      await fn();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: opts.callers }, loop));
  return summarize(latencies, performance.now() - start);
}

function summarize(latencies: number[], elapsedMs: number): LoadResult {
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { calls: latencies.length, p50: q(0.5), p99: q(0.99), perSecond: (latencies.length / elapsedMs) * 1000 };
}

// `callers` loops each calling `fn` once every `everyMs` (staggered), for
// `ms`: the latency a client sees when it does not itself keep the server
// saturated, as a kubelet's relist and status calls do.
export async function paced(fn: () => Promise<unknown>, opts: { callers: number; everyMs: number; ms: number }): Promise<LoadResult> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + opts.ms;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await Promise.all(
    Array.from({ length: opts.callers }, async (_, k) => {
      await pause((opts.everyMs / opts.callers) * k);
      while (performance.now() < end) {
        const t = performance.now();
        await fn();
        const d = performance.now() - t;
        latencies.push(d);
        await pause(Math.max(0, opts.everyMs - d));
      }
    }),
  );
  return summarize(latencies, performance.now() - start);
}

export const fmt = (n: number, digits = 3): string => n.toFixed(digits);

// A process's resident memory, from /proc.
export const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

// /proc/PID/stat's fields after the command name.
const procStat = (pid: number): string[] => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
// /proc's CPU times are in clock ticks: 100 a second on Linux.
const CLOCK_TICKS = 100;

// A process's CPU time (user and system, all its threads), in ms.
export function cpuMs(pid: number): number {
  const f = procStat(pid);
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
}

// A process's minor page faults so far.
export const minorFaults = (pid: number): number => Number(procStat(pid)[7]);

// How main.ts starts `fakecri serve` with these arguments (and node with
// nodeArgs), resolved once it prints `ready`.
export type FakecriCli = (args: string[], ready: string, nodeArgs?: string[]) => Promise<ChildProcess>;

// Calls `said` with what follows `prefix` on each line of `stream` that has
// it: what a module the bench loaded into a server (`node -r`) tells it on
// the server's stderr.
export function onLinesAfter(stream: Readable, prefix: string, said: (rest: string) => void): void {
  let pending = '';
  stream.on('data', (d: Buffer) => {
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const at = line.indexOf(prefix);
      if (at >= 0) said(line.slice(at + prefix.length));
    }
  });
}

// A section's own server, on <dir>/<name>.sock with state in
// <dir>/<name>-state (after `args`, such as a --config), stopped however the
// section ends: a failed measurement must not leave it behind.
export async function withServer(dir: string, name: string, fakecriCli: FakecriCli, run: (sock: string, pid: number) => Promise<void>, args: string[] = []): Promise<void> {
  const sock = join(dir, `${name}.sock`);
  const fakecri = await fakecriCli(['serve', ...args, '--socket', sock, '--state-dir', join(dir, `${name}-state`), '--log-level', 'info'], 'fakecri serving');
  try {
    await run(sock, fakecri.pid!);
  } finally {
    await stopChild(fakecri);
  }
}

// SIGTERM to a server the bench started, resolved once it has exited (it
// writes its state out as it stops: the bench's directory goes after).
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  return exited;
}

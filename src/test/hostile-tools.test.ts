import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChaosSummary } from '../bench/hostile/chaos';
import type { FuzzSummary } from '../bench/hostile/fuzz';
import { mountUnavailable } from './tmpfs';

// The short forms of `make fuzz` and `make chaos` (issue 13): the built
// tools, run as they are from the Makefile, judged by their own summaries.
const BENCH = join(__dirname, '..', '..', 'dist', 'bench', 'hostile');

function run(tool: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(BENCH, tool), ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('hostile-input tools', () => {
  it('make fuzz, short: up to 2,000 calls, no crash, hang, unexpected UNKNOWN, write outside or fd growth', { timeout: 400_000 }, async () => {
    // A loaded machine makes fewer calls in the time limit: the verdict is on
    // what happened in those, not on how many there were.
    const r = await run('fuzz.js', ['--calls', '2000', '--seconds', '200', '--seed', '13', '--deadline', '30000', '--concurrency', '4']);
    expect(r.err).toBe('');
    const sum = JSON.parse(r.out) as FuzzSummary;
    const calls = sum.phases.reduce((n, p) => n + p.calls.total, 0);
    expect(calls).toBeGreaterThanOrEqual(100);
    for (const p of sum.phases) {
      expect({ phase: p.personality, crashes: p.crashes, failedStarts: p.failedStarts, hangs: p.hangs, unexpected: p.unexpectedUnknown, breaches: p.breaches, leftOpen: p.garbageLeftOpen }).toEqual({
        phase: p.personality,
        crashes: [],
        failedStarts: [],
        hangs: [],
        unexpected: [],
        breaches: [],
        leftOpen: 0,
      });
      expect(p.fds.end).toBeLessThanOrEqual(p.fds.start + 5);
      expect(Object.keys(p.statuses).length).toBeGreaterThan(3);
    }
    expect(r.code).toBe(0);
  });

  it.skipIf(Boolean(mountUnavailable))('make chaos, short: kill -9 under load, nothing lost or back, accounting equals the disk', { timeout: 300_000 }, async () => {
    const r = await run('chaos.js', ['--kills', '4', '--seed', '13']);
    expect(r.err).toBe('');
    const sum = JSON.parse(r.out) as ChaosSummary;
    expect({ lost: sum.lost, resurrected: sum.resurrected, accounting: sum.accounting, failedStarts: sum.failedStarts, crashes: sum.crashes }).toEqual({
      lost: [],
      resurrected: [],
      accounting: [],
      failedStarts: [],
      crashes: [],
    });
    expect(sum.kills).toBe(4);
    expect(sum.acknowledged).toBeGreaterThan(0);
    expect(r.code).toBe(0);
  });
});

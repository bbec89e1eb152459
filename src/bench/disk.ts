import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeClient } from '../cri/client';
import { fmt, measure, stopChild } from './load';

const GiB = 2 ** 30;

// The filesystem figures of `make bench`: a 1 GiB pull into the host backend
// on tmpfs against dd writing the same bytes to the same mount, a 10 GiB pull
// into the memory backend, and ImageFsInfo over 1,000 images.
export async function diskBench(dir: string, print: (s: string) => void, startChild: (args: string[], ready: string) => Promise<ChildProcess>): Promise<void> {
  print('');
  print('Filesystems');
  const mnt = join(dir, 'tmpfs');
  mkdirSync(mnt);
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2200m', 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    print(`  1 GiB host pull vs dd: skipped, cannot mount tmpfs (${(err as Error).message.split('\n')[0]})`);
  }
  try {
    if (mounted) await hostPull(dir, mnt, print, startChild);
    await memoryFigures(dir, print, startChild);
  } finally {
    if (mounted) execFileSync('umount', ['-l', mnt]);
  }
}

async function hostPull(dir: string, mnt: string, print: (s: string) => void, startChild: (args: string[], ready: string) => Promise<ChildProcess>) {
  const config = join(dir, 'host.toml');
  writeFileSync(
    config,
    `[filesystems.imagefs]\nbackend = "host"\npath = "${mnt}"\n\n[[images.catalog]]\nmatch = "bench/big:*"\nsize = "1Gi"\nlayers = 1\n`,
  );
  const sock = join(dir, 'host.sock');
  const server = await startChild(['serve', '--config', config, '--socket', sock, '--state-dir', join(dir, 'host-state'), '--log-level', 'info'], 'fakecri serving');
  const img = makeClient(sock, 'ImageService');
  try {
    const ddRuns: number[] = [];
    const pullRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'dd.bin')}`, 'bs=8M', 'count=128', 'status=none']);
      ddRuns.push(performance.now() - t0);
      rmSync(join(mnt, 'dd.bin'));
      const t1 = performance.now();
      await img.call('PullImage', { image: { image: `bench/big:${i}` } });
      pullRuns.push(performance.now() - t1);
      await img.call('RemoveImage', { image: { image: `bench/big:${i}` } });
    }
    const dd = Math.min(...ddRuns);
    const pull = Math.min(...pullRuns);
    const ddRate = GiB / (dd / 1000);
    const pullRate = GiB / (pull / 1000);
    print(`  1 GiB into tmpfs, best of 3: dd bs=8M ${fmt(dd, 0)} ms (${fmt(ddRate / 2 ** 20, 0)} MiB/s); PullImage, host backend ${fmt(pull, 0)} ms (${fmt(pullRate / 2 ** 20, 0)} MiB/s)`);
    print(`  target: pull throughput at least 0.8 of dd's: ${fmt(pullRate / ddRate, 2)}  (${pullRate / ddRate >= 0.8 ? 'met' : 'NOT met'})`);
  } finally {
    img.close();
    await stopChild(server);
  }
}

async function memoryFigures(dir: string, print: (s: string) => void, startChild: (args: string[], ready: string) => Promise<ChildProcess>) {
  const config = join(dir, 'mem.toml');
  writeFileSync(config, `[filesystems.imagefs]\ncapacity = "1Ti"\n\n[[images.catalog]]\nmatch = "bench/huge:*"\nsize = "10Gi"\n`);
  const sock = join(dir, 'mem.sock');
  const server = await startChild(['serve', '--config', config, '--socket', sock, '--state-dir', join(dir, 'mem-state'), '--log-level', 'info'], 'fakecri serving');
  const img = makeClient(sock, 'ImageService');
  try {
    const runs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await img.call('PullImage', { image: { image: `bench/huge:${i}` } });
      runs.push(performance.now() - t);
    }
    runs.sort((a, b) => a - b);
    const p50 = runs[Math.floor(runs.length / 2)];
    print(`  10 GiB PullImage into the memory backend: p50 ${fmt(p50, 2)} ms, worst ${fmt(runs[runs.length - 1], 2)} ms  (target under 5 ms: ${p50 < 5 ? 'met' : 'NOT met'})`);
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => img.call('PullImage', { image: { image: `bench/many-${i + j}:1` } })));
    }
    const info = await measure(() => img.call('ImageFsInfo'), { callers: 1, maxCalls: 2000, maxMs: 2000 });
    print(`  ImageFsInfo with 1,020 images: p50 ${fmt(info.p50)} ms, p99 ${fmt(info.p99)} ms`);
  } finally {
    img.close();
    await stopChild(server);
  }
}

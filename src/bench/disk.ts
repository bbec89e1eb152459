import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeClient } from '../cri/client';
import { type FakecriCli, fmt, measure, withServer } from './load';

const GiB = 2 ** 30;

// The filesystem figures of `make bench`: a 1 GiB pull into the host backend
// on tmpfs against dd writing the same bytes to the same mount, a 10 GiB pull
// into the memory backend, and ImageFsInfo over 1,000 images.
export async function diskBench(dir: string, print: (s: string) => void, startChild: FakecriCli): Promise<void> {
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

async function hostPull(dir: string, mnt: string, print: (s: string) => void, startChild: FakecriCli) {
  const config = join(dir, 'host.toml');
  writeFileSync(
    config,
    // bench/big: one file, as dd writes; bench/unpacked: as many files as
    // the default images.bytes_per_inode gives (32,768).
    `[filesystems.imagefs]\nbackend = "host"\npath = "${mnt}"\n\n[[images.catalog]]\nmatch = "bench/big:*"\nsize = "1Gi"\nlayers = 1\ninodes = 1\n\n[[images.catalog]]\nmatch = "bench/unpacked:*"\nsize = "1Gi"\nlayers = 1\n`,
  );
  await withServer(dir, 'host', startChild, (sock) => measureHostPull(sock, mnt, print), ['--config', config]);
}

async function measureHostPull(sock: string, mnt: string, print: (s: string) => void) {
  const img = makeClient(sock, 'ImageService');
  try {
    const ddRuns: number[] = [];
    const pullRuns: number[] = [];
    const unpackedRuns: number[] = [];
    const pull = async (image: string, runs: number[]) => {
      const t = performance.now();
      await img.call('PullImage', { image: { image } });
      runs.push(performance.now() - t);
      await img.call('RemoveImage', { image: { image } });
    };
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'dd.bin')}`, 'bs=8M', 'count=128', 'status=none']);
      ddRuns.push(performance.now() - t0);
      rmSync(join(mnt, 'dd.bin'));
      await pull(`bench/big:${i}`, pullRuns);
      await pull(`bench/unpacked:${i}`, unpackedRuns);
    }
    const dd = Math.min(...ddRuns);
    const one = Math.min(...pullRuns);
    const ddRate = GiB / (dd / 1000);
    const pullRate = GiB / (one / 1000);
    print(`  1 GiB into tmpfs, best of 3: dd bs=8M ${fmt(dd, 0)} ms (${fmt(ddRate / 2 ** 20, 0)} MiB/s); PullImage of a layer of one file, host backend ${fmt(one, 0)} ms (${fmt(pullRate / 2 ** 20, 0)} MiB/s)`);
    print(`  the same layer unpacked into 32,768 files (the default images.bytes_per_inode): ${fmt(Math.min(...unpackedRuns), 0)} ms`);
    print(`  target: pull throughput at least 0.8 of dd's: ${fmt(pullRate / ddRate, 2)}  (${pullRate / ddRate >= 0.8 ? 'met' : 'NOT met'})`);
  } finally {
    img.close();
  }
}

async function memoryFigures(dir: string, print: (s: string) => void, startChild: FakecriCli) {
  const config = join(dir, 'mem.toml');
  writeFileSync(config, `[filesystems.imagefs]\ncapacity = "1Ti"\n\n[[images.catalog]]\nmatch = "bench/huge:*"\nsize = "10Gi"\n`);
  await withServer(dir, 'mem', startChild, (sock) => measureMemory(sock, print), ['--config', config]);
}

async function measureMemory(sock: string, print: (s: string) => void) {
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
  }
}

import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeCheckpointArchive, openCheckpointArchive } from '../checkpoint/archive';
import { applyRootfsDiff } from '../checkpoint/rootfs-diff';
import { MemTree } from '../workloads/rootfs/memory-tree';
import { fmt, rssKiB } from './load';

const MiB = 2 ** 20;
const SIZE = 256 * MiB;

// CheckpointContainer's archive in `make bench`: a writable layer holding
// one 256 MiB file (a random fill, as `dd if=/dev/urandom` leaves in the
// memory backend) written to an archive and applied to a new layer; beside
// GNU tar archiving a real file of the same size in the same directory. RSS
// is sampled meanwhile: the archive is streamed, so it should stay flat.
export async function checkpointBench(dir: string, print: (s: string) => void): Promise<void> {
  print('');
  print('Checkpoint archives');
  const upper = new MemTree({ dev: 0 });
  const f = upper.create(upper.root(), 'big', { type: 'file', mode: 0o644, uid: 0, gid: 0 });
  const io = upper.open(f, true);
  io.write(0, { fill: 'random', length: SIZE, seed: 1, offset: 0 });
  io.close();

  const base = join(dir, 'ckpt-base.bin');
  execFileSync('dd', ['if=/dev/urandom', `of=${base}`, 'bs=1M', `count=${SIZE / MiB}`, 'status=none']);
  let t0 = performance.now();
  execFileSync('tar', ['-cf', join(dir, 'ckpt-base.tar'), '-C', dir, 'ckpt-base.bin']);
  const tarRate = SIZE / MiB / ((performance.now() - t0) / 1000);
  rmSync(base);
  rmSync(join(dir, 'ckpt-base.tar'));

  const rss0 = rssKiB(process.pid);
  let peak = rss0;
  const sample = () => {
    peak = Math.max(peak, rssKiB(process.pid));
  };
  const location = join(dir, 'ckpt.tar');
  t0 = performance.now();
  await writeCheckpointArchive(location, { config: {}, spec: {}, status: '{}', dumpLog: '', upper }, sample);
  const writeRate = SIZE / MiB / ((performance.now() - t0) / 1000);
  const bytes = statSync(location).size;
  const writePeak = peak;

  const target = new MemTree({ dev: 0 });
  const archive = openCheckpointArchive(location);
  t0 = performance.now();
  try {
    await applyRootfsDiff(archive.diff(), [], target, sample);
  } finally {
    archive.close();
  }
  const restoreRate = SIZE / MiB / ((performance.now() - t0) / 1000);
  rmSync(location);
  print(`  write a 256 MiB random-fill file into an archive (${fmt(bytes / MiB, 1)} MiB): ${fmt(writeRate, 0)} MiB/s; GNU tar -cf of a 256 MiB file beside it: ${fmt(tarRate, 0)} MiB/s (${fmt(writeRate / tarRate, 2)}x)`);
  print(`  apply it to a new memory layer: ${fmt(restoreRate, 0)} MiB/s (the restored file holds real bytes)`);
  print(`  RSS ${fmt(rss0 / 1024, 0)} MiB before; at most ${fmt(writePeak / 1024, 0)} MiB while writing (target: flat), ${fmt(peak / 1024, 0)} MiB while restoring (the restored random file is held in memory, 256 MiB)`);
}

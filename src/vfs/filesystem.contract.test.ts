import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { needs } from '../test/skip';
import { type Tmpfs, allocated, mountTmpfs, mountUnavailable, statfsInodesUsed, statfsUsed } from '../test/tmpfs';
import type { Filesystem } from './filesystem';
import { HostFilesystem } from './host-backend';
import { MemoryFilesystem } from './memory-backend';

const MiB = 2 ** 20;
const CAPACITY = 32 * MiB;

// One suite, both backends: the memory backend against its configured
// capacity, the host backend against a real 32 MiB tmpfs.
const backends: [string, string | undefined, () => { fs: Filesystem; cleanup(): void; tmp?: Tmpfs }][] = [
  [
    'memory',
    undefined,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'fakecri-memfs-'));
      return { fs: new MemoryFilesystem('imagefs', dir, CAPACITY, 1000), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'host on tmpfs',
    mountUnavailable,
    () => {
      const tmp = mountTmpfs(`${CAPACITY / MiB}m`, 'hostfs', 1000);
      return { fs: new HostFilesystem('imagefs', tmp.path), cleanup: () => tmp.unmount(), tmp };
    },
  ],
];

describe.each(backends)('Filesystem contract: %s', (kind, skipReason, make) => {
  const maybe = (name: string, fn: () => Promise<void>) => it(name, needs(skipReason), fn);
  let fs: Filesystem;
  let env: ReturnType<typeof make>;
  beforeEach(() => {
    if (skipReason) return;
    env = make();
    fs = env.fs;
  });
  afterEach(() => env?.cleanup());

  maybe('accounts writes, growth and removal in bytes and inodes', async () => {
    await fs.write('layers/a', 3 * MiB);
    await fs.write('layers/b', 1 * MiB);
    await fs.write('layers/b', 2 * MiB);
    expect(fs.usage()).toEqual({ usedBytes: 6 * MiB, inodesUsed: 2 });
    expect(fs.sizeOf('layers/b')).toEqual({ bytes: 3 * MiB, inodes: 1 });
    fs.remove('layers/a');
    expect(fs.usage()).toEqual({ usedBytes: 3 * MiB, inodesUsed: 1 });
    fs.remove('layers/a');
    expect(fs.keys('layers/')).toEqual(['layers/b']);
  });

  // The stats lists keep an object's live entry between calls, and look it
  // up again once it says it is gone.
  maybe('a live entry follows its object, and is gone once the object is removed or replaced', async () => {
    await fs.write('layers/a', 1 * MiB);
    const entry = fs.entry('layers/a')!;
    expect([entry.bytes, entry.inodes, entry.gone]).toEqual([1 * MiB, 1, false]);
    await fs.write('layers/a', 2 * MiB);
    expect([entry.bytes, entry.gone]).toEqual([3 * MiB, false]);
    fs.remove('layers/a');
    expect(entry.gone).toBe(true);
    expect(fs.entry('layers/a')).toBeUndefined();
    await fs.write('layers/a', 1 * MiB);
    const again = fs.entry('layers/a')!;
    expect(again).not.toBe(entry);
    expect(again.gone).toBe(false);
    // A write that does not fit leaves no entry.
    await expect(fs.write('layers/c', 40 * MiB)).rejects.toThrow();
    expect(fs.entry('layers/c')).toBeUndefined();
  });

  maybe('a write that does not fit fails with no space left on device and leaves nothing', async () => {
    await fs.write('layers/a', 20 * MiB);
    const before = fs.usage();
    const diskBefore = env.tmp ? statfsUsed(env.tmp.path) : 0;
    await expect(fs.write('layers/b', 20 * MiB)).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(/no space left on device/) });
    await expect(fs.write('layers/a', 20 * MiB)).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(fs.usage()).toEqual(before);
    expect(fs.sizeOf('layers/b')).toBeUndefined();
    expect(fs.sizeOf('layers/a')).toEqual({ bytes: 20 * MiB, inodes: 1 });
    if (env.tmp) {
      expect(statfsUsed(env.tmp.path)).toBe(diskBefore);
      expect(existsSync(join(env.tmp.path, 'fakecri', 'layers', 'b'))).toBe(false);
      expect(statSync(join(env.tmp.path, 'fakecri', 'layers', 'a')).size).toBe(20 * MiB);
    }
  });

  maybe('counts inodes and refuses objects past the inode limit', async () => {
    await fs.write('ballast-inodes', 0, {}, 500);
    expect(fs.usage().inodesUsed).toBe(500);
    await expect(fs.write('more', 0, {}, 600)).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(fs.usage().inodesUsed).toBe(500);
    if (env.tmp) {
      expect(readdirSync(join(env.tmp.path, 'fakecri', 'ballast-inodes'))).toHaveLength(499);
    }
  });

  maybe('capacity reflects what is written', async () => {
    const c0 = fs.capacity();
    await fs.write('x', 8 * MiB);
    const c1 = fs.capacity();
    expect(c1.capacityBytes).toBe(c0.capacityBytes);
    expect(c0.availableBytes - c1.availableBytes).toBeGreaterThanOrEqual(8 * MiB);
    expect(c0.availableBytes - c1.availableBytes).toBeLessThan(8 * MiB + 64 * 1024);
  });

  maybe('paces a write to the given bandwidth', async () => {
    const t = Date.now();
    await fs.write('slow', 2 * MiB, { bytesPerSecond: 8 * MiB });
    expect(Date.now() - t).toBeGreaterThanOrEqual(200);
  });

  maybe('an aborted write leaves nothing', async () => {
    const ac = new AbortController();
    const w = fs.write('slow', 4 * MiB, { bytesPerSecond: 4 * MiB, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('cancelled')), 50);
    await expect(w).rejects.toThrow('cancelled');
    expect(fs.usage()).toEqual({ usedBytes: 0, inodesUsed: 0 });
  });

  if (kind === 'host on tmpfs') {
    maybe('bytes are really allocated, and statfs moves by the same amount', async () => {
      const used0 = statfsUsed(env.tmp!.path);
      const inodes0 = statfsInodesUsed(env.tmp!.path);
      await fs.write('layers/a', 5 * MiB + 1234);
      expect(allocated(join(env.tmp!.path, 'fakecri', 'layers', 'a'))).toBeGreaterThanOrEqual(5 * MiB + 1234);
      const grew = statfsUsed(env.tmp!.path) - used0;
      expect(grew).toBeGreaterThanOrEqual(5 * MiB + 1234);
      expect(grew).toBeLessThanOrEqual(5 * MiB + 1234 + 3 * 4096); // block rounding, plus the new directory
      expect(statfsInodesUsed(env.tmp!.path) - inodes0).toBeLessThanOrEqual(2);
      fs.remove('layers/a');
      expect(statfsUsed(env.tmp!.path) - used0).toBeLessThanOrEqual(4096);
    });

    maybe('restore adopts what the state knows, trims longer files and removes orphans', async () => {
      const root = join(env.tmp!.path, 'fakecri');
      await fs.write('layers/ok', 1 * MiB);
      await fs.write('layers/long', 1 * MiB);
      await fs.write('layers/orphan', 1 * MiB);
      mkdirSync(join(root, 'junk'), { recursive: true });
      writeFileSync(join(root, 'junk', 'partial'), 'x');
      const again = new HostFilesystem('imagefs', env.tmp!.path);
      const problems = again.restore(
        new Map([
          ['layers/ok', { bytes: 1 * MiB, inodes: 1 }],
          ['layers/long', { bytes: 4096, inodes: 1 }],
        ]),
      );
      expect(problems).toEqual([]);
      expect(statSync(join(root, 'layers', 'long')).size).toBe(4096);
      expect(existsSync(join(root, 'layers', 'orphan'))).toBe(false);
      expect(existsSync(join(root, 'junk'))).toBe(false);
      expect(again.usage()).toEqual({ usedBytes: MiB + 4096, inodesUsed: 2 });
    });

    maybe('restore reports missing and short files and then touches nothing', async () => {
      const root = join(env.tmp!.path, 'fakecri');
      await fs.write('layers/short', 1 * MiB);
      await fs.write('layers/gone', 1 * MiB);
      await fs.write('layers/orphan', 1 * MiB);
      truncateSync(join(root, 'layers', 'short'), 1000);
      unlinkSync(join(root, 'layers', 'gone'));
      const problems = new HostFilesystem('imagefs', env.tmp!.path).restore(
        new Map([
          ['layers/short', { bytes: 1 * MiB, inodes: 1 }],
          ['layers/gone', { bytes: 1 * MiB, inodes: 1 }],
        ]),
      );
      expect(problems).toEqual([
        `${join(root, 'layers', 'short')} is truncated: 1000 of ${MiB} bytes`,
        `${join(root, 'layers', 'gone')} is missing (imagefs object layers/gone of ${MiB} bytes)`,
      ]);
      expect(readdirSync(join(root, 'layers')).sort()).toEqual(['orphan', 'short']);
    });
  }
});

import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chunkBuffer } from '../workloads/procs/streams';
import { MemTree } from '../workloads/rootfs/memory-tree';
import { openCheckpointArchive, writeCheckpointArchive } from './archive';
import { applyRootfsDiff } from './rootfs-diff';
import { TarReader, TarWriter } from './tar';

// The tar format against GNU tar both ways, and the archive writer's
// promises: stopped midway, it leaves nothing behind.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fakecri-ckpt-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const long = (n: number) => Array.from({ length: n }, (_, i) => `segment-${i}`).join('/');

function upperWith(files: Record<string, Buffer | { random: number }>): MemTree {
  const t = new MemTree({ dev: 0 });
  for (const [path, data] of Object.entries(files)) {
    let d = t.root();
    const parts = path.split('/');
    for (const p of parts.slice(0, -1)) d = t.lookup(d, p) ?? t.create(d, p, { type: 'dir', mode: 0o755, uid: 0, gid: 0 });
    const f = t.create(d, parts[parts.length - 1], { type: 'file', mode: 0o644, uid: 1000, gid: 1000 });
    const io = t.open(f, true);
    io.write(0, Buffer.isBuffer(data) ? data : { fill: 'random', length: data.random, seed: 7, offset: 0 });
    io.close();
  }
  return t;
}

describe('tar', () => {
  it('GNU tar reads what TarWriter writes: long names (ustar prefix and PAX), links, sizes', () => {
    const path = join(dir, 'a.tar');
    const fd = openSync(path, 'w');
    const w = new TarWriter(fd);
    const base = { mode: 0o644, uid: 0, gid: 0, mtimeMs: 1_700_000_000_000, size: 0 };
    const mid = long(12); // ~130 bytes: prefix + name
    const huge = long(30); // ~320 bytes: PAX
    w.header({ ...base, name: mid, type: 'file', size: 3 });
    w.data(Buffer.from('abc'));
    w.end(3);
    w.header({ ...base, name: huge, type: 'file', size: 0 });
    w.header({ ...base, name: 'l', type: 'symlink', linkname: huge });
    w.header({ ...base, name: 'd', type: 'dir', mode: 0o700 });
    w.finish();
    closeSync(fd);
    expect(execFileSync('tar', ['-tf', path]).toString().split('\n').filter(Boolean)).toEqual([mid, huge, 'l', 'd/']);
    expect(execFileSync('tar', ['-xOf', path, mid]).toString()).toBe('abc');
    expect(execFileSync('tar', ['-tvf', path, 'l']).toString()).toContain(`l -> ${huge}`);
  });

  it('TarReader reads what GNU tar writes, long names included', () => {
    const src = join(dir, 'src');
    const deep = join(src, ...long(25).split('/'));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'f'), 'hello');
    symlinkSync('f', join(deep, 'l'));
    const path = join(dir, 'gnu.tar');
    for (const format of ['gnu', 'posix', 'ustar']) {
      if (format === 'ustar') {
        // ustar cannot hold these names: GNU tar refuses, as it should.
        expect(() => execFileSync('tar', ['--format=ustar', '-cf', path, '-C', src, '.'], { stdio: 'pipe' })).toThrow();
        continue;
      }
      execFileSync('tar', [`--format=${format}`, '-cf', path, '-C', src, '.']);
      const fd = openSync(path, 'r');
      const r = new TarReader(fd, 0, statSync(path).size);
      const seen: Record<string, string> = {};
      for (let e = r.next(); e; e = r.next()) seen[e.name] = e.type === 'file' ? Buffer.concat([...r.data(e)]).toString() : `${e.type}:${e.linkname ?? ''}`;
      closeSync(fd);
      expect(seen[`./${long(25)}/f`]).toBe('hello');
      expect(seen[`./${long(25)}/l`]).toBe('symlink:f');
    }
  });
});

describe('writeCheckpointArchive', () => {
  it('stopped midway (a timeout), leaves neither the archive nor its temporary file', async () => {
    const location = join(dir, 'c.tar');
    const upper = upperWith({ 'data/big': { random: 8 * 1024 * 1024 } });
    let calls = 0;
    const stop = new Error('timed out');
    const write = writeCheckpointArchive(location, { config: {}, spec: {}, status: '{}', dumpLog: '', upper }, () => {
      if (++calls === 3) throw stop;
    });
    await expect(write).rejects.toBe(stop);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an archive written is opened again, and its diff applied to another tree gives the same bytes', async () => {
    const location = join(dir, 'c.tar');
    const upper = upperWith({ 'data/a': Buffer.from('hi\n'), 'data/r': { random: 300_000 }, [`${long(20)}/x`]: Buffer.from('deep') });
    const w = await writeCheckpointArchive(location, { config: { id: 'x' }, spec: { process: { args: ['sleep'] } }, status: '{}', dumpLog: '', upper }, () => {});
    expect(w.diff.entries).toBeGreaterThan(3);
    const a = openCheckpointArchive(location);
    try {
      expect(a.config).toEqual({ id: 'x' });
      const target = new MemTree({ dev: 0 });
      await applyRootfsDiff(a.diff(), [], target, () => {});
      const read = (t: MemTree, path: string) => {
        let n = t.root();
        for (const p of path.split('/')) n = t.lookup(n, p)!;
        const io = t.open(n, false);
        const out: Buffer[] = [];
        for (let pos = 0, c = io.read(pos, 65536); c; c = io.read(pos, 65536)) {
          const b = chunkBuffer(c);
          out.push(b);
          pos += b.length;
        }
        io.close();
        return Buffer.concat(out);
      };
      for (const p of ['data/a', 'data/r', `${long(20)}/x`]) expect(read(target, p).equals(read(upper, p))).toBe(true);
      expect(target.attr(target.lookup(target.lookup(target.root(), 'data')!, 'a')!)).toMatchObject({ uid: 1000, gid: 1000, mode: 0o644 });
    } finally {
      a.close();
    }
    expect(existsSync(location)).toBe(true);
  });
});

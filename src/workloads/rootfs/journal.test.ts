import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, MiB, bytesOf, makeFixture, writeFile as write } from '../../test/rootfs-fixture';
import type { Caller, ContainerFs } from './types';

// A memory layer is written as a snapshot, then as a journal of what
// changed (journal.ts): a restart must find the tree the container left,
// whichever of the two holds each change.

const root: Caller = { uid: 0, gid: 0, groups: [], pid: 1 };
// layer.ts numbers a writable layer's inodes from here.
const UPPER_FIRST_INO = 1 << 24;

function contents(fs: ContainerFs, path: string): string {
  const h = fs.open(path, { read: true });
  const parts: Buffer[] = [];
  for (let c = h.read(65536); c; c = h.read(65536)) parts.push(Buffer.from(bytesOf(c)));
  h.close();
  const all = Buffer.concat(parts);
  return all.length > 64 ? `${all.length} bytes, ${all.subarray(0, 16).toString('hex')}…${all.subarray(-16).toString('hex')}` : all.toString('hex');
}

// Everything a container sees of its files but the inode numbers (new
// after a restart) and the access times; /proc, /dev and /sys are not files
// of the layer.
function dump(fs: ContainerFs): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdir(dir).sort()) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (path === '/proc' || path === '/dev' || path === '/sys') continue;
      const s = fs.lstat(path);
      const what = s.type === 'file' ? contents(fs, path) : s.type === 'symlink' ? fs.readlink(path) : '';
      // The image's own inodes are made again at a restart, with new times.
      const times = s.ino >= UPPER_FIRST_INO ? `mtime=${s.mtimeMs} ctime=${s.ctimeMs}` : 'image';
      out.push(`${path} ${s.type} ${s.mode.toString(8)} ${s.uid}:${s.gid} size=${s.size} nlink=${s.nlink} blocks=${s.blocks} ${times} ${what}`);
      if (s.type === 'dir') walk(path);
    }
  };
  walk('/');
  return out;
}

describe('a memory layer written as a snapshot and a journal', () => {
  let f: Fixture;
  beforeEach(() => {
    f = makeFixture('memory', { bytes: 64 * MiB, inodes: 5000 });
  });
  afterEach(() => f.cleanup());

  const snapshot = (id: string) => join(f.stateDir, 'rootfs', `${id}.json`);
  const journal = (id: string) => join(f.stateDir, 'rootfs', `${id}.journal`);

  // Each kind of change the tree has, after the first write-out.
  function changeEverything(fs: ContainerFs): void {
    write(fs, '/tmp/random', { fill: 'random', length: MiB + 17, seed: 9, offset: 5 });
    write(fs, '/tmp/zeros', { fill: 'zero', length: 3 * 4096 + 1, seed: 0, offset: 0 });
    write(fs, '/etc/motd', 'overwritten\n');
    write(fs, '/etc/log', 'two\n', { append: true });
    fs.mkdir('/data');
    fs.mkdir('/data/deep');
    write(fs, '/data/deep/f', 'deep');
    fs.rename('/data/deep/f', '/tmp/moved');
    fs.rename('/data/deep', '/data/renamed');
    fs.link('/tmp/moved', '/data/hard');
    fs.symlink('/tmp/moved', '/data/sym');
    fs.unlink('/bin/ls');
    fs.chmod('/etc/motd', 0o600);
    fs.chown('/tmp/zeros', 1000, 1000);
    fs.truncate('/tmp/keep', 2);
    fs.mkdir('/gone');
    write(fs, '/gone/x', 'x');
    fs.unlink('/gone/x');
    fs.rmdir('/gone');
    write(fs, '/tmp/replaced', 'new');
    fs.rename('/tmp/replaced', '/tmp/target');
    // Names the snapshot has.
    fs.unlink('/tmp/doomed');
    fs.rename('/old/x', '/tmp/from-old');
    fs.rmdir('/old');
  }

  // c1 with its first files, written out: the snapshot.
  function snapshotted(): ContainerFs {
    f.container('c1');
    const fs = f.store.view('c1', root);
    firstFiles(fs);
    f.store.flush('c1');
    return fs;
  }

  // A restart of fakecri finds c1's files as `before` dumped them.
  function restartFinds(before: string[]): void {
    f = f.restart();
    expect(dump(f.store.view('c1', root))).toEqual(before);
  }

  function firstFiles(fs: ContainerFs): void {
    write(fs, '/etc/motd', 'hi\n');
    write(fs, '/etc/log', 'one\n');
    write(fs, '/tmp/keep', 'keep me');
    write(fs, '/tmp/target', 'old');
    write(fs, '/tmp/doomed', 'doomed');
    fs.mkdir('/old');
    write(fs, '/old/x', 'x');
  }

  it('keeps the changes after a snapshot in the journal, and a restart finds the same tree and usage', () => {
    const fs = snapshotted();
    const snap = readFileSync(snapshot('c1'), 'utf8');
    expect(existsSync(journal('c1'))).toBe(false);

    changeEverything(fs);
    f.store.flush('c1');
    // The snapshot stays as it was: only the changes were written.
    expect(readFileSync(snapshot('c1'), 'utf8')).toBe(snap);
    expect(readFileSync(journal('c1'), 'utf8').split('\n').length).toBeGreaterThan(10);

    const before = dump(fs);
    const usage = f.store.usage('c1');
    f = f.restart();
    expect(f.store.usage('c1')).toEqual(usage);
    expect(dump(f.store.view('c1', root))).toEqual(before);
    expect(existsSync(journal('c1'))).toBe(true);

    // The next write after a restart is a snapshot, and the journal goes.
    write(f.store.view('c1', root), '/tmp/after', 'after');
    f.store.flush('c1');
    expect(existsSync(journal('c1'))).toBe(false);
    const after = dump(f.store.view('c1', root));
    restartFinds(after);
  });

  it('folds a journal that outgrew its snapshot into a new snapshot', () => {
    const fs = snapshotted();
    const first = readFileSync(snapshot('c1'), 'utf8');
    let folded = false;
    for (let round = 0; round < 200 && !folded; round++) {
      for (let i = 0; i < 10; i++) write(fs, `/tmp/f-${round}-${i}`, `round ${round}`);
      fs.unlink(`/tmp/f-${round}-0`);
      if (round > 0) fs.unlink(`/tmp/f-${round - 1}-1`);
      f.store.flush('c1');
      folded = readFileSync(snapshot('c1'), 'utf8') !== first;
    }
    expect(folded).toBe(true);
    expect(existsSync(journal('c1'))).toBe(false);
    // And writes go on into a journal of the new snapshot.
    write(fs, '/tmp/last', 'last');
    f.store.flush('c1');
    expect(existsSync(journal('c1'))).toBe(true);
    const before = dump(fs);
    const usage = f.store.usage('c1');
    f = f.restart();
    expect(f.store.usage('c1')).toEqual(usage);
    expect(dump(f.store.view('c1', root))).toEqual(before);
  });

  it('takes a journal up to its last whole line; one of another snapshot is not applied', () => {
    const fs = snapshotted();
    const atSnapshot = dump(fs);
    write(fs, '/tmp/journaled', 'in the journal');
    f.store.flush('c1');
    const journaled = dump(fs);
    // A crash in the middle of an append; and a line that is not one of
    // ours stops the reading as well.
    appendFileSync(journal('c1'), '["n",16777300,{"t":"fi');
    restartFinds(journaled);
    writeFileSync(journal('c1'), readFileSync(journal('c1'), 'utf8').replace(/[^\n]*$/, '["n",16777300,null]\n["e",1]\n'));
    restartFinds(journaled);

    // A journal left from before the snapshot it sits beside (a crash
    // between writing a snapshot and removing the old journal).
    const lines = readFileSync(journal('c1'), 'utf8').split('\n');
    lines[0] = JSON.stringify(['g', 1]);
    writeFileSync(journal('c1'), lines.join('\n'));
    restartFinds(atSnapshot);
  });

  it('puts what a failed append could not write into the next snapshot', () => {
    const fs = snapshotted();
    // The journal cannot be written: a directory stands in its place.
    mkdirSync(journal('c1'));
    write(fs, '/tmp/lost-append', 'not in any journal');
    f.store.flush('c1');
    rmdirSync(journal('c1'));
    write(fs, '/tmp/next', 'next');
    f.store.flush('c1');
    expect(existsSync(journal('c1'))).toBe(false);
    const before = dump(fs);
    restartFinds(before);
    expect(before.some((l) => l.startsWith('/tmp/lost-append '))).toBe(true);
  });

  it('removes the journal with the container, and a stray one at start-up', () => {
    f.container('c1');
    f.container('c2');
    for (const id of ['c1', 'c2']) {
      const fs = f.store.view(id, root);
      write(fs, '/tmp/a', 'a');
      f.store.flush(id);
      write(fs, '/tmp/b', 'b');
      f.store.flush(id);
      expect(existsSync(journal(id))).toBe(true);
    }
    f.store.remove('c2');
    f.containers.delete('c2');
    expect(existsSync(journal('c2'))).toBe(false);
    writeFileSync(journal('gone'), '["g",5]\n');
    f = f.restart();
    expect(readdirSync(join(f.stateDir, 'rootfs')).sort()).toEqual(['c1.journal', 'c1.json']);
  });
});

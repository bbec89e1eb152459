import { posix } from 'node:path';
import type { Stat } from '../rootfs/types';
import { type Tool, applet } from './common/tool';

// tree as busybox 1.37's tree_main: each DIR (default .) drawn with ASCII
// branches, hidden names left out, symlinks shown with their target and not
// followed, then the count of directories and files.

const strcmp = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
};

export const tree = applet(async (t) => {
  const dirs = t.args.length ? t.args : ['.'];
  const count = { dirs: 0, files: 0 };
  for (const d of dirs) await print(t, count, t.path(d), d, '');
  await t.out.text(`\n${count.dirs} directories, ${count.files} files\n`);
  return 0;
});

// tree_print: scandir's entries (. and .. among them, alphasort's order)
// decide which one is last, the hidden ones then left out.
async function print(t: Tool, count: { dirs: number; files: number }, path: string, shown: string, prefix: string): Promise<void> {
  const fs = t.ctx.fs;
  let names: string[];
  try {
    names = fs.readdir(path);
  } catch {
    await t.out.text(`${shown} [error opening dir]\n`);
    return;
  }
  await t.out.text(`${shown}\n`);
  // xchdir: a directory that can be listed but not entered ends tree.
  try {
    fs.access(path, 1);
  } catch (err) {
    return t.die(`can't change directory to '${shown}': ${(err as Error).message}`);
  }
  const entries = ['.', '..', ...names].sort(strcmp);
  for (const [i, name] of entries.entries()) {
    if (name.startsWith('.')) continue;
    await t.yield();
    const last = i === entries.length - 1;
    const full = posix.join(path, name);
    let st: Stat | undefined;
    try {
      st = fs.lstat(full);
    } catch {
      st = undefined;
    }
    const head = prefix + (last ? '`-- ' : '|-- ');
    if (st?.type === 'symlink') {
      await t.out.text(`${head}${name} -> ${fs.readlink(full)}\n`);
      count.files++;
    } else if (st?.type === 'dir') {
      await t.out.text(head);
      await print(t, count, full, name, prefix + (last ? '    ' : '|   '));
      count.dirs++;
    } else {
      await t.out.text(`${head}${name}\n`);
      count.files++;
    }
  }
}

import { posix } from 'node:path';
import { isFsError } from '../rootfs/types';
import { copyFile } from './common/copy';
import { parseMode } from './common/mode';
import { applet } from './common/tool';
import { Names } from './common/users';
import { makeDirectory } from './files';

// install as busybox's install_main: each SOURCE copied (dereferenced,
// forced) to DEST or into DIR (-t, or a DEST that is a directory), or each
// DIR made (-d); then chown with -o/-g and always chmod, to 0755 unless -m
// (umask not applied). -D makes DEST's leading directories first.
export const install = applet(async (t) => {
  const p = t.parse({
    short: 'cvbDdpsg:m:o:t:',
    long: { verbose: 'v', directory: 'd', 'preserve-timestamps': 'p', strip: 's', group: 'g:', mode: 'm:', owner: 'o:', 'target-directory': 't:' },
  });
  // -t and -d, -s and -d: one or the other.
  if ((p.has('t') && p.has('d')) || (p.has('s') && p.has('d'))) return t.usage();
  const fs = t.ctx.fs;
  const verbose = p.has('v');
  // bb_parse_mode's -1 on a mode it cannot read, which chmod takes as 07777.
  const mode = p.has('m') ? (parseMode(p.value('m')!, 0o755) ?? 0o7777) : 0o755;
  const names = new Names(fs);
  const identity = t.ctx.proc.identity;
  const id = (s: string, kind: 'user' | 'group'): number | undefined => {
    if (/^\d+$/.test(s)) return Number(s);
    return kind === 'user' ? names.userByName(s)?.uid : names.groupByName(s)?.gid;
  };
  let uid = identity.uid;
  let gid = identity.gid;
  if (p.has('o')) {
    const u = id(p.value('o')!, 'user');
    if (u === undefined) return t.die(`unknown user ${p.value('o')}`);
    uid = u;
  }
  if (p.has('g')) {
    const g = id(p.value('g')!, 'group');
    if (g === undefined) return t.die(`unknown group ${p.value('g')}`);
    gid = g;
  }
  const operands = [...p.operands];
  let last = p.value('t');
  let isDir = p.has('t');
  if (!p.has('t') && !p.has('d')) {
    last = operands.pop();
    // coreutils resolves a link here: stat, not lstat.
    try {
      isDir = last !== undefined && fs.stat(t.path(last)).type === 'dir';
    } catch {
      isDir = false;
    }
  }
  if (operands.length < 1) return t.usage();
  let status = 0;
  for (const arg of operands) {
    let dest: string;
    if (p.has('d')) {
      dest = arg;
      if (!(await makeDirectory(t, dest, { parents: true, mode: 0o755, verbose }))) {
        status = 1;
        continue;
      }
    } else {
      dest = last!;
      // Its errors unchecked: the copy then fails.
      if (p.has('D')) await makeDirectory(t, p.has('t') ? dest : posix.dirname(dest), { parents: true, mode: 0o755, verbose });
      if (isDir) dest = posix.join(last!, posix.basename(arg));
      if (!(await copyFile(t, arg, dest, { dereference: true, force: true, preserve: p.has('p'), verbose }))) {
        status = 1;
        continue;
      }
      // spawn_and_wait("strip -p DEST"): a strip that cannot start is
      // perror'd (a busybox image has none), one that fails only counts.
      if (p.has('s')) {
        try {
          if ((await t.ctx.run(['strip', '-p', dest])) !== 0) status = 1;
        } catch (err) {
          if (!isFsError(err)) throw err;
          await t.perror('strip', err);
          status = 1;
        }
      }
    }
    // chown before chmod, which it may clear suid bits for.
    if (p.has('o') || p.has('g')) {
      try {
        fs.chown(t.path(dest), uid, gid);
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(`can't change ownership of ${dest}`, err);
        status = 1;
      }
    }
    try {
      fs.chmod(t.path(dest), mode);
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(`can't change permissions of ${dest}`, err);
      status = 1;
    }
  }
  return status;
});

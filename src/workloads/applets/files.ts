import { posix } from 'node:path';
import { FsError, type Stat, isFsError } from '../rootfs/types';
import { type CopyFlags, copyFile, removeFile, tryStat, writable } from './common/copy';
import { DateError, parseDateStr } from './common/date';
import { modeString, parseMode } from './common/mode';
import { KMG_I, NumberError, type Suffixes, parseUnsigned } from './common/numbers';
import { type Tool, applet } from './common/tool';
import { tempSuffix } from './common/temp';
import { Names } from './common/users';
import { dirnameOf } from './basic';

// touch rm mkdir rmdir cp mv ln readlink realpath truncate fallocate chmod
// chown chgrp mktemp sync: one path at a time, busybox's messages.

const KMG: Suffixes = { k: 1024, K: 1024, M: 1048576, G: 1073741824 };

async function number(t: Tool, s: string, suffixes: Suffixes): Promise<number> {
  try {
    return parseUnsigned(s, suffixes);
  } catch (err) {
    if (err instanceof NumberError) return t.die(err.message);
    throw err;
  }
}

const lastComponent = (s: string): string => {
  const stripped = s.replace(/\/+$/, '');
  if (stripped === '') return s === '' ? '' : '/';
  return stripped.slice(stripped.lastIndexOf('/') + 1);
};

export const touch = applet(async (t) => {
  const p = t.parse({ short: 'chr:d:t:amf', long: { 'no-create': 'c', 'no-dereference': 'h', reference: 'r:', date: 'd:' } });
  if (p.operands.length === 0) return t.usage();
  const fs = t.ctx.fs;
  const now = t.ctx.container.clock.now();
  let atime = now;
  let mtime = now;
  if (p.has('r')) {
    const ref = p.value('r')!;
    try {
      const st = fs.stat(t.path(ref));
      atime = st.atimeMs;
      mtime = st.mtimeMs;
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`can't stat '${ref}': ${err.message}`);
    }
  }
  const dateStr = p.value('d') ?? p.value('t');
  if (dateStr !== undefined) {
    try {
      atime = mtime = parseDateStr(dateStr, now);
    } catch (err) {
      if (err instanceof DateError) return t.die(err.message);
      throw err;
    }
  }
  const onlyA = p.has('a') && !p.has('m');
  const onlyM = p.has('m') && !p.has('a');
  let status = 0;
  for (const f of p.operands) {
    const path = t.path(f);
    const set = () => {
      let a = atime;
      let m = mtime;
      if (onlyA || onlyM) {
        const st = fs.stat(path);
        if (onlyA) m = st.mtimeMs;
        else a = st.atimeMs;
      }
      fs.utimes(path, a, m);
    };
    try {
      set();
    } catch (err) {
      if (!isFsError(err)) throw err;
      if (err.code === 'ENOENT') {
        if (p.has('c')) continue;
        try {
          fs.open(path, { read: true, write: true, create: true }, 0o666).close();
          if (p.has('r') || dateStr !== undefined) set();
          continue;
        } catch (err2) {
          if (!isFsError(err2)) throw err2;
          await t.perror(f, err2);
          status = 1;
          continue;
        }
      }
      await t.perror(f, err);
      status = 1;
    }
  }
  return status;
});

export const rm = applet(async (t) => {
  const p = t.parse({ short: 'fiRrv' });
  // -f and -i: the last one wins.
  let force = false;
  let interactive = false;
  for (const o of p.seen) {
    if (o.key === 'f') [force, interactive] = [true, false];
    if (o.key === 'i') [force, interactive] = [false, true];
  }
  const recursive = p.has('r') || p.has('R');
  if (p.operands.length === 0) {
    if (force) return 0;
    return t.usage();
  }
  let status = 0;
  for (const operand of p.operands) {
    // bb_get_last_path_component_strip cuts the trailing slashes off the
    // operand itself: `rm f/` removes the file f.
    const f = operand.replace(/(.)\/+$/, '$1');
    const base = lastComponent(f);
    if (base === '.' || base === '..') {
      await t.error("can't remove '.' or '..'");
      status = 1;
      continue;
    }
    if (!(await removeFile(t, f, { force, interactive, recursive, verbose: p.has('v') }))) status = 1;
  }
  return status;
});

// The directories mkdir -p makes before `d`, as busybox's
// bb_make_directory names them: `d` up to each run of slashes, the slashes
// kept ("a//b/c" makes "a//", then "a//b/").
function leadingDirs(d: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (i < d.length && d[i] !== '/') i++;
    while (i < d.length && d[i] === '/') i++;
    if (i >= d.length) return out;
    out.push(d.slice(0, i));
  }
}

export const mkdir = applet(async (t) => {
  const p = t.parse({ short: 'm:pv', long: { mode: 'm:', parents: 'p', verbose: 'v' } });
  if (p.operands.length === 0) return t.usage();
  let mode: number | undefined;
  if (p.has('m')) {
    mode = parseMode(p.value('m')!, 0o777, true);
    if (mode === undefined) return t.die(`invalid mode '${p.value('m')}'`);
  }
  let status = 0;
  for (const d of p.operands) if (!(await makeDirectory(t, d, { parents: p.has('p'), mode, verbose: p.has('v') }))) status = 1;
  return status;
});

// bb_make_directory: `d`, with -p (parents) each leading component first,
// quietly when it is a directory; `mode` set on the last one made. Answers
// whether it went without an error.
export async function makeDirectory(t: Tool, d: string, o: { parents: boolean; mode?: number; verbose: boolean }): Promise<boolean> {
  if (d === '/' || d === '.') return true;
  const fs = t.ctx.fs;
  const steps = o.parents ? leadingDirs(d) : [];
  steps.push(d);
  for (const [i, s] of steps.entries()) {
    const last = i === steps.length - 1;
    const path = t.path(s);
    try {
      fs.mkdir(path, 0o777);
      if (o.verbose) await t.out.text(`created directory: '${s}'\n`);
    } catch (err) {
      if (!isFsError(err)) throw err;
      const isDir = o.parents && (err.code === 'EEXIST' || err.code === 'EISDIR') && tryStat(() => fs.stat(path))?.type === 'dir';
      if (!isDir) {
        // busybox then stats the path: through a file, "f/" is ENOTDIR.
        const why = o.parents && err.code === 'EEXIST' && s.endsWith('/') ? new FsError('ENOTDIR', s) : err;
        await t.perror(`can't create directory '${s}'`, why);
        return false;
      }
      // An existing target keeps its permissions.
      if (last) return true;
      continue;
    }
    if (last && o.mode !== undefined) {
      try {
        fs.chmod(path, o.mode);
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(`can't set permissions of directory '${s}'`, err);
        return false;
      }
    }
  }
  return true;
}

export const rmdir = applet(async (t) => {
  const p = t.parse({ short: 'pv', long: { parents: 'p', 'ignore-fail-on-non-empty': '\u00ff', verbose: 'v' } });
  if (p.operands.length === 0) return t.usage();
  let status = 0;
  for (const d of p.operands) {
    let path = d;
    for (;;) {
      if (p.has('v')) await t.out.text(`rmdir: removing directory, '${path}'\n`);
      try {
        t.ctx.fs.rmdir(lastKept(t, path));
      } catch (err) {
        if (!isFsError(err)) throw err;
        if (p.has('\u00ff') && err.code === 'ENOTEMPTY') break;
        await t.perror(`'${path}'`, err);
        status = 1;
        break;
      }
      if (!p.has('p')) break;
      path = dirnameOf(path);
      if (path === '.' || path === '/') break;
    }
  }
  return status;
});

// The absolute path, its last component kept when it is . or ..: rmdir(2)
// refuses those (EINVAL, ENOTEMPTY), where a normalized path would name
// the directory itself or its parent.
function lastKept(t: Tool, path: string): string {
  const last = posix.basename(path);
  if (last !== '.' && last !== '..') return t.path(path);
  const dir = t.path(posix.dirname(path));
  return `${dir === '/' ? '' : dir}/${last}`;
}

// cp_mv_stat: 0 missing, 1 exists, 3 a directory; undefined after a message.
async function cpMvStat(t: Tool, name: string, follow = true): Promise<0 | 1 | 3 | undefined> {
  try {
    const st = follow ? t.ctx.fs.stat(t.path(name)) : t.ctx.fs.lstat(t.path(name));
    return st.type === 'dir' ? 3 : 1;
  } catch (err) {
    if (!isFsError(err)) throw err;
    if (err.code === 'ENOENT') return 0;
    await t.perror(`can't stat '${name}'`, err);
    return undefined;
  }
}

export const cp = applet(async (t) => {
  const p = t.parse({
    short: 'pdRrfinlsTt:uvPLHa',
    long: {
      archive: 'a',
      force: 'f',
      interactive: 'i',
      'no-clobber': 'n',
      link: 'l',
      dereference: 'L',
      'no-dereference': 'P',
      recursive: 'R',
      'symbolic-link': 's',
      'no-target-directory': 'T',
      'target-directory': 't:',
      verbose: 'v',
      update: 'u',
      'remove-destination': '\u00ff',
      preserve: 'p',
    },
  });
  const has = (k: string) => p.has(k);
  const recursive = has('R') || has('r') || has('a');
  // -n and -i: the last one wins.
  let noClobber = false;
  let interactive = false;
  for (const o of p.seen) {
    if (o.key === 'n') [noClobber, interactive] = [true, false];
    if (o.key === 'i') [noClobber, interactive] = [false, true];
  }
  const flags: CopyFlags = {
    interactive,
    recursive,
    // cp dereferences unless -d/-P/-R/-a; -L always.
    dereference: has('L') || !(has('d') || has('P') || recursive),
    dereferenceTop: has('H'),
    preserve: has('p') || has('a'),
    force: has('f') || has('\u00ff'),
    noClobber,
    update: has('u'),
    hardlink: has('l'),
    symlink: has('s'),
    verbose: has('v'),
  };
  let ops = p.operands;
  let last: string;
  if (has('t')) last = p.value('t')!;
  else {
    if (ops.length < 2) return t.usage();
    last = ops[ops.length - 1];
    ops = ops.slice(0, -1);
    if (ops.length === 1) {
      const s = await cpMvStat(t, ops[0], flags.dereference);
      if (s === undefined) return 1;
      const d = await cpMvStat(t, last);
      if (d === undefined) return 1;
      if (has('T') && s !== 3 && d === 3) return t.die(`'${last}' is a directory`);
      if (!((s | d) & 2) || (recursive && s === 3 && d === 0) || has('T')) {
        if (has('\u00ff') && d) {
          try {
            t.ctx.fs.unlink(t.path(last));
          } catch {
            // copy_file says what is wrong.
          }
        }
        return (await copyFile(t, ops[0], last, flags)) ? 0 : 1;
      }
    } else if (has('T')) return t.usage();
  }
  // Into `last` as a directory; copy_file says it if it is not one.
  let status = 0;
  for (const s of ops) {
    const dest = posix.join(last, lastComponent(s));
    if (!(await copyFile(t, s, dest, flags))) status = 1;
  }
  return status;
});

export const mv = applet(async (t) => {
  const p = t.parse({
    short: 'finTt:v',
    long: { interactive: 'i', force: 'f', 'no-clobber': 'n', 'no-target-directory': 'T', 'target-directory': 't:', verbose: 'v' },
  });
  // -f, -i and -n: the last one wins.
  let mode: 'f' | 'i' | 'n' | undefined;
  for (const o of p.seen) if (o.key === 'f' || o.key === 'i' || o.key === 'n') mode = o.key;
  const noClobber = mode === 'n';
  let ops = p.operands;
  let last: string;
  const moves: [string, string, 0 | 1 | 3][] = [];
  if (p.has('t')) last = p.value('t')!;
  else {
    if (ops.length < 2) return t.usage();
    last = ops[ops.length - 1];
    ops = ops.slice(0, -1);
    if (ops.length > 1 && p.has('T')) return t.usage();
    if (ops.length === 1) {
      const d = await cpMvStat(t, last);
      if (d === undefined) return 1;
      if (d !== 3) moves.push([ops[0], last, d]);
      else if (p.has('T')) {
        const s = tryStat(() => t.ctx.fs.stat(t.path(ops[0])));
        if (s && s.type !== 'dir') return t.die(`'${last}' is a directory`);
        moves.push([ops[0], last, d]);
      }
    }
  }
  if (moves.length === 0) {
    for (const s of ops) {
      const dest = posix.join(last, lastComponent(s));
      const d = await cpMvStat(t, dest);
      if (d === undefined) return 1;
      moves.push([s, dest, d]);
    }
  }
  let status = 0;
  const fs = t.ctx.fs;
  for (const [src, dest, destExists] of moves) {
    if (destExists && noClobber) continue;
    // Asked before overwriting: with -i, or a file we may not write when
    // stdin is a terminal (busybox's mv); a no moves on.
    if (destExists && mode !== 'f' && (mode === 'i' || (t.ctx.stdin.isTTY && !writable(t, dest)))) {
      if (!(await t.ask(`mv: overwrite '${dest}'? `))) continue;
    }
    try {
      fs.rename(t.path(src), t.path(dest));
    } catch (err) {
      if (!isFsError(err)) throw err;
      const srcExists = err.code === 'EXDEV' ? await cpMvStat(t, src, false) : 0;
      if (err.code !== 'EXDEV' || !srcExists) {
        await t.perror(`can't rename '${src}'`, err);
        status = 1;
        continue;
      }
      // Across filesystems: copy, then remove.
      if (destExists) {
        if (destExists === 3 && srcExists !== 3) {
          await t.error("can't overwrite directory with non-directory");
          status = 1;
          continue;
        }
        if (destExists !== 3 && srcExists === 3) {
          await t.error("can't overwrite non-directory with directory");
          status = 1;
          continue;
        }
        try {
          if (destExists === 3) fs.rmdir(t.path(dest));
          else fs.unlink(t.path(dest));
        } catch (err2) {
          if (!isFsError(err2)) throw err2;
          await t.perror(`can't remove '${dest}'`, err2);
          status = 1;
          continue;
        }
      }
      if (!(await copyFile(t, src, dest, { recursive: true, preserve: true })) || !(await removeFile(t, src, { recursive: true, force: true }))) {
        status = 1;
        continue;
      }
    }
    if (p.has('v')) await t.out.text(`'${src}' -> '${dest}'\n`);
  }
  return status;
});

export const ln = applet(async (t) => {
  const p = t.parse({ short: 'sfnbS:vT' });
  let ops = p.operands;
  if (ops.length === 0) return t.usage();
  if (p.has('T') && ops.length > 2) return t.die('-T accepts 2 args max');
  let last = ops[ops.length - 1];
  if (ops.length === 1) {
    ops = [last];
    last = lastComponent(last);
  } else ops = ops.slice(0, -1);
  const fs = t.ctx.fs;
  const suffix = p.value('S') ?? '~';
  let status = 0;
  for (const target of ops) {
    let linkName = last;
    const follow = !(p.has('n') || p.has('T'));
    const st = tryStat(() => (follow ? fs.stat(t.path(last)) : fs.lstat(t.path(last))));
    if (st?.type === 'dir') {
      if (p.has('T')) return t.die(`'${last}' is a directory`);
      linkName = posix.join(last, lastComponent(target));
    }
    if (!p.has('s')) {
      const ok = tryStat(() => fs.stat(t.path(target))) ?? tryStat(() => fs.lstat(t.path(target)));
      if (!ok) {
        try {
          fs.stat(t.path(target));
        } catch (err) {
          if (!isFsError(err)) throw err;
          await t.perror(target, err);
        }
        status = 1;
        continue;
      }
    }
    const path = t.path(linkName);
    if (p.has('b')) {
      try {
        fs.rename(path, path + suffix);
      } catch (err) {
        if (!isFsError(err)) throw err;
        if (err.code !== 'ENOENT') {
          await t.perror(linkName, err);
          status = 1;
          continue;
        }
      }
    } else if (p.has('f')) {
      try {
        if (fs.lstat(path).type !== 'dir') fs.unlink(path);
      } catch {
        // Nothing there.
      }
    }
    if (p.has('v')) await t.out.text(`'${linkName}' -> '${target}'\n`);
    try {
      if (p.has('s')) fs.symlink(target, path);
      else fs.link(t.path(target), path);
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(linkName, err);
      status = 1;
    }
  }
  return status;
});

// busybox's xmalloc_realpath_coreutils: realpath(3), but a missing last
// component is allowed after a slash ("./new", "/tmp/new"; not "new"), and
// a dangling symlink resolves to its target, a relative one taken from the
// current directory (as busybox has it, not the link's).
function realpathLoose(t: Tool, name: string): string {
  const fs = t.ctx.fs;
  try {
    return fs.realpath(t.path(name));
  } catch (err) {
    if (!isFsError(err, 'ENOENT')) throw err;
    let target: string | undefined;
    try {
      target = fs.readlink(t.path(name));
    } catch {
      target = undefined;
    }
    if (target !== undefined) return realpathLoose(t, t.path(target));
    const path = name.replace(/^\/+(?=\/)/, '').replace(/(?<=.)\/+$/, '');
    const slash = path.lastIndexOf('/');
    if (slash < 0) throw err;
    if (slash === 0) return path;
    const real = fs.realpath(t.path(path.slice(0, slash)));
    return `${real === '/' ? '' : real}/${path.slice(slash + 1)}`;
  }
}

// busybox's: -n -f -v -s -q, and errors only with -v.
export const readlink = applet(async (t) => {
  const p = t.parse({ short: 'nfvsq' });
  if (p.operands.length !== 1) return t.usage();
  const name = p.operands[0];
  let out: string;
  try {
    out = p.has('f') ? realpathLoose(t, name) : t.ctx.fs.readlink(t.path(name));
  } catch (err) {
    if (!isFsError(err)) throw err;
    // xmalloc_readlink_or_warn says why (-v); -f's resolving says nothing.
    if (p.has('v') && !p.has('f')) await t.error(`${name}: cannot read link: ${err.code === 'EINVAL' ? 'not a symlink' : err.message}`);
    return 1;
  }
  await t.out.text(out + (p.has('n') ? '' : '\n'));
  return 0;
});

// busybox's takes no options: every argument is a path.
export const realpath = applet(async (t) => {
  if (t.args.length === 0) return t.usage();
  let status = 0;
  for (const f of t.args) {
    try {
      await t.out.text(realpathLoose(t, f) + '\n');
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(f, err);
      status = 1;
    }
  }
  return status;
});

export const truncate = applet(async (t) => {
  const p = t.parse({ short: 'cs:' });
  if (!p.has('s') || p.operands.length === 0) return t.usage();
  const size = await number(t, p.value('s')!, KMG);
  let status = 0;
  for (const f of p.operands) {
    let fh;
    try {
      fh = t.ctx.fs.open(t.path(f), { write: true, create: !p.has('c') }, 0o666);
    } catch (err) {
      if (!isFsError(err)) throw err;
      if (err.code !== 'ENOENT' || !p.has('c')) {
        await t.perror(`${f}: open`, err);
        status = 1;
      }
      continue;
    }
    try {
      fh.truncate(size);
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(`${f}: truncate`, err);
      status = 1;
    } finally {
      fh.close();
    }
  }
  return status;
});

export const fallocate = applet(async (t) => {
  const p = t.parse({ short: 'l:o:' });
  if (!p.has('l') || p.operands.length !== 1) return t.usage();
  const ofs = await number(t, p.value('o') ?? '0', KMG_I);
  const len = await number(t, p.value('l')!, KMG_I);
  const f = p.operands[0];
  let fh;
  try {
    fh = t.ctx.fs.open(t.path(f), { read: true, write: true, create: true }, 0o666);
  } catch (err) {
    if (!isFsError(err)) throw err;
    return t.die(`can't open '${f}': ${err.message}`);
  }
  try {
    if (len === 0) throw new FsError('EINVAL');
    fh.allocate(ofs, len);
  } catch (err) {
    if (!isFsError(err)) throw err;
    return t.die(`fallocate '${f}': ${err.message}`);
  } finally {
    fh.close();
  }
  return 0;
});

// recursive_action over a path: the action gets each path and its lstat.
async function walk(
  t: Tool,
  name: string,
  opts: { recurse: boolean; followTop: boolean; follow: boolean; depthFirst?: boolean },
  action: (path: string, st: Stat, depth: number) => Promise<boolean>,
  depth = 0,
): Promise<boolean> {
  const fs = t.ctx.fs;
  let st: Stat;
  try {
    const follow = opts.follow || (depth === 0 && opts.followTop);
    st = follow ? fs.stat(t.path(name)) : fs.lstat(t.path(name));
  } catch (err) {
    if (!isFsError(err)) throw err;
    await t.perror(name, err);
    return false;
  }
  if (st.type !== 'dir' || !opts.recurse) return action(name, st, depth);
  let ok = true;
  if (!opts.depthFirst) ok = (await action(name, st, depth)) && ok;
  let names: string[] = [];
  try {
    names = fs.readdir(t.path(name));
  } catch (err) {
    if (!isFsError(err)) throw err;
    await t.perror(name, err);
    return false;
  }
  for (const n of names) {
    if (!(await walk(t, posix.join(name, n), opts, action, depth + 1))) ok = false;
    await t.yield();
  }
  if (opts.depthFirst) ok = (await action(name, st, depth)) && ok;
  return ok;
}

export const chmod = applet(async (t) => {
  // "chmod -r file": a mode that looks like an option.
  const args = [...t.args];
  let modeIdx = -1;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a[0] !== '-') break;
    if (a.length > 1 && !'-Rcvf'.includes(a[1])) {
      modeIdx = i;
      break;
    }
  }
  let hidden: string | undefined;
  if (modeIdx >= 0) {
    hidden = args[modeIdx];
    args.splice(modeIdx, 1);
  }
  const p = t.parse({ short: 'Rcvf' }, args);
  const ops = hidden !== undefined ? [hidden, ...p.operands] : p.operands;
  if (ops.length < 2) return t.usage();
  const spec = ops[0];
  let status = 0;
  for (const f of ops.slice(1)) {
    const ok = await walk(t, f, { recurse: p.has('R'), followTop: false, follow: false }, async (path, st, depth) => {
      let s = st;
      if (depth === 0) {
        try {
          s = t.ctx.fs.stat(t.path(path));
        } catch (err) {
          if (!isFsError(err)) throw err;
          if (!p.has('f')) await t.perror(path, err);
          return false;
        }
      } else if (st.type === 'symlink') return true;
      const mode = parseMode(spec, s.mode, s.type === 'dir');
      if (mode === undefined) return t.die(`invalid mode '${spec}'`);
      try {
        if (t.ctx.container.mayCall?.(t.ctx.proc.identity.uid, undefined, 'chmod') === false) throw new FsError('EPERM', path);
        t.ctx.fs.chmod(t.path(path), mode);
      } catch (err) {
        if (!isFsError(err)) throw err;
        if (!p.has('f')) await t.perror(path, err);
        return false;
      }
      if (p.has('v') || (p.has('c') && (s.mode & 0o7777) !== mode)) {
        await t.out.text(`mode of '${path}' changed to ${mode.toString(8).padStart(4, '0')} (${modeString(s.type, mode).slice(1)})\n`);
      }
      return true;
    });
    if (!ok) status = 1;
  }
  return status;
});

async function chownLike(t: Tool, group: boolean): Promise<number> {
  const p = t.parse({
    short: 'RhLHPcvf',
    long: { recursive: 'R', 'no-dereference': 'h', changes: 'c', verbose: 'v', silent: 'f', quiet: 'f', dereference: '\u00fe' },
  });
  if (p.operands.length < 2) return t.usage();
  const names = new Names(t.ctx.fs);
  const spec = p.operands[0];
  let uid = -1;
  let gid = -1;
  const id = (s: string, kind: 'user' | 'group'): number | undefined => {
    if (/^\d+$/.test(s)) return Number(s);
    return kind === 'user' ? names.userByName(s)?.uid : names.groupByName(s)?.gid;
  };
  if (group) {
    const g = id(spec, 'group');
    if (g === undefined) return t.die(`unknown group ${spec}`);
    gid = g;
  } else {
    const m = /^([^:.]*)(?:[:.](.*))?$/.exec(spec)!;
    if (m[1]) {
      const u = id(m[1], 'user');
      if (u === undefined) return t.die(`unknown user ${m[1]}`);
      uid = u;
    }
    if (m[2] !== undefined && m[2] !== '') {
      const g = id(m[2], 'group');
      if (g === undefined) return t.die(`unknown group ${m[2]}`);
      gid = g;
    } else if (m[2] === '' && m[1]) {
      // "user:" is the user's login group.
      const entry = /^\d+$/.test(m[1]) ? undefined : names.userByName(m[1]);
      if (entry) gid = entry.gid;
    }
  }
  const recurse = p.has('R');
  const followTop = p.has('H') || p.has('L') || (!p.has('h') && !recurse);
  const noDeref = p.has('h') || (recurse && !p.has('H') && !p.has('L'));
  let status = 0;
  for (const f of p.operands.slice(1)) {
    const ok = await walk(t, f, { recurse, followTop, follow: p.has('L'), depthFirst: true }, async (path, st) => {
      const newUid = uid === -1 ? st.uid : uid;
      const newGid = gid === -1 ? st.gid : gid;
      try {
        if (noDeref && st.type === 'symlink') return true; // lchown: links have no owner to speak of here
        t.ctx.fs.chown(t.path(path), newUid, newGid);
      } catch (err) {
        if (!isFsError(err)) throw err;
        if (!p.has('f')) await t.perror(path, err);
        return false;
      }
      if (p.has('v') || (p.has('c') && (st.uid !== newUid || st.gid !== newGid))) {
        await t.out.text(`changed ownership of '${path}' to ${newUid}:${newGid}\n`);
      }
      return true;
    });
    if (!ok) status = 1;
  }
  return status;
}

export const chown = applet((t) => chownLike(t, false));
export const chgrp = applet((t) => chownLike(t, true));


export const mktemp = applet(async (t) => {
  const p = t.parse({ short: 'dqtp:u', long: { directory: 'd', quiet: 'q', 'dry-run': 'u', tmpdir: '\u00ff::' } });
  if (p.operands.length > 1) return t.usage();
  let dir = t.ctx.env.TMPDIR || '/tmp';
  if (p.has('p')) dir = p.value('p')!;
  if (p.has('\u00ff') && p.value('\u00ff')) dir = p.value('\u00ff')!;
  let template = p.operands[0];
  let useDir = p.has('t') || p.has('p') || p.has('\u00ff');
  if (template === undefined) {
    template = 'tmp.XXXXXX';
    useDir = true;
  }
  const path = useDir ? posix.join(dir, template) : template;
  // bb_perror_nomsg_and_die: glibc prints its NULL message as "(null)".
  const fail = async (err: FsError): Promise<number> => {
    if (p.has('q')) return 1;
    return t.die(`(null): ${err.message}`);
  };
  const m = /X{6,}$/.exec(path);
  if (!m) return fail(new FsError('EINVAL'));
  for (let attempt = 0; attempt < 100; attempt++) {
    const name = path.slice(0, m.index) + tempSuffix(m[0].length);
    try {
      if (p.has('u')) {
        if (tryStat(() => t.ctx.fs.lstat(t.path(name)))) continue;
      } else if (p.has('d')) t.ctx.fs.mkdir(t.path(name), 0o700);
      else t.ctx.fs.open(t.path(name), { read: true, write: true, create: true, exclusive: true }, 0o600).close();
    } catch (err) {
      if (!isFsError(err)) throw err;
      if (err.code === 'EEXIST') continue;
      return fail(err);
    }
    await t.out.text(name + '\n');
    return 0;
  }
  return fail(new FsError('EEXIST'));
});

export const sync = applet(async (t) => {
  const p = t.parse({ short: 'df' });
  return syncCommon(t, p.operands);
});

// fsync: sync FILE..., at least one.
export const fsync = applet(async (t) => {
  const p = t.parse({ short: 'd' });
  if (p.operands.length === 0) return t.usage();
  return syncCommon(t, p.operands);
});

// sync_common: each FILE opened and synced; one that cannot open is said.
async function syncCommon(t: Tool, files: string[]): Promise<number> {
  let status = 0;
  for (const f of files) {
    try {
      const fh = t.ctx.fs.open(t.path(f), { read: true });
      try {
        fh.sync();
      } finally {
        fh.close();
      }
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.error(`can't open '${f}': ${err.message}`);
      status = 1;
    }
  }
  return status;
}

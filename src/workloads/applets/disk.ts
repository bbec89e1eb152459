import { FsError, type MountEntry, type Stat, type StatFs, isFsError } from '../rootfs/types';
import { NumberError, humanReadable, parseUnsigned, KMG_I } from './common/numbers';
import { type Tool, applet } from './common/tool';

// du, df and mount: disk usage from lstat blocks, statfs and the mount table.

export const du = applet(async (t) => {
  const p = t.parse({ short: 'aHkLsxd:lcbhm' });
  let unit = 1024; // display unit; 0: human
  let maxDepth = Infinity;
  let slinkDepth = 0;
  for (const o of p.seen) {
    if (o.key === 'h') unit = 0;
    if (o.key === 'm') unit = 1024 * 1024;
    if (o.key === 'k') unit = 1024;
    if (o.key === 'H') slinkDepth = 1;
    if (o.key === 'L') slinkDepth = Infinity;
    if (o.key === 's') maxDepth = 0;
    if (o.key === 'd') {
      try {
        maxDepth = parseUnsigned(o.value!);
      } catch (err) {
        if (err instanceof NumberError) return t.die(err.message);
        throw err;
      }
    }
  }
  if (p.has('b')) unit = 1;
  if (p.has('b') && p.has('h')) unit = 0;
  const bytes = p.has('b');
  const seen = new Set<string>();
  const fs = t.ctx.fs;
  let status = 0;
  let dirDev = -1;

  const print = async (size: number, name: string) => {
    let s = size;
    if (unit > 1) s += Math.floor((unit - 1) / 1024);
    await t.out.text(`${humanReadable(s, bytes ? 1 : 512, unit)}\t${name}\n`);
  };

  const walk = async (name: string, depth: number): Promise<number> => {
    let st: Stat;
    try {
      st = fs.lstat(t.path(name));
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(name, err);
      status = 1;
      return 0;
    }
    if (p.has('x')) {
      if (depth === 0) dirDev = st.dev;
      else if (st.dev !== dirDev) return 0;
    }
    if (st.type === 'symlink' && slinkDepth > depth) {
      try {
        st = fs.stat(t.path(name));
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(name, err);
        status = 1;
        return 0;
      }
      if (slinkDepth === 1) slinkDepth = Infinity;
    }
    let sum = bytes ? st.size : st.blocks;
    if (!p.has('l') && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return 0;
      seen.add(key);
    }
    if (st.type === 'dir') {
      let names: string[];
      try {
        names = fs.readdir(t.path(name));
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(`can't open '${name}'`, err);
        status = 1;
        names = [];
      }
      for (const n of names) {
        sum += await walk(name === '/' ? `/${n}` : `${name.replace(/\/+$/, '')}/${n}`, depth + 1);
        await t.yield();
      }
    } else if (!p.has('a') && depth !== 0) return sum;
    if (depth <= maxDepth) await print(sum, name);
    return sum;
  };

  const ops = p.operands.length ? p.operands : ['.'];
  if (p.operands.length === 0 && slinkDepth === 1) slinkDepth = 0;
  const saved = slinkDepth;
  let total = 0;
  for (const o of ops) {
    total += await walk(o, 0);
    slinkDepth = saved;
  }
  if (p.has('c')) await print(total, 'total');
  return status;
});

// The mount whose target holds `path` (the longest prefix).
export function mountOf(mounts: MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const target = m.target;
    if (path === target || target === '/' || path.startsWith(target.endsWith('/') ? target : target + '/')) {
      if (!best || target.length >= best.target.length) best = m;
    }
  }
  return best;
}

export const df = applet(async (t) => {
  const p = t.parse({ short: 'kPTt:aiB:hHm' });
  let unit = 1024;
  for (const o of p.seen) {
    if (o.key === 'k') unit = 1024;
    if (o.key === 'm') unit = 1024 * 1024;
    if (o.key === 'B') {
      const v = o.value!;
      if (Object.hasOwn(KMG_I, v)) unit = KMG_I[v];
      else {
        try {
          unit = parseUnsigned(v, KMG_I, 1);
        } catch (err) {
          if (err instanceof NumberError) return t.die(err.message);
          throw err;
        }
      }
    }
  }
  let hdr: string;
  if (p.has('h') || p.has('H')) {
    unit = 0;
    hdr = '     Size';
  } else hdr = `${humanReadable(unit, 0, p.has('P') ? 1 : 0)}-blocks`;
  if (p.has('i')) hdr = '   Inodes';
  const fs = t.ctx.fs;
  await t.out.text(`Filesystem           ${p.has('T') ? 'Type       ' : ''}${hdr.padEnd(15)}Used Available ${p.has('P') ? 'Capacity' : 'Use%'} Mounted on\n`);
  const mounts = fs.mounts();
  const rows: MountEntry[] = [];
  let status = 0;
  if (p.operands.length === 0) rows.push(...mounts);
  else {
    for (const o of p.operands) {
      // busybox's find_mount_point: a path it cannot stat has none.
      let real: string | undefined;
      try {
        real = fs.realpath(t.path(o));
      } catch (err) {
        if (!isFsError(err)) throw err;
      }
      const m = real === undefined ? undefined : mountOf(mounts, real);
      if (!m) {
        await t.error(`${o}: can't find mount point`);
        status = 1;
        continue;
      }
      rows.push(m);
    }
  }
  for (const m of rows) {
    if (m.source === 'rootfs') continue;
    if (p.has('t') && m.type !== p.value('t')) continue;
    let s: StatFs;
    try {
      s = fs.statfs(m.target);
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(m.target, err);
      status = 1;
      continue;
    }
    let { blocks, bfree, bavail } = s;
    let frsize = s.bsize;
    let u = unit;
    if (!(blocks > 0 || p.operands.length > 0 || p.has('a'))) continue;
    if (p.has('i')) {
      blocks = s.files;
      bfree = bavail = s.ffree;
      frsize = 1;
      if (u) u = 1;
    }
    let used = blocks - bfree;
    let total = used + bavail;
    let pct = 0;
    if (total !== 0) {
      while (total >= Math.floor(0x7fffffff / 101)) {
        total = Math.floor(total / 2);
        used = Math.floor(used / 2);
      }
      pct = Math.floor((used * 100 + Math.floor(total / 2)) / total);
    }
    let line = m.source.length > 20 && !p.has('P') ? `${m.source}\n${''.padEnd(20)}` : m.source.padEnd(20);
    if (p.has('T')) line += m.type.length > 10 && !p.has('P') ? ` ${m.type}\n${''.padEnd(30)}` : ` ${m.type.padEnd(10)}`;
    line += ` ${humanReadable(blocks, frsize, u).padStart(9)} `;
    line += `${humanReadable(blocks - bfree, frsize, u).padStart(9)} `;
    line += `${humanReadable(bavail, frsize, u).padStart(9)} ${String(pct).padStart(3)}% ${m.target}\n`;
    await t.out.text(line);
  }
  return status;
});

export const mount = applet(async (t) => {
  const p = t.parse({ short: 'o:t:rwanfvsiO:', long: { bind: '\u00ff', rbind: '\u00fe', move: '\u00fd', 'make-shared': '\u00fc', 'make-private': '\u00fb' } });
  if (p.operands.length === 0 && !p.has('a')) {
    const type = p.value('t');
    for (const m of t.ctx.fs.mounts()) {
      if (type && m.type !== type) continue;
      await t.out.text(`${m.source} on ${m.target} type ${m.type} (${m.options.join(',')})\n`);
    }
    return 0;
  }
  // A container has no CAP_SYS_ADMIN: mount(2) fails with EPERM, which
  // busybox words the same for everyone.
  return t.die('permission denied (are you root?)');
});

// glibc's gnu_dev_major / gnu_dev_minor.
const major = (dev: number): number => Number(((BigInt(dev) >> 8n) & 0xfffn) | ((BigInt(dev) >> 32n) & ~0xfffn));
const minor = (dev: number): number => Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & ~0xffn));

// mountpoint_main: DIR is a mount point when DIR/.. is on another device, or
// is DIR itself (/). Answers 0 or 1 as it is or not, 1 for an error.
export const mountpoint = applet(async (t) => {
  const p = t.parse({ short: 'qdxn' });
  if (p.operands.length !== 1) return t.usage();
  const arg = p.operands[0];
  const fs = t.ctx.fs;
  const fail = async (what: string, err?: unknown) => {
    if (!p.has('q')) await (err === undefined ? t.error(what) : t.perror(what, err));
    return 1;
  };
  let st: Stat;
  try {
    st = p.has('x') ? fs.stat(t.path(arg)) : fs.lstat(t.path(arg));
  } catch (err) {
    if (!isFsError(err)) throw err;
    return fail(arg, err);
  }
  if (p.has('x')) {
    if (st.type !== 'blockdev') return fail(`${arg}: not a block device`);
    await t.out.text(`${major(st.rdev)}:${minor(st.rdev)}\n`);
    return 0;
  }
  if (st.type !== 'dir') return fail(arg, new FsError('ENOTDIR'));
  let up: Stat;
  try {
    up = fs.stat(t.path(`${arg}/..`));
  } catch (err) {
    if (!isFsError(err)) throw err;
    return fail(`${arg}/..`, err);
  }
  const notMount = st.dev === up.dev && st.ino !== up.ino;
  if (p.has('d')) await t.out.text(`${major(st.dev)}:${minor(st.dev)}\n`);
  // find_block_device: no block device in the container's /dev is it.
  if (p.has('n')) await t.out.text(`UNKNOWN ${arg}\n`);
  if (!p.has('q') && !p.has('d') && !p.has('n')) await t.out.text(`${arg} is ${notMount ? 'not ' : ''}a mountpoint\n`);
  return notMount ? 1 : 0;
});

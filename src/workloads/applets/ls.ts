import { type Stat, isFsError } from '../rootfs/types';
import { concatPath } from './common/concat-path';
import { strftime } from './common/date';
import { modeString } from './common/mode';
import { humanReadable } from './common/numbers';
import { type Tool, applet } from './common/tool';
import { Names } from './common/users';

// ls: busybox's listing, one per line when not on a terminal, columns on
// one, and its -l format.

interface Entry {
  name: string; // as shown
  path: string; // as given / joined, for messages and recursion
  st: Stat; // lstat, or stat when following
  lst?: Stat;
}

const typeChar = (st: Stat, exec: boolean): string => {
  switch (st.type) {
    case 'dir':
      return '/';
    case 'symlink':
      return '@';
    case 'fifo':
      return '|';
    case 'socket':
      return '=';
    case 'file':
      return exec && st.mode & 0o111 ? '*' : '';
    default:
      return '';
  }
};

export const ls = applet(async (t) => {
  const p = t.parse({
    // ls_options (-T WIDTH taken and ignored) and its three long options.
    short: '1AaCxdLHRFplinshrSXvctuw:T:gkQ',
    long: { 'full-time': '\u00ff', 'group-directories-first': '\u00fe', color: '\u00fd::' },
  });
  const last = (...keys: string[]) => {
    for (let i = p.seen.length - 1; i >= 0; i--) if (keys.includes(p.seen[i].key)) return p.seen[i].key;
    return undefined;
  };
  const has = (k: string) => p.has(k);
  const long = has('l') || has('n') || has('g') || has('\u00ff');
  let format = last('l', 'n', 'g', '1', 'C', 'x', '\u00ff') ?? (t.ctx.stdout.isTTY ? 'C' : '1');
  if (format === 'n' || format === 'g' || format === '\u00ff') format = 'l';
  if (long && format !== 'C' && format !== 'x' && format !== '1') format = 'l';
  const sortKey = last('t', 'S');
  const timeKey = last('c', 'u');
  const byTime = sortKey === 't' || (!long && timeKey !== undefined);
  const recursive = has('R') && !has('d');
  const follow = has('L');
  const followArgs = follow || has('H') || !(long || has('i') || has('s') || has('F'));
  // busybox: $COLUMNS, else the terminal's width, else 80.
  const width = has('w') ? Number(p.value('w')) : Number(t.ctx.env.COLUMNS) || t.ctx.stdout.tty?.cols || 80;
  const names = new Names(t.ctx.fs);
  const fs = t.ctx.fs;
  const now = t.ctx.container.clock.now();
  let status = 0;

  const statOf = async (path: string, followIt: boolean): Promise<Stat | undefined> => {
    try {
      return followIt ? fs.stat(t.path(path)) : fs.lstat(t.path(path));
    } catch (err) {
      if (!isFsError(err)) throw err;
      // A dangling symlink still lists.
      if (followIt && err.code === 'ENOENT') {
        try {
          return fs.lstat(t.path(path));
        } catch {
          // fall through to the message
        }
      }
      await t.perror(path, err);
      status = 1;
      return undefined;
    }
  };

  const timeOf = (st: Stat) => (timeKey === 'c' ? st.ctimeMs : timeKey === 'u' ? st.atimeMs : st.mtimeMs);
  const sort = (list: Entry[]) => {
    const cmp = (a: Entry, b: Entry): number => {
      let d = 0;
      if (has('\u00fe')) d = Number(b.st.type === 'dir') - Number(a.st.type === 'dir');
      if (d === 0) {
        if (sortKey === 'S') d = b.st.size - a.st.size;
        else if (byTime) d = timeOf(b.st) - timeOf(a.st);
        else if (has('X')) d = compareBytes(ext(a.name), ext(b.name));
        else if (has('v')) d = versionCompare(a.name, b.name);
      }
      if (d === 0) d = compareBytes(a.name, b.name);
      return has('r') ? -d : d;
    };
    return list.sort(cmp);
  };

  // print_name: -Q puts a name in double quotes, " and \ escaped.
  const quoted = (name: string) => (has('Q') ? `"${name.replace(/["\\]/g, '\\$&')}"` : name);
  const render = (e: Entry): string => {
    const st = e.st;
    let s = '';
    if (has('i')) s += `${String(st.ino).padStart(7)} `;
    if (has('s')) s += has('h') ? `${humanReadable(st.blocks * 512, 1, 0).padStart(5)} ` : `${String(Math.floor(st.blocks / 2)).padStart(6)} `;
    if (format === 'l') {
      s += `${modeString(st.type, st.mode).padEnd(10)} ${String(st.nlink).padStart(4)} `;
      if (has('n')) s += has('g') ? `${String(st.gid).padEnd(8)} ` : `${String(st.uid).padEnd(8)} ${String(st.gid).padEnd(8)} `;
      else {
        const g = names.group(st.gid) ?? String(st.gid);
        s += has('g') ? `${g.padEnd(8)} ` : `${(names.user(st.uid) ?? String(st.uid)).padEnd(8)} ${g.padEnd(8)} `;
      }
      if (st.type === 'chardev' || st.type === 'blockdev') s += `${String(st.rdev >> 8).padStart(4)}, ${String(st.rdev & 0xff).padStart(3)} `;
      else s += has('h') ? `${humanReadable(st.size, 1, 0).padStart(5)} ` : `${String(st.size).padStart(9)} `;
      const tm = timeOf(st);
      if (has('\u00ff')) s += strftime('%Y-%m-%d %H:%M:%S %z', tm) + ' ';
      else {
        const age = now - tm;
        s += age < (3600 * 24 * 365 * 1000) / 2 && age > -15 * 60 * 1000 ? strftime('%b %e %H:%M', tm) + ' ' : strftime('%b %e  %Y', tm) + ' ';
      }
    }
    s += quoted(e.name);
    if (format === 'l' && st.type === 'symlink') {
      try {
        s += ` -> ${quoted(fs.readlink(t.path(e.path)))}`;
        if (has('F') || has('p')) {
          const target = (() => {
            try {
              return fs.stat(t.path(e.path));
            } catch {
              return undefined;
            }
          })();
          if (target) s += has('F') ? typeChar(target, true) : target.type === 'dir' ? '/' : '';
        }
        return s;
      } catch {
        // Leave the arrow off.
      }
    }
    if (has('F')) s += typeChar(st, true);
    else if (has('p') && st.type === 'dir') s += '/';
    return s;
  };

  const show = async (list: Entry[]) => {
    const lines = list.map(render);
    if (format === 'l' || format === '1' || lines.length === 0) {
      for (const l of lines) await t.out.text(l + '\n');
      return;
    }
    // Columns, down (-C) or across (-x).
    const colWidth = Math.max(...lines.map((l) => l.length)) + 2;
    let ncols = Math.max(1, Math.floor(width / colWidth));
    const nrows = Math.ceil(lines.length / ncols);
    ncols = Math.ceil(lines.length / nrows);
    for (let r = 0; r < nrows; r++) {
      let row = '';
      for (let c = 0; c < ncols; c++) {
        const i = format === 'x' ? r * ncols + c : c * nrows + r;
        if (i >= lines.length) break;
        const isLast = c === ncols - 1 || (format === 'x' ? i + 1 >= lines.length : (c + 1) * nrows + r >= lines.length);
        row += isLast ? lines[i] : lines[i].padEnd(colWidth);
      }
      await t.out.text(row + '\n');
    }
  };

  const scanDir = async (dir: Entry): Promise<Entry[] | undefined> => {
    let entries: string[];
    try {
      entries = fs.readdir(t.path(dir.path));
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(`can't open '${dir.path}'`, err);
      status = 1;
      return undefined;
    }
    if (has('a')) entries = ['.', '..', ...entries];
    const list: Entry[] = [];
    for (const name of entries) {
      if (name.startsWith('.') && !has('a') && !has('A')) continue;
      const path = concatPath(dir.path, name);
      const st = await statOf(path, follow);
      if (st) list.push({ name, path, st });
    }
    return list;
  };

  const operands = p.operands.length ? p.operands : ['.'];
  const showDirname = operands.length > 1;
  const files: Entry[] = [];
  const dirs: Entry[] = [];
  for (const o of operands) {
    const st = await statOf(o, followArgs);
    if (!st) continue;
    const e = { name: o, path: o, st };
    if (st.type === 'dir' && !has('d')) dirs.push(e);
    else files.push(e);
  }
  if (files.length) await show(sort(files));
  let first = files.length === 0;
  const listDirs = async (list: Entry[]) => {
    for (const d of list) {
      if (showDirname || recursive) {
        if (!first) await t.out.text('\n');
        first = false;
        await t.out.text(`${d.path}:\n`);
      }
      const content = await scanDir(d);
      if (long || has('s')) {
        const blocks = Math.floor((1 + (content ?? []).reduce((n, e) => n + e.st.blocks, 0)) / 2);
        await t.out.text(`total ${has('h') ? humanReadable(blocks * 1024, 0, 0) : blocks}\n`);
      }
      if (!content || content.length === 0) continue;
      sort(content);
      await show(content);
      await t.yield();
      if (recursive) {
        const sub = content.filter((e) => e.st.type === 'dir' && e.name !== '.' && e.name !== '..');
        await listDirs(sub);
      }
    }
  };
  await listDirs(sort(dirs));
  return status;
});

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const ext = (name: string): string => {
  const i = name.indexOf('.');
  return i < 0 ? '' : name.slice(i);
};

// strverscmp, roughly: digit runs compare as numbers.
function versionCompare(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const d = Number(x) - Number(y);
      if (d) return d;
    } else {
      const d = compareBytes(x, y);
      if (d) return d;
    }
  }
  return pa.length - pb.length;
}


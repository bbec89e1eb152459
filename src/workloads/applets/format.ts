import { posix } from 'node:path';
import { isFsError } from '../rootfs/types';
import { NumberError, parseUnsigned } from './common/numbers';
import { xmkstemp } from './common/temp';
import { Input, type Tool, applet } from './common/tool';
import { eachStdioFile } from './text';

// nl and fold: lines numbered, lines wrapped, as busybox's nl_main
// (print_numbered_lines) and fold_main do, a byte a column; dos2unix and
// unix2dos: line ends converted.

// An option's number, or the applet dies saying why.
const number = async (t: Tool, s: string, lower: number, upper: number): Promise<number> => {
  try {
    return parseUnsigned(s, {}, lower, upper);
  } catch (err) {
    if (err instanceof NumberError) return t.die(err.message);
    throw err;
  }
};

export const nl = applet(async (t) => {
  const p = t.parse({
    short: 'pw:s:v:i:b:',
    long: { 'body-numbering': 'b:', 'line-increment': 'i:', 'no-renumber': 'p', 'number-separator': 's:', 'starting-line-number': 'v:', 'number-width': 'w:' },
  });
  // getopt32's "+": xatoi_positive.
  const width = await number(t, p.value('w') ?? '6', 0, 2 ** 31 - 1);
  let n = await number(t, p.value('v') ?? '1', 0, 2 ** 31 - 1);
  const inc = await number(t, p.value('i') ?? '1', 0, 2 ** 31 - 1);
  const sep = p.value('s') ?? '\t';
  // Only -b's first letter counts: a(ll), t(ext), anything else none.
  const b = (p.value('b') ?? 't')[0];
  const empty = ' '.repeat(width + Buffer.byteLength(sep));
  return eachStdioFile(t, p.operands, async (input) => {
    for (let line = await input.line(); line !== null; line = await input.line()) {
      if (b === 'a' || (b === 't' && line !== '')) {
        // %*u of an unsigned int.
        await t.out.text(`${String(n >>> 0).padStart(width)}${sep}`);
        n = (n + inc) >>> 0;
      } else await t.out.text(empty);
      await t.out.bin(`${line}\n`);
    }
  });
});

export const fold = applet(async (t) => {
  // SUSv2's -NUM is -w NUM, up to a "--".
  const args = [...t.args];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') break;
    if (/^-\d/.test(args[i])) args[i] = `-w${args[i].slice(1)}`;
  }
  const p = t.parse({ short: 'bsw:' }, args);
  const width = await number(t, p.value('w') ?? '80', 1, 10000);
  const bytes = p.has('b');
  const spaces = p.has('s');
  const adjust = (column: number, c: number): number => {
    if (bytes) return column + 1;
    if (c === 9) return column + 8 - (column % 8);
    if (c === 8) return column === 0 ? 0 : column - 1;
    if (c === 13) return 0;
    return column + 1;
  };
  return eachStdioFile(t, p.operands, async (input) => {
    let line: number[] = [];
    let column = 0;
    for (let b = await input.bytes(); b !== null; b = await input.bytes()) {
      const out: number[] = [];
      for (const c of b) {
        for (;;) {
          line.push(c);
          if (c === 10) {
            out.push(...line);
            line = [];
            column = 0;
            break;
          }
          column = adjust(column, c);
          if (column <= width || line.length === 1) break;
          // c would make the line too long: it starts the next one.
          line.pop();
          const blank = spaces ? Math.max(line.lastIndexOf(32), line.lastIndexOf(9)) : -1;
          if (blank >= 0) {
            out.push(...line.slice(0, blank + 1), 10);
            line = line.slice(blank + 1);
            column = line.reduce(adjust, 0);
          } else {
            out.push(...line, 10);
            line = [];
            column = 0;
          }
        }
      }
      await t.out.chunk(Buffer.from(out));
    }
    if (line.length) await t.out.chunk(Buffer.from(line));
  });
});

// dos2unix and unix2dos (dos2unix_main): every \r dropped, and with -d
// (unix2dos's default) each \n written as \r\n. A FILE is rewritten through
// a temporary file beside it (NAMEXXXXXX, the file's mode and owner) that
// is renamed over it; with none, stdin to stdout.
export const dos2unix = applet(async (t) => {
  const p = t.parse({ short: 'du' });
  if (p.has('d') && p.has('u')) return t.usage();
  const toDos = p.has('d') || (!p.has('u') && t.name[0] === 'u');
  const convert = (b: Buffer): Buffer => {
    const out: number[] = [];
    for (const c of b) {
      if (c === 13) continue;
      if (c === 10 && toDos) out.push(13);
      out.push(c);
    }
    return Buffer.from(out);
  };
  if (p.operands.length === 0) {
    const input = new Input(t, t.ctx.stdin).asStdio();
    for (let b = await input.bytes(); b !== null; b = await input.bytes()) await t.out.chunk(convert(b));
    return 0;
  }
  const fs = t.ctx.fs;
  for (const name of p.operands) {
    const resolved = followSymlinks(t, name);
    let input: Input;
    try {
      input = t.input(resolved).asStdio();
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`can't open '${resolved}': ${err.message}`);
    }
    try {
      const st = fs.stat(t.path(resolved));
      const { name: tmp, fh } = await xmkstemp(t, resolved);
      try {
        fs.chmod(t.path(tmp), st.mode & 0o7777);
        try {
          fs.chown(t.path(tmp), st.uid, st.gid);
        } catch {
          // fchown, unchecked.
        }
        for (let b = await input.bytes(); b !== null; b = await input.bytes()) {
          try {
            fh.write(convert(b));
          } catch (err) {
            if (!isFsError(err)) throw err;
            // fclose's failure: bb_perror_nomsg_and_die.
            fh.close();
            fs.unlink(t.path(tmp));
            return t.die(err.message);
          }
        }
      } finally {
        fh.close();
      }
      try {
        fs.rename(t.path(tmp), t.path(resolved));
      } catch (err) {
        if (!isFsError(err)) throw err;
        // xrename: the temporary file stays.
        return t.die(`can't move '${tmp}' to '${resolved}': ${err.message}`);
      }
    } finally {
      input.close();
    }
  }
  return 0;
});

export const unix2dos = dos2unix;

// xmalloc_follow_symlinks: the name a chain of symlinks ends at; a name
// that does not exist is itself.
function followSymlinks(t: Tool, name: string): string {
  let path = name;
  for (let hops = 0; hops < 32; hops++) {
    let target: string;
    try {
      target = t.ctx.fs.readlink(t.path(path));
    } catch {
      return path;
    }
    path = target.startsWith('/') ? target : posix.join(posix.dirname(path), target);
  }
  return path;
}

// expand and unexpand (expand_main): tabs to spaces, and leading (or with
// -a all) runs of blanks back to tabs, every -t columns, a byte a column.
export const expand = applet(async (t) => {
  const un = t.name[0] === 'u';
  const p = un ? t.parse({ short: 'ft:a', long: { 'first-only': 'f', tabs: 't:', all: 'a' } }) : t.parse({ short: 'it:', long: { initial: 'i', tabs: 't:' } });
  const tab = await number(t, p.value('t') ?? '8', 1, 0xffffffff);
  // unexpand: -t means -a, unless -f says otherwise.
  const all = un && (p.has('a') || p.has('t')) && !p.has('f');
  const initial = !un && p.has('i');
  return eachStdioFile(t, p.operands, async (input) => {
    for (let l = await input.line(); l !== null; l = await input.line()) {
      const line = input.newline ? `${l}\n` : l;
      await t.out.bin(un ? unexpandLine(line, tab, all) : expandLine(line, tab, initial));
    }
  });
});

export const unexpand = expand;

function expandLine(line: string, tab: number, initial: boolean): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (initial && c !== ' ' && c !== '\t') break;
    if (c === '\t') {
      const len = tab - ((i - start) % tab);
      out += line.slice(start, i) + ' '.repeat(len);
      start = i + 1;
    }
  }
  return out + line.slice(start);
}

function unexpandLine(line: string, tab: number, all: boolean): string {
  let out = '';
  let at = 0;
  let column = 0;
  while (at < line.length) {
    let len = 0;
    while (line[at] === ' ') {
      at++;
      len++;
    }
    column += len;
    if (line[at] === '\t') {
      column += tab - (column % tab);
      at++;
      continue;
    }
    let n = Math.floor(column / tab);
    if (n) {
      len = column = column % tab;
      out += '\t'.repeat(n);
    }
    if (!all && at !== 0) return out + ' '.repeat(len) + line.slice(at);
    n = /^[^\t ]*/.exec(line.slice(at))![0].length;
    out += ' '.repeat(len) + line.slice(at, at + n);
    at += n;
    column = (column + n) % tab;
  }
  return out;
}

import { chunkBuffer } from '../procs/streams';
import { type Chunk, type FileHandle, FsError, chunkLength, isFill, isFsError } from '../rootfs/types';
import { BKM, NumberError, parseUnsigned } from './common/numbers';
import { BLOCK, type Input, MAX_SLURP, type Tool, applet } from './common/tool';

// cat tac head tail tee wc: files and stdin, in blocks or lines.

// Opens an input operand; on failure prints busybox's message in the given
// style and answers undefined.
export async function openInput(t: Tool, name: string, style: 'perror' | 'cant' = 'perror'): Promise<Input | undefined> {
  try {
    return t.input(name);
  } catch (err) {
    if (!isFsError(err)) throw err;
    if (style === 'cant') await t.error(`can't open '${name}': ${err.message}`);
    else await t.perror(name, err);
    return undefined;
  }
}

// Each FILE ("-" or none: stdin) as fopen_or_warn_stdin opens it and stdio
// reads it: one that cannot open is said (status 1), a read that fails ends
// it unsaid (xmalloc_fgetline, getc). Answers the status.
export async function eachStdioFile(t: Tool, files: readonly string[], body: (input: Input, name: string) => Promise<void>): Promise<number> {
  let status = 0;
  for (const f of files.length ? files : ['-']) {
    const input = await openInput(t, f);
    if (!input) {
      status = 1;
      continue;
    }
    input.asFgets();
    try {
      await body(input, f);
    } finally {
      input.close();
    }
  }
  return status;
}

// How a reader says a file's failed read, answering the status it makes.
export type ReadErrorReport = (name: string, err: FsError) => Promise<number>;

// The operand files one after another, as one stream (od, hexdump): the
// first `skip` bytes dropped, at most `length` handed on. One that cannot
// be opened is said and counts (status 1); one whose read fails is told to
// `readError`; the next goes on.
export class Operands {
  status = 0;
  // Whether any file opened (od prints no end offset otherwise).
  opened = false;
  private input?: Input;
  private name = '';
  private next = 0;

  constructor(
    private readonly t: Tool,
    private readonly files: readonly string[],
    private skip: number,
    private left: number,
    private readonly readError: ReadErrorReport,
  ) {}

  // What of the skip the input was too short for.
  get skipLeft(): number {
    return this.skip;
  }

  // read(), the first block read already: skipLeft is then known before a
  // dump starts (do_skip moves the address on by what the skip covered).
  async readAhead(): Promise<() => Promise<Buffer | null>> {
    let first: Buffer | null | undefined = await this.read();
    return async () => {
      const b = first;
      first = undefined;
      return b === undefined ? this.read() : b;
    };
  }

  async read(): Promise<Buffer | null> {
    for (;;) {
      if (this.left <= 0) return null;
      if (!this.input) {
        if (this.next >= this.files.length) return null;
        this.name = this.files[this.next++];
        this.input = await openInput(this.t, this.name);
        if (!this.input) {
          this.status = 1;
          continue;
        }
        this.opened = true;
      }
      let c;
      try {
        c = await this.input.block();
      } catch (err) {
        if (!isFsError(err) || err.code === 'EPIPE') throw err;
        this.status |= await this.readError(this.name, err);
        c = null;
      }
      if (c === null) {
        this.close();
        continue;
      }
      let b = chunkBuffer(c);
      if (this.skip > 0) {
        const n = Math.min(this.skip, b.length);
        b = b.subarray(n);
        this.skip -= n;
        if (b.length === 0) continue;
      }
      if (b.length > this.left) b = b.subarray(0, this.left);
      this.left -= b.length;
      return b;
    }
  }

  close(): void {
    this.input?.close();
    this.input = undefined;
  }
}

// cat -v's rendering of a byte: ^X, M-X, ^?; -t shows tabs, -e line ends.
function visible(c: number, tabs: boolean, ends: boolean): string {
  if (c === 10) return ends ? '$\n' : '\n';
  if (c === 9 && !tabs) return '\t';
  let s = '';
  if (c >= 128) {
    s = 'M-';
    c -= 128;
  }
  if (c < 32 || c === 127) return s + '^' + String.fromCharCode(c === 127 ? 63 : c + 64);
  return s + String.fromCharCode(c);
}

export const cat = applet(async (t) => {
  const p = t.parse({ short: 'etvAnbu' });
  let v = p.has('v');
  let e = p.has('e');
  let tabs = p.has('t');
  if (p.has('A')) v = e = tabs = true;
  if (e || tabs) v = true;
  const numberAll = p.has('n') && !p.has('b');
  const numberNonEmpty = p.has('b');
  const files = p.operands.length ? p.operands : ['-'];
  // catv and print_numbered_lines end by fflush_stdout_and_exit; bb_cat
  // says "write error".
  if (v || numberAll || numberNonEmpty) t.stdoutPolicy = 'checked';
  let status = 0;
  let lineno = 0;
  let atLineStart = true;
  for (const f of files) {
    if (!v && (numberAll || numberNonEmpty)) {
      // print_numbered_lines: lines by stdio, each put with its "\n"; a
      // read that fails ends the file unsaid.
      const failed = await eachStdioFile(t, [f], async (input) => {
        for (let l = await input.line(); l !== null; l = await input.line()) {
          await t.out.bin(numberAll || l !== '' ? `${String(++lineno).padStart(6)}\t${l}\n` : '\n');
        }
      });
      if (failed) status = 1;
      continue;
    }
    if (v) {
      // catv: a read that fails ends the file, and the status is 1.
      const input = await openInput(t, f, 'cant');
      if (!input) {
        status = 1;
        continue;
      }
      input.asStdio();
      try {
        for (let b = await input.bytes(); b !== null; b = await input.bytes()) {
          let out = '';
          for (let i = 0; i < b.length; i++) {
            const c = b[i];
            if ((numberAll || numberNonEmpty) && atLineStart && !(numberNonEmpty && c === 10)) {
              out += `${String(++lineno).padStart(6)}${v ? '  ' : '\t'}`;
            }
            atLineStart = c === 10;
            out += v ? visible(c, tabs, e) : String.fromCharCode(c);
          }
          await t.out.bin(out);
        }
      } finally {
        input.close();
      }
      if (input.error) status = 1;
      continue;
    }
    const input = await openInput(t, f, 'cant');
    if (!input) {
      status = 1;
      continue;
    }
    try {
      for (let c = await input.block(); c !== null; c = await input.block()) await t.out.chunk(c);
    } catch (err) {
      if (!isFsError(err) || err.code === 'EPIPE') throw err;
      await t.error(`read error: ${err.message}`);
      status = 1;
    } finally {
      input.close();
    }
  }
  return status;
});

export const tac = applet(async (t) => {
  const p = t.parse({});
  const files = p.operands.length ? p.operands : ['-'];
  let status = 0;
  // tac reads everything first, then prints it backwards.
  const all: string[] = [];
  let size = 0;
  for (const f of files) {
    const input = await openInput(t, f);
    if (!input) {
      status = 1;
      continue;
    }
    try {
      for (let l = await input.line(); l !== null; l = await input.line()) {
        const line = input.newline ? l + '\n' : l;
        size += line.length;
        if (size > MAX_SLURP) return t.die(`input over ${MAX_SLURP} bytes`);
        all.push(line);
      }
    } catch (err) {
      if (!isFsError(err) || err.code === 'EPIPE') throw err;
      await t.perror(f, err);
      status = 1;
    } finally {
      input.close();
    }
  }
  for (let i = all.length - 1; i >= 0; i--) {
    await t.out.bin(all[i]);
    if (i % 1024 === 0) await t.yield();
  }
  return status;
});

// head -n N / -c N / -NUM, with a minus for all but the last N.
export const head = applet(async (t) => {
  let args = [...t.args];
  let countStr = '10';
  let bytes = false;
  if (args[0] && /^-\d/.test(args[0])) {
    countStr = args[0].slice(1);
    args = args.slice(1);
  }
  // head_main's own getopt() loop.
  const p = t.parse({ short: 'n:c:qv', plainGetopt: true }, args);
  for (const o of p.seen) {
    if (o.key === 'n' || o.key === 'c') {
      countStr = o.value!;
      bytes = o.key === 'c';
    }
  }
  let negative = false;
  if (countStr.startsWith('-')) {
    negative = true;
    countStr = countStr.slice(1);
  }
  let count: number;
  try {
    count = parseUnsigned(countStr, BKM);
  } catch (err) {
    if (err instanceof NumberError) return t.die(err.message);
    throw err;
  }
  const files = p.operands.length ? p.operands : ['-'];
  let header = files.length > 1;
  for (const o of p.seen) {
    if (o.key === 'q') header = false;
    if (o.key === 'v') header = true;
  }
  let status = 0;
  let first = true;
  for (const f of files) {
    const input = await openInput(t, f);
    // A file that would not open counts as the first (head.c's fmt).
    const gap = first ? '' : '\n';
    first = false;
    if (!input) {
      status = 1;
      continue;
    }
    const name = f === '-' ? 'standard input' : f;
    if (header) await t.out.text(`${gap}==> ${name} <==\n`);
    input.asStdio();
    try {
      if (negative) await headExceptLast(t, input, count, bytes);
      else if (bytes) await copyBytes(t, input, count);
      else {
        for (let n = 0; n < count; n++) {
          const l = await input.line();
          if (l === null) break;
          await t.out.bin(input.newline ? l + '\n' : l);
        }
      }
    } finally {
      input.close();
    }
    // fclose_if_not_stdin: ferror() sets no errno, so busybox says EIO.
    if (input.error) {
      await t.perror(name, new FsError('EIO'));
      status = 1;
    }
  }
  return status;
});

async function copyBytes(t: Tool, input: Input, count: number): Promise<void> {
  let left = count;
  while (left > 0) {
    const c = await input.block(Math.min(left, BLOCK));
    if (c === null) break;
    await t.out.chunk(c);
    left -= chunkLength(c);
  }
}

// All but the last `count` lines or bytes: hold back that many.
async function headExceptLast(t: Tool, input: Input, count: number, bytes: boolean): Promise<void> {
  if (bytes) {
    let held = Buffer.alloc(0);
    for (let b = await input.bytes(); b !== null; b = await input.bytes()) {
      held = Buffer.concat([held, b]);
      if (held.length > count) {
        await t.out.chunk(held.subarray(0, held.length - count));
        held = held.subarray(held.length - count);
      }
      if (held.length > MAX_SLURP) throw new RangeError(`count is too big: ${count}`);
    }
    return;
  }
  const ring: string[] = [];
  for (let l = await input.line(); l !== null; l = await input.line()) {
    ring.push(input.newline ? l + '\n' : l);
    if (ring.length > count) await t.out.bin(ring.shift()!);
  }
}

function eatTailNum(s: string): { count: number; fromTop: boolean } {
  let fromTop = false;
  if (s.startsWith('+')) {
    fromTop = true;
    s = s.slice(1);
  } else if (s.startsWith('-')) s = s.slice(1);
  let count = parseUnsigned(s, BKM);
  // tail +N starts at line N: skip N-1.
  if (fromTop && count > 0) count--;
  return { count, fromTop };
}

export const tail = applet(async (t) => {
  let args = [...t.args];
  let numStr: string | undefined;
  if (args[0] && /^[+-]\d/.test(args[0])) {
    numStr = args[0];
    args = args.slice(1);
  }
  const p = t.parse(
    { short: 'fc:n:qs:vF' },
    args,
  );
  let bytes = false;
  for (const o of p.seen) {
    if (o.key === 'c' || o.key === 'n') {
      numStr = o.value!;
      bytes = o.key === 'c';
    }
  }
  let count = 10;
  let fromTop = false;
  try {
    if (numStr !== undefined) ({ count, fromTop } = eatTailNum(numStr));
  } catch (err) {
    if (err instanceof NumberError) return t.die(err.message);
    throw err;
  }
  const retry = p.has('F');
  let follow = p.has('f') || retry;
  const sleepS = p.has('s') ? Number(p.value('s')) : 1;
  const files = p.operands.length ? p.operands : ['-'];
  if (p.operands.length === 0) follow = false;

  let status = 0;
  const followed: { name: string; fh?: FileHandle; pos: number }[] = [];
  // As tail.c: every file is opened first; headers count those that opened,
  // and none at all is "no files" (unless -F waits for them).
  const opened: { f: string; isStdin: boolean; fh?: FileHandle }[] = [];
  for (const f of files) {
    const isStdin = f === '-' || t.stdStream(f) === 'stdin';
    if (isStdin) {
      opened.push({ f, isStdin });
      continue;
    }
    try {
      opened.push({ f, isStdin, fh: t.open(f, { read: true }) });
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.error(`can't open '${f}': ${err.message}`);
      status = 1;
      if (retry) followed.push({ name: f, pos: 0 });
    }
  }
  if (opened.length === 0 && !retry) return t.die('no files');
  let header = opened.length > 1;
  if (p.has('q')) header = false;
  if (p.has('v')) header = true;
  let first = true;
  for (const { f, isStdin, fh } of opened) {
    if (header) await t.out.text(`${first ? '' : '\n'}==> ${isStdin ? 'standard input' : f} <==\n`);
    first = false;
    try {
      if (fh && fh.stat().type === 'file') {
        const size = fh.stat().size;
        await tailFile(t, fh, size, count, bytes, fromTop);
        followed.push({ name: f, fh, pos: size });
      } else {
        const input = fh ? t.input(f) : t.input('-');
        try {
          await tailStream(t, input, count, bytes, fromTop);
        } finally {
          input.close();
        }
        // -f follows whatever opened, a device too: `tail -f /dev/null`
        // reads nothing, every second, for good (a container kept up).
        if (fh && follow) followed.push({ name: f, fh, pos: 0 });
        else fh?.close();
      }
    } catch (err) {
      if (!isFsError(err) || err.code === 'EPIPE') throw err;
      await t.error(`read error: ${err.message}`);
      status = 1;
      fh?.close();
    }
  }
  if (!follow || followed.length === 0) {
    for (const f of followed) f.fh?.close();
    if (followed.length === 0 && files.length > 0 && status !== 0 && !follow) return status;
    return status;
  }
  // -f: poll for what was appended (and, with -F, for a file replaced).
  let last = followed[followed.length - 1];
  for (;;) {
    await t.out.flush();
    await t.ctx.sleep(sleepS * 1000);
    for (const f of followed) {
      if (retry) {
        let st;
        try {
          st = t.ctx.fs.stat(t.path(f.name));
        } catch {
          st = undefined;
        }
        const cur = f.fh?.stat();
        if (st && (!cur || cur.ino !== st.ino || cur.dev !== st.dev)) {
          try {
            const fh = t.open(f.name, { read: true });
            await t.error(`${f.name} has ${f.fh ? 'been replaced' : 'appeared'}; following end of new file`);
            f.fh?.close();
            f.fh = fh;
            f.pos = 0;
          } catch {
            // Not readable yet.
          }
        }
      }
      if (!f.fh) continue;
      const size = f.fh.stat().size;
      if (size < f.pos) {
        await t.error(`${f.name}: file truncated`);
        f.pos = 0;
      }
      if (size === f.pos) continue;
      if (header && f !== last) await t.out.text(`\n==> ${f.name} <==\n`);
      last = f;
      while (f.pos < size) {
        const c = f.fh.read(Math.min(BLOCK, size - f.pos), f.pos);
        if (c === null) break;
        f.pos += chunkLength(c);
        await t.out.chunk(c);
        await t.yield();
      }
    }
  }
});

// A regular file: the end is found by seeking, not by reading it all.
async function tailFile(t: Tool, fh: FileHandle, size: number, count: number, bytes: boolean, fromTop: boolean): Promise<void> {
  let start: number;
  if (fromTop) {
    if (bytes) start = Math.min(count, size);
    else {
      start = size;
      let seen = 0;
      let pos = 0;
      if (count === 0) start = 0;
      else {
        while (pos < size) {
          const c = fh.read(Math.min(BLOCK, size - pos), pos);
          if (c === null) break;
          const b = chunkBuffer(c);
          let k = -1;
          while ((k = b.indexOf(10, k + 1)) >= 0) {
            if (++seen === count) break;
          }
          if (seen === count) {
            start = pos + k + 1;
            break;
          }
          pos += b.length;
          await t.yield();
        }
      }
    }
  } else if (bytes) start = Math.max(0, size - count);
  else {
    // Back from the end, a block at a time, until count+1 newlines.
    start = 0;
    if (count === 0) start = size;
    let pos = size;
    let newlines = 0;
    let lastByteChecked = false;
    while (pos > 0 && count > 0) {
      const n = Math.min(BLOCK, pos);
      pos -= n;
      const b = chunkBuffer(fh.read(n, pos) ?? Buffer.alloc(0));
      let k = b.length;
      if (!lastByteChecked) {
        lastByteChecked = true;
        // A final newline ends the last line rather than starting one.
        if (b[b.length - 1] === 10) k--;
      }
      let found = -1;
      while (k > 0) {
        k = b.lastIndexOf(10, k - 1);
        if (k < 0) break;
        if (++newlines === count) {
          found = k;
          break;
        }
      }
      if (found >= 0) {
        start = pos + found + 1;
        break;
      }
      await t.yield();
    }
  }
  let pos = start;
  while (pos < size) {
    const c = fh.read(Math.min(BLOCK, size - pos), pos);
    if (c === null) break;
    pos += chunkLength(c);
    await t.out.chunk(c);
    await t.yield();
  }
}

// A stream: keep the last count lines or bytes.
async function tailStream(t: Tool, input: Input, count: number, bytes: boolean, fromTop: boolean): Promise<void> {
  if (fromTop) {
    if (bytes) {
      let skip = count;
      for (let c = await input.block(); c !== null; c = await input.block()) {
        const n = chunkLength(c);
        if (skip >= n) {
          skip -= n;
          continue;
        }
        await t.out.chunk(skip > 0 ? sliceChunk(c, skip) : c);
        skip = 0;
      }
      return;
    }
    let n = 0;
    for (let l = await input.line(); l !== null; l = await input.line()) {
      if (n++ >= count) await t.out.bin(input.newline ? l + '\n' : l);
    }
    return;
  }
  if (bytes) {
    let held = Buffer.alloc(0);
    for (let b = await input.bytes(); b !== null; b = await input.bytes()) {
      held = Buffer.concat([held, b]);
      if (held.length > count) held = held.subarray(held.length - count);
    }
    await t.out.chunk(held);
    return;
  }
  const ring: string[] = [];
  let size = 0;
  for (let l = await input.line(); l !== null; l = await input.line()) {
    const line = input.newline ? l + '\n' : l;
    ring.push(line);
    size += line.length;
    while (ring.length > count) size -= ring.shift()!.length;
    if (size > MAX_SLURP) throw new RangeError(`input over ${MAX_SLURP} bytes`);
  }
  await t.out.bin(ring.join(''));
}

function sliceChunk(c: Chunk, from: number): Chunk {
  if (isFill(c)) return { ...c, length: c.length - from, offset: c.offset + from };
  return c.subarray(from);
}

export const tee = applet(async (t) => {
  const p = t.parse({ short: 'ia' });
  if (p.has('i')) t.ctx.proc.setDisposition('INT', 'ignore');
  let status = 0;
  const outs: { name: string; write: (c: Chunk) => Promise<void>; close: () => void; failed?: boolean }[] = [];
  for (const f of p.operands) {
    if (f === '-') {
      outs.push({ name: f, write: async () => {}, close: () => {} });
      continue;
    }
    try {
      const o = t.output(f, { create: true, truncate: !p.has('a'), append: p.has('a') });
      outs.push({ name: f, write: (c) => o.stream.write(c), close: o.close });
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(f, err);
      status = 1;
    }
  }
  // tee.c: every write is tried, and one that fails only marks its FILE
  // (ferror; stdout is one FILE, whatever names it). At the end the first
  // output named that failed ends tee, "NAME: I/O error"; stdout itself is
  // not checked. A read that fails ends the copy: status 1, unsaid.
  let stdoutFailed = false;
  const toStdout = async (c: Chunk) => {
    try {
      await t.ctx.stdout.write(c);
    } catch (err) {
      if (!isFsError(err) || err.code === 'EPIPE') throw err;
      stdoutFailed = true;
    }
  };
  const input = t.input('-').asStdio();
  for (let c = await input.block(); c !== null; c = await input.block()) {
    await toStdout(c);
    for (const o of outs) {
      if (o.name === '-') await toStdout(c);
      else if (!o.failed) {
        try {
          await o.write(c);
        } catch (err) {
          if (!isFsError(err) || err.code === 'EPIPE') throw err;
          o.failed = true;
        }
      }
    }
  }
  for (const o of outs) o.close();
  const failed = outs.find((o) => o.failed || (o.name === '-' && stdoutFailed));
  if (failed) return t.die(`${failed.name}: I/O error`);
  return input.error ? 1 : status;
});

interface Counts {
  lines: number;
  words: number;
  chars: number;
  bytes: number;
  longest: number;
}

export const wc = applet(async (t) => {
  const p = t.parse({ short: 'lwmcL' });
  let which = (['l', 'w', 'm', 'c', 'L'] as const).filter((k) => p.has(k));
  if (which.length === 0) which = ['l', 'w', 'c'];
  const files = p.operands.length ? p.operands : [''];
  const onlyBytes = which.length === 1 && which[0] === 'c';
  let fmt = (n: number, firstCol: boolean) => (firstCol ? String(n).padStart(9) : ' ' + String(n).padStart(9));
  if (files.length === 1 && which.length === 1) fmt = (n) => String(n);
  const total: Counts = { lines: 0, words: 0, chars: 0, bytes: 0, longest: 0 };
  let status = 0;
  const print = async (c: Counts, name: string | undefined) => {
    const vals: Record<string, number> = { l: c.lines, w: c.words, m: c.chars, c: c.bytes, L: c.longest };
    let s = '';
    which.forEach((k, i) => (s += fmt(vals[k], i === 0)));
    await t.out.text(s + (name === undefined ? '\n' : ` ${name}\n`));
  };
  for (const f of files) {
    const input = await openInput(t, f || '-');
    if (!input) {
      status = 1;
      continue;
    }
    const c: Counts = { lines: 0, words: 0, chars: 0, bytes: 0, longest: 0 };
    let linepos = 0;
    let inWord = false;
    try {
      for (let ch = await input.block(); ch !== null; ch = await input.block()) {
        c.bytes += chunkLength(ch);
        if (onlyBytes) continue;
        if (isFill(ch) && ch.fill === 'zero') continue; // NULs count as bytes only
        const b = chunkBuffer(ch);
        for (let i = 0; i < b.length; i++) {
          const x = b[i];
          if (x >= 32 && x < 127) {
            linepos++;
            if (x !== 32) {
              inWord = true;
              continue;
            }
          } else if (x >= 9 && x <= 13) {
            if (x === 9) linepos = (linepos | 7) + 1;
            else {
              if (linepos > c.longest) c.longest = linepos;
              if (x === 10) c.lines++;
              if (x !== 11) linepos = 0;
            }
          } else continue;
          if (inWord) c.words++;
          inWord = false;
        }
      }
    } catch (err) {
      if (!isFsError(err) || err.code === 'EPIPE') throw err;
      await t.perror(f || 'standard input', err);
      status = 1;
    } finally {
      input.close();
    }
    if (linepos > c.longest) c.longest = linepos;
    if (inWord) c.words++;
    c.chars = c.bytes;
    total.lines += c.lines;
    total.words += c.words;
    total.chars += c.chars;
    total.bytes += c.bytes;
    total.longest = Math.max(total.longest, c.longest);
    await print(c, f === '' ? undefined : f);
  }
  if (files.length > 1) await print(total, 'total');
  return status;
});


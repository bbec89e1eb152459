import { posix } from 'node:path';
import { chunkBuffer } from '../../procs/streams';
import { type InStream, Killed, type OutStream } from '../../procs/types';
import { fsPath } from '../../rootfs/path';
import { type Chunk, FsError, type FileHandle, type OpenFlags, type Stat, chunkLength, isFill, isFsError } from '../../rootfs/types';
import type { Applet, AppletContext, OpenFile } from '../types';
import { type OptSpec, type Parsed, UsageError, parseArgs } from './args';
import { StdoutError, type StdoutPolicy, stdoutFailed, stdoutPolicyOf } from './stdout';
import { USAGE } from './usage';

// What every applet shares: its name, its options, buffered output, busybox's
// messages, and its files opened as streams.

export const BANNER = 'BusyBox v1.37.0 (2024-09-26 21:31:42 UTC)';

// Reads and writes go in blocks of this size; more than this is never
// materialised from a Fill at once.
export const BLOCK = 64 * 1024;

// bb_error_msg_and_die: the message is out, the applet ends with `code`.
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'Exit';
  }
}

// Latin-1 "byte strings": text applets work on bytes as busybox does in the C
// locale, one char per byte; arguments (UTF-8) are converted to match.
export const toBin = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
export const fromBin = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');

// stdout with stdio's buffering: flushed when full, before the applet waits
// for input, before a message on stderr, and at its end.
export class BufferedOut {
  private parts: Chunk[] = [];
  private size = 0;
  broken = false;
  // Bytes the applet has put out, written or not.
  offered = 0;

  constructor(
    readonly stream: OutStream,
    private readonly limit = 32 * 1024,
  ) {}

  // UTF-8 text (names, messages, numbers).
  async text(s: string): Promise<void> {
    if (s.length === 0) return;
    await this.chunk(Buffer.from(s, 'utf8'));
  }

  // A byte string (see toBin).
  async bin(s: string): Promise<void> {
    if (s.length === 0) return;
    await this.chunk(Buffer.from(s, 'latin1'));
  }

  async chunk(c: Chunk): Promise<void> {
    const n = chunkLength(c);
    if (n === 0) return;
    this.offered += n;
    if (isFill(c) || n >= this.limit) {
      await this.flush();
      await this.write(c);
      return;
    }
    this.parts.push(c);
    this.size += n;
    if (this.size >= this.limit) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const data = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts.map((p) => chunkBuffer(p)));
    this.parts = [];
    this.size = 0;
    await this.write(data);
  }

  private async write(data: Chunk): Promise<void> {
    try {
      await this.stream.write(data);
    } catch (err) {
      this.broken = true;
      throw isFsError(err) && err.code !== 'EPIPE' ? new StdoutError(err) : err;
    }
  }

  get pending(): number {
    return this.size;
  }
}

export class Tool {
  readonly name: string;
  readonly out: BufferedOut;
  // The status of a usage error (grep's is 2).
  usageStatus = 1;
  // What a failed stdout makes of the applet (an applet may choose by its
  // options, as cat does).
  stdoutPolicy: StdoutPolicy;

  constructor(readonly ctx: AppletContext) {
    this.name = posix.basename(ctx.argv[0] ?? 'busybox');
    this.out = new BufferedOut(ctx.stdout);
    this.stdoutPolicy = stdoutPolicyOf(this.name);
  }

  // What messages start with: busybox's applet_name, the shell's for an
  // applet ash runs as a builtin.
  get prefix(): string {
    return this.ctx.builtinOf ?? this.name;
  }

  get args(): readonly string[] {
    return this.ctx.argv.slice(1);
  }

  parse(spec: OptSpec, args: readonly string[] = this.args): Parsed {
    return parseArgs(args, spec);
  }

  // bb_error_msg: "name: msg" on stderr.
  async error(msg: string): Promise<void> {
    await this.flushQuietly();
    await this.ctx.stderr.write(`${this.prefix}: ${msg}\n`);
  }

  // bb_error_msg_and_die.
  async die(msg: string, code = 1): Promise<never> {
    await this.error(msg);
    throw new Exit(code);
  }

  // bb_perror_msg(what): "name: what: strerror".
  async perror(what: string, err: unknown): Promise<void> {
    await this.error(`${what}: ${errText(err)}`);
  }

  async usage(): Promise<never> {
    await this.flushQuietly();
    const u = USAGE[this.name];
    await this.ctx.stderr.write(`${BANNER} multi-call binary.\n\nUsage: ${this.name}${u ? ' ' + u : ''}\n`);
    throw new Exit(this.usageStatus);
  }

  private async flushQuietly(): Promise<void> {
    if (this.out.broken) return;
    try {
      await this.out.flush();
    } catch {
      // stdout is gone; the message still goes to stderr.
    }
  }

  path(p: string): string {
    return fsPath(this.ctx.cwd, p);
  }

  yield(): Promise<void> {
    return this.ctx.yield();
  }

  // Opens a file by its name as given (relative to cwd). /dev/stdin,
  // /dev/stdout, /dev/stderr and /dev/fd/0-2 are this process's streams.
  open(name: string, flags: OpenFlags, mode = 0o666): FileHandle {
    return this.ctx.fs.open(this.path(name), flags, mode);
  }

  // The stream a name stands for when it is one of this process's own.
  stdStream(name: string): 'stdin' | 'stdout' | 'stderr' | undefined {
    const p = this.path(name);
    if (p === '/dev/stdin' || p === '/dev/fd/0' || p === '/proc/self/fd/0') return 'stdin';
    if (p === '/dev/stdout' || p === '/dev/fd/1' || p === '/proc/self/fd/1') return 'stdout';
    if (p === '/dev/stderr' || p === '/dev/fd/2' || p === '/proc/self/fd/2') return 'stderr';
    return undefined;
  }

  // bb_ask_y_confirmation: the prompt on stderr, then a line of stdin (one
  // reader for all the questions, as stdio's buffer is); yes when its first
  // non-blank character is y or Y.
  async ask(prompt: string): Promise<boolean> {
    await this.out.flush();
    await this.ctx.stderr.write(prompt);
    const line = await (this.answers ??= new Input(this, this.ctx.stdin)).line();
    const first = (line ?? '').replace(/^[ \t]+/, '')[0];
    return first === 'y' || first === 'Y';
  }

  private answers?: Input;

  // An open file past fd 2 this process inherited, when `name` is its
  // /dev/fd/N (or /proc/self/fd/N): a shell's <(...) or `exec 3<file`.
  private inherited(name: string): OpenFile | undefined {
    const m = /^\/(?:dev|proc\/self)\/fd\/([0-9]+)$/.exec(this.path(name));
    return m ? this.ctx.files?.[Number(m[1])] : undefined;
  }

  // stat(2) of a name. /dev/fd/N of an inherited pipe is the pipe: a FIFO
  // the process owns, of size 0, as the kernel's link leads to it.
  stat(name: string): Stat {
    const file = this.inherited(name);
    if (!file) return this.ctx.fs.stat(this.path(name));
    const { uid, gid } = this.ctx.proc.identity;
    let ino = pipeInodes.get(file);
    if (ino === undefined) pipeInodes.set(file, (ino = nextPipeIno++));
    const now = Date.now();
    return { type: 'fifo', mode: 0o600, uid, gid, size: 0, nlink: 1, ino, dev: PIPEFS_DEV, rdev: 0, blocks: 0, blksize: 4096, atimeMs: now, mtimeMs: now, ctimeMs: now };
  }

  // An input for a file operand: "-" (or /dev/stdin) is stdin. Throws
  // FsError from open.
  input(name: string): Input {
    if (name === '-' || this.stdStream(name) === 'stdin') return new Input(this, this.ctx.stdin);
    const file = this.inherited(name);
    const stream = file?.in;
    if (file && stream) {
      const held = file.hold();
      return new Input(this, stream, () => held.release());
    }
    const fh = this.open(name, { read: true });
    return new Input(this, fileIn(fh), () => fh.close());
  }

  // An output for a file operand, as a stream.
  output(name: string, flags: OpenFlags, mode = 0o666): { stream: OutStream; close(): void; handle?: FileHandle } {
    const std = this.stdStream(name);
    if (std === 'stdout') return { stream: { write: (d) => this.out.chunk(typeof d === 'string' ? Buffer.from(d) : d) }, close: () => {} };
    if (std === 'stderr') return { stream: this.ctx.stderr, close: () => {} };
    const file = this.inherited(name);
    const stream = file?.out;
    if (file && stream) {
      const held = file.hold();
      return { stream, close: () => held.release() };
    }
    const fh = this.open(name, { write: true, ...flags }, mode);
    return { stream: fileOut(fh), close: () => fh.close(), handle: fh };
  }
}

// The inode numbers stat gives inherited pipes, one each (diff tells two
// apart by them), on pipefs's anonymous device.
const pipeInodes = new WeakMap<OpenFile, number>();
let nextPipeIno = 1;
const PIPEFS_DEV = 0x0d;

export function errText(err: unknown): string {
  if (err instanceof FsError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

// An InStream over an open file, in blocks.
export function fileIn(fh: FileHandle): InStream {
  let checked = false;
  return {
    read: async (max = BLOCK) => {
      if (!checked) {
        checked = true;
        // read(2) on a directory.
        if (fh.stat().type === 'dir') throw new FsError('EISDIR', fh.path);
      }
      return fh.read(Math.min(max, BLOCK));
    },
  };
}

// An OutStream over an open file.
export function fileOut(fh: FileHandle): OutStream {
  return {
    write: async (d) => {
      fh.write(typeof d === 'string' ? Buffer.from(d) : d);
    },
  };
}

// An input stream an applet reads: blocks, bytes, or lines (as byte strings).
// It flushes the applet's stdout before it may wait for more.
export class Input {
  private carry = '';
  private queue: string[] = [];
  private qi = 0;
  private ended = false;
  // Whether the last line given ended with "\n".
  newline = true;
  // The read that failed, once reads are stdio's (ferror's errno).
  error?: FsError;
  private stdio = false;

  constructor(
    private readonly tool: Tool,
    readonly stream: InStream,
    readonly close: () => void = () => {},
  ) {}

  // Reads as a stdio FILE's: one that fails (read(2) on a directory) ends
  // the input, as fgets answers NULL, and `error` keeps why for the applets
  // that ask ferror(). Otherwise the FsError is thrown.
  asStdio(): this {
    this.stdio = true;
    return this;
  }

  // As stdio, and lines as libbb's xmalloc_fgets and xmalloc_fgetline give
  // them (bb_get_chunk_from_file): a NUL ends one too, not kept, and
  // `newline` is then false. `cut -d= -f1 /proc/1/environ` prints a name
  // a line.
  asFgets(): this {
    this.nulEnds = true;
    return this.asStdio();
  }

  private nulEnds = false;

  // The next block (≤ BLOCK bytes), or null at the end.
  async block(max = BLOCK): Promise<Chunk | null> {
    if (this.tool.out.pending > 0) await this.tool.out.flush();
    if (this.error) return null;
    let c;
    try {
      c = await this.stream.read(Math.min(max, BLOCK));
    } catch (err) {
      if (!this.stdio || !isFsError(err)) throw err;
      this.error = err;
      return null;
    }
    if (c !== null) await this.tool.yield();
    return c;
  }

  // The next block as real bytes.
  async bytes(max = BLOCK): Promise<Buffer | null> {
    const c = await this.block(max);
    return c === null ? null : chunkBuffer(c);
  }

  // The next line without its "\n" as a byte string, or null at the end.
  async line(): Promise<string | null> {
    for (;;) {
      if (this.qi < this.queue.length) {
        let l = this.queue[this.qi++];
        if (this.qi === this.queue.length) {
          this.queue = [];
          this.qi = 0;
        }
        this.newline = true;
        // With NULs ending lines, each keeps its end until here.
        if (this.nulEnds) {
          this.newline = l.endsWith('\n');
          l = l.slice(0, -1);
        }
        return l;
      }
      if (this.ended) {
        if (this.carry === '') return null;
        const l = this.carry;
        this.carry = '';
        this.newline = false;
        return l;
      }
      const b = await this.bytes();
      if (b === null) {
        this.ended = true;
        continue;
      }
      const text = this.carry + b.toString('latin1');
      const parts = text.split(this.nulEnds ? /(?<=[\n\0])/ : '\n');
      this.carry = this.nulEnds ? (parts[parts.length - 1].match(/[\n\0]$/) ? '' : parts.pop()!) : parts.pop()!;
      if (this.carry.length > MAX_LINE) throw new RangeError(`line over ${MAX_LINE} bytes`);
      this.queue = parts;
      this.qi = 0;
    }
  }

  // Lines split on another byte (xargs -0, sort -z).
  async record(sep: string): Promise<string | null> {
    if (sep === '\n') return this.line();
    for (;;) {
      const at = this.carry.indexOf(sep);
      if (at >= 0) {
        const r = this.carry.slice(0, at);
        this.carry = this.carry.slice(at + 1);
        this.newline = true;
        return r;
      }
      const b = this.ended ? null : await this.bytes();
      if (b === null) {
        this.ended = true;
        if (this.carry === '') return null;
        const r = this.carry;
        this.carry = '';
        this.newline = false;
        return r;
      }
      this.carry += b.toString('latin1');
      if (this.carry.length > MAX_LINE) throw new RangeError(`line over ${MAX_LINE} bytes`);
    }
  }

  // Everything left, as a byte string, up to `limit` bytes.
  async all(limit = MAX_SLURP): Promise<string> {
    const parts: string[] = [];
    let n = 0;
    parts.push(...this.queue.slice(this.qi).map((l) => l + '\n'), this.carry);
    this.queue = [];
    this.qi = 0;
    this.carry = '';
    if (this.ended) return parts.join('');
    for (let b = await this.bytes(); b !== null; b = await this.bytes()) {
      n += b.byteLength;
      if (n > limit) throw new RangeError(`input over ${limit} bytes`);
      parts.push(b.toString('latin1'));
    }
    return parts.join('');
  }
}

// Longest line a line-reading applet holds, and most input sort and tac keep.
export const MAX_LINE = 64 * 1024 * 1024;
export const MAX_SLURP = 64 * 1024 * 1024;

const NO_HELP = new Set(['test', '[', '[[', 'true', 'false', 'echo']);

// Wraps an applet body: usage errors, Exit, and a broken stdout (SIGPIPE)
// end it as busybox would; stdout is flushed at the end.
export function applet(body: (t: Tool) => Promise<number>): Applet {
  return async (ctx) => {
    const t = new Tool(ctx);
    let status: number | undefined;
    try {
      // show_usage_if_dash_dash_help: `APPLET --help ...` is the usage with
      // status 0, but for test, [, true, false and echo (POSIX's), and for an
      // applet ash runs as its builtin.
      if (ctx.argv[1] === '--help' && !ctx.builtinOf && !NO_HELP.has(t.name)) {
        t.usageStatus = 0;
        await t.usage();
      }
      status = await body(t);
      await t.out.flush();
      return status;
    } catch (err) {
      if (err instanceof Killed) throw err;
      if (err instanceof StdoutError) return stdoutFailed(t, err.failed, status);
      if (err instanceof UsageError) {
        await t.error(err.message);
        await t.usage().catch(() => {});
        return t.usageStatus;
      }
      if (err instanceof Exit) {
        await t.out.flush().catch(() => {});
        return err.code;
      }
      if (isFsError(err, 'EPIPE')) return brokenPipe(t);
      if (err instanceof RangeError) {
        await t.error(err.message);
        return 1;
      }
      if (!t.out.broken) await t.out.flush().catch(() => {});
      throw err;
    }
  };
}

// A write to a pipe nobody reads: SIGPIPE kills the process unless it
// ignores the signal, then the write fails with EPIPE.
async function brokenPipe(t: Tool): Promise<number> {
  if (t.ctx.proc.disposition('PIPE') !== 'ignore') return 128 + 13;
  await t.ctx.stderr.write(`${t.prefix}: write error: Broken pipe\n`).catch(() => {});
  return 1;
}

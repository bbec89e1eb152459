import { type Chunk } from '../rootfs/types';
import { chunkBuffer } from './streams';
import type { InStream, OutStream, SignalName, Terminal, TerminalModes } from './types';

// A pseudo-terminal as the processes on it see it (exec -t, a container
// with tty): Linux's n_tty line discipline, the parts a shell session
// needs. Typed input is echoed and kept until a line ends (erase ^?, kill
// ^U, word erase ^W; ^D at the start of a line is end of input); ^C, ^\
// and ^Z signal the foreground processes and drop the pending input;
// output gets CR before NL. Processes read `reader` and write `writer`
// (stdout and stderr both), whose isTTY and tty make `[ -t 0 ]`, stty and
// an interactive sh work.

// A line longer than this takes no more characters (N_TTY_BUF_SIZE - 1).
const MAX_LINE = 4095;
// Typed input waiting for a reader beyond this makes the typing wait.
const MAX_READY = 64 * 1024;

const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_U = 0x15;
const CTRL_W = 0x17;
const CTRL_Z = 0x1a;
const CTRL_BACKSLASH = 0x1c;
const DEL = 0x7f;
const NL = 0x0a;
const CR = 0x0d;
const TAB = 0x09;

type Item = Buffer | 'eof';

export class Tty implements Terminal {
  rows = 0;
  cols = 0;
  readonly modes: TerminalModes = { echo: true, icanon: true, isig: true, icrnl: true, onlcr: true };
  // Where ^C, ^\, ^Z and window changes go: the foreground processes.
  foreground?: (sig: SignalName) => void;

  private line: number[] = [];
  private raw: number[] = [];
  private readonly ready: Item[] = [];
  private readyBytes = 0;
  private hungUp = false;
  private readers: (() => void)[] = [];
  private reads = 0;
  private typists: (() => void)[] = [];

  readonly reader: InStream & { readonly isTTY: true; readonly tty: Tty } = {
    isTTY: true,
    tty: this,
    read: (max) => this.read(max),
  };

  readonly writer: OutStream & { readonly isTTY: true; readonly tty: Tty } = {
    isTTY: true,
    tty: this,
    write: (data) => this.sink.write(this.opost(data)),
  };

  // sink: the terminal's screen (the client's stdout, the log).
  constructor(private readonly sink: OutStream) {}

  setModes(modes: Partial<TerminalModes>): void {
    Object.assign(this.modes, modes);
    if (!this.modes.icanon && this.line.length > 0) this.pushReady(Buffer.from(this.line.splice(0)));
  }

  setSize(rows: number, cols: number): void {
    if (rows === this.rows && cols === this.cols) return;
    this.rows = rows;
    this.cols = cols;
    this.foreground?.('WINCH');
  }

  // Bytes typed at the terminal. Resolves when the line discipline has
  // room for more (a reader took what was waiting).
  async type(data: Uint8Array): Promise<void> {
    for (const b of data) this.key(b);
    this.flushRaw();
    while (this.readyBytes > MAX_READY && !this.hungUp) await new Promise<void>((r) => this.typists.push(r));
  }

  // Nobody types any more (the client closed stdin): what is typed reads,
  // then end of input, for good.
  hangup(): void {
    if (this.hungUp) return;
    if (this.line.length > 0) this.pushReady(Buffer.from(this.line.splice(0)));
    this.hungUp = true;
    this.wakeReaders();
    this.wakeTypists();
  }

  private key(b: number): void {
    const m = this.modes;
    if (b === CR && m.icrnl) b = NL;
    if (m.isig && (b === CTRL_C || b === CTRL_BACKSLASH || b === CTRL_Z)) {
      this.raw = [];
      this.echo(Buffer.from([b]));
      this.line = [];
      this.ready.length = 0;
      this.readyBytes = 0;
      this.wakeTypists();
      this.foreground?.(b === CTRL_C ? 'INT' : b === CTRL_BACKSLASH ? 'QUIT' : 'TSTP');
      return;
    }
    if (!m.icanon) {
      this.raw.push(b);
      return;
    }
    switch (b) {
      case DEL:
        this.erase(1);
        return;
      case CTRL_U:
        this.erase(this.line.length);
        return;
      case CTRL_W: {
        let n = 0;
        while (n < this.line.length && isBlank(this.line[this.line.length - 1 - n])) n++;
        while (n < this.line.length && !isBlank(this.line[this.line.length - 1 - n])) n++;
        this.erase(n);
        return;
      }
      case CTRL_D:
        this.pushReady(this.line.length > 0 ? Buffer.from(this.line.splice(0)) : 'eof');
        return;
      case NL:
        this.line.push(NL);
        this.echo(Buffer.from([NL]));
        this.pushReady(Buffer.from(this.line.splice(0)));
        return;
      default:
        if (this.line.length >= MAX_LINE) return;
        this.line.push(b);
        this.echo(Buffer.from([b]));
    }
  }

  // Non-canonical input typed in one go: readable (and echoed) at once.
  private flushRaw(): void {
    if (this.raw.length === 0) return;
    const b = Buffer.from(this.raw);
    this.raw = [];
    this.echo(b);
    this.pushReady(b);
  }

  // Takes back the last n characters of the line, on the screen too (a
  // UTF-8 character is one, a control character shown as ^X two columns).
  private erase(chars: number): void {
    let cols = 0;
    for (let i = 0; i < chars && this.line.length > 0; i++) {
      let b = this.line.pop()!;
      while ((b & 0xc0) === 0x80 && this.line.length > 0) b = this.line.pop()!;
      cols += b < 0x20 && b !== TAB ? 2 : 1;
    }
    if (cols > 0) this.echo(Buffer.from('\b \b'.repeat(cols)), true);
  }

  // ECHO with ECHOCTL: a control character shows as ^X.
  private echo(b: Buffer, raw = false): void {
    if (!this.modes.echo) return;
    let out = b;
    if (!raw && b.some(isCtl)) {
      const shown: number[] = [];
      for (const c of b) {
        if (isCtl(c)) shown.push(0x5e, c === DEL ? 0x3f : c + 0x40);
        else shown.push(c);
      }
      out = Buffer.from(shown);
    }
    this.sink.write(this.opost(out)).catch(() => {});
  }

  private pushReady(item: Item): void {
    this.ready.push(item);
    if (item !== 'eof') this.readyBytes += item.byteLength;
    this.wakeReaders();
  }

  // Only the newest read waits for input: an older one still waiting
  // belongs to a process killed meanwhile (^C on cat) and must not take
  // the next line; it never returns (a background reader stays stopped,
  // as SIGTTIN would have it).
  private async read(max = Number.MAX_SAFE_INTEGER): Promise<Chunk | null> {
    const me = ++this.reads;
    this.wakeReaders();
    for (;;) {
      if (me !== this.reads) return new Promise<never>(() => {});
      const item = this.ready[0];
      if (item === 'eof') {
        this.ready.shift();
        return null;
      }
      if (item) {
        // One line at most per read, as a canonical read returns.
        const n = Math.min(max, item.byteLength);
        if (n < item.byteLength) this.ready[0] = item.subarray(n);
        else this.ready.shift();
        this.readyBytes -= n;
        if (this.readyBytes <= MAX_READY) this.wakeTypists();
        return item.subarray(0, n);
      }
      if (this.hungUp) return null;
      await new Promise<void>((r) => this.readers.push(r));
    }
  }

  // OPOST with ONLCR: NL goes out as CR NL.
  private opost(data: Chunk | string): Chunk {
    const b = typeof data === 'string' ? Buffer.from(data) : chunkBuffer(data);
    if (!this.modes.onlcr || !b.includes(NL)) return b;
    const parts: Buffer[] = [];
    let from = 0;
    for (let i = b.indexOf(NL); i >= 0; i = b.indexOf(NL, i + 1)) {
      parts.push(b.subarray(from, i), CRLF);
      from = i + 1;
    }
    parts.push(b.subarray(from));
    return Buffer.concat(parts);
  }

  private wakeReaders(): void {
    const rs = this.readers;
    this.readers = [];
    for (const r of rs) r();
  }

  private wakeTypists(): void {
    const ts = this.typists;
    this.typists = [];
    for (const t of ts) t();
  }
}

const CRLF = Buffer.from('\r\n');
const isBlank = (b: number) => b === 0x20 || b === TAB;
// Shown as ^X when echoed (ECHOCTL).
const isCtl = (b: number) => (b < 0x20 && b !== NL && b !== TAB) || b === DEL;

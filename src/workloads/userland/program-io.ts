import { ReadableIn, nodeOut } from '../procs/node-io';
import { Pipe } from '../procs/pipe';
import { chunkBuffer, emptyIn } from '../procs/streams';
import { Tty } from '../procs/tty';
import type { InStream, OutStream, SignalName } from '../procs/types';
import { type Chunk, isFsError } from '../rootfs/types';
import { followResizes, typeInto } from './exec-stdio';
import type { LogOut } from './log-out';
import type { StreamIo } from './stream-io';

// The streams of a container's program, as containerd's shim keeps them:
// stdout and stderr go to the log and to whoever is attached at the time;
// stdin (config stdin) is a pipe made at start, fed by attaches; with
// config tty the program has a terminal instead, whose output (stderr
// too) is the log's stdout. Attaches come and go; the program stays.

export interface ProgramIoConfig {
  stdin?: boolean;
  stdin_once?: boolean;
  tty?: boolean;
}

// One stream of the program: the log, then each attached client. A slow
// client slows the program, as in containerd; a client gone is dropped.
class Fanout implements OutStream {
  readonly sinks = new Set<OutStream>();

  constructor(private readonly log: LogOut) {}

  async write(data: Chunk | string): Promise<void> {
    const b = typeof data === 'string' ? Buffer.from(data) : chunkBuffer(data);
    await this.log.write(b);
    if (this.sinks.size === 0) return;
    await Promise.all([...this.sinks].map((s) => s.write(b).catch(() => this.sinks.delete(s))));
  }
}

export class ProgramIo {
  readonly stdin: InStream;
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  private readonly out: Fanout;
  private readonly err: Fanout;
  private readonly tty?: Tty;
  private readonly pipe?: Pipe;
  // stdin_once: the first attach that fed stdin closes it when it goes.
  private stdinTaken = false;
  private ended = false;
  private readonly detachAll = new Set<() => void>();

  constructor(
    private readonly config: ProgramIoConfig,
    private readonly logOut: LogOut,
    private readonly logErr: LogOut,
  ) {
    this.out = new Fanout(logOut);
    this.err = new Fanout(logErr);
    if (config.tty) {
      // Without config stdin nobody ever types: reads wait, as on a pty.
      this.tty = new Tty(this.out);
      this.stdin = this.tty.reader;
      this.stdout = this.stderr = this.tty.writer;
    } else {
      if (config.stdin) this.pipe = new Pipe();
      this.stdin = this.pipe?.reader ?? emptyIn;
      this.stdout = this.out;
      this.stderr = this.err;
    }
  }

  // Where the terminal's ^C and window changes go: the program's tree.
  set foreground(f: ((sig: SignalName) => void) | undefined) {
    if (this.tty) this.tty.foreground = f;
  }

  // Follows the program's output from now on and feeds its stdin, until
  // the client detaches (io.signal) or the program ends.
  attach(io: StreamIo): Promise<void> {
    if (this.ended || io.signal.aborted) return Promise.resolve();
    const sinks: [Fanout, OutStream][] = [];
    if (io.stdout) sinks.push([this.out, nodeOut(io.stdout, io.signal)]);
    if (io.stderr && !this.tty) sinks.push([this.err, nodeOut(io.stderr, io.signal)]);
    for (const [f, s] of sinks) f.sinks.add(s);
    const feeding = io.stdin ? this.feed(new ReadableIn(io.stdin)) : undefined;
    if (this.tty && io.size) this.tty.setSize(io.size.height, io.size.width);
    const resizing = this.tty && io.resizes ? followResizes(this.tty, io.resizes) : undefined;
    return new Promise((resolve) => {
      const detach = () => {
        io.signal.removeEventListener('abort', detach);
        this.detachAll.delete(detach);
        for (const [f, s] of sinks) f.sinks.delete(s);
        feeding?.close();
        resizing?.stop();
        resolve();
      };
      this.detachAll.add(detach);
      io.signal.addEventListener('abort', detach, { once: true });
    });
  }

  // The program ended (its last output is out) or the container went:
  // attaches end, the log's last partial lines are written.
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const d of [...this.detachAll]) d();
    this.pipe?.reader.close();
    this.logOut.end();
    this.logErr.end();
  }

  // An attach's stdin into the program's. With stdin_once, the first
  // attach's stdin is the only one: its end is the program's.
  private feed(input: ReadableIn): { close(): void } | undefined {
    if (!this.config.stdin || (this.config.stdin_once && this.stdinTaken)) return undefined;
    const once = !!this.config.stdin_once;
    this.stdinTaken = true;
    if (this.tty) {
      const t = typeInto(this.tty, input, false);
      if (once) void t.done.then(() => this.tty!.hangup());
      return t;
    }
    const pipe = this.pipe!;
    void (async () => {
      try {
        for (let c = await input.read(); c !== null; c = await input.read()) await pipe.writer.write(c);
      } catch (err) {
        if (!isFsError(err, 'EPIPE')) throw err;
      }
      if (once) pipe.writer.close();
    })();
    return input;
  }
}

import { ReadableIn, nodeOut } from '../procs/node-io';
import { chunkBuffer, emptyIn, nullOut } from '../procs/streams';
import { Tty } from '../procs/tty';
import type { InStream, OutStream, Process, ProcessTable } from '../procs/types';
import { signalTree } from './process-tree';
import type { StreamIo } from './stream-io';

// The stdin, stdout and stderr of a streamed exec: the client's streams
// as they are, or a terminal between them (io.tty) whose ^C and window
// changes reach the command's processes.
export interface ExecStdio {
  stdin: InStream;
  stdout: OutStream;
  stderr: OutStream;
  // The command started as proc: the terminal's signals go to its tree.
  started(proc: Process, procs: ProcessTable): void;
  // The command ended: stdin is read no more.
  close(): void;
}

export function execStdio(io: StreamIo): ExecStdio {
  const stdout = io.stdout ? nodeOut(io.stdout, io.signal) : nullOut;
  if (!io.tty) {
    const stdin = io.stdin ? new ReadableIn(io.stdin) : undefined;
    return {
      stdin: stdin ?? emptyIn,
      stdout,
      stderr: io.stderr ? nodeOut(io.stderr, io.signal) : nullOut,
      started: () => {},
      close: () => stdin?.close(),
    };
  }
  const tty = new Tty(stdout);
  // Set before the command starts: `stty size` first thing sees it.
  if (io.size) tty.setSize(io.size.height, io.size.width);
  const typing = io.stdin ? typeInto(tty, new ReadableIn(io.stdin)) : undefined;
  const resizing = io.resizes ? followResizes(tty, io.resizes) : undefined;
  return {
    stdin: tty.reader,
    stdout: tty.writer,
    stderr: tty.writer,
    started: (proc, procs) => (tty.foreground = (sig) => signalTree(procs, proc.pid, sig)),
    close: () => {
      typing?.close();
      resizing?.stop();
      tty.foreground = undefined;
    },
  };
}

// What the client types goes to the terminal; its end is a hangup (end of
// input for good). hangup: whether the end of this input ends the
// terminal's (false: another typist may come, as for attach).
export function typeInto(tty: Tty, input: ReadableIn, hangup = true): { close(): void; done: Promise<void> } {
  const done = (async () => {
    for (let c = await input.read(); c !== null; c = await input.read()) await tty.type(chunkBuffer(c));
    if (hangup) tty.hangup();
  })();
  return { close: () => input.close(), done };
}

// Window sizes as they come, until stopped.
export function followResizes(tty: Tty, sizes: AsyncIterable<{ width: number; height: number }>): { stop(): void } {
  let stopped = false;
  const it = sizes[Symbol.asyncIterator]();
  void (async () => {
    for (let r = await it.next(); !r.done && !stopped; r = await it.next()) tty.setSize(r.value.height, r.value.width);
  })().catch(() => {});
  return { stop: () => (stopped = true) };
}

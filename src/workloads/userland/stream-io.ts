import type { Readable, Writable } from 'node:stream';

// A client's streams for exec and attach, as the streaming server hands
// them over: plain Node streams, so nothing of the userland shows there.
export interface StreamIo {
  // Its end is end of input for the process (closing stdin ends `cat`).
  stdin?: Readable;
  stdout?: Writable;
  // Absent with tty: stderr goes to stdout.
  stderr?: Writable;
  // A terminal: output LF→CRLF, `stty size`, `[ -t 0 ]` true, ^C.
  tty: boolean;
  // The terminal's size when the command starts (the client's first
  // resize), then its changes.
  size?: { width: number; height: number };
  resizes?: AsyncIterable<{ width: number; height: number }>;
  // The client went: exec kills what it started; attach detaches.
  signal: AbortSignal;
}

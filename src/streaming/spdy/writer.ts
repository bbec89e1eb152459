import type { Duplex } from 'node:stream';

// Past this many bytes of answers (PING echoes, RST_STREAMs refusing streams)
// written since the socket last drained, the session stops reading until it
// drains: the peer sends and does not read. Only answers count: DATA writers
// wait for 'drain' on their own, and pausing reads for our own DATA backlog
// would deadlock two peers that both write more than they have read.
const MAX_ANSWER_BACKLOG = 1 << 20;

// Frames out to the socket in the order they were queued. A frame with a
// header block is ready only once zlib has compressed it (asynchronously), and
// the frames queued after it wait for it: the peer's inflater must see blocks
// in compression order, and a stream's SYN_REPLY must precede its data.
export class FrameWriter {
  private queue: { frame?: Buffer }[] = [];
  private needDrain = false;
  private waiters: (() => void)[] = [];
  private ended = false;
  private answered = 0; // answer bytes written since the last 'drain'
  private socketEnded = false;
  private batch?: NodeJS.Immediate;

  constructor(
    private readonly socket: Duplex,
    private readonly onError: (err: Error) => void,
  ) {
    socket.on('drain', () => {
      this.needDrain = false;
      this.answered = 0;
      this.wake();
    });
  }

  write(frame: Buffer): void {
    if (this.queue.length) this.queue.push({ frame });
    else this.out(frame);
  }

  // A DATA frame as its header and payload, the payload not copied: a
  // frame each chunk would allocate (and leave to the GC) as many bytes
  // again as the stream carries.
  // Corked, the two go out together (one writev on a socket).
  writeData(header: Buffer, payload: Buffer): void {
    if (this.queue.length) return void this.queue.push({ frame: header }, { frame: payload });
    this.socket.cork();
    this.out(header);
    this.out(payload);
    this.socket.uncork();
  }

  // A frame still being built; those written after it wait.
  writeLater(frame: Promise<Buffer>): void {
    const slot: { frame?: Buffer } = {};
    this.queue.push(slot);
    frame.then(
      (f) => {
        slot.frame = f;
        this.flush();
      },
      (err: Error) => this.onError(err),
    );
  }

  // cb once what was queued has gone to the socket and the socket is not
  // over its high-water mark: how DATA writers are held back.
  whenWritable(cb: () => void): void {
    if (this.writable()) cb();
    else this.waiters.push(cb);
  }

  // An answer to the peer's frame: counted against MAX_ANSWER_BACKLOG.
  answer(frame: Buffer): void {
    this.answered += frame.length;
    this.write(frame);
  }

  // Whether the peer leaves our answers unread: what a peer that sends PINGs
  // (or streams to refuse) and reads nothing would build up.
  backlogged(): boolean {
    return this.needDrain && this.answered > MAX_ANSWER_BACKLOG;
  }

  // After what is queued, end the socket (our FIN); nothing more goes out.
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.flush();
  }

  // Drop whatever waits: the session is gone.
  abandon(): void {
    this.ended = true;
    this.socketEnded = true;
    this.queue = [];
    this.waiters = [];
  }

  private writable(): boolean {
    return !this.queue.length && !this.needDrain;
  }

  private flush(): void {
    this.socket.cork();
    while (this.queue.length && this.queue[0].frame) this.out(this.queue.shift()!.frame!);
    this.socket.uncork();
    if (!this.queue.length && this.ended && !this.socketEnded) {
      this.socketEnded = true;
      this.socket.end();
    }
    this.wake();
  }

  private out(frame: Buffer): void {
    if (!this.socket.writable) return;
    this.startBatch();
    if (!this.socket.write(frame)) {
      this.needDrain = true;
      // A socket at its high-water mark sends now: bulk data (port-forward)
      // must not wait a loop turn per 16 KiB.
      this.endBatch();
    }
  }

  // Frames written in one turn of the event loop leave in one socket write:
  // an exec's end is a dozen small frames (output, FINs, status, resets,
  // GOAWAY), and on loopback each write cost as much as the rest of the
  // work.
  private startBatch(): void {
    if (this.batch) return;
    this.socket.cork();
    this.batch = setImmediate(() => this.endBatch());
  }

  private endBatch(): void {
    if (!this.batch) return;
    clearImmediate(this.batch);
    this.batch = undefined;
    this.socket.uncork();
  }

  private wake(): void {
    if (!this.writable() || !this.waiters.length) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

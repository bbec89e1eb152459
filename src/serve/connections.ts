import type { Socket } from 'node:net';
import type { Logger } from 'pino';

// The connections of one listening socket: at most `max` at once (more are
// closed at once, with a warning at most every 10 s), each destroyed on a
// socket error, so that no error is unhandled and no fd stays behind.
export class ConnectionGuard {
  readonly open = new Set<Socket>();
  private refused = 0;
  private lastWarning = 0;

  constructor(
    private readonly what: string,
    private readonly max: number,
    private readonly log: Logger,
  ) {}

  // Whether the connection may go on; if not, it is already destroyed.
  admit(socket: Socket): boolean {
    socket.on('error', () => socket.destroy());
    if (this.open.size >= this.max) {
      this.refused++;
      socket.destroy();
      const now = Date.now();
      if (now - this.lastWarning > 10_000) {
        this.lastWarning = now;
        this.log.warn({ socket: this.what, open: this.open.size, max: this.max, refused: this.refused }, 'too many connections: refusing new ones (server.max_connections)');
      }
      return false;
    }
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    return true;
  }

  destroyAll(): void {
    for (const s of this.open) s.destroy();
  }
}

// Closes a connection that is idle (nothing read or written) for `ms`: for
// the short HTTP/1.1 requests of CRI-O's inspect API, which Node's own header
// and request timeouts do not watch on injected connections.
export function closeWhenIdle(socket: Socket, ms: number): void {
  socket.setTimeout(ms, () => socket.destroy());
}

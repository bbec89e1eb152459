import type { WebSocket } from 'ws';

// Inbound backpressure. Like wsstream, whose read loop blocks writing into a
// channel's pipe until that channel's reader takes the bytes, one slow reader
// stops reading the whole socket (TCP then slows the client down); the socket
// resumes once no reader is behind.
export class InboundFlow {
  private readonly behind = new Set<object>();

  constructor(private readonly ws: WebSocket) {}

  block(reader: object): void {
    this.behind.add(reader);
    this.ws.pause();
  }

  unblock(reader: object): void {
    if (this.behind.delete(reader) && this.behind.size === 0) this.ws.resume();
  }
}

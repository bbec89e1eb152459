import { type Server, type Socket, createServer } from 'node:net';
import type { Duplex } from 'node:stream';

// A real TCP listener on the host whose connections go into a pod: each
// accepted socket is joined to a connection dialed in the pod's network.

export interface HostListenerOptions {
  host: string;
  port: number;
  // A connection into the pod; rejects when nothing listens there.
  dial(): Promise<Duplex>;
  // Where the accepted sockets are kept while open, so that the pod's
  // teardown can drop them (closing a listener leaves them open, as in TCP).
  conns: Set<Socket>;
  // The bind failed (EADDRINUSE, EACCES, EADDRNOTAVAIL), or an accept did.
  failed(err: NodeJS.ErrnoException): void;
}

export class HostListener {
  private readonly server: Server;
  private listening = false;
  private closed = false;

  constructor(private readonly o: HostListenerOptions) {
    // allowHalfOpen: the client's FIN reaches the pod as end of input,
    // and what the pod still sends goes back.
    this.server = createServer({ allowHalfOpen: true }, (sock) => this.accept(sock));
    this.server.on('error', (err) => {
      if (!this.listening) this.closed = true;
      o.failed(err);
    });
    try {
      this.server.listen(o.port, o.host, () => {
        this.listening = true;
        // Closed while the bind was under way.
        if (this.closed) this.server.close();
      });
    } catch (err) {
      // A port out of range throws at once.
      this.closed = true;
      o.failed(err as NodeJS.ErrnoException);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.listening) this.server.close();
  }

  private accept(sock: Socket): void {
    if (this.closed) return void sock.destroy();
    const conns = this.o.conns;
    conns.add(sock);
    sock.once('close', () => conns.delete(sock));
    // A reset before the pod answers must not throw.
    sock.on('error', () => {});
    this.o.dial().then(
      (pod) => (sock.destroyed ? pod.destroy() : bridge(sock, pod)),
      // Nothing listens in the pod: as near a refusal as an accepted
      // connection gets.
      () => sock.resetAndDestroy(),
    );
  }
}

// Bytes both ways, each direction's end passed on as FIN (half-close); a
// reset or error on either side tears both down.
export function bridge(sock: Socket, pod: Duplex): void {
  sock.on('error', () => pod.destroy());
  pod.on('error', () => sock.destroy());
  // A socket closed after the client's FIN leaves the pod to read the rest.
  sock.on('close', () => {
    if (!sock.readableEnded) pod.destroy();
  });
  pod.on('close', () => {
    if (!pod.readableEnded) sock.destroy();
  });
  sock.pipe(pod);
  pod.pipe(sock);
}

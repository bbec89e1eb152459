import { Pipe } from '../procs/pipe';
import { type Connection, type Listener, NetError, type PodNetwork } from './types';

// The pod network in memory: one per pod, shared by its containers.
// Listeners by port on all of the pod's addresses; a connection is two pipes.

const LOOPBACK = new Set(['127.0.0.1', '::1', '0.0.0.0', '::']);

// Told when a port starts and stops listening, so that it can be
// published outside the pod (host-publish.ts).
export interface ListenHooks {
  opened(port: number): void;
  closed(port: number): void;
}

class MemoryListener implements Listener {
  private readonly queue: Connection[] = [];
  private readonly waiters: ((c: Connection) => void)[] = [];
  closed = false;

  constructor(
    private readonly net: MemoryPodNetwork,
    readonly port: number,
  ) {}

  offer(c: Connection): void {
    const w = this.waiters.shift();
    if (w) w(c);
    else this.queue.push(c);
  }

  accept(signal?: AbortSignal): Promise<Connection> {
    const c = this.queue.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        const i = this.waiters.indexOf(got);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const got = (conn: Connection) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(conn);
      };
      this.waiters.push(got);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.net.unlisten(this);
    // Connections nobody accepted are reset.
    for (const c of this.queue.splice(0)) c.close();
  }
}

export class MemoryPodNetwork implements PodNetwork {
  private readonly listeners = new Map<number, MemoryListener>();
  private nextEphemeral = 32768;

  constructor(
    private readonly podIps: readonly string[],
    private readonly hostname = '',
    private readonly hooks?: ListenHooks,
  ) {}

  resolve(name: string): string | undefined {
    if (name === 'localhost' || name === 'localhost.localdomain') return '127.0.0.1';
    if (name === 'ip6-localhost' || name === 'ip6-loopback') return '::1';
    if (/^\d+\.\d+\.\d+\.\d+$/.test(name) || name.includes(':')) return name;
    if (this.hostname && (name === this.hostname || name === this.hostname.split('.')[0])) return this.podIps[0] ?? '127.0.0.1';
    return undefined;
  }

  private local(host: string): boolean {
    return LOOPBACK.has(host) || host.startsWith('127.') || this.podIps.includes(host);
  }

  listen(port: number): Listener {
    if (port === 0) port = this.ephemeral();
    if (this.listeners.has(port)) throw new NetError('EADDRINUSE');
    const l = new MemoryListener(this, port);
    this.listeners.set(port, l);
    this.hooks?.opened(port);
    return l;
  }

  unlisten(l: MemoryListener): void {
    if (this.listeners.get(l.port) !== l) return;
    this.listeners.delete(l.port);
    this.hooks?.closed(l.port);
  }

  private ephemeral(): number {
    for (;;) {
      const p = this.nextEphemeral++;
      if (this.nextEphemeral > 60999) this.nextEphemeral = 32768;
      if (!this.listeners.has(p)) return p;
    }
  }

  async connect(host: string, port: number): Promise<Connection> {
    if (!this.local(host)) throw new NetError('EHOSTUNREACH');
    const l = this.listeners.get(port);
    if (!l) throw new NetError('ECONNREFUSED');
    const up = new Pipe(); // client → server
    const down = new Pipe(); // server → client
    const clientPort = this.ephemeral();
    const side = (input: Pipe, output: Pipe, local: { host: string; port: number }, remote: { host: string; port: number }): Connection => ({
      input: input.reader,
      output: output.writer,
      local,
      remote,
      close: () => {
        input.reader.close();
        output.writer.close();
      },
    });
    const serverAddr = { host, port };
    const clientAddr = { host: LOOPBACK.has(host) || host.startsWith('127.') ? '127.0.0.1' : host, port: clientPort };
    l.offer(side(up, down, serverAddr, clientAddr));
    return side(down, up, clientAddr, serverAddr);
  }
}

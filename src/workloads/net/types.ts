import type { InStream, OutStream } from '../procs/types';

// The pod's network as nc and wget see it: loopback and the pod's own
// addresses, shared by the pod's containers. Nothing leaves the pod.

// A TCP connection's two byte streams. Closing `output` sends FIN (the peer
// reads end of input); close() drops both directions.
export interface Connection {
  readonly input: InStream;
  readonly output: OutStream & { close(): void };
  readonly local: { host: string; port: number };
  readonly remote: { host: string; port: number };
  close(): void;
}

export interface Listener {
  readonly port: number;
  // The next connection; rejects with signal.reason when it aborts.
  accept(signal?: AbortSignal): Promise<Connection>;
  close(): void;
}

export type NetErrorCode = 'ECONNREFUSED' | 'EADDRINUSE' | 'EHOSTUNREACH' | 'ETIMEDOUT' | 'ECONNRESET';

// glibc's texts, as STRERROR has them for files.
export const NET_STRERROR: Record<NetErrorCode, string> = {
  ECONNREFUSED: 'Connection refused',
  EADDRINUSE: 'Address already in use',
  EHOSTUNREACH: 'No route to host',
  ETIMEDOUT: 'Connection timed out',
  ECONNRESET: 'Connection reset by peer',
};

export class NetError extends Error {
  constructor(readonly code: NetErrorCode) {
    super(NET_STRERROR[code]);
    this.name = 'NetError';
  }
}

export interface PodNetwork {
  // A name as the pod's /etc/hosts and resolver give it: its address, or
  // undefined when it does not resolve.
  resolve(name: string): string | undefined;
  // Listens on every address of the pod. Throws NetError EADDRINUSE.
  listen(port: number): Listener;
  // Rejects with NetError ECONNREFUSED (no listener) or EHOSTUNREACH.
  connect(host: string, port: number): Promise<Connection>;
}

import { type Socket, createServer } from 'node:net';

// Real TCP for tests: free ports, whether a port can be bound, what a
// socket received.

// A free port on host (taken and let go).
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject).listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

// Whether a new listener can bind host:port now.
export function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false)).listen(port, host, () => s.close(() => resolve(true)));
  });
}

// What the peer sent until its FIN, and how the socket ended.
export function readAll(sock: Socket): Promise<{ data: string; how: 'end' | 'reset' | 'close' }> {
  return new Promise((resolve) => {
    let data = '';
    let how: 'end' | 'reset' | 'close' = 'close';
    sock.on('data', (d) => (data += d));
    sock.on('end', () => (how = 'end'));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET') how = 'reset';
    });
    sock.on('close', () => resolve({ data, how }));
  });
}


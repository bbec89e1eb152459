import { type Socket, connect } from 'node:net';
import type { Rng } from './rng';

// Raw bytes on a socket: HTTP/2 frames of every type with random flags,
// stream ids and lengths after a proper preface, random bytes, half a
// preface, HTTP/1.1 requests, or nothing at all; the connection hangs up
// at once, after a while, or is left to fakecri to close.
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function frame(rng: Rng): Buffer {
  const payload = rng.bytes(rng.pick([0, 4, 6, 8, 13, 100]));
  const head = Buffer.alloc(9);
  head.writeUIntBE(rng.chance(0.8) ? payload.length : rng.int(2 ** 24), 0, 3);
  head[3] = rng.int(12); // DATA … CONTINUATION, and unknown types
  head[4] = rng.int(256);
  head.writeUInt32BE(rng.pick([0, 1, 3, 2 ** 31 - 1, rng.int(2 ** 32)]) >>> 0, 5);
  return Buffer.concat([head, payload]);
}

export function garbageBytes(rng: Rng): Buffer {
  switch (rng.int(7)) {
    case 0:
      return Buffer.concat([PREFACE, ...Array.from({ length: 1 + rng.int(5) }, () => frame(rng))]);
    case 1:
      return Buffer.concat([PREFACE, Buffer.from([0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0]), rng.bytes(32)]);
    case 2:
      return rng.bytes(1 + rng.int(300));
    case 3:
      return PREFACE.subarray(0, rng.int(PREFACE.length));
    case 4:
      return Buffer.from(rng.pick(['GET /info HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /containers/%ff HTTP/1.1\r\n\r\n', 'POST /v1/faults HTTP/1.1\r\nContent-Length: 99999\r\n\r\n{', 'GET / HTTP/1.1\r\nX: ', `GET /${'a'.repeat(20000)} HTTP/1.1\r\n\r\n`]));
    case 5:
      return Buffer.concat([PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), ...Array.from({ length: 20 }, () => frame(rng))]);
    default:
      return Buffer.alloc(0);
  }
}

// Sends one garbage connection; resolves when this side is done with it.
// Connections left to fakecri to close are added to `leftOpen` and leave it
// when fakecri closes them.
export function garbageConnection(path: string, rng: Rng, leftOpen: Set<Socket>): Promise<void> {
  const bytes = garbageBytes(rng);
  const mode = rng.int(3); // 0: hang up at once; 1: after a moment; 2: leave it to fakecri
  return new Promise((resolve) => {
    const s = connect(path);
    s.on('error', () => resolve());
    s.on('close', () => {
      leftOpen.delete(s);
      resolve();
    });
    s.resume();
    s.once('connect', () => {
      s.write(bytes);
      if (mode === 0) s.destroy();
      else if (mode === 1) setTimeout(() => s.destroy(), 50).unref();
      else {
        leftOpen.add(s);
        resolve();
      }
    });
  });
}

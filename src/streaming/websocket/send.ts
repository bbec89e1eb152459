import { WebSocket } from 'ws';

// How much may wait in the socket's buffers before a writer has to wait for
// the peer: enough to keep a fast link busy, small enough that a client that
// stops reading costs little memory.
export const SEND_HIGH_WATER = 256 * 1024;

// Sends one message (string: a text frame; bytes: a binary frame) and calls
// next(true) once the caller may send another: at once while little is
// queued, else when this message has gone out to the kernel. next(false): the
// connection is no longer open, nothing was sent.
export function sendPaced(ws: WebSocket, payload: Buffer | string, next: (ok: boolean) => void): void {
  if (ws.readyState !== WebSocket.OPEN) {
    process.nextTick(next, false);
    return;
  }
  let called = false;
  const once = (ok: boolean) => {
    if (called) return;
    called = true;
    next(ok);
  };
  ws.send(payload, { binary: typeof payload !== 'string' }, (err) => once(!err));
  if (ws.bufferedAmount <= SEND_HIGH_WATER) once(true);
}

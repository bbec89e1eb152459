import type { Socket } from 'node:net';

// CRI-O serves gRPC and its HTTP/1.1 inspect API on one socket (cmux). A new
// connection is gRPC when it opens with the HTTP/2 client preface; anything
// else is HTTP/1.1. The bytes read to decide are put back before the
// connection is handed on, so neither side sees a difference.
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export type Protocol = 'http2' | 'http1';

export function sniff(socket: Socket, timeoutMs: number, onDecided: (protocol: Protocol) => void): void {
  let seen = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const decide = (protocol: Protocol) => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
    socket.unshift(seen);
    onDecided(protocol);
  };
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    if (!seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) decide('http1');
    else if (seen.length >= HTTP2_PREFACE.length) decide('http2');
  };
  const onClose = () => clearTimeout(timer);
  socket.on('data', onData);
  socket.once('close', onClose);
  // A reset mid-preface must not become an uncaught error.
  socket.on('error', () => socket.destroy());
}

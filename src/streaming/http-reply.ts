import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

// Answers written straight on an upgrade request's socket (Node hands an
// upgrade over before any ServerResponse exists), in Go net/http's shape.

export function replyError(socket: Duplex, code: number, message: string, headers: Record<string, string | string[]> = {}): void {
  const body = `${message}\n`;
  const lines = [`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}`, 'Content-Type: text/plain; charset=utf-8', 'X-Content-Type-Options: nosniff', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) for (const v of [value].flat()) lines.push(`${name}: ${v}`);
  if (socket.writable) socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  else socket.destroy();
}

export function replySwitching(socket: Duplex, headers: Record<string, string>): void {
  const lines = ['HTTP/1.1 101 Switching Protocols'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
}

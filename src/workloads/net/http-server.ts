import { chunkBuffer } from '../procs/streams';
import { type Chunk, isFsError } from '../rootfs/types';
import type { Connection, Listener } from './types';

// HTTP/1.x on the pod network, for the servers fakecri emulates (nginx,
// agnhost netexec, busybox httpd): requests read off a connection one
// after another (keep-alive), each answered by a handler; bodies by
// Content-Length or chunked. Each server words its own headers.

export interface HttpRequest {
  method: string;
  target: string; // as sent: /path?query
  path: string; // decoded, without the query
  query: URLSearchParams;
  version: 'HTTP/1.0' | 'HTTP/1.1';
  headers: Map<string, string>; // lower-cased names; repeats joined with ", "
  body: Buffer;
  remote: { host: string; port: number };
  local: { host: string; port: number };
  // What the client asked for: the connection stays open after this one.
  keepAlive: boolean;
}

export interface HttpResponse {
  status: number;
  reason: string;
  headers: [string, string][];
  body: Buffer | string;
  // A body too big to hold (a file): its chunks, after `body`.
  stream?: AsyncIterable<Chunk>;
  // Close the connection after this response (it says Connection: close).
  close?: boolean;
}

// A request head larger than this is refused (nginx's large buffers: 4 × 8k).
const MAX_HEAD = 32 * 1024;
const MAX_BODY = 16 * 1024 * 1024;

export class BadRequest extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

// Bytes off a connection, with what was read past the last request kept.
class ConnReader {
  private buf: Buffer = Buffer.alloc(0);
  ended = false;

  constructor(private readonly conn: Connection) {}

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const c = await this.conn.input.read(64 * 1024);
    if (c === null) {
      this.ended = true;
      return false;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunkBuffer(c)]) : chunkBuffer(c);
    return true;
  }

  // Up to and without the next CRLF CRLF; null at a clean end.
  async head(): Promise<string | null> {
    for (;;) {
      // Empty lines before a request are skipped (RFC 9112 2.2).
      while (this.buf[0] === 0x0d || this.buf[0] === 0x0a) this.buf = this.buf.subarray(1);
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buf.subarray(0, end).toString('latin1');
        this.buf = this.buf.subarray(end + 4);
        return head;
      }
      if (this.buf.length > MAX_HEAD) throw new BadRequest(400);
      if (!(await this.more())) {
        if (this.buf.length === 0) return null;
        throw new BadRequest(400);
      }
    }
  }

  async exactly(n: number): Promise<Buffer> {
    while (this.buf.length < n) if (!(await this.more())) throw new BadRequest(400);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async line(): Promise<string> {
    for (;;) {
      const nl = this.buf.indexOf('\r\n');
      if (nl >= 0) {
        const l = this.buf.subarray(0, nl).toString('latin1');
        this.buf = this.buf.subarray(nl + 2);
        return l;
      }
      if (this.buf.length > MAX_HEAD || !(await this.more())) throw new BadRequest(400);
    }
  }
}

async function readRequest(r: ConnReader, conn: Connection): Promise<HttpRequest | null> {
  const head = await r.head();
  if (head === null) return null;
  const [line, ...rest] = head.split('\r\n');
  const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(line);
  if (!m) throw new BadRequest(400);
  const headers = new Map<string, string>();
  for (const h of rest) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new BadRequest(400);
    const name = h.slice(0, colon).trim().toLowerCase();
    const value = h.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const version = m[3] as HttpRequest['version'];
  const connection = (headers.get('connection') ?? '').toLowerCase();
  const keepAlive = version === 'HTTP/1.1' ? !connection.includes('close') : connection.includes('keep-alive');
  let body: Buffer = Buffer.alloc(0);
  if ((headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked')) body = await chunked(r);
  else if (headers.has('content-length')) {
    const n = Number(headers.get('content-length'));
    if (!Number.isInteger(n) || n < 0) throw new BadRequest(400);
    if (n > MAX_BODY) throw new BadRequest(413);
    body = await r.exactly(n);
  }
  const target = m[2];
  const q = target.indexOf('?');
  let path: string;
  try {
    path = decodeURIComponent(q < 0 ? target : target.slice(0, q));
  } catch {
    throw new BadRequest(400);
  }
  return {
    method: m[1],
    target,
    path,
    query: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)),
    version,
    headers,
    body,
    remote: conn.remote,
    local: conn.local,
    keepAlive,
  };
}

async function chunked(r: ConnReader): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const size = parseInt((await r.line()).split(';')[0], 16);
    if (!Number.isFinite(size) || size < 0) throw new BadRequest(400);
    if (size === 0) break;
    total += size;
    if (total > MAX_BODY) throw new BadRequest(413);
    parts.push(await r.exactly(size));
    await r.line();
  }
  while ((await r.line()) !== '');
  return Buffer.concat(parts);
}

export function formatResponse(res: HttpResponse, head: boolean): Buffer {
  let text = `HTTP/1.1 ${res.status} ${res.reason}\r\n`;
  for (const [k, v] of res.headers) text += `${k}: ${v}\r\n`;
  text += '\r\n';
  const body = typeof res.body === 'string' ? Buffer.from(res.body) : res.body;
  return head || body.length === 0 ? Buffer.from(text, 'latin1') : Buffer.concat([Buffer.from(text, 'latin1'), body]);
}

export interface ServeOptions {
  // A request the server could not read: the answer it gives, then closes.
  bad(status: number): HttpResponse;
}

// Answers the requests of one connection until either side closes it.
export async function serveConnection(conn: Connection, handle: (req: HttpRequest) => Promise<HttpResponse>, o: ServeOptions): Promise<void> {
  const r = new ConnReader(conn);
  try {
    for (;;) {
      let req: HttpRequest | null;
      try {
        req = await readRequest(r, conn);
      } catch (err) {
        if (!(err instanceof BadRequest)) throw err;
        await conn.output.write(formatResponse({ ...o.bad(err.status), close: true }, false));
        return;
      }
      if (req === null) return;
      const res = await handle(req);
      await conn.output.write(formatResponse(res, req.method === 'HEAD'));
      if (res.stream && req.method !== 'HEAD') for await (const c of res.stream) await conn.output.write(c);
      if (res.close || !req.keepAlive) return;
    }
  } catch (err) {
    // The client went (EPIPE): nothing to answer.
    if (!isFsError(err)) throw err;
  } finally {
    conn.close();
  }
}

// Accepts connections until `stop` aborts, each served on its own; then
// the listener and the open connections close.
export async function acceptLoop(listener: Listener, stop: AbortSignal, serve: (conn: Connection) => Promise<void>): Promise<void> {
  const open = new Set<Connection>();
  try {
    for (;;) {
      let conn: Connection;
      try {
        conn = await listener.accept(stop);
      } catch (err) {
        if (stop.aborted) return;
        throw err;
      }
      open.add(conn);
      serve(conn)
        .catch(() => {})
        .finally(() => open.delete(conn));
    }
  } finally {
    listener.close();
    for (const c of open) c.close();
  }
}

// The HTTP date: Tue, 07 Nov 2023 10:00:00 GMT.
export const httpDate = (ms: number): string => new Date(ms).toUTCString();

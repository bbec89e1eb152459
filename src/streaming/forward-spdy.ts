import type { StreamService } from '../streams/service';
import { type ForwardLimits, forwardPort } from './portforward';
import type { SpdySession, SpdyStream } from './spdy';

// port-forward over SPDY (portforward.k8s.io): per connection the client
// opens an error and a data stream with the same requestID and port
// headers; each complete pair is forwarded. As the kubelet's
// httpStreamHandler: a stream with a bad header is refused, a pair still
// missing its other half after the creation timeout is told so.

export const SPDY_FORWARD_PROTOCOLS = ['portforward.k8s.io'];

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

export function serveSpdyForward(session: SpdySession, sandboxId: string, streams: StreamService, timeoutMs: number, limits: ForwardLimits = {}): void {
  const pairs = new Map<string, Pair>();
  session.on('stream', (s: SpdyStream) => {
    const problem = checkHeaders(s.headers);
    if (problem) {
      // Go's handler refuses it: a reply with FIN.
      s.reply();
      s.end();
      return;
    }
    const type = s.headers.streamtype as 'data' | 'error';
    s.reply();
    const id = s.headers.requestid || String(type === 'error' ? s.id : s.id - 2);
    let p = pairs.get(id);
    if (!p) {
      const pair: Pair = { timer: setTimeout(() => expire(id, pair), timeoutMs) };
      pairs.set(id, (p = pair));
    }
    if (p[type]) {
      const other = p.error ?? s;
      other.write(`error processing stream for request ${id}: ${type} stream already assigned`);
      s.reset();
      return;
    }
    p[type] = s;
    if (p.data && p.error) {
      clearTimeout(p.timer);
      pairs.delete(id);
      void run(p.data, p.error);
    }
  });
  session.once('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });

  const expire = (id: string, p: Pair) => {
    pairs.delete(id);
    p.error?.write(`(conn=${sandboxId}, request=${id}) timed out waiting for streams`);
    p.error?.end();
    p.data?.end();
  };

  const run = async (data: SpdyStream, error: SpdyStream) => {
    const port = Number(data.headers.port);
    const ok = await forwardPort(streams, sandboxId, port, data, error, limits);
    // The kubelet resets both after a failure; ending the error stream
    // instead lets its message reach the client before the end.
    if (!ok) data.reset();
    error.end();
  };
}

function checkHeaders(h: Record<string, string>): string | undefined {
  const port = h.port ?? '';
  if (!port) return '"port" header is required';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const type = h.streamtype ?? '';
  if (!type) return '"streamType" header is required';
  if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`;
  return undefined;
}

import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SpdySession, type SpdyStream } from '../streaming/spdy';

// A SPDY client of fakecri's streaming server, as client-go's remotecommand
// and portforward speak it: for the bench and the hostile tools (the tests
// use the Go peer on moby/spdystream instead).

export async function spdyConnect(url: string, protocols: string[]): Promise<{ session: SpdySession; socket: Socket; protocol: string }> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const lines = [`POST ${u.pathname} HTTP/1.1`, `Host: ${u.host}`, 'Connection: Upgrade', 'Upgrade: SPDY/3.1', ...protocols.map((p) => `X-Stream-Protocol-Version: ${p}`), 'Content-Length: 0'];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await new Promise<Buffer>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData).off('error', reject).off('close', onClose);
      socket.pause();
      if (buf.byteLength > end + 4) socket.unshift(buf.subarray(end + 4));
      resolve(buf.subarray(0, end));
    };
    // Taken off once the head is in: left on, each session's end built an Error.
    const onClose = () => reject(new Error('closed before the upgrade'));
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', onClose);
  });
  const text = head.toString('latin1');
  if (!text.startsWith('HTTP/1.1 101')) {
    socket.destroy();
    throw new Error(`upgrade refused: ${text.split('\r\n')[0]}`);
  }
  const protocol = /x-stream-protocol-version: *([^\r\n]*)/i.exec(text)?.[1] ?? '';
  const session = new SpdySession(socket, { server: false });
  // Paused while the response head was read: flowing again for the session.
  socket.resume();
  return { session, socket, protocol };
}

function opened(session: SpdySession, headers: Record<string, string>): Promise<SpdyStream> {
  const s = session.open(headers);
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('stream closed before its reply'));
    s.once('reply', () => {
      s.off('close', onClose);
      resolve(s);
    });
    s.once('close', onClose);
  });
}

function readAll(s: Duplex): Promise<Buffer> {
  const parts: Buffer[] = [];
  return new Promise((resolve) => {
    s.on('data', (d: Buffer) => parts.push(d));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('close', () => resolve(Buffer.concat(parts)));
  });
}

// An exec or attach over v4.channel.k8s.io: stdout, stderr and the exit code.
export async function spdyExec(url: string, stdin?: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  const { session } = await spdyConnect(url, ['v4.channel.k8s.io']);
  try {
    // All at once, not one round trip each as client-go does.
    const [error, input, out, err] = await Promise.all([
      opened(session, { streamtype: 'error' }),
      stdin ? opened(session, { streamtype: 'stdin' }) : undefined,
      opened(session, { streamtype: 'stdout' }),
      opened(session, { streamtype: 'stderr' }),
    ]);
    if (input && stdin) input.end(stdin);
    const [status, o, e] = await Promise.all([readAll(error), readAll(out), readAll(err)]);
    const s = JSON.parse(status.toString() || '{}') as { status?: string; details?: { causes?: { reason?: string; message: string }[] } };
    const code = s.status === 'Success' ? 0 : Number(s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message ?? -1);
    return { code, stdout: o.toString(), stderr: e.toString() };
  } finally {
    session.destroy();
  }
}

// One port-forward connection: the data stream, and the error stream's text.
export async function spdyForward(url: string, port: number): Promise<{ data: SpdyStream; error: Promise<string>; close(): void }> {
  const { session } = await spdyConnect(url, ['portforward.k8s.io']);
  const error = await opened(session, { streamtype: 'error', port: String(port), requestid: '0' });
  error.end();
  const data = await opened(session, { streamtype: 'data', port: String(port), requestid: '0' });
  return { data, error: readAll(error).then((b) => b.toString()), close: () => session.destroy() };
}

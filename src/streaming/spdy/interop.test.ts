import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildGoPeer, type PeerRun, startPeer } from '../../test/go-peer';
import { until } from '../../test/wait';
import { RstStatus } from './constants';
import { SpdySession, type SpdySessionOptions, type SpdyStream } from './index';

// Against the real thing: moby/spdystream, the library under client-go's
// httpstream/spdy (kubectl, crictl, the kubelet), driven by our Go program
// e2e/clients/spdy-peer, built from Debian packages.

interface PeerResult {
  mode: string;
  replied: number;
  refused: number;
  echoed: number;
  bytes: number;
  pingsMs?: number[];
  errors: string[];
}

let bin: string;
beforeAll(() => {
  bin = buildGoPeer('spdy-peer', [{ importPath: 'github.com/moby/spdystream', debianPackage: 'golang-github-docker-spdystream-dev' }]);
}, 600_000);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function run(args: string[]): PeerRun {
  const peer = startPeer(bin, args);
  cleanups.push(() => peer.child.kill('SIGKILL'));
  return peer;
}

async function result(peer: PeerRun): Promise<PeerResult> {
  const code = await peer.exited;
  expect(code, peer.stderr()).toBe(0);
  return JSON.parse(peer.lines.find((l) => l.startsWith('{'))!) as PeerResult;
}

// A TypeScript server; `onStream` handles each stream the Go client opens.
async function tsServer(onStream: (s: SpdyStream) => void, opts: Partial<SpdySessionOptions> = {}) {
  const sessions: SpdySession[] = [];
  const closes: Promise<Error | undefined>[] = [];
  const server = createServer((socket) => {
    const session = new SpdySession(socket, { server: true, ...opts });
    session.on('stream', onStream);
    closes.push(new Promise((r) => session.once('close', r)));
    sessions.push(session);
    cleanups.push(() => session.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => server.close());
  return { addr: `127.0.0.1:${(server.address() as { port: number }).port}`, sessions, closes };
}

const echo = (s: SpdyStream) => {
  s.reply();
  s.pipe(s);
};

describe('Go spdystream client -> TypeScript server', () => {
  it('echoes 20 streams of 1 MiB; headers arrive lower-cased with repeated values joined', async () => {
    const headers: Record<string, string>[] = [];
    const srv = await tsServer((s) => {
      headers.push(s.headers);
      echo(s);
    });
    const r = await result(run(['-mode', 'echo', '-addr', srv.addr, '-streams', '20', '-bytes', String(1 << 20)]));
    expect(r.errors).toEqual([]);
    expect(r.echoed).toBe(20);
    expect(r.bytes).toBe(20 << 20);
    expect(headers.map((h) => h['x-index']).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(headers[0]).toMatchObject({ streamtype: 'data', 'x-multi': 'a,b' });
    // The client's GOAWAY (conn.Close) ends the session cleanly.
    expect(await srv.closes[0]).toBeUndefined();
  });

  it('answers its PINGs', async () => {
    const srv = await tsServer(echo);
    const r = await result(run(['-mode', 'ping', '-addr', srv.addr, '-pings', '5']));
    expect(r.errors).toEqual([]);
    expect(r.pingsMs).toHaveLength(5);
  });

  it('sees its RST_STREAM', async () => {
    const resets: number[] = [];
    const srv = await tsServer((s) => {
      s.on('reset', (status: number) => resets.push(status));
      s.reply();
      s.resume();
    });
    const r = await result(run(['-mode', 'reset', '-addr', srv.addr]));
    expect(r.errors).toEqual([]);
    await until('the reset', () => resets.length);
    expect(resets).toEqual([RstStatus.CANCEL]);
  });

  it('refuses streams past maxStreams (client-go sees ErrReset); a client that drops the connection ends the session', async () => {
    const streams: SpdyStream[] = [];
    const srv = await tsServer(
      (s) => {
        streams.push(s);
        s.reply();
      },
      { maxStreams: 4 },
    );
    const peer = run(['-mode', 'hold', '-addr', srv.addr, '-streams', '10']);
    await until('its report', () => peer.lines.length > 0);
    const r = JSON.parse(peer.lines[0]) as PeerResult;
    expect(r).toMatchObject({ replied: 4, refused: 6, errors: [] });
    peer.child.stdin!.end(); // it exits without GOAWAY
    expect((await srv.closes[0])?.message).toMatch(/hung up with 4 streams open/);
    for (const s of streams) await until(`stream ${s.id} destroyed`, () => s.destroyed);
  });
});

describe('TypeScript client -> Go spdystream server (MirrorStreamHandler)', () => {
  it('echoes streams, answers and sends PINGs, is refused, and closes with GOAWAY', async () => {
    const peer = run(['-mode', 'mirror', '-addr', '127.0.0.1:0']);
    const line = await until('listening', () => peer.lines.find((l) => l.startsWith('listening ')));
    const [host, port] = line.slice('listening '.length).split(':');
    const socket: Socket = connect(Number(port), host);
    await once(socket, 'connect');
    cleanups.push(() => socket.destroy());
    const client = new SpdySession(socket, { server: false });
    const closed = new Promise<Error | undefined>((r) => client.once('close', r));

    const sizes = Array.from({ length: 20 }, (_, i) => 1000 + i * 40_000);
    const echoed = await Promise.all(
      sizes.map(async (n, i) => {
        const s = client.open({ StreamType: 'data', index: String(i) });
        await once(s, 'reply');
        const data = Buffer.alloc(n, i);
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        const ended = once(s, 'end');
        s.end(data);
        await ended;
        return Buffer.concat(chunks).equals(data);
      }),
    );
    expect(echoed.every(Boolean)).toBe(true);
    expect(await client.ping()).toBeGreaterThanOrEqual(0);

    const refused = client.open({ refuse: 'yes' });
    expect(await once(refused, 'reset')).toEqual([RstStatus.REFUSED_STREAM]);

    await until('streams done', () => client.openStreams === 0);
    client.close();
    // spdystream closes the connection once its streams are gone.
    expect(await closed).toBeUndefined();
  });
});

describe('big transfers with spdystream as the peer: RSS stays flat', () => {
  // Echo `bytes` through a TypeScript server and answer how much the RSS of
  // this process (where the server runs) rose at most meanwhile.
  async function echoed(bytes: number, extra: string[] = []) {
    const srv = await tsServer(echo);
    const base = process.memoryUsage.rss();
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
    cleanups.push(() => clearInterval(sampler));
    const started = Date.now();
    const r = await result(run(['-mode', 'echo', '-addr', srv.addr, '-streams', '1', '-bytes', String(bytes), ...extra]));
    clearInterval(sampler);
    expect(r.errors).toEqual([]);
    expect(r.bytes).toBe(bytes);
    return { seconds: (Date.now() - started) / 1000, grewMiB: (peak - base) / (1 << 20) };
  }

  it('1 GiB each way flows', async () => {
    const { seconds, grewMiB } = await echoed(1 << 30);
    console.log(`1 GiB echoed in ${seconds.toFixed(1)} s (${((2 * 1024) / seconds).toFixed(0)} MiB/s each way); RSS rose ${grewMiB.toFixed(0)} MiB`);
    expect(grewMiB).toBeLessThan(128);
  });

  it('a Go reader slower than its writer holds our writes back instead of our memory filling', async () => {
    // Go writes 256 MiB as fast as it can and reads the echo at 64 MiB/s: a
    // server that did not wait for its socket to drain would buffer the
    // difference, some 150 MiB.
    const { seconds, grewMiB } = await echoed(256 << 20, ['-read-rate', String(64 << 20)]);
    console.log(`256 MiB echoed to a 64 MiB/s reader in ${seconds.toFixed(1)} s; RSS rose ${grewMiB.toFixed(0)} MiB`);
    expect(grewMiB).toBeLessThan(48);
  });
});

import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness';
import { until } from './wait';

// Issue 13, defect 4: each malformed HTTP/2 connection left one file
// descriptor behind (nghttp2 gives up on the session, Node never closes the
// socket). fakecri defends every socket it serves: a deadline for the
// protocol's first bytes, keepalive pings that find dead sessions, an idle
// timeout, and a cap on connections. The server runs in this process, so
// /proc/self/fd counts its descriptors.
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const fds = () => readdirSync('/proc/self/fd').length;

// What the fuzzer sends: a preface and a SETTINGS frame of a wrong length
// (the leak), random bytes, a lone preface, HTTP/1.1, half a request line.
const GARBAGE: (() => Buffer)[] = [
  () => Buffer.concat([PREFACE, Buffer.from([0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0]), randomBytes(64)]),
  () => Buffer.concat([PREFACE, randomBytes(200)]),
  () => randomBytes(100),
  () => PREFACE,
  () => Buffer.from('GET /info HTTP/1.1\r\nHost: x\r\n\r\n'),
  () => Buffer.from('GET / HTTP/1.1\r\nHo'),
  () => Buffer.alloc(0),
];

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once('error', reject);
    // Read (and drop) what fakecri answers, so that its hang-up is seen.
    s.resume();
  });
}

async function garbage(path: string, rounds: number, keepOpen: Socket[]): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const batch = await Promise.all(GARBAGE.map(() => open(path).catch(() => undefined)));
    batch.forEach((s, k) => {
      if (!s) return;
      s.on('error', () => {});
      s.write(GARBAGE[k]());
      // Every other one hangs up at once; the rest stay, saying nothing more.
      if ((i + k) % 2 === 0) s.destroy();
      else keepOpen.push(s);
    });
  }
}

describe('socket defences', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const limits = { keepalive: '1s', connection_timeout: '1s', idle_timeout: '2s' };

  it.each([
    ['containerd', {}],
    ['crio', { personality: 'crio', crio: { cgroups: false } }],
  ])('fds stay flat under malformed connections on the CRI and control sockets (%s)', async (_name, extra) => {
    h = await startHarness({ ...extra, server: limits });
    await h.rt('Version');
    const before = fds();
    const kept: Socket[] = [];
    await garbage(h.socket, 30, kept);
    await garbage(h.server.controlSocket, 10, kept);
    // The clients that stayed are closed by fakecri, not by us.
    const open = () => kept.filter((s) => !s.destroyed && !s.readableEnded);
    await until('fakecri to close the connections that stayed', async () => open().length === 0, 20_000).catch((err) => {
      throw new Error(`${err.message}: ${open().length} of ${kept.length} still open`);
    });
    for (const s of kept) s.destroy();
    await until(`fds back to ${before} (+5)`, async () => fds() <= before + 5, 20_000);
    expect((await h.rt('Version')).version).toBe('0.1.0');
  });

  it('refuses connections over server.max_connections, and serves again when they go', async () => {
    h = await startHarness({ server: { ...limits, max_connections: 8, keepalive: '30s', connection_timeout: '30s' } });
    await h.rt('Version');
    // The client's own connection is one of the 8.
    const held = await Promise.all(Array.from({ length: 7 }, () => open(h!.socket)));
    const extra = await open(h.socket);
    await until('the connection over the cap to be closed', async () => extra.destroyed || extra.readableEnded);
    extra.destroy();
    for (const s of held) expect(s.destroyed).toBe(false);
    for (const s of held) s.destroy();
    expect((await h.rt('Version')).version).toBe('0.1.0');
  });
});

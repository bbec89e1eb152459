import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { stays, until } from '../../test/wait';
import { rawClient, startWsServer, type WsTestServer } from '../../test/websocket';
import { SPDY_TUNNEL_PORT_FORWARD, TUNNEL_PROTOCOLS } from './protocols';
import { SEND_HIGH_WATER } from './send';
import { tunnel } from './tunnel';

let server: WsTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Side {
  t: Duplex;
  ws: WebSocket;
  errors: Error[];
}

async function serve(each: (s: Side) => void = () => {}) {
  const sides: Side[] = [];
  server = await startWsServer(TUNNEL_PROTOCOLS, (ws) => {
    const side = { t: tunnel(ws), ws, errors: [] as Error[] };
    side.t.on('error', (e) => side.errors.push(e));
    sides.push(side);
    each(side);
  });
  return { url: server.url, sides };
}

// As client-go's tunneling dialer: offers the tunnel protocol (which the ws
// client refuses to send, hence the hand-made handshake).
async function client(url: string) {
  const ws = await rawClient(url, [SPDY_TUNNEL_PORT_FORWARD]);
  const got: Buffer[] = [];
  ws.on('message', (m: Buffer) => got.push(m));
  const errors: Error[] = [];
  ws.on('error', (e) => errors.push(e));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  return { ws, got, closed, errors, bytes: () => Buffer.concat(got) };
}

function pattern(offset: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (offset + i) & 0xff;
  return b;
}

describe('SPDY tunnel', () => {
  it('needs WebSocketUpgrader: a bare ws server answers 400 to the tunnel protocol name', async () => {
    const wss = new WebSocketServer({ noServer: true });
    const plain = http.createServer();
    plain.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.close()));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const { port } = plain.address() as AddressInfo;
      await expect(rawClient(`ws://127.0.0.1:${port}`, [SPDY_TUNNEL_PORT_FORWARD])).rejects.toThrow('HTTP 400');
    } finally {
      plain.closeAllConnections();
      plain.close();
    }
  });
  it('is refused (403) to a client that offers only other protocols', async () => {
    const { url } = await serve();
    await expect(rawClient(url, ['v4.channel.k8s.io'])).rejects.toThrow('HTTP 403');
  });

  it('carries bytes both ways in binary messages, whatever their cut', async () => {
    const { url, sides } = await serve(({ t }) => t.pipe(t)); // echo
    const c = await client(url);
    expect(c.ws.protocol).toBe('SPDY/3.1+portforward.k8s.io');
    const sent = pattern(0, 100_000);
    for (const cut of [[0, 1], [1, 7], [7, 65_536], [65_536, 100_000]]) c.ws.send(sent.subarray(cut[0], cut[1]));
    await until('the echo', () => c.bytes().length === sent.length);
    expect(c.bytes().equals(sent)).toBe(true);
    // the server end ends: close 1000, nothing left behind
    sides[0].t.end();
    expect((await c.closed).code).toBe(1000);
    expect(sides[0].errors).toEqual([]);
  });

  it('takes the peer closing with 1000 as end of stream', async () => {
    const { url, sides } = await serve();
    const c = await client(url);
    const side = await until('the server side', () => sides[0]);
    let ended = false;
    side.t.on('end', () => (ended = true)).resume();
    c.ws.close(1000);
    await until('end', () => ended);
    expect(side.errors).toEqual([]);
  });

  it('takes a vanished peer as an error', async () => {
    const { url, sides } = await serve();
    const c = await client(url);
    const side = await until('the server side', () => sides[0]);
    c.ws.terminate();
    await until('an error', () => side.errors.length > 0);
    expect(side.errors[0].message).toBe('tunnel: websocket closed with code 1006');
  });

  it('refuses a text message: error, close 1003', async () => {
    const { url, sides } = await serve();
    const c = await client(url);
    c.ws.send('not spdy');
    expect(await c.closed).toEqual({ code: 1003, reason: 'the SPDY tunnel carries binary messages only' });
    expect(sides[0].errors.map((e) => e.message)).toEqual(['tunnel: text message received; SPDY travels in binary messages']);
  });

  it('holds back a writer while the peer does not read, and loses nothing', async () => {
    const TOTAL = 64 * 1024 * 1024;
    let produced = 0;
    const { url, sides } = await serve(({ t }) => {
      const write = () => {
        while (produced < TOTAL) {
          const ok = t.write(pattern(produced, 65_536));
          produced += 65_536;
          if (!ok) return void t.once('drain', write);
        }
        t.end();
      };
      write();
    });
    const c = await client(url);
    c.ws.pause();
    c.ws.removeAllListeners('message');
    let got = 0;
    let inOrder = true;
    c.ws.on('message', (m: Buffer) => {
      if (!m.equals(pattern(got, m.length))) inOrder = false;
      got += m.length;
    });
    await until('the server waits on the socket', () => sides[0] && sides[0].ws.bufferedAmount > SEND_HIGH_WATER);
    await stays('production stays bounded', () => produced < 32 * 1024 * 1024, 1000);
    c.ws.resume();
    expect((await c.closed).code).toBe(1000);
    expect(got).toBe(TOTAL);
    expect(inOrder).toBe(true);
  });

  it('stops reading the socket while its reader is behind', async () => {
    const { url, sides } = await serve();
    const c = await client(url);
    const side = await until('the server side', () => sides[0]);
    const TOTAL = 48 * 1024 * 1024;
    let sent = 0;
    const pump = () => {
      while (sent < TOTAL && c.ws.bufferedAmount < 1024 * 1024) {
        c.ws.send(pattern(sent, 65_536));
        sent += 65_536;
      }
      if (sent < TOTAL) setImmediate(pump);
      else c.ws.close(1000);
    };
    pump();
    await until('the client is held back', () => c.ws.bufferedAmount >= 1024 * 1024);
    await stays('the server holds little', () => side.t.readableLength <= 1024 * 1024, 1000);
    expect(sent).toBeLessThan(TOTAL);
    let got = 0;
    let inOrder = true;
    side.t.on('data', (d: Buffer) => {
      if (!d.equals(pattern(got, d.length))) inOrder = false;
      got += d.length;
    });
    let ended = false;
    side.t.on('end', () => (ended = true));
    await until('the end of the stream', () => ended || side.errors.length > 0);
    expect([side.errors, c.errors]).toEqual([[], []]);
    expect((await c.closed).code).toBe(1000);
    expect(got).toBe(TOTAL);
    expect(inOrder).toBe(true);
  });
});

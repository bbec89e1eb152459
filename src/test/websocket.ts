import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, createHash } from 'node:crypto';
import { WebSocket } from 'ws';
import { negotiate, offeredProtocols } from '../streaming/websocket/protocols';
import { WebSocketUpgrader, refuseUpgrade } from '../streaming/websocket/upgrade';

// A real HTTP server on 127.0.0.1 that negotiates the subprotocol as the
// kubelet does (403 when none fits) and hands each upgraded socket to onConn.
export interface WsTestServer {
  url: string;
  close(): Promise<void>;
}

export async function startWsServer(
  supported: readonly string[],
  onConn: (ws: WebSocket, protocol: string, req: IncomingMessage) => void,
  opts: { maxPayload?: number } = {},
): Promise<WsTestServer> {
  const upgrader = new WebSocketUpgrader(opts);
  const sockets = new Set<WebSocket>();
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    const protocol = negotiate(offeredProtocols(req.headers['sec-websocket-protocol']), supported);
    if (protocol === undefined) return refuseUpgrade(socket, 403);
    upgrader.upgrade(req, socket, head, protocol, (ws) => {
      sockets.add(ws);
      onConn(ws, protocol, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    async close() {
      for (const ws of sockets) ws.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface Received {
  channel: number;
  data: Buffer;
  binary: boolean;
}

// A client end of the channel protocols, as client-go's (binary) or a
// browser's (base64) would speak them; it records everything it receives.
export class ChannelClient {
  readonly received: Received[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(
    readonly ws: WebSocket,
    readonly base64: boolean,
  ) {
    ws.on('error', () => {});
    ws.on('message', (raw, binary) => {
      const msg = raw as Buffer;
      if (base64) {
        const text = msg.toString('latin1');
        this.received.push({ channel: text.charCodeAt(0) - 0x30, data: Buffer.from(text.slice(1), 'base64'), binary });
      } else {
        this.received.push({ channel: msg[0], data: msg.subarray(1), binary });
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  static connect(url: string, protocols: string[], base64 = protocols.some((p) => p.includes('base64'))): ChannelClient {
    return new ChannelClient(new WebSocket(url, protocols), base64);
  }

  send(channel: number, data: string | Buffer): void {
    const bytes = Buffer.from(data);
    if (this.base64) this.ws.send(String.fromCharCode(0x30 + channel) + bytes.toString('base64'));
    else this.ws.send(Buffer.concat([Buffer.from([channel]), bytes]));
  }

  raw(data: string | Buffer, binary = typeof data !== 'string'): void {
    this.ws.send(data, { binary });
  }

  // Everything received on a channel, joined.
  bytes(channel: number): Buffer {
    return Buffer.concat(this.received.filter((r) => r.channel === channel).map((r) => r.data));
  }

  text(channel: number): string {
    return this.bytes(channel).toString();
  }
}

// A client that offers protocols the ws client refuses to send (client-go's
// "SPDY/3.1+portforward.k8s.io" is not an RFC 7230 token): the handshake by
// hand, as gorilla/websocket does it, then ws takes over the socket.
export function rawClient(url: string, protocols: string[]): Promise<WebSocket> {
  const key = randomBytes(16).toString('base64');
  const req = http.request(url.replace(/^ws:/, 'http:'), {
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Protocol': protocols.join(', '),
    },
  });
  return new Promise((resolve, reject) => {
    req.on('response', (res) => reject(new Error(`HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.on('upgrade', (res, socket, head) => {
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (res.headers['sec-websocket-accept'] !== accept) return reject(new Error('bad Sec-WebSocket-Accept'));
      // the options ws's own client gets by default (closeTimeout unset would be 0)
      const ws = new WebSocket(null as unknown as string, undefined, { autoPong: true, closeTimeout: 30_000 } as object);
      // a client: masks what it sends, expects unmasked frames
      const internals = ws as unknown as { _isServer: boolean; _protocol: string; setSocket(s: unknown, h: Buffer, o: object): void };
      internals._isServer = false;
      internals._protocol = String(res.headers['sec-websocket-protocol'] ?? '');
      internals.setSocket(socket, head, { maxPayload: 0 });
      resolve(ws);
    });
    req.end();
  });
}

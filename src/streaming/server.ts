import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { StreamRequest } from '../streams/requests';
import type { StreamService } from '../streams/service';
import { SPDY_COMMAND_PROTOCOLS, collectSpdyStreams } from './command-spdy';
import { serveWsCommand } from './command-ws';
import { SPDY_FORWARD_PROTOCOLS, serveSpdyForward } from './forward-spdy';
import { serveWsForward } from './forward-ws';
import { replyError, replySwitching } from './http-reply';
import { runCommand } from './remotecommand';
import { SpdySession, type SpdyStream } from './spdy';
import { PORT_FORWARD_PROTOCOLS, REMOTE_COMMAND_PROTOCOLS, TUNNEL_PROTOCOLS, WebSocketUpgrader, negotiate, offeredProtocols, refuseUpgrade, tunnel } from './websocket';

// fakecri's streaming server, as containerd and CRI-O embed the kubelet's
// (pkg/cri/streaming): /exec/{token}, /attach/{token} and
// /portforward/{token}, each token from an Exec, Attach or PortForward
// call and good once. A client upgrades to SPDY/3.1 or to a WebSocket.

export interface StreamingOptions {
  address: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  // A session with no bytes either way for this long is closed.
  idleTimeoutMs: number;
  // How long a client has to open the streams it asked for.
  creationTimeoutMs: number;
  // Sessions open at once; one more is refused with 429.
  maxSessions: number;
  // The most bytes one data stream may carry; 0: no limit.
  maxStreamBytes?: number;
}

const ROUTE = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]{1,64})$/;

export class StreamingServer {
  private readonly http: Server;
  private readonly upgrader = new WebSocketUpgrader();
  private readonly sessions = new Set<Duplex>();
  private baseUrl = '';

  constructor(
    private readonly streams: StreamService,
    private readonly o: StreamingOptions,
    private readonly log: Logger,
  ) {
    this.http = o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key }) : createHttpServer();
    this.http.on('request', (req, res) => {
      // Not an upgrade: the kubelet consumes the token, then fails the handshake.
      const found = this.take(req);
      const body = found ? 'unable to upgrade: missing upgrade headers in request\n' : '404 page not found\n';
      res.writeHead(found ? 400 : 404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(body);
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  // Starts listening; answers the base URL the CRI hands out.
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => this.http.once('error', reject).listen(this.o.port, this.o.address, resolve));
    const a = this.http.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.baseUrl = `${this.o.tls ? 'https' : 'http'}://${host}:${a.port}`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // The request a path's token stands for, consumed; undefined for a bad
  // path, an unknown, used or expired token, or one of another kind.
  private take(req: IncomingMessage): StreamRequest | undefined {
    if (req.method !== 'GET' && req.method !== 'POST') return undefined;
    const m = ROUTE.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (!m) return undefined;
    const r = this.streams.requests.consume(m[2]);
    return r?.kind === m[1] ? r : undefined;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const r = this.take(req);
    if (!r) return replyError(socket, 404, '404 page not found');
    if (this.sessions.size >= this.o.maxSessions) {
      return replyError(socket, 429, `fakecri: too many streaming sessions: ${this.sessions.size} open, streaming.max_sessions is ${this.o.maxSessions}`);
    }
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    if (upgrade.includes('websocket')) return this.upgradeWebSocket(req, socket, head, r);
    if (!String(req.headers.connection ?? '').toLowerCase().includes('upgrade') || !upgrade.includes('spdy/3.1')) {
      return replyError(socket, 400, 'unable to upgrade: missing upgrade headers in request');
    }
    const supported = r.kind === 'portforward' ? SPDY_FORWARD_PROTOCOLS : SPDY_COMMAND_PROTOCOLS;
    const offered = offeredProtocols(req.headers['x-stream-protocol-version']);
    if (offered.length === 0) return replyError(socket, 400, `unable to upgrade: header X-Stream-Protocol-Version does not exist in request with ${Object.keys(req.headers).length} headers`);
    const protocol = negotiate(offered, supported);
    if (protocol === undefined) {
      return replyError(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`, {
        'X-Accepted-Stream-Protocol-Versions': supported,
      });
    }
    replySwitching(socket, { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocol });
    if (head.byteLength) socket.unshift(head);
    const session = new SpdySession(socket, { server: true });
    this.track(socket, () => session.destroy());
    if (r.kind === 'portforward') return serveSpdyForward(session, r.sandboxId, this.streams, this.o.creationTimeoutMs, this.forwardLimits());
    const aborted = new AbortController();
    let ran = false;
    // Only a command still running has anything to stop: most sessions end
    // after it, and an abort (its Error, its listeners) cost every exec.
    session.once('close', () => ran || aborted.abort(new Error('the client went')));
    collectSpdyStreams(session, protocol, r, this.o.creationTimeoutMs).then(
      async (ch) => {
        await runCommand(r, ch, this.streams, aborted.signal, this.log, this.o.maxStreamBytes);
        ran = true;
        // As the kubelet's conn.Close(): every stream reset (what we wrote
        // is on the socket already), then the connection closed.
        for (const s of [ch.stdin, ch.stdout, ch.stderr, ch.resize, ch.error]) (s as SpdyStream | undefined)?.reset();
        session.close();
      },
      (err: Error) => {
        this.log.debug({ err: err.message }, 'streaming session failed');
        session.destroy();
      },
    );
  }

  private upgradeWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, r: StreamRequest): void {
    const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
    const supported = r.kind === 'portforward' ? [...PORT_FORWARD_PROTOCOLS, ...TUNNEL_PROTOCOLS] : REMOTE_COMMAND_PROTOCOLS;
    // wsstream: no protocol offered is the "" protocol (binary channels).
    const protocol = negotiate(offered, supported);
    if (protocol === undefined) return refuseUpgrade(socket, 403);
    this.upgrader.upgrade(req, socket, head, protocol, (ws: WebSocket) => {
      this.track(socket, () => ws.terminate());
      if (r.kind === 'portforward') {
        if (TUNNEL_PROTOCOLS.includes(protocol)) {
          const session = new SpdySession(tunnel(ws), { server: true });
          ws.once('close', () => session.destroy());
          return serveSpdyForward(session, r.sandboxId, this.streams, this.o.creationTimeoutMs, this.forwardLimits());
        }
        return void serveWsForward(ws, protocol, r, this.streams, this.forwardLimits());
      }
      void serveWsCommand(ws, protocol, r, this.streams, this.log, this.o.maxStreamBytes);
    });
  }

  private forwardLimits() {
    return { maxStreamBytes: this.o.maxStreamBytes, log: this.log };
  }

  // Counts a session while its socket lives, and closes it when idle.
  private track(socket: Duplex, destroy: () => void): void {
    this.sessions.add(socket);
    socket.once('close', () => this.sessions.delete(socket));
    const s = socket as Socket;
    if (typeof s.setTimeout === 'function' && this.o.idleTimeoutMs > 0) {
      s.setTimeout(this.o.idleTimeoutMs, () => {
        this.log.info({ idleTimeoutMs: this.o.idleTimeoutMs }, 'streaming session idle: closed');
        destroy();
        s.destroy();
      });
    }
  }
}

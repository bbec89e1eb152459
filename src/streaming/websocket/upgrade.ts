import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

// x/net/websocket's limit on one frame (the kubelet's); ws's own default is
// 100 MiB. A bigger message closes the connection (ws: 1009).
export const MAX_PAYLOAD = 32 << 20;

// Completes WebSocket upgrades with a subprotocol negotiated beforehand
// (negotiate()). Needed because ws refuses, with 400, any offered name that is
// not an RFC 7230 token, and client-go's tunnel name SPDY/3.1+portforward.k8s.io
// has a '/'; x/net/websocket, the kubelet's library, does not check.
export class WebSocketUpgrader {
  private readonly chosen = new WeakMap<IncomingMessage, string>();
  private readonly wss: WebSocketServer;

  constructor(opts: { maxPayload?: number } = {}) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false, // x/net/websocket has no compression
      maxPayload: opts.maxPayload ?? MAX_PAYLOAD,
      handleProtocols: (_offered, req) => this.chosen.get(req) ?? false,
    });
  }

  // Answers 101 naming `protocol` ('' for none) and hands over the socket.
  // ws itself answers a malformed upgrade (400, 405...) and then never calls back.
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string, cb: (ws: WebSocket) => void): void {
    if (protocol !== '') {
      this.chosen.set(req, protocol);
      // a placeholder ws accepts; it answers with our choice
      req.headers['sec-websocket-protocol'] = 'negotiated';
    }
    this.wss.handleUpgrade(req, socket, head, cb);
  }
}

// How x/net/websocket refuses an upgrade (403 when no protocol fits): a bare status line.
export function refuseUpgrade(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n\r\n`);
}

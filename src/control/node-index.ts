import { chmodSync, unlinkSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { API } from './routes';

// What `serve --nodes N` lists on its base control socket, for `fakecri ctl
// --node` to find a node's own control socket by index or name.
export interface NodeEntry {
  index: number;
  name: string;
  socket: string;
  controlSocket: string;
  stateDir: string;
  streamingUrl: string;
}

export const NODES_PATH = `${API}/nodes`;

export class NodeIndexServer {
  private readonly server: Server;

  constructor(nodes: NodeEntry[]) {
    const body = JSON.stringify(nodes);
    this.server = createServer({ headersTimeout: 10_000, requestTimeout: 60_000 }, (req, res) => {
      const path = new URL(req.url ?? '/', 'http://fakecri').pathname;
      const [status, text] =
        path === NODES_PATH && req.method === 'GET'
          ? [200, body]
          : path === NODES_PATH
            ? [405, JSON.stringify({ error: `${req.method} is not allowed on ${NODES_PATH} (allowed: GET)` })]
            : [404, JSON.stringify({ error: `this fakecri serves ${nodes.length} nodes, each with its own control socket: address one with "fakecri ctl --node <index|name>" (no such path here: ${path})` })];
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  }

  async listen(path: string): Promise<void> {
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((ok, fail) => this.server.once('error', fail).listen(path, ok));
    } finally {
      process.umask(umask);
    }
    chmodSync(path, 0o600);
    this.server.on('close', () => {
      try {
        unlinkSync(path);
      } catch {
        // Already gone.
      }
    });
  }

  close(): Promise<void> {
    return new Promise((ok) => {
      this.server.close(() => ok());
      this.server.closeAllConnections();
    });
  }
}

import { chmodSync, unlinkSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { App } from '../app';
import { type Endpoint, endpoints } from './handlers';
import { HttpError, toHttpError } from './http-error';
import { API, METRICS } from './routes';

const MAX_BODY = 1024 * 1024;

interface Route {
  method: string;
  pattern: RegExp;
  endpoint: Endpoint;
}

// "GET faults/:id" → method and a pattern with one group per :param.
const ROUTES: Route[] = Object.entries(endpoints).map(([key, endpoint]) => {
  const [method, path] = key.split(' ');
  const pattern = new RegExp(`^${API}/${path.replace(/:[a-z]+/g, '([^/]+)')}$`);
  return { method, pattern, endpoint };
});

// HTTP/JSON over a unix socket (mode 0600), and optionally on a loopback TCP
// port behind a bearer token; Prometheus metrics at /metrics on both.
export class ControlServer {
  private readonly servers: Server[] = [];

  constructor(private readonly app: App) {}

  async listenUnix(path: string): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res, undefined));
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((ok, fail) => server.once('error', fail).listen(path, ok));
    } finally {
      process.umask(umask);
    }
    chmodSync(path, 0o600);
    server.on('close', () => {
      try {
        unlinkSync(path);
      } catch {
        // Already gone.
      }
    });
    this.servers.push(server);
  }

  async listenTcp(port: number, token: string): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res, token));
    await new Promise<void>((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', ok));
    this.servers.push(server);
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((ok) => {
            s.close(() => ok());
            s.closeAllConnections();
          }),
      ),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse, token: string | undefined): Promise<void> {
    try {
      if (token !== undefined && !authorized(req.headers.authorization, token)) throw new HttpError(401, 'a valid "Authorization: Bearer <control.token>" header is required');
      const url = new URL(req.url ?? '/', 'http://fakecri');
      if (url.pathname === METRICS) {
        if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not allowed on ${METRICS} (allowed: GET)`);
        const text = await this.app.metrics.text();
        res.writeHead(200, { 'content-type': this.app.metrics.contentType, 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      const matching = ROUTES.filter((r) => r.pattern.test(url.pathname));
      if (matching.length === 0) throw new HttpError(404, `no such path: ${url.pathname}`);
      const route = matching.find((r) => r.method === req.method);
      if (!route) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname} (allowed: ${matching.map((r) => r.method).join(', ')})`);
      const params = (route.pattern.exec(url.pathname) ?? []).slice(1).map(decodeURIComponent);
      if (route.method === 'GET' && url.pathname === `${API}/calls` && url.searchParams.get('follow')) {
        this.followCalls(url.searchParams, res);
        return;
      }
      const body = await readJson(req);
      const result = await route.endpoint(this.app, { body, params, query: url.searchParams });
      send(res, route.method === 'POST' ? 201 : 200, result ?? {});
    } catch (err) {
      const e = toHttpError(err);
      if (e.unexpected) this.app.log.error({ err, url: req.url }, 'control API failed unexpectedly');
      send(res, e.status, e.body);
    }
  }

  // NDJSON: what has been recorded after `since`, then each new call as it happens.
  private followCalls(query: URLSearchParams, res: ServerResponse): void {
    const methods = query.getAll('rpc').flatMap((r) => r.split(',')).filter(Boolean);
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const rec of this.app.calls.list({ since: Number(query.get('since') ?? 0), methods })) res.write(`${JSON.stringify(rec)}\n`);
    const off = this.app.calls.follow((rec) => {
      if (!methods.length || methods.includes(rec.method)) res.write(`${JSON.stringify(rec)}\n`);
    });
    res.on('close', off);
  }
}

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `the request body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `the request body is not JSON: ${(err as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

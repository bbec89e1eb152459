import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { App } from '../app';
import { INSPECT, containerInfo, crioConfig, crioInfo } from './inspect';

// The HTTP/1.1 side of CRI-O's socket. Answers as CRI-O's router does:
// JSON bodies, and plain-text errors from http.Error.
export function createInspectServer(app: App): Server {
  return createServer((req, res) => {
    try {
      route(app, req, res);
    } catch (err) {
      app.log.error({ err, url: req.url }, 'inspect API failed unexpectedly');
      text(res, 500, (err as Error).message);
    }
  });
}

function route(app: App, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://crio').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'Method Not Allowed');
  if (path === INSPECT.info) return json(res, crioInfo(app));
  if (path === INSPECT.config) {
    res.writeHead(200, { 'content-type': 'application/toml' });
    res.end(crioConfig(app));
    return;
  }
  const m = /^\/containers\/([^/]+)$/.exec(path);
  if (m) {
    let id: string;
    try {
      id = decodeURIComponent(m[1]);
    } catch {
      return text(res, 400, `invalid container id ${m[1]}`);
    }
    const info = containerInfo(app, id);
    if (!info) return text(res, 404, `can't find the container with id ${id}`);
    return json(res, info);
  }
  text(res, 404, '404 page not found');
}

function json(res: ServerResponse, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

function text(res: ServerResponse, status: number, message: string): void {
  const s = `${message}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

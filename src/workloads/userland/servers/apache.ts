import { readSmall } from '../../applets/common/read-small';
import type { Applet, AppletContext } from '../../applets/types';
import { type HttpRequest, type HttpResponse, acceptLoop, httpDate, serveConnection } from '../../net/http-server';
import { fileChunks, findFile, mimeType } from '../../net/static-files';
import { type Listener, NetError } from '../../net/types';
import type { ContainerFs } from '../../rootfs/types';
import { catchStop } from './stop';

// Apache httpd as the official image runs it (httpd-foreground: `httpd
// -DFOREGROUND`), for the e2e test image registry.k8s.io/e2e-test-images/
// httpd that critest's multi-container pod serves from: htdocs on the
// ports httpd.conf's Listen lines name (80), Apache's headers, keep-alive
// and error pages, the common access log on stdout and notices on stderr.
// A directory without index.html is 403 (no mod_autoindex listing).

const PREFIX = '/usr/local/apache2';
const HTDOCS = `${PREFIX}/htdocs`;
const CONF = `${PREFIX}/conf/httpd.conf`;
const LATEST = '2.4.65';
const IT_WORKS = '<html><body><h1>It works!</h1></body></html>\n';

export const isApacheRef = (ref: string) => /(^|\/)httpd[:@]/.test(ref);

// The version from the tag (httpd:2.4.39-alpine, e2e httpd:2.4.39-4).
export function apacheVersion(image: string | undefined): string {
  const tag = image?.split('@')[0].match(/:([^/:]+)$/)?.[1] ?? '';
  const m = /^(\d+\.\d+\.\d+)/.exec(tag);
  return m ? m[1] : LATEST;
}

// The image's files fakecri synthesizes: the page and the programs.
export const apacheFiles = (): Record<string, string> => ({ [`${HTDOCS}/index.html`]: IT_WORKS });
export const APACHE_PROGRAMS = [`${PREFIX}/bin/httpd`, '/usr/local/bin/httpd-foreground'];

export const apache: Applet = async (ctx) => {
  const version = apacheVersion(ctx.container.image);
  const args = ctx.argv.slice(1);
  if (args.includes('-v')) {
    await ctx.stdout.write(`Server version: Apache/${version} (Unix)\n`);
    return 0;
  }
  if (args.includes('-t')) {
    await ctx.stderr.write('Syntax OK\n');
    return 0;
  }
  const stop = catchStop(ctx.proc, ['TERM', 'INT', 'WINCH']);
  const conf = readSmall(ctx.fs, CONF);
  const root = /^\s*DocumentRoot\s+"?([^"\s]+)"?/m.exec(conf)?.[1] ?? HTDOCS;
  const ports = [...conf.matchAll(/^\s*Listen\s+(?:[\d.]+:)?(\d+)\b/gm)].map((m) => Number(m[1]));
  const err = (s: string) => ctx.stderr.write(s);
  const listeners: Listener[] = [];
  for (const port of ports.length ? [...new Set(ports)] : [80]) {
    try {
      if (ctx.container.net) listeners.push(ctx.container.net.listen(port));
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      for (const l of listeners) l.close();
      await err(`(98)Address already in use: AH00072: make_sock: could not bind to address 0.0.0.0:${port}\nno listening sockets available, shutting down\nAH00015: Unable to open logs\n`);
      return 1;
    }
  }
  const notice = (module: string, text: string) => err(`[${errorTime(ctx)}] [${module}:notice] [pid ${ctx.proc.pid}:tid ${TID}] ${text}\n`);
  // No ServerName: the name resolves to the pod's IP (twice: the config
  // is read by the parent and again on start).
  const fqdn = `AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using ${ctx.container.podIps[0] ?? '127.0.0.1'}. Set the 'ServerName' directive globally to suppress this message\n`;
  await err(fqdn + fqdn);
  await notice('mpm_event', `AH00489: Apache/${version} (Unix) configured -- resuming normal operations`);
  await notice('core', "AH00094: Command line: 'httpd -D FOREGROUND'");
  const handle = (req: HttpRequest) => respond(ctx, root, req, version);
  const bad = (status: number) => errorResponse(ctx, status, version, false, '');
  await Promise.all(listeners.map((l) => acceptLoop(l, stop.signal, (conn) => serveConnection(conn, handle, { bad }))));
  await stop.done;
  await notice('mpm_event', stop.by === 'WINCH' ? 'AH00492: caught SIGWINCH, shutting down gracefully' : 'AH00491: caught SIGTERM, shutting down');
  return 0;
};

// A thread id, as Apache's log shows it (a pthread_t: an address).
const TID = 140_000_000_000_000;

const REASONS: Record<number, [string, string]> = {
  301: ['Moved Permanently', ''],
  400: ['Bad Request', 'Your browser sent a request that this server could not understand.'],
  403: ['Forbidden', "You don't have permission to access this resource."],
  404: ['Not Found', 'The requested URL was not found on this server.'],
  405: ['Method Not Allowed', 'The requested method is not allowed for this URL.'],
};

async function respond(ctx: AppletContext, root: string, req: HttpRequest, version: string): Promise<HttpResponse> {
  const res = await answer(ctx, root, req, version);
  const length = Number(res.headers.find(([k]) => k === 'Content-Length')?.[1] ?? '0');
  await ctx.stdout.write(`${req.remote.host} - - [${accessTime(ctx)}] "${req.method} ${req.target} ${req.version}" ${res.status} ${req.method === 'HEAD' || !length ? '-' : length}\n`);
  return res;
}

async function answer(ctx: AppletContext, root: string, req: HttpRequest, version: string): Promise<HttpResponse> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return errorResponse(ctx, 405, version, req.keepAlive, '');
  const found = findFile(ctx.fs, root, req.path, 'index.html');
  switch (found.kind) {
    case 'file': {
      const { size, mtimeMs } = found.stat;
      return {
        status: 200,
        reason: 'OK',
        headers: [
          ['Date', httpDate(ctx.container.clock.now())],
          ['Server', `Apache/${version} (Unix)`],
          ['Last-Modified', httpDate(mtimeMs)],
          // Apache's: size and mtime in microseconds, in hex.
          ['ETag', `"${size.toString(16)}-${Math.floor(mtimeMs * 1000).toString(16)}"`],
          ['Accept-Ranges', 'bytes'],
          ['Content-Length', String(size)],
          ...connection(req.keepAlive),
          ['Content-Type', mimeType(found.path, 'text/plain')],
        ],
        body: '',
        stream: fileChunks(ctx.fs, found.path),
      };
    }
    case 'dir': {
      const location = `http://${req.headers.get('host') ?? req.local.host}${req.path}/`;
      const res = errorResponse(ctx, 301, version, req.keepAlive, `The document has moved <a href="${location}">here</a>.`);
      res.headers.splice(2, 0, ['Location', location]);
      return res;
    }
    case 'forbidden':
      return errorResponse(ctx, 403, version, req.keepAlive, '');
    default:
      return errorResponse(ctx, 404, version, req.keepAlive, '');
  }
}

const connection = (keepAlive: boolean): [string, string][] => (keepAlive ? [['Keep-Alive', 'timeout=5, max=100'], ['Connection', 'Keep-Alive']] : [['Connection', 'close']]);

function errorResponse(ctx: AppletContext, status: number, version: string, keepAlive: boolean, text: string): HttpResponse {
  const [reason, info] = REASONS[status] ?? REASONS[400];
  const body = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${status} ${reason}</title>\n</head><body>\n<h1>${reason}</h1>\n<p>${text || info}</p>\n</body></html>\n`;
  return {
    status,
    reason,
    headers: [
      ['Date', httpDate(ctx.container.clock.now())],
      ['Server', `Apache/${version} (Unix)`],
      ['Content-Length', String(Buffer.byteLength(body))],
      ...connection(keepAlive),
      ['Content-Type', 'text/html; charset=iso-8859-1'],
    ],
    body,
    close: !keepAlive,
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// The error log's time: Wed Dec 04 07:27:34.123456 2026 (UTC).
function errorTime(ctx: AppletContext): string {
  const ms = ctx.container.clock.now();
  const d = new Date(ms);
  const t = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(Math.floor((ms % 1000) * 1000), 6)}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${t} ${d.getUTCFullYear()}`;
}

// The access log's: 04/Dec/2026:07:27:34 +0000.
function accessTime(ctx: AppletContext): string {
  const d = new Date(ctx.container.clock.now());
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

import { posix } from 'node:path';
import { readSmall } from '../../applets/common/read-small';
import type { Applet, AppletContext } from '../../applets/types';
import { type HttpRequest, type HttpResponse, acceptLoop, httpDate, serveConnection } from '../../net/http-server';
import { fileChunks, findFile, mimeType } from '../../net/static-files';
import { type Listener, NetError } from '../../net/types';
import type { SignalName } from '../../procs/types';
import { type Chunk, type ContainerFs, isFsError } from '../../rootfs/types';
import { DEFAULT_CONF, FIFTY_X_HTML, HOSTNET_CONF, INDEX_HTML, INDEX_HTML_OLD, errorPage } from './nginx-pages';
import { catchStop } from './stop';

// nginx as the official image runs it (`nginx -g 'daemon off;'`): it
// serves /usr/share/nginx/html on the ports its conf.d files listen on
// (80), with nginx's headers, keep-alive and error pages, an access log on
// stdout and its notices on stderr; -v, -t and -s as the binary has them.

const ROOT = '/usr/share/nginx/html';
const CONF_D = '/etc/nginx/conf.d';
const PID_FILE = '/var/run/nginx.pid';
const LATEST = '1.27.5';
// The last release of each minor version, for a tag that names only it.
const LAST_PATCH: Record<string, number> = {
  '1.14': 2, '1.15': 12, '1.16': 1, '1.17': 10, '1.19': 10, '1.20': 2, '1.21': 6, '1.22': 1, '1.23': 4, '1.25': 5, '1.26': 3, '1.27': 5,
};

const REASONS: Record<number, string> = {
  200: 'OK',
  301: 'Moved Permanently',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Not Allowed',
  413: 'Request Entity Too Large',
};

// cri-tools' gcr.io/k8s-staging-cri-tools/hostnet-nginx-<arch>.
const HOSTNET = /(^|\/)hostnet-nginx-[a-z0-9]+[:@]/;

// The nginx images fakecri knows: nginx itself and cri-tools' hostnet-nginx.
export const isNginxRef = (ref: string) => /(^|\/)nginx[:@]/.test(ref) || HOSTNET.test(ref);

// The version from the image's tag (nginx:1.25.3, e2e nginx:1.14-2).
export function nginxVersion(image: string | undefined): string {
  if (image && HOSTNET.test(image)) return '1.25.0';
  const tag = image?.split('@')[0].match(/:([^/:]+)$/)?.[1] ?? '';
  const m = /^(\d+)\.(\d+)(?:[.-](\d+))?/.exec(tag);
  return m ? `${m[1]}.${m[2]}.${m[3] ?? LAST_PATCH[`${m[1]}.${m[2]}`] ?? 0}` : LATEST;
}

const modern = (version: string) => {
  const [maj, min] = version.split('.').map(Number);
  return maj > 1 || min >= 21;
};

// The files of the nginx image fakecri knows: the html root and the conf.
export function nginxFiles(image: string | undefined): Record<string, string> {
  return {
    [`${ROOT}/index.html`]: modern(nginxVersion(image)) ? INDEX_HTML : INDEX_HTML_OLD,
    [`${ROOT}/50x.html`]: FIFTY_X_HTML,
    [`${CONF_D}/default.conf`]: image && HOSTNET.test(image) ? HOSTNET_CONF : DEFAULT_CONF,
  };
}

const SIGNALS: Record<string, SignalName> = { stop: 'TERM', quit: 'QUIT', reopen: 'USR1', reload: 'HUP' };

export const nginx: Applet = async (ctx) => {
  const version = nginxVersion(ctx.container.image);
  const args = ctx.argv.slice(1);
  const err = (s: string) => ctx.stderr.write(s);
  if (args.includes('-v') || args.includes('-V')) {
    await err(`nginx version: nginx/${version}\n`);
    return 0;
  }
  if (args.includes('-t') || args.includes('-T')) {
    await err('nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n');
    return 0;
  }
  const s = args.indexOf('-s');
  if (s >= 0) return signalMaster(ctx, args[s + 1]);
  const stop = catchStop(ctx.proc);
  const net = ctx.container.net;
  const listeners: Listener[] = [];
  for (const port of listenPorts(ctx.fs)) {
    try {
      if (net) listeners.push(net.listen(port));
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      for (const l of listeners) l.close();
      await err(`${logTime(ctx)} [emerg] 1#1: bind() to 0.0.0.0:${port} failed (98: Address already in use)\nnginx: [emerg] bind() to 0.0.0.0:${port} failed (98: Address already in use)\n`);
      return 1;
    }
  }
  writePid(ctx);
  const notice = (text: string) => err(`${logTime(ctx)} [notice] ${ctx.proc.pid}#${ctx.proc.pid}: ${text}\n`);
  await notice('using the "epoll" event method');
  await notice(`nginx/${version}`);
  await notice(`OS: Linux ${ctx.container.kernelRelease}`);
  await notice('start worker processes');
  const handle = (req: HttpRequest) => respond(ctx, req, version);
  const bad = (status: number) => errorResponse(ctx, status, version, false);
  await Promise.all(listeners.map((l) => acceptLoop(l, stop.signal, (conn) => serveConnection(conn, handle, { bad }))));
  await stop.done;
  const by = stop.by ?? 'TERM';
  await notice(`signal ${by === 'QUIT' ? 3 : by === 'INT' ? 2 : 15} (SIG${by}) received, ${by === 'QUIT' ? 'shutting down' : 'exiting'}`);
  await notice('exit');
  return 0;
};

// The ports of the `listen` directives in conf.d (80 when there are none).
function listenPorts(fs: ContainerFs): number[] {
  const ports = new Set<number>();
  let names: string[] = [];
  try {
    names = fs.readdir(CONF_D).filter((n) => n.endsWith('.conf'));
  } catch {
    // No conf.d: nginx.conf's default server.
  }
  for (const name of names) {
    for (const m of readSmall(fs, posix.join(CONF_D, name)).matchAll(/^\s*listen\s+(?:[\d.]+:)?(\d+)\b/gm)) ports.add(Number(m[1]));
  }
  return ports.size ? [...ports] : [80];
}

function writePid(ctx: AppletContext): void {
  try {
    const h = ctx.fs.open(PID_FILE, { write: true, create: true, truncate: true }, 0o644);
    h.write(Buffer.from(`${ctx.proc.pid}\n`));
    h.close();
  } catch {
    // No /var/run: nginx -s cannot find it, as with the real one.
  }
}

async function signalMaster(ctx: AppletContext, what: string | undefined): Promise<number> {
  const sig = what ? SIGNALS[what] : undefined;
  if (!sig) {
    await ctx.stderr.write(`nginx: [emerg] invalid option: "-s ${what ?? ''}"\n`);
    return 1;
  }
  const pid = Number(readSmall(ctx.fs, PID_FILE).trim());
  if (!pid) {
    await ctx.stderr.write(`nginx: [error] open() "${PID_FILE}" failed (2: No such file or directory)\n`);
    return 1;
  }
  if (ctx.container.procs.kill(pid, sig, ctx.proc.identity) !== 'ok') {
    await ctx.stderr.write(`nginx: [error] kill(${pid}, ${sig === 'HUP' ? 1 : 15}) failed (3: No such process)\n`);
    return 1;
  }
  if (sig === 'HUP') await ctx.stderr.write(`${logTime(ctx)} [notice] ${ctx.proc.pid}#${ctx.proc.pid}: signal process started\n`);
  return 0;
}

async function respond(ctx: AppletContext, req: HttpRequest, version: string): Promise<HttpResponse> {
  const res = await answer(ctx, req, version);
  const length = res.headers.find(([k]) => k === 'Content-Length')?.[1] ?? '0';
  const ua = req.headers.get('user-agent') ?? '-';
  const referer = req.headers.get('referer') ?? '-';
  await ctx.stdout.write(`${req.remote.host} - - [${accessTime(ctx)}] "${req.method} ${req.target} ${req.version}" ${res.status} ${req.method === 'HEAD' ? 0 : length} "${referer}" "${ua}" "-"\n`);
  return res;
}

async function answer(ctx: AppletContext, req: HttpRequest, version: string): Promise<HttpResponse> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return errorResponse(ctx, 405, version, req.keepAlive);
  const found = findFile(ctx.fs, ROOT, req.path, 'index.html');
  // An image without nginx's files (made before fakecri shipped them):
  // the pages they would hold.
  if (found.kind === 'missing' && !exists(ctx.fs, ROOT)) {
    const page = nginxFiles(ctx.container.image)[posix.join(ROOT, req.path.endsWith('/') ? `${req.path}index.html` : req.path)];
    if (page !== undefined) return pageResponse(ctx, req, version, Buffer.from(page), 'text/html', BUILT);
  }
  switch (found.kind) {
    case 'file':
      return pageResponse(ctx, req, version, fileChunks(ctx.fs, found.path), mimeType(found.path), found.stat.mtimeMs, found.stat.size);
    case 'dir': {
      const host = req.headers.get('host') ?? req.local.host;
      const res = errorResponse(ctx, 301, version, req.keepAlive);
      res.headers.push(['Location', `http://${host}${req.path}/`]);
      return res;
    }
    case 'forbidden':
      return errorResponse(ctx, 403, version, req.keepAlive);
    default:
      return errorResponse(ctx, 404, version, req.keepAlive);
  }
}

// When the image's files were made (the built-in pages' Last-Modified).
const BUILT = Date.UTC(2024, 10, 26, 15, 55, 0);

function pageResponse(ctx: AppletContext, req: HttpRequest, version: string, body: Buffer | AsyncIterable<Chunk>, type: string, mtimeMs: number, size?: number): HttpResponse {
  const length = Buffer.isBuffer(body) ? body.length : (size ?? 0);
  return {
    status: 200,
    reason: 'OK',
    headers: [
      ['Server', `nginx/${version}`],
      ['Date', httpDate(ctx.container.clock.now())],
      ['Content-Type', type],
      ['Content-Length', String(length)],
      ['Last-Modified', httpDate(mtimeMs)],
      ['Connection', req.keepAlive ? 'keep-alive' : 'close'],
      ['ETag', `"${Math.floor(mtimeMs / 1000).toString(16)}-${length.toString(16)}"`],
      ['Accept-Ranges', 'bytes'],
    ],
    body: Buffer.isBuffer(body) ? body : '',
    stream: Buffer.isBuffer(body) ? undefined : body,
  };
}

function exists(fs: ContainerFs, path: string): boolean {
  try {
    fs.stat(path);
    return true;
  } catch {
    return false;
  }
}

function errorResponse(ctx: AppletContext, status: number, version: string, keepAlive: boolean): HttpResponse {
  const reason = REASONS[status] ?? 'Error';
  const body = errorPage(status, status === 301 ? 'Moved Permanently' : reason, version);
  return {
    status,
    reason: status === 405 ? 'Not Allowed' : reason,
    headers: [
      ['Server', `nginx/${version}`],
      ['Date', httpDate(ctx.container.clock.now())],
      ['Content-Type', 'text/html'],
      ['Content-Length', String(Buffer.byteLength(body))],
      ['Connection', keepAlive ? 'keep-alive' : 'close'],
    ],
    body,
    close: !keepAlive,
  };
}

const pad = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// The error log's time: 2024/11/26 15:55:00 (the container's TZ is UTC).
function logTime(ctx: AppletContext): string {
  const d = new Date(ctx.container.clock.now());
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

// The access log's: 26/Nov/2024:15:55:00 +0000.
function accessTime(ctx: AppletContext): string {
  const d = new Date(ctx.container.clock.now());
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

// The image's entrypoint script: its notices when it starts nginx, then
// `exec "$@"`.
export const dockerEntrypoint: Applet = async (ctx) => {
  const args = ctx.argv.slice(1);
  if (args[0] === 'nginx' || args[0] === 'nginx-debug') {
    const me = '/docker-entrypoint.sh';
    await ctx.stdout.write(
      `${me}: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\n` +
        `${me}: Looking for shell scripts in /docker-entrypoint.d/\n` +
        `${me}: Configuration complete; ready for start up\n`,
    );
  }
  if (args.length === 0) return 0;
  try {
    return await ctx.run(args, { inProcess: true, exec: true });
  } catch (e) {
    if (!isFsError(e)) throw e;
    await ctx.stderr.write(`/docker-entrypoint.sh: exec: line 47: ${args[0]}: not found\n`);
    return 127;
  }
};

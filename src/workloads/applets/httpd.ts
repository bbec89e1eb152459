import { type HttpRequest, type HttpResponse, acceptLoop, httpDate, serveConnection } from '../net/http-server';
import { fileChunks, findFile, mimeType } from '../net/static-files';
import { NetError } from '../net/types';
import { resolvePath } from '../rootfs/path';
import { applet } from './common/tool';
import type { AppletContext } from './types';

// busybox httpd: static files from -h HOME (the current directory) on -p
// [IP:]PORT (80), one request per connection, busybox's headers and error
// pages. Without -f it goes to the background (a child process that
// outlives this one) and answers at once.

const ERRORS: Record<number, [string, string]> = {
  302: ['Found', ''],
  403: ['Forbidden', ''],
  404: ['Not Found', 'The requested URL was not found'],
  400: ['Bad Request', 'Unsupported method'],
  501: ['Not Implemented', 'The requested method is not recognized'],
};

export const httpd = applet(async (t) => {
  const p = t.parse({ short: 'ifvc:p:u:r:h:e:d:m:' });
  if (p.has('e')) {
    await t.out.text(encodeURIComponent(p.value('e')!).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`) + '\n');
    return 0;
  }
  if (p.has('d')) {
    await t.out.text(decodeURIComponent(p.value('d')!) + '\n');
    return 0;
  }
  const spec = p.value('p') ?? '80';
  const port = Number(spec.slice(spec.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return t.die(`invalid port '${spec}'`);
  const home = resolvePath(t.ctx.cwd, p.value('h') ?? '.');
  const net = t.ctx.container.net;
  if (!net) return t.die('bind: Address already in use');
  let listener;
  try {
    listener = net.listen(port);
  } catch (err) {
    if (!(err instanceof NetError)) throw err;
    return t.die(`bind: ${err.message}`);
  }
  const ctx = t.ctx;
  const serve = async (stop: AbortSignal) => {
    await acceptLoop(listener, stop, (conn) => serveConnection(conn, (req) => respond(ctx, home, req), { bad: (s) => errorResponse(ctx, s === 413 ? 400 : s) }));
    return 0;
  };
  if (p.has('f')) return serve(ctx.proc.killed).then(() => (ctx.proc.killed.aborted ? Promise.reject(ctx.proc.killed.reason) : 0));
  // Daemonized (bound first, as busybox forks after bind): the server runs
  // on in a child process until it is killed.
  const child = ctx.container.procs.spawn({ argv: ctx.argv, parent: ctx.proc, identity: ctx.proc.identity });
  void serve(child.killed).then(() => child.exit());
  return 0;
});

async function respond(ctx: AppletContext, home: string, req: HttpRequest): Promise<HttpResponse> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return errorResponse(ctx, 501);
  const found = findFile(ctx.fs, home, req.path, 'index.html');
  if (found.kind === 'dir') {
    const res = errorResponse(ctx, 302);
    res.headers.push(['Location', `${req.path}/`]);
    return res;
  }
  if (found.kind !== 'file') return errorResponse(ctx, found.kind === 'forbidden' ? 403 : 404);
  const st = found.stat;
  return {
    status: 200,
    reason: 'OK',
    headers: [
      ['Date', httpDate(ctx.container.clock.now())],
      ['Connection', 'close'],
      ['Content-type', mimeType(found.path)],
      ['Last-Modified', httpDate(st.mtimeMs)],
      ['ETag', `"${Math.floor(st.mtimeMs / 1000).toString(16)}-${st.size.toString(16)}"`],
      ['Accept-Ranges', 'bytes'],
      ['Content-Length', String(st.size)],
    ],
    body: '',
    stream: fileChunks(ctx.fs, found.path),
    close: true,
  };
}

function errorResponse(ctx: AppletContext, status: number): HttpResponse {
  const [reason, info] = ERRORS[status] ?? ['Bad Request', ''];
  const body = status === 302 ? '' : `<HTML><HEAD><TITLE>${status} ${reason}</TITLE></HEAD>\n<BODY><H1>${status} ${reason}</H1>\n${info}\n</BODY></HTML>\n`;
  const headers: [string, string][] = [
    ['Date', httpDate(ctx.container.clock.now())],
    ['Connection', 'close'],
    ['Content-type', 'text/html'],
  ];
  if (body) headers.push(['Content-Length', String(body.length)]);
  return { status, reason, headers, body, close: true };
}

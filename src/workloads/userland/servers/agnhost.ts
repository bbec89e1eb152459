import type { Applet, AppletContext } from '../../applets/types';
import { type HttpRequest, type HttpResponse, acceptLoop, httpDate, serveConnection } from '../../net/http-server';
import { NetError } from '../../net/types';
import { Collector } from '../../procs/streams';
import { isFsError } from '../../rootfs/types';
import { catchStop } from './stop';

// agnhost, Kubernetes' e2e test image: `netexec` serves its HTTP endpoints
// (/, /hostname, /echo, /clientip, /serverport, /header, /healthz, /readyz,
// /shell, /redirect, /exit, /shutdown) on --http-port (8080) as Go's
// net/http answers; `pause` prints and waits as agnhost's does; any other
// subcommand runs until stopped.

export const agnhost: Applet = async (ctx) => {
  const sub = ctx.argv[1];
  if (sub === 'netexec') return netexec(ctx, flags(ctx.argv.slice(2)));
  if (sub === 'pause') return pause(ctx);
  await catchStop(ctx.proc).done;
  return 0;
};

// pflag's --name=value and --name value.
function flags(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) continue;
    out.set(m[1], m[2] ?? args[++i] ?? '');
  }
  return out;
}

async function pause(ctx: AppletContext): Promise<number> {
  await ctx.stdout.write('Paused\nSignals registered\n');
  const stop = catchStop(ctx.proc);
  await stop.done;
  const name = stop.by === 'INT' ? 'interrupt' : stop.by === 'QUIT' ? 'quit' : 'terminated';
  await ctx.stdout.write(`exiting because of signal "${name}"\n`);
  return stop.by === 'INT' ? 1 : 0;
}

async function netexec(ctx: AppletContext, f: Map<string, string>): Promise<number> {
  const port = Number(f.get('http-port') ?? 8080);
  const stop = catchStop(ctx.proc);
  // /exit and /shutdown end the server with a code.
  const exit = new AbortController();
  const done = AbortSignal.any([stop.signal, exit.signal]);
  const net = ctx.container.net;
  let listener;
  try {
    listener = net?.listen(port);
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    await log(ctx, `listen tcp :${port}: bind: address already in use`);
    return 1;
  }
  await log(ctx, `Started HTTP server on port ${port}`);
  const started = ctx.container.clock.now();
  const handle = (req: HttpRequest) => route(ctx, req, { port, started, exit: (code) => exit.abort(code) });
  if (listener) await acceptLoop(listener, done, (conn) => serveConnection(conn, handle, { bad: goBadRequest }));
  if (exit.signal.aborted) return exit.signal.reason as number;
  await stop.done;
  return 0;
}

// Go's log.Printf: 2009/11/10 23:00:00 text, on stderr.
async function log(ctx: AppletContext, text: string): Promise<void> {
  const d = new Date(ctx.container.clock.now());
  const p = (n: number) => String(n).padStart(2, '0');
  await ctx.stderr.write(`${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${text}\n`);
}

interface Server {
  port: number;
  started: number;
  exit(code: number): void;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  307: 'Temporary Redirect',
  400: 'Bad Request',
  404: 'Not Found',
  412: 'Precondition Failed',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

async function route(ctx: AppletContext, req: HttpRequest, s: Server): Promise<HttpResponse> {
  const form = formValues(req);
  const v = (k: string) => form.get(k) ?? '';
  await log(ctx, `${req.method} ${req.path}`);
  switch (req.path) {
    case '/clientip':
      return goText(ctx, req, 200, `${req.remote.host}:${req.remote.port}`);
    case '/serverport':
      return goText(ctx, req, 200, String(s.port));
    case '/hostname':
    case '/hostName':
      return goText(ctx, req, 200, ctx.container.hostname);
    case '/healthz':
      return goText(ctx, req, 200, '');
    case '/readyz':
      return goText(ctx, req, 200, 'ok');
    case '/echo': {
      const code = v('code');
      if (code && !/^-?\d+$/.test(code)) return goText(ctx, req, 200, `argument 'code' must be an integer or empty, got "${code}"\n`);
      return goText(ctx, req, code ? Number(code) : 200, v('msg'));
    }
    case '/header': {
      const key = v('key');
      if (key) return goText(ctx, req, 200, req.headers.get(key.toLowerCase()) ?? '');
      const all: Record<string, string[]> = {};
      for (const [k, val] of [...req.headers].sort(([a], [b]) => (canonical(a) < canonical(b) ? -1 : 1))) if (k !== 'host') all[canonical(k)] = [val];
      return goText(ctx, req, 200, goJson(all));
    }
    case '/shell':
      return goText(ctx, req, 200, await shell(ctx, v('shellCommand') || v('cmd')));
    case '/redirect': {
      const code = v('code');
      if (code && !/^\d+$/.test(code)) return goText(ctx, req, 200, `argument 'code' must be an integer or empty, got "${code}"\n`);
      const status = code ? Number(code) : 302;
      const location = v('location');
      const res = goText(ctx, req, status, req.method === 'GET' ? `<a href="${location}">${STATUS_TEXT[status] ?? ''}</a>.\n\n` : '', 'text/html; charset=utf-8');
      res.headers.unshift(['Location', location]);
      return res;
    }
    case '/exit': {
      const code = v('code') ? Number(v('code')) : 0;
      if (!Number.isInteger(code) || code < 0 || code > 127) return goText(ctx, req, 200, `argument 'code' must be an integer [0-127] or empty, got "${v('code')}"\n`);
      s.exit(code);
      return goText(ctx, req, 200, '', undefined, true);
    }
    case '/shutdown':
      s.exit(0);
      return goText(ctx, req, 200, '', undefined, true);
    default:
      return goText(ctx, req, 200, `NOW: ${goNow(ctx.container.clock.now(), s.started)}`);
  }
}

// r.FormValue: the query, then a urlencoded POST body.
function formValues(req: HttpRequest): URLSearchParams {
  const form = new URLSearchParams(req.query);
  if ((req.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
    for (const [k, val] of new URLSearchParams(req.body.toString('utf8'))) if (!form.has(k)) form.set(k, val);
  }
  return form;
}

// exec.Command("/bin/sh", "-c", cmd).CombinedOutput(), as JSON.
async function shell(ctx: AppletContext, cmd: string): Promise<string> {
  const out = new Collector(16 * 1024 * 1024);
  const result: Record<string, string> = {};
  let status: number;
  try {
    status = await ctx.run(['/bin/sh', '-c', cmd], { stdout: out, stderr: out, stdin: { read: async () => null } });
  } catch (e) {
    if (!isFsError(e)) throw e;
    return goJson({ error: 'fork/exec /bin/sh: no such file or directory' });
  }
  if (out.total > 0) result.output = out.text();
  if (status > 128) result.error = 'signal: killed';
  else if (status !== 0) result.error = `exit status ${status}`;
  return goJson(result);
}

// A Go handler's answer: Date, Content-Length, Content-Type (sniffed: plain
// text), as net/http writes them.
function goText(ctx: AppletContext, req: HttpRequest, status: number, body: string, type = 'text/plain; charset=utf-8', close = false): HttpResponse {
  const headers: [string, string][] = [['Date', httpDate(ctx.container.clock.now())], ['Content-Length', String(Buffer.byteLength(body))]];
  if (body) headers.push(['Content-Type', type]);
  if (close || !req.keepAlive) headers.push(['Connection', 'close']);
  else if (req.version === 'HTTP/1.0') headers.push(['Connection', 'keep-alive']);
  return { status, reason: STATUS_TEXT[status] ?? 'status code ' + status, headers, body, close };
}

function goBadRequest(): HttpResponse {
  return { status: 400, reason: 'Bad Request', headers: [['Content-Type', 'text/plain; charset=utf-8'], ['Connection', 'close']], body: '400 Bad Request', close: true };
}

// textproto.CanonicalMIMEHeaderKey: user-agent → User-Agent.
const canonical = (k: string) => k.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());

// encoding/json: HTML-safe escapes, as Go writes them.
function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// time.Now().String(): 2024-11-26 15:55:00.123456789 +0000 UTC m=+1.5
function goNow(now: number, started: number): string {
  const d = new Date(now);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const frac = `${p(d.getUTCMilliseconds(), 3)}`.replace(/0+$/, '');
  const mono = ((now - started) / 1000).toFixed(9);
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac ? '.' + frac : ''} +0000 UTC m=+${mono}`;
}

import { posix } from 'node:path';
import { chunkBuffer } from '../procs/streams';
import type { InStream } from '../procs/types';
import { type Chunk, isFsError } from '../rootfs/types';
import { type Tool, applet } from './common/tool';
import { type Connection, NetError, type PodNetwork } from '../net/types';
import { execProgram } from './system';

// nc (busybox's nc 1.10 flavour) and wget, over the pod's network.

// A network that has nothing: every connect is refused.
const NO_NETWORK: PodNetwork = {
  resolve: (name) => (name === 'localhost' ? '127.0.0.1' : /^[\d.]+$/.test(name) ? name : undefined),
  listen: () => {
    throw new NetError('EADDRINUSE');
  },
  connect: async () => {
    throw new NetError('ECONNREFUSED');
  },
};

const netOf = (t: Tool): PodNetwork => t.ctx.container.net ?? NO_NETWORK;

// Resolves `p` unless the process is killed or `ms` passes first (then
// answers 'timeout').
async function race<T>(t: Tool, p: Promise<T>, ms = 0): Promise<T | 'timeout'> {
  const killed = t.ctx.proc.killed;
  const abort = new AbortController();
  const waits: Promise<T | 'timeout'>[] = [
    p,
    new Promise<never>((_, reject) => {
      if (killed.aborted) reject(killed.reason);
      killed.addEventListener('abort', () => reject(killed.reason), { once: true, signal: abort.signal });
    }),
  ];
  if (ms > 0) waits.push(t.ctx.container.clock.sleep(ms, abort.signal).then(() => 'timeout' as const));
  try {
    return await Promise.race(waits);
  } finally {
    abort.abort();
  }
}

function port(t: Tool, s: string): number | undefined {
  if (/^\d+$/.test(s) && Number(s) < 65536) return Number(s);
  const services: Record<string, number> = { http: 80, https: 443, ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53 };
  return services[s];
}

// Copies stdin to the connection and the connection to stdout until the
// peer ends; stdin's end half-closes. -w: idle timeout after stdin's end.
async function readwrite(t: Tool, conn: Connection, idleMs: number, stdin: InStream): Promise<void> {
  let netDone = false;
  const toNet = (async () => {
    try {
      for (;;) {
        const c = await stdin.read(65536);
        if (c === null || netDone) break;
        await conn.output.write(c);
      }
    } catch (err) {
      if (!isFsError(err)) throw err;
    } finally {
      conn.output.close();
    }
  })();
  for (;;) {
    const c = await race(t, conn.input.read(65536), idleMs);
    if (c === 'timeout' || c === null) break;
    await t.out.chunk(c);
    await t.out.flush();
  }
  netDone = true;
  void toNet.catch(() => {});
}

export const nc = applet(async (t) => {
  // -e PROG takes the rest of the line.
  let args = [...t.args];
  let exec: string[] | undefined;
  const e = args.indexOf('-e');
  if (e >= 0 && e + 1 < args.length) {
    exec = args.slice(e + 1);
    args = args.slice(0, e);
  }
  const p = t.parse({ short: 'np:s:ubvw:lki:o:zq:' }, args);
  const ops = p.operands;
  const net = netOf(t);
  const verbose = p.count('v');
  const wsecs = p.has('w') ? Number(p.value('w')) : 0;
  if (!Number.isFinite(wsecs)) return t.die(`invalid number '${p.value('w')}'`);
  if (p.has('u')) return t.die('UDP is not supported in this pod network');
  const lport = p.has('p') ? port(t, p.value('p')!) : 0;
  if (lport === undefined) return t.die(`bad port '${p.value('p')}'`);

  const serve = async (conn: Connection): Promise<number> => {
    if (exec) {
      const status = await execProgram(t, exec, { stdin: conn.input, stdout: conn.output });
      conn.close();
      return status;
    }
    await readwrite(t, conn, wsecs * 1000, t.ctx.stdin);
    conn.close();
    return 0;
  };

  if (p.has('l')) {
    if (ops.length > 2) return t.usage();
    let listener;
    try {
      listener = net.listen(lport ?? 0);
    } catch (err) {
      if (!(err instanceof NetError)) throw err;
      return t.die(`bind: ${err.message}`);
    }
    try {
      if (verbose) await t.error(`listening on [::]:${listener.port} ...`);
      do {
        const conn = await race(t, listener.accept(), wsecs * 1000);
        if (conn === 'timeout') return t.die('timeout');
        if (verbose) await t.error(`connect to [${conn.local.host}]:${conn.local.port} from [${conn.remote.host}]:${conn.remote.port}`);
        const status = await serve(conn);
        if (!p.has('k')) return exec ? status : 0;
      } while (p.has('k'));
      return 0;
    } finally {
      listener.close();
    }
  }

  if (ops.length !== 2) return t.usage();
  const host = ops[0];
  const ip = net.resolve(host);
  if (ip === undefined) return t.die(`bad address '${host}'`);
  const rport = port(t, ops[1]);
  if (rport === undefined) return t.die(`bad port '${ops[1]}'`);
  const dotted = `${ip}:${rport}`;
  let conn: Connection | 'timeout';
  try {
    conn = await race(t, net.connect(ip, rport), wsecs * 1000);
  } catch (err) {
    if (!(err instanceof NetError)) throw err;
    if (verbose > 1 || (verbose && err.code !== 'ECONNREFUSED')) await t.error(`${host} (${dotted}): ${err.message}`);
    return 1;
  }
  if (conn === 'timeout') {
    if (verbose) await t.error(`${host} (${dotted}): Connection timed out`);
    return 1;
  }
  if (verbose) await t.error(`${host} (${dotted}) open`);
  if (p.has('z')) {
    conn.close();
    return 0;
  }
  const status = await serve(conn);
  return exec ? status : 0;
});

interface Url {
  host: string;
  port: number;
  path: string; // without the leading '/'
  hostHeader: string;
}

// parse_url: a URL without "://" is http's (GNU wget's fallback).
function parseUrl(url0: string): Url | undefined {
  const url = url0.includes('://') ? url0 : `http://${url0}`;
  const m = /^(https?):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?([^#]*)/i.exec(url);
  if (!m) return undefined;
  const host = m[2].replace(/^\[|\]$/g, '');
  const port = m[3] ? Number(m[3]) : m[1].toLowerCase() === 'https' ? 443 : 80;
  let path = m[4] || '/';
  if (path.startsWith('?')) path = '/' + path;
  return { host, port, path: path.slice(1), hostHeader: m[3] ? `${m[2]}:${m[3]}` : m[2] };
}

// Reads an HTTP response from a connection: the status line and headers,
// then the body as chunks.
class HttpReader {
  private buf = Buffer.alloc(0);
  private ended = false;

  constructor(
    private readonly t: Tool,
    private readonly conn: Connection,
    private readonly timeoutMs: number,
  ) {}

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const c = await race(this.t, this.conn.input.read(65536), this.timeoutMs);
    if (c === 'timeout') return this.t.die('download timed out');
    if (c === null) {
      this.ended = true;
      return false;
    }
    this.buf = Buffer.concat([this.buf, chunkBuffer(c)]);
    return true;
  }

  async line(): Promise<string | null> {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl >= 0) {
        const l = this.buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
        this.buf = this.buf.subarray(nl + 1);
        return l;
      }
      if (this.buf.length > 65536) return this.t.die('bad header line');
      if (!(await this.more())) {
        if (this.buf.length === 0) return null;
        const l = this.buf.toString('latin1');
        this.buf = Buffer.alloc(0);
        return l;
      }
    }
  }

  // Up to `max` body bytes, or null at the end.
  async body(max = 65536): Promise<Buffer | null> {
    if (this.buf.length === 0 && !(await this.more())) return null;
    const n = Math.min(max, this.buf.length);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

export const wget = applet(async (t) => {
  const p = t.parse({
    short: 'cqSO:o:P:U:T:t:nY:',
    long: {
      continue: 'c',
      quiet: 'q',
      'server-response': 'S',
      'output-document': 'O:',
      'output-file': 'o:',
      'directory-prefix': 'P:',
      'user-agent': 'U:',
      timeout: 'T:',
      tries: 't:',
      proxy: 'Y:',
      spider: '\u00fd',
      header: '\u00fc:',
      'post-data': '\u00fb:',
      'post-file': '\u00fa:',
      'no-check-certificate': '\u00f9',
      'no-verbose': '\u00f8',
    },
  });
  if (p.operands.length === 0) return t.usage();
  const quiet = p.has('q');
  const net = netOf(t);
  const timeoutMs = p.has('T') ? Number(p.value('T')) * 1000 : 900 * 1000;
  const agent = p.value('U') ?? 'Wget';
  let status = 0;
  for (const urlStr of p.operands) {
    const first = parseUrl(urlStr);
    if (!first) return t.die(`not an http or ftp url: ${urlStr}`);
    let target: Url = first;
    let redirects = 16;
    for (;;) {
      if (/^https$/i.test(urlStr.split(':')[0]) && target.port === 443) {
        return t.die(`can't connect to remote host: TLS is not available in this pod network`);
      }
      const ip = net.resolve(target.host);
      if (ip === undefined) return t.die(`bad address '${target.host}'`);
      if (!quiet) await t.ctx.stderr.write(`Connecting to ${target.hostHeader} (${ip}:${target.port})\n`);
      let conn: Connection | 'timeout';
      try {
        conn = await race(t, net.connect(ip, target.port), timeoutMs);
      } catch (err) {
        if (!(err instanceof NetError)) throw err;
        // xconnect names the address of an IPv4 host only.
        return t.die(ip.includes(':') ? `can't connect to remote host: ${err.message}` : `can't connect to remote host (${ip}): ${err.message}`);
      }
      if (conn === 'timeout') return t.die('download timed out');
      try {
        const post = p.value('\u00fb');
        let req = `${post !== undefined ? 'POST' : 'GET'} /${target.path} HTTP/1.1\r\n`;
        const headers = p.values('\u00fc');
        const has = (h: string) => headers.some((x) => x.toLowerCase().startsWith(h.toLowerCase() + ':'));
        if (!has('Host')) req += `Host: ${target.hostHeader}\r\n`;
        if (!has('User-Agent')) req += `User-Agent: ${agent}\r\n`;
        req += 'Connection: close\r\n';
        for (const h of headers) req += `${h}\r\n`;
        if (post !== undefined) {
          if (!has('Content-Type')) req += 'Content-Type: application/x-www-form-urlencoded\r\n';
          req += `Content-Length: ${Buffer.byteLength(post)}\r\n\r\n${post}`;
        } else req += '\r\n';
        try {
          await conn.output.write(req);
        } catch (err) {
          if (!isFsError(err)) throw err;
          return t.die('error getting response: Connection reset by peer');
        }
        const r = new HttpReader(t, conn, timeoutMs);
        let statusLine = await r.line();
        if (statusLine === null) return t.die('error getting response: Connection reset by peer');
        // 1xx responses come before the real one.
        while (/^HTTP\/\d\.\d 1\d\d/.test(statusLine)) {
          for (let h = await r.line(); h; h = await r.line());
          statusLine = (await r.line()) ?? '';
        }
        if (p.has('S')) await t.ctx.stderr.write(`  ${statusLine}\n`);
        const code = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0);
        const hdrs = new Map<string, string>();
        for (let h = await r.line(); h !== null && h !== ''; h = await r.line()) {
          if (p.has('S')) await t.ctx.stderr.write(`  ${h}\n`);
          const colon = h.indexOf(':');
          if (colon > 0) hdrs.set(h.slice(0, colon).trim().toLowerCase(), h.slice(colon + 1).trim());
        }
        if ([301, 302, 303, 307, 308].includes(code) && hdrs.has('location')) {
          if (--redirects <= 0) return t.die('too many redirections');
          const loc = hdrs.get('location')!;
          const base: Url = target;
          target = parseUrl(loc) ?? { ...base, path: loc.startsWith('/') ? loc.slice(1) : posix.join(posix.dirname('/' + base.path), loc).slice(1) };
          continue;
        }
        if (!(code >= 200 && code < 300) || code === 206) return t.die(`server returned error: ${statusLine}`);
        if (p.has('\u00fd')) {
          if (!quiet) await t.ctx.stderr.write('remote file exists\n');
          break;
        }
        let name = p.value('O');
        if (name === undefined) {
          name = posix.basename('/' + target.path.split('?')[0]) || 'index.html';
          if (p.has('P')) name = posix.join(p.value('P')!, name);
        }
        const toStdout = name === '-';
        let sink: (c: Chunk) => Promise<void>;
        let close = () => {};
        if (toStdout) sink = (c) => t.out.chunk(c);
        else {
          try {
            const o = t.output(name, { create: true, truncate: true });
            sink = (c) => o.stream.write(c);
            close = o.close;
          } catch (err) {
            if (!isFsError(err)) throw err;
            return t.die(`can't open '${name}': ${err.message}`);
          }
        }
        if (!quiet) await t.ctx.stderr.write(toStdout ? 'writing to stdout\n' : `saving to '${name}'\n`);
        try {
          await copyBody(t, r, hdrs, sink);
        } finally {
          close();
        }
        if (!quiet) await t.ctx.stderr.write(toStdout ? 'written to stdout\n' : `'${name}' saved\n`);
        break;
      } finally {
        conn.close();
      }
    }
  }
  return status;
});

async function copyBody(t: Tool, r: HttpReader, hdrs: Map<string, string>, sink: (c: Chunk) => Promise<void>): Promise<void> {
  const te = hdrs.get('transfer-encoding');
  if (te !== undefined && te.toLowerCase() !== 'chunked') return t.die(`transfer encoding '${te}' is not supported`);
  if (te) {
    for (;;) {
      const sizeLine = await r.line();
      if (sizeLine === null) return t.die('connection closed prematurely');
      const size = parseInt(sizeLine.split(';')[0].trim(), 16);
      if (Number.isNaN(size)) return t.die(`bad chunk length '${sizeLine}'`);
      if (size === 0) return;
      let left = size;
      while (left > 0) {
        const b = await r.body(left);
        if (b === null) return t.die('connection closed prematurely');
        await sink(b);
        left -= b.length;
      }
      await r.line();
      await t.yield();
    }
  }
  const cl = hdrs.get('content-length');
  let left = cl !== undefined ? Number(cl) : Infinity;
  if (cl !== undefined && !/^\d+$/.test(cl)) return t.die(`content-length ${cl} is garbage`);
  while (left > 0) {
    const b = await r.body(Math.min(left, 65536));
    if (b === null) {
      if (left !== Infinity) return t.die('connection closed prematurely');
      return;
    }
    await sink(b);
    left -= b.length;
    await t.yield();
  }
}

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { X509Certificate, createSign, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReference } from '../images/reference';
import { OCI_IMAGE_CONFIG, OCI_MANIFEST } from '../oci/media-types';
import { nodePlatform } from '../oci/platform';
import type { RegistryClient } from '../oci/registry-client';
import { until } from '../test/wait';

// Test fixtures around Debian's docker-registry (distribution 2.8), run on
// 127.0.0.1 with temp storage: anonymous, htpasswd Basic, or token auth
// against a token issuer of our own; and a proxy that corrupts blobs.

export const REGISTRY_BIN = '/usr/bin/docker-registry';

// Why registry tests cannot run here, or undefined when they can. `make
// test` installs the packages as root (scripts/test-deps.sh), or stops.
export function registryMissing(): string | undefined {
  for (const bin of [REGISTRY_BIN, 'htpasswd', 'openssl']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} is not installed (apt-get install docker-registry apache2-utils openssl)`;
  }
  return undefined;
}

export const skopeoMissing = (): string | undefined => (spawnSync('sh', ['-c', 'command -v skopeo']).status !== 0 ? 'skopeo is not installed (apt-get install skopeo)' : undefined);

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Registry {
  host: string; // 127.0.0.1:PORT
  dir: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  htpasswd?: { user: string; password: string };
  token?: TokenIssuer;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'fakecri-registry-'));
  const port = await freePort();
  const lines = ['version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true', 'http:', `  addr: 127.0.0.1:${port}`, `  secret: ${randomBytes(8).toString('hex')}`];
  if (options.htpasswd) {
    const file = join(dir, 'htpasswd');
    writeFileSync(file, execFileSync('htpasswd', ['-Bbn', options.htpasswd.user, options.htpasswd.password]));
    lines.push('auth:', '  htpasswd:', '    realm: fakecri-test', `    path: ${file}`);
  }
  if (options.token) {
    lines.push('auth:', '  token:', `    realm: ${options.token.realm}`, `    service: ${options.token.service}`, `    issuer: ${options.token.issuer}`, `    rootcertbundle: ${options.token.certFile}`);
  }
  writeFileSync(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const proc = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  await waitUntilServing(port, proc, () => stderr);
  return {
    host: `127.0.0.1:${port}`,
    dir,
    async stop() {
      await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilServing(port: number, proc: ChildProcess, stderr: () => string): Promise<void> {
  const answers = () =>
    new Promise<boolean>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/v2/' }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  await until(`docker-registry to listen on ${port}`, async () => {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${stderr()}`);
    return answers();
  }).catch((err: Error) => {
    throw new Error(`${err.message}: ${stderr()}`);
  });
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

export interface TokenIssuer {
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  // GET/POST requests the issuer answered with a token, and the scopes asked for.
  issued: string[];
  stop(): Promise<void>;
}

// A token server as docker's auth spec describes it: GET realm?service&scope
// with Basic credentials (or an OAuth2 refresh_token POST), answered with an
// RS256 JWT whose x5c header carries the cert the registry trusts.
export async function startTokenIssuer(users: Record<string, string>, refreshTokens: Record<string, string> = {}): Promise<TokenIssuer> {
  const dir = mkdtempSync(join(tmpdir(), 'fakecri-token-'));
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=fakecri-test-token-issuer'], { stdio: 'ignore' });
  const key = execFileSync('cat', [keyFile]).toString();
  const cert = new X509Certificate(execFileSync('cat', [certFile]));
  const service = 'fakecri-test-registry';
  const issuer = 'fakecri-test-issuer';
  const issued: string[] = [];

  const sign = (subject: string, scope: string): string => {
    const access = scope
      ? scope.split(' ').map((s) => {
          const [type, name, actions] = s.split(':');
          return { type, name, actions: actions.split(',') };
        })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = b64({ typ: 'JWT', alg: 'RS256', x5c: [cert.raw.toString('base64')] });
    const body = b64({ iss: issuer, sub: subject, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access });
    const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key).toString('base64url');
    return `${head}.${body}.${sig}`;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const answer = (subject: string, scope: string) => {
      issued.push(`${req.method} ${subject} ${scope}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: sign(subject, scope), expires_in: 300 }));
    };
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const user = refreshTokens[form.get('refresh_token') ?? ''];
        if (form.get('grant_type') !== 'refresh_token' || !user) return deny(res);
        answer(user, form.get('scope') ?? '');
      });
      return;
    }
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [user, pass] = basic ? Buffer.from(basic[1], 'base64').toString().split(':') : [];
    if (!user || users[user] !== pass) return deny(res);
    answer(user, url.searchParams.get('scope') ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    issued,
    async stop() {
      await closeServer(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function deny(res: ServerResponse): void {
  res.writeHead(401, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
}

export interface Proxy {
  host: string;
  stop(): Promise<void>;
}

// Forwards to `target`, flipping one byte of every blob body it passes on:
// what a broken mirror or a tampering middlebox would serve.
export async function startCorruptingProxy(target: string): Promise<Proxy> {
  const [thost, tport] = target.split(':');
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const upstream = httpRequest({ host: thost, port: Number(tport), path: req.url, method: req.method, headers: { ...req.headers, host: target } }, (up) => {
      const corrupt = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '') && up.statusCode === 200;
      if (!corrupt) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (d: Buffer) => chunks.push(d));
      up.on('end', () => {
        const body = Buffer.concat(chunks);
        if (body.length) body[body.length - 1] ^= 0x20;
        res.writeHead(200, { ...up.headers, 'content-length': String(body.length) });
        res.end(body);
      });
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, stop: () => closeServer(server) };
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

// Pushes a container image of these layers, with a small config for this
// node's platform (`config` adds fields: a different config, a different
// image id), and answers its config digest: the image id PullImage reports.
export async function pushImage(
  client: RegistryClient,
  reference: string,
  layers: Buffer[],
  opts: { annotations?: Record<string, string>; layerMediaType?: string; config?: Record<string, unknown> } = {},
): Promise<string> {
  const ref = parseReference(reference);
  const config = Buffer.from(JSON.stringify({ architecture: nodePlatform().architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, ...opts.config }));
  const mediaType = opts.layerMediaType ?? 'application/vnd.oci.image.layer.v1.tar+gzip';
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_IMAGE_CONFIG, digest: await client.pushBlob(ref, config), size: config.length },
    layers: await Promise.all(layers.map(async (l) => ({ mediaType, digest: await client.pushBlob(ref, l), size: l.length }))),
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  };
  await client.putManifest(ref, ref.tag!, Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST);
  return manifest.config.digest;
}

import { Agent, type Dispatcher, request } from 'undici';
import { type ErrorCode, FakecriError } from '../domain/errors';
import { type ImageReference } from '../images/reference';
import { type Challenge, parseChallenge } from './challenge';
import { type CredentialStore, type Credentials } from './credentials';
import { digestOf, verifyDigest } from './digest';
import { MANIFEST_ACCEPT } from './media-types';

export interface RegistryClientOptions {
  // Registries (host or host:port) spoken to over plain HTTP. Everything
  // else is HTTPS with the certificate verified.
  insecure?: string[];
  credentials?: CredentialStore;
  // Used instead of the store, for every registry (CRI AuthConfig, CLI flags).
  override?: Credentials;
  // Each request, and each connect, gives up after this long.
  timeoutMs?: number;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  url: URL;
}

interface SendOptions {
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: Buffer;
  scope?: string;
  limit?: number;
  what: string;
}

const MAX_MANIFEST = 4 * 2 ** 20;
const MAX_REDIRECTS = 10;
const TOKEN_TTL_SECONDS = 60;

// Docker Hub's API lives on another host than its name.
export const registryHost = (domain: string): string => (domain === 'docker.io' ? 'registry-1.docker.io' : domain);

// A distribution-spec client: ping, manifests, blobs, push. It does the
// Basic and Bearer token flows from the registry's challenge, caches tokens
// per host and scope, follows redirects (never carrying Authorization to
// another host) and checks every digest it is given.
export class RegistryClient {
  private readonly dispatcher: Agent;
  private readonly timeoutMs: number;
  private readonly pings = new Map<string, Promise<Challenge | undefined>>();
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.dispatcher = new Agent({
      connect: { timeout: this.timeoutMs, rejectUnauthorized: true },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  isInsecure(domain: string): boolean {
    const host = domain.replace(/:\d+$/, '');
    return (this.options.insecure ?? []).some((i) => i === domain || i === host);
  }

  baseUrl(domain: string): string {
    return `${this.isInsecure(domain) ? 'http' : 'https'}://${registryHost(domain)}`;
  }

  // GET /v2/: whether the registry answers, and how it wants us to log in.
  ping(domain: string): Promise<Challenge | undefined> {
    let p = this.pings.get(domain);
    if (!p) {
      p = this.fetch(new URL('/v2/', this.baseUrl(domain)), { what: `pinging container registry ${domain}`, limit: 64 * 1024 }).then((res) => {
        if (res.status === 401) return parseChallenge(res.headers['www-authenticate']);
        if (res.status >= 200 && res.status < 300) return undefined;
        throw httpError(res, `pinging container registry ${domain}`);
      });
      p.catch(() => this.pings.delete(domain));
      this.pings.set(domain, p);
    }
    return p;
  }

  // By tag or digest; a digest reference is verified, and so is a tag
  // whose answer names its digest.
  async getManifest(ref: ImageReference, reference = ref.digest ?? ref.tag ?? 'latest'): Promise<FetchedManifest> {
    const what = `reading manifest ${reference} in ${ref.domain}/${ref.path}`;
    const res = await this.send(ref.domain, `/v2/${ref.path}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT.join(', ') },
      scope: `repository:${ref.path}:pull`,
      limit: MAX_MANIFEST,
      what,
    });
    if (res.status !== 200) throw httpError(res, what);
    const mediaType = String(res.headers['content-type'] ?? '').split(';')[0].trim() || sniffMediaType(res.body);
    if (reference.startsWith('sha256:')) verifyDigest(res.body, reference, 'manifest', `${what}: verify digest of manifest`);
    const announced = res.headers['docker-content-digest'];
    if (typeof announced === 'string' && announced.startsWith('sha256:')) verifyDigest(res.body, announced, 'manifest', `${what}: verify digest of manifest`);
    return { bytes: res.body, mediaType, digest: digestOf(res.body) };
  }

  async getBlob(ref: ImageReference, digest: string, limit: number): Promise<Buffer> {
    const what = `fetching blob ${digest} in ${ref.domain}/${ref.path}`;
    const res = await this.send(ref.domain, `/v2/${ref.path}/blobs/${digest}`, { scope: `repository:${ref.path}:pull`, limit, what });
    if (res.status !== 200) throw httpError(res, what);
    verifyDigest(res.body, digest, 'layer', 'verify digest of layer');
    return res.body;
  }

  // Monolithic upload: POST for a session, PUT the bytes with their digest.
  async pushBlob(ref: ImageReference, bytes: Buffer): Promise<string> {
    const digest = digestOf(bytes);
    const scope = `repository:${ref.path}:pull,push`;
    const what = `pushing blob ${digest} to ${ref.domain}/${ref.path}`;
    const head = await this.send(ref.domain, `/v2/${ref.path}/blobs/${digest}`, { method: 'HEAD', scope, what });
    if (head.status === 200) return digest;
    const start = await this.send(ref.domain, `/v2/${ref.path}/blobs/uploads/`, { method: 'POST', scope, what, headers: { 'content-length': '0' } });
    if (start.status !== 202) throw httpError(start, what);
    const location = start.headers.location;
    if (typeof location !== 'string') throw new FakecriError('UNKNOWN', `${what}: the registry gave no upload location`);
    const url = new URL(location, start.url);
    url.searchParams.set('digest', digest);
    const put = await this.send(ref.domain, url.pathname + url.search, {
      method: 'PUT',
      scope,
      what,
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (put.status !== 201) throw httpError(put, what);
    return digest;
  }

  async putManifest(ref: ImageReference, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const what = `pushing manifest ${reference} to ${ref.domain}/${ref.path}`;
    const res = await this.send(ref.domain, `/v2/${ref.path}/manifests/${reference}`, {
      method: 'PUT',
      scope: `repository:${ref.path}:pull,push`,
      what,
      body: bytes,
      headers: { 'content-type': mediaType },
    });
    if (res.status !== 201) throw httpError(res, what);
    return digestOf(bytes);
  }

  private credentials(domain: string): Credentials | undefined {
    return this.options.override ?? this.options.credentials?.get(domain);
  }

  // One request to the registry, logged in the way its challenge asks; a
  // 401 on the request itself (a scope the token lacked) is retried once.
  private async send(domain: string, path: string, opts: SendOptions): Promise<Response> {
    const challenge = await this.ping(domain);
    const url = new URL(path, this.baseUrl(domain));
    let auth = challenge ? await this.authorize(domain, challenge, opts.scope) : undefined;
    let res = await this.fetch(url, { ...opts, headers: { ...opts.headers, ...(auth ? { authorization: auth } : {}) } });
    if (res.status === 401) {
      const again = parseChallenge(res.headers['www-authenticate']);
      if (again) {
        const scope = again.params.scope ?? opts.scope;
        this.tokens.delete(tokenKey(domain, scope));
        auth = await this.authorize(domain, again, scope);
        if (auth) res = await this.fetch(url, { ...opts, headers: { ...opts.headers, authorization: auth } });
      }
    }
    return res;
  }

  private async authorize(domain: string, challenge: Challenge, scope = ''): Promise<string | undefined> {
    const creds = this.credentials(domain);
    if (challenge.scheme === 'basic') {
      if (!creds?.username) return undefined;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
    }
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const key = tokenKey(domain, scope);
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`;
    const token = await this.fetchToken(domain, challenge, scope, creds);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  // The token server: a refresh token is posted (OAuth2), else a GET,
  // anonymous or with Basic credentials.
  private async fetchToken(domain: string, challenge: Challenge, scope: string, creds?: Credentials): Promise<{ token: string; expires: number }> {
    const what = `requesting bearer token for ${domain}`;
    const realm = challenge.params.realm;
    if (!realm) throw new FakecriError('UNAUTHENTICATED', `${what}: the challenge names no realm`);
    const url = new URL(realm);
    const service = challenge.params.service ?? '';
    let res: Response;
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, service, client_id: 'fakecri' });
      if (scope) form.set('scope', scope);
      res = await this.fetch(url, {
        method: 'POST',
        what,
        limit: 1 << 20,
        body: Buffer.from(form.toString()),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    } else {
      if (service) url.searchParams.set('service', service);
      if (scope) url.searchParams.set('scope', scope);
      const headers: Record<string, string> = {};
      if (creds?.username) headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
      res = await this.fetch(url, { what, limit: 1 << 20, headers });
    }
    if (res.status !== 200) throw httpError(res, what);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new FakecriError('UNAUTHENTICATED', `${what}: the token server's answer is not JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new FakecriError('UNAUTHENTICATED', `${what}: the token server's answer has no token`);
    const ttl = body.expires_in && body.expires_in > 0 ? body.expires_in : TOKEN_TTL_SECONDS;
    return { token, expires: Date.now() + ttl * 1000 - 5_000 };
  }

  // One HTTP exchange with redirects followed. Authorization goes only to
  // the host it was meant for.
  private async fetch(start: URL, opts: SendOptions): Promise<Response> {
    let url = start;
    let method: Dispatcher.HttpMethod = opts.method ?? 'GET';
    let body = opts.body;
    const headers: Record<string, string> = { 'user-agent': 'fakecri', ...opts.headers };
    for (let hop = 0; ; hop++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method,
          headers,
          body,
          dispatcher: this.dispatcher,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        throw transportError(err, `${opts.what}: ${method} ${url.href}`);
      }
      const location = res.headers.location;
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && typeof location === 'string') {
        await res.body.dump();
        if (hop >= MAX_REDIRECTS) throw new FakecriError('UNKNOWN', `${opts.what}: stopped after ${MAX_REDIRECTS} redirects`);
        const next = new URL(location, url);
        if (next.host !== start.host) delete headers.authorization;
        if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        url = next;
        continue;
      }
      const data = method === 'HEAD' ? (await res.body.dump(), Buffer.alloc(0)) : await readLimited(res, opts.limit ?? 1 << 20, opts.what);
      return { status: res.statusCode, headers: res.headers, body: data, url };
    }
  }
}

const tokenKey = (domain: string, scope = ''): string => `${domain} ${scope}`;

async function readLimited(res: Dispatcher.ResponseData, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  const tooBig = () => new FakecriError('RESOURCE_EXHAUSTED', `${what}: exceeded maximum allowed size of ${limit} bytes`);
  if (Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      total += (chunk as Buffer).length;
      if (total > limit) {
        res.body.destroy();
        throw tooBig();
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof FakecriError) throw err;
    throw transportError(err, what);
  }
  return Buffer.concat(chunks);
}

// The registry's own error words, as containers/image prints them
// ("unauthorized: authentication required", "manifest unknown: …").
function httpError(res: Response, what: string): FakecriError {
  let detail = `status ${res.status}`;
  try {
    const body = JSON.parse(res.body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    const first = body.errors?.[0];
    if (first?.code) detail = `${first.code.toLowerCase().replaceAll('_', ' ')}: ${first.message ?? ''}`.trim();
  } catch {
    // Not a distribution error body.
  }
  const code: ErrorCode = res.status === 401 ? 'UNAUTHENTICATED' : res.status === 403 ? 'PERMISSION_DENIED' : res.status === 404 ? 'NOT_FOUND' : 'UNKNOWN';
  return new FakecriError(code, `${what}: ${detail}`);
}

function transportError(err: unknown, what: string): FakecriError {
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  const name = e.name === 'TimeoutError' || e.code === 'UND_ERR_CONNECT_TIMEOUT' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
  const message = e.cause?.message && !e.message.includes(e.cause.message) ? `${e.message}: ${e.cause.message}` : e.message;
  return new FakecriError(name ? 'DEADLINE_EXCEEDED' : 'UNAVAILABLE', `${what}: ${message}`, { cause: err });
}

function sniffMediaType(bytes: Buffer): string {
  try {
    return (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? '';
  } catch {
    return '';
  }
}

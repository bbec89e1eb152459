import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseReference } from '../images/reference';
import { closeServer } from '../testing/registry';
import { digestOf } from './digest';
import { RegistryClient } from './registry-client';

// The transport against tiny node:http registries: redirects, TLS, timeouts,
// digests and size limits.
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(handler: Handler, host = '127.0.0.1'): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, host, r));
  servers.push({ close: () => closeServer(server) });
  return `${host}:${(server.address() as AddressInfo).port}`;
}

const blob = Buffer.from('{"defaultAction":"SCMP_ACT_ALLOW"}');
const digest = digestOf(blob);

describe('RegistryClient transport', () => {
  it('follows a redirect to another host without the Authorization header, and keeps it on the same host', async () => {
    const seen: Record<string, string | undefined> = {};
    const cdn = await serve((req, res) => {
      seen.cdn = req.headers.authorization;
      res.end(blob);
    }, '127.0.0.2');
    const reg = await serve((req, res) => {
      if (!req.headers.authorization) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
        return res.end();
      }
      if (req.url === '/v2/') return res.end('{}');
      if (req.url?.startsWith('/v2/a/blobs/')) {
        seen.registry = req.headers.authorization;
        res.writeHead(307, { location: `http://${cdn}/data?sig=1` });
        return res.end();
      }
      if (req.url === '/v2/b/blobs/' + digest) {
        res.writeHead(302, { location: '/v2/b/moved' });
        return res.end();
      }
      if (req.url === '/v2/b/moved') {
        seen.sameHost = req.headers.authorization;
        return res.end(blob);
      }
      res.writeHead(404);
      res.end();
    });
    const client = new RegistryClient({ insecure: [reg], override: { username: 'u', password: 'p' } });
    expect(await client.getBlob(parseReference(`${reg}/a`), digest, 1024)).toEqual(blob);
    expect(await client.getBlob(parseReference(`${reg}/b`), digest, 1024)).toEqual(blob);
    await client.close();
    expect(seen.registry).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(seen.cdn).toBeUndefined();
    expect(seen.sameHost).toBe(seen.registry);
  });

  it('verifies TLS by default: a self-signed registry is refused unless listed insecure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fakecri-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
      const server = createHttpsServer({ key: readFileSync(join(dir, 'k')), cert: readFileSync(join(dir, 'c')) }, (_req, res) => res.end('{}'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push({ close: () => closeServer(server as never) });
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const client = new RegistryClient();
      const err = await client.ping(host).catch((e) => e);
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.message).toMatch(new RegExp(`^pinging container registry ${host}: GET https://${host}/v2/: .*self[- ]signed certificate`));
      await client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a registry that does not answer, after the timeout', async () => {
    const host = await serve(() => {
      // Never answers.
    });
    const client = new RegistryClient({ insecure: [host], timeoutMs: 300 });
    const started = Date.now();
    const err = await client.ping(host).catch((e) => e);
    expect(err.code).toBe('DEADLINE_EXCEEDED');
    // It gives up rather than waiting for ever; generous, for a loaded machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    await client.close();
  });

  it('checks a manifest against the digest the registry announces, and a blob against its own', async () => {
    const host = await serve((req, res) => {
      if (req.url === '/v2/') return res.end('{}');
      if (req.url?.includes('/manifests/')) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': digestOf(Buffer.from('other')) });
        return res.end('{"schemaVersion":2}');
      }
      res.end('tampered');
    });
    const client = new RegistryClient({ insecure: [host] });
    const m = await client.getManifest(parseReference(`${host}/x:v1`)).catch((e) => e);
    expect(m.code).toBe('DATA_LOSS');
    expect(m.message).toContain('verify digest of manifest: sha256 mismatch');
    const b = await client.getBlob(parseReference(`${host}/x`), digest, 1024).catch((e) => e);
    expect(b.message).toMatch(/^verify digest of layer: sha256 mismatch between real layer bytes \(/);
    await client.close();
  });

  it('stops reading a body past the limit, also without a Content-Length', async () => {
    const host = await serve((req, res) => {
      if (req.url === '/v2/') return res.end('{}');
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 64; i++) res.write(Buffer.alloc(1024, 'a'));
      res.end();
    });
    const client = new RegistryClient({ insecure: [host] });
    const err = await client.getBlob(parseReference(`${host}/x`), digest, 10_000).catch((e) => e);
    expect(err.code).toBe('RESOURCE_EXHAUSTED');
    expect(err.message).toContain('exceeded maximum allowed size of 10000 bytes');
    await client.close();
  });

  it('sends the Accept list Docker registry 2.8 needs', async () => {
    let accept = '';
    const host = await serve((req, res) => {
      if (req.url === '/v2/') return res.end('{}');
      accept = String(req.headers.accept);
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end('{}');
    });
    const client = new RegistryClient({ insecure: [host] });
    await client.getManifest(parseReference(`${host}/x`));
    expect(accept.split(', ')).toEqual([
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
    ]);
    await client.close();
  });

  it('speaks HTTPS to registries not listed insecure, and maps docker.io to its API host', () => {
    const client = new RegistryClient({ insecure: ['127.0.0.1:5000', 'plain.example'] });
    expect(client.baseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(client.baseUrl('127.0.0.1:5001')).toBe('https://127.0.0.1:5001');
    expect(client.baseUrl('plain.example:8080')).toBe('http://plain.example:8080');
    expect(client.baseUrl('docker.io')).toBe('https://registry-1.docker.io');
    return client.close();
  });
});

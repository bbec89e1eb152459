import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../../test/wait';
import { NetError } from '../net/types';
import { type Pod, client, makePod } from './streams-testkit';

// What a port-forward client sees: PodNetworks.connect into the pod.
describe('PodNetworks.connect', () => {
  let pod: Pod;
  beforeEach(() => {
    pod = makePod();
  });
  afterEach(() => pod.close());

  const connect = (port: number) => pod.networks.connect(pod.sandbox, port);
  // A connection once something listens (the program starts on its own time).
  const connected = (port: number) =>
    until(`a listener on ${port}`, () =>
      connect(port).catch((e) => {
        if (e instanceof NetError && e.code === 'ECONNREFUSED') return undefined;
        throw e;
      }),
    );
  const readAll = (d: Duplex) =>
    new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      d.on('data', (c: Buffer) => parts.push(c));
      d.on('end', () => resolve(Buffer.concat(parts)));
      d.on('error', reject);
    });

  // node's HTTP client over a pod connection.
  function get(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return connected(port).then(
      (sock) =>
        new Promise((resolve, reject) => {
          const req = request({ createConnection: () => sock as never, path, method, headers: { host: 'localhost' } }, (res) => {
            const parts: Buffer[] = [];
            res.on('data', (c: Buffer) => parts.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString() }));
          });
          req.on('error', reject);
          req.end();
        }),
    );
  }

  it('nothing listens: ECONNREFUSED', async () => {
    pod.start('c', { command: ['sleep', '3600'] });
    const err = await connect(81).catch((e) => e);
    expect(err).toBeInstanceOf(NetError);
    expect(err.code).toBe('ECONNREFUSED');
  });

  it("reaches a shell's nc -l both ways, with FIN in each direction", async () => {
    const c = pod.start('c', { command: ['sh', '-c', 'echo greetings | nc -l -p 8080 > /tmp/got; cat /tmp/got'] });
    const a = client({ stdin: false });
    const attached = pod.programs.attach(c, a.io);
    const sock = await connected(8080);
    const reply = readAll(sock);
    sock.end('hello from outside\n');
    expect((await reply).toString()).toBe('greetings\n');
    await attached;
    expect(a.stdout.text).toBe('hello from outside\n');
  });

  it('carries megabytes with backpressure', async () => {
    pod.start('c', { command: ['sh', '-c', 'dd if=/dev/zero bs=65536 count=160 2>/dev/null | nc -l -p 9000'] });
    const sock = await connected(9000);
    // (nc quits when the network side ends first: the client only reads.)
    const got = await readAll(sock);
    sock.end();
    expect(got.length).toBe(160 * 65536);
    expect(got.every((b) => b === 0)).toBe(true);
  });

  it("nginx serves its default page on 80, keeps the connection alive, 404s the rest (critest's port-forward check)", async () => {
    pod.start('web', {}, 'registry.k8s.io/e2e-test-images/nginx:1.14-2');
    const page = await get(80, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Welcome to nginx!</title>');
    expect(page.headers).toMatchObject({ server: 'nginx/1.14.2', 'content-type': 'text/html', 'content-length': '612', 'accept-ranges': 'bytes' });
    // (node's client without an agent asks for Connection: close.)
    expect(page.headers.connection).toBe('close');
    const missing = await get(80, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('<center><h1>404 Not Found</h1></center>');
    // Two requests on one connection, raw.
    const sock = await connected(80);
    const all = readAll(sock);
    sock.write('GET /index.html HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = (await all).toString();
    expect(text.match(/^HTTP\/1\.1 200 OK\r\n/gm)).toHaveLength(2);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\nServer: nginx\/1\.14\.2\r\nDate: .* GMT\r\nContent-Type: text\/html\r\nContent-Length: 612\r\nLast-Modified: .*\r\nConnection: keep-alive\r\nETag: "[0-9a-f]+-264"\r\nAccept-Ranges: bytes\r\n\r\n<!DOCTYPE html>/);
    // The HEAD's answer: headers only, and the connection closes after it.
    expect(text).toMatch(/<\/html>\nHTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\nETag: "[0-9a-f]+-264"\r\nAccept-Ranges: bytes\r\n\r\n$/);
  });

  it('nginx answers what is put in its html root, and logs the access on stdout', async () => {
    const c = pod.start('web', {}, 'docker.io/library/nginx:1.25.3');
    const a = client({ stdin: false });
    const attached = pod.programs.attach(c, a.io);
    await connected(80).then((s) => s.destroy());
    expect((await pod.programs.exec(c, ['sh', '-c', 'echo custom > /usr/share/nginx/html/x.txt'], new AbortController().signal)).exitCode).toBe(0);
    const r = await get(80, '/x.txt');
    expect([r.status, r.body, r.headers['content-type'], r.headers.server]).toEqual([200, 'custom\n', 'text/plain', 'nginx/1.25.3']);
    expect((await get(80, '/')).headers['content-length']).toBe('615');
    await until('the access log line', () => /"GET \/x\.txt HTTP\/1\.1" 200 7 "-" "-" "-"\n/.test(a.stdout.text));
    a.abort.abort();
    await attached;
    expect((await pod.programs.exec(c, ['nginx', '-v'], new AbortController().signal)).stderr.toString()).toBe('nginx version: nginx/1.25.3\n');
  });

  it("nginx without its image files still serves the default page", async () => {
    pod.close();
    pod = makePod({ imageFiles: false });
    pod.start('web', {}, 'docker.io/library/nginx:latest');
    const page = await get(80, '/');
    expect([page.status, page.headers.server, page.headers['content-length']]).toEqual([200, 'nginx/1.27.5', '615']);
    expect((await get(80, '/other')).status).toBe(404);
  });

  it("cri-tools' hostnet-nginx serves on 12003, as its conf.d says", async () => {
    const c = pod.start('web', {}, 'gcr.io/k8s-staging-cri-tools/hostnet-nginx-amd64:latest');
    const page = await get(12003, '/');
    expect([page.status, page.headers.server]).toEqual([200, 'nginx/1.25.0']);
    expect(page.body).toContain('<title>Welcome to nginx!</title>');
    expect((await connect(80).catch((e) => e)).code).toBe('ECONNREFUSED');
    expect((await pod.programs.exec(c, ['cat', '/etc/nginx/conf.d/default.conf'], new AbortController().signal)).stdout.toString()).toMatch(/^server {\n {4}listen {7}12003;\n/);
  });

  it("Apache httpd (critest's e2e httpd image) serves It works! on 80 with Apache's headers, logs, and stops on SIGTERM", async () => {
    const c = pod.start('web', {}, 'registry.k8s.io/e2e-test-images/httpd:2.4.39-4');
    const a = client({ stdin: false });
    const attached = pod.programs.attach(c, a.io);
    const page = await get(80, '/');
    expect([page.status, page.body]).toEqual([200, '<html><body><h1>It works!</h1></body></html>\n']);
    expect(page.headers).toMatchObject({ server: 'Apache/2.4.39 (Unix)', 'content-type': 'text/html', 'content-length': '45', 'accept-ranges': 'bytes', connection: 'close' });
    expect(page.headers.etag).toMatch(/^"2d-[0-9a-f]+"$/);
    const missing = await get(80, '/nope');
    expect([missing.status, missing.headers['content-type']]).toEqual([404, 'text/html; charset=iso-8859-1']);
    expect(missing.body).toContain('<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>');
    const dir = await get(80, '/sub');
    expect(dir.status).toBe(404);
    expect((await pod.programs.exec(c, ['sh', '-c', 'mkdir htdocs/sub && echo sub > htdocs/sub/index.html && pwd && httpd -v'], new AbortController().signal)).stdout.toString()).toBe(
      '/usr/local/apache2\nServer version: Apache/2.4.39 (Unix)\n',
    );
    const moved = await get(80, '/sub');
    expect([moved.status, moved.headers.location]).toEqual([301, 'http://localhost/sub/']);
    expect((await get(80, '/sub/')).body).toBe('sub\n');
    // Keep-alive: two answers on one connection.
    const sock = await connected(80);
    const all = readAll(sock);
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = (await all).toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\nDate: .* GMT\r\nServer: Apache\/2\.4\.39 \(Unix\)\r\nLast-Modified: .*\r\nETag: "2d-[0-9a-f]+"\r\nAccept-Ranges: bytes\r\nContent-Length: 45\r\nKeep-Alive: timeout=5, max=100\r\nConnection: Keep-Alive\r\nContent-Type: text\/html\r\n\r\n<html>/);
    expect(text).toMatch(/<\/html>\nHTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\nContent-Type: text\/html\r\n\r\n$/);
    await until('the access log', () => /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/ HTTP\/1\.1" 200 45\n/m.test(a.stdout.text));
    expect(a.stdout.text).toMatch(/"HEAD \/ HTTP\/1\.1" 200 -\n/);
    expect(a.stderr.text).toMatch(/^AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using 10\.0\.0\.5\. Set the 'ServerName' directive globally to suppress this message\n/);
    expect(a.stderr.text).toMatch(/\[mpm_event:notice\] \[pid 1:tid \d+\] AH00489: Apache\/2\.4\.39 \(Unix\) configured -- resuming normal operations\n/);
    await pod.programs.stop(c.id, 10_000);
    expect(pod.exits.get(c.id)).toBe(0);
    await attached;
    expect(a.stderr.text).toMatch(/AH00491: caught SIGTERM, shutting down\n$/);
  });

  it('agnhost netexec serves its endpoints on --http-port', async () => {
    pod.start('net', { args: ['netexec', '--http-port=8080', '--udp-port=-1'] }, 'registry.k8s.io/e2e-test-images/agnhost:2.53');
    expect((await get(8080, '/hostname')).body).toBe('pod-host');
    expect((await get(8080, '/echo?msg=hello%20there')).body).toBe('hello there');
    expect((await get(8080, '/clientip')).body).toMatch(/^127\.0\.0\.1:\d+$/);
    const health = await get(8080, '/healthz');
    expect([health.status, health.body, health.headers['content-length']]).toEqual([200, '', '0']);
    expect(JSON.parse((await get(8080, '/shell?cmd=echo%20hi%3B%20exit%203')).body)).toEqual({ output: 'hi\n', error: 'exit status 3' });
    const root = await get(8080, '/');
    expect(root.body).toMatch(/^NOW: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(root.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('busybox httpd -p -h, in the background, serves files', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const r = await pod.programs.exec(c, ['sh', '-c', 'mkdir /www && echo hi > /www/index.html && httpd -p 8000 -h /www'], new AbortController().signal);
    expect(r.exitCode).toBe(0);
    const page = await get(8000, '/');
    expect([page.status, page.body, page.headers['content-type'], page.headers.connection]).toEqual([200, 'hi\n', 'text/html', 'close']);
    const missing = await get(8000, '/nope');
    expect([missing.status, missing.body]).toEqual([404, '<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\nThe requested URL was not found\n</BODY></HTML>\n']);
  });
});

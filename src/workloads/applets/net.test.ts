import { describe, expect, it } from 'vitest';
import { until } from '../../test/wait';
import { chunkBuffer } from '../procs/streams';
import { applets } from './index';
import { MemoryPodNetwork } from '../net/memory';
import type { Connection, PodNetwork } from '../net/types';
import { memoryContainer } from './test-context';

function setup() {
  const net = new MemoryPodNetwork(['10.244.0.5'], 'test-pod');
  return { net, ...memoryContainer(applets, { info: { net } }) };
}

async function readAll(c: Connection): Promise<string> {
  let s = '';
  for (let x = await c.input.read(); x !== null; x = await c.input.read()) s += chunkBuffer(x).toString();
  return s;
}

// A tiny HTTP server on the pod network: answers each request with `reply`
// and remembers what it was asked.
function httpServer(net: PodNetwork, port: number, reply: (path: string) => string) {
  const l = net.listen(port);
  const requests: string[] = [];
  const stop = new AbortController();
  void (async () => {
    for (;;) {
      let conn: Connection;
      try {
        conn = await l.accept(stop.signal);
      } catch {
        return;
      }
      let req = '';
      while (!req.includes('\r\n\r\n')) {
        const x = await conn.input.read();
        if (x === null) break;
        req += chunkBuffer(x).toString();
      }
      requests.push(req);
      const path = /^\w+ (\S+)/.exec(req)?.[1] ?? '/';
      await conn.output.write(reply(path));
      conn.close();
    }
  })();
  return { requests, close: () => (stop.abort(), l.close()) };
}

describe('the pod network', () => {
  it('connects to listeners on loopback and the pod IP, refuses otherwise', async () => {
    const net = new MemoryPodNetwork(['10.244.0.5'], 'web');
    const l = net.listen(80);
    expect(() => net.listen(80)).toThrow('Address already in use');
    const a = await net.connect('127.0.0.1', 80);
    const b = await l.accept();
    await a.output.write('ping');
    a.output.close();
    expect(await readAll(b)).toBe('ping');
    await net.connect('10.244.0.5', 80);
    await expect(net.connect('127.0.0.1', 81)).rejects.toThrow('Connection refused');
    await expect(net.connect('8.8.8.8', 80)).rejects.toThrow('No route to host');
    expect(net.resolve('localhost')).toBe('127.0.0.1');
    expect(net.resolve('web')).toBe('10.244.0.5');
    expect(net.resolve('example.com')).toBeUndefined();
    l.close();
    await expect(net.connect('127.0.0.1', 80)).rejects.toThrow('Connection refused');
  });
});

describe('wget', () => {
  it('fetches a page to stdout and to a file', async () => {
    const { net, container: c } = setup();
    const srv = httpServer(net, 8080, (path) => `HTTP/1.1 200 OK\r\nContent-Length: ${path.length + 1}\r\n\r\n${path}\n`);
    const r = await c.exec(['wget', '-q', '-O', '-', 'http://localhost:8080/hello']);
    expect(r).toMatchObject({ status: 0, stdout: '/hello\n', stderr: '' });
    expect(srv.requests[0]).toBe('GET /hello HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: Wget\r\nConnection: close\r\n\r\n');
    const f = await c.exec(['wget', 'http://127.0.0.1:8080/x/page.html'], { cwd: '/tmp' });
    expect(f.status).toBe(0);
    expect(f.stderr).toBe("Connecting to 127.0.0.1:8080 (127.0.0.1:8080)\nsaving to 'page.html'\n'page.html' saved\n");
    expect((await c.exec(['cat', '/tmp/page.html'])).stdout).toBe('/x/page.html\n');
    expect((await c.exec(['wget', '-q', '--spider', 'http://10.244.0.5:8080/'])).status).toBe(0);
    srv.close();
  });

  it('reads chunked bodies and follows redirects', async () => {
    const { net, container: c } = setup();
    const srv = httpServer(net, 80, (path) =>
      path === '/old'
        ? 'HTTP/1.1 301 Moved\r\nLocation: /new\r\n\r\n'
        : 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
    );
    expect((await c.exec(['wget', '-q', '-O', '-', 'http://localhost/old'])).stdout).toBe('abcde');
    srv.close();
  });

  it('says busybox words for refusals, errors and bad names', async () => {
    const { net, container: c } = setup();
    expect(await c.exec(['wget', '-q', '-O', '-', 'http://127.0.0.1:9/'])).toMatchObject({
      status: 1,
      stderr: "wget: can't connect to remote host (127.0.0.1): Connection refused\n",
    });
    expect(await c.exec(['wget', '-q', 'http://nowhere.example/'])).toMatchObject({ status: 1, stderr: "wget: bad address 'nowhere.example'\n" });
    // parse_url: no "://" is http; xconnect names an IPv4 address only.
    expect(await c.exec(['wget', '-q', 'notaurl'])).toMatchObject({ status: 1, stderr: "wget: bad address 'notaurl'\n" });
    expect(await c.exec(['wget', '-q', 'http://[::1]:9/'])).toMatchObject({ status: 1, stderr: "wget: can't connect to remote host: Connection refused\n" });
    const srv = httpServer(net, 8081, () => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    expect(await c.exec(['wget', '-q', '-O', '-', 'http://localhost:8081/x'])).toMatchObject({
      status: 1,
      stderr: 'wget: server returned error: HTTP/1.1 404 Not Found\n',
    });
    expect((await c.exec(['wget', '-q', '--spider', 'http://localhost:8081/x'])).status).toBe(1);
    srv.close();
  });

  it('times out with -T', async () => {
    const { net, container: c } = setup();
    const l = net.listen(8082);
    const r = await c.exec(['wget', '-q', '-T', '0.1', '-O', '-', 'http://localhost:8082/']);
    expect(r).toMatchObject({ status: 1, stderr: 'wget: download timed out\n' });
    l.close();
  });
});

describe('nc', () => {
  it('talks to a listener and exchanges data both ways', async () => {
    const { net, container: c } = setup();
    const l = net.listen(7000);
    const client = c.exec(['nc', '127.0.0.1', '7000'], { input: 'question\n' });
    const conn = await l.accept();
    expect(await readAll(conn)).toBe('question\n');
    await conn.output.write('answer\n');
    conn.close();
    expect(await client).toMatchObject({ status: 0, stdout: 'answer\n' });
    l.close();
  });

  it('serves with -l -p, and an nc client reaches it', async () => {
    const { container: c } = setup();
    const server = c.exec(['nc', '-l', '-p', '7001'], { input: 'from server\n' });
    let res;
    await until('server listening', async () => {
      res = await c.exec(['nc', 'localhost', '7001'], { input: 'from client\n' });
      return res.status === 0 ? res : undefined;
    });
    expect(res).toMatchObject({ stdout: 'from server\n' });
    expect(await server).toMatchObject({ status: 0, stdout: 'from client\n' });
  });

  it('-e runs a program on the connection; -lk keeps serving; -z probes', async () => {
    const { net, container: c } = setup();
    let pid = 0;
    const server = c.start(['nc', '-lk', '-p', '7002', '-e', 'cat'], { env: { PATH: '/bin' }, onSpawn: (p) => (pid = p.pid) });
    await until('listener', async () => (await c.exec(['nc', '-z', '127.0.0.1', '7002'])).status === 0);
    for (const word of ['one', 'two']) {
      const conn = await net.connect('127.0.0.1', 7002);
      await conn.output.write(word);
      conn.output.close();
      expect(await readAll(conn)).toBe(word);
    }
    // The server is the container's pid 1: only SIGKILL ends it.
    expect(pid).toBe(1);
    c.procs.kill(pid, 'TERM', { uid: 0, gid: 0, groups: [] });
    expect((await c.exec(['nc', '-z', '127.0.0.1', '7002'])).status).toBe(0);
    c.procs.signal(pid, 'KILL');
    expect(await server).toBe(137);
    expect((await c.exec(['nc', '-z', '127.0.0.1', '7002'])).status).toBe(1);
    expect(await c.exec(['nc', '127.0.0.1', '7002'])).toMatchObject({ status: 1, stderr: '' });
    expect(await c.exec(['nc', '-v', '127.0.0.1', '7002'])).toMatchObject({ status: 1, stderr: '' });
    expect(await c.exec(['nc', '-vv', '127.0.0.1', '7002'])).toMatchObject({ status: 1, stderr: 'nc: 127.0.0.1 (127.0.0.1:7002): Connection refused\n' });
    expect(await c.exec(['nc', 'nowhere', '1'])).toMatchObject({ status: 1, stderr: "nc: bad address 'nowhere'\n" });
  });
});

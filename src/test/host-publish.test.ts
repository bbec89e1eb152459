import { request } from 'node:http';
import { type Server, connect, createServer } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { captureLog } from './log-capture';
import { needs } from './skip';
import { canListen, freePort, readAll } from './tcp';
import { stays, until } from './wait';

// network.publish: pods reached from the host over real TCP, as critest
// does: http://podIP:port with pod IPs in 127.0.0.0/8, http://127.0.0.1:hostPort
// for a port mapping, and a host-network pod's own ports.

const CIDR = '127.213.0.0/16';
const notRoot = process.getuid?.() !== 0 ? 'binding port 80 (nginx) needs root' : undefined;

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

// The page once something serves it (the program starts on its own time).
const served = (url: string) => until(`${url} to answer`, () => get(url).catch(() => undefined));
const refused = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => (s.destroy(), resolve(false))).once('error', () => resolve(true));
  });

describe('network.publish', () => {
  let h: Harness;
  const taken: Server[] = [];
  afterEach(async () => {
    for (const s of taken.splice(0)) s.close();
    await h?.close();
  });

  async function start(network: object, opts: { log?: ReturnType<typeof captureLog>['log'] } = {}) {
    h = await startHarness({ runtime: { start_log_line: '' }, network: { default_pod_cidr: CIDR, ...network } }, undefined, opts);
    await h.img('PullImage', { image: { image: 'busybox' } });
  }

  async function pod(name: string, o: { hostNetwork?: boolean; portMappings?: object[] } = {}) {
    const cfg = { ...podConfig(name, { logDir: join(h.dir, 'logs', name), hostNetwork: o.hostNetwork }), port_mappings: o.portMappings ?? [] };
    const id = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    const ip = (await h.rt('PodSandboxStatus', { pod_sandbox_id: id })).status.network?.ip as string;
    const run = async (cname: string, command: string[], image = 'busybox') => {
      const cc = { ...containerConfig(cname, image), command, args: [] };
      const cid = (await h.rt('CreateContainer', { pod_sandbox_id: id, config: cc, sandbox_config: cfg })).container_id as string;
      await h.rt('StartContainer', { container_id: cid });
      return cid;
    };
    return { id, ip, run };
  }
  const exec = async (id: string, cmd: string[]) => {
    const r = await h.rt('ExecSync', { container_id: id, cmd, timeout: 10 });
    return { code: r.exit_code as number, out: Buffer.from(r.stdout).toString() };
  };
  const httpd = (port: number) => ['sh', '-c', `mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p ${port} -h /www`];

  it('a pod IP in 127/8: nc -l and busybox httpd reached at podIP:port from the host, FIN both ways', async () => {
    await start({ publish: true });
    const p = await pod('web');
    expect(p.ip).toMatch(/^127\.213\.0\.\d+$/);
    const [ncPort, httpPort] = [await freePort(), await freePort()];
    const nc = await p.run('nc', ['sh', '-c', `echo greetings | nc -l -p ${ncPort} > /tmp/got; sleep 3600`]);
    await p.run('httpd', httpd(httpPort));
    expect(await served(`http://${p.ip}:${httpPort}/`)).toEqual({ status: 200, body: 'hello from web\n' });
    const sock = await until('nc listening', () =>
      new Promise<ReturnType<typeof connect> | undefined>((resolve) => {
        const s = connect(ncPort, p.ip);
        s.once('connect', () => resolve(s)).once('error', () => resolve(undefined));
      }),
    );
    const back = readAll(sock);
    sock.end('hello from the host\n');
    expect(await back).toEqual({ data: 'greetings\n', how: 'end' });
    await until('nc to save what it got', async () => (await exec(nc, ['cat', '/tmp/got'])).out === 'hello from the host\n');
    // Only the pod's IP: nothing on the host's loopback.
    expect(await refused('127.0.0.1', httpPort)).toBe(true);
  });

  it('nginx serves its page at podIP:80', needs(notRoot), async () => {
    await start({ publish: true });
    await h.img('PullImage', { image: { image: 'nginx' } });
    const p = await pod('nginx');
    await p.run('nginx', [], 'nginx');
    const page = await served(`http://${p.ip}:80/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Welcome to nginx!');
  });

  it('a port mapping listens on the host from RunPodSandbox to StopPodSandbox, again after a restart', async () => {
    await start({ publish: true });
    const [hostPort, containerPort] = [await freePort(), await freePort()];
    const p = await pod('mapped', { portMappings: [{ protocol: 'TCP', container_port: containerPort, host_port: hostPort }] });
    await until('the host port bound', async () => !(await canListen('0.0.0.0', hostPort)));
    // Nothing listens in the pod yet: the connection is reset, not left hanging.
    expect(await readAll(connect(hostPort, '127.0.0.1'))).toEqual({ data: '', how: 'reset' });
    await p.run('httpd', httpd(containerPort));
    expect(await served(`http://127.0.0.1:${hostPort}/`)).toEqual({ status: 200, body: 'hello from mapped\n' });
    await h.restart();
    expect(await served(`http://127.0.0.1:${hostPort}/`)).toEqual({ status: 200, body: 'hello from mapped\n' });
    // A connection left open is dropped with the pod.
    const open = connect(hostPort, '127.0.0.1');
    const dropped = readAll(open);
    await new Promise((r) => open.once('connect', r));
    await h.rt('StopPodSandbox', { pod_sandbox_id: p.id });
    await dropped;
    await until('the host port free', () => canListen('0.0.0.0', hostPort));
    await until('the pod port free', () => canListen(p.ip, containerPort));
  });

  it("a host-network pod's listener listens on the host; stopping the container or removing the pod frees it", async () => {
    await start({ publish: true });
    const port = await freePort('0.0.0.0');
    const p = await pod('hostnet', { hostNetwork: true });
    expect(p.ip ?? '').toBe('');
    const c = await p.run('httpd', httpd(port));
    expect(await served(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, body: 'hello from hostnet\n' });
    await h.rt('StopContainer', { container_id: c, timeout: 1 });
    await until('the port free', () => canListen('0.0.0.0', port));
    await p.run('httpd2', httpd(port));
    await served(`http://127.0.0.1:${port}/`);
    await h.rt('RemovePodSandbox', { pod_sandbox_id: p.id });
    await until('the port free', () => canListen('0.0.0.0', port));
  });

  it('nothing leaks: after RemovePodSandbox fakecri holds no more fds than before the pod', async () => {
    await start({ publish: true });
    const fds = () => readdirSync('/proc/self/fd').length;
    const [hostPort, port] = [await freePort(), await freePort()];
    const before = fds();
    const p = await pod('leak', { portMappings: [{ container_port: port, host_port: hostPort }] });
    await p.run('httpd', httpd(port));
    for (const url of [`http://127.0.0.1:${hostPort}/`, `http://${p.ip}:${port}/`]) await served(url);
    // Connections left open, one each way in.
    const open = [connect(hostPort, '127.0.0.1'), connect(port, p.ip)];
    await Promise.all(open.map((s) => new Promise((r) => s.once('connect', r))));
    const closed = Promise.all(open.map(readAll));
    expect(fds()).toBeGreaterThan(before);
    await h.rt('RemovePodSandbox', { pod_sandbox_id: p.id });
    await closed;
    await until('the fds back to before the pod', () => fds() <= before);
  });

  it('publish = false (the default) publishes nothing', async () => {
    await start({});
    const [hostPort, port] = [await freePort(), await freePort()];
    const p = await pod('quiet', { portMappings: [{ container_port: port, host_port: hostPort }] });
    const c = await p.run('httpd', httpd(port));
    await until('httpd serving in the pod', async () => (await exec(c, ['wget', '-qO-', `http://127.0.0.1:${port}/`])).out === 'hello from quiet\n');
    await stays('nothing on the host', async () => (await refused(p.ip, port)) && (await refused('127.0.0.1', hostPort)), 300);
  });

  it('a port taken on the host is logged; the pod serves in memory all the same', async () => {
    const capture = captureLog('warn');
    await start({ publish: true }, { log: capture.log });
    const hostPort = await freePort('0.0.0.0');
    const other = createServer((s) => s.end('not the pod\n'));
    taken.push(other);
    await new Promise<void>((r) => other.listen(hostPort, '0.0.0.0', r));
    const p = await pod('clash', { portMappings: [{ container_port: 8080, host_port: hostPort }] });
    const c = await p.run('httpd', httpd(8080));
    await until('the warning', () => capture.text().includes('cannot publish a pod port on the host'));
    expect(capture.text()).toContain(`"address":"0.0.0.0:${hostPort}"`);
    expect(capture.text()).toContain('"err":"EADDRINUSE"');
    await until('httpd serving in the pod', async () => (await exec(c, ['wget', '-qO-', 'http://127.0.0.1:8080/'])).out === 'hello from clash\n');
    expect((await readAll(connect(hostPort, '127.0.0.1'))).data).toBe('not the pod\n');
  });
});

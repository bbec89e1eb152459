import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildGoPeer, runPeer, type Ran } from './go-peer';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { needs } from './skip';
import { until } from './wait';

// Exec, Attach and PortForward through client-go's own streaming code, the
// code crictl and kubectl run once the CRI call has answered a URL:
// remotecommand's SPDY and WebSocket executors (and kubectl's fallback from
// one to the other), portforward over SPDY and tunnelled in a WebSocket
// (e2e/clients/kube-stream, on Debian's golang-k8s-client-go-dev).

// Debian 13 has client-go; Debian 12 does not (scripts/test-deps.sh).
const CLIENT_GO = '/usr/share/gocode/src/k8s.io/client-go/tools/remotecommand/websocket.go';
const noClientGo = existsSync(CLIENT_GO) ? undefined : 'golang-k8s-client-go-dev is not installed (Debian 12 does not have it): see scripts/test-deps.sh';

let client: string;
beforeAll(() => {
  if (noClientGo) return;
  client = buildGoPeer('kube-stream', [
    { importPath: 'k8s.io/client-go/tools/remotecommand', debianPackage: 'golang-k8s-client-go-dev' },
    { importPath: 'github.com/moby/spdystream', debianPackage: 'golang-github-docker-spdystream-dev' },
  ]);
}, 600_000);

function kube(args: string[], input?: string): Promise<Ran> {
  return runPeer(client, args, input ?? '');
}

const TRANSPORTS = ['spdy', 'websocket'] as const;

function pod(config: object) {
  let h: Harness;
  let sandbox: string;
  beforeEach(async () => {
    h = await startHarness({ runtime: { start_log_line: '' }, ...config });
    await h.img('PullImage', { image: { image: 'busybox' } });
    await h.img('PullImage', { image: { image: 'nginx' } });
    sandbox = (await h.rt('RunPodSandbox', { config: podConfig('pod-k', { logDir: join(h.dir, 'logs') }) })).pod_sandbox_id as string;
  });
  afterEach(() => h.close());
  return {
    h: () => h,
    sandbox: () => sandbox,
    async start(name: string, command: string[], extra: object = {}, image = 'busybox') {
      const cfg = podConfig('pod-k', { logDir: join(h.dir, 'logs') });
      const cc = { ...containerConfig(name, image), command, args: [], ...extra };
      const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
      await h.rt('StartContainer', { container_id: id });
      return id;
    },
    // As crictl exec asks: stdout always, stderr unless a tty.
    async execUrl(id: string, cmd: string[], o: { stdin?: boolean; tty?: boolean } = {}) {
      return (await h.rt('Exec', { container_id: id, cmd, stdin: !!o.stdin, stdout: true, stderr: !o.tty, tty: !!o.tty })).url as string;
    },
  };
}

describe('client-go streaming (what crictl and kubectl run)', needs(noClientGo), () => {
  const p = pod({});

  for (const t of TRANSPORTS) {
    it(`exec over ${t}: output, stderr and the exit code`, async () => {
      const id = await p.start('c', ['sleep', 'infinity']);
      const r = await kube(['exec', await p.execUrl(id, ['sh', '-c', 'echo out; echo err >&2; exit 3']), '-transport', t]);
      expect(r).toEqual({ code: 3, out: 'out\n', err: 'err\nkube-stream: command terminated with exit code 3\n' });
      expect(await kube(['exec', await p.execUrl(id, ['true']), '-transport', t])).toEqual({ code: 0, out: '', err: '' });
    });

    it(`exec -i over ${t}: cat copies stdin and ends at its end`, async () => {
      const id = await p.start('c', ['sleep', 'infinity']);
      const input = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join('');
      const r = await kube(['exec', await p.execUrl(id, ['cat'], { stdin: true }), '-transport', t, '-stdin'], input);
      expect(r).toEqual({ code: 0, out: input, err: '' });
    });

    it(`exec -it over ${t}: a terminal of the client's size, output in CR/LF`, async () => {
      const id = await p.start('c', ['sleep', 'infinity']);
      const url = await p.execUrl(id, ['sh', '-c', 'stty size; [ -t 0 ] && echo tty'], { tty: true, stdin: true });
      const r = await kube(['exec', url, '-transport', t, '-tty', '-stdin', '-resize', '100x40']);
      expect(r.code).toBe(0);
      expect(r.out).toBe('40 100\r\ntty\r\n');
    });

    it(`attach over ${t}: a line to a shell's stdin runs, its end (stdin_once) ends the shell`, async () => {
      const id = await p.start('sh', ['/bin/sh'], { stdin: true, stdin_once: true });
      const url = (await p.h().rt('Attach', { container_id: id, stdin: true, stdout: true, stderr: true })).url as string;
      expect(url).toMatch(/\/attach\//);
      const r = await kube(['exec', url, '-transport', t, '-stdin'], 'echo hello; echo oops >&2\n');
      expect(r).toEqual({ code: 0, out: 'hello\n', err: 'oops\n' });
      await until('the shell to exit', async () => (await p.h().rt('ContainerStatus', { container_id: id })).status.state === 'CONTAINER_EXITED');
    });

    it(`port-forward over ${t} to nginx and to a shell's nc -l; a closed port is refused`, async () => {
      await p.start('web', [], {}, 'nginx');
      await p.start('nc', ['sh', '-c', 'while true; do echo hello from nc | nc -l -p 8080; done']);
      const pf = async () => (await p.h().rt('PortForward', { pod_sandbox_id: p.sandbox(), port: [] })).url as string;
      let web!: Ran;
      await until('nginx to answer', async () => (web = await kube(['portforward', await pf(), '80', '-transport', t], 'GET / HTTP/1.0\r\n\r\n')).out !== '');
      expect(web.code).toBe(0);
      expect(web.out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(web.out).toContain('Welcome to nginx!');
      await until('nc to listen', async () => (await kube(['portforward', await pf(), '8080', '-transport', t])).out === 'hello from nc\n');
      const closed = await kube(['portforward', await pf(), '9999', '-transport', t]);
      expect(closed.out).toBe('');
      expect(closed.err).toContain(`error forwarding port 9999 to pod ${p.sandbox()}, uid : failed to execute portforward`);
      expect(closed.err).toContain('connect: connection refused');
    });
  }

  it("exec as kubectl does by default: WebSocket, falling back to SPDY", async () => {
    const id = await p.start('c', ['sleep', 'infinity']);
    const r = await kube(['exec', await p.execUrl(id, ['sh', '-c', 'cat; exit 2'], { stdin: true }), '-transport', 'fallback', '-stdin'], 'piped\n');
    expect(r).toEqual({ code: 2, out: 'piped\n', err: 'kube-stream: command terminated with exit code 2\n' });
  });
});

describe('client-go and streaming.max_stream_bytes', needs(noClientGo), () => {
  const p = pod({ streaming: { max_stream_bytes: '32Ki' } });

  for (const t of TRANSPORTS) {
    it(`over ${t}: output stops at the limit and the client says why`, async () => {
      const id = await p.start('c', ['sleep', 'infinity']);
      const r = await kube(['exec', await p.execUrl(id, ['cat', '/dev/zero']), '-transport', t]);
      expect(r.code).toBe(1);
      expect(r.out.length).toBe(32 * 1024);
      expect(r.err).toContain('error executing command in container: the stdout stream reached streaming.max_stream_bytes (32768 bytes)');
    });

    it(`port-forward over ${t}: a connection ends at the limit, the forwarder reports why`, async () => {
      await p.start('nc', ['sh', '-c', 'while true; do cat /dev/zero | nc -l -p 8080; done']);
      const pf = async () => (await p.h().rt('PortForward', { pod_sandbox_id: p.sandbox(), port: [] })).url as string;
      let r!: Ran;
      await until('nc to listen and send', async () => (r = await kube(['portforward', await pf(), '8080', '-transport', t])).out !== '');
      expect(r.out.length).toBeLessThanOrEqual(32 * 1024);
      expect(r.err).toContain(`error forwarding port 8080 to pod ${p.sandbox()}, uid : the data stream reached streaming.max_stream_bytes (32768 bytes)`);
    });
  }
});

import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildGoPeer, runPeer, type Ran } from './go-peer';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { until } from './wait';

// Exec, Attach and PortForward as clients use them: the RPC hands out a
// URL, a real SPDY client (moby/spdystream, in e2e/clients/stream-client)
// or a real WebSocket client (ws) connects to it.

let client: string;
beforeAll(() => {
  client = buildGoPeer('stream-client', [{ importPath: 'github.com/moby/spdystream', debianPackage: 'golang-github-docker-spdystream-dev' }]);
}, 120_000);

function runClient(args: string[], input?: string, onSpawn?: (kill: () => void) => void): Promise<Ran> {
  return runPeer(client, args, input, onSpawn);
}

// A v4.channel.k8s.io WebSocket session: what came on each channel.
function wsSession(url: string, protocol: string, stdin?: string): Promise<{ channels: Map<number, string>; protocol: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), [protocol]);
    const channels = new Map<number, string>();
    ws.on('open', () => {
      if (stdin !== undefined) {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
        if (protocol.startsWith('v5.')) ws.send(Buffer.from([255, 0]));
      }
    });
    ws.on('message', (data: Buffer) => {
      if (data.byteLength === 0) return;
      channels.set(data[0], (channels.get(data[0]) ?? '') + data.subarray(1).toString());
    });
    ws.on('error', reject);
    ws.on('close', () => resolve({ channels, protocol: ws.protocol }));
  });
}

function httpStatus(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, body: '' });
      })
      .on('error', reject)
      .end();
  });
}

describe('streaming', () => {
  let h: Harness;
  let sandbox: string;
  beforeEach(async () => {
    h = await startHarness({ runtime: { start_log_line: '' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
    await h.img('PullImage', { image: { image: 'nginx' } });
    const cfg = podConfig('pod-s', { logDir: join(h.dir, 'logs') });
    sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
  });
  afterEach(() => h.close());

  async function start(name: string, command: string[], extra: object = {}, image = 'busybox') {
    const cfg = podConfig('pod-s', { logDir: join(h.dir, 'logs') });
    const cc = { ...containerConfig(name, image), command, args: [], ...extra };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
    await h.rt('StartContainer', { container_id: id });
    return id;
  }
  const execUrl = async (id: string, cmd: string[], o: { stdin?: boolean; tty?: boolean } = {}) =>
    (await h.rt('Exec', { container_id: id, cmd, stdin: !!o.stdin, stdout: true, stderr: !o.tty, tty: !!o.tty })).url as string;

  it('exec over SPDY: output, stderr and the exit code reach the client, and the command sees the program\'s files', async () => {
    const id = await start('c', ['sh', '-c', 'echo ready > /tmp/mark; sleep infinity']);
    await until('the program to write its mark', async () => (await h.rt('ExecSync', { container_id: id, cmd: ['cat', '/tmp/mark'], timeout: 5 })).exit_code === 0);
    const url = await execUrl(id, ['sh', '-c', 'cat /tmp/mark; echo oops >&2; exit 3']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]{8}$/);
    const r = await runClient(['exec', url]);
    expect(r).toEqual({ code: 3, out: 'ready\n', err: 'oops\ncommand terminated with exit code 3\n' });
  });

  it('exec with stdin: cat copies it and ends when the client closes stdin', async () => {
    const id = await start('c', ['sleep', 'infinity']);
    const r = await runClient(['exec', await execUrl(id, ['cat'], { stdin: true }), '-stdin'], 'one\ntwo\n');
    expect(r).toEqual({ code: 0, out: 'one\ntwo\n', err: '' });
  });

  it('exec with a tty: a terminal of the size the client sends, output in CR/LF', async () => {
    const id = await start('c', ['sleep', 'infinity']);
    const r = await runClient(['exec', await execUrl(id, ['sh', '-c', 'stty size; [ -t 1 ] && echo tty'], { tty: true }), '-tty', '-resize', '100x40']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('40 100\r\ntty\r\n');
  });

  it('older protocols: v2 gives a failure as text and no exit code', async () => {
    const id = await start('c', ['sleep', 'infinity']);
    const r = await runClient(['exec', await execUrl(id, ['sh', '-c', 'exit 2']), '-protocols', 'v2.channel.k8s.io']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('command terminated with non-zero exit code: error executing command [sh -c exit 2], exit code 2');
  });

  it('a token is good once, and an unknown one is 404', async () => {
    const id = await start('c', ['sleep', 'infinity']);
    const url = await execUrl(id, ['true']);
    expect((await runClient(['exec', url])).code).toBe(0);
    const again = await runClient(['exec', url]);
    expect(again.code).toBe(4);
    expect(again.err).toContain('HTTP 404');
    expect((await httpStatus(url.replace(/[^/]+$/, 'AAAAAAAA'))).status).toBe(404);
  });

  it('a protocol the server does not speak is refused with 403', async () => {
    const id = await start('c', ['sleep', 'infinity']);
    const r = await runClient(['exec', await execUrl(id, ['true']), '-protocols', 'v9.channel.k8s.io']);
    expect(r.code).toBe(4);
    expect(r.err).toContain('HTTP 403');
    expect(r.err).toContain('unable to negotiate protocol');
  });

  it('the CRI checks what the kubelet and containerd check', async () => {
    const id = await start('c', ['sleep', 'infinity']);
    await expect(h.rt('Exec', { container_id: id, cmd: ['sh'], tty: true, stderr: true, stdout: true })).rejects.toThrow(/INVALID_ARGUMENT.*tty and stderr cannot both be true/);
    await expect(h.rt('Exec', { container_id: id, cmd: ['sh'] })).rejects.toThrow(/INVALID_ARGUMENT.*one of stdin, stdout, or stderr/);
    await expect(h.rt('Exec', { container_id: 'nope', cmd: ['sh'], stdout: true })).rejects.toThrow(/NOT_FOUND/);
    await expect(h.rt('PortForward', { pod_sandbox_id: sandbox, port: [70000] })).rejects.toThrow(/INVALID_ARGUMENT.*port\[0\]/);
    await h.rt('StopContainer', { container_id: id, timeout: 0 });
    await expect(h.rt('Exec', { container_id: id, cmd: ['sh'], stdout: true })).rejects.toThrow(/FAILED_PRECONDITION.*container is in CONTAINER_EXITED state/);
    await expect(h.rt('Attach', { container_id: id, stdout: true })).rejects.toThrow(/FAILED_PRECONDITION/);
  });

  it('killing the client stops the command', async () => {
    const id = await start('c', ['sleep', 'infinity']);
    const ps = async () => Buffer.from((await h.rt('ExecSync', { container_id: id, cmd: ['ps'], timeout: 5 })).stdout).toString();
    let kill!: () => void;
    const done = runClient(['exec', await execUrl(id, ['sleep', '1234'])], undefined, (k) => (kill = k));
    await until('the exec to run', async () => (await ps()).includes('sleep 1234'));
    kill();
    await done;
    await until('the command to be gone', async () => !(await ps()).includes('sleep 1234'));
    expect(await ps()).toContain('sleep infinity');
  });

  it('exec over WebSocket, v4 and v5 with the close channel', async () => {
    const id = await start('c', ['sleep', 'infinity']);
    const v4 = await wsSession(await execUrl(id, ['sh', '-c', 'echo out; echo err >&2; exit 5']), 'v4.channel.k8s.io');
    expect(v4.protocol).toBe('v4.channel.k8s.io');
    expect(v4.channels.get(1)).toBe('out\n');
    expect(v4.channels.get(2)).toBe('err\n');
    expect(JSON.parse(v4.channels.get(3)!)).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '5' }] } });
    const v5 = await wsSession(await execUrl(id, ['cat'], { stdin: true }), 'v5.channel.k8s.io', 'piped');
    expect(v5.channels.get(1)).toBe('piped');
    expect(JSON.parse(v5.channels.get(3)!)).toEqual({ metadata: {}, status: 'Success' });
  });

  it('attach: the program reads the client\'s stdin and its output follows live', async () => {
    const id = await start('a', ['sh', '-c', 'echo before; read line; echo "got $line"; sleep infinity'], { stdin: true, stdin_once: true });
    const url = (await h.rt('Attach', { container_id: id, stdin: true, stdout: true, stderr: true })).url as string;
    expect(url).toMatch(/\/attach\//);
    let kill!: () => void;
    const p = spawn(client, ['exec', url, '-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
    kill = () => p.kill('SIGKILL');
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stdin.write('hello\n');
    await until('the program to answer', () => out.includes('got hello'));
    expect(out).not.toContain('before');
    kill();
    await new Promise((r) => p.on('close', r));
    // Detaching left the program running.
    expect((await h.rt('ContainerStatus', { container_id: id })).status.state).toBe('CONTAINER_RUNNING');
  });

  it('attach to a shell as critest does: a line runs, and the end of stdin (stdin_once) ends the shell and the attach', async () => {
    const id = await start('sh', ['/bin/sh'], { stdin: true, stdin_once: true });
    const url = (await h.rt('Attach', { container_id: id, stdin: true, stdout: true, stderr: true })).url as string;
    const r = await runClient(['exec', url, '-stdin'], 'echo hello\n');
    expect(r).toEqual({ code: 0, out: 'hello\n', err: '' });
    await until('the shell to exit', async () => (await h.rt('ContainerStatus', { container_id: id })).status.state === 'CONTAINER_EXITED');
    expect((await h.rt('ContainerStatus', { container_id: id })).status.exit_code).toBe(0);
  });

  it('garbage after the upgrade and clients gone mid-stream leave the server and the program unharmed', async () => {
    const id = await start('c', ['sh', '-c', 'while true; do echo tick >> /tmp/ticks; sleep 0.05; done']);
    const rawSession = (url: string, bytes: Buffer) =>
      new Promise<void>((resolve) => {
        const u = new URL(url);
        const s = connect(Number(u.port), u.hostname, () =>
          s.end(Buffer.concat([Buffer.from(`POST ${u.pathname} HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n`), bytes])),
        );
        s.on('data', () => {});
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
    for (let i = 0; i < 20; i++) {
      // A truncated SYN_STREAM, then random bytes.
      await rawSession(await execUrl(id, ['true']), Buffer.from([0x80, 3, 0, 1, 0, 0, 0, 200, 0, 0]));
      await rawSession(await execUrl(id, ['true']), Buffer.from(Array.from({ length: 64 }, (_, j) => (j * 37 + i) & 0xff)));
    }
    // A client killed while output streams to it.
    let kill!: () => void;
    const gone = runClient(['exec', await execUrl(id, ['cat', '/dev/zero'])], undefined, (k) => (kill = k));
    kill();
    await gone;
    const ticks = async () => Buffer.from((await h.rt('ExecSync', { container_id: id, cmd: ['wc', '-l', '/tmp/ticks'], timeout: 5 })).stdout).toString();
    const before = await ticks();
    await until('the program to keep writing', async () => (await ticks()) !== before);
    expect((await runClient(['exec', await execUrl(id, ['echo', 'still here'])])).out).toBe('still here\n');
  });

  it('port-forward over SPDY reaches a shell\'s nc -l and nginx; a closed port is refused', async () => {
    await start('nc', ['sh', '-c', 'echo hello from nc | nc -l -p 8080; sleep infinity']);
    await start('web', [], {}, 'nginx');
    const pf = async () => (await h.rt('PortForward', { pod_sandbox_id: sandbox, port: [] })).url as string;
    await until('nc to listen', async () => (await runClient(['portforward', await pf(), '8080'], '')).out === 'hello from nc\n');
    const web = await runClient(['portforward', await pf(), '80'], 'GET / HTTP/1.0\r\n\r\n');
    expect(web.code).toBe(0);
    expect(web.out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(web.out).toContain('Welcome to nginx!');
    const closed = await runClient(['portforward', await pf(), '9999'], '');
    expect(closed.code).toBe(1);
    expect(closed.err).toContain(`error forwarding port 9999 to pod ${sandbox}, uid : failed to execute portforward`);
    expect(closed.err).toContain('connect: connection refused');
  });
});

describe('streaming.max_stream_bytes', () => {
  const LIMIT = 64 * 1024;
  let h: Harness;
  let sandbox: string;
  beforeEach(async () => {
    h = await startHarness({ runtime: { start_log_line: '' }, streaming: { max_stream_bytes: '64Ki' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
    const cfg = podConfig('pod-l', { logDir: join(h.dir, 'logs') });
    sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
  });
  afterEach(() => h.close());

  async function start(command: string[]) {
    const cfg = podConfig('pod-l', { logDir: join(h.dir, 'logs') });
    const cc = { ...containerConfig('c', 'busybox'), command, args: [] };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
    await h.rt('StartContainer', { container_id: id });
    return id;
  }
  const execUrl = async (id: string, cmd: string[], stdin = false) =>
    (await h.rt('Exec', { container_id: id, cmd, stdin, stdout: true, stderr: true, tty: false })).url as string;
  const ps = async (id: string) => Buffer.from((await h.rt('ExecSync', { container_id: id, cmd: ['ps'], timeout: 5 })).stdout).toString();

  it('exec over SPDY: stdout stops at the limit, the command is killed, the client is told why', async () => {
    const id = await start(['sleep', 'infinity']);
    const r = await runClient(['exec', await execUrl(id, ['cat', '/dev/zero'])]);
    expect(r.code).toBe(1);
    expect(r.out.length).toBe(LIMIT);
    expect(r.err).toContain(`Internal error occurred: error executing command in container: the stdout stream reached streaming.max_stream_bytes (${LIMIT} bytes)`);
    await until('the command to be gone', async () => !(await ps(id)).includes('cat /dev/zero'));
    // Under the limit all is as before.
    expect(await runClient(['exec', await execUrl(id, ['sh', '-c', 'echo fine; exit 4'])])).toEqual({ code: 4, out: 'fine\n', err: 'command terminated with exit code 4\n' });
  });

  it('exec over SPDY: stdin past the limit ends the command with the same kind of error', async () => {
    const id = await start(['sleep', 'infinity']);
    const r = await runClient(['exec', await execUrl(id, ['sh', '-c', 'cat >/dev/null; echo read all'], true), '-stdin'], 'x'.repeat(3 * LIMIT));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`the stdin stream reached streaming.max_stream_bytes (${LIMIT} bytes)`);
  });

  it('attach: stdin past the limit detaches with the reason, and the program runs on', async () => {
    const cfg = podConfig('pod-l', { logDir: join(h.dir, 'logs') });
    const cc = { ...containerConfig('a', 'busybox'), command: ['sh', '-c', 'cat >/dev/null'], args: [], stdin: true };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
    await h.rt('StartContainer', { container_id: id });
    const url = (await h.rt('Attach', { container_id: id, stdin: true, stdout: true, stderr: true })).url as string;
    const r = await runClient(['exec', url, '-stdin'], 'z'.repeat(3 * LIMIT));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`Internal error occurred: error attaching to container: the stdin stream reached streaming.max_stream_bytes (${LIMIT} bytes)`);
    expect((await h.rt('ContainerStatus', { container_id: id })).status.state).toBe('CONTAINER_RUNNING');
    expect(await ps(id)).toContain('cat');
  });

  it('exec over WebSocket (v5): the status on the error channel says which stream reached the limit', async () => {
    const id = await start(['sleep', 'infinity']);
    const s = await wsSession(await execUrl(id, ['sh', '-c', 'cat /dev/zero >&2']), 'v5.channel.k8s.io');
    expect(s.channels.get(2)?.length).toBe(LIMIT);
    expect(JSON.parse(s.channels.get(3)!)).toMatchObject({
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
      message: `Internal error occurred: error executing command in container: the stderr stream reached streaming.max_stream_bytes (${LIMIT} bytes)`,
    });
  });

  it('port-forward over SPDY: a connection ends at the limit with the reason on its error stream, both ways', async () => {
    await start(['sh', '-c', 'cat /dev/zero | nc -l -p 8080 & nc -l -p 8081 >/dev/null & sleep infinity']);
    const pf = async () => (await h.rt('PortForward', { pod_sandbox_id: sandbox, port: [] })).url as string;
    const message = `error forwarding port 8080 to pod ${sandbox}, uid : the data stream reached streaming.max_stream_bytes (${LIMIT} bytes)`;
    let out!: Ran;
    await until('nc on 8080 to listen and send', async () => (out = await runClient(['portforward', await pf(), '8080'], '')).out.length > 0);
    expect(out.code).toBe(1);
    expect(out.out.length).toBeLessThanOrEqual(LIMIT);
    expect(out.err).toContain(message);
    const sent = await runClient(['portforward', await pf(), '8081'], 'y'.repeat(4 * LIMIT));
    expect(sent.code).toBe(1);
    expect(sent.err).toContain(message.replace('8080', '8081'));
  });
});

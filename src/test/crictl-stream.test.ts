import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPeer, type Ran } from './go-peer';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { needs } from './skip';
import { until } from './wait';

// crictl's streaming commands, the binary itself: exec (SPDY and WebSocket,
// with stdin, with a TTY under script(1)), attach and port-forward. crictl
// is a peer built from cri-tools' source (../shared/docs/peers.md) into
// KUBE_BIN_DIR; where there is none these are skipped, and client-go's same
// code is still tested in kube-stream.test.ts.

const BIN = process.env.KUBE_BIN_DIR ?? '/opt/kube-bin';
const CRICTL = join(BIN, 'crictl');
const noCrictl = existsSync(CRICTL) ? undefined : `no crictl in ${BIN} (KUBE_BIN_DIR): build it from cri-tools' source as ../shared/docs/peers.md says`;
const noScript = existsSync('/usr/bin/script') ? undefined : 'no script(1) (bsdutils) for a real TTY';

describe('crictl exec, attach and port-forward', needs(noCrictl), () => {
  let h: Harness;
  let sandbox: string;
  let config: string;
  beforeEach(async () => {
    h = await startHarness({ runtime: { start_log_line: '' } });
    config = join(h.dir, 'crictl.yaml');
    writeFileSync(config, `runtime-endpoint: unix://${h.socket}\nimage-endpoint: unix://${h.socket}\ntimeout: 30\n`);
    await h.img('PullImage', { image: { image: 'busybox' } });
    await h.img('PullImage', { image: { image: 'nginx' } });
    sandbox = (await h.rt('RunPodSandbox', { config: podConfig('pod-c', { logDir: join(h.dir, 'logs') }) })).pod_sandbox_id as string;
  });
  afterEach(() => h.close());

  const crictl = (args: string[], input?: string): Promise<Ran> => runPeer(CRICTL, ['--config', config, ...args], input);
  const start = async (name: string, command: string[], extra: object = {}, image = 'busybox') => {
    const cfg = podConfig('pod-c', { logDir: join(h.dir, 'logs') });
    const cc = { ...containerConfig(name, image), command, args: [], ...extra };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
    await h.rt('StartContainer', { container_id: id });
    return id;
  };

  for (const transport of ['spdy', 'websocket']) {
    it(`exec -r ${transport}: output, the exit code, and stdin with -i`, async () => {
      const id = await start('box', ['sleep', 'infinity']);
      const r = await crictl(['exec', '-r', transport, id, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      // crictl exits 1 and names the command's code, as against containerd.
      expect({ code: r.code, out: r.out }).toEqual({ code: 1, out: 'out\n' });
      expect(r.err).toContain('err\n');
      expect(r.err).toContain('command terminated with exit code 3');
      const cat = await crictl(['exec', '-i', '-r', transport, id, 'sh', '-c', 'tr a-z A-Z'], 'hello\n');
      expect(cat).toMatchObject({ code: 0, out: 'HELLO\n' });
    });
  }

  it('exec -it under a real TTY: a terminal inside, CR/LF out', needs(noScript), async () => {
    const id = await start('box', ['sleep', 'infinity']);
    const cmd = `${CRICTL} --config ${config} exec -it ${id} sh -c '[ -t 0 ] && [ -t 1 ] && echo a terminal'`;
    const r = await runPeer('/usr/bin/script', ['-qec', cmd, '/dev/null'], '');
    expect(r.code).toBe(0);
    expect(r.out).toContain('a terminal\r\n');
  });

  it("attach -i: a line sent reaches the program's read, its output comes back", async () => {
    const id = await start('reader', ['sh', '-c', 'read line; echo "got $line"; sleep infinity'], { stdin: true });
    const r = await new Promise<Ran>((resolve, reject) => {
      const p = spawn(CRICTL, ['--config', config, 'attach', '-i', id], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => {
        out += d;
        // Gone once the answer is in (crictl attach keeps on through
        // SIGTERM): the program goes on.
        if (out.includes('got hello\n')) p.kill('SIGKILL');
      });
      p.stderr.on('data', (d: Buffer) => (err += d));
      p.once('error', reject);
      p.once('close', (code) => resolve({ code, out, err }));
      p.stdin.write('hello\n');
    });
    expect(r.out).toContain('got hello\n');
    expect((await h.rt('ContainerStatus', { container_id: id })).status.state).toBe('CONTAINER_RUNNING');
  });

  it("port-forward to nginx's 80: its page through the local port", async () => {
    await start('web', [], {}, 'nginx');
    const p = spawn(CRICTL, ['--config', config, 'port-forward', sandbox, '0:80'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d));
      const port = await until('crictl to forward a port', async () => /Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(out)?.[1]);
      const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(page).toContain('Welcome to nginx!');
    } finally {
      p.kill('SIGTERM');
    }
  });
});

import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { makeClient } from '../cri/client';
import { containerConfig, podConfig } from '../testing/kubelet-requests';
import { type FakecriCli, fmt, measure, rssKiB, withServer } from './load';
import { spdyConnect, spdyExec, spdyForward } from './stream-client';

// Streaming: exec over SPDY beside ExecSync (the baseline, same server, same
// moment), port-forward throughput, what an idle session costs, and what
// 1,000 bad requests leave behind.

const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const GiB = 2 ** 30;
const WARM_ROUNDS = 2000;

// Sessions torn down are reaped a moment later: wait until the fd count
// stops falling.
async function settle(pid: number): Promise<void> {
  for (let last = fds(pid), i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = fds(pid);
    if (now >= last) return;
    last = now;
  }
}

export async function streamingBench(dir: string, print: (s: string) => void, fakecriCli: FakecriCli): Promise<void> {
  await withServer(dir, 'streaming', fakecriCli, (sock, pid) => measureStreaming(sock, pid, print));
}

async function measureStreaming(sock: string, pid: number, print: (s: string) => void): Promise<void> {
  const rt = makeClient(sock, 'RuntimeService');
  const img = makeClient(sock, 'ImageService');
  await img.call('PullImage', { image: { image: 'busybox' } });
  const cfg = podConfig('streams');
  const sandbox = (await rt.call('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
  const start = async (name: string, script: string) => {
    const cc = { ...containerConfig(name, 'busybox', { podName: 'streams', uid: cfg.metadata.uid }), command: ['sh', '-c', script], args: [] };
    const c = (await rt.call('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
    await rt.call('StartContainer', { container_id: c });
    return c;
  };
  const target = await start('target', 'sleep 36000');
  const execUrl = async (cmd: string[], stdin = false) => (await rt.call('Exec', { container_id: target, cmd, stdin, stdout: true, stderr: true })).url as string;

  print('');
  print('Streaming (SPDY, v4.channel.k8s.io; a TypeScript client on the same machine)');
  const execSync = () => rt.call('ExecSync', { container_id: target, cmd: ['echo', 'hi'], timeout: 10 });
  const exec = async () => {
    const r = await spdyExec(await execUrl(['echo', 'hi']));
    if (r.stdout !== 'hi\n' || r.code !== 0) throw new Error(`exec echo hi gave ${JSON.stringify(r)}`);
  };
  // Both warmed until V8 has compiled their paths, then each measured back
  // to back. An exec's path (both ends' SPDY, the HTTP upgrade) takes a
  // couple of thousand rounds to settle: measured after the 50 calls
  // measure() warms with, the exec was still being compiled, at about twice
  // its settled time, and the ratio looked better than it is.
  for (let i = 0; i < WARM_ROUNDS; i++) {
    await execSync();
    await exec();
  }
  const sync = await measure(execSync, { callers: 1, maxCalls: 2000, maxMs: 3000 });
  const spdy = await measure(exec, { callers: 1, maxCalls: 2000, maxMs: 3000 });
  print(`  exec echo hi, round trip (Exec RPC, upgrade, streams, status), after ${WARM_ROUNDS} of each: p50 ${fmt(spdy.p50)} ms, p99 ${fmt(spdy.p99)} ms; ExecSync p50 ${fmt(sync.p50)} ms: ${fmt(spdy.p50 / sync.p50, 2)}x  (target 2x: ${spdy.p50 <= 2 * sync.p50 ? 'met' : 'NOT met'})`);
  // The same, the two taken in turns: neither follows itself, so each meets
  // the server (and the machine) as the other left it.
  const turns = { sync: [] as number[], spdy: [] as number[] };
  for (let i = 0; i < 2000; i++) {
    let t = performance.now();
    await execSync();
    turns.sync.push(performance.now() - t);
    t = performance.now();
    await exec();
    turns.spdy.push(performance.now() - t);
  }
  const p50 = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [syncTurn, spdyTurn] = [p50(turns.sync), p50(turns.spdy)];
  print(`  the same, exec and ExecSync taken in turns: exec p50 ${fmt(spdyTurn)} ms, ExecSync p50 ${fmt(syncTurn)} ms: ${fmt(spdyTurn / syncTurn, 2)}x`);

  // Idle sessions: exec `cat` with stdin open, nothing flowing.
  const N = 250; // streaming.max_sessions is 256
  const rss0 = rssKiB(pid);
  const sessions = [];
  for (let i = 0; i < N; i++) {
    const { session } = await spdyConnect(await execUrl(['cat'], true), ['v4.channel.k8s.io']);
    for (const t of ['error', 'stdin', 'stdout', 'stderr']) session.open({ streamtype: t });
    sessions.push(session);
  }
  // Each session's cat is running once ps shows it.
  for (let i = 0; i < 200; i++) {
    const ps = Buffer.from((await rt.call('ExecSync', { container_id: target, cmd: ['ps'], timeout: 10 })).stdout).toString();
    if ((ps.match(/ cat\n/g) ?? []).length >= N) break;
  }
  const rss1 = rssKiB(pid);
  print(`  ${N} idle exec sessions (cat waiting on stdin): ${fmt((rss1 - rss0) / N, 1)} KiB RSS each (target 64 KiB: ${(rss1 - rss0) / N <= 64 ? 'met' : 'NOT met'})`);
  for (const s of sessions) s.destroy();
  await settle(pid);

  // 1 GiB from /dev/zero through nc -l in the pod, port-forwarded.
  await start('source', 'while true; do nc -l -p 9000 < /dev/zero; done');
  const pfUrl = async () => (await rt.call('PortForward', { pod_sandbox_id: sandbox, port: [] })).url as string;
  let fwd: Awaited<ReturnType<typeof spdyForward>> | undefined;
  for (let i = 0; i < 100 && !fwd; i++) {
    const f = await spdyForward(await pfUrl(), 9000);
    const first = await new Promise<boolean>((resolve) => {
      f.data.once('data', () => resolve(true));
      f.data.once('close', () => resolve(false));
    });
    if (first) fwd = f;
    else f.close();
  }
  if (!fwd) throw new Error('nc -l -p 9000 never answered');
  const rssBefore = rssKiB(pid);
  let peak = rssBefore;
  let got = 0;
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    const sample = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 100);
    fwd!.data.on('data', (d: Buffer) => {
      got += d.byteLength;
      if (got >= GiB) {
        clearInterval(sample);
        fwd!.data.pause();
        resolve();
      }
    });
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  fwd.close();
  print(`  port-forward, 1 GiB from the pod: ${fmt(got / 2 ** 20 / secs, 1)} MiB/s (target 100 MiB/s: ${got / 2 ** 20 / secs >= 100 ? 'met' : 'NOT met'}); fakecri RSS ${fmt(rssBefore / 1024, 1)} MiB before, ${fmt(peak / 1024, 1)} MiB at most during it`);

  // 1,000 bad requests: unknown, used and expired-looking tokens, truncated
  // frames, clients gone mid-stream. fds and RSS before and after.
  await settle(pid);
  const fds0 = fds(pid);
  const rssB0 = rssKiB(pid);
  const base = (await execUrl(['true'])).replace(/\/exec\/.*/, '');
  const raw = (bytes: string | Buffer) =>
    new Promise<void>((resolve) => {
      const u = new URL(base);
      const s = connect(Number(u.port), u.hostname, () => s.end(bytes));
      s.on('data', () => {});
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
  for (let i = 0; i < 1000; i++) {
    switch (i % 5) {
      case 0:
        await raw(`POST /exec/ZZZZZZ${i % 100} HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n`);
        break;
      case 1: {
        const url = await execUrl(['true']);
        await spdyExec(url);
        await spdyConnect(url, ['v4.channel.k8s.io']).then((c) => c.session.destroy(), () => {});
        break;
      }
      case 2: {
        const u = new URL(await execUrl(['true']));
        await raw(Buffer.concat([Buffer.from(`POST ${u.pathname} HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n`), Buffer.from([0x80, 3, 0, 1, 0, 0, 0, 200, 0, 0])]));
        break;
      }
      case 3: {
        const { session, socket } = await spdyConnect(await execUrl(['sh', '-c', 'cat /dev/zero'], false), ['v4.channel.k8s.io']);
        session.open({ streamtype: 'error' });
        const out = session.open({ streamtype: 'stdout' });
        session.open({ streamtype: 'stderr' });
        await new Promise((r) => out.once('data', r));
        socket.destroy();
        break;
      }
      default:
        await raw('GET /portforward/ HTTP/1.1\r\n\r\n');
    }
  }
  await settle(pid);
  const fds1 = fds(pid);
  const alive = (await spdyExec(await execUrl(['echo', 'still here']))).stdout.trim();
  print(`  1,000 bad requests (unknown and used tokens, truncated frames, clients gone mid-stream): fds ${fds0} → ${fds1}, RSS ${fmt(rssB0 / 1024, 1)} → ${fmt(rssKiB(pid) / 1024, 1)} MiB; after them exec says "${alive}"`);
  rt.close();
  img.close();
}

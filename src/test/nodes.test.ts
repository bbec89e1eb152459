import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config';
import { makeClient } from '../cri/client';
import { planNode } from '../serve/nodes';
import { type RunningNodes, startNodes } from '../serve/serve';
import { runCli, useChildren } from './cli';
import { containerConfig, podConfig } from './harness';
import { until } from './wait';

type Client = ReturnType<typeof makeClient>;

// `serve --nodes 3`: three runtimes in one process, each alone with its pods,
// faults and state.
describe('serve --nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fakecri-nodes-'));
  const socket = join(dir, 'fakecri.sock');
  const stateDir = join(dir, 'state');
  const log = pino({ level: process.env.FAKECRI_TEST_LOG ?? 'silent' });
  const config = parseConfig({ network: { default_pod_cidr: '10.88.0.0/16' } });
  let running: RunningNodes;
  let clients: Client[] = [];
  const pods: string[] = [];

  const connect = () => {
    for (const c of clients) c.close();
    clients = running.nodes.map((n) => makeClient(n.socket, 'RuntimeService'));
  };
  const ctl = async (...args: string[]) => {
    const c = runCli(['ctl', '--socket', socket, ...args]);
    return { code: await c.exited, out: c.stderr() };
  };

  beforeAll(async () => {
    running = await startNodes(config, { socket, stateDir, nodes: 3 }, log);
    connect();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers sockets and state directories from 1, and splits the pod CIDR', async () => {
    expect(running.nodes.map((n) => [n.name, n.socket, n.controlSocket, n.stateDir])).toEqual(
      [1, 2, 3].map((i) => [`fakecri-${i}`, join(dir, `fakecri-${i}.sock`), join(dir, `fakecri-control-${i}.sock`), join(stateDir, `node-${i}`)]),
    );
    expect(new Set(running.nodes.map((n) => n.streamingUrl)).size).toBe(3);
    for (const [i, c] of clients.entries()) {
      const pod = podConfig(`web-${i + 1}`);
      const id = (await c.call('RunPodSandbox', { config: pod })).pod_sandbox_id;
      pods.push(id);
      const ip = (await c.call('PodSandboxStatus', { pod_sandbox_id: id })).status.network.ip;
      // 10.88.0.0/16 in 4 parts (3 rounded up to a power of two): /18 each.
      expect(ip.startsWith(`10.88.${i * 64}.`)).toBe(true);
    }
  });

  it('shows each node only its own pods and containers', async () => {
    for (const [i, c] of clients.entries()) {
      const items = (await c.call('ListPodSandbox', {})).items;
      expect(items.map((s: { id: string; metadata: { name: string } }) => [s.id, s.metadata.name])).toEqual([[pods[i], `web-${i + 1}`]]);
    }
    const img = makeClient(running.nodes[0].socket, 'ImageService');
    try {
      await img.call('PullImage', { image: { image: 'busybox:1.36' } });
    } finally {
      img.close();
    }
    await clients[0].call('CreateContainer', { pod_sandbox_id: pods[0], config: containerConfig('app', 'busybox:1.36'), sandbox_config: podConfig('web-1') });
    expect((await clients[0].call('ListContainers', {})).containers).toHaveLength(1);
    expect((await clients[1].call('ListContainers', {})).containers).toHaveLength(0);
    // A pod on node 2 is not found on node 1.
    await expect(clients[0].call('PodSandboxStatus', { pod_sandbox_id: pods[1] })).rejects.toMatchObject({ code: 5 });
  });

  it('lets ctl address a node by index and by name; a fault on node 2 hits only node 2', async () => {
    expect((await ctl('nodes')).out).toMatch(/2\s+fakecri-2\s+\S+fakecri-2\.sock\s+\S+fakecri-control-2\.sock/);
    const added = await ctl('--node', 'fakecri-2', 'fault', 'add', '--rpc', 'Status', '--not-ready', 'RuntimeReady', '--reason', 'Broken');
    expect(added.code).toBe(0);
    const ready = async (i: number) => (await clients[i].call('Status', {})).status.conditions.find((c: { type: string }) => c.type === 'RuntimeReady');
    expect(await ready(1)).toMatchObject({ status: false, reason: 'Broken' });
    expect(await ready(0)).toMatchObject({ status: true });
    expect(await ready(2)).toMatchObject({ status: true });
    expect(JSON.parse((await ctl('--json', '--node', '2', 'fault', 'ls')).out)).toHaveLength(1);
    expect(JSON.parse((await ctl('--json', '--node', '1', 'fault', 'ls')).out)).toEqual([]);
    expect(JSON.parse((await ctl('--json', '--node', 'fakecri-3', 'status')).out).conditions[0]).toMatchObject({ type: 'RuntimeReady', status: true });
  });

  it('refuses an unknown node name, and the base control socket points at --node', async () => {
    expect(await ctl('--node', 'fakecri-9', 'status')).toMatchObject({ code: 1, out: expect.stringMatching(/no node of that name \(nodes: fakecri-1, fakecri-2, fakecri-3\)/) });
    expect(await ctl('status')).toMatchObject({ code: 1, out: expect.stringMatching(/serves 3 nodes.*--node/) });
  });

  it('keeps each node\'s state across a restart', async () => {
    for (const c of clients) c.close();
    clients = [];
    await running.stop();
    expect(existsSync(running.indexSocket)).toBe(false);
    running = await startNodes(config, { socket, stateDir, nodes: 3 }, log);
    connect();
    for (const [i, c] of clients.entries()) {
      expect((await c.call('ListPodSandbox', {})).items.map((s: { id: string }) => s.id)).toEqual([pods[i]]);
    }
    expect((await clients[0].call('ListContainers', {})).containers).toHaveLength(1);
    expect((await clients[2].call('ListContainers', {})).containers).toHaveLength(0);
  });
});

// The real CLI: --nodes 1 keeps the single runtime's paths; bad counts are refused.
describe('fakecri serve --nodes (CLI)', () => {
  const children = useChildren('nodes-cli');

  it('serves the plain socket with --nodes 1', async () => {
    const d = children.tmp();
    const c = children.run(['serve', '--nodes', '1', '--socket', join(d, 'f.sock'), '--state-dir', join(d, 'st'), '--log-level', 'warn']);
    await until('the control socket', () => existsSync(join(d, 'f-control.sock')) || undefined, 60_000);
    expect(existsSync(join(d, 'f.sock'))).toBe(true);
    expect(existsSync(join(d, 'f-1.sock'))).toBe(false);
    const nodes = runCli(['ctl', '--socket', join(d, 'f.sock'), 'nodes']);
    expect(await nodes.exited).toBe(1);
    expect(nodes.stderr()).toMatch(/f-control\.sock is the control socket of a single runtime, not of serve --nodes/);
    c.proc.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  });

  it.each([['0'], ['x'], ['1001']])('refuses --nodes %s', async (n) => {
    const c = children.run(['serve', '--nodes', n, '--socket', join(children.tmp(), 'f.sock')]);
    expect(await c.exited).not.toBe(0);
    expect(c.stderr()).toMatch(/--nodes.*must be an integer from 1 to 1000/);
  });

  it('refuses a pod CIDR too small to split', async () => {
    const d = children.tmp();
    const cfg = join(d, 'c.toml');
    writeFileSync(cfg, '[network]\ndefault_pod_cidr = "10.88.0.0/28"\n');
    const c = children.run(['serve', '--nodes', '8', '--config', cfg, '--socket', join(d, 'f.sock'), '--state-dir', join(d, 'st')]);
    expect(await c.exited).toBe(2);
    expect(c.stderr()).toMatch(/--nodes 8: "10.88.0.0\/28" is too small to split into 8 pod CIDRs/);
  });
});

describe('planNode', () => {
  const paths = { socket: '/run/f/fakecri.sock', controlSocket: '/run/f/fakecri-control.sock', stateDir: '/var/lib/f' };
  it('gives node i its own host filesystem directory, ports offset by i-1, and the shared rest', () => {
    const config = parseConfig({
      filesystems: { imagefs: { backend: 'host', path: '/mnt/imagefs' }, containerfs: { backend: 'host', path: '/mnt/containerfs' } },
      control: { tcp_port: 7070, token: 'a-token-of-16-chars' },
      streaming: { port: 10010 },
    });
    const p = planNode(config, paths, 4, 3, 'hollow-');
    expect(p).toMatchObject({ index: 3, name: 'hollow-3', socket: '/run/f/fakecri-3.sock', controlSocket: '/run/f/fakecri-control-3.sock', stateDir: '/var/lib/f/node-3' });
    expect(p.config.filesystems.imagefs).toMatchObject({ backend: 'host', path: '/mnt/imagefs/node-3' });
    expect(p.config.filesystems.containerfs).toMatchObject({ path: '/mnt/containerfs/node-3' });
    expect(p.config.control).toMatchObject({ tcp_port: 7072, socket: '/run/f/fakecri-control-3.sock' });
    expect(p.config.streaming.port).toBe(10012);
    expect(p.config.network.default_pod_cidr).toBe('10.88.128.0/18');
    expect(p.config.images).toBe(config.images);
    // The config it came from is unchanged.
    expect(config.filesystems.imagefs?.path).toBe('/mnt/imagefs');
  });
  it('refuses fixed ports that would pass 65535', () => {
    const config = parseConfig({ streaming: { port: 65530 } });
    expect(() => planNode(config, paths, 10, 1, 'n-')).toThrow(/port 65530 \+ 9 is past 65535/);
  });
});

import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { makeClient } from '../cri/client';
import { type FakecriCli, fmt, measure } from './load';

// The crio personality serves gRPC and HTTP on one socket, sniffing each
// new connection. Figures: gRPC with and without the sniffing, and each
// protocol alone and while the other is under load.
export async function crioBench(dir: string, print: (s: string) => void, startChild: FakecriCli): Promise<void> {
  print('');
  print('CRI-O personality: one socket, gRPC and HTTP told apart by their first bytes');
  const servers: ChildProcess[] = [];
  const start = async (name: string, personality: string) => {
    const config = join(dir, `${name}.toml`);
    writeFileSync(config, `personality = "${personality}"\n[crio]\ncgroups = false\n`);
    const socket = join(dir, `${name}.sock`);
    servers.push(await startChild(['serve', '--config', config, '--socket', socket, '--state-dir', join(dir, `${name}-state`), '--log-level', 'info'], 'fakecri serving'));
    return socket;
  };
  try {
    const plainSock = await start('plain', 'containerd');
    const crioSock = await start('crio', 'crio');
    const plain = makeClient(plainSock, 'RuntimeService', { raw: true });
    const crio = makeClient(crioSock, 'RuntimeService', { raw: true });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const info = () =>
      new Promise<void>((resolve, reject) => {
        const req = request({ socketPath: crioSock, path: '/info', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    const opts = { callers: 16, maxCalls: 20_000, maxMs: 2500 };
    const grpcPlain = await measure(() => plain.call('Version'), opts);
    const grpcCrio = await measure(() => crio.call('Version'), opts);
    const httpAlone = await measure(info, { callers: 4, maxCalls: 20_000, maxMs: 2500 });
    // Both at once: each measured while the other keeps going.
    let stop = false;
    const background = (fn: () => Promise<unknown>, n: number) =>
      Promise.all(Array.from({ length: n }, async () => {
        while (!stop) await fn();
      }));
    let bg = background(info, 4);
    const grpcUnderHttp = await measure(() => crio.call('Version'), opts);
    stop = true;
    await bg;
    stop = false;
    bg = background(() => crio.call('Version'), 16);
    const httpUnderGrpc = await measure(info, { callers: 4, maxCalls: 20_000, maxMs: 2500 });
    stop = true;
    await bg;
    print(`  gRPC Version, 16 callers: p50 ${fmt(grpcPlain.p50)} ms without sniffing (containerd personality), ${fmt(grpcCrio.p50)} ms with it (${fmt(grpcCrio.p50 / grpcPlain.p50, 2)}x)`);
    print(`  gRPC Version while HTTP /info runs on 4 connections: p50 ${fmt(grpcUnderHttp.p50)} ms`);
    print(`  HTTP GET /info, 4 callers: p50 ${fmt(httpAlone.p50)} ms alone; ${fmt(httpUnderGrpc.p50)} ms while gRPC runs on 16 callers`);
    plain.close();
    crio.close();
    agent.destroy();
  } finally {
    for (const s of servers) s.kill('SIGTERM');
  }
}

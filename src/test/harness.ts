import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { type Config, parseConfig } from '../config/config';
import { type CriCall, makeClient } from '../cri/client';
import { type RunningServer, startServer } from '../serve/serve';
import { containerConfig, podConfig } from '../testing/kubelet-requests';

// A real fakecri on a real unix socket, and grpc-js clients built from the
// same proto, as the kubelet's cri-client would build them.
export interface Harness {
  dir: string;
  socket: string;
  stateDir: string;
  server: RunningServer;
  rt: CriCall;
  img: CriCall;
  restart(config?: unknown): Promise<void>;
  close(): Promise<void>;
}

// opts.log: a logger of the test's own, to read what fakecri logs.
export async function startHarness(rawConfig: unknown = {}, given?: string, opts: { log?: Logger } = {}): Promise<Harness> {
  const dir = given ?? mkdtempSync(join(tmpdir(), 'fakecri-test-'));
  const socket = join(dir, 'fakecri.sock');
  const stateDir = join(dir, 'state');
  const log = opts.log ?? pino({ level: process.env.FAKECRI_TEST_LOG ?? 'silent' });
  let config: Config;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    config = parseConfig(rawConfig);
    server = await startServer(config, { socket, stateDir }, log);
  } catch (err) {
    // A start a test expects to fail leaves no directory of ours behind.
    if (given === undefined) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let rt = makeClient(socket, 'RuntimeService');
  let img = makeClient(socket, 'ImageService');
  const h: Harness = {
    dir,
    socket,
    stateDir,
    server,
    rt: (m, r) => rt.call(m, r),
    img: (m, r) => img.call(m, r),
    async restart(next?: unknown) {
      rt.close();
      img.close();
      await server.stop();
      if (next !== undefined) config = parseConfig(next);
      server = await startServer(config, { socket, stateDir }, log);
      h.server = server;
      rt = makeClient(socket, 'RuntimeService');
      img = makeClient(socket, 'ImageService');
    },
    async close() {
      rt.close();
      img.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

// A ready pod `pod` with a running busybox container per name; the pod's
// annotations (fakecri.io/behaviour.<name>) given.
export async function startPod(h: Harness, pod: string, names: string[], annotations: Record<string, string> = {}): Promise<{ sandbox: string; ids: string[] }> {
  const cfg = podConfig(pod);
  Object.assign(cfg.annotations, annotations);
  const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
  const ids: string[] = [];
  for (const name of names) {
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: containerConfig(name, 'busybox'), sandbox_config: cfg })).container_id;
    await h.rt('StartContainer', { container_id: id });
    ids.push(id);
  }
  return { sandbox, ids };
}

export { makeClient } from '../cri/client';
export { containerConfig, podConfig } from '../testing/kubelet-requests';

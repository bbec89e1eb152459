import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { type Config, parseConfig } from '../config/config';
import { type CriCall, makeClient } from '../cri/client';
import { type RunningServer, startServer } from '../serve/serve';

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
export async function startHarness(rawConfig: unknown = {}, dir = mkdtempSync(join(tmpdir(), 'fakecri-test-')), opts: { log?: Logger } = {}): Promise<Harness> {
  const socket = join(dir, 'fakecri.sock');
  const stateDir = join(dir, 'state');
  const log = opts.log ?? pino({ level: process.env.FAKECRI_TEST_LOG ?? 'silent' });
  let config: Config = parseConfig(rawConfig);
  let server = await startServer(config, { socket, stateDir }, log);
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

export { makeClient } from '../cri/client';
export { containerConfig, podConfig } from '../testing/kubelet-requests';

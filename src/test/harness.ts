import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { type Config, parseConfig } from '../config/config';
import { loadCriProto } from '../cri/proto';
import { type RunningServer, startServer } from '../serve/serve';

// A real fakecri on a real unix socket, and grpc-js clients built from the
// same proto, as the kubelet's cri-client would build them.
export interface Harness {
  dir: string;
  socket: string;
  stateDir: string;
  server: RunningServer;
  rt: Client;
  img: Client;
  restart(config?: unknown): Promise<void>;
  close(): Promise<void>;
}

type Client = <T = any>(method: string, request?: object) => Promise<T>;

export function makeClient(socket: string, service: 'RuntimeService' | 'ImageService'): { call: Client; close(): void } {
  const proto = loadCriProto();
  const Ctor = proto.runtime.v1[service] as unknown as grpc.ServiceClientConstructor;
  const client = new Ctor(`unix://${socket}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  const call: Client = (method, request = {}) =>
    new Promise((resolve, reject) => {
      const fn = (client as unknown as Record<string, Function>)[method];
      if (!fn) throw new Error(`no method ${method} on ${service}`);
      fn.call(client, request, { deadline: Date.now() + 20_000 }, (err: grpc.ServiceError | null, res: unknown) =>
        err ? reject(err) : resolve(res as never),
      );
    });
  return { call, close: () => client.close() };
}

export async function startHarness(rawConfig: unknown = {}, dir = mkdtempSync(join(tmpdir(), 'fakecri-test-'))): Promise<Harness> {
  const socket = join(dir, 'fakecri.sock');
  const stateDir = join(dir, 'state');
  const log = pino({ level: process.env.FAKECRI_TEST_LOG ?? 'silent' });
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

// The shape of the kubelet's RunPodSandbox and CreateContainer requests.
export function podConfig(name: string, opts: { uid?: string; namespace?: string; hostNetwork?: boolean; logDir?: string; labels?: Record<string, string> } = {}) {
  const uid = opts.uid ?? `uid-${name}`;
  const namespace = opts.namespace ?? 'default';
  return {
    metadata: { name, uid, namespace, attempt: 0 },
    hostname: name,
    log_directory: opts.logDir ?? '',
    labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid, ...opts.labels },
    annotations: { 'kubernetes.io/config.source': 'api', 'kubernetes.io/config.seen': '2026-11-22T00:00:00Z' },
    linux: {
      cgroup_parent: `/kubepods/besteffort/pod${uid}`,
      security_context: { namespace_options: { network: opts.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

export function containerConfig(name: string, image: string, opts: { attempt?: number; podName?: string; uid?: string } = {}) {
  const attempt = opts.attempt ?? 0;
  return {
    metadata: { name, attempt },
    image: { image, user_specified_image: image },
    command: ['sleep'],
    args: ['infinity'],
    envs: [{ key: 'A', value: 'b' }],
    log_path: `${name}/${attempt}.log`,
    labels: {
      'io.kubernetes.container.name': name,
      'io.kubernetes.pod.name': opts.podName ?? 'p',
      'io.kubernetes.pod.namespace': 'default',
      'io.kubernetes.pod.uid': opts.uid ?? 'uid-p',
    },
    annotations: { 'io.kubernetes.container.hash': 'abc123', 'io.kubernetes.container.restartCount': String(attempt) },
    linux: { resources: { cpu_shares: '2', memory_limit_in_bytes: '134217728' }, security_context: { privileged: false } },
  };
}

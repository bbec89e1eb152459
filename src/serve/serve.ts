import { chmodSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { type Server as NetServer, createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { App } from '../app';
import { type Config, ConfigError } from '../config/config';
import { ControlServer } from '../control/server';
import { defaultControlSocket } from '../control/routes';
import { startCrioPersonality } from '../crio/personality';
import { sniff } from '../crio/sniff';
import { createCriServer } from '../cri/server';
import { CRI_RPC_NAMES } from '../cri/services';
import { StreamingServer } from '../streaming/server';
import { PACKAGE_VERSION } from '../version';
import { ConnectionGuard, closeWhenIdle } from './connections';
import { createLogger } from './logger';
import { clearStaleSocket } from './socket';
import { defaultSocket, defaultStateDir } from './defaults';
import { DEFAULT_NODE_NAME_PREFIX, MAX_NODES, planNode } from './nodes';
import { NodeIndexServer } from '../control/node-index';

export interface ServeOptions {
  socket?: string;
  stateDir?: string;
  logLevel?: string;
  // serve --nodes: how many runtimes, and their names' prefix.
  nodes?: number;
  nodeNamePrefix?: string;
}

// One node of a `serve --nodes N` process.
export interface RunningNode extends RunningServer {
  index: number;
  name: string;
  stateDir: string;
}

export interface RunningNodes {
  nodes: RunningNode[];
  // The base control socket: lists the nodes for `fakecri ctl --node`.
  indexSocket: string;
  stop(): Promise<void>;
}

export interface RunningServer {
  app: App;
  socket: string;
  controlSocket: string;
  controlPort?: number;
  streamingUrl: string;
  stop(): Promise<void>;
}

// Flags win over the config file, which wins over the built-in defaults.
export async function startServer(config: Config, options: ServeOptions, log?: Logger): Promise<RunningServer> {
  const logger = log ?? createLogger(options.logLevel ?? config.server.log_level);
  const socket = resolve(options.socket ?? config.server.socket ?? defaultSocket(config.personality));
  const controlSocket = resolve(config.control.socket ?? defaultControlSocket(socket));
  const stateDir = resolve(options.stateDir ?? config.server.state_dir ?? defaultStateDir());
  for (const path of [socket, controlSocket]) {
    mkdirSync(dirname(path), { recursive: true });
    await clearStaleSocket(path);
  }

  const app = new App(config, stateDir, logger, CRI_RPC_NAMES);
  await app.applyConfiguredBallast();

  // fakecri owns the listening socket and hands each connection to grpc-js,
  // so that it can drop connections (the "close" fault) and defend the
  // socket: a cap on connections, and a deadline for the HTTP/2 preface.
  const limits = config.server;
  const guard = new ConnectionGuard(socket, limits.max_connections, logger);
  const server = createCriServer(app, { dropConnections: () => guard.destroyAll() });
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const crio = config.personality === 'crio' ? startCrioPersonality(app) : undefined;
  // gRPC and, with the crio personality, CRI-O's HTTP inspect API share the
  // socket, told apart by the first bytes, as CRI-O does. Anything else, or
  // nothing within the deadline, is closed.
  const deadline = crio ? Math.min(config.crio.sniff_timeout, limits.connection_timeout) : limits.connection_timeout;
  const listener: NetServer = createServer((conn) => {
    if (!guard.admit(conn)) return;
    sniff(conn, deadline, (protocol) => {
      if (protocol === 'http2') return injector.injectConnection(conn);
      if (!crio) return conn.destroy();
      closeWhenIdle(conn, limits.connection_timeout);
      crio.inspect.emit('connection', conn);
      // The HTTP server reads the bytes sniff put back as ordinary data.
      conn.resume();
    });
  });
  // The socket is born 0660: no window in which other users could connect.
  const umask = process.umask(0o117);
  try {
    await new Promise<void>((ok, fail) => listener.once('error', fail).listen(socket, ok));
  } finally {
    process.umask(umask);
  }
  chmodSync(socket, 0o660);

  const sc = config.streaming;
  const tls = sc.tls_cert_file && sc.tls_key_file ? { cert: readFileSync(sc.tls_cert_file), key: readFileSync(sc.tls_key_file) } : undefined;
  const streaming = new StreamingServer(
    app.streams,
    { address: sc.address, port: sc.port, tls, idleTimeoutMs: sc.idle_timeout, creationTimeoutMs: sc.creation_timeout, maxSessions: sc.max_sessions, maxStreamBytes: sc.max_stream_bytes },
    logger,
  );
  app.streams.baseUrl = await streaming.listen();

  const control = new ControlServer(app);
  await control.listenUnix(controlSocket);
  const controlPort = config.control.tcp_port ? await control.listenTcp(config.control.tcp_port, config.control.token) : undefined;
  app.start();
  logger.info({ personality: config.personality, socket, controlSocket, controlPort, streaming: app.streams.baseUrl, stateDir, version: PACKAGE_VERSION, runtimeName: config.runtime.name }, 'fakecri serving');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      listener.close();
      await control.close();
      await streaming.close();
      // In-flight RPCs finish; state is already on disk (written per change).
      await new Promise<void>((done) => {
        const force = setTimeout(() => server.forceShutdown(), 10_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          done();
        });
      });
      guard.destroyAll();
      crio?.stop();
      app.stop();
      try {
        unlinkSync(socket);
      } catch {
        // Already gone.
      }
      logger.info({ socket }, 'fakecri stopped');
    })());
  return { app, socket, controlSocket, controlPort, streamingUrl: app.streams.baseUrl, stop };
}

// `serve --nodes N` (N > 1): N independent runtimes in one process, each
// with its own sockets, state, pod CIDR, filesystems and faults (see
// nodes.ts). They share the logger, the loaded proto and the code.
export async function startNodes(config: Config, options: ServeOptions, log?: Logger): Promise<RunningNodes> {
  const n = options.nodes ?? 1;
  if (!Number.isInteger(n) || n < 2 || n > MAX_NODES) throw new ConfigError(`--nodes must be an integer from 1 to ${MAX_NODES}, not ${n}`);
  const prefix = options.nodeNamePrefix ?? DEFAULT_NODE_NAME_PREFIX;
  const logger = log ?? createLogger(options.logLevel ?? config.server.log_level);
  const socket = resolve(options.socket ?? config.server.socket ?? defaultSocket(config.personality));
  const indexSocket = resolve(config.control.socket ?? defaultControlSocket(socket));
  const stateDir = resolve(options.stateDir ?? config.server.state_dir ?? defaultStateDir());
  const plans = [];
  for (let i = 1; i <= n; i++) {
    try {
      plans.push(planNode(config, { socket, controlSocket: indexSocket, stateDir }, n, i, prefix));
    } catch (err) {
      throw new ConfigError(`--nodes ${n}: ${(err as Error).message}`);
    }
  }
  mkdirSync(dirname(indexSocket), { recursive: true });
  await clearStaleSocket(indexSocket);
  const nodes: RunningNode[] = [];
  const stopAll = () => Promise.all(nodes.map((node) => node.stop())).then(() => undefined);
  try {
    for (const plan of plans) {
      const server = await startServer(plan.config, { socket: plan.socket, stateDir: plan.stateDir }, logger.child({ node: plan.name }));
      nodes.push({ ...server, index: plan.index, name: plan.name, stateDir: plan.stateDir });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const index = new NodeIndexServer(nodes.map((x) => ({ index: x.index, name: x.name, socket: x.socket, controlSocket: x.controlSocket, stateDir: x.stateDir, streamingUrl: x.streamingUrl })));
  await index.listen(indexSocket);
  logger.info({ nodes: n, first: nodes[0].socket, last: nodes[n - 1].socket, indexSocket }, 'fakecri serving nodes');
  let stopping: Promise<void> | undefined;
  return { nodes, indexSocket, stop: () => (stopping ??= index.close().then(stopAll)) };
}

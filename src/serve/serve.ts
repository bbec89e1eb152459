import { chmodSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { type Server as NetServer, createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { App } from '../app';
import type { Config } from '../config/config';
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

export interface ServeOptions {
  socket?: string;
  stateDir?: string;
  logLevel?: string;
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
    { address: sc.address, port: sc.port, tls, idleTimeoutMs: sc.idle_timeout, creationTimeoutMs: sc.creation_timeout, maxSessions: sc.max_sessions },
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

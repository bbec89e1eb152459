import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import { App } from '../app';
import type { Config } from '../config/config';
import { createCriServer } from '../cri/server';
import { PACKAGE_VERSION } from '../version';
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
  stop(): Promise<void>;
}

// Flags win over the config file, which wins over the built-in defaults.
export async function startServer(config: Config, options: ServeOptions, log?: Logger): Promise<RunningServer> {
  const logger = log ?? pino({ level: options.logLevel ?? config.server.log_level, base: { name: 'fakecri' } }, pino.destination(2));
  const socket = resolve(options.socket ?? config.server.socket ?? defaultSocket());
  const stateDir = resolve(options.stateDir ?? config.server.state_dir ?? defaultStateDir());
  mkdirSync(dirname(socket), { recursive: true });
  await clearStaleSocket(socket);

  const app = new App(config, stateDir, logger);
  await app.applyConfiguredBallast();
  const server = createCriServer(app);
  // The socket is born 0660: no window in which other users could connect.
  const umask = process.umask(0o117);
  try {
    await new Promise<number>((ok, fail) =>
      server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? fail(err) : ok(port))),
    );
  } finally {
    process.umask(umask);
  }
  chmodSync(socket, 0o660);
  logger.info({ socket, stateDir, version: PACKAGE_VERSION, runtimeName: config.runtime.name }, 'fakecri serving');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= new Promise<void>((done) => {
      // In-flight RPCs finish; state is already on disk (written per change).
      const force = setTimeout(() => server.forceShutdown(), 10_000);
      server.tryShutdown(() => {
        clearTimeout(force);
        try {
          unlinkSync(socket);
        } catch {
          // Already gone.
        }
        logger.info({ socket }, 'fakecri stopped');
        done();
      });
    }));
  return { app, socket, stop };
}

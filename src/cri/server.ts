import * as grpc from '@grpc/grpc-js';
import type { App } from '../app';
import { unimplemented } from '../domain/errors';
import type { CallContext, Handler } from './handler';
import { loadCriProto } from './proto';
import { IMAGE_HANDLERS, NOT_YET, RUNTIME_HANDLERS } from './services';
import { toGrpcStatus } from './to-grpc-status';

// Builds the gRPC server with both CRI services. Every RPC goes through
// wrapUnary once: errors are mapped in one place and each call is logged.
export function createCriServer(app: App): grpc.Server {
  const proto = loadCriProto();
  const server = new grpc.Server({
    // Large lists (10,000 containers) exceed the 4 MiB default; the kubelet
    // allows 16 MiB.
    'grpc.max_send_message_length': 16 * 1024 * 1024,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  });
  for (const [service, handlers] of [
    [proto.runtime.v1.RuntimeService.service, RUNTIME_HANDLERS],
    [proto.runtime.v1.ImageService.service, IMAGE_HANDLERS],
  ] as const) {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [name, def] of Object.entries(service)) {
      const handler = handlers[name];
      if (handler) impl[name] = wrapUnary(app, name, handler);
      else if (def.responseStream) impl[name] = refuseStream(app, name, NOT_YET[name] ?? `${name} is not implemented`);
      else impl[name] = wrapUnary(app, name, () => {
        throw unimplemented(NOT_YET[name] ?? `${name} is not implemented`);
      });
    }
    server.addService(passEncoded(service), impl);
  }
  return server;
}

function wrapUnary(app: App, method: string, handler: Handler<unknown, unknown>): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort(new Error('cancelled by the caller')));
    const ctx: CallContext = { method, signal: controller.signal };
    const done = (err: unknown, response?: unknown) => {
      let code = grpc.status.OK;
      if (err === null) {
        callback(null, response);
      } else {
        const s = toGrpcStatus(err);
        code = s.code;
        if (s.unexpected) app.log.error({ method, err, request: call.request }, 'RPC failed unexpectedly');
        else app.log.warn({ method, code: grpc.status[code], err: s.details }, 'RPC failed');
        callback({ code, details: s.details });
      }
      logCall(app, method, call.request, started, code);
    };
    let result: unknown;
    try {
      result = handler(app, call.request, ctx);
    } catch (err) {
      done(err);
      return;
    }
    if (result instanceof Promise) result.then((r) => done(null, r), done);
    else done(null, result);
  };
}

function refuseStream(app: App, method: string, reason: string): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    app.log.debug({ method }, 'streaming RPC refused: not implemented');
    call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: reason });
  };
}

function logCall(app: App, method: string, request: unknown, started: bigint, code: grpc.status): void {
  if (!app.log.isLevelEnabled('debug')) return;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  app.log.debug({ method, ...requestIds(request), ms, code: grpc.status[code] }, 'rpc');
}

// The ids a request carries, for the per-call log line.
function requestIds(request: unknown): Record<string, string> {
  const r = request as Record<string, unknown> | null;
  const out: Record<string, string> = {};
  if (!r) return out;
  if (typeof r.pod_sandbox_id === 'string' && r.pod_sandbox_id) out.sandbox = r.pod_sandbox_id;
  if (typeof r.container_id === 'string' && r.container_id) out.container = r.container_id;
  const image = (r.image as { image?: string } | null)?.image;
  if (image) out.image = image;
  return out;
}

// Handlers may answer with bytes they encoded themselves (encode.ts).
function passEncoded(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const entries = Object.entries(service).map(([name, def]) => {
    const serialize = def.responseSerialize;
    return [name, { ...def, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : serialize(value)) }];
  });
  return Object.fromEntries(entries) as grpc.ServiceDefinition;
}

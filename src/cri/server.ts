import * as grpc from '@grpc/grpc-js';
import type { App } from '../app';
import { FakecriError, unimplemented } from '../domain/errors';
import type { Verdict } from '../faults/engine';
import { summarizeRequest } from './describe-call';
import { type CriServerHooks, applyFault, evaluateFaults } from './apply-fault';
import type { CallContext, Handler } from './handler';
import { markSent } from './encode';
import { loadCriProto } from './proto';
import { wrapListStream } from './list-stream';
import { IMAGE_HANDLERS, LIST_STREAMS, RUNTIME_HANDLERS, STREAMED_TWIN, STREAM_HANDLERS } from './services';
import { toGrpcStatus } from './to-grpc-status';
import { checkRequestBounds } from './validate';


// Large lists (10,000 containers) exceed the 4 MiB default; the kubelet
// allows 16 MiB.
const MAX_MESSAGE = 16 * 1024 * 1024;

// Builds the gRPC server with both CRI services. Every RPC goes through
// wrapUnary once: faults are applied, errors are mapped in one place, and
// each call is recorded and logged.
export function createCriServer(app: App, hooks: CriServerHooks): grpc.Server {
  const proto = loadCriProto();
  const limits = app.config.server;
  const server = new grpc.Server({
    'grpc.max_send_message_length': MAX_MESSAGE,
    'grpc.max_receive_message_length': MAX_MESSAGE,
    // Calls at once on one connection: bounds the memory one client can hold.
    'grpc.max_concurrent_streams': 1024,
    // A connection without calls is closed with GOAWAY after this long.
    'grpc.max_connection_idle_ms': limits.idle_timeout,
    // Pings find peers that are gone, and sessions nghttp2 gave up on after
    // a protocol error that Node does not close (an fd per malformed
    // connection, otherwise).
    'grpc.keepalive_time_ms': limits.keepalive,
    'grpc.keepalive_timeout_ms': limits.keepalive,
    // Nothing reads channelz; its bookkeeping (four closures and more per
    // call) was a share of what every call left for the GC.
    'grpc.enable_channelz': 0,
  });
  for (const [service, handlers] of [
    [proto.runtime.v1.RuntimeService.service, RUNTIME_HANDLERS],
    [proto.runtime.v1.ImageService.service, IMAGE_HANDLERS],
  ] as const) {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [name, def] of Object.entries(service)) {
      const handler = handlers[name];
      const stream = STREAM_HANDLERS[name];
      const serialize = def.responseSerialize as (value: unknown) => Buffer;
      if (handler) impl[name] = wrapUnary(app, hooks, name, handler, serialize);
      else if (stream) impl[name] = wrapStream(app, name, stream);
      else if (LIST_STREAMS[name]) impl[name] = wrapListStream(app, hooks, name, LIST_STREAMS[name]);
      else if (def.responseStream) impl[name] = refuseStream(app, name, `${name} is not implemented`);
      else impl[name] = wrapUnary(app, hooks, name, () => {
        throw unimplemented(`${name} is not implemented`);
      }, serialize);
    }
    server.addService(passEncoded(service), impl);
  }
  return server;
}

function wrapUnary(app: App, hooks: CriServerHooks, method: string, handler: Handler<unknown, unknown>, serialize: (value: unknown) => Buffer): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const ctx = new UnaryCallContext(method);
    call.on('cancelled', () => ctx.cancel());
    // On a slow machine the caller may be gone before the handler runs.
    if (call.cancelled) ctx.cancel();
    let faults: string[] | undefined;
    const done = (err: unknown, response?: unknown) => {
      const answer = outcome(call, method, err, response, serialize);
      app.rpcAnswered();
      if (answer.code === grpc.status.OK) {
        callback(null, answer.bytes);
      } else {
        if (answer.unexpected) app.log.error({ method, err: answer.unexpected, request: summarizeRequest(method, call.request) }, 'RPC failed unexpectedly');
        else app.log.warn({ method, code: grpc.status[answer.code], err: answer.details }, 'RPC failed');
        callback({ code: answer.code, details: answer.details });
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      app.calls.record({ method, request: summarizeRequest(method, call.request, app), code: grpc.status[answer.code], error: answer.details, ms, faults });
      logCall(app, method, call.request, ms, answer.code);
    };
    const run = () => {
      let result: unknown;
      try {
        checkRequestBounds(call.request);
        result = handler(app, call.request, ctx);
      } catch (err) {
        done(err);
        return;
      }
      if (result instanceof Promise) result.then((r) => done(null, r), done);
      else done(null, result);
    };
    if (!app.faults.active) return run();
    let verdict: Verdict | undefined;
    try {
      verdict = evaluateFaults(app, method, call.request);
    } catch (err) {
      done(err);
      return;
    }
    if (!verdict) return run();
    faults = verdict.rules;
    applyFault(app, hooks, verdict, ctx.signal).then(run, done);
  };
}

// A unary call's context. Its signal is made when a handler first asks for
// it: most answer at once. Garbage that survives two scavenges stays in the
// old generation, and RSS, until a full GC: with an AbortController made
// for every call, 0.38 MB of every scavenge's 13 MB of Version calls
// survived; with this, 0.09 MB. (A getter in an object literal instead of
// this class kept 2.4 MB.) grpc-js says 'cancelled' at the end of every
// call, answered or not, so the reason (an Error, with its stack) is made
// only for a signal too.
class UnaryCallContext implements CallContext {
  private controller: AbortController | undefined;
  private cancelled = false;

  constructor(readonly method: string) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(cancelReason());
    }
    return this.controller.signal;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.controller?.abort(cancelReason());
  }
}

const cancelReason = () => new FakecriError('CANCELLED', 'cancelled by the caller or its deadline');

interface Outcome {
  code: grpc.status;
  details?: string;
  bytes?: Buffer;
  // A fakecri bug, logged with its stack.
  unexpected?: unknown;
}

// What the client gets. grpc-js checks the answer only after the handler has
// given it (serialisation, the size limit) and fails the call on its own
// when the caller has gone (deadline, cancel); those checks are made here,
// before answering, so that the call is recorded as the client saw it.
function outcome(call: grpc.ServerUnaryCall<unknown, unknown>, method: string, err: unknown, response: unknown, serialize: (value: unknown) => Buffer): Outcome {
  if (call.cancelled) {
    // The client's own deadline timer usually fires before the server's, so
    // a cancel within a second of the deadline is taken for the deadline.
    const deadline = call.getDeadline();
    const ms = deadline instanceof Date ? deadline.getTime() : deadline;
    if (Number.isFinite(ms) && Date.now() >= ms - 1000) return { code: grpc.status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' };
    return { code: grpc.status.CANCELLED, details: 'Cancelled on client' };
  }
  if (err !== null) {
    const s = toGrpcStatus(err);
    return { code: s.code, details: s.details, unexpected: s.unexpected ? err : undefined };
  }
  let bytes: Buffer;
  try {
    bytes = Buffer.isBuffer(response) ? response : serialize(response);
  } catch (e) {
    return { code: grpc.status.INTERNAL, details: 'Error serializing response', unexpected: e };
  }
  // grpc-js's words; its length counts the 5-byte message header.
  if (bytes.length > MAX_MESSAGE) {
    const twin = STREAMED_TWIN[method];
    const hint = twin ? `; ${twin} sends the same list in parts` : '';
    return { code: grpc.status.RESOURCE_EXHAUSTED, details: `Sent message larger than max (${bytes.length + 5} vs. ${MAX_MESSAGE})${hint}` };
  }
  return { code: grpc.status.OK, bytes };
}

// Server-streaming RPCs: the handler writes until the caller goes away.
export type StreamHandler = (app: App, request: unknown, write: (message: unknown) => void, signal: AbortSignal) => void;

// A stream is recorded when it ends, with how it ended: the kubelet's
// event stream ends CANCELLED when it goes away.
function wrapStream(app: App, method: string, handler: StreamHandler): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const started = process.hrtime.bigint();
    const controller = new AbortController();
    const end = (code: grpc.status, details?: string) => {
      if (controller.signal.aborted) return;
      controller.abort();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      app.calls.record({ method, request: summarizeRequest(method, call.request), code: grpc.status[code], error: details, ms });
      app.log.debug({ method, ms, code: grpc.status[code] }, 'stream closed');
    };
    call.on('cancelled', () => end(grpc.status.CANCELLED, 'Cancelled on client'));
    call.on('finish', () => end(grpc.status.OK));
    call.on('close', () => end(grpc.status.CANCELLED, 'Cancelled on client'));
    app.log.debug({ method }, 'stream opened');
    try {
      handler(app, call.request, (m) => call.write(m), controller.signal);
    } catch (err) {
      const s = toGrpcStatus(err);
      end(s.code, s.details);
      call.emit('error', { code: s.code, details: s.details });
      return;
    }
    // Headers now tell the client the stream is set up: what it sends from
    // here on reaches it.
    call.sendMetadata(new grpc.Metadata());
  };
}

function refuseStream(app: App, method: string, reason: string): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    app.log.debug({ method }, 'streaming RPC refused: not implemented');
    call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: reason });
    app.calls.record({ method, request: summarizeRequest(method, call.request), code: 'UNIMPLEMENTED', error: reason, ms: 0 });
  };
}

function logCall(app: App, method: string, request: unknown, ms: number, code: grpc.status): void {
  if (!app.log.isLevelEnabled('debug')) return;
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
    const pass = (value: unknown) => {
      if (!Buffer.isBuffer(value)) return serialize(value);
      markSent(value);
      return value;
    };
    return [name, { ...def, responseSerialize: pass }];
  });
  return Object.fromEntries(entries) as grpc.ServiceDefinition;
}

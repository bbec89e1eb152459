import * as grpc from '@grpc/grpc-js';
import type { App } from '../app';
import { FakecriError } from '../domain/errors';
import { type CriServerHooks, applyFault, evaluateFaults } from './apply-fault';
import { summarizeRequest } from './describe-call';
import { toGrpcStatus } from './to-grpc-status';
import { checkRequestBounds } from './validate';

// The Stream* list RPCs (KEP-5825). A handler checks the request at once and
// returns the matching items as a lazy iterable of encoded entries of the
// answer's repeated field (encode.ts entries); this sends them in batches,
// each the concatenation of its entries.
export type ListStreamHandler = (app: App, request: never) => Iterable<Uint8Array>;

// Well under the 4 MiB default limit of a gRPC client, and big enough that
// 100,000 containers go in about sixty messages. The first batches are
// smaller, so that the first items come as soon on a big node as on a small.
export const BATCH_BYTES = 1024 * 1024;
const FIRST_BATCH_BYTES = 64 * 1024;

export function wrapListStream(app: App, hooks: CriServerHooks, method: string, handler: ListStreamHandler): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const started = process.hrtime.bigint();
    let faults: string[] | undefined;
    let sent = 0;
    let ended = false;
    const end = (err: unknown) => {
      if (ended) return;
      ended = true;
      let code = grpc.status.OK;
      let details: string | undefined;
      if (call.cancelled) {
        code = grpc.status.CANCELLED;
        details = 'Cancelled on client';
      } else if (err) {
        const s = toGrpcStatus(err);
        code = s.code;
        details = s.details;
        if (s.unexpected) app.log.error({ method, err }, 'RPC failed unexpectedly');
        call.emit('error', { code, details });
      } else {
        call.end();
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      app.calls.record({ method, request: summarizeRequest(method, call.request), code: grpc.status[code], error: details, ms, faults, items: sent });
      app.log.debug({ method, ms, items: sent, code: grpc.status[code] }, 'list stream ended');
    };
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort(new FakecriError('CANCELLED', 'cancelled by the caller')));
    const run = async () => {
      checkRequestBounds(call.request);
      const verdict = evaluateFaults(app, method, call.request);
      if (verdict) {
        faults = verdict.rules;
        await applyFault(app, hooks, verdict, controller.signal);
      }
      const items = handler(app, call.request as never);
      let batch: Uint8Array[] = [];
      let bytes = 0;
      let limit = FIRST_BATCH_BYTES;
      const flush = async () => {
        const message = Buffer.concat(batch, bytes);
        sent += batch.length;
        batch = [];
        bytes = 0;
        limit = Math.min(limit * 2, BATCH_BYTES);
        if (!call.write(message)) await drained(call, controller.signal);
        // Other calls run between batches, and a cancel is seen.
        await new Promise((resolve) => setImmediate(resolve));
        controller.signal.throwIfAborted();
      };
      for (const item of items) {
        if (bytes > 0 && bytes + item.length > limit) await flush();
        batch.push(item);
        bytes += item.length;
      }
      if (batch.length > 0) await flush();
    };
    run().then(() => end(null), end);
  };
}

function drained(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      if (signal.aborted) reject(signal.reason);
      else resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done);
  });
}

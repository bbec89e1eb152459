import type * as grpc from '@grpc/grpc-js';
import type { Harness } from './harness';
import { until } from './wait';

// Reads one batch of a Stream* list, then nothing, so the server waits on
// the client; cancels; answers the call as fakecri recorded it (its code,
// and how many items it sent).
export async function cancelAfterFirstBatch(h: Harness, method: string, open: () => grpc.ClientReadableStream<unknown>) {
  const since = h.server.app.calls.list().at(-1)?.seq ?? 0;
  const stream = open();
  stream.on('error', () => {});
  await new Promise<void>((resolve) =>
    stream.once('data', () => {
      stream.pause();
      resolve();
    }),
  );
  stream.cancel();
  return until('the cancelled stream to be recorded', () => h.server.app.calls.list({ since, methods: [method] }).at(-1));
}

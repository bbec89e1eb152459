import * as grpc from '@grpc/grpc-js';
import { loadCriProto } from './proto';

// A promise-returning CRI client over a unix socket, built from the same proto
// as the server: what the tests and the benchmark call fakecri with.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CriCall = <T = any>(method: string, request?: object) => Promise<T>;

// A server-streaming call: its messages, read with for await.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CriStream = (method: string, request?: object) => grpc.ClientReadableStream<any>;

// raw: answers are left as encoded bytes, so that a benchmark measures the
// server and not protobufjs decoding in the client.
export function makeClient(
  socket: string,
  service: 'RuntimeService' | 'ImageService',
  opts: { raw?: boolean } = {},
): { call: CriCall; stream: CriStream; close(): void } {
  const proto = loadCriProto();
  let Ctor = proto.runtime.v1[service] as unknown as grpc.ServiceClientConstructor;
  if (opts.raw) {
    const raw = Object.entries(Ctor.service).map(([name, def]) => [name, { ...def, responseDeserialize: (b: Buffer) => b }]);
    Ctor = grpc.makeGenericClientConstructor(Object.fromEntries(raw), service);
  }
  const client = new Ctor(`unix://${socket}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  const call: CriCall = (method, request = {}) =>
    new Promise((resolve, reject) => {
      const fn = (client as unknown as Record<string, Function>)[method];
      if (!fn) throw new Error(`no method ${method} on ${service}`);
      // Generous: the tests run on loaded machines.
      fn.call(client, request, { deadline: Date.now() + 60_000 }, (err: grpc.ServiceError | null, res: unknown) =>
        err ? reject(err) : resolve(res as never),
      );
    });
  const stream: CriStream = (method, request = {}) => {
    const fn = (client as unknown as Record<string, Function>)[method];
    if (!fn) throw new Error(`no method ${method} on ${service}`);
    return fn.call(client, request, { deadline: Date.now() + 300_000 });
  };
  return { call, stream, close: () => client.close() };
}

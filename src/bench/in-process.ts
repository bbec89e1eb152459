import * as protoLoader from '@grpc/proto-loader';
import type { App } from '../app';
import { LOADER_OPTIONS, PROTO_FILE } from '../cri/proto';
import { IMAGE_HANDLERS, RUNTIME_HANDLERS } from '../cri/services';

export type InProcessCall = (method: string, request: object) => Promise<{ pod_sandbox_id?: string; container_id?: string }>;

// CRI calls to an App in this process (or thread), with no socket: each
// request goes through the wire's encoding and decoding and the same
// handlers as over the socket, so the stored records are the real ones.
export function inProcessCri(app: App): InProcessCall {
  const definition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
  const decoded = (service: string, method: string, request: object) => {
    const def = (definition[`runtime.v1.${service}`] as protoLoader.ServiceDefinition)[method];
    return def.requestDeserialize(def.requestSerialize(request));
  };
  return async (method, request) => {
    const service = method in RUNTIME_HANDLERS ? 'RuntimeService' : 'ImageService';
    const handler = RUNTIME_HANDLERS[method] ?? IMAGE_HANDLERS[method];
    return (await handler(app, decoded(service, method, request), { method, signal: new AbortController().signal })) as Awaited<ReturnType<InProcessCall>>;
  };
}

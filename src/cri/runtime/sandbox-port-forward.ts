import { invalidArgument } from '../../domain/errors';
import type { Handler } from '../handler';
import { requireId } from '../validate';
import type { PortForwardRequest__Output } from '../../generated/runtime/v1/PortForwardRequest';
import type { PortForwardResponse } from '../../generated/runtime/v1/PortForwardResponse';

// PortForward answers a one-time URL on fakecri's streaming server; the
// ports a SPDY client asks for come with its streams, a WebSocket client's
// are these. The sandbox must be ready, as containerd requires.
export const portForward: Handler<PortForwardRequest__Output, PortForwardResponse> = (app, req) => {
  const id = requireId(req.pod_sandbox_id, 'pod_sandbox_id');
  if (req.port.length > 64) throw invalidArgument(`port has ${req.port.length} entries, more than the 64 allowed`);
  req.port.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalidArgument(`port[${i}] is ${p}, not a port from 1 to 65535`);
  });
  const s = app.streams.readySandbox(app.sandboxes.store.mustResolve(id).id);
  const token = app.streams.requests.insert({ kind: 'portforward', sandboxId: s.id, ports: [...req.port] });
  return { url: app.streams.url('portforward', token) };
};

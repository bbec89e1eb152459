import type { WebSocket } from 'ws';
import type { StreamRequest } from '../streams/requests';
import type { StreamService } from '../streams/service';
import { endAndWait } from './end';
import { type ForwardLimits, forwardPort } from './portforward';
import { portForwardChannels } from './websocket';

// port-forward over a WebSocket (v4.channel.k8s.io): the ports are the
// PortForward request's, a data and an error channel each, all forwarded
// at once; the socket closes when all are done.
export async function serveWsForward(ws: WebSocket, protocol: string, r: Extract<StreamRequest, { kind: 'portforward' }>, streams: StreamService, limits: ForwardLimits = {}): Promise<void> {
  const pairs = portForwardChannels(ws, protocol, r.ports);
  await Promise.all(
    pairs.map(async (p) => {
      await forwardPort(streams, r.sandboxId, p.port, p.data, p.error, limits);
      await endAndWait(p.error);
    }),
  );
  ws.close(1000);
}

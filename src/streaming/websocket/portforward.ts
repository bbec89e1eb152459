import { finished } from 'node:stream/promises';
import type { Duplex, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import { ChannelConn, type ChannelConnOptions, type ChannelType } from './conn';
import { PORT_FORWARD_PROTOCOLS, isBase64Protocol } from './protocols';

export interface PortForwardChannel {
  port: number;
  data: Duplex; // channel 2i: the client's bytes in, the pod's bytes out
  error: Writable; // channel 2i+1: a failure's message text, out only
}

// port-forward over an upgraded WebSocket (v4.channel.k8s.io,
// v4.base64.channel.k8s.io, or '' when the client named none): a data and an
// error channel per port, in the order given. Each starts with the port as
// two little-endian bytes. When every pair's data and error have been ended
// (or destroyed), the connection closes (1000), as the kubelet's does once
// every forward has returned; with no ports that is at once.
export function portForwardChannels(
  ws: WebSocket,
  protocol: string,
  ports: readonly number[],
  opts?: ChannelConnOptions,
): PortForwardChannel[] {
  if (protocol !== '' && !PORT_FORWARD_PROTOCOLS.includes(protocol)) throw new Error(`not a port-forward protocol: ${protocol}`);
  for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`not a port: ${p}`);
  const types = ports.flatMap((): ChannelType[] => ['readwrite', 'write']);
  const conn = new ChannelConn(ws, types, { base64: isBase64Protocol(protocol), streamClose: false }, opts);
  const pairs = ports.map((port, i) => {
    const prefix = new Uint8Array([port & 0xff, port >> 8]);
    conn.send(2 * i, prefix, () => {});
    conn.send(2 * i + 1, prefix, () => {});
    return { port, data: conn.streams[2 * i]!, error: conn.streams[2 * i + 1]! };
  });
  const ended = (w: Writable) => finished(w, { readable: false }).catch(() => {});
  void Promise.all(pairs.flatMap((p) => [ended(p.data), ended(p.error)])).then(() => conn.close());
  return pairs;
}

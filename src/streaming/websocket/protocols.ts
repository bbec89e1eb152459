// WebSocket subprotocol names as the kubelet's wsstream, the apiserver and
// client-go spell them, and what each one means for the channel framing.

export const CHANNEL_V1 = 'channel.k8s.io';
export const BASE64_CHANNEL_V1 = 'base64.channel.k8s.io';
export const CHANNEL_V4 = 'v4.channel.k8s.io';
export const BASE64_CHANNEL_V4 = 'v4.base64.channel.k8s.io';
// v5 adds the CLOSE signal (channel 255) so a client can half-close stdin.
// The kubelet's CRI streaming library does not know it (the apiserver does);
// we accept it because crictl -r websocket and kubectl offer only v5.
export const CHANNEL_V5 = 'v5.channel.k8s.io';
// client-go's SPDY-over-WebSocket dialer prefixes the SPDY protocol with this.
export const SPDY_TUNNEL_PORT_FORWARD = 'SPDY/3.1+portforward.k8s.io';

// exec/attach. The kubelet's map has no order: x/net/websocket takes the
// first protocol the *client* offers that the server knows, so this order
// only matters for documentation. A request naming no protocol gets ''
// (binary framing, v1 status), as the kubelet's "" entry does.
export const REMOTE_COMMAND_PROTOCOLS: string[] = [CHANNEL_V5, CHANNEL_V4, BASE64_CHANNEL_V4, CHANNEL_V1, BASE64_CHANNEL_V1];
// port-forward with ws channels: the kubelet knows only the v4 names (and '').
export const PORT_FORWARD_PROTOCOLS: string[] = [CHANNEL_V4, BASE64_CHANNEL_V4];
// port-forward as SPDY carried in WebSocket binary messages.
export const TUNNEL_PROTOCOLS: string[] = [SPDY_TUNNEL_PORT_FORWARD];

// The Sec-WebSocket-Protocol header as x/net/websocket reads it: one
// comma-separated list, each name trimmed; no header means no names.
export function offeredProtocols(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  if (text.trim() === '') return [];
  return text.split(',').map((p) => p.trim());
}

// The protocol to answer with: the first offered one that is supported ('' when
// the client offered none), or undefined, which the kubelet answers with 403.
export function negotiate(offered: readonly string[], supported: readonly string[]): string | undefined {
  if (offered.length === 0) return '';
  return offered.find((p) => supported.includes(p));
}

export function isBase64Protocol(protocol: string): boolean {
  return protocol === BASE64_CHANNEL_V1 || protocol === BASE64_CHANNEL_V4;
}

// Only v5 honours the CLOSE signal; under older names a 255 byte is just an unknown channel.
export function supportsStreamClose(protocol: string): boolean {
  return protocol === CHANNEL_V5;
}

// v4 and v5 report the exit on the error channel as a JSON metav1.Status
// (also on success); '', v1 and base64 v1 write only a failure's message text.
export function writesJsonStatus(protocol: string): boolean {
  return protocol === CHANNEL_V4 || protocol === BASE64_CHANNEL_V4 || protocol === CHANNEL_V5;
}

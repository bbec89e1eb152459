// SPDY/3.1 as kubectl, crictl and the kubelet speak it (client-go's
// httpstream/spdy over moby/spdystream): both ends of a session.
export { SpdySession, type SpdySessionOptions } from './session';
export { SpdyStream } from './stream';
export type { Headers as SpdyHeaders } from './header-block';
export { ProtocolError as SpdyProtocolError } from './errors';
export { RstStatus, GoAwayStatus } from './constants';

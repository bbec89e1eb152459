// A peer broke SPDY framing: the session ends with this error ('close').
export class ProtocolError extends Error {
  override name = 'SpdyProtocolError';
}

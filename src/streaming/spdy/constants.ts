// SPDY/3.1 wire constants, named as moby/spdystream's spdy/types.go names them.

export const VERSION = 3;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

// Control-frame flags: FIN on SYN_STREAM, SYN_REPLY and HEADERS; UNIDIRECTIONAL
// on SYN_STREAM. DATA frames have FIN only.
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

// RST_STREAM status codes.
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  INVALID_CREDENTIALS: 10,
  FRAME_TOO_LARGE: 11,
} as const;

// GOAWAY status codes.
export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

export const FRAME_HEADER_BYTES = 8;
export const MAX_STREAM_ID = 0x7fffffff;

// Largest DATA payload we send in one frame. The format allows 16 MiB - 1,
// but spdystream allocates each frame whole (parseDataFrame: make([]byte,
// length)) and a Read returns at most one frame; the kubelet's own io.Copy
// writes 32 KiB frames. 64 KiB keeps the framing overhead at 0.01 %.
export const MAX_DATA_PAYLOAD = 64 * 1024;

// Largest control frame we accept. Control frames are tiny in this protocol:
// SYN_STREAM/SYN_REPLY/HEADERS carry a few compressed headers (streamType,
// port, requestID), the rest have fixed sizes of 4 to 8 bytes (SETTINGS 4 + 8
// per setting). A control frame is buffered whole before it is parsed, so the
// 24-bit length (16 MiB) would let any peer make us hold 16 MiB per
// connection; 256 KiB is far above anything kubectl/crictl/kubelet send and
// bounds that buffer.
export const MAX_CONTROL_PAYLOAD = 256 * 1024;

// Largest decompressed header block: 1 MiB, Go net/http's DefaultMaxHeaderBytes,
// the limit the same clients meet on any HTTP/1 request. It bounds a zlib bomb
// (deflate reaches ~1000:1, so 256 KiB in could be 256 MiB out).
export const MAX_HEADER_BLOCK = 1024 * 1024;

// Default cap on concurrent streams the peer opens on one session. kubectl
// exec uses up to 5 (error, stdin, stdout, stderr, resize); port-forward
// multiplexes 2 per forwarded connection over one session, so a browser
// through `kubectl port-forward` may hold hundreds.
export const DEFAULT_MAX_STREAMS = 1000;

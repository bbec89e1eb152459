import type { Readable, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import { ChannelConn, type ChannelConnOptions, type ChannelType } from './conn';
import { REMOTE_COMMAND_PROTOCOLS, isBase64Protocol, supportsStreamClose } from './protocols';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;

export interface RemoteCommandOpen {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  // The kubelet always opens the error channel; accepted for symmetry.
  error?: boolean;
  // The kubelet always opens resize; false drops resize messages instead of
  // leaving them for a reader that never comes (default true).
  resize?: boolean;
}

export interface RemoteCommandChannels {
  stdin?: Readable; // EOF on v5 CLOSE of channel 0, or when the connection ends
  stdout?: Writable;
  stderr?: Writable;
  error: Writable; // the status: text (v1) or JSON (v4, v5); see writesJsonStatus
  resize?: Readable; // the client's JSON {"Width","Height"} messages, as sent
  signal: AbortSignal; // aborted when the connection is gone
  done(): void; // ends the writers, sends what they hold, then closes (1000)
}

// exec/attach over an upgraded WebSocket with the negotiated `protocol`
// (one of REMOTE_COMMAND_PROTOCOLS, or '' when the client named none).
export function remoteCommandChannels(
  ws: WebSocket,
  protocol: string,
  open: RemoteCommandOpen,
  opts?: ChannelConnOptions,
): RemoteCommandChannels {
  if (protocol !== '' && !REMOTE_COMMAND_PROTOCOLS.includes(protocol)) throw new Error(`not a remote command protocol: ${protocol}`);
  const types: ChannelType[] = [
    open.stdin ? 'read' : 'ignore',
    open.stdout ? 'write' : 'ignore',
    open.stderr ? 'write' : 'ignore',
    'write',
    open.resize === false ? 'ignore' : 'read',
  ];
  const conn = new ChannelConn(ws, types, { base64: isBase64Protocol(protocol), streamClose: supportsStreamClose(protocol) }, opts);
  // The kubelet tells the client the streams are up with one empty message on
  // the lowest writable channel; some clients wait for it before sending.
  conn.send(open.stdout ? STDOUT : open.stderr ? STDERR : ERROR, new Uint8Array(0), () => {});
  const s = conn.streams;
  return {
    stdin: s[STDIN],
    stdout: s[STDOUT],
    stderr: s[STDERR],
    error: s[ERROR]!,
    resize: s[RESIZE],
    signal: conn.signal,
    done: () => conn.close(),
  };
}

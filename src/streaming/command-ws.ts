import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { StreamService } from '../streams/service';
import { type CommandRequest, runCommand } from './remotecommand';
import { remoteCommandChannels, writesJsonStatus } from './websocket';

// remotecommand over a WebSocket: channels by number instead of streams.
// The status is JSON from v4 on, text before (channel.k8s.io, base64 v1, "").
export async function serveWsCommand(ws: WebSocket, protocol: string, r: CommandRequest, streams: StreamService, log: Logger, maxStreamBytes = 0): Promise<void> {
  const ch = remoteCommandChannels(ws, protocol, { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr && !r.tty, error: true, resize: r.tty });
  await runCommand(r, { ...ch, jsonStatus: writesJsonStatus(protocol) }, streams, ch.signal, log, maxStreamBytes);
  ch.done();
}

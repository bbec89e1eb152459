import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { StreamService } from '../streams/service';
import { type CommandRequest, runCommand } from './remotecommand';
import { remoteCommandChannels } from './websocket';

// remotecommand over a WebSocket: channels by number instead of streams.
// The status is JSON from v4 on, text before (channel.k8s.io, base64, "").
export async function serveWsCommand(ws: WebSocket, protocol: string, r: CommandRequest, streams: StreamService, log: Logger): Promise<void> {
  const ch = remoteCommandChannels(ws, protocol, { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr && !r.tty, error: true, resize: r.tty });
  const aborted = new AbortController();
  ws.once('close', () => aborted.abort(new Error('the client went')));
  await runCommand(r, { ...ch, jsonStatus: /^v[45]\./.test(protocol) }, streams, aborted.signal, log);
  ch.done();
}

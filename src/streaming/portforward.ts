import type { Duplex, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { StreamService } from '../streams/service';
import { ByteBudget, type StreamBytesExceeded, cappedTransform } from './limits';

// One forwarded connection, whatever carries it: the client's data stream
// joined to what listens on the port in the pod. As containerd copies:
// both ways, each end's FIN passed on; once one way is done the other gets
// a second to finish. A failure to connect is told on the error stream,
// in the kubelet's words. With limits.maxStreamBytes (streaming.
// max_stream_bytes, 0 for none) the connection ends when its bytes, both ways together, reach
// it, and the error stream says so. Answers whether it ran to its end.

const DRAIN_MS = 1000;

export interface ForwardLimits {
  maxStreamBytes?: number;
  log?: Logger;
}

export async function forwardPort(
  streams: StreamService,
  sandboxId: string,
  port: number,
  data: Duplex,
  error: Writable,
  limits: ForwardLimits = {},
): Promise<boolean> {
  const maxStreamBytes = limits.maxStreamBytes ?? 0;
  let conn: Duplex;
  try {
    conn = await streams.portForward(sandboxId, port);
  } catch (err) {
    error.write(`error forwarding port ${port} to pod ${sandboxId}, uid : ${(err as Error).message}`);
    return false;
  }
  let over: StreamBytesExceeded | undefined;
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      conn.destroy();
      if (!data.destroyed) data.end();
      resolve();
    };
    const oneWayDone = () => {
      if (finished) return;
      if (timer) return finish();
      timer = setTimeout(finish, DRAIN_MS);
    };
    if (maxStreamBytes > 0) {
      const budget = new ByteBudget('data', maxStreamBytes, (err) => {
        over = err;
        limits.log?.info({ sandbox: sandboxId, port, limit: err.limit }, 'streaming: port-forward stream reached streaming.max_stream_bytes, ended');
        error.write(`error forwarding port ${port} to pod ${sandboxId}, uid : ${err.message}`);
        // What was let through goes out first.
        setImmediate(finish);
      });
      data.pipe(cappedTransform(budget)).pipe(conn);
      conn.pipe(cappedTransform(budget)).pipe(data);
    } else {
      data.pipe(conn);
      conn.pipe(data, { end: true });
    }
    data.once('end', oneWayDone);
    conn.once('end', oneWayDone);
    for (const s of [data, conn]) {
      s.once('error', finish);
      s.once('close', finish);
    }
  });
  return over === undefined;
}

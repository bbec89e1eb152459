import type { Duplex, Writable } from 'node:stream';
import type { StreamService } from '../streams/service';

// One forwarded connection, whatever carries it: the client's data stream
// joined to what listens on the port in the pod. As containerd copies:
// both ways, each end's FIN passed on; once one way is done the other gets
// a second to finish. A failure to connect is told on the error stream,
// in the kubelet's words.

const DRAIN_MS = 1000;

export async function forwardPort(streams: StreamService, sandboxId: string, port: number, data: Duplex, error: Writable): Promise<boolean> {
  let conn: Duplex;
  try {
    conn = await streams.portForward(sandboxId, port);
  } catch (err) {
    error.write(`error forwarding port ${port} to pod ${sandboxId}, uid : ${(err as Error).message}`);
    return false;
  }
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
    data.pipe(conn);
    conn.pipe(data, { end: true });
    data.once('end', oneWayDone);
    conn.once('end', oneWayDone);
    for (const s of [data, conn]) {
      s.once('error', finish);
      s.once('close', finish);
    }
  });
  return true;
}

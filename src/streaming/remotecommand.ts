import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { StreamRequest } from '../streams/requests';
import type { StreamService } from '../streams/service';
import { terminalSizes } from './resize';
import { type Status, encodeStatus, internalError, nonZeroExit, success } from './status';

// Exec and attach once the client's streams are there, whatever carried
// them (SPDY streams, WebSocket channels): run, end the output streams,
// then write the outcome on the error stream, as ServeExec/ServeAttach do.

export type CommandRequest = Extract<StreamRequest, { kind: 'exec' | 'attach' }>;

export interface CommandChannels {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: Readable;
  error: Writable;
  // v4 and later: the status as JSON; before, only a failure's message.
  jsonStatus: boolean;
}

export async function runCommand(req: CommandRequest, ch: CommandChannels, streams: StreamService, signal: AbortSignal, log: Logger): Promise<void> {
  // A client gone mid-write fails the write; the process sees EPIPE.
  for (const s of [ch.stdin, ch.stdout, ch.stderr, ch.resize, ch.error]) s?.on('error', () => {});
  const io = {
    stdin: ch.stdin,
    stdout: ch.stdout,
    stderr: req.tty ? undefined : ch.stderr,
    tty: req.tty,
    resizes: ch.resize && req.tty ? await firstSizeFirst(terminalSizes(ch.resize)) : undefined,
    signal,
  };
  let status: Status;
  try {
    if (req.kind === 'exec') {
      const code = await streams.exec(req.containerId, req.cmd, io);
      status = code === 0 ? success() : nonZeroExit(req.cmd, code);
    } else {
      await streams.attach(req.containerId, io);
      status = success();
    }
  } catch (err) {
    const what = req.kind === 'exec' ? 'error executing command in container' : 'error attaching to container';
    log.debug({ container: req.containerId, err: (err as Error).message }, what);
    status = internalError(`${what}: ${(err as Error).message}`);
  }
  if (signal.aborted) return;
  await Promise.all([ch.stdout, ch.stderr].map((w) => w && endAndWait(w)));
  const bytes = encodeStatus(status, ch.jsonStatus);
  if (bytes.byteLength) ch.error.write(bytes);
  await endAndWait(ch.error);
}

// Ends a writable and waits until what it held is handed on (or it failed).
export function endAndWait(w: Writable): Promise<void> {
  if (w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('close', resolve);
    w.end(() => resolve());
  });
}

// A client sends its window's size right after opening its streams; a
// runtime's exec starts the process later than that. Waiting a moment for
// the first size gives the command a terminal of the client's size from its
// start, as `stty size` there shows.
const FIRST_SIZE_MS = 250;

async function firstSizeFirst<T>(sizes: AsyncGenerator<T>): Promise<AsyncIterable<T>> {
  const first = sizes.next();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([first, new Promise((resolve) => (timer = setTimeout(resolve, FIRST_SIZE_MS)))]);
  clearTimeout(timer);
  return (async function* () {
    const r = await first;
    if (r.done) return;
    yield r.value;
    yield* sizes;
  })();
}

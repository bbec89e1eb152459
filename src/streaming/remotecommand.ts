import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { StreamRequest } from '../streams/requests';
import type { StreamService } from '../streams/service';
import { endAndWait } from './end';
import { ByteBudget, CappedWritable, type StreamBytesExceeded, cappedTransform } from './limits';
import { terminalSizes } from './resize';
import { type Status, encodeStatus, internalError, nonZeroExit, success } from './status';

export { endAndWait };

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

// maxStreamBytes: streaming.max_stream_bytes, 0 for none. A stream that
// reaches it stops the command (exec kills it, attach detaches) and the
// client gets a failure status saying so.
export async function runCommand(
  req: CommandRequest,
  ch: CommandChannels,
  streams: StreamService,
  signal: AbortSignal,
  log: Logger,
  maxStreamBytes = 0,
): Promise<void> {
  // A client gone mid-write fails the write; the process sees EPIPE.
  for (const s of [ch.stdin, ch.stdout, ch.stderr, ch.resize, ch.error]) s?.on('error', () => {});
  const limited = maxStreamBytes > 0 ? capStreams(ch, maxStreamBytes, signal) : undefined;
  const sizes = ch.resize && req.tty ? await firstSize(terminalSizes(ch.resize)) : undefined;
  const io = {
    stdin: limited?.stdin ?? ch.stdin,
    stdout: limited?.stdout ?? ch.stdout,
    stderr: req.tty ? undefined : (limited?.stderr ?? ch.stderr),
    tty: req.tty,
    size: sizes?.first,
    resizes: sizes?.rest,
    signal: limited?.signal ?? signal,
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
  const over = limited?.exceeded();
  if (over) {
    const what = req.kind === 'exec' ? 'error executing command in container' : 'error attaching to container';
    log.info({ container: req.containerId, kind: req.kind, stream: over.stream, limit: over.limit }, 'streaming: stream reached streaming.max_stream_bytes, ended');
    status = internalError(`${what}: ${over.message}`);
  }
  await Promise.all([limited?.stdout ?? ch.stdout, limited?.stderr ?? ch.stderr].map((w) => w && endAndWait(w)));
  const bytes = encodeStatus(status, ch.jsonStatus);
  if (bytes.byteLength) ch.error.write(bytes);
  await endAndWait(ch.error);
}

// The client's streams, each with its budget; the first to run out aborts
// the command's signal.
function capStreams(ch: CommandChannels, limit: number, client: AbortSignal) {
  const stop = new AbortController();
  let first: StreamBytesExceeded | undefined;
  const budget = (name: string) =>
    new ByteBudget(name, limit, (err) => {
      first ??= err;
      stop.abort(err);
    });
  // Their failures are the client's streams' (ignored above, as those are).
  const quiet = <T extends Readable | Writable>(s: T): T => {
    s.on('error', () => {});
    return s;
  };
  return {
    stdin: ch.stdin && quiet(ch.stdin.pipe(cappedTransform(budget('stdin')))),
    stdout: ch.stdout && quiet(new CappedWritable(ch.stdout, budget('stdout'))),
    stderr: ch.stderr && quiet(new CappedWritable(ch.stderr, budget('stderr'))),
    signal: AbortSignal.any([client, stop.signal]),
    exceeded: () => first,
  };
}

// A client sends its window's size right after opening its streams; a
// runtime's exec starts the process later than that. Waiting a moment for
// the first size gives the command a terminal of the client's size from its
// start, as `stty size` there shows. The first is handed over as a value,
// set before the command starts, not as one more of the sizes to follow.
const FIRST_SIZE_MS = 250;

async function firstSize<T>(sizes: AsyncGenerator<T>): Promise<{ first?: T; rest: AsyncIterable<T> }> {
  const next = sizes.next();
  let timer: NodeJS.Timeout | undefined;
  const came = await Promise.race([next.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), FIRST_SIZE_MS)))]);
  clearTimeout(timer);
  if (came) {
    const r = await next;
    return { first: r.done ? undefined : r.value, rest: sizes };
  }
  // Late: it comes as the first of the changes.
  return {
    rest: (async function* () {
      const r = await next;
      if (r.done) return;
      yield r.value;
      yield* sizes;
    })(),
  };
}

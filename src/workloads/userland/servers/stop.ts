import type { Process, SignalName } from '../../procs/types';

// How the image programs fakecri emulates end: on a stop signal (pause,
// nginx and Go servers stop on SIGTERM, SIGINT and SIGQUIT — nginx's
// STOPSIGNAL), or SIGKILL. SIGHUP (a reload) changes nothing.
const STOP: readonly SignalName[] = ['TERM', 'INT', 'QUIT'];

export interface Stopping {
  // Aborts on a stop signal (reason: its name) or when the process is killed.
  readonly signal: AbortSignal;
  // The stop signal that came, if one did.
  readonly by: SignalName | undefined;
  // Resolves on a stop signal; rejects with Killed.
  readonly done: Promise<void>;
}

// stops: the program's own stop signals (Apache: TERM, INT and WINCH).
export function catchStop(proc: Process, stops: readonly SignalName[] = STOP): Stopping {
  const stop = new AbortController();
  for (const sig of stops) proc.setDisposition(sig, 'handle');
  proc.setDisposition('HUP', 'ignore');
  let by: SignalName | undefined;
  const off = proc.onSignal(() => {
    by = proc.takeSignals().find((s) => stops.includes(s));
    if (!by) return;
    off();
    stop.abort(by);
  });
  const signal = AbortSignal.any([stop.signal, proc.killed]);
  const done = new Promise<void>((resolve, reject) => {
    const end = () => (proc.killed.aborted ? (off(), reject(proc.killed.reason)) : resolve());
    if (signal.aborted) return end();
    signal.addEventListener('abort', end, { once: true });
  });
  done.catch(() => {});
  return {
    signal,
    done,
    get by() {
      return by;
    },
  };
}

import { type Process, SIGNALS, type SignalName } from '../../procs/types';

// Signal names and numbers as busybox's get_signum/get_signame take them.

const BY_NUMBER = new Map<number, SignalName>(Object.entries(SIGNALS).map(([k, v]) => [v, k as SignalName]));

// A number or a name (with or without SIG, any case); 0 is allowed.
export function signalNumber(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n < 65 ? n : undefined;
  }
  let name = s.toUpperCase();
  if (name.startsWith('SIG')) name = name.slice(3);
  if (name === 'POLL') name = 'IO';
  if (name === 'IOT') name = 'ABRT';
  if (name === 'CLD') name = 'CHLD';
  return Object.hasOwn(SIGNALS, name) ? SIGNALS[name as SignalName] : undefined;
}

export const signalName = (n: number): SignalName | undefined => BY_NUMBER.get(n);

// kill -l: "%2u) %s" for 1..31.
export function signalList(): string {
  let s = '';
  for (let n = 1; n <= 31; n++) {
    const name = BY_NUMBER.get(n);
    if (name) s += `${String(n).padStart(2)}) ${name}\n`;
  }
  return s;
}

// A handler for `signals`, as a C applet installs one: the first of them to
// arrive is `signal`, and `arrived` resolves then; off() stops listening.
export interface CaughtSignal {
  readonly signal?: SignalName;
  readonly arrived: Promise<void>;
  off(): void;
}

export function catchSignals(proc: Process, signals: readonly SignalName[]): CaughtSignal {
  for (const sig of signals) proc.setDisposition(sig, 'handle');
  let signal: SignalName | undefined;
  let off = () => {};
  const arrived = new Promise<void>((resolve) => {
    off = proc.onSignal(() => {
      const sig = proc.takeSignals().find((s) => signals.includes(s));
      if (!sig) return;
      signal ??= sig;
      resolve();
    });
  });
  return {
    get signal() {
      return signal;
    },
    arrived,
    off,
  };
}

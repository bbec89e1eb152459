import { SIGNALS, type SignalName } from '../procs/types';

// Linux signal numbers and names as trap and kill -l know them. Only those
// in procs/types' SIGNALS can be sent inside a container; the others may be
// trapped but never arrive.
export const SIGNAL_NAMES: readonly string[] = [
  'EXIT', 'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM',
  'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'PWR', 'SYS',
];

export const NSIG = SIGNAL_NAMES.length;
// The ERR trap's slot among the traps, after the signals' (ash's NTRAP_ERR).
export const NTRAP_ERR = NSIG;

// A signal number from a name (TERM, SIGTERM, term) or a number; -1 if none.
// 0 is EXIT.
export function signalNumber(spec: string): number {
  if (/^[0-9]+$/.test(spec)) {
    const n = Number(spec);
    return n < NSIG ? n : -1;
  }
  let s = spec.toUpperCase();
  if (s.startsWith('SIG')) s = s.slice(3);
  if (s === 'POLL') s = 'IO';
  if (s === 'CLD') s = 'CHLD';
  return SIGNAL_NAMES.indexOf(s);
}

// The procs name of a signal number, when containers can send it.
export function modelled(n: number): SignalName | undefined {
  const name = SIGNAL_NAMES[n];
  return name !== undefined && name in SIGNALS ? (name as SignalName) : undefined;
}

export const signalNo = (s: SignalName): number => SIGNALS[s];

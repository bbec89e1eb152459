import { FakecriError } from '../domain/errors';

// containerd's failpoint grammar, accepted as the pod annotation
// fakecri.io/failpoint.<RPC>: terms joined by "->", each
// "<count>*<type>[(<arg>)]" with type off, error(msg), panic(msg) or
// delay(ms). Each call of the RPC consumes one count of the current term; when
// every term is used up the failpoint is off.
export type FailpointTerm = { count: number; type: 'off' | 'error' | 'panic' | 'delay'; arg: string };

const TERM = /^(?:(\d+)\*)?(off|error|panic|delay)(?:\((.*)\))?$/;

export function parseFailpoint(spec: string, field: string): FailpointTerm[] {
  const terms = spec.split('->').map((raw, i) => {
    const m = TERM.exec(raw.trim());
    if (!m) throw new FakecriError('INVALID_ARGUMENT', `${field}: term ${i + 1} "${raw.trim()}" is not <count>*<off|error(msg)|panic(msg)|delay(ms)>`);
    const [, count, type, arg = ''] = m;
    if (type === 'delay' && !/^\d+$/.test(arg)) throw new FakecriError('INVALID_ARGUMENT', `${field}: delay needs milliseconds, as delay(100)`);
    return { count: count === undefined ? 1 : Number(count), type: type as FailpointTerm['type'], arg };
  });
  return terms;
}

export class Failpoint {
  private term = 0;
  private used = 0;

  constructor(private readonly terms: FailpointTerm[]) {}

  // The term for this call, consuming it.
  next(): FailpointTerm | undefined {
    while (this.term < this.terms.length && this.used >= this.terms[this.term].count) {
      this.term++;
      this.used = 0;
    }
    if (this.term >= this.terms.length) return undefined;
    this.used++;
    return this.terms[this.term];
  }
}

import { FakecriError } from '../domain/errors';

// containerd's failpoint grammar, accepted as the pod annotation
// fakecri.io/failpoint.<RPC>: terms joined by "->", each
// "<count>*<type>[(<arg>)]" with type off, error(msg), panic(msg) or
// delay(ms). Each call of the RPC consumes one count of the current term; when
// every term is used up the failpoint is off.
export type FailpointTerm = { count: number; type: 'off' | 'error' | 'panic' | 'delay'; arg: string };

const TERM = /^(?:(\d+)\*)?(off|error|panic|delay)(?:\((.*)\))?$/;

// Bounds: at most 100 terms, counts up to 2^31, delays up to 365 days,
// messages up to 4096 characters.
const MAX_TERMS = 100;
const MAX_COUNT = 2 ** 31;
const MAX_DELAY_MS = 365 * 24 * 3600 * 1000;
const MAX_MESSAGE = 4096;

export function parseFailpoint(spec: string, field: string): FailpointTerm[] {
  const bad = (why: string) => new FakecriError('INVALID_ARGUMENT', `${field}: ${why}`);
  const raws = spec.split('->');
  if (raws.length > MAX_TERMS) throw bad(`${raws.length} terms, more than the ${MAX_TERMS} allowed`);
  const terms = raws.map((raw, i) => {
    const m = TERM.exec(raw.trim());
    if (!m) throw bad(`term ${i + 1} "${raw.trim().slice(0, 80)}" is not <count>*<off|error(msg)|panic(msg)|delay(ms)>`);
    const [, count, type, arg = ''] = m;
    if (type === 'delay' && !/^\d+$/.test(arg)) throw bad('delay needs milliseconds, as delay(100)');
    if (type === 'delay' && Number(arg) > MAX_DELAY_MS) throw bad(`term ${i + 1}: delay(${arg}) is longer than 365 days`);
    if (arg.length > MAX_MESSAGE) throw bad(`term ${i + 1}: the message is longer than ${MAX_MESSAGE} characters`);
    const n = count === undefined ? 1 : Number(count);
    if (n > MAX_COUNT) throw bad(`term ${i + 1}: count ${count} is more than ${MAX_COUNT}`);
    return { count: n, type: type as FailpointTerm['type'], arg };
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

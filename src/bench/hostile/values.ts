import type { Rng } from './rng';

// Hostile values, by the JavaScript type a request field has after
// proto-loader (longs as strings, enums as strings).
const HUGE = 'x'.repeat(2 ** 20 + 1);

export function hostileString(rng: Rng, known: readonly string[] = []): string {
  const r = rng.int(24);
  if (r === 0 && known.length) return rng.pick(known).slice(0, 1 + rng.int(3)); // an ambiguous id prefix
  if (r === 1 && known.length) return rng.pick(known);
  // Long strings now and then, at most one huge (over the 1 MiB bound) in a
  // hundred: they cost the fuzzer and fakecri time, not coverage.
  if (r === 2) return rng.chance(0.01) ? HUGE : 'x'.repeat(rng.pick([256, 300, 4097, 70_000]));
  if (r === 3) return rng.bytes(1 + rng.int(40)).toString('latin1');
  return rng.pick([
    '',
    ' ',
    'a',
    '\u0000',
    'a\u0000b',
    '..',
    '../../../etc/passwd',
    '/',
    '//',
    '.',
    '💥🐳',
    '\ud800',
    '%s%n%x',
    '${HOME}',
    '$(reboot)',
    'sha256:' + 'f'.repeat(64),
    'UPPER/Case:Tag',
    'nginx@sha256:abc',
    'docker.io/library/busybox:latest',
    'line\nbreak',
    '-1',
  ]);
}

export function hostileLong(rng: Rng): string {
  return rng.pick(['0', '-1', '1', '2', '2147483647', '2147483648', '-2147483649', '4294967296', '9007199254740993', '9223372036854775807', '-9223372036854775808']);
}

export function hostileInt(rng: Rng): number {
  return rng.pick([0, -1, 1, 2, 255, 256, 65535, 2147483647, -2147483648]);
}

export function hostileDouble(rng: Rng): number {
  return rng.pick([0, -0, -1, 0.5, 1e308, -1e308, Number.NaN, Number.POSITIVE_INFINITY, 1e-300]);
}

// A value that replaces `v` keeping its JavaScript type, so that the
// client can still encode it (most of the time).
export function hostileLike(rng: Rng, v: unknown, known: readonly string[]): unknown {
  if (typeof v === 'string') return /^-?\d+$/.test(v) && rng.chance(0.7) ? hostileLong(rng) : hostileString(rng, known);
  if (typeof v === 'number') return Number.isInteger(v) ? hostileInt(rng) : hostileDouble(rng);
  if (typeof v === 'boolean') return !v;
  if (Array.isArray(v)) return rng.chance(0.5) ? [] : Array.from({ length: rng.pick([2, 50, 1000]) }, () => v[0] ?? '');
  if (v && typeof v === 'object') return rng.chance(0.5) ? null : {};
  return null;
}

// Arbitrary JSON, for bodies and annotations: keys from the vocabulary the
// control API and behaviours use, so that some of it gets far.
const KEYS = ['action', 'type', 'code', 'message', 'rpcs', 'pod', 'image', 'delay', 'rate', 'total', 'log', 'volume', 'file', 'exit_after', 'stop', 'mode', 'fill', 'bytes', 'files', 'x', ''];

export function randomJson(rng: Rng, depth = 0): unknown {
  const r = rng.int(depth > 3 ? 5 : 8);
  if (r === 0) return hostileString(rng);
  if (r === 1) return rng.chance(0.5) ? hostileInt(rng) : hostileDouble(rng);
  if (r === 2) return rng.chance(0.5);
  if (r === 3) return null;
  if (r === 4) return rng.pick(['1s', '400d', '1e309', '10Mi', '1Pi', '-5', '90%', 'error', 'hang', 'delay']);
  if (r === 5) return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = rng.int(4); i >= 0; i--) o[rng.pick(KEYS)] = randomJson(rng, depth + 1);
  return o;
}

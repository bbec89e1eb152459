import pino, { type DestinationStream, type Logger } from 'pino';

// Fields that hold credentials, wherever they sit in a log line: the CRI
// AuthConfig (password, auth, identity_token, registry_token), docker
// config.json entries, HTTP Authorization headers and the control token.
// Nothing should log them in the first place (requests are logged as
// summaries); this is the net under that rule.
const SECRET_KEYS = new Set(['password', 'auth', 'identity_token', 'identitytoken', 'identityToken', 'registry_token', 'registryToken', 'token', 'authorization', 'Authorization']);
// A secret key is found at the top of a line's object and up to this many
// levels below it.
const DEPTH = 4;

export const REDACTED = '[redacted]';

// A line's object with every secret key's value replaced, copied only along
// the way to a secret: a line without one is returned as it is. pino's own
// `redact` with wildcard paths cost about 100 KB of garbage per line, which
// at thousands of pods was most of what creating a pod allocated.
export function redactSecrets<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || depth > DEPTH) return value;
  let copy: Record<string, unknown> | unknown[] | undefined;
  const src = value as Record<string, unknown>;
  for (const key of Object.keys(src)) {
    const v = src[key];
    const out = SECRET_KEYS.has(key) ? REDACTED : redactSecrets(v, depth + 1);
    if (out === v) continue;
    // The copy keeps the prototype and every own property (an Error's
    // message and stack), so serializers see what they would have seen.
    copy ??= Array.isArray(value) ? value.slice() : Object.create(Object.getPrototypeOf(value), Object.getOwnPropertyDescriptors(value));
    (copy as Record<string, unknown>)[key] = out;
  }
  return (copy ?? value) as T;
}

// fakecri's logger: pino JSON, its level, and the redaction above on every
// line's object and on a child logger's bindings.
export function createLogger(level: string, destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, base: { name: 'fakecri' }, formatters: { log: redactSecrets, bindings: redactSecrets } }, destination);
}
